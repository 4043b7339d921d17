"""Matplotlib figures for simulated (and measured) Si half cells. Figures are returned,
never shown."""

from __future__ import annotations

from typing import Any

import numpy as np

from .columns import CURRENT, CYCLE, TIME

__all__ = ["plot_result", "plot_capacity_retention", "plot_voltage_curves", "plot_strain_vs_soc"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_capacity_retention(results: dict[str, Any], cycle_marker: int | None = None) -> Any:
    """Capacity (mAh/g Si) and primary retention vs cycle for several cells (the style of the
    study's figure 2). ``results`` maps a label to a Result (or anything with ``.cycles``)."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for label, res in results.items():
        c = res.cycles
        n = c[CYCLE]
        line = ax1.plot(
            n, c["Specific Lithiation Capacity / mAh/g"], "o-", ms=3, label=f"{label}: lithiation"
        )
        ax1.plot(
            n,
            c["Specific Delithiation Capacity / mAh/g"],
            "s--",
            ms=3,
            color=line[0].get_color(),
            mfc="none",
            label=f"{label}: delithiation",
        )
        ax2.plot(n, 100 * c["Retention vs Cycle 1 Lithiation / 1"], "o-", ms=3, label=label)
    ax1.set_xlabel("cycle")
    ax1.set_ylabel("capacity / mAh g$^{-1}$ Si")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("cycle")
    ax2.set_ylabel("retention vs cycle-1 lithiation / %")
    if cycle_marker:
        ax2.axvline(cycle_marker, color="0.7", lw=0.8)
    ax2.legend(fontsize=8)
    return fig


def plot_voltage_curves(results: dict[str, Any], cycles: tuple[int, ...] = (1, 2, 50)) -> Any:
    """Voltage (vs Li+/Li) against specific capacity for chosen cycles of each cell."""
    plt = _plt()
    fig, axes = plt.subplots(
        1, len(results), figsize=(5 * len(results), 4), squeeze=False, constrained_layout=True
    )
    for ax, (label, res) in zip(axes[0], results.items()):
        ts = res.timeseries
        mass_g = res.cell.si_mass * 1e3
        for k, cyc in enumerate(cycles):
            d = ts[ts[CYCLE] == cyc]
            if d.empty:
                continue
            for sign, style in ((-1, "-"), (1, "--")):
                seg = d[np.sign(d[CURRENT]) == sign]
                if seg.empty:
                    continue
                t = seg[TIME].to_numpy()
                i = np.abs(seg[CURRENT].to_numpy())
                q = np.concatenate([[0.0], np.cumsum(np.diff(t) * i[1:])]) / 3.6 / mass_g
                ax.plot(
                    q,
                    seg["Voltage vs Li / V"],
                    style,
                    color=f"C{k}",
                    label=f"cycle {cyc}" if sign < 0 else None,
                )
        ax.set_title(label)
        ax.set_xlabel("capacity / mAh g$^{-1}$ Si")
        ax.set_ylabel("voltage / V vs Li$^+$/Li")
        ax.legend(fontsize=8)
    return fig


def plot_strain_vs_soc(results: dict[str, Any], cycle: int = 2) -> Any:
    """External (unbuffered) envelope strain vs Li per Si in one cycle, for each cell."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
    for label, res in results.items():
        d = res.timeseries[res.timeseries[CYCLE] == cycle]
        ax.plot(d["Li per Si / 1"], 100 * d["External Strain / 1"], ".", ms=2, label=label)
    ax.set_xlabel("Li per Si, x")
    ax.set_ylabel("external volumetric strain of the particle / %")
    ax.set_title(f"cycle {cycle}: what the pores do not absorb")
    ax.legend(fontsize=8)
    return fig


def plot_result(result: Any, cycles_to_show: tuple[int, ...] = (1, 2)) -> Any:
    """One figure: capacity and CE vs cycle, and the voltage curves of chosen cycles."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    c = result.cycles
    n = c[CYCLE]
    ax1.plot(n, c["Specific Lithiation Capacity / mAh/g"], "o-", ms=3, label="lithiation")
    ax1.plot(n, c["Specific Delithiation Capacity / mAh/g"], "s--", ms=3, label="delithiation")
    ax1.set_xlabel("cycle")
    ax1.set_ylabel("capacity / mAh g$^{-1}$ Si")
    ax1b = ax1.twinx()
    ax1b.plot(n, 100 * c["Coulombic Efficiency / 1"], "k:", lw=1, label="CE")
    ax1b.set_ylabel("coulombic efficiency / %")
    ax1.legend(fontsize=8, loc="center right")
    if result.timeseries is not None:
        ts = result.timeseries
        for cyc in cycles_to_show:
            d = ts[ts[CYCLE] == cyc]
            ax2.plot(d[TIME] / 3600.0, d["Voltage vs Li / V"], label=f"cycle {cyc}")
        ax2.set_xlabel("time / h")
        ax2.set_ylabel("voltage / V vs Li$^+$/Li")
        ax2.legend(fontsize=8)
    return fig
