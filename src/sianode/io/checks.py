"""Checks of what a reader read against what the file itself says.

A corrupt byte in a cycler file rarely makes it unreadable: it turns one value into another
(a lost decimal point makes 3.7012 V read as 37012 V), drops records, or scrambles a
counter. These checks compare the table with the file's own statements and with the
physics of a cell channel, and add one warning per finding to ``meta["warnings"]`` (the
CLI prints them), so a damaged file never gives a plausible-looking table in silence:

* **plausible ranges** of voltage, current, capacity and time, in BDF units: a cell
  channel does not see more than :data:`LIMITS`;
* **outliers**: values more than :data:`OUTLIER_FACTOR` times the column's own 99th
  percentile of magnitude (on the 30 shared real files the largest ratio is 4.5);
* **time**: ``Test Time`` jumping forward by more than ``OUTLIER_FACTOR`` times its
  99th-percentile step and more than a day (the largest real ratio is 10);
* **instrument cycle counter** decreasing (it never does in the real files);
* **record counts**: ``meta["records_declared"]`` (what the file's header says, set by the
  reader) against the rows read.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..columns import CHG_CAP, CURRENT, DCHG_CAP, INST_CYCLE, TIME, VOLTAGE
from .counters import percentile_linear

__all__ = ["LIMITS", "OUTLIER_FACTOR", "check_values", "check_record_index"]

#: Largest magnitude plausible on a cell-cycler channel, per column (BDF units): 100 V
#: covers module testers, 10 kA and 10 kAh are far beyond any cell; 100 years of test time.
LIMITS: dict[str, tuple[float, str]] = {
    VOLTAGE: (100.0, "V"),
    CURRENT: (1e4, "A"),
    CHG_CAP: (1e4, "Ah"),
    DCHG_CAP: (1e4, "Ah"),
    TIME: (100 * 365.25 * 86400.0, "s"),
}
#: A value this many times the column's 99th percentile of magnitude is a damaged value.
OUTLIER_FACTOR = 1000.0
#: A forward time step must also exceed this to be reported [s].
MIN_TIME_JUMP_S = 86400.0


def _range_note(name: str, values: Any) -> str | None:
    """A warning when a column leaves its plausible range or has 1000x outliers."""
    a = np.abs(np.asarray(values, dtype=float))
    total = float(np.add.reduce(a))
    if not math.isfinite(total):  # one pass; a finite sum: every value finite
        a = a[np.isfinite(a)]
        total = float(np.add.reduce(a))
    if a.size == 0:
        return None
    limit, unit = LIMITS[name]
    top = float(a.max())
    notes = []
    if top > limit:
        k = int(np.count_nonzero(a > limit))
        notes.append(f"{k} values beyond {limit:g} {unit} (largest {top:.4g} {unit})")
    # At most 1 % of the values exceed the 99th percentile P, so mean <= 0.99 P + 0.01 top,
    # and top <= 1000 P whenever top <= 90 mean: the percentile is needed only above that.
    if a.size >= 20 and top > 90.0 * total / a.size:
        p99 = percentile_linear(a, 99.0)
        if p99 > 0 and top > OUTLIER_FACTOR * p99:
            k = int(np.count_nonzero(a > OUTLIER_FACTOR * p99))
            notes.append(
                f"{k} values more than {OUTLIER_FACTOR:g} times its 99th percentile"
                f" ({p99:.4g} {unit}; largest {top:.4g} {unit})"
            )
    if not notes:
        return None
    return (
        f"column '{name}': " + "; ".join(notes) + " - implausible for a cell channel; the file"
        " may be damaged, check those rows"
    )


def _time_jump_note(t: np.ndarray) -> str | None:
    dt = t[1:] - t[:-1]
    if dt.size < 20 or not float(np.nanmax(dt, initial=-np.inf)) > MIN_TIME_JUMP_S:
        return None  # (nanmax: no step over a day, nothing to report)
    pos = dt[np.isfinite(dt) & (dt > 0)]
    if pos.size < 20:
        return None
    p99 = percentile_linear(pos, 99.0, overwrite=True)
    bound = max(OUTLIER_FACTOR * p99, MIN_TIME_JUMP_S)
    big = pos > bound  # (pos is reordered, not changed)
    if not big.any():
        return None
    return (
        f"Test Time jumps forward {int(big.sum())} times by more than {bound:.4g} s (largest"
        f" {float(pos.max()):.4g} s; 99 % of steps are below {p99:.4g} s): those intervals"
        " carry the charge of the whole jump; the file may be damaged"
    )


def check_values(cols: dict[str, Any], meta: dict[str, Any], n: int) -> None:
    """Add a warning to ``meta["warnings"]`` for each implausible finding (module doc).

    Parameters
    ----------
    cols : dict
        BDF column name -> 1-D array, as :func:`sianode.io.finish` holds them.
    meta : dict
        The reader's metadata; ``records_declared`` (int), when present, is the number of
        records the file says it holds.
    n : int
        Number of rows read.
    """
    notes = meta["warnings"]
    for name in LIMITS:
        if name in cols:
            note = _range_note(name, cols[name])
            if note:
                notes.append(note)
    note = _time_jump_note(np.asarray(cols[TIME], dtype=float))
    if note:
        notes.append(note)
    if INST_CYCLE in cols:
        cyc = np.asarray(cols[INST_CYCLE], dtype=float)
        ok = np.isfinite(cyc)
        down = int(np.count_nonzero(np.diff(cyc[ok]) < 0))
        if down:
            notes.append(
                f"column '{INST_CYCLE}': the instrument's cycle counter decreases {down}"
                " times (it only counts up); the file may be damaged"
            )
    declared = meta.get("records_declared")
    if declared is not None and int(declared) != n:
        notes.append(
            f"the file says it holds {int(declared)} records, {n} were read"
            f" ({abs(int(declared) - n)} {'missing' if n < int(declared) else 'extra'})"
        )


def check_record_index(index: Any, what: str) -> str | None:
    """A warning when a record counter (1, 2, 3, ...) skips or repeats values.

    Parameters
    ----------
    index : array
        The file's own record numbers, in the order read.
    what : str
        Their name in the file, for the message.

    Returns
    -------
    str or None
    """
    idx = np.asarray(index, dtype=float)
    idx = idx[np.isfinite(idx)]
    if idx.size < 2:
        return None
    step = np.diff(idx)
    missing = float(np.sum(step[step > 1] - 1))
    back = int(np.count_nonzero(step <= 0))
    if not missing and not back:
        return None
    parts = []
    if missing:
        parts.append(f"{missing:.0f} records missing")
    if back:
        parts.append(f"{back} out of order or repeated")
    return (
        f"record numbers ({what}) are not consecutive: " + ", ".join(parts) + f" of"
        f" {int(idx.max() - idx.min() + 1)}; the file may be damaged"
    )
