"""Cycle rules, role handling, dQ/dV and plots on synthetic half-cell data."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sianode.cycling import (
    active_signs,
    active_threshold,
    charge_increments,
    counter_increments,
    cycle_table,
    detect_cycles,
    dqdv,
    fill_gaps,
    half_cycle_labels,
    percentile_linear,
    plot_capacity,
    plot_dqdv,
    plot_voltage_capacity,
    renumber_cycles,
    run_numbers,
    suggest_role,
)
from sianode.errors import ParameterError
from sianode.metrics import summarise_cycles

matplotlib.use("Agg")

I0 = 1e-3  # A


def si_half_cell(n_cycles=3, dt=10.0, lith_s=3600.0, deli_s=3240.0, rest_s=600.0):
    """Lithiation (negative current) then delithiation, with rests; counters always 0."""
    t, i, v = [], [], []
    now = 0.0
    for _ in range(n_cycles):
        for dur, cur, v0, v1 in (
            (lith_s, -I0, 0.8, 0.05),
            (rest_s, 0.0, 0.2, 0.2),
            (deli_s, I0, 0.1, 1.0),
            (rest_s, 0.0, 0.6, 0.6),
        ):
            k = np.arange(1, int(dur / dt) + 1)
            t.extend(now + k * dt)
            i.extend(np.full(k.size, cur))
            v.extend(np.linspace(v0, v1, k.size))
            now += dur
    return pd.DataFrame(
        {"Test Time / s": t, "Voltage / V": v, "Current / A": i, "Instrument Cycle / 1": 0}
    )


def test_cycles_from_current_with_zero_counters():
    d = si_half_cell()
    cyc = detect_cycles(d["Current / A"])
    assert cyc.min() == 1 and cyc.max() == 3
    t = cycle_table(d)
    # trapezoid error only at the 2 edges of each half cycle: 1 mA * 3600 s = 1 mAh
    np.testing.assert_allclose(t["Cycle Discharging Capacity / mAh"], 1.0, rtol=5e-3)
    np.testing.assert_allclose(t["Cycle Charging Capacity / mAh"], 0.9, rtol=5e-3)
    assert "Lithiation Capacity / Ah" not in t  # no role, no guess


def test_role_anode_uses_summarise_cycles():
    d = si_half_cell()
    t = cycle_table(d, role="anode", active_mass_g=1e-3, area_cm2=0.5)
    ref = summarise_cycles(
        t["Cycle Count / 1"],
        t["Cycle Discharging Capacity / Ah"],
        t["Cycle Charging Capacity / Ah"],
        active_mass_g=1e-3,
        area_cm2=0.5,
    )
    for col in ref.columns:
        np.testing.assert_allclose(t[col], ref[col], rtol=1e-12, err_msg=col)
    np.testing.assert_allclose(t["Coulombic Efficiency / 1"], 0.9, rtol=5e-3)
    assert t["Specific Lithiation Capacity / mAh/g"].iloc[0] == pytest.approx(1000, rel=5e-3)
    assert t["Voltage Hysteresis / V"].iloc[0] > 0
    assert suggest_role(d) == "anode"


def test_cathode_ce_is_discharge_over_charge():
    d = si_half_cell()
    d["Current / A"] *= -1  # charge first, then discharge
    d["Voltage / V"] += 3.0
    t = cycle_table(d, role="cathode")
    np.testing.assert_allclose(t["Coulombic Efficiency / 1"], 0.9, rtol=5e-3)
    assert suggest_role(d) == "cathode"


def test_bad_role_and_rule():
    d = si_half_cell(1)
    with pytest.raises(ParameterError):
        cycle_table(d, role="full")
    with pytest.raises(ParameterError):
        cycle_table(d.drop(columns="Instrument Cycle / 1"), cycles="instrument")


def test_step_time_split_and_hold():
    t = np.array([0.0, 100.0, 200.0])
    i = np.array([0.0, 1.0, 1.0])
    assert charge_increments(t, i).sum() == pytest.approx(150 / 3600)
    assert charge_increments(t, i, "hold").sum() == pytest.approx(200 / 3600)
    # the step began 10 s before the second sample
    st = np.array([500.0, 10.0, 110.0])
    assert charge_increments(t, i, step_time_s=st).sum() == pytest.approx(110 / 3600)


def test_flicker_is_merged():
    d = si_half_cell(2)
    cur = d["Current / A"].to_numpy().copy()
    k = int(np.flatnonzero(cur < 0)[5])
    cur[k] = +I0  # one-sample sign flicker inside a lithiation
    assert detect_cycles(cur).max() == 2


def test_dqdv_and_plots():
    d = si_half_cell()
    q = dqdv(d)
    assert set(q["Direction"]) == {"charge", "discharge"}
    # linear V(Q): dQ/dV = 1 mAh / 0.75 V in the lithiation
    lith = q[(q["Direction"] == "discharge") & (q["Cycle Count / 1"] == 1)]
    mid = lith["dQ/dV / Ah/V"].iloc[len(lith) // 2]
    assert mid == pytest.approx(1e-3 / 0.75, rel=0.05)
    t = cycle_table(d, role="anode")
    for fig in (plot_capacity(t), plot_voltage_capacity(d), plot_dqdv(d)):
        assert fig.axes
        matplotlib.pyplot.close(fig)


def test_cli_cycles_json(tmp_path):
    from sianode.cli import main

    d = si_half_cell()
    p = tmp_path / "cell.csv"
    d.drop(columns="Instrument Cycle / 1").to_csv(p, index=False)
    from typer.testing import CliRunner

    from sianode.cli import app

    res = CliRunner().invoke(
        app, ["cycles", str(p), "--json", "--role", "anode", "--active-mass", "1mg"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["format"] == "bdf_csv" and out["suggested_role"] == "anode"
    assert out["n_points"] == len(d)
    c1 = out["cycles"][0]
    assert c1["lithiation_mAh"] == pytest.approx(1.0, rel=5e-3)
    assert c1["coulombic_efficiency"] == pytest.approx(0.9, rel=5e-3)
    res = CliRunner().invoke(app, ["convert", str(p), "--out", str(tmp_path / "o"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["bdf"].endswith(".bdf.csv")
    assert main(["cycles", str(tmp_path / "missing.csv")]) == 2


# The fast helpers used by sianode.io.finish must equal the numpy/pandas expressions they
# replace (reference: numpy.percentile's default "linear" method; pandas ffill().bfill()).
_finite = st.floats(0.0, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 300), elements=_finite),
    st.one_of(st.sampled_from([0.0, 0.5, 50.0, 99.5, 100.0]), st.floats(0.0, 100.0)),
)
def test_percentile_linear_equals_numpy(a, q):
    assert percentile_linear(a.copy(), q) == np.percentile(a, q)
    b = a.copy()
    assert percentile_linear(b, q, overwrite=True) == np.percentile(a, q)
    np.testing.assert_array_equal(np.sort(b), np.sort(a))  # reordered, same values


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(1, 60), elements=st.sampled_from([0.0, 1.0, 2.0, np.nan])))
def test_fill_gaps_and_changes_equal_pandas(s):
    ref = pd.Series(s).ffill().bfill().to_numpy()
    np.testing.assert_array_equal(fill_gaps(s), ref)
    if np.isfinite(s).any():
        want = 1 + np.cumsum(np.r_[False, ref[1:] != ref[:-1]])
        got = run_numbers(fill_gaps(s))
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


# The cycle rules are computed with few numpy passes (np.repeat over runs, in-place
# arithmetic, matrix products). Each must equal the plain expression of the rule in the
# module doc, written here as directly as possible (the implementation before the fast one).


def _ref_counter_increments(values):
    c = np.abs(np.asarray(values, dtype=float))
    c[~np.isfinite(c)] = 0.0
    out = np.zeros(c.size)
    if c.size > 1:
        d = np.diff(c)
        out[1:] = np.where(d >= 0, d, c[1:])
    return out


def _ref_charge_increments(t, i, method, st_=None):
    out = np.zeros(t.size)
    if t.size < 2:
        return out
    dt = np.diff(t)
    mid = 0.5 * (i[1:] + i[:-1]) if method == "trapezoid" else i[1:]
    inc = mid * dt / 3600.0
    if st_ is not None:
        new = (st_[1:] < st_[:-1]) & np.isfinite(st_[1:]) & (dt > 0)
        k = np.flatnonzero(new)
        after = np.clip(st_[1:][k], 0.0, dt[k])
        inc[k] = (i[:-1][k] * (dt[k] - after) + i[1:][k] * after) / 3600.0
    inc[~np.isfinite(inc) | ~(dt > 0)] = 0.0
    out[1:] = inc
    return out


def _ref_labels(i, dq):
    """Half-cycle labels and signs from the module doc's rule, point by point in Python."""
    n = i.size
    thr = active_threshold(i)
    sign = [int(np.sign(x)) if np.isfinite(x) and abs(x) > thr else 0 for x in i]
    q = [abs(x) if np.isfinite(x) else 0.0 for x in dq]

    def segments():  # [start, sign] of each run of one non-zero sign, zeros skipped
        segs = []
        for k, s in enumerate(sign):
            if s != 0 and (not segs or segs[-1][1] != s):
                segs.append([k, s])
        return segs

    segs = segments()
    for _ in range(3):  # the merge rule, applied up to three times
        if len(segs) <= 1:
            break
        bounds = [start for start, _ in segs] + [n]
        charge = [sum(q[bounds[j] : bounds[j + 1]]) for j in range(len(segs))]
        tiny = [j for j, ch in enumerate(charge) if ch < 5e-3 * max(charge)]
        if not tiny:
            break
        for j in tiny:  # absorbed into the segment before (the one after, for the first)
            new = segs[j - 1][1] if j > 0 else segs[j + 1][1]
            for k in range(bounds[j], bounds[j + 1]):
                if sign[k] != 0:
                    sign[k] = new
        segs = segments()
    labels = np.zeros(n, dtype=np.int64)
    for j, (start, _) in enumerate(segs[1:], start=1):
        labels[start:] = j
    return labels, np.array([s for _, s in segs], dtype=int)


