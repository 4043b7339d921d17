"""The ``synthesis``, ``design`` and ``pores`` commands through ``sianode.cli.main``."""

from __future__ import annotations

import json

import pytest

from sianode.cli import main
from sianode.study import reference_study_path


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- synthesis --------------------------------------------------------------------------------


def test_synthesis_json(capsys):
    d = run_json(capsys, "synthesis")
    for key in ("si_yield_mg", "mgo_mg", "template_porosity", "pore_volume_cm3_per_g", "hcl_mmol"):
        assert key in d
    assert d["si_yield_mg"] == pytest.approx(280.4, abs=0.1)  # physics.md §1.2
    assert d["mgo_mg"] == pytest.approx(402.5, abs=0.1)  # physics.md §1.2
    assert d["template_porosity"] == pytest.approx(0.483, abs=5e-4)  # physics.md §1.4
    assert d["pore_volume_cm3_per_g"] == pytest.approx(0.401, abs=5e-4)  # physics.md §1.4
    assert d["hcl_mmol"] == pytest.approx(19.97, abs=0.005)  # physics.md §1.5


def test_synthesis_surplus_mg2si(capsys):
    d = run_json(capsys, "synthesis", "--surplus-mg", "mg2si")
    assert d["si_yield_mg"] == pytest.approx(273.5, abs=0.1)  # physics.md §1.3


def test_synthesis_reagents_on_command_line(capsys):
    d = run_json(
        capsys, "synthesis", "--reagent", "Mg2Si=0.3829 g", "-r", "SiO2=300mg", "-r", "Mg=12.1 mg"
    )
    assert d["si_yield_mg"] == pytest.approx(280.4, abs=0.1)
    # magnesiothermic: hand derivation 2 Mg + SiO2, 1 mmol SiO2 -> 1 mmol Si = 28.09 mg
    d = run_json(
        capsys,
        "synthesis",
        "--reaction",
        "magnesiothermic",
        "-r",
        "Mg=48.61mg",
        "-r",
        "SiO2=60.083mg",
    )
    assert d["si_yield_mg"] == pytest.approx(28.085, abs=0.02)


def test_synthesis_table(capsys):
    code, out, _ = run(capsys, "synthesis")
    assert code == 0
    assert "280.4" in out and "402.5" in out and "19.97" in out


# -- design -----------------------------------------------------------------------------------


def test_design_json(capsys):
    d = run_json(capsys, "design")
    # study.md "numbers any tool must reproduce"
    assert d["si_mass_mg"] == pytest.approx(0.72)
    assert d["area_cm2"] == pytest.approx(0.785, abs=5e-4)
    assert d["si_loading_mg_cm2"] == pytest.approx(0.92, abs=5e-3)
    assert d["areal_capacity_mAh_cm2"] == pytest.approx(3.85, abs=5e-3)
    lith = [s for s in d["steps"] if s["kind"] == "lithiate"]
    assert [s["current_density_mA_cm2"] for s in lith] == pytest.approx([0.127, 0.3])
    assert [s["c_rate"] for s in lith] == pytest.approx([0.033, 0.078], abs=5e-4)  # physics §3.2
    assert d["cutoffs_vs_li_V"] == pytest.approx([0.04, 1.50])  # study.md
    assert d["cutoffs_vs_counter_V"] == pytest.approx([-0.58, 0.88])  # study.md


def test_design_basis_and_overrides(capsys):
    d = run_json(capsys, "design", "--basis", "Li15Si4")
    lith = [s for s in d["steps"] if s["kind"] == "lithiate"]
    assert [s["c_rate"] for s in lith] == pytest.approx([0.0387, 0.0914], abs=5e-5)  # §3.2
    d = run_json(capsys, "design", "--basis", "4200mAh/g", "--composite-mass", "4 mg")
    assert d["si_mass_mg"] == pytest.approx(1.44)
    d = run_json(capsys, "design", "--material", "dense", "--relative-density", "1")
    assert d["composite"]["thickness_um"] == pytest.approx(12.6, abs=0.05)  # physics.md §4.2
    d = run_json(capsys, "design", "--separator-relative-density", "1")
    assert d["separator"]["thickness_um"] == pytest.approx(542, abs=0.5)  # physics.md §5.2


def test_design_current_conversion(capsys):
    d = run_json(capsys, "design", "--current", "0.127 mA/cm2")
    assert d["conversion"]["c_rate"] == pytest.approx(0.033, abs=5e-4)
    d = run_json(capsys, "design", "--current", "0.077C")
    # hand derivation: 0.077 x 3.8503 mAh/cm2 = 0.2965 mA/cm2
    assert d["conversion"]["current_density_mA_cm2"] == pytest.approx(0.2965, abs=1e-4)
    d = run_json(capsys, "design", "--current", "0.09975 mA")
    assert d["conversion"]["current_density_mA_cm2"] == pytest.approx(0.127, abs=1e-4)


def test_design_table(capsys):
    code, out, _ = run(capsys, "design")
    assert code == 0
    assert "0.7854" in out and "3.85" in out and "0.033" in out


# -- pores ------------------------------------------------------------------------------------


