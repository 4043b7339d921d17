"""Verification of the reduced model: conservation, invariances, invalid input, failure modes."""

from __future__ import annotations

import numpy as np
import pytest

from sianode.errors import ParameterError
from sianode.protocol import parse_protocol
from sianode.simulation import (
    CellParameters,
    ModelOptions,
    cell_from_study,
    simulate,
    simulate_batch,
)

STUDY_CYCLE = (
    "Lithiate at 0.127 mA/cm2 until 0.04 V vs Li\nDelithiate at 0.127 mA/cm2 until 1.5 V vs Li\n"
)


@pytest.fixture(scope="module")
def dense():
    cell, _ = cell_from_study(material="dense", beta=0.005)
    return cell


@pytest.fixture(scope="module")
def porous():
    cell, _ = cell_from_study(material="nanoporous", beta=0.005)
    return cell


@pytest.mark.parametrize("material", ["dense", "porous"])
def test_charge_conservation_every_cycle(material, dense, porous):
    """charge passed = Li in connected Si + trapped Li + side-reaction charge, to 1e-6 rel."""
    cell = dense if material == "dense" else porous
    res = simulate(cell, n_cycles=12, record=False)
    c = res.cycles
    lhs = c["Net Charge Passed / Ah"].to_numpy()
    rhs = (
        c["Li in Connected Si / Ah"]
        + c["Trapped Li / Ah"]
        + c["Cumulative Side Reaction Charge / Ah"]
    ).to_numpy()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-6, atol=1e-12)
    assert (c["Cumulative Side Reaction Charge / Ah"] > 0).all()
    if material == "dense":  # the porous particle's swelling stays inside its pores here
        assert (c["Trapped Li / Ah"] > 0).all()


def test_cycles_repeat_exactly_without_degradation(dense):
    opts = ModelOptions(
        crystalline="none", damage="none", side_reactions="none", hysteresis="current-sign"
    )
    res = simulate(dense.replace(beta=0.0), STUDY_CYCLE + "Repeat 6 times", opts, record=False)
    cap = res.cycles["Lithiation Capacity / Ah"].to_numpy()
    # from cycle 2 on (cycle 1 starts from x = 0) every cycle is the same; cut-offs are
    # located to 1 nV, so capacities repeat to ~1e-9
    np.testing.assert_allclose(cap[2:], cap[1], rtol=1e-7)
    assert res.cycles["Connected Fraction / 1"].eq(1.0).all()
    # with the one-state hysteresis the state converges to a limit cycle (h relaxes
    # geometrically), so cycles agree to 1e-5 rather than exactly
    res = simulate(
        dense.replace(beta=0.0),
        STUDY_CYCLE + "Repeat 6 times",
        ModelOptions(crystalline="none", damage="none", side_reactions="none"),
        record=False,
    )
    cap = res.cycles["Lithiation Capacity / Ah"].to_numpy()
    np.testing.assert_allclose(cap[2:], cap[1], rtol=1e-5)


def test_zero_current_holds_the_state(dense):
    text = "Lithiate at 0.127 mA/cm2 for 5 h\nRest for 10 h"
    res = simulate(dense, text, record=True)
    ts = res.timeseries
    rest = ts[ts["Step Count / 1"] == 2]
    assert len(rest) >= 1
    last_lith = ts[ts["Step Count / 1"] == 1].iloc[-1]
    for col in ("Li per Si / 1", "Hysteresis State / 1", "Connected Fraction / 1"):
        assert rest[col].iloc[-1] == pytest.approx(last_lith[col], abs=1e-12)


def test_no_nan_anywhere(dense, porous):
    for cell in (dense, porous):
        res = simulate(cell, n_cycles=6)
        assert np.isfinite(res.timeseries.select_dtypes("number").to_numpy()).all()
        assert (
            not res.cycles.select_dtypes("number")
            .drop(columns=[c for c in res.cycles if "Cycle 4" in c])
            .isna()
            .any()
            .any()
        )


def test_porosity_buffers_external_strain(dense, porous):
    """Dense Si at x: e = 0.749 x; phi = 0.42: no external strain until x = 0.97 (physics.md 4.2)."""
    d = simulate(dense, n_cycles=2).cycles["Max External Strain / 1"]
    p = simulate(porous, n_cycles=2).cycles["Max External Strain / 1"]
    assert (p < 0.6 * d).all()


def test_a_dying_cell_keeps_its_data(dense):
    res = simulate(dense.replace(beta=2.0), n_cycles=50, record=True)
    assert not res.completed
    assert "died" in res.status
    assert len(res.cycles) >= 1 and len(res.timeseries) > 10
    assert np.isfinite(res.timeseries.select_dtypes("number").to_numpy()).all()


@pytest.mark.parametrize(
    "field,value",
    [
        ("particle_radius", -1e-6),
        ("porosity", 1.0),
        ("porosity", 1.5),
        ("si_mass", 0.0),
        ("contact_coverage", 1.2),
        ("temperature", float("nan")),
    ],
)
def test_invalid_parameters_name_the_field(dense, field, value):
    with pytest.raises(ParameterError, match=field):
        dense.replace(**{field: value})


def test_cutoffs_in_the_wrong_order():
    with pytest.raises(ParameterError, match="wrong order"):
        parse_protocol(
            "Lithiate at 0.1 mA until 1.6 V vs Li\nDelithiate at 0.1 mA until 1.5 V vs Li"
        )


