"""Per-cycle table of a measured cell, cycle renumbering and the role suggestion.

Every function here takes the time series as a pandas DataFrame (:func:`sianode.io.read`)
or as a :class:`sianode.io.ColumnTable` (:func:`sianode.io.read_columns`, numpy columns).
:func:`cycle_table_columns` computes the per-cycle table with numpy alone (a ``--json``
command then never imports pandas); :func:`cycle_table` is that table as a DataFrame.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import (
    CHG_CAP,
    CURRENT,
    CYCLE,
    DCHG_CAP,
    FREQUENCY,
    INST_CYCLE,
    STEP_TIME,
    TIME,
    VOLTAGE,
)
from ..errors import CalculationError, ParameterError
from ..io import ColumnTable
from ..io.counters import (
    active_signs,
    active_threshold,
    charge_increments,
    counter_increments,
    dc_current_values,
    detect_cycles,
    fill_gaps,
    percentile_linear,
)
from ..metrics import check_normalisers, cycle_columns

if TYPE_CHECKING:  # a DataFrame is built by cycle_table only: the JSON paths never need it
    import pandas as pd

    TimeSeries = pd.DataFrame | ColumnTable

ROLES = ("anode", "cathode")
#: Column of :func:`cycle_table` that is False for an incomplete last cycle.
COMPLETE = "Cycle Complete / 1"
#: The last cycle is incomplete when its closing half cycle passed less than this fraction
#: of the charge of its opening one (and of the previous cycle's closing one).
INCOMPLETE_FRACTION = 0.5


def _require(data: TimeSeries, cols: tuple[str, ...] = (TIME, VOLTAGE, CURRENT)) -> None:
    if not isinstance(data, ColumnTable):
        pd = sys.modules.get("pandas")  # without pandas loaded, ``data`` is no DataFrame
        if pd is None or not isinstance(data, pd.DataFrame):
            raise ParameterError(
                "data: expected a pandas DataFrame (or a sianode.io.ColumnTable) in BDF names"
            )
    missing = [c for c in cols if c not in data]
    if missing:
        raise ParameterError(f"data: missing BDF column(s) {missing}")


def _array(col: Any, dtype: Any = None) -> np.ndarray:
    """A column of a DataFrame (a Series) or of a ColumnTable as a numpy array."""
    if hasattr(col, "to_numpy"):
        return col.to_numpy(dtype) if dtype is not None else col.to_numpy()
    return np.asarray(col, dtype=dtype)


def _n_rows(data: TimeSeries) -> int:
    return len(data[TIME])


def dc_current(data: TimeSeries) -> np.ndarray:
    """Current [A] with impedance points (``Frequency / Hz`` > 0) set to 0.

    During an impedance measurement the recorded current is an AC sample, not a DC current
    that charges the cell; such points are treated as rests by every rule here.
    """
    freq = data[FREQUENCY] if FREQUENCY in data else None
    return dc_current_values(data[CURRENT], freq)


def _increments(data: TimeSeries, method: str | None) -> np.ndarray:
    if method is None:
        method = "hold" if data.attrs.get("current_kind") == "interval_mean" else "trapezoid"
    st = _array(data[STEP_TIME], float) if STEP_TIME in data else None
    return charge_increments(_array(data[TIME], float), dc_current(data), method, st)


def suggest_role(data: TimeSeries) -> str | None:
    """Suggest the working-electrode role from the voltage window (half cell vs Li).

    Returns ``"anode"`` when the median voltage of active points is below 1.5 V and their
    0.5th percentile below 1.0 V (Si, graphite vs Li), ``"cathode"`` when the median is at
    least 2.5 V and the 0.5th percentile at least 1.5 V, else None. A suggestion only: :func:`cycle_table` never applies it by itself.

    Parameters
    ----------
    data : pandas.DataFrame or sianode.io.ColumnTable
        Time series in BDF names.

    Returns
    -------
    str or None
    """
    _require(data)
    v = _array(data[VOLTAGE], float)
    i = dc_current(data)
    act = np.isfinite(v) & (np.abs(i) > active_threshold(i))
    vv = v[act] if act.sum() >= 3 else v[np.isfinite(v)]
    if vv.size == 0:
        return None
    # numpy.percentile's values; its np.unique call imports numpy.ma (~10 ms at start-up)
    lo, med = percentile_linear(vv, 0.5), percentile_linear(vv, 50.0)
    if med < 1.5 and lo < 1.0:
        return "anode"
    if med >= 2.5 and lo >= 1.5:
        return "cathode"
    return None


def _grouping(data: TimeSeries, cycles: str, dq: np.ndarray) -> np.ndarray:
    if cycles == "current":
        if CYCLE in data and data.attrs.get("cycle_rule") == "current":
            return _array(data[CYCLE])
        return detect_cycles(dc_current(data), dq)
    if cycles == "instrument":
        if INST_CYCLE not in data:
            raise ParameterError("cycles='instrument': the file has no instrument cycle counter")
        g = fill_gaps(_array(data[INST_CYCLE], float))
        if not np.isfinite(g).any():
            raise ParameterError("cycles='instrument': the instrument cycle counter is empty")
        return g.astype(np.int64)
    raise ParameterError(f"cycles: expected 'current' or 'instrument', got {cycles!r}")


OPENINGS = {"charge": 1, "delithiation": 1, "discharge": -1, "lithiation": -1}


def renumber_cycles(data: TimeSeries, opening: str, method: str | None = None) -> TimeSeries:
    """A copy of ``data`` whose ``Cycle Count / 1`` opens each cycle in a chosen direction.

    By default a cycle opens in the direction of the file's first half cycle (module doc). A
    cathode test that starts with a short discharge from open circuit then pairs every
    discharge with the *following* charge. With ``opening="charge"`` each cycle is a charge
    and the discharge after it; the half cycles before the first charge form cycle 0, which
    :func:`cycle_table` reports but leaves out of the role metrics (efficiency, retention).

    Parameters
    ----------
    data : pandas.DataFrame or sianode.io.ColumnTable
        Time series in BDF names.
    opening : {"charge", "discharge", "lithiation", "delithiation"}
        Direction that opens a cycle. Charge and discharge are in BDF's sense; in a half cell
        against lithium, lithiation is the discharge (negative current) whatever the working
        electrode.
    method : {"trapezoid", "hold"}, optional
        Integration rule for the merge rule's charges (see :func:`charge_increments`).

    Returns
    -------
    pandas.DataFrame or sianode.io.ColumnTable
        A copy of the same kind (a ColumnTable's other arrays are shared, not copied);
        ``attrs["cycle_opening"]`` records ``opening``.
    """
    _require(data)
    if opening not in OPENINGS:
        raise ParameterError(f"opening: expected one of {sorted(OPENINGS)}, got {opening!r}")
    out = data.copy()
    out[CYCLE] = detect_cycles(dc_current(data), _increments(data, method), OPENINGS[opening])
    out.attrs["cycle_rule"] = "current"
    out.attrs["cycle_opening"] = opening
    return out


def incomplete_last_cycle(
    data: TimeSeries, grp: np.ndarray, cyc: np.ndarray, chg: np.ndarray, dchg: np.ndarray
) -> float | None:
    """Whether the last cycle is incomplete: its closing half cycle's share, or None.

    A cycle opens with a half cycle in one direction (the direction of its first active
    point) and closes with one in the other. The last cycle is incomplete when its closing
    charge is below :data:`INCOMPLETE_FRACTION` of its opening charge and, when there is a
    previous cycle, of that cycle's closing charge (a test stopped during the closing half
    cycle, or before it: the 0.09 % "efficiency" of issue 16). Capacity fade between two
    cycles is far smaller than that.

    Parameters
    ----------
    data : pandas.DataFrame or sianode.io.ColumnTable
        Time series in BDF names.
    grp : numpy.ndarray
        Cycle number of each point.
    cyc, chg, dchg : numpy.ndarray
        Cycle numbers (sorted) and their BDF-sense charge and discharge [A h].

    Returns
    -------
    float or None
        Closing / opening charge of the last cycle when it is incomplete, else None.
    """
    if cyc.size == 0 or cyc[-1] < 1:
        return None
    rows = grp == cyc[-1]
    sign = active_signs(dc_current(data)[rows])
    first = np.flatnonzero(sign)
    if first.size == 0:
        return None
    opens_with_charge = sign[first[0]] > 0
    opening, closing = (chg, dchg) if opens_with_charge else (dchg, chg)
    if opening[-1] <= 0:
        return None
    share = float(closing[-1] / opening[-1])
    if share >= INCOMPLETE_FRACTION:
        return None
    if cyc.size > 1 and closing[-2] > 0 and closing[-1] >= INCOMPLETE_FRACTION * closing[-2]:
        return None
    return share


def cycle_table(
    data: TimeSeries,
    role: str | None = None,
    active_mass_g: float | None = None,
    composite_mass_g: float | None = None,
    area_cm2: float | None = None,
    *,
    cycles: str = "current",
    reference_cycle: int = 4,
    method: str | None = None,
    include_incomplete: bool = False,
) -> pd.DataFrame:
    """Per-cycle table of a measured cell, in the schema of :func:`sianode.metrics.summarise_cycles`.

    Parameters
    ----------
    data : pandas.DataFrame or sianode.io.ColumnTable
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
    include_incomplete : bool
        Give an incomplete last cycle (see :func:`incomplete_last_cycle`) a coulombic
        efficiency and retentions too; by default they are NaN for it (its capacities are
        reported, and ``Cycle Complete / 1`` is False).

    Returns
    -------
    pandas.DataFrame
        :func:`cycle_table_columns` as a DataFrame (with its ``attrs``). One row per cycle: ``Cycle Count / 1``, ``Cycle Charging Capacity / Ah`` and
        ``Cycle Discharging Capacity / Ah`` (BDF sense, also in mAh), charge-weighted mean
        voltages [V], energies [W h], the instrument's first cycle number and, where the file
        has them, the instrument's own capacity counters summed per cycle
        (``Instrument Charging Capacity / Ah``...). With a role, the columns of
        ``summarise_cycles`` (lithiation/delithiation, specific and areal capacities, CE,
        retention, hysteresis) are joined; a cycle 0 (half cycles before the first one in
        the opening direction chosen with :func:`renumber_cycles`) has the BDF-sense columns
        only. ``Cycle Complete / 1`` is False for an incomplete last cycle. With a mass or an
        area, BDF-sense specific and areal capacities (``Specific Charging Capacity /
        mAh/g``...) are reported with or without a role. ``attrs["warnings"]`` lists
        disagreements above 2 % between integral and instrument counters and an incomplete
        last cycle.
    """
    return cycle_table_columns(
        data,
        role,
        active_mass_g,
        composite_mass_g,
        area_cm2,
        cycles=cycles,
        reference_cycle=reference_cycle,
        method=method,
        include_incomplete=include_incomplete,
    ).to_frame()


def _kahan_sums(values: list[float], bounds: list[int]) -> list[float]:
    """Sums of ``values[bounds[k]:bounds[k + 1]]``, NaN skipped, with Kahan's compensation.

    The arithmetic of pandas' compiled group sum (``group_sum`` in
    ``pandas/_libs/groupby.pyx``): each group's values in row order, a NaN compensation
    (an infinite value) reset to 0, the running sum returned without the final
    compensation. The same operations in the same order give the same floats.
    """
    out = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        s = comp = 0.0
        for x in values[a:b]:
            if x == x:  # not NaN
                y = x - comp
                t = s + y
                comp = t - s - y
                if comp != comp:
                    comp = 0.0
                s = t
        out.append(s)
    return out


#: Above this many values Kahan's sums in Python (~0.1 us each) cost more than importing
#: pandas (~0.35 s), whose compiled kernel then adds them.
_PYTHON_SUM_LIMIT = 2_000_000


def _group_sums(
    grp: np.ndarray, cols: dict[str, np.ndarray], minimum: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sorted group labels; per group, the sum of each of ``cols`` and the minimum of each
    of ``minimum`` (NaN skipped; a group without a value: sum 0, minimum NaN).

    Each sum is ``pandas.Series(v).groupby(grp, sort=True).sum()`` to the last bit (pandas
    >= 3.1, whose rule this is): ``numpy.add.reduceat`` over the groups when the labels
    never decrease and ``v`` has no NaN, else Kahan's compensated sum in row order
    (:func:`_kahan_sums`; pandas' compiled kernel when pandas is loaded already or the
    data are large). ``tests/test_cycling_columns.py`` checks it against pandas.
    """
    sorted_labels = bool(np.all(grp[1:] >= grp[:-1]))
    order = np.arange(grp.size) if sorted_labels else np.argsort(grp, kind="stable")
    g = grp[order]
    labels, starts = np.unique(g, return_index=True)
    bounds: list[int] | None = None
    out: dict[str, np.ndarray] = {}
    for k, v in cols.items():
        if sorted_labels and not np.isnan(v).any():
            out[k] = np.add.reduceat(v, starts)
        elif "pandas" in sys.modules or v.size > _PYTHON_SUM_LIMIT:
            import pandas as pd

            out[k] = pd.Series(v).groupby(grp, sort=True).sum().to_numpy()
        else:
            bounds = bounds or [*starts.tolist(), g.size]
            out[k] = np.array(_kahan_sums(v[order].tolist(), bounds), dtype=float)
    for k, v in minimum.items():
        out[k] = np.fmin.reduceat(v[order], starts)
    return labels, out


