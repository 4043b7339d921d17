"""Delimited text to tables for the cycler readers, with structure checks first.

Every table goes through :func:`sianode.io.structure.check_fields` before pandas parses it,
so that a corrupt line cannot make pandas' tokenizer allocate without bound.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import _BREAK, fail
from .structure import check_fields

if TYPE_CHECKING:  # imported where a text table is parsed: a binary read never needs it
    import pandas as pd

#: What a reader returns before :func:`sianode.io.finish`: BDF column name -> 1-D array
#: (numpy or pandas extension array), all of one length. The DataFrame is built once, by
#: ``finish``.
Columns = dict[str, Any]


class LazyColumn:
    """A column a reader describes without building it: ``make()`` builds it (e.g. a text
    column as a pandas ``str`` array) when a DataFrame is built from the columns.

    :func:`sianode.io.read_columns` leaves such a column unbuilt, so that reading a file
    for numeric work never imports pandas; ``all_missing`` says whether every value is
    missing (the column is then dropped, as an empty optional column always is).
    """

    ndim = 1

    def __init__(self, n: int, make: Callable[[], Any], all_missing: bool) -> None:
        self.n = n
        self.make = make
        self.all_missing = all_missing

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"LazyColumn({self.n} values, built on use)"


def parse_csv_text(
    path: Path,
    text: str | bytes,
    sep: str = ",",
    decimal: str = ".",
    header: int | None = 0,
    names: list[str] | None = None,
    encoding: str = "utf-8",
    usecols: list[int] | None = None,
    fields: int | None = None,
    first_line: int = 1,
    check: bool = True,
) -> pd.DataFrame:
    """Parse delimited text with pandas' C engine; errors become ParsingError.

    ``text`` may be the encoded bytes (``encoding``, no BOM). pandas' C parser turns a text
    buffer into UTF-8 bytes before tokenising, so text is handed to it as its UTF-8 bytes at
    once: the same table, ~35 % faster than through a text buffer. ``usecols`` (column
    positions) is passed to pandas as it is.

    Before pandas sees the text, :func:`~sianode.io.structure.check_fields` checks every
    line against the header: ``fields`` (the header's field count when the caller has it,
    as for a table without a header line), else ``len(names)``, else the first line's;
    ``first_line`` is the file's line number of the text's first line, for messages.
    ``check=False`` skips this when the caller has just checked the same text.
    """
    if isinstance(text, str):
        text, encoding = text.encode("utf-8"), "utf-8"
    if fields is None and header is None and names is not None:
        fields = len(names)
    if check:
        check_fields(path, text, sep, fields, first_line=first_line)
    import pandas as pd

    try:
        return pd.read_csv(
            io.BytesIO(text),
            sep=sep,
            decimal=decimal,
            header=header,
            names=names,
            low_memory=False,
            skipinitialspace=False,
            encoding=encoding,
            usecols=usecols,
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(path, f"malformed table ({first})") from exc


def parse_csv_subset(
    path: Path,
    data: bytes,
    sep: str,
    usecols: list[int],
    encoding: str,
    fields: int | None = None,
    first_line: int = 1,
) -> tuple[pd.DataFrame, int] | None:
    """Columns ``usecols`` of a headerless table, when provably as in the full parse.

    pandas parses the columns of a table independently, so a column read alone has the
    values and dtype it has in the full table, with one catch: with ``usecols`` pandas no
    longer rejects rows with more fields than the first row. So the last column of the first
    row is read too (after :func:`~sianode.io.structure.check_fields` has bounded every
    line's field count by the header's ``fields``), and the table is accepted only when that column has no missing value
    (every row has at least ``n`` fields) and the separator count is exactly ``rows * (n -
    1)`` (so none has more): then the full parse would succeed with the same rows. Without
    quote characters, every separator byte separates two fields of one row.

    Returns
    -------
    (pandas.DataFrame, int) or None
        The columns (labelled by position, as with ``header=None``) and the row width ``n``;
        None when the check fails or does not apply (the caller parses the whole table).
    """
    sep_b = sep.encode()
    if len(sep_b) != 1 or b'"' in data:
        return None
    check_fields(path, data, sep, fields, first_line=first_line)
    m = _BREAK.search(data)
    first = data[: m.start()] if m else data
    if not first:
        return None
    n = first.count(sep_b) + 1
    df = parse_csv_text(
        path,
        data,
        sep=sep,
        header=None,
        encoding=encoding,
        usecols=sorted({j for j in usecols if j < n} | {n - 1}),
        check=False,  # checked above
    )
    if list(df.columns)[-1] != n - 1 or df[n - 1].isna().any():
        return None
    if data.count(sep_b) != len(df) * (n - 1):
        return None
    return df, n


def column_values(s: Any) -> Any:
    """A column's values without an index: a numpy array, or the extension array (a text
    column stays pyarrow-backed instead of becoming an object array); others as given."""
    if isinstance(s, np.ndarray):
        return s
    pd = sys.modules.get("pandas")  # without pandas loaded, ``s`` is no Series
    if pd is not None and isinstance(s, pd.Series):
        return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array
    return s


def n_rows(df: pd.DataFrame | Mapping[str, Any]) -> int:
    """Number of rows of a DataFrame or of a dict of equal-length columns."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(df, pd.DataFrame):
        return len(df)
    return len(next(iter(df.values()))) if len(df) else 0


def numeric(
    path: Path, df: pd.DataFrame | Mapping[str, Any], col: str, *, required: bool = True
) -> np.ndarray:
    """Column ``col`` as float64; ParsingError when missing or non-numeric.

    ``df`` is a DataFrame or a dict of columns (numpy arrays or Series).
    """
    if col not in df:
        if required:
            raise fail(path, f"missing column '{col}'")
        return np.full(n_rows(df), np.nan)
    s = df[col]
    if isinstance(s, np.ndarray) and s.dtype.kind in "fiub":
        return np.asarray(s, dtype=float)
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(s):
        s = pd.Series(s) if isinstance(s, np.ndarray) else s
        s = pd.to_numeric(
            s.astype(str).str.strip().replace({"": None, "N/A": None}), errors="coerce"
        )
        if required and s.isna().mean() > 0.5:
            raise fail(path, f"column '{col}' is not numeric")
    try:
        return np.asarray(s, dtype=float)
    except (TypeError, ValueError) as exc:
        raise fail(path, f"column '{col}' is not numeric") from exc
