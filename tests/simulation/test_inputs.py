"""Simulator input (issue 16): physical range, Li content capped, end of life, progress."""

from __future__ import annotations

import numpy as np
import pytest

from sianode.cli import main
from sianode.errors import ParameterError
from sianode.protocol import parse_protocol
from sianode.simulation import ModelOptions, cell_from_study, simulate
from sianode.simulation.reduced import simulate_arrays
from sianode.simulation.resolved import simulate_resolved

DEEP = "Lithiate at 0.127 mA/cm2 until -5 V vs Li\nDelithiate at 0.127 mA/cm2 until 1.5 V vs Li\n"


@pytest.fixture(scope="module")
def dense():
    return cell_from_study(material="dense", beta=0.005)[0]


def test_cutoff_below_zero_vs_li_is_refused_with_the_range(dense):
    with pytest.raises(ParameterError, match=r"-5 V vs Li, outside the model's range 0 to 1 V"):
        simulate(dense, DEEP)
    with pytest.raises(ParameterError, match="outside the model's range"):
        simulate_resolved(dense, DEEP, n_nodes=4)


def test_delithiation_cutoff_above_the_ocp_range_is_refused(dense):
    text = "Lithiate at 0.127 mA/cm2 until 0.04 V vs Li\nDelithiate at C/10 until 5 V vs Li\n"
    with pytest.raises(ParameterError, match="delithiation cut-off is 5 V vs Li.*0.05 to 2.5"):
        simulate(dense, text)


def test_x_max_beyond_li15si4_is_refused(dense):
    with pytest.raises(ParameterError, match=r"x_max: 4\.4 .*\(0, 3\.75\]"):
        simulate(dense.replace(x_max=4.4), n_cycles=1)


def test_cli_exit_code_2_names_the_range(capsys):
    rc = main(["simulate", "--beta", "0.005", "--protocol", DEEP.replace("\n", ";").rstrip(";")])
    assert rc == 2
    assert "0 to 1 V vs Li" in capsys.readouterr().err


def test_li_content_is_capped_in_the_solver(dense):
    """Past the input check (numeric step table straight into the kernel), a -5 V cut-off
    used to drive the mean Li per Si to 149,988 (issue 16); the lithiation now ends when the
    Si is full, at the model's limit x_max = 3.75 (to the bisection's 1e-13 in time)."""
    proto = parse_protocol(DEEP)
    steps = proto.to_arrays(
        dense.area, dense.nominal_capacity_Ah, dense.counter_potential, 2, dense.si_mass * 1e3
    )
    opts = ModelOptions(crystalline="none")
    status, ts, cyc, _ = simulate_arrays(dense, opts, steps, record=True)
    x = ts[:, 5]
    assert status == 0
    assert x.max() <= dense.x_max * (1 + 1e-9)
    assert x.max() > 0.99 * dense.x_max  # it does reach full lithiation
    assert np.isfinite(cyc).all()


def test_li_content_is_capped_in_the_resolved_model(dense, monkeypatch):
    """The same -5 V lithiation through the resolved model, past the input check."""
    import sianode.simulation.resolved as resolved

    monkeypatch.setattr(resolved, "validate_inputs", lambda cell, proto: None)
    res = simulate_resolved(dense, DEEP, ModelOptions(crystalline="none"), n_nodes=4)
    x = res.cycles["Max Li per Si / 1"].to_numpy()
    assert x.max() <= dense.x_max * (1 + 1e-9)
    assert x.max() > 0.99 * dense.x_max


def test_a_dead_cell_stops_and_says_so(dense):
    """beta = 0.05 (10x the calibrated value) kills the dense cell within tens of cycles;
    with a 20 % end-of-life threshold the run stops at the first cycle below it."""
    res = simulate(dense.replace(beta=0.05), n_cycles=500, record=False, dead_fraction=0.2)
    assert not res.completed
    ret = res.cycles["Retention vs Cycle 1 Lithiation / 1"].to_numpy()
    assert ret[-1] < 0.2 <= ret[:-1].min()
    assert res.status.startswith(f"cell died at cycle {len(ret)}: charge into Si")
    assert "below the end-of-life threshold of 20 %" in res.status
    assert len(ret) < 500


def test_default_end_of_life_is_one_percent(dense):
    from sianode.simulation.kernel import DEAD_CAPACITY_FRACTION

    assert DEAD_CAPACITY_FRACTION == 0.01
    full = simulate(dense.replace(beta=0.05), n_cycles=400, record=False, dead_fraction=0.0)
    # the rule counts the charge that went into Si (side reactions excluded, physics.md 8.2)
    c = full.cycles
    si = (c["Lithiation Capacity / Ah"] - c["Side Reaction Charge / Ah"]).to_numpy()
    ret = si / si[0]
    assert full.completed and ret.min() < 0.01  # it does fall below 1 % within 400 cycles
    cut = simulate(dense.replace(beta=0.05), n_cycles=400, record=False)
    assert not cut.completed and len(cut.cycles) == int(np.argmax(ret < 0.01)) + 1


def test_progress_is_reported(dense):
    seen = []
    simulate(dense, n_cycles=30, record=False, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (30, 30)
    assert all(0 <= d <= t == 30 for d, t in seen)


def test_a_long_protocol_expands_quickly():
    """``--cycles 100000`` spent minutes extending the step list one block at a time,
    recounting the cycles each time (quadratic); now one extension."""
    import time

    from sianode.study import load_study

    proto = parse_protocol(load_study().section("protocol")["text"])
    t0 = time.perf_counter()
    seq = proto.expand(100_000)
    assert time.perf_counter() - t0 < 2.0
    assert sum(s.kind == 0 for s in seq) == 100_000
    assert seq[:8] == proto.expand(4)
    assert seq[-2:] == proto.blocks[-1][0]
