"""Ordinary cells start and complete 50 cycles (issue 14, item 1 and part D).

Each case changed one input of the reference study the way the review did; v0.1 refused to
start all of them ("cannot be met: the cell voltage is beyond the cut-off at the first
instant", exit 2). A cell whose losses exceed its voltage window is a result: it reports
the capacity it reaches and the loss that limits it (docs/physics.md 8.2).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sianode.cli import app
from sianode.study import reference_study_path

STUDY = reference_study_path().read_text(encoding="utf-8")
AT_0127 = (
    "Lithiate at 0.127 mA/cm2 until 0.04 V vs Li;Delithiate at 0.127 mA/cm2 until 1.5 V vs Li;"
    "Repeat 50 times"
)
TEN_X = (
    "Lithiate at 1.27 mA/cm2 until 0.04 V vs Li;Delithiate at 1.27 mA/cm2 until 1.5 V vs Li;"
    "Repeat 3 times;Lithiate at 3.0 mA/cm2 until 0.04 V vs Li;"
    "Delithiate at 3.0 mA/cm2 until 1.5 V vs Li;Repeat 47 times"
)


def _swap(old: str, new: str) -> str:
    assert STUDY.count(old) == 1, old
    return STUDY.replace(old, new)


CASES = {
    "dense radius 2.5 um at 0.127 mA/cm2": (
        "dense",
        _swap('particle_radius = "1.0 um"', 'particle_radius = "2.5 um"'),
        AT_0127,
    ),
    "nanoporous porosity 0.30": (
        "nanoporous",
        _swap("usable_pore_fraction = 1.0", "usable_pore_fraction = 1.0\nporosity = 0.30"),
        None,
    ),
    "nanoporous radius 5 um": (
        "nanoporous",
        _swap('particle_radius = "2.5 um"', 'particle_radius = "5 um"'),
        None,
    ),
    "Bruggeman exponent 3": ("dense", STUDY + "\n[parameters]\nbruggeman = 3\n", None),
    "ten times the current": ("dense", STUDY, TEN_X),
    "0 degC": ("nanoporous", _swap('temperature = "30 degC"', 'temperature = "0 degC"'), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_ordinary_cell_completes_50_cycles(case, tmp_path):
    material, text, protocol = CASES[case]
    study = tmp_path / "study.toml"
    study.write_text(text, encoding="utf-8")
    args = ["simulate", str(study), "--material", material, "--beta", "0.005", "--json"]
    if protocol:
        args += ["--protocol", protocol]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output[-800:]
    summary = json.loads(out.output)
    assert summary["completed"], summary["status"]
    cycles = summary["cycles"]
    assert len(cycles) == 50
    assert all(
        c["Lithiation Limited By"]
        in {
            "separator",
            "composite",
            "Si kinetics",
            "c-Si front",
            "interphase",
            "counter electrode",
        }
        for c in cycles
    )
    assert all(c["Lithiation Capacity / mAh"] >= 0 for c in cycles)


def test_parameters_table_rejects_typos_and_missing_units(tmp_path):
    from sianode.cell import build_cell
    from sianode.errors import ParameterError
    from sianode.study import load_study

    bad = tmp_path / "bad.toml"
    bad.write_text(STUDY + "\n[parameters]\nbrugeman = 3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="bruggeman"):
        build_cell(load_study(bad), "dense")
    bad.write_text(STUDY + "\n[parameters]\nconductivity = 0.2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unit"):
        build_cell(load_study(bad), "dense")
    ok = tmp_path / "ok.toml"
    ok.write_text(STUDY + '\n[parameters]\nconductivity = "0.1 mS/cm"\n', encoding="utf-8")
    cell, prov = build_cell(load_study(ok), "dense")
    assert cell.conductivity == pytest.approx(0.01)  # 0.1 mS/cm = 0.01 S/m
    assert prov["conductivity"]["source"] == "study"
