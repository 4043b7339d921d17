"""Batch and process engines, store and resume, failures as data, equality with single runs."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sianode.errors import ParameterError
from sianode.protocol import parse_protocol
from sianode.simulation import ModelOptions, cell_from_study, simulate
from sianode.study import load_study
from sianode.sweep.engines import run_sweep
from sianode.sweep.runner import DesignRunner
from sianode.sweep.spec import column_name, parse_spec
from sianode.sweep.store import read_results

RET = "Retention vs Cycle 1 Lithiation / 1"


def _check_complete(out, spec):
    res = read_results(out)
    designs = spec.designs()
    raw = pd.concat(
        [pq.read_table(p).to_pandas() for p in (out / "results").glob("part-*.parquet")]
    )
    assert raw["design_id"].is_unique, "a design was written twice"
    assert set(raw["design_id"]) == set(designs["design_id"])
    assert len(res) == len(designs)
    return res


def test_batch_sweep_equals_single_simulate_runs(small_spec, tmp_path):
    out = tmp_path / "s"
    summary = run_sweep(small_spec, out, engine="batch", chunk_size=7)
    assert summary.complete and summary.computed == 24 and summary.lost == 0
    res = _check_complete(out, small_spec)
    assert set(res["status"]) <= {"completed", "died", "capacity_zero", "cannot_start"}
    assert (res["status"] == "completed").sum() >= 12
    # Independent construction of a few designs: study edited by hand, SI overrides,
    # protocol written as text with the capacity limit ("or Q mAh/g").
    study = load_study()
    base_text = study.section("protocol")["text"]
    for _, row in res[res["status"] == "completed"].iloc[::3].iterrows():
        phi = row[column_name("porosity")]
        r_um = row[column_name("particle_radius")]
        q = row[column_name("lithiation_capacity_limit")]  # mAh/g
        j = row[column_name("current_density")]  # mA/cm2
        raw = study.raw.copy()
        raw["materials"] = {k: dict(v) for k, v in study.raw["materials"].items()}
        raw["materials"]["nanoporous"]["porosity"] = phi
        raw["materials"]["nanoporous"]["particle_radius"] = f"{r_um} um"
        from sianode.study import Study

        cell, _ = cell_from_study(
            Study(raw=raw, path=study.path), "nanoporous", beta=0.005, stack_pressure=60e6
        )
        text = (
            f"Lithiate at 0.127 mA/cm2 until 0.04 V vs Li or {q!r} mAh/g\n"
            "Delithiate at 0.127 mA/cm2 until 1.5 V vs Li\nRepeat 3 times\n"
            f"Lithiate at {j!r} mA/cm2 until 0.04 V vs Li or {q!r} mAh/g\n"
            f"Delithiate at {j!r} mA/cm2 until 1.5 V vs Li\nRepeat 47 times\n"
        )
        assert "0.127 mA/cm2" in base_text
        # currents here come from "j mA/cm2" through pint, the runner's from j * 10 A/m2
        # (last-ulp differences end a step a hair apart): agreement to 1e-9, not bits; the
        # bit-for-bit checks are test_runner_protocol_matches_single_run_bit_for_bit and
        # test_cli_simulate_equals_sweep_rows.
        one = simulate(cell, parse_protocol(text), ModelOptions(), n_cycles=6, record=False)
        c = one.cycles.set_index("Cycle Count / 1")
        np.testing.assert_allclose(row["retention_c6 / 1"], c.loc[6, RET], rtol=1e-9)
        np.testing.assert_allclose(
            row["lithiation_capacity_c1 / mAh/g"],
            c.loc[1, "Specific Lithiation Capacity / mAh/g"],
            rtol=1e-9,
        )
        np.testing.assert_allclose(
            row["delithiation_capacity_c6 / mAh/g"],
            c.loc[6, "Specific Delithiation Capacity / mAh/g"],
            rtol=1e-9,
        )
        np.testing.assert_allclose(
            row["first_cycle_efficiency / 1"], c.loc[1, "Coulombic Efficiency / 1"], rtol=1e-9
        )
        np.testing.assert_allclose(
            row["coulombic_efficiency_c3 / 1"], c.loc[3, "Coulombic Efficiency / 1"], rtol=1e-9
        )
        np.testing.assert_allclose(
            row["max_thickness_change / um"],
            c["Max Electrode Thickness Change / um"].max(),
            rtol=1e-9,
        )
        np.testing.assert_allclose(
            row["lithiation_energy_c1 / mWh"], c.loc[1, "Lithiation Energy / Wh"] * 1e3, rtol=1e-9
        )
        assert row["lithiation_capacity_c1 / mAh/g"] <= q * (1 + 1e-9)  # the capacity cut holds


def test_runner_protocol_matches_single_run_bit_for_bit(small_spec):
    """The runner's own cell and protocol through simulate() give the very same numbers."""
    runner = DesignRunner(small_spec.payload())
    d = small_spec.designs().iloc[:6]
    from sianode.sweep.engines import make_chunks

    df = runner.run(make_chunks(d, small_spec.parameter_names, 6)[0])
    for i, row in df.iterrows():
        params = {n: d.iloc[i][column_name(n)] for n in small_spec.parameter_names}
        cell = runner.cell_for(params)
        proto = runner.protocol_for(params, cell)
        if row["status"] == "cannot_start":
            with pytest.raises(ParameterError):
                simulate(cell, proto, n_cycles=6, record=False)
            continue
        one = simulate(cell, proto, n_cycles=6, record=False)
        assert row["retention_c6 / 1"] == one.retention_at(6)
        # the protocol's text form parses back to the same protocol
        args = (cell.area, cell.nominal_capacity_Ah, cell.counter_potential, 6, cell.si_mass * 1e3)
        again = parse_protocol(proto.text).to_arrays(*args)
        ref = proto.to_arrays(*args)
        for k in ref:
            np.testing.assert_array_equal(again[k], ref[k])


