"""Figures of the ``reproduce`` report that are specific to it (the general plots are in
:mod:`sianode.plotting`): the what-if panels and the reported-value markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..study import Study

__all__ = ["mark_reported", "whatif_figure"]


def _pct(values: Any) -> np.ndarray:
    """Fractions to percent; None (a NaN read back from JSON) becomes NaN."""
    return 100 * np.asarray(values, dtype=float)


def mark_reported(fig: Any, cal: Any, study: Study, pred_mat: str) -> Any:
    """Mark the calibration target, and a reported retention of the predicted material when
    the study gives a number (not "withheld"), on the retention panel."""
    ax = fig.axes[1]
    ax.plot(
        [cal.cycle],
        [100 * cal.target],
        marker="*",
        ms=14,
        color="k",
        ls="none",
        label=f"target: {cal.material} {100 * cal.target:.0f} % at cycle {cal.cycle} (study)",
    )
    rep = study.raw.get("reported", {}).get(pred_mat, {})
    value = rep.get("retention") if isinstance(rep, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        at = int(rep.get("retention_cycle", cal.cycle))
        ax.plot(
            [at],
            [100 * float(value)],
            marker="D",
            ms=9,
            mfc="none",
            color="k",
            ls="none",
            label=f"reported: {pred_mat} {100 * float(value):.0f} % at cycle {at}",
        )
    ax.legend(fontsize=8)
    return fig


def whatif_figure(w: dict[str, Any], path: Path) -> None:
    """Three labelled panels: (a) retention vs porosity, (b) vs lithiation capacity limit,
    (c) first-cycle efficiency vs porosity; the studied material's porosity and the full
    buffering limit are marked, and designs that did not run are named, not dropped silently."""
    from ..plotting import _plt

    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    p, c = w["porosity"], w["capacity_limit"]
    cal_mat, pred_mat = c["materials"]
    cyc = p.get("cycle", 50)
    phi_mat = p.get("material_porosity")
    pore = p.get("pore_diameter_nm")
    pores = f"{pore:.3g} nm pores" if pore else "external area only"
    axes[0].plot(p["porosity"], _pct(p["retention"]), "o-", label="vs cycle-1 lithiation")
    axes[0].plot(p["porosity"], _pct(p["cycle4_retention"]), "s--", label="vs cycle-4 lithiation")
    axes[0].set_ylabel(f"retention at cycle {cyc} / %")
    axes[0].set_title(f"(a) retention vs porosity\n{pred_mat} Si, {pores}", fontsize=10)
    for suffix, line, fill, ref in (
        ("", "-", None, "cycle 1"),
        ("_vs_cycle4", "--", "none", "cycle 4"),
    ):
        for mat, marker, color in ((cal_mat, "o", "C0"), (pred_mat, "s", "C1")):
            axes[1].plot(
                c["limit_mAh_g"],
                _pct(c[f"{mat}{suffix}"]),
                marker + line,
                color=color,
                mfc=fill,
                label=f"{mat}, vs {ref}",
            )
    axes[1].axvline(
        c["full_buffering_limit_mAh_g"],
        color="0.4",
        ls=":",
        label=f"full internal buffering ({pred_mat}): {c['full_buffering_limit_mAh_g']:.0f} mAh/g",
    )
    axes[1].set_xlabel("lithiation capacity limit / mAh g$^{-1}$ Si")
    axes[1].set_ylabel(f"retention at cycle {cyc} / %")
    axes[1].set_title("(b) retention vs lithiation capacity limit\nboth materials", fontsize=10)
    axes[2].plot(p["porosity"], _pct(p["first_cycle_efficiency"]), "o-", label="simulated")
    axes[2].set_ylabel("first-cycle efficiency / %")
    oxide = p.get("oxide_thickness_nm")
    axes[2].set_title(
        "(c) first-cycle efficiency vs porosity\nsurface-area penalty"
        + (f", {oxide:.2g} nm native oxide" if oxide else ""),
        fontsize=10,
    )
    failed = [phi for phi, st in zip(p["porosity"], p.get("status", [])) if st != "completed"]
    for ax in (axes[0], axes[2]):
        ax.set_xlabel("intra-particle porosity")
        ax.set_xlim(min(p["porosity"]) - 0.02, max(p["porosity"]) + 0.02)
        if phi_mat is not None:
            ax.axvline(phi_mat, color="C3", ls="-.", lw=1.2, label=f"{pred_mat} Si: {phi_mat:.3f}")
        if failed:
            ax.axvspan(min(failed) - 0.02, max(failed) + 0.02, color="0.92", zorder=0)
            ax.text(
                0.02,
                0.04,
                f"porosity {min(failed):.2f}-{max(failed):.2f}: {len(failed)} designs did not run",
                transform=ax.transAxes,
                fontsize=7,
                color="0.3",
            )
    for ax in axes:
        ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)