def test_current_that_cannot_be_met_is_data(dense):
    """A current whose losses exceed the voltage window at once is a result, not an error
    (physics.md 8.2): zero Si charge, the protocol runs on, the limiting loss is named."""
    res = simulate(
        dense,
        "Lithiate at 50 mA/cm2 until 0.04 V vs Li\nDelithiate at 1 mA/cm2 until 1.5 V vs Li",
    )
    assert res.completed
    c = res.cycles.iloc[0]
    assert c["Lithiation Capacity / Ah"] == 0.0
    assert c["Lithiation Limited By"] == "separator"
    # 50 mA/cm2 over 301 ohm cm2 of separator (physics.md 5.2): 15 V
    assert c["Lithiation-End Separator Drop / V"] == pytest.approx(50e-3 * 301.0, rel=0.01)


def test_unknown_option():
    with pytest.raises(ParameterError, match="hysteresis"):
        ModelOptions(hysteresis="magic")


@pytest.mark.parametrize(
    "opts",
    [
        ModelOptions.all_off(),
        ModelOptions(diffusion="radial"),
        ModelOptions(li15si4="plateau", hysteresis="current-sign"),
        ModelOptions(mechanics="swelling", strain_measure="linear"),
        ModelOptions(mechanics="none", side_reactions="oxide"),
    ],
)
def test_every_switch_gives_a_valid_model(dense, opts):
    res = simulate(dense, n_cycles=4, options=opts, record=False)
    assert res.completed, res.status
    assert (res.cycles["Lithiation Capacity / Ah"] > 0).all()


def test_slow_diffusion_lowers_capacity(dense):
    fast = simulate(dense, n_cycles=2, options=ModelOptions(diffusion="radial"), record=False)
    slow = simulate(
        dense.replace(diffusivity=1e-18),
        n_cycles=2,
        options=ModelOptions(diffusion="radial"),
        record=False,
    )
    assert (
        slow.cycles["Lithiation Capacity / Ah"].iloc[1]
        < 0.9 * fast.cycles["Lithiation Capacity / Ah"].iloc[1]
    )


def test_batch_equals_single_runs(dense, porous):
    proto = parse_protocol(STUDY_CYCLE + "Repeat 5 times")
    cells = [dense, porous, dense.replace(beta=0.05), porous.replace(usable_pore_fraction=0.5)]
    tabs = [
        proto.to_arrays(c.area, c.nominal_capacity_Ah, c.counter_potential, None, c.si_mass * 1e3)
        for c in cells
    ]
    br = simulate_batch(cells, tabs)
    for i, cell in enumerate(cells):
        one = simulate(cell, proto, record=False)
        assert br.cycles[i].equals(one.cycles)
    np.testing.assert_allclose(
        br.retention(5), [simulate(c, proto, record=False).retention_at(5) for c in cells]
    )


def test_batch_survives_a_failing_design(dense):
    proto = parse_protocol(STUDY_CYCLE + "Repeat 5 times")
    bad = dense.replace(beta=5.0)
    cells = [dense, bad]
    tabs = [proto.to_arrays(c.area, c.nominal_capacity_Ah, c.counter_potential) for c in cells]
    br = simulate_batch(cells, tabs)
    assert br.status[0] == "completed" and "died" in br.status[1]
    assert len(br.cycles[1]) >= 1
    # a cycle no design reached is NaN for all, not an IndexError
    assert np.isnan(br.retention(500)).all()


def test_empty_batch_is_an_empty_result():
    """No designs: nothing runs, and the result has no rows (it used to raise numpy's
    "need at least one array to concatenate")."""
    from sianode.simulation.resolved import simulate_resolved_batch

    for br in (simulate_batch([], []), simulate_resolved_batch([], [])):
        assert br.status == [] and br.cycles == []
        assert br.n_cycles.shape == (0,)
        assert br.retention(5).shape == (0,)


def test_study_first_cycle_numbers_are_physical(dense):
    """Cycle-1 lithiation below the a-Li3.5Si limit of c-Si conversion (3340 mAh/g, + side
    charge; the cut-off ends it with crystalline cores left, physics.md 8.4) and the
    first-cycle efficiency below 1 (oxide + interphase)."""
    c = simulate(dense, n_cycles=2, record=False).cycles.iloc[0]
    assert 1000 < c["Specific Lithiation Capacity / mAh/g"] < 3340 + 15
    assert 0.8 < c["Coulombic Efficiency / 1"] < 1.0


def test_default_cell_is_valid():
    CellParameters().validate()


def test_cycle_records_match_the_frame(dense):
    """``Result.cycle_records()`` (no pandas, used by ``simulate --json``) gives exactly the
    rows of ``Result.cycles.to_dict(orient="records")``; the frame is built from the same
    columns, so the two views cannot drift apart (issue 17)."""
    res = simulate(dense, STUDY_CYCLE * 3, record=False)
    records = res.cycle_records()
    frame = res.cycles.to_dict(orient="records")
    assert len(records) == len(frame) == len(res.cycles) > 0
    for got, want in zip(records, frame):
        assert list(got) == list(want)
        for key in want:
            a, b = got[key], want[key]
            assert type(a) is type(b), key
            assert (a == b) or (a != a and b != b), key  # NaN equals NaN here
    assert res.retention_pct == 100.0 * res.cycles["Retention vs Cycle 1 Lithiation / 1"].iloc[-1]
