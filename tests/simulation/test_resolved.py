"""Resolved (through-thickness) model: agreement with the reduced model and PyBaMM's DFN,
a case where the two fidelities differ, and charge conservation.

PyBaMM references: ``tests/data/pybamm/*.csv`` were produced by
``benchmarks/pybamm_reference.py`` (PyBaMM 26.10.1.1, IDAKLU rtol 1e-7); the exact inputs
are in ``tests/data/pybamm/params.json`` and the method in ``tests/data/pybamm/README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sianode.simulation import CellParameters, ModelOptions, simulate
from sianode.simulation.cells import cell_from_pybamm_parameters
from sianode.simulation.resolved import simulate_resolved

DATA = Path(__file__).resolve().parent.parent / "data" / "pybamm"
PARAMS = json.loads((DATA / "params.json").read_text())

#: PyBaMM's matching physics: current-sigmoid hysteresis (exact branch switch at these
#: currents), radial diffusion, no mechanics, no degradation, amorphous Si from s0 = 0.01.
MATCHING = ModelOptions(
    hysteresis="current-sign",
    diffusion="radial",
    crystalline="none",
    li15si4="none",
    mechanics="none",
    damage="none",
    side_reactions="none",
)


def pybamm_cell(thickness_m: float) -> CellParameters:
    """The cell of params.json at another composite thickness (PyBaMM's conventions)."""
    return cell_from_pybamm_parameters(PARAMS, electrode_thickness=thickness_m)


def one_cycle(j_mA_cm2: float) -> str:
    return (
        f"Lithiate at {j_mA_cm2:.10g} mA/cm2 until 0.04 V vs Li\n"
        f"Delithiate at {j_mA_cm2:.10g} mA/cm2 until 1.5 V vs Li\n"
    )


def _half_cycles(ts: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """(time since step start [s], voltage vs Li [V]) of steps 1 and 2."""
    out = []
    t_start = 0.0
    for step in (1, 2):
        part = ts[ts["Step Count / 1"] == step]
        t = part["Test Time / s"].to_numpy()
        out.append((t - t_start, part["Voltage vs Li / V"].to_numpy()))
        t_start = t[-1]
    return out


def cycle_rms_mV(a: list, b: list, n: int = 2000) -> float:
    """RMS voltage difference [mV] over a full cycle: each half cycle compared on a uniform
    grid of time since its start (= capacity at constant current), over the common range."""
    sq = []
    for (ta, va), (tb, vb) in zip(a, b):
        grid = np.linspace(0.0, min(ta[-1], tb[-1]), n)
        sq.append((np.interp(grid, ta, va) - np.interp(grid, tb, vb)) ** 2)
    return 1e3 * float(np.sqrt(np.mean(np.concatenate(sq))))


def pybamm_curves(stem: str) -> list[tuple[np.ndarray, np.ndarray]]:
    df = pd.read_csv(DATA / f"{stem}.csv")
    out = []
    for step in ("lithiation", "delithiation"):
        part = df[df["step"] == step]
        t = part["time_s"].to_numpy()
        out.append((t - t[0], part["voltage_V_vs_Li"].to_numpy()))
    return out


# ------------------------------------------------------------------ 1. reduced model
@pytest.mark.parametrize("j", [0.127, 0.300])
def test_agrees_with_reduced_model_at_study_rates(j):
    """Thin study electrode (14.8 um): reaction nearly uniform, so the resolved model must
    reproduce the reduced one. All mechanisms on (one-state hysteresis, buffered swelling,
    strain damage with the calibrated beta, oxide + interphase side reactions) on amorphous Si:
    every cycle at 0.300 mA/cm2 in the study (cycles 4-50) is amorphous, and a crystalline
    first lithiation at 0.300 mA/cm2 cannot start in either model."""
    cell = CellParameters(beta=0.0064)
    opts = ModelOptions(crystalline="none")
    red = simulate(cell, one_cycle(j), opts, dv_max=0.002)
    res = simulate_resolved(cell, one_cycle(j), opts, n_nodes=12, dv_max=0.002)
    assert res.completed and red.completed
    rms = cycle_rms_mV(_half_cycles(res.timeseries), _half_cycles(red.timeseries))
    assert rms < 5.0, rms
    for col in ("Lithiation Capacity / mAh", "Delithiation Capacity / mAh"):
        assert res.cycles[col].iloc[0] == pytest.approx(red.cycles[col].iloc[0], rel=5e-3)


def test_first_crystalline_lithiation_matches_reduced_model():
    """Cycle 1 of the study (c-Si plateau, 0.127 mA/cm2): the lithiation curves agree on the
    c-Si plateau. The resolved run stops a little earlier: the front runs ahead near the
    separator, where the reaction is faster. The side-reaction stage before the plateau is
    left out: the resolved solver blends the ends of the side reactions into what reacts
    next over 0.1 % of a node's capacity (``resolved_node.blended_ocp``), which for a
    reservoir of that size moves its voltage by up to ~1 V over ~10 mAh/g."""
    cell = CellParameters(beta=0.0064)
    red = simulate(cell, one_cycle(0.127), dv_max=0.002)
    res = simulate_resolved(cell, one_cycle(0.127), n_nodes=12, dv_max=0.002)
    a, b = _half_cycles(res.timeseries)[0], _half_cycles(red.timeseries)[0]
    # time at 0.127 mA/cm2 by which the side reactions are done (+5 %)
    side_C = red.cycles["Side Reaction Charge / Ah"].iloc[0] * 3600
    t_side = 1.05 * side_C / (0.127e-3 / 1e-4 * cell.area)
    grid = np.linspace(t_side, min(a[0][-1], b[0][-1]), 2000)
    rms = 1e3 * np.sqrt(np.mean((np.interp(grid, *a) - np.interp(grid, *b)) ** 2))
    assert rms < 5.0, rms
    q_res = res.cycles["Lithiation Capacity / mAh"].iloc[0]
    q_red = red.cycles["Lithiation Capacity / mAh"].iloc[0]
    assert 0.97 < q_res / q_red < 1.0


def test_uniform_limit_reproduces_reduced_model():
    """``uniform_reaction=True`` runs the reduced model's equations through this solver."""
    cell = pybamm_cell(100e-6)
    j = PARAMS["thick_1C_current_density_A_m2"] / 50 / 10  # A/m2 -> mA/cm2
    red = simulate(cell, one_cycle(j), MATCHING, dv_max=0.002)
    uni = simulate_resolved(cell, one_cycle(j), MATCHING, uniform_reaction=True, dv_max=0.002)
    assert cycle_rms_mV(_half_cycles(uni.timeseries), _half_cycles(red.timeseries)) < 1.0


# ------------------------------------------------------------------ 2. PyBaMM DFN
@pytest.mark.parametrize(
    ("stem", "j_A_m2"),
    [("dfn_c0p127", 1.27), ("dfn_c3p0", 3.0)],
)
def test_agrees_with_pybamm_dfn(stem, j_A_m2):
    """Matching physics, no degradation: within 10 mV RMS of PyBaMM's DFN over a full cycle
    (20 nodes as PyBaMM's x-mesh)."""
    cell = pybamm_cell(PARAMS["electrode_thickness_m"])
    res = simulate_resolved(cell, one_cycle(j_A_m2 / 10), MATCHING, n_nodes=20, dv_max=0.002)
    assert res.completed
    rms = cycle_rms_mV(_half_cycles(res.timeseries), pybamm_curves(stem))
    assert rms < 10.0, rms
    run = PARAMS["pybamm"]["runs"][stem]["half_cycles"]
    assert res.cycles["Lithiation Capacity / mAh"].iloc[0] == pytest.approx(
        run[0]["capacity_mAh"], rel=0.01
    )
    assert res.cycles["Delithiation Capacity / mAh"].iloc[0] == pytest.approx(
        run[1]["capacity_mAh"], rel=0.01
    )


# ------------------------------------------------------------------ 3. where they differ
def test_thick_electrode_resolved_is_closer_to_dfn_than_reduced():
    """100 um composite at 1C/50 (``dfn_thick_C50.csv``; 1C itself is infeasible: the
    separator alone drops 8.5 V). ~190 mV of electrolyte loss in the composite makes the
    reaction non-uniform: the resolved model tracks PyBaMM's DFN, the reduced (uniform-reaction)
    model with the same physics does not as well, and the reaction concentrates near the
    separator."""
    cell = pybamm_cell(PARAMS["thick_electrode_thickness_m"])
    j = PARAMS["thick_1C_current_density_A_m2"] / 50 / 10
    res = simulate_resolved(cell, one_cycle(j), MATCHING, n_nodes=20, dv_max=0.002)
    red = simulate(cell, one_cycle(j), MATCHING, dv_max=0.002)
    ref = pybamm_curves("dfn_thick_C50")
    rms_res = cycle_rms_mV(_half_cycles(res.timeseries), ref)
    rms_red = cycle_rms_mV(_half_cycles(red.timeseries), ref)
    assert rms_res < 5.0, rms_res
    assert rms_res < 0.7 * rms_red, (rms_res, rms_red)
    # lithiation: the front (separator side) takes more charge than the back
    nodes = res.info["node_cycles"]
    lith = nodes["Lithiation Charge / Ah"].to_numpy()
    assert lith[0] > 1.1 * lith[-1]


# ------------------------------------------------------------------ 4. charge conservation
def test_charge_conserved_per_cycle_with_nonuniform_damage():
    """All mechanisms on, strong damage, thick composite: per cycle, net charge passed =
    Li in connected Si + trapped Li + cumulative side-reaction charge (to round-off), and the
    connected fraction differs through the thickness."""
    cell = CellParameters(beta=0.05, electrode_thickness=60e-6, si_mass=4 * 0.72e-6)
    res = simulate_resolved(cell, None, n_nodes=10, n_cycles=5, record=False)
    assert res.completed, res.status
    c = res.cycles
    net = c["Net Charge Passed / Ah"]
    held = (
        c["Li in Connected Si / Ah"]
        + c["Trapped Li / Ah"]
        + c["Cumulative Side Reaction Charge / Ah"]
    )
    assert np.all(np.abs(net - held) * 3600 < 1e-9 * (1 + c["Lithiation Capacity / Ah"] * 3600))
    assert c["Trapped Li / Ah"].iloc[-1] > 0
    f = res.info["node_cycles"]
    last = f[f["Cycle Count / 1"] == 5]["Connected Fraction / 1"].to_numpy()
    assert last.max() - last.min() > 1e-3


def test_rest_redistributes_charge_through_the_thickness():
    """After a fast lithiation of a thick composite the front holds more Li; during a rest
    (zero applied current) internal currents move Li to the back, with no net charge."""
    cell = pybamm_cell(100e-6)
    proto = (
        "Lithiate at 1.1 mA/cm2 until 0.04 V vs Li\nRest for 2 h\n"
        "Delithiate at 1.1 mA/cm2 until 1.5 V vs Li\n"
    )
    res = simulate_resolved(cell, proto, MATCHING, n_nodes=20)
    assert res.completed, res.status
    ts, nodes = res.timeseries, res.info["node_timeseries"]
    rest = np.where(ts["Step Count / 1"].to_numpy() == 2)[0]
    x_start, x_end = nodes[rest[0], 1], nodes[rest[-1], 1]
    assert x_start[0] - x_start[-1] > 0.02  # front (separator side) richer after lithiation
    assert abs(x_end[0] - x_end[-1]) < 0.2 * (x_start[0] - x_start[-1])
    assert np.all(np.abs(nodes[rest, 0].sum(axis=1)) < 1e-12)  # no net current in the rest
    c = res.cycles
    held = c["Li in Connected Si / Ah"] + c["Trapped Li / Ah"]
    assert abs(c["Net Charge Passed / Ah"] - held).max() * 3600 < 1e-8


def test_finite_electronic_conductivity():
    """PyBaMM's 10 S/m changes nothing that matters (< 0.1 mV); a poor electronic network
    (1e-3 S/m) moves the reaction to the current-collector side."""
    cell = pybamm_cell(100e-6)
    proto = one_cycle(PARAMS["thick_1C_current_density_A_m2"] / 20 / 10)
    runs = {
        sig: simulate_resolved(cell, proto, MATCHING, n_nodes=20, electronic_conductivity=sig)
        for sig in (None, 10.0, 1e-3)
    }
    v0 = {k: r.timeseries["Voltage / V"].iloc[0] for k, r in runs.items()}
    assert 0.0 < v0[None] - v0[10.0] < 1e-4
    share = {}
    for k, r in runs.items():
        q = r.info["node_cycles"]["Lithiation Charge / Ah"].to_numpy()
        share[k] = (q[0] / q.mean(), q[-1] / q.mean())
    assert share[None][0] > 1.2 and share[None][1] < 0.9  # ionic-limited: front
    assert share[1e-3][0] < 0.6 and share[1e-3][1] > 3.0  # electronic-limited: back
