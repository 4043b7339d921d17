"""Incomplete last cycles and specific capacity without a role (issue 16, "cycles")."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from test_cycling import si_half_cell

from sianode.cycling import COMPLETE, cycle_table, plot_capacity
from sianode.errors import ParameterError

matplotlib.use("Agg")


def _stopped(fraction: float) -> pd.DataFrame:
    """3 cycles of 1 mAh lithiation / 0.9 mAh delithiation; the test stops after
    ``fraction`` of the last delithiation (the time series is cut there)."""
    d = si_half_cell()
    t = d["Test Time / s"].to_numpy()
    # cycle 3's delithiation starts after 2 cycles (2 x 8040 s) + 3600 s + 600 s of rest
    start = 2 * 8040.0 + 4200.0
    return d[t <= start + fraction * 3240.0].reset_index(drop=True)


def test_stopped_last_cycle_is_flagged_and_left_out_of_ce_and_retention():
    t = cycle_table(_stopped(0.001), role="anode")
    assert list(t[COMPLETE]) == [True, True, False]
    # its capacities are what was measured: a full lithiation, 0.1 % of a delithiation
    assert t["Lithiation Capacity / mAh"].iloc[2] == pytest.approx(1.0, rel=5e-3)
    assert np.isnan(t["Coulombic Efficiency / 1"].iloc[2])
    assert np.isnan(t["Retention vs Cycle 1 Lithiation / 1"].iloc[2])
    assert t["Coulombic Efficiency / 1"].iloc[:2].tolist() == pytest.approx([0.9, 0.9], rel=5e-3)
    assert any(w.startswith("cycle 3 is incomplete") for w in t.attrs["warnings"])
    kept = cycle_table(_stopped(0.001), role="anode", include_incomplete=True)
    assert kept["Coulombic Efficiency / 1"].iloc[2] < 0.01  # the "0.09 %" of issue 16


def test_last_cycle_without_closing_half_is_incomplete_but_a_full_one_is_not():
    d = si_half_cell()
    full = cycle_table(d, role="anode")
    assert full[COMPLETE].all() and not full.attrs["warnings"]
    cut = d[d["Test Time / s"] <= 2 * 8040.0 + 3600.0]  # stops after cycle 3's lithiation
    assert list(cycle_table(cut)[COMPLETE]) == [True, True, False]
    # 60 % of the delithiation: above the 50 % rule, a real (if short) cycle
    assert cycle_table(_stopped(0.6))[COMPLETE].all()


def test_real_file_with_a_0_09_percent_last_cycle(external_data):
    """Issue 16: bs542 (Arbin .xlsx) ends 0.09 % into its last closing half cycle."""
    from sianode.io import read

    cycler = external_data / "cycler"
    data, _ = read(cycler / "navani" / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx")
    t = cycle_table(data, role="anode")
    assert list(t[COMPLETE]) == [True, False]
    assert np.isnan(t["Coulombic Efficiency / 1"].iloc[-1])
    assert cycle_table(data, role="anode", include_incomplete=True)[
        "Coulombic Efficiency / 1"
    ].iloc[-1] == pytest.approx(0.000887, rel=0.01)


def test_plot_leaves_the_incomplete_cycle_out_and_shows_specific_capacity():
    t = cycle_table(_stopped(0.001), active_mass_g=1e-3)
    fig = plot_capacity(t)
    ax = fig.axes[0]
    assert [len(line.get_xdata()) for line in ax.lines] == [2, 2]
    assert ax.get_ylabel() == "specific capacity [mAh/g]"
    assert ax.lines[1].get_ydata()[0] == pytest.approx(1000, rel=5e-3)  # 1 mAh / 1 mg
    matplotlib.pyplot.close(fig)
    fig = plot_capacity(t, include_incomplete=True)
    assert [len(line.get_xdata()) for line in fig.axes[0].lines] == [3, 3]
    matplotlib.pyplot.close(fig)


def test_specific_capacity_without_role():
    t = cycle_table(si_half_cell(), active_mass_g=2e-3, composite_mass_g=4e-3, area_cm2=0.5)
    # 1 mAh discharge per cycle: 500 mAh/g active, 250 mAh/g composite, 2 mAh/cm2
    np.testing.assert_allclose(t["Specific Discharging Capacity / mAh/g"], 500, rtol=5e-3)
    np.testing.assert_allclose(t["Composite Discharging Capacity / mAh/g"], 250, rtol=5e-3)
    np.testing.assert_allclose(t["Areal Discharging Capacity / mAh/cm2"], 2, rtol=5e-3)
    np.testing.assert_allclose(t["Specific Charging Capacity / mAh/g"], 450, rtol=5e-3)
    assert "Lithiation Capacity / Ah" not in t
    with pytest.raises(ParameterError, match="active_mass_g: must be > 0"):
        cycle_table(si_half_cell(), active_mass_g=-1.0)


# --- the command line ---------------------------------------------------------------------


def _csv(tmp_path, data: pd.DataFrame) -> str:
    p = tmp_path / "cell.csv"
    data.drop(columns="Instrument Cycle / 1").to_csv(p, index=False)
    return str(p)


def test_cli_mass_without_unit_is_an_error(tmp_path, capsys):
    from sianode.cli import main

    f = _csv(tmp_path, si_half_cell())
    assert main(["cycles", f, "--active-mass", "0.72"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--active-mass: '0.72' has no unit; give one, e.g. 0.72mg" in err[0]
    assert main(["cycles", f, "--area", "1"]) == 2
    assert main(["cycles", f, "--active-mass", "0.72mg", "--json"]) == 0


def test_cli_specific_capacity_without_role_and_incomplete_cycle(tmp_path):
    from typer.testing import CliRunner

    from sianode.cli import app

    f = _csv(tmp_path, _stopped(0.001))
    res = CliRunner().invoke(app, ["cycles", f, "--active-mass", "1mg", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["cycles"]
    assert [r["complete"] for r in rows] == [True, True, False]
    assert rows[0]["discharge_mAh_per_g"] == pytest.approx(1000, rel=5e-3)  # 1 mAh / 1 mg
    res = CliRunner().invoke(app, ["cycles", f, "--active-mass", "1mg"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("cycle ")]
    assert "mAh/g" in lines[0] and "(incomplete" not in lines[0]
    assert "(incomplete: not in CE, retention or plots)" in lines[2]
    res = CliRunner().invoke(app, ["cycles", f, "--composite-mass", "2mg"])
    first = next(ln for ln in res.stdout.splitlines() if ln.startswith("cycle "))
    assert "mAh/g composite" in first
    res = CliRunner().invoke(
        app, ["cycles", f, "--role", "anode", "--active-mass", "1mg", "--json"]
    )
    rows = json.loads(res.stdout)["cycles"]
    assert rows[2]["coulombic_efficiency"] is None and rows[2]["retention"] is None
    assert rows[1]["coulombic_efficiency"] == pytest.approx(0.9, rel=5e-3)


def test_cli_convert_writes_to_the_working_directory(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sianode.cli import app

    raw = tmp_path / "raw"
    raw.mkdir()
    f = _csv(raw, si_half_cell())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = CliRunner().invoke(app, ["convert", f, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert Path(out["bdf"]).parent.resolve() == work.resolve()
    assert sorted(p.name for p in raw.iterdir()) == ["cell.csv"]  # nothing next to the raw data


def test_cli_convert_prints_the_readers_warnings(tmp_path, monkeypatch):
    """Issue 16: readers' warnings reach the console, not only the metadata."""
    from typer.testing import CliRunner

    from sianode.cli import app

    d = si_half_cell()
    d.loc[50, "Voltage / V"] = 3700.0  # a lost decimal point
    f = _csv(tmp_path, d)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["convert", f])
    assert res.exit_code == 0, res.output
    assert "warning: column 'Voltage / V': 1 values beyond 100 V" in res.stdout
    res = CliRunner().invoke(app, ["cycles", f])
    assert "warning: column 'Voltage / V': 1 values beyond 100 V" in res.stdout


