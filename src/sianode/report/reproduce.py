"""``sianode reproduce``: the reference study end to end.

Synthesis -> material descriptors (with provenance) -> cell design -> calibration of the
strain-damage coefficient on the study's calibration material (``[study]
calibration_material``, default dense) -> the blind prediction of its prediction material
(``prediction_material``, default nanoporous) with its sensitivity band -> what-if studies -> a report (HTML, PNG, Parquet, JSON).
Everything is deterministic; the output folder only ever receives complete files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..calibration import calibrate_dense, predict, sensitivity_band
from ..cell import (
    CellParameters,
    ModelOptions,
    buffering_limit_capacity,
    build_cell,
    material_descriptors,
)
from ..columns import CYCLE
from ..design import design_from_study
from ..errors import ParameterError
from ..pores import bet_area_from_porosity, wall_thickness
from ..protocol import parse_protocol
from ..simulation import kernel as K
from ..simulation.reduced import _cycles_frame, simulate_arrays
from ..stamp import run_stamp
from ..study import Study, load_study
from ..synthesis import synthesis_from_study
from ..units import to_unit
from . import html as H
from .figures import mark_reported as _mark_reported
from .figures import whatif_figure as _whatif_figure
from .writer import AtomicDir, jsonable

__all__ = ["reproduce", "STAGES", "porosity_whatif_cells"]

# top-level keys of summary.json besides the two materials' blocks
_SUMMARY_KEYS = frozenset(
    {
        "study",
        "synthesis",
        "materials",
        "consistency",
        "design",
        "calibration",
        "prediction_material",
        "generated",
        "what_if",
        "rule",
        "runtime_s",
        "out",
    }
)

STAGES = (
    "synthesis",
    "materials",
    "design",
    "calibration",
    "prediction",
    "sensitivity band",
    "prior band",
    "loss attribution",
    "what-if studies",
    "figures and report",
)


def _consistency(
    study: Study, synth: Any, np_desc: dict[str, Any], material: str
) -> list[dict[str, str]]:
    out = []
    phi_bet = np_desc["porosity"]["value"]
    phi_t = float(synth.template_porosity)
    out.append(
        {
            "check": "template porosity vs BET-derived porosity",
            "values": f"{phi_t:.3f} (MgO volume fraction) vs {phi_bet:.3f} ({np_desc['porosity']['method']})",
            "verdict": f"the material kept {100 * phi_bet / phi_t:.0f} % of its template porosity"
            + (
                "; consistent"
                if 0.7 <= phi_bet / phi_t <= 1.05
                else "; inconsistent (collapse or extra porosity)"
            ),
        }
    )
    if "bet_area" in np_desc and "crystallite_size" in np_desc:
        s = np_desc["bet_area"]["value"]
        walls = [float(wall_thickness(s, k)) for k in ("plate", "rod", "sphere")]
        d_xrd = np_desc["crystallite_size"]["value"]
        out.append(
            {
                "check": "XRD crystallite size vs BET wall thickness",
                "values": f"Scherrer {d_xrd:.1f} nm vs walls {walls[0]:.1f} (plates) / {walls[1]:.1f} (rods) / {walls[2]:.1f} nm (spheres)",
                "verdict": "crystalline domains span several walls (a sponge-like single-crystal skeleton): "
                "consistent with a porous, not a nanoparticulate, material"
                if d_xrd > walls[1]
                else "domains no larger than the walls",
            }
        )
    mat = study.section(f"materials.{material}")
    if "raman_peak" in mat:
        peak = to_unit(mat["raman_peak"], "1/cm", f"materials.{material}.raman_peak")
        try:
            from ..characterisation.raman import confinement_length_from_shift

            L = confinement_length_from_shift(peak)
        except Exception:  # characterisation extra missing or out of model range
            L = None
        d_xrd = np_desc.get("crystallite_size", {}).get("value")
        if L is None:
            verdict = "shift beyond the phonon-confinement model's range: confinement alone cannot explain it"
            val = f"{peak:.0f} cm-1: no confinement length found"
        else:
            verdict = (
                f"confinement would need L = {L:.1f} nm, far below the {d_xrd} nm Scherrer size: the "
                "shift is not crystallite confinement alone (few-nm ligaments, strain, heating or "
                "amorphous Si contribute)"
                if d_xrd and L < 0.5 * d_xrd
                else "consistent with the XRD size"
            )
            val = f"{peak:.0f} cm-1 -> L = {L:.2f} nm (Campbell-Fauchet sphere)"
        out.append({"check": "Raman shift vs XRD size", "values": val, "verdict": verdict})
    return out


def _first(c: Any, col: str) -> float:
    return float(c[col].iloc[0]) if len(c) else float("nan")


def _at(c: Any, cycle: int, col: str) -> float:
    row = c.loc[c[CYCLE] == cycle, col]
    return float(row.iloc[0]) if len(row) else float("nan")


class _Runs:
    """Per-cycle tables and statuses of a few designs run one after another.

    The what-ifs are a few dozen designs (~0.4 s). Running them through the single-run
    kernel, which the calibration has already compiled, avoids compiling the parallel batch
    kernel (~15 s on a fresh install) just for them; results are identical either way."""

    def __init__(self, cells: list[Any], tabs: list[dict[str, Any]], options: ModelOptions) -> None:
        self.cycles = []
        self.status = []
        for cell, tab in zip(cells, tabs):
            code, _ts, cyc, _last = simulate_arrays(cell, options, tab, record=False)
            self.cycles.append(_cycles_frame(cyc, cell, None))
            self.status.append(K.STATUS_TEXT.get(code, f"status {code}"))

    def retention(self, cycle: int) -> np.ndarray:
        return np.array([_at(c, cycle, "Retention vs Cycle 1 Lithiation / 1") for c in self.cycles])


def porosity_whatif_cells(
    study: Study,
    porosities: Any,
    material: str = "nanoporous",
    **overrides: Any,
) -> list[CellParameters]:
    """Cells of ``material`` at each porosity [-] with its pore diameter fixed.

    The BET area follows the porosity through the material's pore model
    (:func:`sianode.pores.bet_area_from_porosity`); porosity 0 means no pores (external area
    of dense spheres), as it does for a material with no pore diameter. Each cell is rebuilt by :func:`sianode.cell.build_cell`, so the
    electrode thickness, volume fractions, wall size and surface area follow the porosity as
    they do for a study file or a sweep design. ``overrides``: e.g. ``beta``.
    """
    pore = material_descriptors(study, material).get("pore_diameter")
    model = str(study.section(f"materials.{material}").get("pore_model", "cylinder"))
    cells = []
    for phi in porosities:
        phi = float(phi)
        # a material without a pore size keeps the external area of its particles
        bet = float(bet_area_from_porosity(phi, pore["value"], model)) if phi > 0 and pore else None
        cell, _ = build_cell(study, material, porosity=phi, bet_area=bet, **overrides)
        cells.append(cell)
    return cells


def _whatifs(
    study: Study,
    beta: float,
    m: float,
    n_cycles: int,
    options: ModelOptions,
    calibration_material: str = "dense",
    prediction_material: str = "nanoporous",
) -> dict[str, Any]:
    proto = parse_protocol(study.section("protocol")["text"])
    base, _ = build_cell(study, prediction_material, beta=beta, damage_exponent=m)
    tab = proto.to_arrays(
        base.area, base.nominal_capacity_Ah, base.counter_potential, n_cycles, base.si_mass * 1e3
    )
    # 1. retention vs porosity at fixed pore size (BET area and electrode geometry follow;
    # the current is the base cell's: the same Si mass)
    phis = np.round(np.linspace(0.0, 0.7, 15), 4)
    pore = material_descriptors(study, prediction_material).get("pore_diameter")
    d_nm = pore["value"] if pore else None
    cells = porosity_whatif_cells(study, phis, prediction_material, beta=beta, damage_exponent=m)
    br = _Runs(cells, [tab] * len(cells), options)
    por = {
        "material": prediction_material,
        "pore_diameter_nm": d_nm,
        "oxide_thickness_nm": base.oxide_thickness * 1e9,
        "material_porosity": base.porosity,
        "cycle": n_cycles,
        "porosity": phis.tolist(),
        "retention": br.retention(n_cycles).tolist(),
        "first_cycle_efficiency": [_first(c, "Coulombic Efficiency / 1") for c in br.cycles],
        "cycle4_retention": [
            _at(c, n_cycles, "Retention vs Cycle 4 Lithiation / 1") for c in br.cycles
        ],
        "status": br.status,
    }
    # 2. retention vs lithiation capacity limit, both materials
    limits = np.array([500, 750, 930, 1000, 1250, 1500, 2000, 2500, 3000, 3500])
    text_tpl = (
        "Lithiate at 0.127 mA/cm2 until 0.04 V vs Li or {q} mAh/g\nDelithiate at 0.127 mA/cm2 until 1.5 V vs Li\n"
        "Repeat 3 times\nLithiate at 0.300 mA/cm2 until 0.04 V vs Li or {q} mAh/g\n"
        "Delithiate at 0.300 mA/cm2 until 1.5 V vs Li\nRepeat 47 times"
    )
    dense, _ = build_cell(study, calibration_material, beta=beta, damage_exponent=m)
    cells2, tabs2, labels = [], [], []
    for mat_cell, label in ((dense, calibration_material), (base, prediction_material)):
        for q in limits:
            pr = parse_protocol(text_tpl.format(q=int(q)))
            cells2.append(mat_cell)
            tabs2.append(
                pr.to_arrays(
                    mat_cell.area,
                    mat_cell.nominal_capacity_Ah,
                    mat_cell.counter_potential,
                    n_cycles,
                    mat_cell.si_mass * 1e3,
                )
            )
            labels.append(label)
    br2 = _Runs(cells2, tabs2, options)
    ret2 = br2.retention(n_cycles)
    ret4 = np.array([_at(c, n_cycles, "Retention vs Cycle 4 Lithiation / 1") for c in br2.cycles])
    cap = {
        "materials": [calibration_material, prediction_material],
        "limit_mAh_g": limits.tolist(),
        calibration_material: ret2[: len(limits)].tolist(),
        prediction_material: ret2[len(limits) :].tolist(),
        f"{calibration_material}_vs_cycle4": ret4[: len(limits)].tolist(),
        f"{prediction_material}_vs_cycle4": ret4[len(limits) :].tolist(),
        "full_buffering_limit_mAh_g": buffering_limit_capacity(
            base.porosity, base.usable_pore_fraction
        ),
    }
    return {"porosity": por, "capacity_limit": cap}


def result_block(res: Any, cyc: int) -> dict[str, Any]:
    """The summary numbers of one simulated cell (``summary.json`` "dense"/"nanoporous")."""
    c = res.cycles
    return {
        "retention_pct": 100 * res.retention_at(cyc),
        "retention_vs_cycle1_delithiation_pct": 100
        * res.retention_at(cyc, "Retention vs Cycle 1 Delithiation / 1"),
        "retention_vs_cycle4_lithiation_pct": 100
        * res.retention_at(cyc, "Retention vs Cycle 4 Lithiation / 1"),
        "first_lithiation_mAh_g": float(c["Specific Lithiation Capacity / mAh/g"].iloc[0]),
        "first_cycle_efficiency": float(c["Coulombic Efficiency / 1"].iloc[0]),
        "connected_fraction_end": float(c["Connected Fraction / 1"].iloc[-1]),
        "max_electrode_swelling_um": float(c["Max Electrode Thickness Change / um"].max()),
        "status": res.status,
        "porosity": res.cell.porosity,
    }


def reproduce(
    study: Study | str | Path | None = None,
    out: str | Path = "sianode-report",
    progress: Callable[[str], None] | None = None,
    with_band: bool = True,
    band_samples: int = 1000,
    band_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the whole study and write the report into ``out``.

    ``band_samples``: at least this many prior samples for the band (issue 14; cached and
    resumable, see :func:`sianode.uncertainty.prediction_band`); ``band_progress(done,
    total)`` reports its progress.

    Returns the summary dictionary (also written as ``summary.json``)."""
    t0 = time.perf_counter()
    study = study if isinstance(study, Study) else load_study(study)
    tick = progress or (lambda stage: None)
    options = ModelOptions()

    cal_mat, pred_mat = study.calibration_material, study.prediction_material
    if cal_mat == pred_mat:
        raise ParameterError(
            f"study: calibration_material and prediction_material are both {cal_mat!r};"
            " a blind prediction needs a second material"
        )
    if {cal_mat, pred_mat} & _SUMMARY_KEYS:
        raise ParameterError(
            f"materials: {sorted({cal_mat, pred_mat} & _SUMMARY_KEYS)} clash with the report's"
            " own sections; rename the material"
        )

    tick("synthesis")
    synth = synthesis_from_study(study) if study.has("synthesis") else None
    tick("materials")
    desc = {m: material_descriptors(study, m) for m in study.material_names}
    consistency = _consistency(study, synth, desc[pred_mat], pred_mat) if synth else []
    tick("design")
    design = design_from_study(study)
    tick("calibration")
    cal = calibrate_dense(study, options=options, material=cal_mat)
    tick("prediction")
    dense_res = predict(cal, study, cal_mat, options)
    np_res = predict(cal, study, pred_mat, options)
    tick("sensitivity band")
    band = sensitivity_band(cal, study, pred_mat, options=options) if with_band else None
    # --- prior band (issue 14 B, C, E; sianode.uncertainty) ---
    tick("prior band")
    prior_band = None
    if with_band:
        from ..uncertainty import prediction_band

        prior_band = prediction_band(
            study,
            material=pred_mat,
            calibrate_on=cal_mat,
            n_samples=band_samples,
            options=options,
            progress=band_progress,
        )
    # --- end prior band ---
    tick("loss attribution")
    attribution = {
        key: _attribution(res, cal.cycle) for key, res in ((cal_mat, dense_res), (pred_mat, np_res))
    }
    tick("what-if studies")
    whatifs = _whatifs(study, cal.value, cal.damage_exponent, cal.cycle, options, cal_mat, pred_mat)
    tick("figures and report")
    from ..plotting import _plt, plot_capacity_retention, plot_strain_vs_soc, plot_voltage_curves

    plt = _plt()
    results = {f"{cal_mat} Si": dense_res, f"{pred_mat} Si (prediction)": np_res}
    cyc = cal.cycle

    summary: dict[str, Any] = {
        "study": study.name,
        "synthesis": {
            k: getattr(synth, k)
            for k in (
                "si_yield_mg",
                "mgo_mg",
                "template_porosity",
                "pore_volume_cm3_per_g",
                "hcl_mmol",
                "limiting_reagent",
            )
        }
        if synth
        else None,
        "materials": desc,
        "consistency": consistency,
        "design": {
            "si_mass_mg": design.si_mass_mg,
            "area_cm2": design.area_cm2,
            "si_loading_mg_cm2": design.si_loading_mg_cm2,
            "areal_capacity_mAh_cm2": design.areal_capacity_mAh_cm2,
            "basis_mAh_g": design.capacity_mAh_g,
            "steps": [asdict(s) if hasattr(s, "__dataclass_fields__") else s for s in design.steps],
            "cutoffs_vs_li_V": design.cutoffs_vs_li_V,
            "cutoffs_vs_counter_V": design.cutoffs_vs_counter_V,
        },
        "calibration": cal.as_dict(),
        "prediction_material": pred_mat,
        cal_mat: result_block(dense_res, cyc),
        pred_mat: result_block(np_res, cyc),
        "what_if": whatifs,
        "loss_attribution_note": "points of retention (vs cycle-1 lithiation) lost to each cause,"
        " exact Shapley shares over the rate step, contact loss and side reactions"
        " (docs/physics.md 8.9), on the point model",
        "generated": run_stamp(),
        "rule": f"beta calibrated on the {cal_mat} cell only; the {pred_mat} cell is a prediction"
        " with nothing tuned on it (docs/calibration.md)",
    }
    for key, att in attribution.items():
        summary[key]["loss_attribution"] = att
    if band is not None:
        summary[pred_mat]["retention_band_pct"] = [100 * band.low, 100 * band.high]
        summary[pred_mat]["band_rows"] = band.rows
    # an earlier blind prediction the study keeps: this one is made after reviewing it
    record = study.prediction_record(pred_mat)
    if record is not None:
        summary["blind_record"] = record
    # --- prior band: median and 5-95 % replace the point prediction and the one-at-a-time
    # range (kept as point_prediction_pct and sensitivity_range_pct) ---
    if prior_band is not None:
        n_sum = summary[pred_mat]
        n_sum["point_prediction_pct"] = n_sum["retention_pct"]
        n_sum["sensitivity_range_pct"] = n_sum.pop("retention_band_pct", None)
        pb = prior_band.to_summary()
        n_sum.update(pb.pop("nanoporous"))
        summary.update(pb)
    # --- end prior band ---

    with AtomicDir(out) as tmp:
        figs = {
            "capacity_retention.png": _mark_reported(
                plot_capacity_retention(results, cyc), cal, study, pred_mat
            ),
            "voltage_curves.png": plot_voltage_curves(results, (1, 2, cyc)),
            "strain_vs_soc.png": plot_strain_vs_soc(results, 2),
        }
        for name, fig in figs.items():
            fig.savefig(tmp / name, dpi=110)
            plt.close(fig)
        _whatif_figure(whatifs, tmp / "what_if.png")
        if prior_band is not None:  # --- prior band figure ---
            from .band import band_figure

            band_figure(summary, 100 * prior_band.retention[prior_band.ok], tmp / "band.png")
        for key, res in ((cal_mat, dense_res), (pred_mat, np_res)):
            res.timeseries.to_parquet(tmp / f"{key}_timeseries.bdf.parquet")
            res.cycles.to_parquet(tmp / f"{key}_cycles.parquet")
        summary["runtime_s"] = round(time.perf_counter() - t0, 2)
        (tmp / "summary.json").write_text(json.dumps(jsonable(summary), indent=2, allow_nan=False))
        (tmp / "report.html").write_text(_report_html(study, summary, tmp), encoding="utf-8")
    summary["out"] = str(Path(out))
    return summary


