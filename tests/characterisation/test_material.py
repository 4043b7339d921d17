"""Material record: JSON schema, pores.py-derived porosity, consistency verdicts, simulator read-back.

Reference values: study.md / physics.md section 2 (213 m2/g, 5.9 nm cylinders -> V_p 0.314
cm3/g, porosity 0.42, plate walls 4.0 nm; MgO template porosity 0.48).
"""

from __future__ import annotations

import json

import pytest

from sianode.characterisation.material import Material, build_material, read_material
from sianode.errors import ParameterError, ParsingError

SIM_KEYS = {"value", "unit", "source", "method"}


def test_study_numbers_and_verdicts():
    mat = build_material(
        "np-Si",
        synthesis_porosity=0.483,
        typed={
            "bet_area": "213 m2/g",
            "pore_diameter": "5.9 nm",
            "crystallite_size": 39.8,
            "confinement_length": 1.79,
            "particle_radius": "1 um",
        },
    )
    assert mat.get("pore_volume") == pytest.approx(0.314, abs=0.001)
    assert mat.get("porosity") == pytest.approx(0.423, abs=0.002)
    assert mat.get("wall_thickness") == pytest.approx(4.03, abs=0.02)
    assert "cylinder pore model" in mat.values["porosity"].method
    por, sizes = mat.checks
    assert por.consistent is True and "consistent" in por.verdict
    assert sizes.consistent is False and "not size alone" in sizes.verdict


def test_json_round_trip_schema(tmp_path):
    mat = build_material(
        "x",
        typed={
            "bet_area": 100,
            "pore_diameter": 4,
            "crystalline": True,
            "particle_radius": "500 nm",
        },
    )
    path = tmp_path / "m.json"
    mat.to_json(path)
    data = json.loads(path.read_text())
    assert data["name"] == "x"
    for key, entry in data["values"].items():
        assert set(entry) == SIM_KEYS, key
    assert data["values"]["particle_radius"]["value"] == pytest.approx(0.5)
    assert data["values"]["particle_radius"]["unit"] == "um"
    assert data["values"]["crystalline"]["value"] is True
    back = read_material(path)
    assert back.to_dict() == mat.to_dict()


def test_simulator_reads_it(tmp_path, study):
    from sianode.simulation.cells import material_descriptors

    mat = build_material(
        "np",
        typed={
            "bet_area": 213,
            "pore_diameter": 5.9,
            "particle_radius": "2 um",
            "crystalline": False,
        },
    )
    path = tmp_path / "m.json"
    mat.to_json(path)
    name = study.material_names[-1]
    desc = material_descriptors(study, name, path)
    assert desc["porosity"]["value"] == pytest.approx(mat.get("porosity"))
    assert desc["particle_radius"]["value"] == pytest.approx(2.0)


def test_from_files(external_data):
    root = external_data / "materials"
    mat = build_material(
        "SRM+SiO2",
        xrd=root / "xrd" / "Si-Std_SRM640d_D8D_20-97_7_16hm.xy",
        sorption=root / "isotherms" / "pygaps_SiO2_N2_77K.json",
        synthesis="study",
    )
    assert mat.get("lattice_constant") == pytest.approx(0.543123, abs=5e-5)
    assert "BET (pyGAPS, Rouquerol)" in mat.values["bet_area"].method
    assert mat.values["bet_area"].source.endswith("pygaps_SiO2_N2_77K.json")
    assert mat.get("template_porosity") == pytest.approx(0.483, abs=0.002)


def test_bad(tmp_path):
    with pytest.raises(ParameterError):
        build_material("x", synthesis_porosity=1.5)
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    with pytest.raises(ParsingError, match="values"):
        read_material(bad)
    with pytest.raises(ParameterError):
        Material("x").set("bet_area", "3 nm", "typed in", "typed in")


def _sorption_result(d_peak_nm, notes):
    from sianode.characterisation.sorption import BETResult, SorptionResult

    bet = BETResult(213.0, 100.0, 2.18, (0.05, 0.25), 8, 0.9999)
    return SorptionResult(
        source="iso.json",
        material="np-Si",
        adsorbate="nitrogen",
        temperature_K=77.355,
        bet=bet,
        pore_diameter_nm=d_peak_nm,
        psd_model="BJH",
        psd_branch="des",
        pore_volume_cm3_g=0.3,
        pore_volume_p_rel=0.95,
        bjh_cumulative_volume_cm3_g=0.28,
        t_plot=[],
        warnings=notes,
    )


def test_bjh_peak_below_2nm_gives_no_porosity(tmp_path):
    # issue 16: porosity was derived from a 1.97 nm BJH peak; the Kelvin equation behind BJH is
    # not valid below 2 nm (IUPAC micropore limit, Thommes et al., Pure Appl. Chem. 87 (2015) 1051)
    note = "PSD peak 1.50 nm is a micropore: Kelvin-based BJH is not valid below 2 nm"
    mat = build_material("micro", sorption=_sorption_result(1.5, [note]))
    assert "pore_diameter" not in mat.values
    assert "porosity" not in mat.values
    assert mat.get("bet_area") == pytest.approx(213.0)
    assert f"sorption: iso.json: {note}" in mat.warnings
    assert any("1.50 nm is below 2 nm" in w for w in mat.warnings)
    # a typed-in pore size still gives a porosity
    typed = build_material("m", sorption=_sorption_result(1.5, []), typed={"pore_diameter": 5.9})
    assert typed.get("porosity") == pytest.approx(0.423, abs=0.002)  # study value, as above
    # a mesopore peak is used as before, and its record has no warning of its own
    meso = build_material("meso", sorption=_sorption_result(5.9, []))
    assert meso.get("porosity") == pytest.approx(0.423, abs=0.002)
    assert meso.warnings == []


def test_saved_record_keeps_warnings(tmp_path):
    mat = build_material("w", sorption=_sorption_result(1.5, ["t-plot: no linear region"]))
    path = tmp_path / "m.json"
    mat.to_json(path)
    saved = json.loads(path.read_text())
    assert saved["warnings"] == mat.warnings and len(saved["warnings"]) == 2
    assert read_material(path).warnings == mat.warnings


def test_sio2_bjh_peak_is_not_a_porosity(external_data):
    # the real case of issue 16: pyGAPS's SiO2 isotherm, BJH desorption peak 1.97 nm
    iso = external_data / "materials" / "isotherms" / "pygaps_SiO2_N2_77K.json"
    mat = build_material("SiO2", sorption=iso)
    assert "porosity" not in mat.values and "pore_diameter" not in mat.values
    assert any("1.97 nm is below 2 nm" in w for w in mat.warnings)
