"""The prior-based band in the report: figure and HTML section (issue 14 E).

The v0.1 blind prediction and the band are drawn side by side, each labelled ("blind
(v0.1)", "after informed review, not blind"); a measured retention, when a study gives
one, is drawn and said to lie inside the band or not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import html as H

__all__ = ["band_figure", "band_section"]

BLIND_LABEL = "blind (v0.1)"


def _parts(
    summary: dict[str, Any],
) -> tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, Any]]:
    """(predicted material, its summary block, the study's earlier blind prediction or None,
    the band block)."""
    mat = summary.get("prediction_material", "nanoporous")
    return mat, summary[mat], summary.get("blind_record"), summary["band"]


def band_figure(summary: dict[str, Any], retention_pct: np.ndarray | None, path: Path) -> None:
    """Band plot (left) and Sobol indices (right), saved as PNG at ``path``.

    Parameters
    ----------
    summary : dict
        :meth:`sianode.uncertainty.BandResult.to_summary` (or summary.json's fields).
    retention_pct : array, optional
        The calibrated samples' predicted retention [%] (drawn as dots).
    """
    from ..plotting import _plt

    plt = _plt()
    mat, n, blind, band = _parts(summary)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), constrained_layout=True)
    ax = axes[0]
    if blind is not None:
        lo, hi = blind.get("retention_band_pct") or [blind["retention_pct"]] * 2
        ax.errorbar(
            [blind["retention_pct"]],
            [1],
            xerr=[[blind["retention_pct"] - lo], [hi - blind["retention_pct"]]],
            fmt="s",
            color="0.4",
            capsize=6,
        )
    q5, q95 = n["retention_band_pct"]
    med = n["retention_pct"]
    if np.isfinite(med):
        ax.errorbar([med], [0], xerr=[[med - q5], [q95 - med]], fmt="o", color="C1", capsize=6)
    if retention_pct is not None and len(retention_pct):
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(retention_pct))
        ax.scatter(retention_pct, jitter - 0.5, s=4, color="C1", alpha=0.3, lw=0)
    measured = band.get("measured_retention_pct")
    if measured is not None:
        inside = q5 <= measured <= q95
        ax.axvline(measured, color="C3", ls="--")
        ax.text(
            measured,
            1.45,
            f" measured {measured:.1f} % ({'inside' if inside else 'outside'} the 5-95 % band)",
            color="C3",
            fontsize=8,
        )
    ax.set_yticks([1, 0, -0.5])
    ax.set_yticklabels(
        [
            f"{BLIND_LABEL}\n{blind['date']}" if blind is not None else "",
            f"{band['label']}\nmedian, 5-95 %",
            f"samples ({n['band_samples']}, {100 * n['band_failed_fraction']:.0f} % failed)",
        ],
        fontsize=8,
    )
    ax.set_ylim(-1, 1.7)
    ax.set_xlabel(f"{mat} retention at cycle {band['cycle']} / %")
    ax.set_title(f"prediction of the {mat} cell")
    ax2 = axes[1]
    rows = [r for r in band["sobol"] if np.isfinite(r["ST"])][:10]
    if rows:
        y = np.arange(len(rows))[::-1]
        ax2.barh(y + 0.2, [r["ST"] for r in rows], height=0.4, label="total", color="C0")
        ax2.barh(y - 0.2, [r["S1"] for r in rows], height=0.4, label="first order", color="C2")
        ax2.set_yticks(y)
        ax2.set_yticklabels([r["input"] for r in rows], fontsize=8)
        ax2.legend(fontsize=8)
    ax2.set_xlabel("Sobol index of the predicted retention")
    ax2.set_title("what drives the band")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def band_section(summary: dict[str, Any], figure_png: Path | None) -> str:
    """HTML of the band: key numbers, figure, failures, Sobol table, measurement ranking,
    prior table."""
    mat, n, blind, band = _parts(summary)
    q5, q95 = n["retention_band_pct"]
    record = (
        f"<br>{H.esc(BLIND_LABEL)}, kept unchanged: {blind['retention_pct']} % "
        + (
            f"(band {blind['retention_band_pct'][0]}-{blind['retention_band_pct'][1]} %), "
            if blind.get("retention_band_pct")
            else ""
        )
        + f"{H.esc(str(blind['date']))}, commit {H.esc(str(blind['commit'])[:12])}."
        if blind is not None
        else ""
    )
    parts = [
        f'<p class="key">{H.esc(mat.capitalize())} Si, {H.esc(band["label"])}: median '
        f"{n['retention_pct']:.1f} %, "
        f"5-95 % band {q5:.1f}-{q95:.1f} % at cycle {band['cycle']} "
        f"({n['band_samples']} samples, {100 * n['band_failed_fraction']:.1f} % failed)."
        f"{record}</p>",
        f"<p>Every assumed input is sampled from its prior ({H.esc(band['design'])}); for each "
        "sample the damage coefficient is re-calibrated on the "
        f"{H.esc(summary.get('calibration', {}).get('material', 'dense'))} cell's reported retention, "
        f"then the {H.esc(mat)} cell is predicted. The band is the 5-95 % interval of the "
        "calibrated samples; failed samples are counted below, never dropped silently.</p>",
    ]
    measured = band.get("measured_retention_pct")
    if measured is not None:
        inside = q5 <= measured <= q95
        parts.append(
            f"<p>The study gives a measured retention of {measured:.1f} %: "
            f"{'inside' if inside else 'outside'} the 5-95 % band.</p>"
        )
    else:
        parts.append(f"<p>The study's measured {H.esc(mat)} retention is withheld.</p>")
    if figure_png is not None:
        parts.append(
            H.figure(
                figure_png,
                (f"Left: {BLIND_LABEL} and " if blind is not None else "Left: ")
                + f"the prior-based band ({band['label']}). "
                "Right: Sobol indices (SALib) of the predicted retention.",
            )
        )
    fails = band.get("failure_reasons", {})
    parts.append(
        H.table(
            ["why a sample failed", "samples"],
            [[k, v] for k, v in fails.items()] or [["(none)", 0]],
            "band-failures",
        )
    )
    parts.append(f"<p>{H.esc(band.get('sobol_note', ''))}.</p>")
    parts.append(
        H.table(
            ["input", "first order S1", "+-", "total ST", "+-"],
            [[r["input"], r["S1"], r["S1_conf"], r["ST"], r["ST_conf"]] for r in band["sobol"]],
            "sobol",
        )
    )
    if band.get("sobol_of_failure"):
        parts.append(
            "<p>Which inputs decide whether a sample fails (Sobol indices of the failure "
            "indicator):</p>"
            + H.table(
                ["input", "S1", "ST"],
                [[r["input"], r["S1"], r["ST"]] for r in band["sobol_of_failure"][:8]],
                "sobol-failure",
            )
        )
    parts.append(
        "<p>Which measurement would narrow the band most (samples conditioned on a plausible "
        "measured value, averaged over values drawn from the predictive distribution):</p>"
        + H.table(
            ["measurement", "5-95 % width reduction / %", "uncertainty", "effective samples"],
            [
                [
                    r["measurement"],
                    r["band_width_reduction_pct"],
                    r["uncertainty"],
                    r["effective_samples"],
                ]
                for r in band.get("measurement_ranking_detail", [])
            ],
            "measurement-ranking",
        )
    )
    parts.append(
        H.table(
            ["input", "key", "applies to", "distribution", "range", "unit", "source", "note"],
            [
                [
                    p["name"],
                    p["key"] + (" (pending)" if p["pending"] else ""),
                    ", ".join(p["materials"]),
                    p["distribution"],
                    f"{p['range'][0]:g} - {p['range'][1]:g}",
                    p["unit"],
                    p["source"],
                    p["note"],
                ]
                for p in band["priors"]
            ],
            "priors",
        )
    )
    return "\n".join(parts)
