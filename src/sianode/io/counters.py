"""Counters of a cycler time series from its current: the documented rules behind
``Cycle Count / 1`` and ``Step Count / 1``.

Readers (:func:`sianode.io.finish`) fill the counters with these rules, and the cycle
analysis (:mod:`sianode.cycling`) uses them again; they depend on numpy only. Rules:

*Active points.* A point is *active* when ``|I| > 1e-3 * P99.5(|I|)`` (the 99.5th
percentile of the absolute current in the file; at least 1e-12 A). Rests and open-circuit
points are inactive.

*Half cycles.* Consecutive active points of one sign form a segment. A segment that passes
less than 0.5 % of the charge of the largest segment (a sign flicker at a step change, a
noise spike during a rest) is absorbed into the preceding segment, and neighbours of the same
sign merge. Each remaining segment is a half cycle; inactive points belong to the half cycle
before them (points before the first active point belong to the first one).

*Cycles.* The sign of the first half cycle is the *opening* direction (override with
``opening``). A new cycle starts at every half cycle in the opening direction; the first is
cycle 1. A Si half cell that starts with lithiation therefore has cycles (lithiation,
delithiation), like the instruments' "charge/discharge alternance".

*Steps.* ``Step Count / 1`` starts at 1 and increments whenever the instrument's step index
changes, or, without one, whenever the current changes class (positive, negative, rest).

*Charge.* The charge passed between two samples is the trapezoid ``(I[k] + I[k-1]) / 2 *
(t[k] - t[k-1])`` (``method="trapezoid"``), or ``I[k] * (t[k] - t[k-1])`` for currents that
are interval means (``method="hold"``; BioLogic ``<I>`` and currents derived from ``dq``).
Where the instrument's ``Step Time / s`` restarts, the interval is split at the step change
(old current before it, new current after it) instead of averaging across it.
Intervals with a negative or non-finite time step carry no charge. Positive increments sum to
the BDF charge, negative ones to the discharge of a cycle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = [
    "ACTIVE_FRACTION",
    "MERGE_FRACTION",
    "active_threshold",
    "active_signs",
    "percentile_linear",
    "charge_increments",
    "half_cycle_labels",
    "detect_cycles",
    "run_numbers",
    "step_counts",
    "dc_current_values",
    "counter_increments",
    "fill_gaps",
]

ACTIVE_FRACTION = 1e-3
MERGE_FRACTION = 5e-3


def percentile_linear(values: np.ndarray, q: float, overwrite: bool = False) -> float:
    """``numpy.percentile(values, q)`` (default "linear" method) for a 1-D float array.

    The same order statistics and the same interpolation expression as numpy (checked
    against it in tests/test_cycling.py), from one ``np.partition``: numpy's general
    implementation costs ~40 us of bookkeeping per call, which mattered on small files.

    Parameters
    ----------
    values : numpy.ndarray
        Finite values, at least one.
    q : float
        Percentile in [0, 100].
    overwrite : bool
        Partition ``values`` in place instead of a copy (like numpy's
        ``overwrite_input``).

    Returns
    -------
    float
    """
    n = values.size
    v = (n - 1) * (q / 100.0)
    lo = int(np.floor(v))
    hi = min(lo + 1, n - 1)
    kth = [lo, hi] if hi != lo else lo
    if overwrite:
        values.partition(kth)
        part = values
    else:
        part = np.partition(values, kth)
    a, b = part[lo], part[hi]
    t = v - lo
    d = b - a
    # numpy's _lerp: from the nearer end, so t = 1 gives b exactly
    return float(b - d * (1 - t)) if t >= 0.5 else float(a + d * t)


def active_threshold(current: Any) -> float:
    """Current magnitude above which a point counts as active [A].

    Parameters
    ----------
    current : array
        Current [A].

    Returns
    -------
    float
        ``1e-3 * P99.5(|I|)``, at least 1e-12 [A].
    """
    return _threshold(np.abs(np.asarray(current, dtype=float)))[0]


def _threshold(a: np.ndarray) -> tuple[float, bool]:
    """:func:`active_threshold` from ``|I|``, and whether every value of ``a`` is finite.

    ``a`` is reordered (partitioned in place).
    """
    # a finite sum of values >= 0 proves them all finite in one pass, without a mask
    all_finite = math.isfinite(np.add.reduce(a)) or bool(np.isfinite(a).all())
    if not all_finite:
        a = a[np.isfinite(a)]
    if a.size == 0:
        return 1e-12, all_finite
    return max(ACTIVE_FRACTION * percentile_linear(a, 99.5, overwrite=True), 1e-12), all_finite


def active_signs(current_A: Any) -> np.ndarray:
    """+1 / -1 for active charging / discharging points, 0 for inactive ones (int8).

    A point is active when its current is finite and ``|I|`` exceeds
    :func:`active_threshold` (rule in the module doc).

    Parameters
    ----------
    current_A : array
        Current [A], BDF sign.

    Returns
    -------
    numpy.ndarray of int8
    """
    i = np.asarray(current_A, dtype=float)
    thr, all_finite = _threshold(np.abs(i))
    # two comparisons instead of sign/abs/where: NaN compares False, so it is inactive
    sign = (i > thr).view(np.int8) - (i < -thr).view(np.int8)
    if not all_finite:
        sign[~np.isfinite(i)] = 0  # +-inf is not a current
    return sign


def charge_increments(
    time_s: Any, current_A: Any, method: str = "trapezoid", step_time_s: Any | None = None
) -> np.ndarray:
    """Charge passed in the interval ending at each sample [A h] (first sample: 0).

    Parameters
    ----------
    time_s : array
        Test time [s].
    current_A : array
        Current [A], BDF sign.
    method : {"trapezoid", "hold"}
        Trapezoid rule, or ``I[k] * dt`` for interval-mean currents.
    step_time_s : array, optional
        Instrument step time [s]. Where it restarts (a new step began between two samples,
        ``step_time[k]`` seconds before sample ``k``), the interval is split at the step
        change: ``I[k-1]`` before it, ``I[k]`` after it, instead of averaging across it.

    Returns
    -------
    numpy.ndarray
        Signed increments [A h]; intervals with ``dt <= 0`` or NaN give 0.
    """
    t = np.asarray(time_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    if method not in ("trapezoid", "hold"):
        raise ParameterError(f"method: expected 'trapezoid' or 'hold', got {method!r}")
    if t.size < 2:
        return np.zeros(t.size)
    dt = t[1:] - t[:-1]
    # in-place arithmetic in the same order as 0.5 * (I[k] + I[k-1]) * dt / 3600, so the
    # result is bit-identical to that expression (tested), with fewer temporary arrays
    out = np.empty(i.size)
    out[0] = 0.0
    inc = out[1:]
    if method == "trapezoid":
        np.add(i[1:], i[:-1], out=inc)
        inc *= 0.5
    else:
        inc[:] = i[1:]
    inc *= dt
    inc /= 3600.0
    if step_time_s is not None:
        st = np.asarray(step_time_s, dtype=float)
        new = (st[1:] < st[:-1]) & np.isfinite(st[1:]) & (dt > 0)
        if new.any():
            k = np.flatnonzero(new)
            after = np.clip(st[1:][k], 0.0, dt[k])
            inc[k] = (i[:-1][k] * (dt[k] - after) + i[1:][k] * after) / 3600.0
    good = np.isfinite(inc)
    good &= dt > 0
    np.copyto(inc, 0.0, where=~good)
    return out


def _segments(sign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and signs of runs of equal non-zero sign (zeros skipped)."""
    idx = sign.nonzero()[0]
    if idx.size == 0:
        return idx, idx
    s = sign[idx]
    new = np.empty(idx.size, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    return idx[new], s[new]


def _half_cycle_starts(i: np.ndarray, dq_Ah: Any | None) -> tuple[np.ndarray, np.ndarray]:
    """Start index and sign of each half cycle of current ``i`` [A] (rule in module doc)."""
    n = i.size
    sign = active_signs(i)  # changed in place by the merge rule
    q = _charge_magnitude(i, dq_Ah)
    starts, signs = _segments(sign)
    for _ in range(3):
        if starts.size <= 1:
            break
        # charge of each segment: from its start to the next segment's start
        qseg = np.add.reduceat(q, starts)
        top = float(np.max(qseg))
        tiny = np.flatnonzero(qseg < MERGE_FRACTION * top)
        if tiny.size == 0:
            break
        bounds = np.append(starts, n)
        for k in tiny:
            new_sign = signs[k - 1] if k > 0 else signs[k + 1]
            seg = slice(bounds[k], bounds[k + 1])
            sign[seg] = np.where(sign[seg] != 0, new_sign, 0)
        starts, signs = _segments(sign)
    return starts, signs


def _charge_magnitude(current_A: np.ndarray, dq_Ah: Any | None) -> np.ndarray:
    """``|dq|`` with non-finite values as 0 (``|I|`` when ``dq`` is not given)."""
    q = np.abs(np.asarray(dq_Ah, dtype=float)) if dq_Ah is not None else np.abs(current_A)
    if math.isfinite(np.add.reduce(q)):  # a finite sum of values >= 0: all finite
        return q
    return np.where(np.isfinite(q), q, 0.0)


def _repeat_runs(starts: np.ndarray, n: int, first: int) -> np.ndarray:
    """``first`` for ``[0, starts[0])``, ``first + 1`` for ``[starts[0], starts[1])``, ...

    ``starts`` are increasing positions in ``(0, n)``. One ``np.repeat``: about 4x faster
    than a cumulative sum of change marks on a few thousand points.
    """
    bounds = np.empty(starts.size + 2, dtype=np.int64)
    bounds[0] = 0
    bounds[1:-1] = starts
    bounds[-1] = n
    values = np.arange(first, first + starts.size + 1, dtype=np.int64)
    return np.repeat(values, bounds[1:] - bounds[:-1])


def half_cycle_labels(current_A: Any, dq_Ah: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Half-cycle label of each point and the sign of each half cycle (rule in module doc).

    Parameters
    ----------
    current_A : array
        Current [A], BDF sign.
    dq_Ah : array, optional
        Charge increments [A h] (for the merge rule); trapezoid with unit time if omitted.

    Returns
    -------
    labels : numpy.ndarray of int
        0-based half-cycle index per point (all 0 when no point is active).
    signs : numpy.ndarray of int
        +1 / -1 per half cycle (empty when no point is active).
    """
    i = np.asarray(current_A, dtype=float)
    starts, signs = _half_cycle_starts(i, dq_Ah)
    if starts.size == 0:
        return np.zeros(i.size, dtype=np.int64), signs.astype(int)
    return _repeat_runs(starts[1:], i.size, 0), signs.astype(int)


def detect_cycles(
    current_A: Any, dq_Ah: Any | None = None, opening: int | None = None
) -> np.ndarray:
    """Cycle number of each point from the current (rule in module doc).

    Parameters
    ----------
    current_A : array
        Current [A], BDF sign.
    dq_Ah : array, optional
        Charge increments [A h] used by the merge rule.
    opening : {+1, -1}, optional
        Direction that opens a cycle; default: the direction of the first half cycle.

    Returns
    -------
    numpy.ndarray of int
        Cycle numbers, 1-based (0 only for half cycles before an explicit ``opening``).
    """
    i = np.asarray(current_A, dtype=float)
    n = i.size
    starts, signs = _half_cycle_starts(i, dq_Ah)
    if signs.size == 0:
        return np.ones(n, dtype=np.int64)
    first = int(signs[0]) if opening is None else int(np.sign(opening))
    opens = signs == first
    # the first half cycle is cycle 1 (or 0 before an explicit opening direction); each
    # later half cycle in the opening direction starts the next cycle
    return _repeat_runs(starts[1:][opens[1:]], n, int(opens[0]))


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """NaN filled with the previous value, leading NaN with the first value (ffill, bfill)."""
    s = np.asarray(values, dtype=float)
    valid = ~np.isnan(s)
    if valid.all() or not valid.any():
        return s.copy()
    pos = np.where(valid, np.arange(s.size), 0)
    np.maximum.accumulate(pos, out=pos)
    out = s[pos]
    first = int(np.argmax(valid))
    out[:first] = s[first]
    return out


def run_numbers(x: np.ndarray) -> np.ndarray:
    """1-based run number of each element: +1 wherever the value differs from the previous.

    Parameters
    ----------
    x : numpy.ndarray
        1-D values.

    Returns
    -------
    numpy.ndarray of int64
    """
    if x.size == 0:
        return np.ones(0, dtype=np.int64)
    changes = (x[1:] != x[:-1]).nonzero()[0]
    changes += 1
    return _repeat_runs(changes, x.size, 1)


def step_counts(current_A: Any, step_index: Any | None = None) -> np.ndarray:
    """``Step Count / 1``: 1-based, +1 at each change of the step index or current class.

    Parameters
    ----------
    current_A : array
        Current [A].
    step_index : array, optional
        Instrument step index; when given (and not all NaN) its changes define steps.

    Returns
    -------
    numpy.ndarray of int
    """
    i = np.asarray(current_A, dtype=float)
    if i.size == 0:
        return np.zeros(0, dtype=np.int64)
    if step_index is not None:
        s = np.asarray(step_index, dtype=float)
        finite = np.isfinite(s)
        if finite.all():
            return run_numbers(s)
        if finite.any():
            return run_numbers(fill_gaps(s))
    thr = active_threshold(i)
    cls = np.where(np.abs(i) > thr, np.sign(i), 0.0)
    return run_numbers(cls)


def dc_current_values(current_A: Any, frequency_Hz: Any | None = None) -> np.ndarray:
    """Array form of :func:`dc_current`: a copy of the current with AC points set to 0."""
    i = np.array(current_A, dtype=float)
    if frequency_Hz is not None:
        f = np.asarray(frequency_Hz, dtype=float)
        i[np.isfinite(f) & (f > 0)] = 0.0
    return i


def counter_increments(values: Any) -> np.ndarray:
    """Per-sample increments of a cumulative counter that resets (per step or cycle).

    A rise counts as its difference; a drop is a reset, and the new value is the charge
    since the reset. NaN counts as 0. The first sample contributes nothing.

    Parameters
    ----------
    values : array
        The counter, 1-D; or 2-D with one counter per row (increments along each row).

    Returns
    -------
    numpy.ndarray
        Increments (>= 0, same unit as ``values``), same shape as ``values``.
    """
    c = np.abs(np.asarray(values, dtype=float))
    finite = np.isfinite(c)
    if not finite.all():
        c[~finite] = 0.0
    out = np.empty_like(c)
    out[..., :1] = 0.0
    rise = out[..., 1:]
    np.subtract(c[..., 1:], c[..., :-1], out=rise)
    np.copyto(rise, c[..., 1:], where=rise < 0)  # a reset
    return out