def test_resume_computes_only_missing(small_spec, tmp_path):
    out = tmp_path / "r"
    s1 = run_sweep(small_spec, out, chunk_size=4, limit=10)
    assert s1.computed == 10 and not s1.complete
    (out / "results" / ".tmp-deadbeef.parquet").write_bytes(b"half a file")  # a crash leftover
    s2 = run_sweep(small_spec, out, chunk_size=4)
    assert s2.already_done == 10 and s2.computed == 14 and s2.complete
    assert not list((out / "results").glob(".tmp-*"))
    _check_complete(out, small_spec)
    s3 = run_sweep(small_spec, out)
    assert s3.computed == 0 and s3.complete
    # extending the grid computes only the new designs
    bigger = parse_spec(small_spec.source_text.replace("[0.0, 0.35, 0.7]", "[0.0, 0.35, 0.5, 0.7]"))
    with pytest.raises(ParameterError, match="different context"):
        run_sweep(parse_spec(small_spec.source_text.replace("60 MPa", "50 MPa")), out)
    s4 = run_sweep(bigger, out)
    assert s4.computed == 8
    _check_complete(out, bigger)


def test_failures_are_data(tmp_path):
    """Designs the runner cannot build are rows with their reason, never exceptions. The CLI
    refuses such values before running (validate_spec, tests/sweep/test_validation.py); the
    runner's own isolation is checked here with validation off and a value put into the
    parsed table directly, as a notebook user could."""
    spec = parse_spec(
        """
[sweep]
material = "dense"
cycles = 4
[fixed]
beta = 0.005
[table]
columns = ["conductivity", "particle_radius", "porosity"]
units = {conductivity = "mS/cm", particle_radius = "um"}
rows = [[0.2, 1.0, 0.0], [-1.0, 1.0, 0.0], [0.2, 1.0, 0.5]]
"""
    )
    spec.table.loc[2, "porosity"] = 1.5
    s = run_sweep(spec, tmp_path / "f", chunk_size=10, validate=False)
    res = read_results(tmp_path / "f")
    assert len(res) == 3 and s.complete
    st = dict(zip(res["design_index"], res["status"], strict=True))
    assert st[0] == "completed"
    assert st[1] == "invalid" and "conductivity" in res.loc[1, "error"]
    assert st[2] == "invalid" and "porosity" in res.loc[2, "error"]
    assert res.loc[0, "error"] == ""
    assert np.isnan(res.loc[1, "retention_c4 / 1"])