def _ref_cycles(i, dq, opening):
    labels, signs = _ref_labels(i, dq)
    if signs.size == 0:
        return np.ones(i.size, dtype=np.int64)
    first = int(signs[0]) if opening is None else opening
    cyc = np.cumsum(signs == first)
    if opening is None:
        cyc = np.maximum(cyc, 1)
    return cyc[labels]


# currents with rests, flickers, NaN and infinities; powers of two, so that sums of charge are
# exact in any order and the reference's Python sums equal numpy's
_currents = arrays(
    np.float64,
    st.integers(1, 120),
    elements=st.sampled_from([0.0, 0.5, -0.5, 2.0, -0.25, 2**-20, -(2**-20), np.nan, np.inf]),
)


@settings(max_examples=300, deadline=None)
@given(_currents, st.sampled_from([None, 1, -1]), st.booleans())
def test_cycle_rules_equal_reference(i, opening, with_dq):
    dq = np.abs(i) * 0.125 if with_dq else None
    ref_dq = dq if with_dq else i
    labels, signs = half_cycle_labels(i, dq)
    want_labels, want_signs = _ref_labels(i, ref_dq)
    np.testing.assert_array_equal(labels, want_labels)
    np.testing.assert_array_equal(signs, want_signs)
    assert labels.dtype == np.int64
    got = detect_cycles(i, dq, opening)
    np.testing.assert_array_equal(got, _ref_cycles(i, ref_dq, opening))
    assert got.dtype == np.int64
    want_sign = np.where(np.isfinite(i) & (np.abs(i) > active_threshold(i)), np.sign(i), 0)
    np.testing.assert_array_equal(active_signs(i), want_sign)


