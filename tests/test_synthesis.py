"""Synthesis calculator: the reference recipe's mass balance (physics.md section 1)."""

from __future__ import annotations

import numpy as np
import pytest

from sianode.errors import ParameterError
from sianode.synthesis import reduce_recipe, synthesis_from_study, template_porosity

STUDY_RECIPE = {"Mg2Si": "382.9 mg", "SiO2": "300.0 mg", "Mg": "12.1 mg"}  # study.md


@pytest.fixture(scope="module")
def lost():
    return reduce_recipe(STUDY_RECIPE, reaction="silicide", surplus_mg="lost")


def test_amounts_of_reagents(lost):
    # physics.md §1.2 (hand derivation: m / M with IUPAC molar masses)
    assert lost.reagents_mmol["Mg2Si"] == pytest.approx(4.9925, abs=2e-4)
    assert lost.reagents_mmol["SiO2"] == pytest.approx(4.9931, abs=2e-4)
    assert lost.reagents_mmol["Mg"] == pytest.approx(0.4978, abs=2e-4)
    # physics.md §1.2: Mg2Si : SiO2 = 0.9999, i.e. stoichiometric, Mg2Si (barely) limiting
    assert lost.stoichiometric_ratio == pytest.approx(0.9999, abs=1e-4)
    assert lost.limiting_reagent == "Mg2Si"
    assert lost.excess_mmol["Mg"] == pytest.approx(0.4978, abs=2e-4)


def test_si_and_mgo_yield(lost):
    # hand derivation: 2 x 4.9925 mmol x 28.085 g/mol = 280.4 mg (physics.md §1.2)
    assert lost.si_yield_mg == pytest.approx(280.4, abs=0.1)
    # hand derivation: 2 x 4.9931 mmol O x 40.304 g/mol = 402.5 mg (physics.md §1.2)
    assert lost.mgo_mg == pytest.approx(402.5, abs=0.1)
    # physics.md §1.2: surplus Mg 0.497 mmol (= the added Mg)
    assert lost.mg_surplus_mmol == pytest.approx(0.497, abs=1e-3)
    # physics.md §1.3: 40.3 % of the 695.0 mg charge
    assert lost.yield_fraction_of_charge == pytest.approx(0.403, abs=1e-3)


def test_surplus_mg_reforms_mg2si():
    # physics.md §1.3: 0.497 mmol Mg binds 0.248 mmol Si -> 273.5 mg (hand derivation)
    res = reduce_recipe(STUDY_RECIPE, surplus_mg="mg2si")
    assert res.si_yield_mg == pytest.approx(273.5, abs=0.1)
    assert res.yield_fraction_of_charge == pytest.approx(0.394, abs=1e-3)
    # Mg2Si + 4 HCl: 0.248 mmol x 4 = 0.99 mmol extra HCl (physics.md §1.5)
    assert res.hcl_residual_mmol == pytest.approx(0.99, abs=0.01)
    assert any("SiH4" in n for n in res.notes)


def test_template_porosity_and_pore_volume(lost):
    # physics.md §1.4: V(Si) 120.4 mm3, V(MgO) 112.4 mm3 -> 0.483 (task: 0.48)
    assert lost.template_porosity == pytest.approx(0.48, abs=0.005)
    assert lost.template_porosity == pytest.approx(0.483, abs=5e-4)
    # physics.md §1.4: V_p = 112.4 mm3 / 280.4 mg = 0.401 cm3/g
    assert lost.pore_volume_cm3_per_g == pytest.approx(0.401, abs=5e-4)
    # physics.md §1.4: products 232.8 mm3 (reactants 328.8 mm3 without the Mg; 335.7 with it)
    assert lost.product_volume_mm3 == pytest.approx(232.8, abs=0.1)
    assert lost.reactant_volume_mm3 == pytest.approx(328.8 + 12.1 / 1.738, abs=0.2)


def test_hcl(lost):
    # physics.md §1.5: 2 x 9.986 = 19.97 mmol = 0.728 g HCl
    assert lost.hcl_mmol == pytest.approx(19.97, abs=0.005)
    assert lost.hcl_g == pytest.approx(0.728, abs=1e-3)
    # physics.md §1.5: up to 0.99 mmol more for residual Mg (Mg + 2 HCl)
    assert lost.hcl_residual_mmol == pytest.approx(0.99, abs=0.01)
    assert lost.hcl_total_mmol == pytest.approx(lost.hcl_mmol + lost.hcl_residual_mmol)