@pytest.mark.xfail(
    strict=True,
    reason="simulator on main 62f1675: a cell that passes no charge (conductivity 1e-6 "
    "mS/cm) reports status 'completed' with 0 mAh/g; at ebfffa0 it was 'cannot_start'",
)
def test_a_cell_that_passes_no_charge_is_not_completed(tmp_path):
    spec = parse_spec(
        "[sweep]\nmaterial = 'dense'\ncycles = 3\n[fixed]\nbeta = 0.005\n"
        "[parameters.conductivity]\nvalues = ['1e-6 mS/cm', '0.2 mS/cm']\n"
    )
    run_sweep(spec, tmp_path / "z")
    res = read_results(tmp_path / "z").set_index("conductivity / mS/cm")
    assert res.loc[0.2, "status"] == "completed"
    assert res.loc[1e-6, "lithiation_capacity_c1 / mAh/g"] == 0.0
    assert res.loc[1e-6, "status"] == "cannot_start"


@pytest.mark.slow
def test_processes_engine_matches_batch(small_spec, tmp_path):
    run_sweep(small_spec, tmp_path / "b", engine="batch")
    s = run_sweep(small_spec, tmp_path / "p", engine="processes", workers=2, chunk_size=5)
    assert s.complete and s.lost == 0
    a = read_results(tmp_path / "b").drop(columns=[])
    b = _check_complete(tmp_path / "p", small_spec)
    pd.testing.assert_frame_equal(a, b)


def test_folder_lock(small_spec, tmp_path):
    from sianode.sweep.store import SweepStore

    st = SweepStore.open(tmp_path / "l", small_spec, small_spec.designs())
    try:
        with pytest.raises(ParameterError, match="another sweep"):
            run_sweep(small_spec, tmp_path / "l")
    finally:
        st.close()
    assert run_sweep(small_spec, tmp_path / "l", limit=2).computed == 2
    assert os.path.exists(tmp_path / "l" / "designs.parquet")


def test_retention_reference_cycle(tmp_path):
    spec = parse_spec(
        """
[sweep]
material = "dense"
cycles = 6
[fixed]
beta = 0.005
[parameters.porosity]
values = [0.0, 0.3]
[outputs]
retention_at = [6]
retention_reference = 4
"""
    )
    run_sweep(spec, tmp_path / "r4")
    res = read_results(tmp_path / "r4")
    assert "retention_c6_vs_c4 / 1" in res
    runner = DesignRunner(spec.payload())
    for _, row in res.iterrows():
        cell = runner.cell_for({"porosity": row["porosity / 1"]})
        one = simulate(cell, runner.protocol, n_cycles=6, record=False)
        assert row["retention_c6_vs_c4 / 1"] == one.retention_at(
            6, "Retention vs Cycle 4 Lithiation / 1"
        )


def test_material_and_cell_level_parameters_rederive_the_cell():
    spec = parse_spec(
        """
[sweep]
material = "nanoporous"
cycles = 3
[fixed]
beta = 0.005
[parameters.composite_mass]
values = ["1 mg", "4 mg"]
[parameters.pore_diameter]
values = ["4 nm", "12 nm"]
"""
    )
    runner = DesignRunner(spec.payload())
    c_small = runner.cell_for({"composite_mass": 1.0, "pore_diameter": 4.0})
    c_big = runner.cell_for({"composite_mass": 4.0, "pore_diameter": 4.0})
    c_wide = runner.cell_for({"composite_mass": 1.0, "pore_diameter": 12.0})
    assert c_big.si_mass == pytest.approx(4 * c_small.si_mass)
    assert c_big.electrode_thickness == pytest.approx(4 * c_small.electrode_thickness)
    assert c_wide.porosity > c_small.porosity  # porosity derived from BET area x pore size
    ref, _ = cell_from_study(load_study(), "nanoporous", beta=0.005)
    base = runner.cell_for({"composite_mass": 2.0, "pore_diameter": 5.9})
    assert base.to_vector() == pytest.approx(ref.to_vector(), rel=1e-12)
