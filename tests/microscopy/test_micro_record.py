"""Micrograph results in the material record (issue 18 item 4), with provenance and checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sianode.characterisation.material import build_material, read_material
from sianode.cli import main
from sianode.errors import ParameterError
from sianode.microscopy import analyse_micrograph


@pytest.fixture(scope="module")
def sem(micro):
    return analyse_micrograph(micro / "test_tiff_Zeiss_SEM_512pix.tif", particles=True)


@pytest.fixture(scope="module")
def tem(micro):
    return analyse_micrograph(micro / "After_HAADF_130mm.emi", pores=True)


def test_record_entries_with_provenance(sem, tem):
    mat = build_material("np-Si", tem=tem, sem=sem, typed={"crystallite_size": "60 nm"})
    r = mat.values["particle_radius"]
    # the radius is half the SEM's median equivalent diameter, stored in um
    assert r.unit == "um"
    assert r.value == pytest.approx(sem.particles.median_diameter / 2 / 1000)
    assert "test_tiff_Zeiss_SEM_512pix.tif" in r.source and "11.65" in r.source
    assert "median area-equivalent radius" in r.method
    assert mat.get("particle_radius_p10") < r.value < mat.get("particle_radius_p90")
    assert mat.values["pore_width_micrograph"].value == pytest.approx(tem.pores.median_pore_width)
    assert mat.values["wall_thickness_micrograph"].unit == "nm"
    assert mat.values["porosity_micrograph"].value == pytest.approx(tem.pores.porosity)
    assert "thresholds give" in mat.values["porosity_micrograph"].method
    names = [c.name for c in mat.checks]
    assert "wall thickness" in names and "particle vs crystallite" in names
    wall = next(c for c in mat.checks if c.name == "wall thickness")
    # 60 nm typed-in crystallites vs ~430 nm walls: more than a factor of 2 apart
    assert wall.consistent is False and "xrd_scherrer" in wall.verdict


def test_pores_json_keys(tem):
    # the dict `sianode micrograph --pores --json` prints
    d = json.loads(json.dumps(tem.to_dict()["pores"], default=float))
    assert 0 < d["porosity"] < 1 and d["median_width_nm"] > 0
    assert d["porosity_range"][0] <= d["porosity"] <= d["porosity_range"][1]


def test_record_round_trip_and_simulator_key(sem, tmp_path):
    mat = build_material("np-Si", sem=sem)
    p = tmp_path / "m.json"
    mat.to_json(p)
    back = read_material(p)
    # particle_radius is the key sianode.simulation.cells.material_descriptors reads
    assert back.values["particle_radius"].to_dict() == mat.values["particle_radius"].to_dict()


def test_without_micrographs_no_new_checks():
    names = [c.name for c in build_material("dense", typed={"crystallite_size": "50 nm"}).checks]
    assert names == ["porosity", "sizes"]


def test_uncalibrated_image_rejected(micro):
    res = analyse_micrograph(micro / "graphene_flower_raw.dm3", particles=True)
    with pytest.raises(ParameterError, match="no spatial calibration"):
        build_material("x", sem=res)


def test_cli_material_build_tem_sem(capsys, micro, tmp_path):
    out = tmp_path / "mat.json"
    argv = [
        "material", "build", "--out", str(out),
        "--tem", str(micro / "After_HAADF_130mm.emi"),
        "--sem", str(micro / "test_tiff_Zeiss_SEM_512pix.tif"),
        "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    for k in ("particle_radius", "pore_width_micrograph", "wall_thickness_micrograph"):
        assert {"value", "unit", "source", "method"} <= set(d["values"][k])
    assert json.loads(out.read_text())["values"]["particle_radius"]["unit"] == "um"


def test_simulator_reads_the_measured_radius(sem, tmp_path, study):
    from sianode.simulation.cells import material_descriptors

    p = tmp_path / "np.json"
    build_material("np-Si", sem=sem).to_json(p)
    desc = material_descriptors(study, "nanoporous", p)
    r = desc["particle_radius"]
    # the SEM's median radius replaces the study's typed-in value, with its provenance
    assert r["value"] == pytest.approx(sem.particles.median_diameter / 2000)
    assert "test_tiff_Zeiss_SEM_512pix.tif" in r["source"]
    assert desc["particle_radius_p10"]["value"] < r["value"] < desc["particle_radius_p90"]["value"]


def test_study_files_list_a_sem_micrograph(micro, sem, tmp_path):
    from sianode import load_study
    from sianode.simulation.cells import cell_from_study, material_descriptors

    text = load_study().path.read_text()
    f = micro / "test_tiff_Zeiss_SEM_512pix.tif"
    block = f'[materials.nanoporous.files]\nsem = "{f.as_posix()}"\n\n[materials.dense]'
    path = tmp_path / "study.toml"
    path.write_text(text.replace("[materials.dense]", block, 1))
    study = load_study(path)
    d = material_descriptors(study, "nanoporous")
    # the SEM's median radius replaces the typed-in 2.5 um of the bundled study
    assert d["particle_radius"]["value"] == pytest.approx(sem.particles.median_diameter / 2000)
    assert "median area-equivalent radius" in d["particle_radius"]["method"]
    cell, _ = cell_from_study(study, "nanoporous")
    assert cell.particle_radius == pytest.approx(d["particle_radius"]["value"] * 1e-6)


def test_band_prior_from_the_measured_distribution(sem):
    from sianode.microscopy.record import measured_radius_priors
    from sianode.uncertainty.priors import load_priors

    mat = build_material("np-Si", sem=sem)
    table = load_priors()
    pri = measured_radius_priors(table, mat, "nanoporous")
    radius = [p for p in pri if p.key == "particle_radius"]
    # the dense one stays the table's estimate; the nanoporous one is the measured lognormal
    assert {p.materials for p in radius} == {("dense",), ("nanoporous",)}
    new = next(p for p in radius if p.materials == ("nanoporous",))
    assert new.distribution == "lognormal"
    q = new.ppf(np.array([0.1, 0.9]))
    p10, p90 = mat.get("particle_radius_p10") * 1e-6, mat.get("particle_radius_p90") * 1e-6
    assert q == pytest.approx([p10, p90], rel=1e-6)
    assert len(pri) == len(table)
    with pytest.raises(ParameterError, match="no particle_radius_p10"):
        measured_radius_priors(table, build_material("typed"), "nanoporous")