def test_from_study(study):
    res = synthesis_from_study(study)
    assert res.si_yield_mg == pytest.approx(280.4, abs=0.1)  # physics.md §1.2
    # hand derivation: 19.97 mmol at 1 mol/L = 19.97 mL (physics.md §1.5: "20.0 mL")
    assert res.hcl_volume_mL == pytest.approx(19.97, abs=0.01)


def test_plain_numbers_are_mg():
    res = reduce_recipe({"Mg2Si": 382.9, "SiO2": 300.0, "Mg": 12.1})
    assert res.si_yield_mg == pytest.approx(280.4, abs=0.1)
    # units are converted at the edge: 0.3829 g is 382.9 mg
    res_g = reduce_recipe({"Mg2Si": "0.3829 g", "SiO2": "0.3 g", "Mg": "12.1 mg"})
    assert res_g.si_yield_mg == pytest.approx(res.si_yield_mg)


def test_magnesiothermic():
    # hand derivation: 2 Mg + SiO2 -> Si + 2 MgO, exact 2:1 charge 48.61 mg Mg + 60.08 mg SiO2
    res = reduce_recipe({"Mg": 48.61, "SiO2": 60.083}, reaction="magnesiothermic")
    assert res.si_yield_mmol == pytest.approx(1.0, abs=1e-3)
    assert res.mgo_mmol == pytest.approx(2.0, abs=1e-3)
    assert res.hcl_mmol == pytest.approx(4.0, abs=2e-3)
    # template: 28.085/2.329 = 12.06 mm3 Si, 80.61/3.58 = 22.52 mm3 MgO -> 0.651
    assert res.template_porosity == pytest.approx(0.651, abs=1e-3)


def test_mg_deficient_charge_leaves_sio2():
    # hand derivation: 1 mmol Mg reduces 0.5 mmol of 1 mmol SiO2; 0.5 mmol (30.04 mg) remain
    res = reduce_recipe({"Mg": 24.305, "SiO2": 60.083}, reaction="magnesiothermic")
    assert res.limiting_reagent == "Mg"
    assert res.residual_sio2_mg == pytest.approx(30.04, abs=0.01)
    assert res.si_yield_mmol == pytest.approx(0.5, abs=1e-4)
    assert any("Mg-deficient" in n for n in res.notes)


def test_excess_mg2si_stays_unreacted():
    # hand derivation: 2 mmol Mg2Si + 1 mmol SiO2 -> 2 mmol Si; 1 mmol Mg2Si left (4 HCl each)
    res = reduce_recipe({"Mg2Si": 2 * 76.695, "SiO2": 60.083})
    assert res.limiting_reagent == "SiO2"
    assert res.si_yield_mmol == pytest.approx(2.0, abs=1e-4)
    assert res.residual_mg2si_mg == pytest.approx(76.695, abs=0.01)
    assert res.hcl_residual_mmol == pytest.approx(4.0, abs=1e-3)


@pytest.mark.parametrize(
    "si, mgo, expected",
    [
        (280.4, 402.5, 0.483),  # physics.md §1.4
        (np.array([280.4, 273.5]), np.array([402.5, 402.5]), np.array([0.483, 0.489])),
        ([280.4, 280.4], [402.5, 0.0], np.array([0.483, 0.0])),
    ],
)
def test_template_porosity_scalar_and_array(si, mgo, expected):
    out = template_porosity(si, mgo)
    np.testing.assert_allclose(out, expected, atol=5e-4)
    assert isinstance(out, float) == np.isscalar(si)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"reagents": {"Mg2Si": 1.0, "SiO2": 1.0, "Al": 1.0}}, "Al"),  # unknown reagent named
        ({"reagents": {"Mg2Si": -1.0, "SiO2": 1.0}}, "Mg2Si"),  # negative mass
        ({"reagents": {"Mg2Si": 1.0}}, "SiO2"),  # missing main reagent
        ({"reagents": {"Mg2Si": "1 furlong", "SiO2": 1.0}}, "Mg2Si"),  # wrong unit
        ({"reagents": STUDY_RECIPE, "reaction": "aluminothermic"}, "reaction"),
        ({"reagents": STUDY_RECIPE, "surplus_mg": "kept"}, "surplus_mg"),
        ({"reagents": STUDY_RECIPE, "reaction": "magnesiothermic"}, "Mg2Si"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        reduce_recipe(**kwargs)


def test_template_porosity_rejects_negative():
    with pytest.raises(ParameterError, match="si_mg"):
        template_porosity(-1.0, 1.0)