def _reported_retention(rep: dict[str, Any]) -> str:
    """The study's stated retention of a predicted material, as text for the report."""
    value = rep.get("retention")
    if value is None:
        return "(not reported)"
    if isinstance(value, str):
        return f"{value} (blind test)"
    return f"{100 * float(value):.0f} %"


def _attribution(res: Any, cycle: int) -> dict[str, Any]:
    """Shapley split of a result's lost retention at ``cycle`` (physics.md 8.9)."""
    from ..simulation.attribution import attribute_losses

    a = attribute_losses(res.cell, None, res.options, cycle)
    return {"retention_pct": a.retention_pct, "loss_pct": a.loss_pct, "runs": a.runs}


def _attribution_html(s: dict[str, Any], cal_mat: str, pred_mat: str) -> str:
    """Table of the loss attribution of both cells."""
    causes = list(s[cal_mat]["loss_attribution"]["loss_pct"])
    rows = [
        [cause]
        + [f"{s[m]['loss_attribution']['loss_pct'][cause]:.1f}" for m in (cal_mat, pred_mat)]
        for cause in causes
    ]
    rows.append(
        ["retention (full model)"]
        + [f"{s[m]['loss_attribution']['retention_pct']:.1f} %" for m in (cal_mat, pred_mat)]
    )
    return (
        "<p>Points of retention (vs cycle-1 lithiation, at the calibration cycle) lost to each"
        " cause: exact Shapley shares over eight runs with the rate step, contact loss and side"
        " reactions each switched off; 'other' is what is lost with all three off (first-cycle"
        " amorphisation, hysteresis, polarisation at the cut-off). They add up to 100 % minus"
        " the retention (docs/physics.md 8.9). Computed on the point model (the median"
        " parameters), not over the band.</p>"
        + H.table(["cause", f"{cal_mat} (points)", f"{pred_mat} (points)"], rows, "attribution")
    )