@settings(max_examples=300, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 80), elements=st.sampled_from([0.0, 1.0, 2.5, 3.0, np.nan])),
)
def test_run_numbers_equal_cumulative_sum(x):
    want = np.ones(x.size, dtype=np.int64)
    want[1:] += np.cumsum(x[1:] != x[:-1])
    got = run_numbers(x)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64


_counter = st.one_of(
    st.floats(0.0, 5.0),
    st.sampled_from([0.0, -1.0, np.nan, np.inf, -np.inf]),
)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 50)), elements=_counter))
def test_counter_increments_equal_reference(c2):
    got = counter_increments(c2)
    assert got.shape == c2.shape
    for row, want in zip(got, c2):
        np.testing.assert_array_equal(row, _ref_counter_increments(want))
    np.testing.assert_array_equal(counter_increments(c2[0]), _ref_counter_increments(c2[0]))


_times = st.one_of(st.floats(-5.0, 100.0), st.sampled_from([np.nan, np.inf]))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=_times),
            arrays(np.float64, n, elements=st.floats(-1.0, 1.0)),
            arrays(np.float64, n, elements=_times),
        )
    ),
    st.sampled_from(["trapezoid", "hold"]),
    st.booleans(),
)
def test_charge_increments_bit_identical_to_expression(tis, method, with_step_time):
    t, i, st_ = tis
    t = np.cumsum(np.nan_to_num(t, nan=1.0, posinf=2.0))  # mostly increasing, some drops
    st_ = st_ if with_step_time else None
    with np.errstate(all="ignore"):
        got = charge_increments(t, i, method, st_)
        want = _ref_charge_increments(t, i, method, st_)
    np.testing.assert_array_equal(got, want)


def test_merge_rule_applies_again_after_a_merge():
    """A flicker that is only tiny next to the merged half cycle is merged on the second pass.

    Worked by hand (dq = |I| * 0.125 A h per sample): segments +10, -0.03125, +10, -0.0625 A h.
    Pass 1: largest 10, limit 0.5 % = 0.05, so only the -0.03125 flicker merges: +20.03125.
    Pass 2: limit 0.1002, so the -0.0625 tail merges too. One half cycle, one cycle.
    """
    i = np.array([2.0] * 40 + [-0.25] + [2.0] * 40 + [-0.5])
    labels, signs = half_cycle_labels(i, np.abs(i) * 0.125)
    np.testing.assert_array_equal(signs, [1])
    np.testing.assert_array_equal(labels, np.zeros(i.size))
    np.testing.assert_array_equal(detect_cycles(i, np.abs(i) * 0.125), np.ones(i.size))


