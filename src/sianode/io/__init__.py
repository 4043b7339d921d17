"""Readers for real cycler files, normalised to the Battery Data Format (BDF).

``read(path)`` detects the format from the content and returns ``(data, metadata)``:

* ``data``: a :class:`pandas.DataFrame` with BDF's required columns ``Test Time / s``,
  ``Voltage / V``, ``Current / A`` (positive current charges the test object), the counters
  ``Cycle Count / 1`` and ``Step Count / 1`` computed by the documented rules of
  :mod:`sianode.cycling` (so they work when the instrument's counters are missing or always
  0), optional BDF columns (``Unix Time / s``, ``Step Time / s``, ``Charging Capacity / Ah``,
  ``Discharging Capacity / Ah``...) and the instrument's own counters as extra columns
  (``Instrument Cycle / 1``, ``Step Index / 1``...). Units are converted explicitly.
* ``metadata``: ``format``, ``source_file``, ``instrument``, ``units_found``,
  ``column_mapping``, ``warnings`` and format-specific entries.

Every problem with a file is a :class:`~sianode.errors.ParsingError` whose one-line message
names the file and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError, ParsingError
from . import _common as c
from .detect import FORMATS, detect

__all__ = ["read", "write_bdf", "detect", "FORMATS"]


_READERS: dict[str, Callable[..., tuple[c.Columns, dict[str, Any]]]] = {}


def _reader(fmt: str) -> Callable[..., tuple[c.Columns, dict[str, Any]]]:
    if not _READERS:  # imported on first use: each reader pulls in its own dependencies
        from . import (
            arbin,
            batterydata,
            bdf,
            biologic,
            generic,
            indigo,
            maccor,
            neware,
            novonix,
            pec,
        )

        _READERS.update(
            {
                "biologic_mpr": biologic.read_mpr,
                "biologic_text": biologic.read_text,
                "arbin_res": arbin.read_res,
                "arbin_csv": arbin.read_csv,
                "arbin_xlsx": arbin.read_xlsx,
                "maccor": maccor.read,
                "neware_nda": neware.read_binary,
                "neware_ndax": neware.read_binary,
                "neware_csv": neware.read_csv,
                "neware_regular": neware.read_regular,
                "pec": pec.read,
                "novonix": novonix.read,
                "indigo": indigo.read,
                "batterydata": batterydata.read,
                "bdf": bdf.read,
                "generic": generic.read,
            }
        )
    return _READERS[fmt]


def _check_sign(
    cols: dict[str, Any], meta: dict[str, Any], block: _FloatBlock | None = None
) -> None:
    """Flip the current when the file's capacity counters say it is positive on discharge.

    ``cols`` maps column names to arrays; the current is replaced in it when flipped (or
    negated in place when it is a row of ``block``).
    """
    from ..cycling import counter_increments

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
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return math.isnan(v[0]) and bool(np.isnan(v).all())
    first = v[0]
    if np.ndim(first) == 0 and not pd.isna(first):
        return False
    return bool(pd.isna(v).all())


_COLUMN_INDEX: dict[tuple[str, ...], pd.Index] = {}


def _column_index(names: list[str]) -> pd.Index:
    """``pd.Index(names)``: a view of a cached one (building a text Index costs ~30 us).

    A view, so that a caller who renames its own table's columns or sets their name does not
    change the cached Index or another table's.
    """
    key = tuple(names)
    idx = _COLUMN_INDEX.get(key)
    if idx is None:
        if len(_COLUMN_INDEX) > 256:
            _COLUMN_INDEX.clear()
        idx = _COLUMN_INDEX[key] = pd.Index(names)
    return idx.view()


try:  # public since pandas 3.0
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover - pandas 2.x
    _from_blocks = None


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
    - otherwise pandas' ``DataFrame._from_arrays`` (private, but the constructor's own last
      step), with text, dates and extension arrays first given the dtype pandas itself
      infers for them;
    - if neither call is available, the public constructor.
    """
    columns = _column_index(list(cols))
    index = pd.RangeIndex(n)
    if _from_blocks is not None:
        blocks = _numeric_blocks(cols, block)
        if blocks is not None:
            return _from_blocks(blocks, index=index, columns=columns)
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if from_arrays is not None:
        arrays = [
            v
            if isinstance(v, np.ndarray) and v.dtype.kind in "fiub"
            else pd.Series(v, copy=False).array
            for v in cols.values()
        ]
        try:
            return from_arrays(arrays, columns=columns, index=index, verify_integrity=False)
        except (TypeError, ValueError):  # pragma: no cover - pandas changed the private call
            pass
    return pd.DataFrame(cols)


def finish(
    data: pd.DataFrame | Mapping[str, Any], meta: dict[str, Any], path: Any = None
) -> pd.DataFrame:
    """Validate a reader's columns and add ``Cycle Count / 1`` and ``Step Count / 1``.

    ``data`` is a reader's :data:`~sianode.io._common.Columns` (BDF name -> array) or a
    DataFrame. The result is built once, from the dict of column arrays.
    """
    from ..cycling import charge_increments, dc_current_values, detect_cycles, step_counts

    src = path if path is not None else meta.get("source_file")
    if isinstance(data, pd.DataFrame):
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
    _check_sign(cols, meta, block)
    kind = meta.get("current_kind", "instantaneous")
    freq = cols.get("Frequency / Hz")
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
    out = _table({k: cols[k] for k in order}, n, block)
    out.attrs.update(attrs)
    out.attrs["current_kind"] = kind
    out.attrs["cycle_rule"] = "current"
    out.attrs["format"] = meta.get("format")
    meta.setdefault("current_kind", kind)
    meta["n_points"] = int(len(out))
    return out


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
    if isinstance(path, (list, tuple)):
        from . import maccor

        paths = [Path(p) for p in path]
        if not paths:
            raise ParameterError("path: empty list")
        for p in paths:
            if detect(p) != "maccor":
                raise ParsingError(f"{p.name}: only Maccor multi-part tests can be read as a list")
        data, meta = maccor.read_parts(paths)
        return finish(data, meta, paths[0]), meta
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
    try:
        data = finish(data, meta, p)
    except ParsingError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
        raise c.fail(p, f"malformed {fmt} file ({type(exc).__name__})") from exc
    return data, meta


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
