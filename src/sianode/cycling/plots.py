"""Plots of a measured cell: capacity per cycle, voltage-capacity curves, dQ/dV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import CYCLE, VOLTAGE
from ..errors import ParameterError
from .curves import dqdv, voltage_capacity
from .table import COMPLETE

if TYPE_CHECKING:
    import pandas as pd


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


def plot_capacity(table: pd.DataFrame, ax=None, include_incomplete: bool = False):
    """Capacity (and, with a role, coulombic efficiency) against cycle number.

    Specific capacity [mAh/g] when the table has it (a mass was given), else [mAh].

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`cycle_table`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    include_incomplete : bool
        Also draw an incomplete last cycle (``Cycle Complete / 1`` False); left out by
        default, as its capacity is that of a stopped test.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(ax)
    if not include_incomplete and COMPLETE in table.columns:
        table = table[table[COMPLETE].to_numpy(bool)]
    cyc = table[CYCLE]
    if "Lithiation Capacity / mAh" in table.columns:
        pairs = (("Lithiation", "lithiation"), ("Delithiation", "delithiation"))
    else:
        pairs = (("Charging", "charge (BDF)"), ("Discharging", "discharge (BDF)"))
    role = "Lithiation Capacity / mAh" in table.columns
    specific = f"Specific {pairs[0][0]} Capacity / mAh/g" in table.columns
    for (what, label), marker in zip(pairs, ("o-", "s-"), strict=True):
        if specific:
            col = f"Specific {what} Capacity / mAh/g"
        else:
            col = f"{what} Capacity / mAh" if role else f"Cycle {what} Capacity / mAh"
        ax.plot(cyc, table[col], marker, label=label)
    ax.set_xlabel("cycle")
    ax.set_ylabel("specific capacity [mAh/g]" if specific else "capacity [mAh]")
    ax.legend(loc="lower left")
    if "Coulombic Efficiency / 1" in table.columns:
        ax2 = ax.twinx()
        ax2.plot(cyc, 100 * table["Coulombic Efficiency / 1"], "k^:", ms=4, label="CE")
        ax2.set_ylabel("coulombic efficiency [%]")
    return fig


def _per_mass(active_mass_g: float | None) -> tuple[float, str]:
    """Factor from A h to the plotted unit, and the unit: mAh, or mAh/g with a mass."""
    if active_mass_g is None:
        return 1e3, "mAh"
    if not (np.isfinite(active_mass_g) and active_mass_g > 0):
        raise ParameterError(f"active_mass_g: must be > 0, got {active_mass_g}")
    return 1e3 / active_mass_g, "mAh/g"


def plot_voltage_capacity(
    data: pd.DataFrame,
    ax=None,
    method: str | None = None,
    active_mass_g: float | None = None,
):
    """Voltage against capacity within each half cycle, coloured by cycle.

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    method : {"trapezoid", "hold"}, optional
        Integration rule (see :func:`sianode.io.counters.charge_increments`).
    active_mass_g : float, optional
        Active mass [g]: capacity in mAh/g instead of mAh.

    Returns
    -------
    matplotlib.figure.Figure
    """
    scale, unit = _per_mass(active_mass_g)
    fig, ax = _figure(ax)
    vc = voltage_capacity(data, method)
    cycles = sorted(vc[CYCLE].unique())
    colours = dict(zip(cycles, _cycle_colours(len(cycles)), strict=True))
    for (_, cyc), g in vc.groupby(["Half Cycle / 1", CYCLE], sort=True):
        ax.plot(scale * g["Capacity / Ah"], g[VOLTAGE], color=colours[cyc], lw=1)
    _colourbar(fig, ax, cycles)
    ax.set_xlabel(("specific capacity" if active_mass_g is not None else "capacity") + f" [{unit}]")
    ax.set_ylabel("voltage [V]")
    return fig


def _colourbar(fig, ax, cycles) -> None:
    import matplotlib as mpl

    if not cycles:
        return
    norm = mpl.colors.Normalize(vmin=min(cycles), vmax=max(max(cycles), min(cycles) + 1))
    sm = mpl.cm.ScalarMappable(norm=norm, cmap="viridis")
    fig.colorbar(sm, ax=ax, label="cycle")


def plot_dqdv(data: pd.DataFrame, ax=None, active_mass_g: float | None = None, **kwargs: Any):
    """dQ/dV of each half cycle (discharge drawn negative), coloured by cycle.

    Parameters
    ----------
    data : pandas.DataFrame
        Time series in BDF names.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.
    active_mass_g : float, optional
        Active mass [g]: dQ/dV in mAh/(g V) instead of mAh/V.
    **kwargs
        Passed to :func:`sianode.cycling.dqdv`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    scale, unit = _per_mass(active_mass_g)
    fig, ax = _figure(ax)
    d = dqdv(data, **kwargs)
    cycles = sorted(d[CYCLE].unique())
    colours = dict(zip(cycles, _cycle_colours(len(cycles)), strict=True))
    for (_, cyc, direction), g in d.groupby(["Half Cycle / 1", CYCLE, "Direction"], sort=True):
        sgn = -1.0 if direction == "discharge" else 1.0
        ax.plot(g[VOLTAGE], sgn * scale * g["dQ/dV / Ah/V"], color=colours[cyc], lw=1)
    _colourbar(fig, ax, cycles)
    ax.set_xlabel("voltage [V]")
    per = "mAh/(g V)" if unit == "mAh/g" else "mAh/V"
    ax.set_ylabel(f"dQ/dV [{per}] (discharge < 0)")
    return fig
