"""Shapley attribution of retention loss (physics.md 8.9)."""

from __future__ import annotations

import pytest

from sianode.calibration import calibrate_dense
from sianode.protocol import parse_protocol
from sianode.simulation import cell_from_study
from sianode.simulation.attribution import CAUSES, attribute_losses, single_rate_protocol


def test_single_rate_protocol_keeps_cutoffs_and_repeats():
    p = parse_protocol(
        "Lithiate at 0.127 mA/cm2 until 0.04 V vs Li\nDelithiate at 0.127 mA/cm2 until 1.5 V vs Li\n"
        "Repeat 3 times\nLithiate at 0.3 mA/cm2 until 0.04 V vs Li\n"
        "Delithiate at 0.3 mA/cm2 until 1.5 V vs Li\nRepeat 2 times"
    )
    flat = single_rate_protocol(p)
    assert [n for _, n in flat.blocks] == [3, 2]
    assert {s.current for s in flat.steps} == {p.steps[0].current}
    assert [s.cutoff_V for s in flat.steps] == [s.cutoff_V for s in p.steps]


@pytest.fixture(scope="module")
def dense_attribution():
    cal = calibrate_dense()
    cell, _ = cell_from_study(material="dense", beta=cal.value)
    return attribute_losses(cell, cycle=10)


def test_shares_add_up_to_the_loss(dense_attribution):
    a = dense_attribution
    assert set(a.loss_pct) == set(CAUSES) | {"other"}
    assert sum(a.loss_pct.values()) == pytest.approx(100.0 - a.retention_pct, abs=1e-9)
    assert a.runs["contact loss+rate step+side reactions"] == pytest.approx(a.retention_pct)
    assert len(a.runs) == 8


def test_each_cause_costs_capacity(dense_attribution):
    # the dense cell at cycle 10: the step to 0.300 mA/cm2 after cycle 3 and the contact
    # loss both lower retention; neither can raise it in this model
    a = dense_attribution
    assert a.loss_pct["rate step"] > 1.0
    assert a.loss_pct["contact loss"] > 0.0


def test_single_cause_is_its_own_marginal_effect():
    # with one cause only (a protocol at one rate and no side reactions in the options),
    # the Shapley share of contact loss equals the plain difference of two runs
    from sianode.simulation import ModelOptions, simulate

    cal = calibrate_dense()
    cell, _ = cell_from_study(material="dense", beta=cal.value)
    text = "Lithiate at 0.127 mA/cm2 until 0.04 V vs Li\nDelithiate at 0.127 mA/cm2 until 1.5 V vs Li\nRepeat 5 times"
    opts = ModelOptions(side_reactions="none")
    a = attribute_losses(cell, text, opts, cycle=5)
    assert a.loss_pct["rate step"] == pytest.approx(0.0, abs=1e-9)
    assert a.loss_pct["side reactions"] == pytest.approx(0.0, abs=1e-9)
    on = simulate(cell, text, opts, n_cycles=5, record=False).retention_at(5)
    off = simulate(
        cell, text, ModelOptions(side_reactions="none", damage="none"), n_cycles=5, record=False
    ).retention_at(5)
    assert a.loss_pct["contact loss"] == pytest.approx(100 * (off - on), abs=1e-9)