def test_curves_in_mah_per_g_with_a_mass():
    from sianode.cycling import plot_dqdv, plot_voltage_capacity

    d = si_half_cell()
    fig = plot_voltage_capacity(d, active_mass_g=1e-3)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "specific capacity [mAh/g]"
    # a full lithiation passes 1 mAh: 1000 mAh/g for 1 mg
    assert max(line.get_xdata().max() for line in ax.lines) == pytest.approx(1000, rel=1e-2)
    matplotlib.pyplot.close(fig)
    fig = plot_dqdv(d, active_mass_g=1e-3)
    assert fig.axes[0].get_ylabel() == "dQ/dV [mAh/(g V)] (discharge < 0)"
    matplotlib.pyplot.close(fig)
    fig = plot_voltage_capacity(d)
    assert fig.axes[0].get_xlabel() == "capacity [mAh]"
    matplotlib.pyplot.close(fig)


def test_cli_plots_with_a_mass_and_an_incomplete_cycle(tmp_path):
    from typer.testing import CliRunner

    from sianode.cli import app

    f = _csv(tmp_path, _stopped(0.001))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["cycles", f, "--active-mass", "1mg", "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "cell_csv_capacity.png",
        "cell_csv_cycles.csv",
        "cell_csv_dqdv.png",
        "cell_csv_voltage_capacity.png",
    ]
    table = pd.read_csv(out / "cell_csv_cycles.csv")
    assert list(table[COMPLETE]) == [True, True, False]  # the CSV keeps the flagged cycle
