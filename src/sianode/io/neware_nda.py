"""Own numpy reader for Neware ``.nda`` files of versions 26 and 29.

For small files the polars machinery of fastnda costs several milliseconds per call (about
nine lazy collects), far more than the parsing itself. This module reads the one record
layout of nda versions 26/29 with numpy and produces the very columns fastnda 1.3.1 returns
with its defaults (``cycle_mode="chg"``), operation for operation:

* records are 86 bytes from the first ``55 00 01 00 00 00`` on; identifier 85 is a data
  record, 101 an auxiliary (temperature/voltage) record;
* current, capacity and energy are scaled by a multiplier from the record's current range
  (the file's fixed range where the record says 0);
* ``step_count`` counts changes of the record's step counter, ``cycle_count`` is counted
  anew: +1 at each charge step that follows a discharge step (fastnda's "chg" mode);
* ``total_time_s`` is the step time plus the longest step time of every earlier step;
  step, total and Unix times are rounded to the microsecond as polars ``round(6)`` does,
  ``rint(x * 1e6) / 1e6`` (checked equal to polars on millions of values);
* float32 columns are computed in the same precision and order as the polars expressions;
  polars divides by a constant as a multiplication by its reciprocal (``x / 1000`` is
  ``x * (1 / 1000)``, in float32 for a float32 column), and so does this module.

Anything outside what this covers returns None and fastnda reads the file: other versions,
a name not ending in ``.nda`` (fastnda dispatches on it), auxiliary records, records out of
index order, a step type fastnda warns about (Pulse, SIM, Ramp), a timestamp that is not a
real date and time, no data records, or a fastnda version other than the one checked. So
corrupt or truncated input ends up in fastnda and raises what it raised before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import _common as c
from .counters import run_numbers

#: fastnda and polars versions whose nda 26/29 output this reader was checked against
#: (the float rounding of some steps is polars' own); with others fastnda reads the file
CHECKED_FASTNDA = ("1.3.1",)
CHECKED_POLARS = ("2.1.0",)

_SIGNATURE = b"\x55\x00\x01\x00\x00\x00"
_RECORD_LEN = 86
_DATA_ID = 85
_AUX_ID = 101
_VERSIONS = (26, 29)
#: step types after which fastnda logs a warning about cycle numbers
_WARN_STEP_TYPES = (16, 17, 25)

_RECORD = np.dtype(
    {
        "names": [
            "identifier",
            "index",
            "cycle",
            "step_index",
            "step_type",
            "step_counter",
            "step_time_ms",
            "voltage",
            "current",
            "chg_cap",
            "dchg_cap",
            "chg_energy",
            "dchg_energy",
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "range",
        ],
        "formats": [
            "u1",
            "<u4",
            "<u4",
            "<u2",
            "u1",
            "u1",
            "<u8",
            "<i4",
            "<i4",
            "<i8",
            "<i8",
            "<i8",
            "<i8",
            "<u2",
            "u1",
            "u1",
            "u1",
            "u1",
            "u1",
            "<i4",
        ],
        "offsets": [0, 2, 6, 10, 12, 13, 14, 22, 26, 38, 46, 54, 62, 70, 72, 73, 74, 75, 76, 78],
        "itemsize": _RECORD_LEN,
    }
)


def _range_multiplier(rng: np.ndarray) -> np.ndarray:
    """Scale of current, capacity and energy per record from its current range.

    The cases of fastnda's ``_range_to_mult`` in the same order: the first that holds wins.
    """
    a = np.abs(rng.astype(np.int64))
    neg = np.select(
        [a < 10, a < 100, a < 1000, a < 1000000, a < 10000000, a < 100000000],
        [1e-5, 1e-4, 1e-3, 1e-2, 1e-8, 1e-7],
        1e-6,
    )
    pos = np.select([a < 10, a < 100, a < 1000], [1e-4, 1e-3, 1e-2], 1e-1)
    return np.where((rng == 0) | (rng < -2e9), 1e-1, np.where(rng < 0, neg, pos))


def _round6(x: np.ndarray) -> np.ndarray:
    """polars ``Expr.round(6)`` of float64 values (round half to even after scaling)."""
    return np.rint(x * 1e6) / 1e6


def _epoch_us(rec: np.ndarray) -> np.ndarray | None:
    """Microseconds since 1970 of the records' date and time; None unless all are valid."""
    secs = c.epoch_seconds(
        *(rec[k] for k in ("year", "month", "day", "hour", "minute", "second")), years=(1970, 2200)
    )
    return None if secs is None else secs * 1_000_000


