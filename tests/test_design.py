"""Cell design calculator (physics.md sections 3.1-3.2, 4.2, 5.2-5.3; study.md)."""

from __future__ import annotations

import numpy as np
import pytest

from sianode import design as dz
from sianode.design import (
    REFERENCE_ELECTRODES,
    areal_capacity,
    c_rate,
    c_rate_from_density,
    capacity_basis,
    convert_potential,
    current_density,
    current_from_c_rate,
    current_from_density,
    density_from_c_rate,
    design_from_study,
    electrode_geometry,
    hours_per_half_cycle,
    pellet_area,
    register_reference,
    separator_geometry,
    theoretical_capacity,
)
from sianode.errors import ParameterError

RECIPE = {"Si": 0.36, "Li3PS4": 0.55, "AB": 0.09}  # study.md: 36/55/9 wt %


# -- capacity bases ---------------------------------------------------------------------------


def test_capacity_bases():
    # physics.md §3.1: 3.75 x 26 801 mAh/mol / 28.085 g/mol = 3579 mAh/g
    assert capacity_basis("Li15Si4") == pytest.approx(3579, abs=0.5)
    # physics.md §3.1: x = 4.4 computes to 4199; the nominal basis is 4200 (study.md)
    assert theoretical_capacity(4.4) == pytest.approx(4199, abs=0.5)
    assert capacity_basis("Li22Si5") == 4200.0
    assert capacity_basis("li22si5") == 4200.0
    assert capacity_basis("4200 mAh/g") == 4200.0
    assert capacity_basis("4200mAh/g") == 4200.0
    assert capacity_basis(3000) == 3000.0
    # unit conversion at the edge: 4.2 Ah/g is 4200 mAh/g
    assert capacity_basis("4.2 Ah/g") == pytest.approx(4200.0)


@pytest.mark.parametrize("bad", ["Li99", "", "-5 mAh/g", 0, "2 furlongs", "4200 mAh"])
def test_capacity_basis_rejects(bad):
    with pytest.raises(ParameterError, match="capacity_basis"):
        capacity_basis(bad)


def test_theoretical_capacity_array():
    out = theoretical_capacity(np.array([3.75, 4.4]))
    np.testing.assert_allclose(out, [3579, 4199], atol=0.5)  # physics.md §3.1


# -- composite and separator ------------------------------------------------------------------


def test_area():
    # physics.md §3.2: pi (0.5 cm)^2 = 0.7854 cm2 (study.md: 0.785 cm2)
    assert pellet_area(10.0) == pytest.approx(0.7854, abs=1e-4)
    np.testing.assert_allclose(pellet_area([10.0, 20.0]), [0.7854, 3.1416], atol=1e-4)


def test_electrode_geometry_dense():
    g = electrode_geometry(2.0, RECIPE, 10.0, relative_density=1.0)
    # study.md / physics.md §3.2: 2 mg x 0.36 = 0.72 mg; 0.72 / 0.7854 = 0.917 mg/cm2
    assert g.si_mass_mg == pytest.approx(0.72)
    assert g.area_cm2 == pytest.approx(0.7854, abs=1e-4)
    assert g.si_loading_mg_cm2 == pytest.approx(0.917, abs=1e-3)
    assert g.si_loading_mg_cm2 == pytest.approx(0.92, abs=5e-3)  # study.md "about 0.92"
    # physics.md §4.2: composite thickness 12.6 um (dense basis, 2 mg)
    assert g.thickness_um == pytest.approx(12.6, abs=0.05)
    # physics.md §5.3: Si 0.313 / LPS 0.593 / AB 0.094 (dense basis)
    assert g.volume_fractions["Si"] == pytest.approx(0.313, abs=1e-3)
    assert g.volume_fractions["Li3PS4"] == pytest.approx(0.593, abs=1e-3)
    assert g.volume_fractions["AB"] == pytest.approx(0.094, abs=1e-3)
    assert g.volume_fractions["void"] == pytest.approx(0.0)
    assert g.si_envelope_fraction == pytest.approx(0.313, abs=1e-3)
    assert sum(g.volume_fractions.values()) == pytest.approx(1.0)


def test_electrode_geometry_porous_envelope():
    g = electrode_geometry(2.0, RECIPE, 10.0, relative_density=1.0, si_porosity=0.42)
    # physics.md §4.2 / §5.3: envelope Si 0.441 / LPS 0.482 / AB 0.076, 15.4 um
    assert g.si_envelope_fraction == pytest.approx(0.441, abs=1.5e-3)
    assert g.volume_fractions["Li3PS4"] == pytest.approx(0.482, abs=1.5e-3)
    assert g.volume_fractions["AB"] == pytest.approx(0.076, abs=1e-3)
    assert g.thickness_um == pytest.approx(15.4, abs=0.05)
    assert sum(g.volume_fractions.values()) == pytest.approx(1.0)


