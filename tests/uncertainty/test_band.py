"""The prior band: cells per sample, the point case, failures, cache (issue 14 B)."""

from __future__ import annotations

import copy
import logging

import numpy as np
import pytest

from sianode.calibration import calibrate_dense, predict
from sianode.cell import build_cell
from sianode.study import Study
from sianode.uncertainty import BLIND_LABEL_REVIEWED, load_priors, prediction_band
from sianode.uncertainty.band import _bases, _cells_for_sample
from sianode.uncertainty.priors import Prior, collapse


def _point(label: str, key: str, value: float, materials: tuple[str, ...] = ()) -> Prior:
    return Prior(label, key, "uniform", value, value, "1", "1", "estimate", materials=materials)


def _build_cell_path(study, sample):
    """Cells the one obvious way: sianode.cell.build_cell with the sample as overrides."""
    out = {}
    for m in ("dense", "nanoporous"):
        over = {p.key: float(v) for p, v in sample.items() if not p.pending and p.applies_to(m)}
        out[m] = build_cell(study, m, **over)[0]
    return out


def test_cells_for_sample_equal_build_cell(study):
    """The fast path (geometry and derived descriptors recomputed per sample) equals
    build_cell with the same overrides; the dense wall follows the radius (2 R)."""
    by = {p.label: p for p in load_priors()}
    sample = {
        by["particle_radius[dense]"]: 1.7e-6,
        by["particle_radius[nanoporous]"]: 3.0e-6,
        by["porosity[nanoporous]"]: 0.40,
        by["composite_relative_density"]: 0.90,
        by["k0"]: 0.5,
        by["damage_exponent"]: 2.5,
    }
    cells = _cells_for_sample(study, sample, _bases(study, ("dense", "nanoporous")))
    ref = _build_cell_path(study, sample)
    for m in ("dense", "nanoporous"):
        np.testing.assert_allclose(cells[m].to_vector(), ref[m].to_vector(), rtol=1e-12)
    assert cells["dense"].wall_size == pytest.approx(3.4e-6)
    assert (
        cells["nanoporous"].electrode_thickness
        != _bases(study, ("nanoporous",))["nanoporous"].cell.electrode_thickness
    )


