"""``sianode simulate``: the result is labelled by what was simulated (issue 16)."""

from __future__ import annotations

import json

from sianode.characterisation.material import build_material
from sianode.cli import main


def test_material_file_result_carries_the_records_name(tmp_path, capsys):
    record = build_material(
        "np-Si batch 7",
        typed={"bet_area": "150 m2/g", "pore_diameter": "8 nm", "particle_radius": "2 um"},
    )
    path = tmp_path / "batch7.json"
    record.to_json(path)
    rc = main(["simulate", "--material-file", str(path), "--cycles", "3", "--beta", "0.005"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "sianode simulate: np-Si batch 7" in out and "dense" not in out
    rc = main(
        ["simulate", "--material-file", str(path), "--cycles", "3", "--beta", "0.005", "--json"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["material"] == "np-Si batch 7"
    assert summary["material_file"] == str(path)


def test_study_material_keeps_its_name(capsys):
    assert (
        main(["simulate", "--material", "nanoporous", "--cycles", "2", "--beta", "0.005", "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["material"] == "nanoporous"