def test_pores_json(capsys):
    d = run_json(capsys, "pores")
    # physics.md §2.2: cylinders 0.314 cm3/g, porosity 0.42; walls 4.0 / 8.1 / 12.1 nm
    assert d["models"]["cylinder"]["pore_volume_cm3_per_g"] == pytest.approx(0.314, abs=5e-4)
    assert d["models"]["cylinder"]["porosity"] == pytest.approx(0.42, abs=5e-3)
    assert d["wall_thickness_nm"] == pytest.approx(
        {"plate": 4.0, "rod": 8.1, "sphere": 12.1}, abs=0.05
    )
    assert d["template_porosity"] == pytest.approx(0.483, abs=5e-4)  # from the study's synthesis
    # hand derivation: 0.4225 / 0.4828 = 0.875
    assert d["kept_fraction"] == pytest.approx(0.875, abs=1e-3)
    assert "kept 88 % of its template porosity" in d["summary"]


def test_pores_options(capsys):
    d = run_json(
        capsys,
        "pores",
        "--bet-area",
        "213 m2/g",
        "--pore-diameter",
        "5.9 nm",
        "--template-porosity",
        "0.48",
    )
    assert d["kept_fraction"] == pytest.approx(0.4225 / 0.48, abs=1e-3)
    code, out, _ = run(capsys, "pores", "--bet-area", "0.213 km2/kg")  # 213 m2/g in other units
    assert code == 0
    assert "the material kept 88 % of its template porosity" in out


# -- user study files -------------------------------------------------------------------------


def _write_study(tmp_path, old, new):
    text = reference_study_path().read_text()
    assert old in text
    path = tmp_path / "study.toml"
    path.write_text(text.replace(old, new))
    return str(path)


def test_user_study_file(tmp_path, capsys):
    path = _write_study(tmp_path, 'composite_mass = "2 mg"', 'composite_mass = "3 mg"')
    d = run_json(capsys, "design", path)
    assert d["si_mass_mg"] == pytest.approx(1.08)


# -- bad input: one line on stderr, exit 2 ----------------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["synthesis", "-r", "Mg2Si=-382.9mg", "-r", "SiO2=300mg"], "Mg2Si"),  # negative mass
        (["synthesis", "-r", "Mg2Si=382.9mg", "-r", "SiO2=300mg", "-r", "CaH2=5mg"], "CaH2"),
        (["synthesis", "-r", "Mg2Si=2 furlongs", "-r", "SiO2=300mg"], "furlongs"),  # unknown units
        (["synthesis", "--reaction", "thermite"], "reaction"),
        (["synthesis", "--surplus-mg", "kept"], "surplus_mg"),
        (["design", "--composite-mass=-2 mg"], "composite_mass"),  # negative mass
        (["design", "--composite-mass", "2 furlongs"], "composite_mass"),  # unknown units
        (["design", "--separator-mass", "80 blargs"], "separator_mass"),
        (["design", "--basis", "Li99Si"], "capacity_basis"),
        (["design", "--si-porosity", "1.0"], "si_porosity"),  # porosity outside [0, 1)
        (["design", "--relative-density", "1.5"], "relative_density"),
        (["design", "--current", "2 furlongs"], "current"),
        (["design", "--counter", "Pt"], "reference electrode"),
        (["pores", "--template-porosity", "1.0"], "template_porosity"),  # porosity outside [0, 1)
        (["pores", "--template-porosity", "-0.1"], "template_porosity"),
        (["pores", "--bet-area", "2 furlongs"], "bet_area"),
        (["pores", "--pore-diameter", "0 nm"], "pore_diameter"),
        (["synthesis", "no/such/study.toml"], "no such study file"),
    ],
)
def test_bad_input_exit_2(capsys, args, needle):
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert out == ""


def test_fractions_not_summing_to_one(tmp_path, capsys):
    path = _write_study(tmp_path, "AB = 0.09", "AB = 0.19")
    code, _, err = run(capsys, "design", path)
    assert code == 2
    assert "sum to 1.1000" in err and len(err.strip().splitlines()) == 1


def test_negative_reagent_in_study_file(tmp_path, capsys):
    path = _write_study(tmp_path, 'Mg = "12.1 mg"', 'Mg = "-12.1 mg"')
    code, _, err = run(capsys, "synthesis", path)
    assert code == 2 and "reagent Mg" in err


def test_unknown_reagent_in_study_file(tmp_path, capsys):
    path = _write_study(tmp_path, 'Mg = "12.1 mg"', 'NaCl = "500 mg"')
    code, _, err = run(capsys, "synthesis", path)
    assert code == 2 and "NaCl" in err


def test_material_porosity_out_of_range(tmp_path, capsys):
    path = _write_study(tmp_path, "porosity = 0.0", "porosity = 1.2")
    code, _, err = run(capsys, "design", path, "--material", "dense")
    assert code == 2 and "porosity" in err


def test_non_number_in_study_file(tmp_path, capsys):
    path = _write_study(
        tmp_path, "composite_relative_density = 0.85", 'composite_relative_density = "dense"'
    )
    code, _, err = run(capsys, "design", path)
    assert code == 2 and "composite_relative_density" in err
