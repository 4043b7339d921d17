"""Readers for real cycler files, normalised to the Battery Data Format (BDF).

``read(path)`` detects the format from the content and returns ``(data, metadata)``:

* ``data``: a :class:`pandas.DataFrame` with BDF's required columns ``Test Time / s``,
  ``Voltage / V``, ``Current / A`` (positive current charges the test object), the counters
  ``Cycle Count / 1`` and ``Step Count / 1`` computed by the documented rules of
  :mod:`sianode.io.counters` (so they work when the instrument's counters are missing or always
  0), optional BDF columns (``Unix Time / s``, ``Step Time / s``, ``Charging Capacity / Ah``,
  ``Discharging Capacity / Ah``...) and the instrument's own counters as extra columns
  (``Instrument Cycle / 1``, ``Step Index / 1``...). Units are converted explicitly.
* ``metadata``: ``format``, ``source_file``, ``instrument``, ``units_found``,
  ``column_mapping``, ``warnings`` and format-specific entries.

Every problem with a file is a :class:`~sianode.errors.ParsingError` whose one-line message
names the file and the reason. Text tables are checked line by line against their header
before pandas parses them (:mod:`.structure`), so a damaged file cannot make a read take
unbounded memory or time; what is read is checked against the file's own statements
(:mod:`.checks`: plausible ranges, 1000x outliers, time jumps, record numbers and counts),
and each finding is a warning in ``metadata["warnings"]``.

Modules: one per format; :mod:`.counters` (cycle and step rules), :mod:`.checks`,
:mod:`.structure`, and the helpers ``_files`` (bytes and text), ``_tables`` (delimited
text), ``_units``, ``_clock`` (durations, dates) gathered in ``_common``; ``_finish`` builds
the table. Column names come from :mod:`sianode.columns`.

``read_columns(path)`` returns the same table as a :class:`ColumnTable` (a dict of numpy
columns with ``attrs``) without importing pandas; ``read`` is it plus the DataFrame. The
binary formats (.mpr, .nda, .res...) are read without pandas; the text formats parse
with it either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError, ParsingError
from . import _common as c
from ._finish import ColumnTable, finish, finish_columns
from ._tables import LazyColumn
from .detect import FORMATS, detect

if TYPE_CHECKING:  # imported where a DataFrame is built: read_columns never needs it
    import pandas as pd

__all__ = [
    "read",
    "read_columns",
    "write_bdf",
    "detect",
    "finish",
    "finish_columns",
    "ColumnTable",
    "LazyColumn",
    "FORMATS",
]


#: Format -> (reader module, function). Only the module of the format being read is
#: imported: each pulls in its own dependencies (fastnda and polars, PyTables, calamine).
_READERS: dict[str, tuple[str, str]] = {
    "biologic_mpr": ("biologic", "read_mpr"),
    "biologic_text": ("biologic", "read_text"),
    "arbin_res": ("arbin", "read_res"),
    "arbin_csv": ("arbin", "read_csv"),
    "arbin_xlsx": ("arbin", "read_xlsx"),
    "maccor": ("maccor", "read"),
    "neware_nda": ("neware", "read_binary"),
    "neware_ndax": ("neware", "read_binary"),
    "neware_csv": ("neware", "read_csv"),
    "neware_regular": ("neware", "read_regular"),
    "pec": ("pec", "read"),
    "novonix": ("novonix", "read"),
    "indigo": ("indigo", "read"),
    "batterydata": ("batterydata", "read"),
    "bdf": ("bdf", "read"),
    "generic": ("generic", "read"),
}


def _reader(fmt: str) -> Callable[..., tuple[c.Columns, dict[str, Any]]]:
    """The reader function of ``fmt``, importing its module on first use."""
    from importlib import import_module

    module, name = _READERS[fmt]
    return getattr(import_module(f".{module}", __name__), name)


def read(
    path: str | Path | Sequence[str | Path],
    format: str | None = None,
    column_map: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a cycler file into a BDF table.

    Parameters
    ----------
    path : path-like or list of path-likes
        The file; a list reads the parts of a multi-part Maccor test (``.001``, ``.002``).
    format : str, optional
        One of :data:`FORMATS`; detected from the content when omitted.
    column_map : dict, optional
        ``{BDF name: source column}`` for the ``generic`` reader (implies it when given
        without ``format``).

    Returns
    -------
    (pandas.DataFrame, dict)
        Data in BDF names and units, and metadata.

    Raises
    ------
    ParsingError
        Unreadable, truncated, empty or unrecognised file, or missing columns.
    ParameterError
        Unknown ``format``.
    """
    data, meta, p, fmt = _read_source(path, format, column_map)
    return _finished(finish, data, meta, p, fmt), meta


