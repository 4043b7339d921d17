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


def _check_sign(cols: dict[str, Any], meta: dict[str, Any]) -> None:
    """Flip the current when the file's capacity counters say it is positive on discharge.

    ``cols`` maps column names to arrays; the current is replaced in it when flipped.
    """
    from ..cycling import counter_increments

    if c.CHG_CAP not in cols or c.DCHG_CAP not in cols:
        return
    i = np.asarray(cols[c.CURRENT], dtype=float)
    qc = counter_increments(cols[c.CHG_CAP])
    qd = counter_increments(cols[c.DCHG_CAP])
    tot = qc.sum() + qd.sum()
    if tot <= 0:
        return
    agree = qc[i > 0].sum() + qd[i < 0].sum()
    disagree = qc[i < 0].sum() + qd[i > 0].sum()
    if disagree > 0.9 * tot and disagree > 10 * agree:
        cols[c.CURRENT] = -i
        meta["warnings"].append(
            "current grows the discharge counter when positive: sign flipped to BDF's rule"
            " (positive current charges the test object)"
        )


def _all_missing(v: Any) -> bool:
    """True when every value is missing; decided by the first value in most columns."""
    if len(v) == 0:
        return True
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return bool(np.isnan(v[0]) and np.isnan(v).all())
    first = v[0]
    if np.ndim(first) == 0 and not pd.isna(first):
        return False
    return bool(pd.isna(v).all())


_COLUMN_INDEX: dict[tuple[str, ...], pd.Index] = {}


def _column_index(names: list[str]) -> pd.Index:
    """``pd.Index(names)``; a copy of a cached one (building a text Index costs ~30 us)."""
    key = tuple(names)
    idx = _COLUMN_INDEX.get(key)
    if idx is None:
        if len(_COLUMN_INDEX) > 256:
            _COLUMN_INDEX.clear()
        idx = _COLUMN_INDEX[key] = pd.Index(names)
    return idx.copy()  # a copy: a caller may rename its own table's columns


def _table(cols: dict[str, Any], n: int) -> pd.DataFrame:
    """One DataFrame from checked 1-D columns of length ``n``, in the order given.

    Numeric numpy columns go in as they are; anything else (text, dates, extension arrays)
    first takes the dtype pandas itself infers for it, so the table equals
    ``pd.DataFrame(cols)``. Built with pandas' ``DataFrame._from_arrays`` (private, but the
    constructor's own last step), which skips re-checking every column: about 5x faster on a
    small file. If that call is not available, the public constructor builds it.
    """
    arrays = [
        v
        if isinstance(v, np.ndarray) and v.dtype.kind in "fiub"
        else pd.Series(v, copy=False).array
        for v in cols.values()
    ]
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if from_arrays is not None:
        try:
            return from_arrays(
                arrays,
                columns=_column_index(list(cols)),
                index=pd.RangeIndex(n),
                verify_integrity=False,
            )
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
            if not v.flags.writeable:
                cols[k] = v.copy()  # a read-only buffer must not end up inside the table
        elif np.ndim(v) != 1 or len(v) != n:
            raise c.fail(src, f"column '{k}' does not have one value per row")
    for req in c.REQUIRED:
        if req not in cols:
            raise c.fail(src, f"missing column '{req}'")
        col = np.asarray(cols[req], dtype=float)
        if not np.isfinite(col).any():
            raise c.fail(src, f"column '{req}' has no finite values")
    # drop optional columns that are entirely empty
    for k in [k for k, v in cols.items() if k not in c.REQUIRED and _all_missing(v)]:
        del cols[k]
    t = np.asarray(cols[c.TIME], dtype=float)
    dt = np.diff(t)
    if np.any(dt < 0):
        meta["warnings"].append(
            f"Test Time decreases {int(np.sum(dt < 0))} times; those intervals carry no charge"
        )
    _check_sign(cols, meta)
    kind = meta.get("current_kind", "instantaneous")
    freq = cols.get("Frequency / Hz")
    cur = dc_current_values(cols[c.CURRENT], freq)
    st = np.asarray(cols[c.STEP_TIME], dtype=float) if c.STEP_TIME in cols else None
    dq = charge_increments(t, cur, "hold" if kind == "interval_mean" else "trapezoid", st)
    cols[c.CYCLE] = detect_cycles(cur, dq)
    cols[c.STEP] = step_counts(
        cur, np.asarray(cols[c.STEP_INDEX], dtype=float) if c.STEP_INDEX in cols else None
    )
    first = [k for k in (c.TIME, c.VOLTAGE, c.CURRENT, c.CYCLE, c.STEP) if k in cols]
    order = first + [k for k in cols if k not in first]
    out = _table({k: cols[k] for k in order}, n)
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