def cathode_from_open_circuit(dt=10.0):
    """A cathode test that starts with a short discharge from open circuit (0.1667 mAh), then
    two cycles of charge (1 mA for 3600 s: 1 mAh) and discharge (3240 s: 0.9 mAh)."""
    t, i = [], []
    now = 0.0
    plan = [(600, -I0), (600, 0.0)] + [(3600, I0), (600, 0.0), (3240, -I0), (600, 0.0)] * 2
    for dur, cur in plan:
        k = np.arange(1, int(dur / dt) + 1)
        t.extend(now + k * dt)
        i.extend(np.full(k.size, cur))
        now += dur
    v = 3.7 + 200 * np.asarray(i)  # any voltage: the rule does not use it
    return pd.DataFrame({"Test Time / s": t, "Voltage / V": v, "Current / A": i})


def test_renumber_cycles_opening_charge_pairs_each_charge_with_the_next_discharge():
    d = cathode_from_open_circuit()
    default = cycle_table(d, role="cathode")
    # the first half cycle (discharge) opens the cycles: cycle 1 = 0.1667 mAh out, 1 mAh in
    np.testing.assert_allclose(default["Coulombic Efficiency / 1"].iloc[0], 1 / 6, rtol=1e-2)
    r = renumber_cycles(d, "charge")
    assert r.attrs["cycle_opening"] == "charge"
    assert "Cycle Count / 1" not in d  # a copy: the input is untouched
    assert sorted(set(r["Cycle Count / 1"])) == [0, 1, 2]
    t = cycle_table(r, role="cathode")
    assert list(t["Cycle Count / 1"]) == [0, 1, 2]
    # cycle 0: the opening discharge, reported in BDF sense, outside the role metrics
    assert t["Cycle Discharging Capacity / mAh"].iloc[0] == pytest.approx(600 / 3600, rel=2e-2)
    assert t["Cycle Charging Capacity / mAh"].iloc[0] == 0.0
    assert np.isnan(t["Coulombic Efficiency / 1"].iloc[0])
    assert np.isnan(t["Lithiation Capacity / mAh"].iloc[0])
    # cycles 1 and 2: 1 mAh charge, 0.9 mAh discharge, CE 0.9 (cathode: discharge / charge)
    np.testing.assert_allclose(t["Cycle Charging Capacity / mAh"].iloc[1:], 1.0, rtol=5e-3)
    np.testing.assert_allclose(t["Cycle Discharging Capacity / mAh"].iloc[1:], 0.9, rtol=5e-3)
    np.testing.assert_allclose(t["Coulombic Efficiency / 1"].iloc[1:], 0.9, rtol=5e-3)
    assert t.attrs["first_cycle_efficiency"] == pytest.approx(0.9, rel=5e-3)
    # retention references cycle 1, not cycle 0
    assert t["Retention vs Cycle 1 Lithiation / 1"].iloc[1] == 1.0
    # in a half cell vs Li, lithiation is the discharge and delithiation the charge
    for same, other in (("lithiation", "discharge"), ("delithiation", "charge")):
        np.testing.assert_array_equal(
            renumber_cycles(d, same)["Cycle Count / 1"],
            renumber_cycles(d, other)["Cycle Count / 1"],
        )
    # opening with the first half cycle's own direction changes nothing
    np.testing.assert_array_equal(
        renumber_cycles(d, "discharge")["Cycle Count / 1"], read_like(d)["Cycle Count / 1"]
    )
    with pytest.raises(ParameterError):
        renumber_cycles(d, "sideways")


def read_like(d):
    """``d`` as sianode.io.read would give it (cycle numbers from the default rule)."""
    from sianode.io import finish

    return finish(d, {"warnings": []})


def test_cli_opening(tmp_path):
    from typer.testing import CliRunner

    from sianode.cli import app, main

    p = tmp_path / "cathode.csv"
    cathode_from_open_circuit().to_csv(p, index=False)
    args = ["cycles", str(p), "--role", "cathode", "--opening", "charge"]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["opening"] == "charge"
    assert [c["cycle"] for c in out["cycles"]] == [0, 1, 2]
    assert out["cycles"][0]["coulombic_efficiency"] is None
    assert out["cycles"][1]["coulombic_efficiency"] == pytest.approx(0.9, rel=5e-3)
    res = CliRunner().invoke(app, args)  # the text table prints cycle 0's missing values
    assert res.exit_code == 0, res.output
    assert "cycle    0:" in res.stdout and "CE -" in res.stdout
    # bad values: one line and exit 2 from the entry point
    assert main(["cycles", str(p), "--opening", "up"]) == 2
    assert main(["cycles", str(p), "--opening", "charge", "--cycles", "instrument"]) == 2
