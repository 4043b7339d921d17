"""Per-cycle table of a measured cell, cycle renumbering and the role suggestion."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
from ..io.counters import (
    active_signs,
    active_threshold,
    charge_increments,
    counter_increments,
    dc_current_values,
    detect_cycles,
    fill_gaps,
)
from ..metrics import check_normalisers, summarise_cycles

ROLES = ("anode", "cathode")
#: Column of :func:`cycle_table` that is False for an incomplete last cycle.
COMPLETE = "Cycle Complete / 1"
#: The last cycle is incomplete when its closing half cycle passed less than this fraction
#: of the charge of its opening one (and of the previous cycle's closing one).
INCOMPLETE_FRACTION = 0.5


def _require(data: pd.DataFrame, cols: tuple[str, ...] = (TIME, VOLTAGE, CURRENT)) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("data: expected a pandas DataFrame in BDF names")
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ParameterError(f"data: missing BDF column(s) {missing}")


def dc_current(data: pd.DataFrame) -> np.ndarray:
    """Current [A] with impedance points (``Frequency / Hz`` > 0) set to 0.

    During an impedance measurement the recorded current is an AC sample, not a DC current
    that charges the cell; such points are treated as rests by every rule here.
    """
    freq = data[FREQUENCY] if FREQUENCY in data.columns else None
    return dc_current_values(data[CURRENT], freq)


def _increments(data: pd.DataFrame, method: str | None) -> np.ndarray:
    if method is None:
        method = "hold" if data.attrs.get("current_kind") == "interval_mean" else "trapezoid"
    st = data[STEP_TIME].to_numpy(float) if STEP_TIME in data.columns else None
    return charge_increments(data[TIME].to_numpy(float), dc_current(data), method, st)


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
        g = fill_gaps(data[INST_CYCLE].to_numpy(float))
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


def incomplete_last_cycle(
    data: pd.DataFrame, grp: np.ndarray, cyc: np.ndarray, chg: np.ndarray, dchg: np.ndarray
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
    data : pandas.DataFrame
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
    data: pd.DataFrame,
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
    include_incomplete : bool
        Give an incomplete last cycle (see :func:`incomplete_last_cycle`) a coulombic
        efficiency and retentions too; by default they are NaN for it (its capacities are
        reported, and ``Cycle Complete / 1`` is False).

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
        only. ``Cycle Complete / 1`` is False for an incomplete last cycle. With a mass or an
        area, BDF-sense specific and areal capacities (``Specific Charging Capacity /
        mAh/g``...) are reported with or without a role. ``attrs["warnings"]`` lists
        disagreements above 2 % between integral and instrument counters and an incomplete
        last cycle.
    """
    _require(data)
    if role is not None and role not in ROLES:
        raise ParameterError(f"role: expected one of {ROLES} or None, got {role!r}")
    if len(data) < 2:
        raise CalculationError("cycle_table: fewer than two data points")
    check_normalisers(active_mass_g, composite_mass_g, area_cm2)
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
            CYCLE: cyc,
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
        out[INST_CYCLE] = agg["inst"].to_numpy()
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
        if not include_incomplete and not complete.all():
            gone = np.isin(summary[CYCLE].to_numpy(), cyc[~complete])
            for col in summary.columns:
                if col == "Coulombic Efficiency / 1" or col.startswith("Retention "):
                    summary.loc[gone, col] = np.nan
        out = out.merge(summary, on=CYCLE, how="left")
        fce = summary["Coulombic Efficiency / 1"].iloc[0] if len(summary) else np.nan
        out.attrs["first_cycle_efficiency"] = float(fce)
    out.attrs["role"] = role
    out.attrs["cycles"] = cycles
    out.attrs["warnings"] = warnings
    return out