def test_electrode_geometry_relative_density():
    # hand derivation: voids add volume: 12.56 um / 0.85 = 14.78 um, void fraction 0.15
    g = electrode_geometry(2.0, RECIPE, 10.0, relative_density=0.85)
    assert g.thickness_um == pytest.approx(12.5613 / 0.85, abs=0.01)
    assert g.volume_fractions["void"] == pytest.approx(0.15)


def test_electrode_geometry_array_input():
    # the same physics for numpy arrays: thickness scales with mass, loading too
    g = electrode_geometry(np.array([2.0, 4.0]), RECIPE, 10.0, 1.0, np.array([0.0, 0.42]))
    np.testing.assert_allclose(g.si_mass_mg, [0.72, 1.44])
    np.testing.assert_allclose(g.si_loading_mg_cm2, [0.917, 1.833], atol=1e-3)
    np.testing.assert_allclose(g.thickness_um, [12.56, 30.82], atol=0.01)  # 2 x 15.41
    np.testing.assert_allclose(g.si_envelope_fraction, [0.313, 0.440], atol=1.5e-3)


def test_separator():
    # physics.md §5.2: 80 mg / 1.88 g/cm3 / 0.785 cm2 = 542 um; 85 % density ~640 um
    s = separator_geometry(80.0, 10.0, 1.0, "Li3PS4")
    assert s.thickness_um == pytest.approx(542, abs=0.5)
    assert s.se_fraction == 1.0
    s85 = separator_geometry(80.0, 10.0, 0.85)
    assert s85.thickness_um == pytest.approx(637.4, abs=0.5)
    assert s85.se_fraction == 0.85
    np.testing.assert_allclose(
        separator_geometry(np.array([80.0, 40.0]), 10.0).thickness_um, [541.8, 270.9], atol=0.1
    )


@pytest.mark.parametrize(
    "args, match",
    [
        ((-2.0, RECIPE, 10.0), "composite_mass"),
        ((np.array([2.0, -1.0]), RECIPE, 10.0), "composite_mass"),
        ((2.0, {"Si": 0.36, "Li3PS4": 0.55, "AB": 0.10}), "sum to 1.0100"),
        ((2.0, {"Si": 0.5, "Li3PS4": 0.4}), "sum to"),
        ((2.0, {"Li3PS4": 0.9, "AB": 0.1}), "Si"),
        ((2.0, {"Si": 0.5, "Unobtainium": 0.5}), "Unobtainium"),
        ((2.0, {"Si": 1.2, "AB": -0.2}), "composition"),
        ((2.0, RECIPE, 0.0), "diameter"),
    ],
)
def test_electrode_geometry_bad_input(args, match):
    if len(args) == 2:
        args = (*args, 10.0)
    with pytest.raises(ParameterError, match=match):
        electrode_geometry(*args)


def test_fraction_tolerance():
    # within 1e-3 is accepted (rounded percentages)
    electrode_geometry(2.0, {"Si": 0.3605, "Li3PS4": 0.55, "AB": 0.09}, 10.0)


@pytest.mark.parametrize("phi", [-0.1, 1.0, 1.5])
def test_porosity_out_of_range(phi):
    with pytest.raises(ParameterError, match="si_porosity"):
        electrode_geometry(2.0, RECIPE, 10.0, 1.0, phi)


@pytest.mark.parametrize("rd", [0.0, 1.2])
def test_relative_density_out_of_range(rd):
    with pytest.raises(ParameterError, match="relative_density"):
        electrode_geometry(2.0, RECIPE, 10.0, rd)
    with pytest.raises(ParameterError, match="relative_density"):
        separator_geometry(80.0, 10.0, rd)


def test_separator_negative_mass():
    with pytest.raises(ParameterError, match="separator_mass"):
        separator_geometry(-80.0, 10.0)


# -- currents ---------------------------------------------------------------------------------