def test_cells_for_sample_equal_build_cell_across_the_priors(study):
    """Every prior of the table at once, several rows of the design."""
    from sianode.uncertainty.sensitivity import saltelli_design

    active = [p for p in load_priors() if not p.pending]
    U, _ = saltelli_design(active, 8, seed=3)
    bases = _bases(study, ("dense", "nanoporous"))
    for row in U[:: max(1, len(U) // 5)]:
        sample = {p: p.ppf(np.array([u]))[0] for p, u in zip(active, row)}
        fast = _cells_for_sample(study, sample, bases)
        slow = _build_cell_path(study, sample)
        for m in fast:
            np.testing.assert_allclose(fast[m].to_vector(), slow[m].to_vector(), rtol=1e-12)


def test_point_priors_collapse_to_one_calibration_and_prediction(study, tmp_path):
    """Every prior a point: all samples are one cell, and the band's median equals
    calibrate_dense (brentq) + predict for that cell. Values chosen off the study defaults
    so the overrides matter; the dense radius goes through the derived path."""
    values = {
        "damage_exponent": 2.5,
        "particle_radius[dense]": 1.1e-6,
        "oxide_thickness": 0.7e-9,
        "breathing_factor": 0.5,
        "usable_pore_fraction[nanoporous]": 0.8,
        "hysteresis_rate": 30.0,
    }
    priors = [p for p in collapse(load_priors(), values) if p.label in values]
    res = prediction_band(study, priors, n_samples=8, cache=False, rank=False)
    assert res.failed == 0 and res.samples == 8  # N = 1, D + 2 = 8 rows
    raw = copy.deepcopy(study.raw)
    raw["materials"]["dense"]["particle_radius"] = "1.1 um"
    mod = Study(raw=raw, path=study.path)
    over = {"oxide_thickness": 0.7e-9, "breathing_factor": 0.5, "hysteresis_rate": 30.0}
    cal = calibrate_dense(mod, damage_exponent=2.5, **over)
    ref = predict(cal, mod, "nanoporous", record=False, usable_pore_fraction=0.8, **over)
    q5, q50, q95 = res.quantiles_pct()
    # the band calibrates to 5e-5 (0.005 points) of the target, brentq to rtol 1e-5 on beta
    assert q50 == pytest.approx(100 * ref.retention_at(50), abs=0.02)
    assert q95 - q5 == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(res.beta, cal.value, rtol=1e-3)


def test_failed_calibrations_are_counted_with_reasons(study, caplog):
    """A conductivity prior reaching far below the study's: the low samples cannot start.
    They are counted, named and left out of the quantiles, never dropped silently; the
    pending prior is logged and not sampled."""
    priors = [
        Prior("sigma", "conductivity", "loguniform", 1e-3, 0.2, "S/m", "S/m", "estimate"),
        Prior("future", "not_a_parameter_yet", "uniform", 0.0, 1.0, "1", "1", "estimate"),
    ]
    with caplog.at_level(logging.WARNING):
        res = prediction_band(study, priors, n_samples=24, cache=False, rank=False)
    assert "not_a_parameter_yet" in caplog.text and "pending" in caplog.text
    assert res.labels == ["conductivity"]
    sigma = res.X[:, 0]
    assert res.samples == 24
    assert 0 < res.failed < res.samples
    assert res.failed == sum(1 for r in res.reasons if r)
    reasons = res.failure_reasons()
    assert sum(reasons.values()) == res.failed
    assert all(r.startswith(("calibration: ", "prediction: ")) for r in reasons)
    # the low-conductivity samples are the failed ones (a monotone cause)
    assert sigma[~res.ok].max() < sigma[res.ok].min()
    s = res.to_summary()
    assert s["nanoporous"]["band_samples"] == 24
    assert s["nanoporous"]["band_failed_fraction"] == pytest.approx(res.failed / 24)
    ok_pct = 100 * res.retention[res.ok]
    assert s["nanoporous"]["retention_pct"] == pytest.approx(np.median(ok_pct))
    assert s["blind_record"] == study.prediction_record("nanoporous")
    assert s["blind_record"]["retention_pct"] == 33.8  # v0.1's record, unchanged
    assert s["band"]["label"] == BLIND_LABEL_REVIEWED
    assert s["band"]["sobol_of_failure"][0]["input"] == "conductivity"


def test_cached_run_is_read_back_and_resumes(study, tmp_path):
    priors = [Prior("m", "damage_exponent", "uniform", 1.5, 3.0, "1", "1", "estimate")]
    kw = dict(n_samples=12, cache_dir=tmp_path, chunk=6, rank=False)
    first = prediction_band(study, priors, **kw)
    chunks = sorted(tmp_path.glob("band/*/chunk-*.npz"))
    assert len(chunks) == 2 and first.simulations > 0
    again = prediction_band(study, priors, **kw)
    assert again.simulations == 0  # everything read back
    np.testing.assert_array_equal(again.retention, first.retention)
    chunks[1].unlink()  # as if interrupted during the second chunk
    resumed = prediction_band(study, priors, **kw)
    assert 0 < resumed.simulations < first.simulations
    np.testing.assert_array_equal(resumed.retention, first.retention)


def test_no_beta_reaches_the_target_when_damage_cannot_act(study):
    """A strain threshold above any strain the cell reaches: beta changes nothing, so the
    search runs up to beta = 10 and the sample fails with that reason (as calibrate_dense)."""
    priors = [Prior("e0", "strain_threshold", "uniform", 50.0, 50.0, "1", "1", "estimate")]
    res = prediction_band(study, priors, n_samples=3, cache=False, rank=False)
    assert res.failed == res.samples == 3
    assert list(res.failure_reasons()) == ["calibration: no beta up to 10 reaches the target"]
    q = res.to_summary()["nanoporous"]
    assert q["band_failed_fraction"] == 1.0 and np.isnan(q["retention_pct"])


def test_a_value_the_study_sets_is_held_not_sampled(study, caplog):
    """A study's [parameters] table gives k0: its prior is not sampled (logged, listed)."""
    raw = copy.deepcopy(study.raw)
    raw["parameters"] = {"k0": "2 A/m2"}
    typed = Study(raw=raw, path=study.path)
    priors = [
        Prior("k0", "k0", "loguniform", 0.1, 3.0, "A/m^2", "A/m^2", "estimate"),
        Prior("m", "damage_exponent", "uniform", 1.5, 3.0, "1", "1", "estimate"),
    ]
    with caplog.at_level(logging.WARNING):
        res = prediction_band(typed, priors, n_samples=3, cache=False, rank=False)
    assert res.labels == ["damage_exponent"]
    assert res.to_summary()["band"]["held_by_study"] == ["k0"]
    assert "held at the study's value" in caplog.text
