"""Study -> simulator parameters: derived values with provenance, measurement files."""

from __future__ import annotations

import pytest

from sianode import load_study
from sianode.errors import ParameterError
from sianode.simulation import cell_from_study, material_descriptors


def test_nanoporous_porosity_is_derived_not_typed(study):
    d = material_descriptors(study, "nanoporous")
    # physics.md 2.2: cylinders at 213 m2/g and 5.9 nm -> V_p 0.314 cm3/g, porosity 0.423
    assert d["porosity"]["value"] == pytest.approx(0.4225, abs=5e-4)
    assert d["porosity"]["source"] == "derived"
    assert d["wall_size"]["value"] == pytest.approx(4.03, abs=0.01)  # 2/(rho S), physics.md 2.2


def test_dense_geometry_matches_hand_numbers(study):
    cell, prov = cell_from_study(study, "dense")
    assert cell.si_mass == pytest.approx(0.72e-6)  # 2 mg x 36 % (study.md)
    assert cell.area == pytest.approx(0.7854e-4, rel=1e-4)  # pi (5 mm)^2
    # separator 80 mg / 1.88 g cm-3 / 0.7854 cm2 / 0.90 = 602 um (physics.md 5.2, hand)
    assert cell.separator_thickness == pytest.approx(602e-6, rel=2e-3)
    # external area of 1 um spheres: 3/(rho R) = 1.288 m2/g (hand)
    assert cell.surface_area == pytest.approx(1288.1, rel=1e-3)
    assert prov["electrode_thickness"]["source"] == "derived"


def test_unknown_material_is_one_clear_error(study):
    with pytest.raises(ParameterError, match="not in the study"):
        cell_from_study(study, "graphite")


def test_descriptors_from_measurement_files(external_data, tmp_path):
    text = load_study().path.read_text()
    iso = external_data / "materials" / "isotherms" / "pygaps_SiO2_N2_77K.json"
    block = f'[materials.nanoporous.files]\nsorption = "{iso.as_posix()}"\n\n[materials.dense]'
    path = tmp_path / "study.toml"
    path.write_text(text.replace("[materials.dense]", block, 1))
    study = load_study(path)
    d = material_descriptors(study, "nanoporous")
    # pyGAPS's automatic BET on this isotherm: ~210 m2/g (pyGAPS tests: 200 +- 10 %)
    assert d["bet_area"]["value"] == pytest.approx(210.4, rel=0.01)
    assert d["bet_area"]["source"].endswith("pygaps_SiO2_N2_77K.json")
    assert "BET" in d["bet_area"]["method"]
    cell, _ = cell_from_study(study, "nanoporous")
    assert cell.surface_area == pytest.approx(d["bet_area"]["value"] * 1e3)