def test_areal_capacity():
    # study.md / physics.md §3.2: 0.917 mg/cm2 x 4200 mAh/g = 3.85 mAh/cm2
    loading = 0.72 / pellet_area(10.0)
    assert areal_capacity(loading, 4200.0) == pytest.approx(3.85, abs=5e-3)
    # hand derivation: 0.72 mg / 0.785398 cm2 x 4.2 mAh/mg = 3.8503 (physics.md §3.2 prints
    # 3.849, a rounding slip; the C-rates it derives from it are unaffected at 3 digits)
    assert areal_capacity(loading, 4200.0) == pytest.approx(3.8503, abs=1e-4)
    # physics.md §3.2: 3.281 mA/cm2 at 1C on 3579
    assert areal_capacity(loading, capacity_basis("Li15Si4")) == pytest.approx(3.281, abs=1e-3)


@pytest.mark.parametrize(
    "basis, low, high",
    [
        ("Li22Si5", 0.0330, 0.0779),  # physics.md §3.2 (study.md: 0.033 C and 0.077 C)
        ("Li15Si4", 0.0387, 0.0914),  # physics.md §3.2
    ],
)
def test_c_rates_scalar_and_array(basis, low, high):
    q = areal_capacity(0.72 / pellet_area(10.0), capacity_basis(basis))
    assert c_rate_from_density(0.127, q) == pytest.approx(low, abs=5e-5)
    assert c_rate_from_density(0.300, q) == pytest.approx(high, abs=5e-5)
    np.testing.assert_allclose(
        c_rate_from_density(np.array([0.127, 0.3]), q), [low, high], atol=5e-5
    )
    np.testing.assert_allclose(
        density_from_c_rate(np.array([low, high]), q), [0.127, 0.3], atol=2e-4
    )


def test_study_c_rates_only_match_li22si5():
    # study.md: "the stated C-rates follow from the currents only with the Li22Si5 basis"
    q42 = areal_capacity(0.72 / pellet_area(10.0), capacity_basis("Li22Si5"))
    q36 = areal_capacity(0.72 / pellet_area(10.0), capacity_basis("Li15Si4"))
    assert round(c_rate_from_density(0.127, q42), 3) == 0.033
    assert round(c_rate_from_density(0.127, q36), 3) != 0.033


def test_current_conversions_round_trip():
    area = pellet_area(10.0)
    cap_mAh = 3.85 * area  # mAh
    # hand derivation: 0.127 mA/cm2 x 0.7854 cm2 = 0.09975 mA
    i = current_from_density(0.127, area)
    assert i == pytest.approx(0.09975, abs=1e-5)
    assert current_density(i, area) == pytest.approx(0.127)
    r = c_rate(i, cap_mAh)
    assert r == pytest.approx(0.033, abs=5e-4)
    assert current_from_c_rate(r, cap_mAh) == pytest.approx(i)
    # SI: 1e-4 A on 3.024e-3 Ah is the same C-rate
    assert c_rate(i * 1e-3, cap_mAh * 1e-3) == pytest.approx(r)
    np.testing.assert_allclose(c_rate(np.array([i, 2 * i]), cap_mAh), [r, 2 * r])


def test_hours_per_half_cycle():
    # physics.md §3.2: a full cycle at 0.077C takes ~26 h, at 0.033C ~60 h
    assert 2 * hours_per_half_cycle(0.0779) == pytest.approx(25.7, abs=0.1)
    assert 2 * hours_per_half_cycle(0.0330) == pytest.approx(60.6, abs=0.1)
    np.testing.assert_allclose(hours_per_half_cycle([0.5, 1.0], 0.8), [1.6, 0.8])
    with pytest.raises(ParameterError, match="c_rate"):
        hours_per_half_cycle(0.0)


# -- potentials -------------------------------------------------------------------------------


def test_convert_potential():
    # study.md: -0.58 and 0.88 V vs Li-In are 0.04 and 1.50 V vs Li+/Li (Li-In at +0.62 V)
    assert convert_potential(-0.58, "Li-In", "Li") == pytest.approx(0.04)
    assert convert_potential(0.88, "Li-In", "Li+/Li") == pytest.approx(1.50)
    np.testing.assert_allclose(convert_potential([-0.58, 0.88], "Li-In", "Li"), [0.04, 1.50])
    np.testing.assert_allclose(
        convert_potential(np.array([0.04, 1.5]), "Li", "Li-In"), [-0.58, 0.88]
    )
    assert REFERENCE_ELECTRODES["Li-In"] == 0.62


def test_register_reference():
    try:
        register_reference("LTO", 1.55)
        assert convert_potential(0.0, "LTO", "Li") == pytest.approx(1.55)
        assert convert_potential(1.55, "Li", "Li-In") == pytest.approx(0.93)
    finally:
        REFERENCE_ELECTRODES.pop("LTO", None)
    with pytest.raises(ParameterError, match="LTO"):
        convert_potential(0.0, "LTO", "Li")
    with pytest.raises(ParameterError):
        register_reference("X", float("nan"))


