"""Sweep spec parsing: grids, sampled ranges, tables, units, ids, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sianode.errors import ParameterError, ParsingError
from sianode.sweep.spec import (
    PARAMETERS,
    column_name,
    design_id,
    example_spec_path,
    load_spec,
    parse_spec,
)


def test_grid_units_and_ids(small_spec):
    d = small_spec.designs()
    assert len(d) == 3 * 2 * 2 * 2
    assert list(d.columns[:2]) == ["design_id", "design_index"]
    assert d["design_id"].is_unique
    assert sorted(d[column_name("particle_radius")].unique()) == [0.5, 1.0]  # um
    assert sorted(d[column_name("current_density")].unique()) == [0.3, 1.0]  # mA/cm2
    assert small_spec.fixed["stack_pressure"] == pytest.approx(60.0)  # MPa
    # ids are stable and independent of the order of the grid
    again = parse_spec(small_spec.source_text).designs()
    assert (again["design_id"] == d["design_id"]).all()
    row = d.iloc[5]
    vals = {n: row[column_name(n)] for n in small_spec.parameter_names}
    assert design_id(vals) == row["design_id"]


def test_units_converted_to_canonical():
    spec = parse_spec(
        """
[sweep]
cycles = 5
[parameters.particle_radius]
values = ["500 nm", 2.0]
[parameters.conductivity]
values = [0.02]
unit = "S/m"
[parameters.stack_pressure]
min = "10 MPa"
max = "1000 bar"
n = 2
"""
    )
    d = spec.designs()
    assert sorted(d["particle_radius / um"].unique()) == pytest.approx([0.5, 2.0])
    assert d["conductivity / mS/cm"].unique() == pytest.approx([0.2])
    assert sorted(d["stack_pressure / MPa"].unique()) == pytest.approx([10.0, 100.0])
    assert PARAMETERS["stack_pressure"].si_factor == 1e6


@pytest.mark.parametrize("method", ["lhs", "sobol", "random"])
def test_sampled_ranges_are_seeded_and_in_bounds(method):
    text = f"""
[sweep]
cycles = 5
seed = 7
[parameters.porosity]
min = 0.0
max = 0.7
[parameters.particle_radius]
min = "0.2 um"
max = "5 um"
scale = "log"
[parameters.current_density]
values = [0.3, 0.6]
[sampling]
method = "{method}"
n = 16
"""
    a = parse_spec(text).designs()
    b = parse_spec(text).designs()
    assert len(a) == 32
    assert (a["design_id"] == b["design_id"]).all()
    assert a["porosity / 1"].between(0, 0.7).all()
    assert a["particle_radius / um"].between(0.2, 5).all()
    if method == "lhs":  # one sample per stratum
        one = a[a["current_density / mA/cm2"] == 0.3]["porosity / 1"].to_numpy()
        strata = np.floor(one / 0.7 * 16)
        assert len(np.unique(strata)) == 16


def test_table_crossed_with_grid():
    spec = parse_spec(
        """
[sweep]
cycles = 5
[table]
columns = ["beta", "damage_exponent"]
rows = [[0.01, 2.0], [0.02, 1.5], [0.01, 2.0]]
[parameters.porosity]
values = [0.1, 0.2]
"""
    )
    d = spec.designs()
    assert len(d) == 4  # duplicate table row dropped
    assert spec.parameter_names == ["beta", "damage_exponent", "porosity"]


@pytest.mark.parametrize(
    "body, match",
    [
        ("[parameters.nonsense]\nvalues = [1]", "unknown parameter"),
        ("[parameters.particle_radius]\nvalues = ['2 mA']", "particle_radius"),
        ("[parameters.porosity]\nmin = 0.5\nmax = 0.1\nn = 3", "max must be above min"),
        ("[parameters.porosity]\nmin = 0.1\nmax = 0.5", "sampling.n"),
        ("[outputs]\nretention_at = [99]", "beyond"),
        ("[options]\ndamage = 'lots'", "damage"),
        ("[fixed]\nbeta = 'banana'", "beta"),
        ("[weird]\nx = 1", "unknown section"),
    ],
)
def test_errors_name_the_field(body, match):
    with pytest.raises(ParameterError, match=match):
        parse_spec("[sweep]\ncycles = 5\n" + body)


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ParsingError):
        parse_spec("[sweep\n")
    with pytest.raises(ParsingError):
        load_spec(tmp_path / "nope.toml")


def test_calibrated_beta_is_resolved_when_the_sweep_runs(tmp_path, monkeypatch):
    """Parsing has no side effects (issue 15): 'calibrated' is a marker until the sweep runs;
    the calibration then runs once and is cached in the folder's sweep.json for a resume."""
    from sianode import calibration
    from sianode.sweep import calibrated
    from sianode.sweep.engines import run_sweep

    calls: list[int] = []
    real = calibration.calibrate_dense

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calibration, "calibrate_dense", counting)
    monkeypatch.setattr(calibrated, "_CACHE", {})
    text = (
        "[sweep]\ncycles = 3\n[fixed]\nbeta = 'calibrated'\n"
        "[parameters.porosity]\nvalues = [0.0, 0.3]\n"
    )
    spec = parse_spec(text)
    assert calls == [] and "beta" not in spec.fixed
    assert spec.deferred == {"beta": "calibrated"}
    assert spec.context()["deferred"] == {"beta": "calibrated"}
    run_sweep(spec, tmp_path / "o", limit=1)
    assert len(calls) == 1
    beta = json.loads((tmp_path / "o" / "sweep.json").read_text())["calibrated"]["beta"]
    assert 0 < beta < 1
    assert any("calibrate_dense" in n for n in spec.notes)
    mtime = (tmp_path / "o" / "sweep.json").stat().st_mtime_ns
    monkeypatch.setattr(calibrated, "_CACHE", {})  # a new process: only the folder remembers
    again = parse_spec(text)
    s = run_sweep(again, tmp_path / "o")
    assert len(calls) == 1 and s.complete
    assert (tmp_path / "o" / "sweep.json").stat().st_mtime_ns == mtime  # not rewritten


def test_bundled_example_spec():
    spec = load_spec(example_spec_path())
    d = spec.designs()
    assert len(d) == 8 * 4 * 4 * 4
    assert d["porosity / 1"].min() == 0.0 and d["porosity / 1"].max() == 0.7
    assert set(spec.parameter_names) == {
        "porosity",
        "particle_radius",
        "lithiation_capacity_limit",
        "current_density",
    }