def _cycle_count(step_type: np.ndarray, charge_map: dict[int, int]) -> np.ndarray:
    """fastnda's ``_generate_cycle_number`` in "chg" mode.

    Step types map to 1 (charge) or 0 (discharge), others are skipped (forward filled);
    the cycle goes up by one at every change from discharge to charge.
    """
    lut = np.full(256, -1, dtype=np.int64)
    for k, v in charge_map.items():
        if 0 <= k < 256:
            lut[k] = v
    state = lut[step_type]
    known = state >= 0
    # forward fill: index of the last known row at or before each row
    last = np.maximum.accumulate(np.where(known, np.arange(len(state)), -1))
    filled = np.where(last >= 0, state[np.maximum(last, 0)], -1)
    up = np.zeros(len(state), dtype=np.int64)
    # a difference exists only where this row and the previous one are both filled
    both = (filled[1:] >= 0) & (filled[:-1] >= 0)
    up[1:] = both & (filled[1:] - filled[:-1] == 1)
    return (np.cumsum(up) + 1).astype(np.uint32)


def read(path: Path, raw: bytes) -> dict[str, Any] | None:
    """fastnda's columns of an nda 26/29 file, or None when fastnda should read it.

    Parameters
    ----------
    path : Path
        The file (only its suffix is looked at).
    raw : bytes
        The whole file.

    Returns
    -------
    dict or None
        fastnda's column names -> numpy arrays of fastnda's dtypes, except ``step_type``,
        which holds the step type names (object array, None where fastnda has null). The
        record numbers (``index``) are those of the data records kept, so a record whose
        identifier byte is damaged shows as a gap.
    """
    try:
        import fastnda
        from fastnda.dicts import CHARGE_DISCHARGE_MAP, STEP_TYPE_MAP
    except ImportError:  # pragma: no cover
        return None
    import polars

    if getattr(fastnda, "__version__", None) not in CHECKED_FASTNDA:
        return None
    if getattr(polars, "__version__", None) not in CHECKED_POLARS:
        return None
    return parse(path, raw, dict(STEP_TYPE_MAP), dict(CHARGE_DISCHARGE_MAP))


def parse(
    path: Path, raw: bytes, step_names: dict[int, str], charge_map: dict[int, int]
) -> dict[str, Any] | None:
    """The work of :func:`read`, with fastnda's step type and charge/discharge maps given."""
    if path.suffix.lower() != ".nda" or len(raw) < 20 or raw[:6] != b"NEWARE":
        return None
    if raw[14] not in _VERSIONS:
        return None
    block = int.from_bytes(raw[16:20], "little")
    if block + 30 > len(raw):
        return None
    fixed_range = int.from_bytes(raw[block + 26 : block + 30], "little", signed=True)
    start = raw.find(_SIGNATURE)
    if start < 0:
        return None
    n = (len(raw) - start) // _RECORD_LEN
    recs = np.frombuffer(raw, dtype=_RECORD, count=n, offset=start)
    ident = recs["identifier"]
    if np.any(ident == _AUX_ID):
        return None
    rec = recs[ident == _DATA_ID]
    m = len(rec)
    if m == 0:
        return None
    index = rec["index"].astype(np.int64)
    if np.any(np.diff(index) <= 0):
        return None
    step_type = rec["step_type"]
    if np.isin(step_type, _WARN_STEP_TYPES).any():
        return None
    us = _epoch_us(rec)
    if us is None:
        return None

    rng = rec["range"]
    rng = np.where(rng == 0, np.int32(fixed_range), rng)
    mult = _range_multiplier(rng)

    def scaled(name: str) -> np.ndarray:
        return ((rec[name].astype(np.float64) * mult) * (1 / 3600)).astype(np.float32)

    step_count = run_numbers(rec["step_counter"])  # fastnda's _count_changes
    step_time = rec["step_time_ms"].astype(np.float64) * (1 / 1000)
    # longest step time of each step (steps are contiguous runs), summed over earlier steps
    starts = np.flatnonzero(np.diff(step_count, prepend=0))
    step_max = np.maximum.reduceat(step_time, starts)
    before = np.zeros(len(step_max))
    before[1:] = step_max[:-1]
    total_time = step_time + np.cumsum(before)[step_count - 1]

    names = np.empty(256, dtype=object)
    for k in range(256):
        names[k] = step_names.get(k)
    return {
        "index": rec["index"].copy(),
        "voltage_V": rec["voltage"].astype(np.float32) * (np.float32(1) / np.float32(10000)),
        "current_mA": (rec["current"].astype(np.float64) * mult).astype(np.float32),
        "unix_time_s": _round6(us.astype(np.float64) * 1e-6),
        "step_time_s": _round6(step_time),
        "total_time_s": _round6(total_time),
        "cycle_count": _cycle_count(step_type, charge_map),
        "step_count": step_count.astype(np.uint32),
        "step_index": rec["step_index"].astype(np.uint32),
        "step_type": names[step_type],
        "capacity_mAh": scaled("chg_cap") - scaled("dchg_cap"),
        "energy_mWh": scaled("chg_energy") - scaled("dchg_energy"),
    }