def cycle_table_columns(
    data: TimeSeries,
    role: str | None = None,
    active_mass_g: float | None = None,
    composite_mass_g: float | None = None,
    area_cm2: float | None = None,
    *,
    cycles: str = "current",
    reference_cycle: int = 4,
    method: str | None = None,
    include_incomplete: bool = False,
) -> ColumnTable:
    """The per-cycle table of :func:`cycle_table` as numpy columns (no pandas).

    Same parameters, columns (names, order, dtypes, values) and ``attrs`` as
    :func:`cycle_table`, which is this table as a DataFrame.
    """
    _require(data)
    if role is not None and role not in ROLES:
        raise ParameterError(f"role: expected one of {ROLES} or None, got {role!r}")
    if _n_rows(data) < 2:
        raise CalculationError("cycle_table: fewer than two data points")
    check_normalisers(active_mass_g, composite_mass_g, area_cm2)
    dq = _increments(data, method)
    grp = _grouping(data, cycles, dq)
    v = _array(data[VOLTAGE], float)
    vmid = np.r_[v[0], 0.5 * (v[1:] + v[:-1])]
    vmid = np.where(np.isfinite(vmid), vmid, 0.0)
    pos = np.clip(dq, 0.0, None)
    neg = np.clip(-dq, 0.0, None)
    per_point = {"chg": pos, "dchg": neg, "vchg": vmid * pos, "vdchg": vmid * neg}
    lowest = {}
    if INST_CYCLE in data:
        lowest["inst"] = _array(data[INST_CYCLE], float)
    has_counters = CHG_CAP in data and DCHG_CAP in data
    if has_counters:
        per_point["ic"] = counter_increments(_array(data[CHG_CAP], float))
        per_point["id"] = counter_increments(_array(data[DCHG_CAP], float))
    labels, agg = _group_sums(np.asarray(grp), per_point, lowest)
    cyc = labels.astype(np.int64)
    chg = agg["chg"]
    dchg = agg["dchg"]
    with np.errstate(invalid="ignore", divide="ignore"):
        v_chg = np.where(chg > 0, agg["vchg"] / chg, np.nan)
        v_dchg = np.where(dchg > 0, agg["vdchg"] / dchg, np.nan)
    out: dict[str, np.ndarray] = {
        CYCLE: cyc,
        "Cycle Charging Capacity / Ah": chg,
        "Cycle Discharging Capacity / Ah": dchg,
        "Cycle Charging Capacity / mAh": chg * 1e3,
        "Cycle Discharging Capacity / mAh": dchg * 1e3,
        "Mean Charging Voltage / V": v_chg,
        "Mean Discharging Voltage / V": v_dchg,
        "Cycle Charging Energy / Wh": agg["vchg"],
        "Cycle Discharging Energy / Wh": agg["vdchg"],
    }
    if "inst" in agg:
        out[INST_CYCLE] = agg["inst"]
    for label, val, unit in (
        ("Specific", active_mass_g, "mAh/g"),
        ("Composite", composite_mass_g, "mAh/g"),
        ("Areal", area_cm2, "mAh/cm2"),
    ):
        if val is not None:
            out[f"{label} Charging Capacity / {unit}"] = chg * 1e3 / val
            out[f"{label} Discharging Capacity / {unit}"] = dchg * 1e3 / val
    warnings: list[str] = []
    complete = np.ones(cyc.size, dtype=bool)
    last = incomplete_last_cycle(data, grp, cyc, chg, dchg)
    if last is not None:
        complete[-1] = False
        warnings.append(
            f"cycle {int(cyc[-1])} is incomplete (its closing half cycle passed"
            f" {100 * last:.3g} % of the charge of its opening one): flagged in"
            f" '{COMPLETE}' and left out of efficiency, retention and plots"
            + (" (include_incomplete: kept in them)" if include_incomplete else "")
        )
    out[COMPLETE] = complete
    if has_counters:
        ic = agg["ic"]
        idc = agg["id"]
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
    attrs: dict[str, Any] = {}
    if role is not None:
        # cycle 0 (half cycles before the first one in an explicit opening direction, see
        # renumber_cycles) is not a cycle: it stays out of the efficiencies and retentions
        keep = cyc >= 1 if cycles == "current" else np.ones(cyc.size, dtype=bool)
        lith, deli = dchg[keep], chg[keep]  # negative current lithiates the working electrode
        summary = cycle_columns(
            cyc[keep],
            lith,
            deli,
            active_mass_g=active_mass_g,
            composite_mass_g=composite_mass_g,
            area_cm2=area_cm2,
            lithiation_mean_V=v_dchg[keep],
            delithiation_mean_V=v_chg[keep],
            lithiation_Wh=out["Cycle Discharging Energy / Wh"][keep],
            delithiation_Wh=out["Cycle Charging Energy / Wh"][keep],
            reference_cycle=reference_cycle,
        )
        if role == "cathode":
            # a cathode's CE is discharge / charge = lithiation / delithiation
            ce = np.full(lith.size, np.nan)
            ok = deli > 0
            ce[ok] = lith[ok] / deli[ok]
            summary["Coulombic Efficiency / 1"] = ce
        if not include_incomplete and not complete.all():
            gone = np.isin(summary[CYCLE], cyc[~complete])
            for col in summary:
                if col == "Coulombic Efficiency / 1" or col.startswith("Retention "):
                    summary[col][gone] = np.nan
        # joined on the cycle number: a cycle left out (cycle 0) gets NaN
        for col, values in summary.items():
            if col != CYCLE:
                if keep.all():
                    out[col] = np.asarray(values, dtype=float)
                else:
                    full = np.full(cyc.size, np.nan)
                    full[keep] = values
                    out[col] = full
        ce_col = summary["Coulombic Efficiency / 1"]
        attrs["first_cycle_efficiency"] = float(ce_col[0]) if len(ce_col) else float("nan")
    attrs["role"] = role
    attrs["cycles"] = cycles
    attrs["warnings"] = warnings
    return ColumnTable(out, attrs)
