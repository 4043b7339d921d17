"""The band's report section: labels, the blind record, and a measured value when a study
gives one (inside or outside the band)."""

from __future__ import annotations

import copy

import numpy as np

from sianode.report.band import BLIND_LABEL, band_figure, band_section
from sianode.study import Study, load_study
from sianode.uncertainty import BLIND_LABEL_NEW, BLIND_LABEL_REVIEWED, prediction_band
from sianode.uncertainty.priors import Prior

REVIEW_LABEL = BLIND_LABEL_REVIEWED


def _summary(measured):
    return {
        "prediction_material": "nanoporous",
        "nanoporous": {
            "retention_pct": 40.0,
            "retention_band_pct": [30.0, 50.0],
            "band_samples": 1000,
            "band_failed_fraction": 0.1,
        },
        "blind_record": load_study().prediction_record("nanoporous"),
        "band": {
            "label": REVIEW_LABEL,
            "cycle": 50,
            "design": "test",
            "failure_reasons": {"calibration: x": 100},
            "sobol": [{"input": "k0", "S1": 0.5, "S1_conf": 0.1, "ST": 0.6, "ST_conf": 0.1}],
            "sobol_note": "note",
            "measurement_ranking_detail": [],
            "priors": [],
            "measured_retention_pct": measured,
        },
    }


def test_section_labels_and_measured_value(tmp_path):
    png = tmp_path / "band.png"
    band_figure(_summary(45.0), np.array([35.0, 40.0, 45.0]), png)
    assert png.stat().st_size > 0
    text = band_section(_summary(45.0), png)
    assert BLIND_LABEL in text and REVIEW_LABEL in text
    assert "33.8 %" in text and "25.4-39.0" in text
    assert "measured retention of 45.0 %: inside" in text
    assert "measured retention of 55.0 %: outside" in band_section(_summary(55.0), None)
    assert "withheld" in band_section(_summary(None), None)


def test_measured_value_is_read_from_the_study_only_when_numeric(study):
    priors = [Prior("m", "damage_exponent", "uniform", 2.0, 2.0, "1", "1", "estimate")]
    withheld = prediction_band(study, priors, n_samples=3, cache=False, rank=False)
    assert withheld.measured_pct is None  # the shipped study keeps it withheld
    raw = copy.deepcopy(study.raw)
    raw["reported"]["nanoporous"]["retention"] = 0.5  # a made-up study, not the real value
    res = prediction_band(Study(raw=raw, path=study.path), priors, n_samples=3, cache=False)
    assert res.measured_pct == 50.0
    assert res.to_summary()["band"]["measured_retention_pct"] == 50.0


def test_a_study_without_a_record_is_labelled_blind(study, tmp_path):
    """The v0.1 record and the "not blind" label belong to the reference study (its
    ``[prediction_record]``); a study without one gets neither, and a renamed prediction
    material is used in the text instead of "nanoporous"."""
    raw = copy.deepcopy(study.raw)
    del raw["prediction_record"]
    priors = [Prior("m", "damage_exponent", "uniform", 2.0, 2.0, "1", "1", "estimate")]
    s = prediction_band(Study(raw=raw), priors, n_samples=3, cache=False, rank=False).to_summary()
    assert "blind_record" not in s and s["band"]["label"] == BLIND_LABEL_NEW
    summary = _summary(None)
    del summary["blind_record"]
    summary["band"]["label"] = BLIND_LABEL_NEW
    summary["sponge"] = summary.pop("nanoporous")
    summary["prediction_material"] = "sponge"
    band_figure(summary, None, tmp_path / "b.png")
    text = band_section(summary, None)
    assert "Sponge Si, blind prediction" in text and BLIND_LABEL not in text
    assert "33.8" not in text and "measured sponge retention is withheld" in text