# -- the study --------------------------------------------------------------------------------


def test_design_from_study(study):
    d = design_from_study(study)
    # study.md "numbers any tool must reproduce"
    assert d.si_mass_mg == pytest.approx(0.72)
    assert d.area_cm2 == pytest.approx(0.785, abs=5e-4)
    assert d.si_loading_mg_cm2 == pytest.approx(0.92, abs=5e-3)
    assert d.basis == "Li22Si5" and d.capacity_mAh_g == 4200.0
    assert d.areal_capacity_mAh_cm2 == pytest.approx(3.85, abs=5e-3)
    lith = [s for s in d.steps if s.kind == "lithiate"]
    # physics.md §3.2: 0.0330 C and 0.0779 C (study.md: 0.033 C, 0.077 C)
    assert [s.current_density_mA_cm2 for s in lith] == pytest.approx([0.127, 0.300])
    assert [s.c_rate for s in lith] == pytest.approx([0.0330, 0.0779], abs=5e-5)
    assert [s.cycles for s in lith] == ["1-3", "4-50"]
    assert lith[0]["c_rate"] == lith[0].c_rate  # dict-style access too
    # study.md: 0.04 / 1.50 V vs Li+/Li = -0.58 / +0.88 V vs Li-In
    assert d.cutoffs_vs_li_V == pytest.approx([0.04, 1.50])
    assert d.cutoffs_vs_counter_V == pytest.approx([-0.58, 0.88])
    assert d.counter_potential_V == 0.62
    # physics.md §3.2: 50 cycles are ~1400 h at full utilisation
    assert d.n_cycles == 50
    assert d.protocol_hours == pytest.approx(1388, abs=1)
    # physics.md §5.2/§7.5: 542 um dense; the bundled study uses relative density 0.90,
    # physics.md 7.5's L_sep ~600 um: 542.0 / 0.90 = 602.0 um (hand derivation)
    assert d.separator.thickness_um == pytest.approx(602.0, abs=0.5)


def test_design_from_study_other_basis(study):
    d = design_from_study(study, "Li15Si4")
    lith = [s for s in d.steps if s.kind == "lithiate"]
    # physics.md §3.2: 0.0387 C and 0.0914 C on 3579 mAh/g
    assert [s.c_rate for s in lith] == pytest.approx([0.0387, 0.0914], abs=5e-5)
    assert design_from_study(study, "4200 mAh/g").areal_capacity_mAh_cm2 == pytest.approx(
        3.85, abs=5e-3
    )


def test_design_from_study_dense_material(study):
    # physics.md §4.2: 12.6 um for the dense material at relative density 1
    d = design_from_study(study, material="dense", composite_relative_density=1.0)
    assert d.si_porosity == 0.0
    assert d.composite.thickness_um == pytest.approx(12.6, abs=0.05)
    # nanoporous: porosity from BET (physics.md §2.2: 0.423) -> 15.4 um
    d = design_from_study(study, material="nanoporous", composite_relative_density=1.0)
    assert d.si_porosity == pytest.approx(0.423, abs=5e-4)
    assert d.composite.thickness_um == pytest.approx(15.4, abs=0.05)


def test_design_counter_cutoffs_from_protocol(study):
    # cut-offs written vs the counter electrode are converted to Li+/Li (study.md)
    text = "Lithiate at 0.127 mA/cm2 until -0.58 V vs counter\nDelithiate at C/13 until 0.88 V vs counter"
    d = design_from_study(study, protocol_text=text)
    assert d.cutoffs_vs_li_V == pytest.approx([0.04, 1.50])
    # hand derivation: C/13 on 3.85 mAh/cm2 = 0.296 mA/cm2
    assert d.steps[1].current_density_mA_cm2 == pytest.approx(3.8503 / 13, abs=1e-4)
    assert d.steps[1].hours == pytest.approx(13.0)


def test_design_overrides_and_errors(study):
    d = design_from_study(study, composite_mass="4 mg", diameter="10 mm")
    assert d.si_mass_mg == pytest.approx(1.44)
    with pytest.raises(ParameterError, match="composite_mass"):
        design_from_study(study, composite_mass="2 furlongs")
    with pytest.raises(ParameterError, match="material"):
        design_from_study(study, material="graphite")
    with pytest.raises(ParameterError, match="reference electrode"):
        design_from_study(study, counter_electrode="Pt")


def test_module_exports():
    for name in dz.__all__:
        assert hasattr(dz, name)
