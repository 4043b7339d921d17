"""CLI (``sianode sweep``, ``sianode sweep-report``) and the analysis report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sianode.cli import main
from sianode.errors import ParameterError
from sianode.sweep.analysis import analyse, pareto_front, sobol_first_order, spearman_table
from sianode.sweep.store import read_results


def test_cli_sweep_json_and_report(tmp_path, capsys, small_spec):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(small_spec.source_text)
    out = tmp_path / "out"
    rc = main(
        ["sweep", str(spec_path), "--out", str(out), "--json", "--map", "porosity,current_density"]
    )
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_designs"] == 24 and summary["computed"] == 24 and summary["lost"] == 0
    assert sum(summary["status_counts"].values()) == 24
    rep = out / "report"
    for name in ("index.html", "retention_map.png", "pareto.png", "sensitivity.png"):
        assert (rep / name).stat().st_size > 1000
    html = (rep / "index.html").read_text()
    assert "data:image/png;base64," in html and "Pareto" in html
    # re-run: nothing left to compute; human-readable summary
    assert main(["sweep", str(spec_path), "--out", str(out), "--quiet", "--no-report"]) == 0
    text = capsys.readouterr().out
    assert "computed now" in text and "complete" in text
    assert main(["sweep-report", str(out), "--json"]) == 0
    rep_json = json.loads(capsys.readouterr().out)
    assert rep_json["n_results"] == 24 and rep_json["ranking"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters.nonsense]\nvalues = [1]\n")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "nonsense" in err
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    good = tmp_path / "good.toml"
    good.write_text(
        "[sweep]\ncycles = 3\n[fixed]\nbeta = 0.01\n[parameters.porosity]\nvalues = [0.1]\n"
    )
    assert main(["sweep", str(good), "--out", str(tmp_path / "o"), "--engine", "spark"]) == 2


def test_analysis_on_results(tmp_path, small_spec):
    from sianode.sweep.engines import run_sweep

    run_sweep(small_spec, tmp_path / "a")
    a = analyse(tmp_path / "a")
    assert a.retention == "retention_c6 / 1"
    assert a.capacity == "lithiation_capacity_c1 / mAh/g"
    assert len(a.pareto) >= 1
    # nothing beats a Pareto design on both capacity and retention
    u = a.usable
    for _, p in a.pareto.iterrows():
        better = (u[a.capacity] > p[a.capacity]) & (u[a.retention] > p[a.retention])
        assert not better.any()
    r = a.ranking()
    assert set(r.index) <= {
        "porosity",
        "particle_radius",
        "lithiation_capacity_limit",
        "current_density",
    }
    # the capacity limit sets cycle-1 capacity: strongest rank correlation with it
    assert a.spearman[a.capacity].abs().idxmax() == "lithiation_capacity_limit"
    assert len(read_results(tmp_path / "a")) == 24
    with pytest.raises(ParameterError, match="not a swept parameter"):
        analyse(tmp_path / "a", map_params=("porosity", "beta"))


def test_pareto_and_sensitivity_helpers():
    x = np.array([1.0, 2.0, 3.0, 2.5, np.nan])
    y = np.array([3.0, 2.0, 1.0, 0.5, 9.0])
    assert list(pareto_front(x, y)) == [2, 1, 0]
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a / 1": rng.random(400), "b / 1": rng.random(400)})
    df["y / 1"] = 5 * df["a / 1"] + 0.1 * rng.random(400)
    sp = spearman_table(df, ["a / 1", "b / 1"], ["y / 1"])
    s1 = sobol_first_order(df, ["a / 1", "b / 1"], ["y / 1"])
    assert sp.loc["a", "y / 1"] > 0.95 and abs(sp.loc["b", "y / 1"]) < 0.2
    assert s1.loc["a", "y / 1"] > 0.9 and s1.loc["b", "y / 1"] < 0.1


def test_cli_simulate_equals_sweep_rows(tmp_path, capsys):
    """Each design's row equals ``sianode simulate`` run on that design (bit for bit)."""
    from sianode.sweep.engines import make_chunks
    from sianode.sweep.runner import DesignRunner
    from sianode.sweep.spec import column_name, parse_spec

    spec = parse_spec(
        """
[sweep]
material = "dense"
cycles = 5
[parameters.beta]
values = [0.003, 0.02]
[parameters.current_density]
values = ["0.2 mA/cm2", "0.5 mA/cm2"]
[parameters.lithiation_capacity_limit]
values = ["1500 mAh/g"]
[parameters.lithiation_cutoff]
values = ["0.05 V"]
[outputs]
retention_at = [5]
capacity_at = [1, 5]
"""
    )
    runner = DesignRunner(spec.payload())
    designs = spec.designs()
    rows = runner.run(make_chunks(designs, spec.parameter_names, 10)[0])
    assert (rows["status"] == "completed").all()
    for i, row in rows.iterrows():
        params = {n: designs.iloc[i][column_name(n)] for n in spec.parameter_names}
        cell = runner.cell_for(params)
        text = runner.protocol_for(params, cell).text.replace("\n", ";")
        argv = [
            "simulate",
            "--material",
            "dense",
            "--beta",
            repr(float(params["beta"])),
            "--protocol",
            text,
            "--cycles",
            "5",
            "--json",
        ]
        assert main(argv) == 0
        cyc = json.loads(capsys.readouterr().out)["cycles"]
        assert row["retention_c5 / 1"] == cyc[4]["Retention vs Cycle 1 Lithiation / 1"]
        assert (
            row["lithiation_capacity_c1 / mAh/g"] == cyc[0]["Specific Lithiation Capacity / mAh/g"]
        )
        assert (
            row["delithiation_capacity_c5 / mAh/g"]
            == cyc[4]["Specific Delithiation Capacity / mAh/g"]
        )
        assert row["lithiation_capacity_c1 / mAh/g"] <= 1500.0 * (1 + 1e-12)


def test_cli_sweep_parameters(capsys):
    assert main(["sweep-parameters", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["porosity"]["acts_on"] == "material"
    assert rows["lithiation_capacity_limit"]["unit"] == "mAh/g"
    assert rows["stack_pressure"]["unit"] == "MPa"
