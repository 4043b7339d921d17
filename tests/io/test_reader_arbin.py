"""Arbin .res (via mdbtools), CSV and xlsx exports."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from _cycler_helpers import rel_close

from sianode.cycling import cycle_table
from sianode.io import read

needs_mdb = pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools missing")


@needs_mdb
def test_res_si_half_cell(cycler):
    data, meta = read(cycler / "cellpy" / "20160805_test001_45_cc_01.res")
    assert meta["format"] == "arbin_res"
    assert len(data) == 10261  # README
    assert meta["active_mass_g"] == pytest.approx(0.00085283798)  # Global_Table MASS
    t = cycle_table(data, role="anode", active_mass_g=meta["active_mass_g"])
    assert len(t) == 18  # README: 18 cycles; our current rule agrees with Cycle_Index
    np.testing.assert_array_equal(t["Instrument Cycle / 1"], np.arange(1, 19))
    # reference: Arbin's Charge_Capacity/Discharge_Capacity (reset every Cycle_Index)
    rel_close(t["Cycle Charging Capacity / Ah"], t["Instrument Charging Capacity / Ah"])
    rel_close(t["Cycle Discharging Capacity / Ah"], t["Instrument Discharging Capacity / Ah"])
    # README: ~1.6-1.75 mAh
    assert 1.4 < t["Lithiation Capacity / mAh"].iloc[0] < 1.8
    assert "Specific Lithiation Capacity / mAh/g" in t


@needs_mdb
def test_res_cathode(cycler):
    data, _ = read(cycler / "navani" / "arbin_example.res")
    assert len(data) == 2150  # README
    t = cycle_table(data, cycles="instrument")
    # reference: Arbin's per-cycle Charge_Capacity/Discharge_Capacity counters
    rel_close(t["Cycle Charging Capacity / Ah"], t["Instrument Charging Capacity / Ah"])
    rel_close(t["Cycle Discharging Capacity / Ah"], t["Instrument Discharging Capacity / Ah"])
    assert t["Cycle Charging Capacity / mAh"].iloc[0] == pytest.approx(0.48, rel=0.02)


def test_res_without_mdbtools(cycler, monkeypatch):
    from sianode.errors import ParsingError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ParsingError, match="mdbtools"):
        read(cycler / "navani" / "arbin_example.res")


def test_csv_slice(cycler):
    data, meta = read(cycler / "battery-data-toolkit" / "arbin_example.csv")
    assert meta["format"] == "arbin_csv" and len(data) == 2142
    t = cycle_table(data, cycles="instrument")
    # reference: Arbin's Charge_Capacity/Discharge_Capacity columns (the slice starts at
    # 0.88 Ah, so only increments are compared)
    rel_close(t["Cycle Charging Capacity / Ah"], t["Instrument Charging Capacity / Ah"])
    rel_close(t["Cycle Discharging Capacity / Ah"], t["Instrument Discharging Capacity / Ah"])


def test_csv_empty_counters(cycler):
    data, meta = read(cycler / "beep" / "2017-05-09_test-TC-contact_CH33.csv")
    assert len(data) == 287
    assert any("Cycle_Index is empty" in w for w in meta["warnings"])
    assert (data["Cycle Count / 1"] == 1).all()
    t = cycle_table(data)
    # reference: Arbin Charge_Capacity, last minus first value (one 6.6 A charge)
    q = data["Charging Capacity / Ah"]
    assert t["Cycle Charging Capacity / Ah"].iloc[0] == pytest.approx(
        q.iloc[-1] - q.iloc[0], rel=5e-3
    )


def test_xlsx_graphite(cycler):
    data, meta = read(cycler / "navani" / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx")
    assert meta["format"] == "arbin_xlsx" and len(data) == 4526
    t = cycle_table(data, role="anode")
    # README: ~5.7-5.8 mAh first cycle
    assert t["Lithiation Capacity / mAh"].iloc[0] == pytest.approx(5.8, rel=0.01)
    assert t["Delithiation Capacity / mAh"].iloc[0] == pytest.approx(5.7, rel=0.01)
    ti = cycle_table(data, cycles="instrument")
    rel_close(ti["Cycle Charging Capacity / Ah"], ti["Instrument Charging Capacity / Ah"])
    rel_close(ti["Cycle Discharging Capacity / Ah"], ti["Instrument Discharging Capacity / Ah"])
