"""``calibrate`` uses the protocol the measured file records, and reports a failed fit as a
failure (issue 16): exit 1 with the reasons, no cell file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sianode.calibration import fit_to_cycles
from sianode.cli import main
from sianode.protocol import parse_protocol, protocol_from_data
from sianode.simulation import cell_from_study, simulate

# a protocol unlike the study's (0.127 / 0.300 mA/cm2, 0.04-1.5 V vs Li): other currents, a
# narrower window and rests, so a fit run on the study's protocol cannot match it
OWN = (
    "Lithiate at 0.100 mA/cm2 until 0.05 V vs Li\nRest for 600 s\n"
    "Delithiate at 0.100 mA/cm2 until 1.2 V vs Li\nRepeat 2 times\n"
    "Lithiate at 0.250 mA/cm2 until 0.05 V vs Li\nDelithiate at 0.250 mA/cm2 until 1.2 V vs Li\n"
    "Repeat 10 times"
)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """A BDF CSV of the dense cell run on OWN with beta = 0.007 (the 'truth')."""
    cell, _ = cell_from_study(material="dense")
    res = simulate(cell.replace(beta=0.007), OWN, record=True)
    path = tmp_path_factory.mktemp("m") / "cell.bdf.csv"
    res.timeseries[["Test Time / s", "Voltage / V", "Current / A"]].to_csv(path, index=False)
    return cell, res, path


def test_protocol_from_data_recovers_the_run_protocol(measured):
    cell, res, _ = measured
    ts = res.timeseries
    text = protocol_from_data(ts["Test Time / s"], ts["Current / A"], ts["Voltage / V"])
    lines = text.splitlines()
    # currents: 0.1 and 0.25 mA/cm2 times the study's 0.785 cm2 area; cut-offs vs the Li-In
    # counter electrode (0.62 V vs Li+/Li, study.md): 0.05 - 0.62 and 1.2 - 0.62 V
    i1, i2 = 0.1 * cell.area * 1e4, 0.25 * cell.area * 1e4
    assert lines == [
        f"Lithiate at {i1:.3g} mA until -0.570 V vs counter",
        "Rest for 600 s",
        f"Delithiate at {i1:.3g} mA until 0.580 V vs counter",
        "Repeat 2 times",
        f"Lithiate at {i2:.3g} mA until -0.570 V vs counter",
        f"Delithiate at {i2:.3g} mA until 0.580 V vs counter",
        "Repeat 10 times",
    ]
    assert parse_protocol(text).n_cycles == 12


def test_calibrate_uses_the_files_own_protocol(measured, tmp_path, capsys):
    _, _, path = measured
    out = tmp_path / "cell.json"
    rc = main(["calibrate", str(path), "--fit", "beta", "--out", str(out), "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["protocol_source"] == "recorded in the files"
    assert summary["success"] and summary["problems"] == []
    assert summary["parameters"]["beta"]["value"] == pytest.approx(0.007, rel=0.05)
    assert json.loads(out.read_text())["cell"]["beta"] == pytest.approx(0.007, rel=0.05)


def test_capacities_that_grow_are_a_failed_fit(measured):
    """Capacities rising cycle by cycle cannot come from a damage law: R2 is negative and the
    result says so instead of reporting success."""
    cell, res, _ = measured
    rising = res.cycles.copy()
    col = "Lithiation Capacity / Ah"
    rising[col] = np.sort(rising[col].to_numpy())
    fit = fit_to_cycles(rising, cell.replace(beta=0.01), OWN, ["beta"])
    assert not fit.success
    assert any(p.startswith("R2 = ") and "< 0" in p for p in fit.problems)
    assert fit.as_dict()["problems"] == fit.problems


def test_a_parameter_at_its_bound_is_a_failed_fit(measured):
    """Truth beta = 0.007 outside the allowed 0.008-0.02: the fit ends on the lower bound."""
    cell, res, _ = measured
    fit = fit_to_cycles(
        res.cycles, cell.replace(beta=0.01), OWN, ["beta"], bounds={"beta": (0.008, 0.02)}
    )
    assert not fit.success
    assert any("beta = 0.008 is at its lower bound" in p for p in fit.problems)


def test_calibrate_cli_failure_exit_1_and_no_cell_file(tmp_path, capsys):
    cell, _ = cell_from_study(material="dense")
    res = simulate(cell.replace(beta=0.007), OWN, record=True)
    ts = res.timeseries[["Test Time / s", "Voltage / V", "Current / A"]].copy()
    # the same cell's voltages, but half its current in the file: cycle 1 (which damage does
    # not touch) then holds half the capacity of the study's cell, which no beta reproduces
    ts["Current / A"] *= 0.5
    path = tmp_path / "odd.bdf.csv"
    ts.to_csv(path, index=False)
    out = tmp_path / "cell.json"
    rc = main(["calibrate", str(path), "--fit", "beta", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "calibration failed: R2 = " in err and err.count("\n") == 2  # reason + no file
    assert not out.exists()
