"""``reproduce`` on any study that names its calibration and prediction materials (issue 16).

The renamed study is the bundled one with its two materials renamed, so every number must be
the bundled study's own: the names are labels, not physics."""

from __future__ import annotations

import json

import pytest

from sianode.calibration import calibrate_dense
from sianode.cli import main
from sianode.errors import ParameterError
from sianode.report.reproduce import reproduce
from sianode.study import load_study, reference_study_path


def _renamed(tmp_path, with_roles: bool = True):
    text = reference_study_path().read_text()
    for old, new in (("dense", "commercial"), ("nanoporous", "sponge")):
        for pattern in ("[materials.{}]", "[reported.{}]"):
            assert pattern.format(old) in text
            text = text.replace(pattern.format(old), pattern.format(new))
    if with_roles:
        text = text.replace(
            "[study]\n",
            '[study]\ncalibration_material = "commercial"\nprediction_material = "sponge"\n',
            1,
        )
    path = tmp_path / "renamed.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    return reproduce(out=out, with_band=False)


def test_renamed_materials_give_the_same_numbers(tmp_path, reference_run, capsys):
    out = tmp_path / "r"
    assert main(["reproduce", str(_renamed(tmp_path)), "--out", str(out), "--no-band"]) == 0
    printed = capsys.readouterr().out
    assert "Commercial Si: calibrated beta" in printed
    assert "Sponge Si (blind prediction)" in printed
    s = json.loads((out / "summary.json").read_text())
    ref = reference_run
    assert s["calibration"]["material"] == "commercial"
    assert s["prediction_material"] == "sponge"
    assert s["calibration"]["value"] == pytest.approx(ref["calibration"]["value"], rel=1e-12)
    for new, old in (("commercial", "dense"), ("sponge", "nanoporous")):
        assert s[new]["retention_pct"] == pytest.approx(ref[old]["retention_pct"], rel=1e-12)
        assert (out / f"{new}_cycles.parquet").exists()
    cap = s["what_if"]["capacity_limit"]
    assert cap["sponge"] == pytest.approx(ref["what_if"]["capacity_limit"]["nanoporous"])
    html = (out / "report.html").read_text()
    assert "sponge retention at cycle 50" in html and "withheld (blind test)" in html


def test_a_study_without_the_default_names_must_name_them(tmp_path):
    study = load_study(_renamed(tmp_path, with_roles=False))
    with pytest.raises(
        ParameterError, match="calibration_material = 'dense'.*set calibration_material"
    ):
        reproduce(study, out=tmp_path / "r", with_band=False)


def test_a_named_material_must_exist(tmp_path):
    path = _renamed(tmp_path)
    path.write_text(
        path.read_text().replace('prediction_material = "sponge"', 'prediction_material = "spong"')
    )
    with pytest.raises(ParameterError, match="prediction_material = 'spong' is not a"):
        reproduce(load_study(path), out=tmp_path / "r", with_band=False)


def test_calibration_reads_the_named_materials_target(tmp_path):
    study = load_study(_renamed(tmp_path))
    cal = calibrate_dense(study, material="commercial")
    assert cal.target == 0.17 and cal.material == "commercial"  # study.md: dense 17 % at 50


def test_reference_study_without_band_is_not_labelled_blind(tmp_path, capsys):
    """The reference study keeps v0.1's blind prediction (``[prediction_record]``) and the
    model was reviewed against it, so its prediction is "after informed review, not blind"
    with or without the band; --no-band printed and wrote "blind prediction" before."""
    out = tmp_path / "r"
    assert main(["reproduce", "--out", str(out), "--no-band"]) == 0
    printed = capsys.readouterr().out
    assert "Nanoporous Si (after informed review, not blind): retention" in printed
    assert "blind (v0.1): 33.8 %" in printed and "blind prediction" not in printed
    s = json.loads((out / "summary.json").read_text())
    assert s["blind_record"]["retention_pct"] == 33.8
    html = (out / "report.html").read_text()
    assert "Nanoporous Si (after informed review, not blind)" in html
    assert "(blind prediction)" not in html