def read_columns(
    path: str | Path | Sequence[str | Path],
    format: str | None = None,
    column_map: dict[str, str] | None = None,
) -> tuple[ColumnTable, dict[str, Any]]:
    """Read a cycler file into BDF columns: :func:`read` without building a DataFrame.

    Same parameters, checks, errors and metadata as :func:`read`; the table is a
    :class:`ColumnTable` (BDF name -> numpy array, in the DataFrame's column order, with
    its ``attrs``). A binary file (.mpr, .nda, .res...) is read without importing pandas.
    """
    data, meta, p, fmt = _read_source(path, format, column_map)
    return _finished(finish_columns, data, meta, p, fmt), meta


def _read_source(
    path: str | Path | Sequence[str | Path],
    format: str | None,
    column_map: dict[str, str] | None,
) -> tuple[Any, dict[str, Any], Path, str | None]:
    """The reader's columns and metadata, the path and the format (None: the parts of a
    Maccor test, whose finishing errors are not rewritten); see :func:`read`."""
    if isinstance(path, (list, tuple)):
        from . import maccor

        paths = [Path(p) for p in path]
        if not paths:
            raise ParameterError("path: empty list")
        for p in paths:
            if detect(p) != "maccor":
                raise ParsingError(f"{p.name}: only Maccor multi-part tests can be read as a list")
        data, meta = maccor.read_parts(paths)
        return data, meta, paths[0], None
    p = Path(path)
    if format is not None and format not in FORMATS:
        raise ParameterError(f"format: expected one of {FORMATS}, got {format!r}")
    fmt = format or ("generic" if column_map else detect(p))
    reader = _reader(fmt)
    try:
        if fmt == "generic":
            data, meta = reader(p, column_map)
        else:
            data, meta = reader(p)
    except ParsingError:
        raise
    except (
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        OverflowError,
        UnicodeError,
        MemoryError,
        AttributeError,
    ) as exc:
        # a reader's own checks should catch bad input; this is the last line of defence
        msg = str(exc).splitlines()[0] if str(exc) else ""
        raise c.fail(p, f"malformed {fmt} file ({type(exc).__name__}: {msg[:120]})") from exc
    return data, meta, p, fmt


def _finished(
    how: Callable[..., Any], data: Any, meta: dict[str, Any], p: Path, fmt: str | None
) -> Any:
    """``how(data, meta, p)`` (:func:`finish` or :func:`finish_columns`); a reader's
    malformed columns become a ParsingError naming the file.

    :func:`read` calls :func:`finish` itself rather than building the frame from
    :func:`read_columns`: the same table, but the order in which the reader's arrays are
    freed and the frame's allocated decides whether glibc hands the heap back to the
    system after every read (~2,000 page faults, 2 -> 6 ms on the 3.6 MB ``biol.mpr``).
    """
    if fmt is None:
        return how(data, meta, p)
    try:
        return how(data, meta, p)
    except ParsingError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
        raise c.fail(p, f"malformed {fmt} file ({type(exc).__name__})") from exc


def write_bdf(
    data: pd.DataFrame,
    path: str | Path,
    metadata: dict[str, Any] | None = None,
    fmt: str | None = None,
) -> tuple[Path, Path]:
    """Write ``data`` as ``.bdf.csv``/``.bdf.parquet`` plus a ``.metadata.json`` sidecar.

    See :func:`sianode.io.bdf.write`.
    """
    from .bdf import write

    return write(data, path, metadata, fmt)