def prediction_label(summary: dict[str, Any]) -> str:
    """How the prediction is labelled: "after informed review, not blind" when the study
    keeps an earlier blind prediction of the material (``[prediction_record]``), else
    "blind prediction"."""
    from ..uncertainty.band import BLIND_LABEL_NEW, BLIND_LABEL_REVIEWED

    return BLIND_LABEL_REVIEWED if "blind_record" in summary else BLIND_LABEL_NEW


def _report_html(study: Study, s: dict[str, Any], folder: Path) -> str:
    cal_mat, pred_mat = s["calibration"]["material"], s["prediction_material"]
    d, n, cal = s[cal_mat], s[pred_mat], s["calibration"]
    rep = study.raw.get("reported", {})
    band = n.get("retention_band_pct")
    band_text = f"band {band[0]:.1f}-{band[1]:.1f} %" if band else "no sensitivity band run"
    key = (
        f'<p class="key">{H.esc(cal_mat.capitalize())} Si (calibrated): {d["retention_pct"]:.1f} % at cycle {cal["cycle"]} '
        f"(target {100 * cal['target']:.0f} %, beta = {cal['value']:.4g}).<br>"
        + f"{H.esc(pred_mat.capitalize())} Si ({H.esc(prediction_label(s))}): "
        + (  # --- prior band: median and 5-95 % ---
            f"median {n['retention_pct']:.1f} %, 5-95 % band {band[0]:.1f}-{band[1]:.1f} % "
            "from the priors"
            if "band_samples" in n
            else f"{n['retention_pct']:.1f} % ({band_text})"
        )
        + (f"; blind (v0.1): {s['blind_record']['retention_pct']} %" if "blind_record" in s else "")
        + ".</p>"
        + f'<p class="note">{H.esc(s["rule"])}. The model is approximate: a uniform-reaction '
        "(reduced) half-cell model; several inputs are estimates (see provenance).</p>"
    )
    npm = s["materials"].get(pred_mat, {})
    raman_check = next((c for c in s["consistency"] if c["check"].startswith("Raman")), {})
    syn = s.get("synthesis") or {}
    des = s["design"]
    rows = [
        ["Si yield", "(not reported)", syn.get("si_yield_mg"), "mg"],
        ["template porosity", "(not reported)", syn.get("template_porosity"), "-"],
        ["Si mass", rep.get("si_mass", ""), des["si_mass_mg"], "mg"],
        ["electrode area", rep.get("area", ""), des["area_cm2"], "cm2"],
        ["Si loading", rep.get("si_loading", ""), des["si_loading_mg_cm2"], "mg/cm2"],
        [
            "areal capacity (4200 mAh/g)",
            rep.get("areal_capacity_Li22Si5", ""),
            des["areal_capacity_mAh_cm2"],
            "mAh/cm2",
        ],
    ]
    for step in des["steps"][:4]:
        rows.append([f"C-rate: {step.get('text', '')}", "", step.get("c_rate"), "1/h"])
    rows += [
        ["C-rate stated, cycles 1-3", rep.get("c_rate_cycles_1_3", ""), "", ""],
        ["C-rate stated, cycles 4 on", rep.get("c_rate_cycles_4_on", ""), "", ""],
        [
            "cut-offs vs Li",
            f"{rep.get('cutoff_low_vs_li', '')} / {rep.get('cutoff_high_vs_li', '')}",
            " / ".join(f"{v:.2f}" for v in des["cutoffs_vs_li_V"][:2]),
            "V",
        ],
        [
            "BET area",
            rep.get("bet_area", ""),
            npm.get("bet_area", {}).get("value", ""),
            "m2/g",
        ],
        [
            "pore diameter",
            rep.get("pore_diameter", ""),
            npm.get("pore_diameter", {}).get("value", ""),
            "nm",
        ],
        [
            "XRD lattice constant",
            rep.get("xrd_lattice_constant", ""),
            npm.get("lattice_constant", {}).get("value", ""),
            f"nm ({npm.get('lattice_constant', {}).get('method', 'not given')})",
        ],
        [
            "XRD Scherrer size",
            rep.get("xrd_scherrer_size", ""),
            npm.get("crystallite_size", {}).get("value", ""),
            f"nm ({npm.get('crystallite_size', {}).get('method', 'not given')})",
        ],
        [
            "Raman Si TO band",
            rep.get("raman_peak", ""),
            raman_check.get("values", "(no Raman data)"),
            "1/cm",
        ],
        [f"{pred_mat} porosity", "(not reported)", n["porosity"], "-"],
        [
            f"{cal_mat} retention at cycle {cal['cycle']}",
            f"{100 * cal['target']:.0f} %",
            d["retention_pct"],
            "%",
        ],
        [
            f"{pred_mat} retention at cycle {cal['cycle']}",
            _reported_retention(rep.get(pred_mat, {})),
            n["retention_pct"],
            "%",
        ],
        [
            "initial discharge capacity",
            "similar for both",
            f"{d['first_lithiation_mAh_g']:.0f} vs {n['first_lithiation_mAh_g']:.0f}",
            "mAh/g",
        ],
    ]
    numbers = H.table(["quantity", "study reports", "sianode computes", "unit"], rows, "numbers")
    res_rows = []
    for label, b in ((cal_mat, d), (pred_mat, n)):
        res_rows.append(
            [
                label,
                b["retention_pct"],
                b["retention_vs_cycle1_delithiation_pct"],
                b["retention_vs_cycle4_lithiation_pct"],
                b["first_lithiation_mAh_g"],
                b["first_cycle_efficiency"],
                b["connected_fraction_end"],
                b["max_electrode_swelling_um"],
            ]
        )
    results = H.table(
        [
            "cell",
            "retention vs c1 lith / %",
            "vs c1 delith / %",
            "vs c4 lith / %",
            "1st lithiation / mAh/g",
            "1st-cycle efficiency",
            "connected Si at end",
            "max swelling / um",
        ],
        res_rows,
        "results",
    )
    band_rows = [[r["variation"], 100 * r["retention"]] for r in n.get("band_rows", [])]
    calib = (
        f"<p>Parameter <b>{H.esc(cal['parameter'])}</b> = {cal['value']:.5g}; target "
        f"{100 * cal['target']:.1f} % at cycle {cal['cycle']} (achieved {100 * cal['achieved']:.2f} %, "
        f"{cal['evaluations']} simulations). Procedure: {H.esc(cal['procedure'])}.</p>"
        + H.table(["variation (prediction band)", f"{pred_mat} retention / %"], band_rows, "band")
    )
    prov_rows = []
    for mat, vals in s["materials"].items():
        for k, e in vals.items():
            prov_rows.append([mat, k, e["value"], e["unit"], e["source"], e["method"]])
    prov = H.table(
        ["material", "descriptor", "value", "unit", "source", "method"], prov_rows, "provenance"
    )
    cons = H.table(
        ["check", "values", "verdict"],
        [[c["check"], c["values"], c["verdict"]] for c in s["consistency"]],
        "consistency",
    )
    figs = "".join(
        [
            H.figure(
                folder / "capacity_retention.png",
                "Capacity and retention vs cycle (cf. the study's figure 2); star: the"
                " calibration target the study reports.",
            ),
            H.figure(
                folder / "voltage_curves.png",
                "Voltage curves of cycles 1, 2 and 50 (vs Li+/Li; solid lithiation, dashed delithiation).",
            ),
            H.figure(
                folder / "strain_vs_soc.png",
                "External (unbuffered) particle strain vs Li content, cycle 2.",
            ),
            H.figure(
                folder / "what_if.png",
                f"What-if, {pred_mat} Si: (a) retention at cycle {cal['cycle']} vs porosity at fixed"
                " pore size; (b) retention vs a lithiation capacity limit, both materials (dotted:"
                " the limit the pores can buffer fully); (c) first-cycle efficiency vs porosity."
                " Dash-dot: the material's own porosity; grey: designs that did not run.",
            ),
        ]
    )
    sections = [("Summary", key)]
    if all("loss_attribution" in s[m] for m in (cal_mat, pred_mat)):
        sections.append(
            ("Which mechanism lost the capacity", _attribution_html(s, cal_mat, pred_mat))
        )
    if "band" in s:  # --- prior band section ---
        from .band import band_section

        png = folder / "band.png"
        sections.append(("Prediction band from the priors", band_section(s, png)))
    return H.page(
        f"sianode report: {study.name}",
        sections
        + [
            ("Figures", figs),
            ("Study numbers next to sianode's", numbers),
            ("Results", results),
            ("Calibration and blind prediction", calib),
            ("Consistency of the material descriptors", cons),
            ("Provenance of every input", prov),
        ],
        stamp=s.get("generated"),
    )
