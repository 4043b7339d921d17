"""sianode.measured: the public function under ``sianode calibrate``."""

from __future__ import annotations

import pytest

from sianode.measured import read_measured_cell
from sianode.protocol import parse_protocol
from sianode.simulation import cell_from_study, simulate

SHORT = (
    "Lithiate at 0.100 mA/cm2 until 0.05 V vs Li\nDelithiate at 0.100 mA/cm2 until 1.2 V vs Li\n"
    "Repeat 4 times"
)


@pytest.fixture(scope="module")
def bdf(tmp_path_factory):
    cell, _ = cell_from_study(material="dense")
    res = simulate(cell.replace(beta=0.007), SHORT, record=True)
    path = tmp_path_factory.mktemp("m") / "cell.bdf.csv"
    res.timeseries[["Test Time / s", "Voltage / V", "Current / A"]].to_csv(path, index=False)
    return cell, path


def test_one_file(bdf):
    cell, path = bdf
    m = read_measured_cell([path], cell.si_mass * 1e3, cell.area * 1e4)
    assert list(m.cycles["Cycle Count / 1"]) == [1, 2, 3, 4]
    assert parse_protocol(m.protocol).n_cycles == 4
    assert m.files == [str(path)]


def test_two_files_number_on_and_max_cycles(bdf):
    cell, path = bdf
    m = read_measured_cell([path, path], cell.si_mass * 1e3, cell.area * 1e4, max_cycles=6)
    assert list(m.cycles["Cycle Count / 1"]) == [1, 2, 3, 4, 5, 6]
    assert parse_protocol(m.protocol).n_cycles == 8  # both files' protocols, in order
