"""Cycles, per-cycle capacities, dQ/dV and plots from a cycler time series in BDF names.

The input is the table returned by :func:`sianode.io.read` (``Test Time / s``,
``Voltage / V``, ``Current / A`` with BDF's sign rule: positive current charges the test
object). Everything here works from the current, so it does not depend on instrument
counters (which are missing, always 0 or defined differently by each vendor).

Rules (documented, and used by the readers to fill ``Cycle Count / 1`` and
``Step Count / 1``):

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

*Role.* In a half cell against lithium, negative current (the instrument's "discharge")
lithiates the working electrode, whatever that electrode is. ``role="anode"`` (Si, graphite)
reports coulombic efficiency as delithiation / lithiation; ``role="cathode"`` as
lithiation / delithiation (discharge / charge). Without a role only the BDF-sense
``charge``/``discharge`` columns are reported: sianode never guesses it silently
(:func:`suggest_role` proposes one from the voltage window).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .errors import CalculationError, ParameterError
from .metrics import summarise_cycles

__all__ = [
    "ACTIVE_FRACTION",
    "active_threshold",
    "active_signs",
    "percentile_linear",
    "half_cycle_labels",
    "dc_current",
    "dc_current_values",
    "counter_increments",
    "detect_cycles",
    "renumber_cycles",
    "step_counts",
    "charge_increments",
    "cycle_table",
    "suggest_role",
    "voltage_capacity",
    "dqdv",
    "plot_capacity",
    "plot_voltage_capacity",
    "plot_dqdv",
]

TIME = "Test Time / s"
VOLTAGE = "Voltage / V"
CURRENT = "Current / A"
CYCLE = "Cycle Count / 1"
INST_CYCLE = "Instrument Cycle / 1"
CHG_CAP = "Charging Capacity / Ah"
DCHG_CAP = "Discharging Capacity / Ah"

ACTIVE_FRACTION = 1e-3
MERGE_FRACTION = 5e-3
ROLES = ("anode", "cathode")


def _require(data: pd.DataFrame, cols: tuple[str, ...] = (TIME, VOLTAGE, CURRENT)) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("data: expected a pandas DataFrame in BDF names")
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ParameterError(f"data: missing BDF column(s) {missing}")


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


def _fill_gaps(values: np.ndarray) -> np.ndarray:
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
            return run_numbers(_fill_gaps(s))
    thr = active_threshold(i)
    cls = np.where(np.abs(i) > thr, np.sign(i), 0.0)
    return run_numbers(cls)


def dc_current(data: pd.DataFrame) -> np.ndarray:
    """Current [A] with impedance points (``Frequency / Hz`` > 0) set to 0.

    During an impedance measurement the recorded current is an AC sample, not a DC current
    that charges the cell; such points are treated as rests by every rule here.
    """
    freq = data["Frequency / Hz"] if "Frequency / Hz" in data.columns else None
    return dc_current_values(data[CURRENT], freq)


def dc_current_values(current_A: Any, frequency_Hz: Any | None = None) -> np.ndarray:
    """Array form of :func:`dc_current`: a copy of the current with AC points set to 0."""
    i = np.array(current_A, dtype=float)
    if frequency_Hz is not None:
        f = np.asarray(frequency_Hz, dtype=float)
        i[np.isfinite(f) & (f > 0)] = 0.0
    return i


def _increments(data: pd.DataFrame, method: str | None) -> np.ndarray:
    if method is None:
        method = "hold" if data.attrs.get("current_kind") == "interval_mean" else "trapezoid"
    st = data["Step Time / s"].to_numpy(float) if "Step Time / s" in data.columns else None
    return charge_increments(data[TIME].to_numpy(float), dc_current(data), method, st)


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


def suggest_role(data: pd.DataFrame) -> str | None:
    """Suggest the working-electrode role from the voltage window (half cell vs Li).

    Returns ``"anode"`` when the median voltage of active points is below 1.5 V and their
    0.5th percentile below 1.0 V (Si, graphite vs Li), ``"cathode"`` when the median is at
    least 2.5 V and the 0.5th percentile at least 1.5 V, else None. A suggestion only: :func:`cycle_table` never applies it by itself.

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names.

    Returns
    -------
    str or None
    """
    _require(data)
    v = data[VOLTAGE].to_numpy(float)
    i = dc_current(data)
    act = np.isfinite(v) & (np.abs(i) > active_threshold(i))
    vv = v[act] if act.sum() >= 3 else v[np.isfinite(v)]
    if vv.size == 0:
        return None
    lo, med = np.percentile(vv, [0.5, 50.0])
    if med < 1.5 and lo < 1.0:
        return "anode"
    if med >= 2.5 and lo >= 1.5:
        return "cathode"
    return None


def _grouping(data: pd.DataFrame, cycles: str, dq: np.ndarray) -> np.ndarray:
    if cycles == "current":
        if CYCLE in data.columns and data.attrs.get("cycle_rule") == "current":
            return data[CYCLE].to_numpy()
        return detect_cycles(dc_current(data), dq)
    if cycles == "instrument":
        if INST_CYCLE not in data.columns:
            raise ParameterError("cycles='instrument': the file has no instrument cycle counter")
        g = _fill_gaps(data[INST_CYCLE].to_numpy(float))
        if not np.isfinite(g).any():
            raise ParameterError("cycles='instrument': the instrument cycle counter is empty")
        return g.astype(np.int64)
    raise ParameterError(f"cycles: expected 'current' or 'instrument', got {cycles!r}")


OPENINGS = {"charge": 1, "delithiation": 1, "discharge": -1, "lithiation": -1}


def renumber_cycles(data: pd.DataFrame, opening: str, method: str | None = None) -> pd.DataFrame:
    """A copy of ``data`` whose ``Cycle Count / 1`` opens each cycle in a chosen direction.

    By default a cycle opens in the direction of the file's first half cycle (module doc). A
    cathode test that starts with a short discharge from open circuit then pairs every
    discharge with the *following* charge. With ``opening="charge"`` each cycle is a charge
    and the discharge after it; the half cycles before the first charge form cycle 0, which
    :func:`cycle_table` reports but leaves out of the role metrics (efficiency, retention).

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names.
    opening : {"charge", "discharge", "lithiation", "delithiation"}
        Direction that opens a cycle. Charge and discharge are in BDF's sense; in a half cell
        against lithium, lithiation is the discharge (negative current) whatever the working
        electrode.
    method : {"trapezoid", "hold"}, optional
        Integration rule for the merge rule's charges (see :func:`charge_increments`).

    Returns
    -------
    pandas.DataFrame
        A copy; ``attrs["cycle_opening"]`` records ``opening``.
    """
    _require(data)
    if opening not in OPENINGS:
        raise ParameterError(f"opening: expected one of {sorted(OPENINGS)}, got {opening!r}")
    out = data.copy()
    out[CYCLE] = detect_cycles(dc_current(data), _increments(data, method), OPENINGS[opening])
    out.attrs["cycle_rule"] = "current"
    out.attrs["cycle_opening"] = opening
    return out


def cycle_table(
    data: pd.DataFrame,
    role: str | None = None,
    active_mass_g: float | None = None,
    composite_mass_g: float | None = None,
    area_cm2: float | None = None,
    *,
    cycles: str = "current",
    reference_cycle: int = 4,
    method: str | None = None,
) -> pd.DataFrame:
    """Per-cycle table of a measured cell, in the schema of :func:`sianode.metrics.summarise_cycles`.

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names (``Test Time / s``, ``Voltage / V``, ``Current / A``).
    role : {"anode", "cathode"}, optional
        Working-electrode role in a half cell vs Li. Without it only BDF-sense charge and
        discharge are reported (see :func:`suggest_role`).
    active_mass_g, composite_mass_g : float, optional
        Active-material and composite masses [g].
    area_cm2 : float, optional
        Electrode area [cm2].
    cycles : {"current", "instrument"}
        Cycle definition: sianode's rule from the current (default), or the instrument's
        cycle counter (``Instrument Cycle / 1``) for comparison with its own summaries.
    reference_cycle : int
        Cycle of the third retention reference (see ``summarise_cycles``).
    method : {"trapezoid", "hold"}, optional
        Integration rule; default from ``data.attrs["current_kind"]`` (trapezoid unless the
        reader marks the current as an interval mean).

    Returns
    -------
    pandas.DataFrame
        One row per cycle: ``Cycle Count / 1``, ``Cycle Charging Capacity / Ah`` and
        ``Cycle Discharging Capacity / Ah`` (BDF sense, also in mAh), charge-weighted mean
        voltages [V], energies [W h], the instrument's first cycle number and, where the file
        has them, the instrument's own capacity counters summed per cycle
        (``Instrument Charging Capacity / Ah``...). With a role, the columns of
        ``summarise_cycles`` (lithiation/delithiation, specific and areal capacities, CE,
        retention, hysteresis) are joined; a cycle 0 (half cycles before the first one in
        the opening direction chosen with :func:`renumber_cycles`) has the BDF-sense columns
        only. ``attrs["warnings"]`` lists disagreements above 2 % between integral and
        instrument counters.
    """
    _require(data)
    if role is not None and role not in ROLES:
        raise ParameterError(f"role: expected one of {ROLES} or None, got {role!r}")
    if len(data) < 2:
        raise CalculationError("cycle_table: fewer than two data points")
    dq = _increments(data, method)
    grp = _grouping(data, cycles, dq)
    v = data[VOLTAGE].to_numpy(float)
    vmid = np.r_[v[0], 0.5 * (v[1:] + v[:-1])]
    vmid = np.where(np.isfinite(vmid), vmid, 0.0)
    pos = np.clip(dq, 0.0, None)
    neg = np.clip(-dq, 0.0, None)
    frame = pd.DataFrame(
        {
            "g": grp,
            "chg": pos,
            "dchg": neg,
            "vchg": vmid * pos,
            "vdchg": vmid * neg,
        }
    )
    if INST_CYCLE in data.columns:
        frame["inst"] = data[INST_CYCLE].to_numpy(float)
    has_counters = CHG_CAP in data.columns and DCHG_CAP in data.columns
    if has_counters:
        frame["ic"] = counter_increments(data[CHG_CAP].to_numpy(float))
        frame["id"] = counter_increments(data[DCHG_CAP].to_numpy(float))
    agg = frame.groupby("g", sort=True).agg("sum")
    if "inst" in frame:
        agg["inst"] = frame.groupby("g", sort=True)["inst"].min()
    cyc = agg.index.to_numpy(dtype=np.int64)
    chg = agg["chg"].to_numpy()
    dchg = agg["dchg"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        v_chg = np.where(chg > 0, agg["vchg"].to_numpy() / chg, np.nan)
        v_dchg = np.where(dchg > 0, agg["vdchg"].to_numpy() / dchg, np.nan)
    out = pd.DataFrame(
        {
            "Cycle Count / 1": cyc,
            "Cycle Charging Capacity / Ah": chg,
            "Cycle Discharging Capacity / Ah": dchg,
            "Cycle Charging Capacity / mAh": chg * 1e3,
            "Cycle Discharging Capacity / mAh": dchg * 1e3,
            "Mean Charging Voltage / V": v_chg,
            "Mean Discharging Voltage / V": v_dchg,
            "Cycle Charging Energy / Wh": agg["vchg"].to_numpy(),
            "Cycle Discharging Energy / Wh": agg["vdchg"].to_numpy(),
        }
    )
    if "inst" in agg:
        out["Instrument Cycle / 1"] = agg["inst"].to_numpy()
    warnings: list[str] = []
    if has_counters:
        ic = agg["ic"].to_numpy()
        idc = agg["id"].to_numpy()
        out["Instrument Charging Capacity / Ah"] = ic
        out["Instrument Discharging Capacity / Ah"] = idc
        scale = max(float(np.max(np.r_[chg, dchg, ic, idc, 0.0])), 1e-15)
        for name, a, b in (("charge", chg, ic), ("discharge", dchg, idc)):
            big = np.maximum(a, b)
            ok = big > 1e-2 * scale
            rel = np.abs(a - b)[ok] / big[ok]
            if rel.size and float(rel.max()) > 0.02:
                warnings.append(
                    f"{name}: integral of current and instrument counter differ by"
                    f" up to {100 * rel.max():.1f} % in a cycle"
                )
    if role is not None:
        # cycle 0 (half cycles before the first one in an explicit opening direction, see
        # renumber_cycles) is not a cycle: it stays out of the efficiencies and retentions
        keep = cyc >= 1 if cycles == "current" else np.ones(cyc.size, dtype=bool)
        lith, deli = dchg[keep], chg[keep]  # negative current lithiates the working electrode
        summary = summarise_cycles(
            cyc[keep],
            lith,
            deli,
            active_mass_g=active_mass_g,
            composite_mass_g=composite_mass_g,
            area_cm2=area_cm2,
            lithiation_mean_V=v_dchg[keep],
            delithiation_mean_V=v_chg[keep],
            lithiation_Wh=out["Cycle Discharging Energy / Wh"].to_numpy()[keep],
            delithiation_Wh=out["Cycle Charging Energy / Wh"].to_numpy()[keep],
            reference_cycle=reference_cycle,
        )
        if role == "cathode":
            # a cathode's CE is discharge / charge = lithiation / delithiation
            ce = np.full(lith.size, np.nan)
            ok = deli > 0
            ce[ok] = lith[ok] / deli[ok]
            summary["Coulombic Efficiency / 1"] = ce
        out = out.merge(summary, on="Cycle Count / 1", how="left")
        fce = summary["Coulombic Efficiency / 1"].iloc[0] if len(summary) else np.nan
        out.attrs["first_cycle_efficiency"] = float(fce)
    out.attrs["role"] = role
    out.attrs["cycles"] = cycles
    out.attrs["warnings"] = warnings
    return out


def _half_cycles(data: pd.DataFrame, method: str | None) -> pd.DataFrame:
    _require(data)
    dq = _increments(data, method)
    labels, signs = half_cycle_labels(data[CURRENT].to_numpy(float), dq)
    cyc = (
        data[CYCLE].to_numpy()
        if CYCLE in data.columns
        else detect_cycles(data[CURRENT].to_numpy(float), dq)
    )
    frame = pd.DataFrame(
        {
            "half": labels,
            CYCLE: cyc,
            VOLTAGE: data[VOLTAGE].to_numpy(float),
            "dq": dq,
            CURRENT: data[CURRENT].to_numpy(float),
        }
    )
    sign_of = signs[labels] if signs.size else np.zeros(labels.size, dtype=int)
    frame["direction"] = np.where(sign_of > 0, "charge", np.where(sign_of < 0, "discharge", "rest"))
    return frame


def voltage_capacity(data: pd.DataFrame, method: str | None = None) -> pd.DataFrame:
    """Voltage against the charge passed within each half cycle.

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names.
    method : {"trapezoid", "hold"}, optional
        Integration rule (see :func:`charge_increments`).

    Returns
    -------
    pandas.DataFrame
        Columns ``Cycle Count / 1``, ``Half Cycle / 1`` (0-based), ``Direction``
        (``charge``/``discharge`` in BDF sense), ``Capacity / Ah`` (>= 0, restarting at 0 in
        every half cycle) and ``Voltage / V``; only active points.
    """
    f = _half_cycles(data, method)
    thr = active_threshold(f[CURRENT].to_numpy())
    cap = f.groupby("half")["dq"].cumsum().abs().to_numpy()
    out = pd.DataFrame(
        {
            CYCLE: f[CYCLE].to_numpy(),
            "Half Cycle / 1": f["half"].to_numpy(),
            "Direction": f["direction"].to_numpy(),
            "Capacity / Ah": cap,
            VOLTAGE: f[VOLTAGE].to_numpy(),
        }
    )
    keep = np.abs(f[CURRENT].to_numpy()) > thr
    return out[keep].reset_index(drop=True)


def dqdv(
    data: pd.DataFrame,
    dv_V: float = 0.005,
    window: int = 9,
    method: str | None = None,
    min_points: int = 10,
) -> pd.DataFrame:
    """Differential capacity dQ/dV of each half cycle, smoothed.

    Method: for each half cycle, the charge passed (>= 0) is averaged in voltage bins of
    width ``dv_V`` (this tolerates noisy, non-monotonic voltage), empty bins are filled by
    linear interpolation, the derivative is taken by central differences, and smoothed with a
    Savitzky-Golay filter (``window`` bins, polynomial order 2). Half cycles with fewer than
    ``min_points`` active points or spanning fewer than 5 bins are skipped.

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names.
    dv_V : float
        Voltage bin width [V].
    window : int
        Savitzky-Golay window [bins]; odd, >= 3.
    method : {"trapezoid", "hold"}, optional
        Integration rule.
    min_points : int
        Minimum number of active points per half cycle.

    Returns
    -------
    pandas.DataFrame
        Columns ``Cycle Count / 1``, ``Half Cycle / 1``, ``Direction``, ``Voltage / V``
        (bin centres) and ``dQ/dV / Ah/V`` (>= 0 for both directions).
    """
    from scipy.signal import savgol_filter

    if not (np.isfinite(dv_V) and dv_V > 0):
        raise ParameterError(f"dv_V: must be > 0 V, got {dv_V}")
    if window < 3 or window % 2 == 0:
        raise ParameterError(f"window: must be odd and >= 3, got {window}")
    vc = voltage_capacity(data, method)
    rows = []
    for (half, cyc, direction), g in vc.groupby(["Half Cycle / 1", CYCLE, "Direction"], sort=True):
        if direction == "rest" or len(g) < min_points:
            continue
        v = g[VOLTAGE].to_numpy()
        q = g["Capacity / Ah"].to_numpy()
        ok = np.isfinite(v) & np.isfinite(q)
        v, q = v[ok], q[ok]
        if v.size < min_points:
            continue
        lo, hi = float(v.min()), float(v.max())
        nb = int(np.floor((hi - lo) / dv_V)) + 1
        if nb < 5:
            continue
        idx = np.minimum(((v - lo) / dv_V).astype(int), nb - 1)
        cnt = np.bincount(idx, minlength=nb)
        qs = np.bincount(idx, weights=q, minlength=nb)
        centres = lo + (np.arange(nb) + 0.5) * dv_V
        has = cnt > 0
        qbin = np.interp(centres, centres[has], qs[has] / cnt[has])
        d = np.abs(np.gradient(qbin, dv_V))
        w = min(window, nb if nb % 2 else nb - 1)
        if w >= 3:
            d = savgol_filter(d, w, min(2, w - 1))
        rows.append(
            pd.DataFrame(
                {
                    CYCLE: cyc,
                    "Half Cycle / 1": half,
                    "Direction": direction,
                    VOLTAGE: centres,
                    "dQ/dV / Ah/V": np.clip(d, 0.0, None),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=[CYCLE, "Half Cycle / 1", "Direction", VOLTAGE, "dQ/dV / Ah/V"])
    return pd.concat(rows, ignore_index=True)


def _figure(ax=None):
    """``(figure, axes)``: a new 6 x 4 in figure, or the given axes and their figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.subplots(figsize=(6, 4), layout="constrained")
    return ax.figure, ax


