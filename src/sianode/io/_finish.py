"""Finishing a reader's columns into the BDF table: checks, sign rule, counters.

:func:`finish_columns` validates what a reader returns (one value per row, finite required
columns), applies BDF's sign rule when the file's capacity counters contradict the
current, and adds ``Cycle Count / 1`` and ``Step Count / 1`` by the rules of
:mod:`.counters`: a :class:`ColumnTable` (numpy columns, no pandas). :func:`finish` is the
same as a DataFrame, built once from those columns.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import FREQUENCY
from . import _common as c
from .checks import check_values
from .counters import (
    charge_increments,
    counter_increments,
    dc_current_values,
    detect_cycles,
    step_counts,
)

if TYPE_CHECKING:  # imported where a DataFrame is built: a JSON command never needs it
    import pandas as pd

__all__ = ["ColumnTable", "finish", "finish_columns"]


class ColumnTable(dict):
    """A BDF time series as columns: name -> 1-D array, in table order, plus ``attrs``.

    What :func:`sianode.io.read_columns` returns: the columns of the DataFrame that
    :func:`sianode.io.read` returns (same names, order, dtypes and values) without pandas,
    for code that needs only arrays (the ``--json`` commands start ~0.35 s sooner without
    importing pandas). ``attrs`` holds what ``DataFrame.attrs`` holds. The analysis
    functions of :mod:`sianode.cycling` accept it wherever they accept a DataFrame. A
    text column that needs pandas (Neware's ``Step Type``) is a
    :class:`~sianode.io.LazyColumn` here, built by ``to_frame()`` (or its
    ``make()``).
    """

    def __init__(self, columns: Mapping[str, Any] = (), attrs: dict[str, Any] | None = None):
        super().__init__(columns)
        self.attrs: dict[str, Any] = dict(attrs or {})
        self._block: _FloatBlock | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows (``len()`` of a ColumnTable counts its columns, as for a dict)."""
        return len(next(iter(self.values()))) if self else 0

    def copy(self) -> ColumnTable:
        """A shallow copy with its own ``attrs`` (the arrays are shared)."""
        return ColumnTable(self, self.attrs)

    def to_frame(self) -> pd.DataFrame:
        """The pandas DataFrame of these columns, with a copy of ``attrs`` (its own data)."""
        return self._frame(None)

    def _frame(self, block: _FloatBlock | None) -> pd.DataFrame:
        cols: dict[str, Any] = self
        if any(isinstance(v, c.LazyColumn) for v in self.values()):
            cols = {k: v.make() if isinstance(v, c.LazyColumn) else v for k, v in self.items()}
        out = _table(cols, self.n_rows, block)
        out.attrs.update(self.attrs)
        return out


def _check_sign(
    cols: dict[str, Any], meta: dict[str, Any], block: _FloatBlock | None = None
) -> None:
    """Flip the current when the file's capacity counters say it is positive on discharge.

    ``cols`` maps column names to arrays; the current is replaced in it when flipped (or
    negated in place when it is a row of ``block``).
    """
    if c.CHG_CAP not in cols or c.DCHG_CAP not in cols:
        return
    i = np.asarray(cols[c.CURRENT], dtype=float)
    q = counter_increments(np.vstack((cols[c.CHG_CAP], cols[c.DCHG_CAP])))
    tot = q.sum()
    if tot <= 0:
        return
    # masked sums as one matrix product with 0/1 weights: the [charge, discharge] counters'
    # growth while the current is positive (column 0) and while it is negative (column 1)
    w = np.empty((2, i.size))
    np.greater(i, 0.0, out=w[0])
    np.less(i, 0.0, out=w[1])
    grown = q @ w.T
    agree = grown[0, 0] + grown[1, 1]
    disagree = grown[0, 1] + grown[1, 0]
    if disagree > 0.9 * tot and disagree > 10 * agree:
        if block is not None and block.holds(c.CURRENT, cols):
            np.negative(i, out=i)  # the table's own row
        else:
            cols[c.CURRENT] = -i
        meta["warnings"].append(
            "current grows the discharge counter when positive: sign flipped to BDF's rule"
            " (positive current charges the test object)"
        )


def _non_finite_note(name: str, bad: int, n: int) -> str:
    """The warning for ``bad`` of ``n`` values of a required column that are NaN or infinite."""
    what = {
        c.TIME: "those intervals carry no charge",
        c.CURRENT: "those points count as rests and carry no charge",
        c.VOLTAGE: "kept as NaN; mean voltages, energies and dQ/dV leave them out",
    }[name]
    return f"column '{name}': {bad} of {n} values are NaN or infinite; {what}"


def _all_missing(v: Any) -> bool:
    """True when every value is missing; decided by the first value in most columns."""
    if len(v) == 0:
        return True
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "f":
            return math.isnan(v[0]) and bool(np.isnan(v).all())
        if v.dtype.kind in "iub":
            return False  # integers and booleans have no missing value
    elif isinstance(v, c.LazyColumn):
        return v.all_missing
    import pandas as pd

    first = v[0]
    if np.ndim(first) == 0 and not pd.isna(first):
        return False
    return bool(pd.isna(v).all())


_COLUMN_INDEX: dict[tuple[str, ...], Any] = {}


def _column_index(names: list[str]) -> pd.Index:
    """``pd.Index(names)``: a view of a cached one (building a text Index costs ~30 us).

    A view, so that a caller who renames its own table's columns or sets their name does not
    change the cached Index or another table's.
    """
    import pandas as pd

    key = tuple(names)
    idx = _COLUMN_INDEX.get(key)
    if idx is None:
        if len(_COLUMN_INDEX) > 256:
            _COLUMN_INDEX.clear()
        idx = _COLUMN_INDEX[key] = pd.Index(names)
    return idx.view()


_UNRESOLVED: Any = object()
#: pandas' ``create_dataframe_from_blocks`` (public since pandas 3.0), None without it;
#: looked up when the first table is built, so that reading columns never imports pandas.
_from_blocks: Any = _UNRESOLVED


def _blocks_api() -> Any:
    """``_from_blocks``, imported on first use."""
    global _from_blocks
    if _from_blocks is _UNRESOLVED:
        try:
            from pandas.api.internals import create_dataframe_from_blocks
        except ImportError:  # pragma: no cover - pandas 2.x
            create_dataframe_from_blocks = None
        _from_blocks = create_dataframe_from_blocks
    return _from_blocks


class _FloatBlock:
    """The float64 columns copied into the rows of one 2-D array, which becomes the table's
    float block as it is (no second copy when the table is built).

    The copy also leaves every such column contiguous, aligned and writeable, whatever the
    reader gave (a record's field view, a read-only file buffer).
    """

    def __init__(self, cols: dict[str, Any], names: list[str], n: int) -> None:
        self.array = np.empty((len(names), n))
        self.rows: dict[str, np.ndarray] = {}
        for j, k in enumerate(names):
            row = self.array[j]
            row[...] = cols[k]
            cols[k] = self.rows[k] = row

    @classmethod
    def of(cls, cols: dict[str, Any], n: int) -> _FloatBlock | None:
        """The block of ``cols``' float64 columns (replaced by its rows), if worth one.

        Only when the table can be built from blocks: every column a numeric numpy array.
        Otherwise pandas groups the columns itself, and a block made here would be copied.
        (Whether pandas has the block API is not asked here, which would import it: without
        it the block is copied once more when the table is built.)
        """
        if _from_blocks is None:
            return None
        names = []
        for k, v in cols.items():
            if not (isinstance(v, np.ndarray) and v.dtype.kind in "fiub"):
                return None
            if v.dtype == np.float64:
                names.append(k)
        return cls(cols, names, n) if len(names) > 1 else None

    def holds(self, name: str, cols: dict[str, Any]) -> bool:
        """Whether column ``name`` of ``cols`` is still this block's row."""
        row = self.rows.get(name)
        return row is not None and cols.get(name) is row


def _numeric_blocks(
    cols: dict[str, Any], block: _FloatBlock | None = None
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The columns as pandas blocks: one 2-D array per dtype and the columns it holds.

    ``None`` unless every column is a numeric or boolean numpy array (text, dates and
    extension arrays take the general path, where pandas infers their dtype). When every
    row of ``block`` is still a column, that array is the float block; every other group
    is a copy.
    """
    own = block.rows if block is not None and all(block.holds(k, cols) for k in block.rows) else {}
    groups: dict[np.dtype, tuple[list[np.ndarray], list[int]]] = {}
    position: dict[str, int] = {}
    for j, (k, v) in enumerate(cols.items()):
        if not (isinstance(v, np.ndarray) and v.dtype.kind in "fiub"):
            return None
        position[k] = j
        if k in own:
            continue
        arrays, places = groups.setdefault(v.dtype, ([], []))
        arrays.append(v)
        places.append(j)
    # np.vstack copies, as the DataFrame constructor does, so the table owns its data
    out = [(np.vstack(a), np.array(p, dtype=np.intp)) for a, p in groups.values()]
    if own:
        # the block's rows, in the order they were filled, go to their columns' positions
        where = np.array([position[k] for k in own], dtype=np.intp)
        out.append((block.array, where))  # type: ignore[union-attr]
    return out


def _table(cols: dict[str, Any], n: int, block: _FloatBlock | None = None) -> pd.DataFrame:
    """One DataFrame from checked 1-D columns of length ``n``, in the order given.

    Equal to ``pd.DataFrame(cols)`` (tested), built the cheapest way available:

    - numeric and boolean numpy columns: one 2-D block per dtype, handed to pandas'
      ``create_dataframe_from_blocks`` (public in pandas >= 3.0, "advanced" API), which
      skips the constructor's per-column checks and grouping: ~6x faster on a small file;
    - otherwise the public constructor, which infers the dtypes of text, dates and
      extension arrays.
    """
    import pandas as pd

    columns = _column_index(list(cols))
    index = pd.RangeIndex(n)
    from_blocks = _blocks_api()
    if from_blocks is not None:
        blocks = _numeric_blocks(cols, block)
        if blocks is not None:
            return from_blocks(blocks, index=index, columns=columns)
    return pd.DataFrame(cols)


def finish(
    data: pd.DataFrame | Mapping[str, Any], meta: dict[str, Any], path: Any = None
) -> pd.DataFrame:
    """Validate a reader's columns and add ``Cycle Count / 1`` and ``Step Count / 1``.

    ``data`` is a reader's :data:`~sianode.io._common.Columns` (BDF name -> array) or a
    DataFrame. The result is :func:`finish_columns`' table as a DataFrame, built once (its
    float columns become the frame's float block without another copy).
    """
    table = finish_columns(data, meta, path)
    block, table._block = table._block, None
    return table._frame(block)


def finish_columns(
    data: pd.DataFrame | Mapping[str, Any], meta: dict[str, Any], path: Any = None
) -> ColumnTable:
    """:func:`finish` without pandas: the checked columns and counters as a ColumnTable."""
    src = path if path is not None else meta.get("source_file")
    pd = sys.modules.get("pandas")  # without pandas loaded, ``data`` is no DataFrame
    if pd is not None and isinstance(data, pd.DataFrame):
        attrs = dict(data.attrs)
        cols: dict[str, Any] = {k: c.column_values(s) for k, s in data.items()}
    else:
        attrs = {}
        cols = {k: c.column_values(v) for k, v in data.items()}
    n = c.n_rows(cols)
    if n == 0:
        raise c.fail(src, "no data rows")
    for k, v in cols.items():
        if isinstance(v, np.ndarray):
            if v.ndim != 1 or v.shape[0] != n:
                raise c.fail(src, f"column '{k}' does not have one value per row")
        elif np.ndim(v) != 1 or len(v) != n:
            raise c.fail(src, f"column '{k}' does not have one value per row")
    for req in c.REQUIRED:
        if req not in cols:
            raise c.fail(src, f"missing column '{req}'")
        col = np.asarray(cols[req], dtype=float)
        if not (math.isfinite(col[0]) or np.isfinite(col).any()):
            raise c.fail(src, f"column '{req}' has no finite values")
        if not math.isfinite(np.add.reduce(col)):  # one pass; a finite sum: all finite
            bad = int(n - np.isfinite(col).sum())
            if bad:
                meta["warnings"].append(_non_finite_note(req, bad, n))
    # drop optional columns that are entirely empty
    for k in [k for k, v in cols.items() if k not in c.REQUIRED and _all_missing(v)]:
        del cols[k]
    block = _FloatBlock.of(cols, n)
    for k, v in cols.items():
        if isinstance(v, np.ndarray) and not (
            v.flags.writeable and v.flags.c_contiguous and v.flags.aligned
        ):
            # a read-only buffer must not end up inside the table, and the rules below run
            # ~2x faster on contiguous, aligned values than on a record's field view
            cols[k] = v.copy()
    t = np.asarray(cols[c.TIME], dtype=float)
    dt = t[1:] - t[:-1]
    back = dt < 0
    if back.any():
        meta["warnings"].append(
            f"Test Time decreases {int(back.sum())} times; those intervals carry no charge"
        )
    check_values(cols, meta, n)
    _check_sign(cols, meta, block)
    kind = meta.get("current_kind", "instantaneous")
    freq = cols.get(FREQUENCY)
    if freq is None:
        cur = np.asarray(cols[c.CURRENT], dtype=float)
    else:
        cur = dc_current_values(cols[c.CURRENT], freq)
    st = np.asarray(cols[c.STEP_TIME], dtype=float) if c.STEP_TIME in cols else None
    method = "hold" if kind == "interval_mean" else "trapezoid"
    dq = charge_increments(t, cur, method, st)
    cols[c.CYCLE] = detect_cycles(cur, dq)
    cols[c.STEP] = step_counts(
        cur, np.asarray(cols[c.STEP_INDEX], dtype=float) if c.STEP_INDEX in cols else None
    )
    first = [k for k in (c.TIME, c.VOLTAGE, c.CURRENT, c.CYCLE, c.STEP) if k in cols]
    order = first + [k for k in cols if k not in first]
    out = ColumnTable({k: cols[k] for k in order}, attrs)
    out._block = block
    out.attrs["current_kind"] = kind
    out.attrs["cycle_rule"] = "current"
    out.attrs["format"] = meta.get("format")
    meta.setdefault("current_kind", kind)
    meta["n_points"] = int(n)
    return out
