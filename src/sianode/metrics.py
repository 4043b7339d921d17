"""Per-cycle metrics of a Si working electrode, shared by measured and simulated cells.

Capacities are named physically (lithiation/delithiation), never charge/discharge, and
carry BDF-style ``Quantity / unit`` labels. Retention is reported under three definitions
(physics.md 7.6): against cycle-1 lithiation (the primary one, the study's "discharge"),
against cycle-1 delithiation, and against the lithiation of a chosen cycle (default 4, the
first cycle at the study's higher current).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .columns import CYCLE
from .errors import ParameterError

if TYPE_CHECKING:  # pandas is imported where a frame is built: the JSON paths never need it
    import pandas as pd

__all__ = ["cycle_columns", "summarise_cycles", "RETENTION_PRIMARY", "retention_at"]

RETENTION_PRIMARY = "Retention vs Cycle 1 Lithiation / 1"


def _opt(values: Any, n: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ParameterError(f"{name}: expected {n} values, got shape {arr.shape}")
    return arr


def _ratio(num: np.ndarray, den: Any) -> np.ndarray:
    den = np.broadcast_to(np.asarray(den, dtype=float), num.shape)
    out = np.full(num.shape, np.nan)
    ok = np.isfinite(den) & (den > 0) & np.isfinite(num)
    out[ok] = num[ok] / den[ok]
    return out


def check_normalisers(
    active_mass_g: float | None, composite_mass_g: float | None, area_cm2: float | None
) -> None:
    """Raise :class:`ParameterError` naming the first given mass [g] or area [cm2] that is not
    a finite number > 0 (None: not given)."""
    for name, val in (
        ("active_mass_g", active_mass_g),
        ("composite_mass_g", composite_mass_g),
        ("area_cm2", area_cm2),
    ):
        if val is not None and not (np.isfinite(val) and val > 0):
            raise ParameterError(f"{name}: must be > 0, got {val}")


def summarise_cycles(
    cycle: Any,
    lithiation_Ah: Any,
    delithiation_Ah: Any,
    *,
    active_mass_g: float | None = None,
    composite_mass_g: float | None = None,
    area_cm2: float | None = None,
    lithiation_mean_V: Any = None,
    delithiation_mean_V: Any = None,
    lithiation_Wh: Any = None,
    delithiation_Wh: Any = None,
    reference_cycle: int = 4,
) -> pd.DataFrame:
    """Build the per-cycle table from per-cycle capacities: :func:`cycle_columns` (see it for
    the parameters and units) as a pandas DataFrame, one row per cycle."""
    import pandas as pd

    return pd.DataFrame(
        cycle_columns(
            cycle,
            lithiation_Ah,
            delithiation_Ah,
            active_mass_g=active_mass_g,
            composite_mass_g=composite_mass_g,
            area_cm2=area_cm2,
            lithiation_mean_V=lithiation_mean_V,
            delithiation_mean_V=delithiation_mean_V,
            lithiation_Wh=lithiation_Wh,
            delithiation_Wh=delithiation_Wh,
            reference_cycle=reference_cycle,
        )
    )


def cycle_columns(
    cycle: Any,
    lithiation_Ah: Any,
    delithiation_Ah: Any,
    *,
    active_mass_g: float | None = None,
    composite_mass_g: float | None = None,
    area_cm2: float | None = None,
    lithiation_mean_V: Any = None,
    delithiation_mean_V: Any = None,
    lithiation_Wh: Any = None,
    delithiation_Wh: Any = None,
    reference_cycle: int = 4,
) -> dict[str, np.ndarray]:
    """The per-cycle table's columns, computed from per-cycle capacities (numpy only).

    Parameters
    ----------
    cycle : array of int
        Cycle numbers (1-based), one per row.
    lithiation_Ah, delithiation_Ah : array
        Charge passed into / out of the working electrode in each cycle [A h], >= 0.
    active_mass_g, composite_mass_g : float, optional
        Active (Si) and composite masses [g], for specific capacities [mAh g-1].
    area_cm2 : float, optional
        Electrode area [cm2], for areal capacities [mAh cm-2].
    lithiation_mean_V, delithiation_mean_V : array, optional
        Charge-weighted mean working-electrode voltage of each half cycle [V]; their
        difference is reported as the voltage hysteresis.
    lithiation_Wh, delithiation_Wh : array, optional
        Energy of each half cycle [W h].
    reference_cycle : int
        Cycle whose lithiation is the third retention reference (default 4).

    Returns
    -------
    dict of str to numpy.ndarray
        Column name to one value per cycle, in table order. Undefined ratios (a zero
        reference) are NaN, never inf.
    """
    cyc = np.asarray(cycle, dtype=int)
    n = cyc.size
    lith = _opt(lithiation_Ah, n, "lithiation_Ah")
    deli = _opt(delithiation_Ah, n, "delithiation_Ah")
    assert lith is not None and deli is not None
    if np.any(lith < 0) or np.any(deli < 0):
        raise ParameterError("capacities must be >= 0 A h")
    check_normalisers(active_mass_g, composite_mass_g, area_cm2)
    # columns gathered first, one DataFrame at the end (summarise_cycles): inserting ~20
    # columns one by one into a frame cost ~0.3 ms each (pandas rebuilds its column index)
    cols: dict[str, np.ndarray] = {CYCLE: cyc}
    cols["Lithiation Capacity / Ah"] = lith
    cols["Delithiation Capacity / Ah"] = deli
    cols["Lithiation Capacity / mAh"] = lith * 1e3
    cols["Delithiation Capacity / mAh"] = deli * 1e3
    if active_mass_g is not None:
        cols["Specific Lithiation Capacity / mAh/g"] = lith * 1e3 / active_mass_g
        cols["Specific Delithiation Capacity / mAh/g"] = deli * 1e3 / active_mass_g
    if composite_mass_g is not None:
        cols["Composite Lithiation Capacity / mAh/g"] = lith * 1e3 / composite_mass_g
        cols["Composite Delithiation Capacity / mAh/g"] = deli * 1e3 / composite_mass_g
    if area_cm2 is not None:
        cols["Areal Lithiation Capacity / mAh/cm2"] = lith * 1e3 / area_cm2
        cols["Areal Delithiation Capacity / mAh/cm2"] = deli * 1e3 / area_cm2
    cols["Coulombic Efficiency / 1"] = _ratio(deli, lith)
    first = np.nonzero(cyc == cyc.min())[0][0] if n else 0
    ref = np.nonzero(cyc == reference_cycle)[0]
    ref_val = lith[ref[0]] if ref.size else np.nan
    cols[RETENTION_PRIMARY] = _ratio(lith, lith[first] if n else np.nan)
    cols["Retention vs Cycle 1 Delithiation / 1"] = _ratio(deli, deli[first] if n else np.nan)
    cols[f"Retention vs Cycle {reference_cycle} Lithiation / 1"] = _ratio(lith, ref_val)
    lv = _opt(lithiation_mean_V, n, "lithiation_mean_V")
    dv = _opt(delithiation_mean_V, n, "delithiation_mean_V")
    if lv is not None:
        cols["Mean Lithiation Voltage / V"] = lv
    if dv is not None:
        cols["Mean Delithiation Voltage / V"] = dv
    if lv is not None and dv is not None:
        cols["Voltage Hysteresis / V"] = dv - lv
    lw = _opt(lithiation_Wh, n, "lithiation_Wh")
    dw = _opt(delithiation_Wh, n, "delithiation_Wh")
    if lw is not None:
        cols["Lithiation Energy / Wh"] = lw
    if dw is not None:
        cols["Delithiation Energy / Wh"] = dw
    return cols


def retention_at(cycles: pd.DataFrame, cycle: int, column: str = RETENTION_PRIMARY) -> float:
    """Retention in ``column`` at ``cycle`` (NaN when that cycle was not reached)."""
    row = cycles.loc[cycles[CYCLE] == cycle, column]
    return float(row.iloc[0]) if len(row) else float("nan")