def _cycle_colours(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    return [cmap(k / max(n - 1, 1)) for k in range(n)]


def plot_capacity(table: pd.DataFrame, ax=None):
    """Capacity (and, with a role, coulombic efficiency) against cycle number.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`cycle_table`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(ax)
    cyc = table["Cycle Count / 1"]
    if "Lithiation Capacity / mAh" in table.columns:
        ax.plot(cyc, table["Lithiation Capacity / mAh"], "o-", label="lithiation")
        ax.plot(cyc, table["Delithiation Capacity / mAh"], "s-", label="delithiation")
    else:
        ax.plot(cyc, table["Cycle Charging Capacity / mAh"], "o-", label="charge (BDF)")
        ax.plot(cyc, table["Cycle Discharging Capacity / mAh"], "s-", label="discharge (BDF)")
    ax.set_xlabel("cycle")
    ax.set_ylabel("capacity [mAh]")
    ax.legend(loc="lower left")
    if "Coulombic Efficiency / 1" in table.columns:
        ax2 = ax.twinx()
        ax2.plot(cyc, 100 * table["Coulombic Efficiency / 1"], "k^:", ms=4, label="CE")
        ax2.set_ylabel("coulombic efficiency [%]")
    return fig


def plot_voltage_capacity(data: pd.DataFrame, ax=None, method: str | None = None):
    """Voltage against capacity within each half cycle, coloured by cycle.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(ax)
    vc = voltage_capacity(data, method)
    cycles = sorted(vc[CYCLE].unique())
    colours = dict(zip(cycles, _cycle_colours(len(cycles)), strict=True))
    for (_, cyc), g in vc.groupby(["Half Cycle / 1", CYCLE], sort=True):
        ax.plot(1e3 * g["Capacity / Ah"], g[VOLTAGE], color=colours[cyc], lw=1)
    _colourbar(fig, ax, cycles)
    ax.set_xlabel("capacity [mAh]")
    ax.set_ylabel("voltage [V]")
    return fig


def _colourbar(fig, ax, cycles) -> None:
    import matplotlib as mpl

    if not cycles:
        return
    norm = mpl.colors.Normalize(vmin=min(cycles), vmax=max(max(cycles), min(cycles) + 1))
    sm = mpl.cm.ScalarMappable(norm=norm, cmap="viridis")
    fig.colorbar(sm, ax=ax, label="cycle")


def plot_dqdv(data: pd.DataFrame, ax=None, **kwargs: Any):
    """dQ/dV of each half cycle (discharge drawn negative), coloured by cycle.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(ax)
    d = dqdv(data, **kwargs)
    cycles = sorted(d[CYCLE].unique())
    colours = dict(zip(cycles, _cycle_colours(len(cycles)), strict=True))
    for (_, cyc, direction), g in d.groupby(["Half Cycle / 1", CYCLE, "Direction"], sort=True):
        sgn = -1.0 if direction == "discharge" else 1.0
        ax.plot(g[VOLTAGE], sgn * 1e3 * g["dQ/dV / Ah/V"], color=colours[cyc], lw=1)
    _colourbar(fig, ax, cycles)
    ax.set_xlabel("voltage [V]")
    ax.set_ylabel("dQ/dV [mAh/V] (discharge < 0)")
    return fig
