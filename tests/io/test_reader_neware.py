"""Neware: .nda/.ndax via fastnda, flat CSV and the regular (cycle/step/record) CSV."""

from __future__ import annotations

import pytest
from _cycler_helpers import rel_close

from sianode.cycling import cycle_table
from sianode.io import read


def test_regular_export_cycle_rows(cycler):
    data, meta = read(cycler / "cellpy" / "nw_regular_export_ife_example.csv")
    assert meta["format"] == "neware_regular" and len(data) == 9295  # README
    ref = meta["instrument_cycles"]  # the file's own cycle rows (Chg./DChg. Cap.(Ah))
    assert len(ref) == 20
    t = cycle_table(data, cycles="instrument")
    rel_close(t["Cycle Charging Capacity / Ah"], [r["charge_Ah"] for r in ref])
    rel_close(t["Cycle Discharging Capacity / Ah"], [r["discharge_Ah"] for r in ref])
    # and our own current rule numbers the cycles the same way here
    tc = cycle_table(data)
    rel_close(tc["Cycle Discharging Capacity / Ah"], [r["discharge_Ah"] for r in ref])


def test_regular_export_first_step_on_the_cycle_row(cycler):
    """The file's line 4 is cycle 1's row followed by step 1's fields (Rest, 00:00:20); the
    11 records under it (DataPoint 1-11, 0 A, 2 s apart) belong to that rest step, and step
    2 (CC Chg) starts at DataPoint 12 (values from the file)."""
    data, _ = read(cycler / "cellpy" / "nw_regular_export_ife_example.csv")
    assert (data["Step Type"].iloc[:11] == "Rest").all()
    assert (data["Step Index / 1"].iloc[:11] == 1).all()
    assert (data["Current / A"].iloc[:11] == 0).all()
    assert data["Step Type"].iloc[11] == "CC Chg" and data["Step Index / 1"].iloc[11] == 2


def test_flat_csv_anode(cycler):
    data, meta = read(cycler / "cellpy" / "neware_uio.csv")
    assert meta["format"] == "neware_csv" and len(data) == 9065
    # the Ah labels are right in this file: no rescaling warning
    assert not any("rescaled" in w for w in meta["warnings"])
    t = cycle_table(data, cycles="instrument")
    # reference: Neware's Chg. Cap.(Ah)/DChg. Cap.(Ah) columns (reset every step)
    rel_close(t["Cycle Charging Capacity / Ah"], t["Instrument Charging Capacity / Ah"])
    rel_close(t["Cycle Discharging Capacity / Ah"], t["Instrument Discharging Capacity / Ah"])


@pytest.mark.parametrize(
    "name,rows",
    [
        ("navani/test.ndax", 1464),
        ("navani/test.nda", 439),
        ("cellpy/20260302_IFE_BTS85_2_9_8_1.ndax", 252951),
    ],
)
def test_binary(cycler, name, rows):
    data, meta = read(cycler / name)
    assert meta["format"] in ("neware_nda", "neware_ndax")
    assert len(data) == rows  # README
    t = cycle_table(data, cycles="instrument")
    # reference: fastnda's capacity_mAh (the instrument's per-step capacity counter)
    rel_close(
        t["Cycle Charging Capacity / Ah"] + t["Cycle Discharging Capacity / Ah"],
        t["Instrument Charging Capacity / Ah"] + t["Instrument Discharging Capacity / Ah"],
        rtol=1e-2 if rows < 500 else 5e-3,
    )


def test_ndax_capacities(cycler):
    data, _ = read(cycler / "navani" / "test.ndax")
    t = cycle_table(data)
    # README: 0.593 / 0.625 mAh
    assert t["Cycle Charging Capacity / mAh"].iloc[0] == pytest.approx(0.593, rel=5e-3)
    assert t["Cycle Discharging Capacity / mAh"].iloc[0] == pytest.approx(0.625, rel=5e-3)


def test_ife_ndax_long_charge(cycler):
    data, _ = read(cycler / "cellpy" / "20260302_IFE_BTS85_2_9_8_1.ndax")
    from sianode.cycling import charge_increments

    dq = charge_increments(
        data["Test Time / s"], data["Current / A"], step_time_s=data["Step Time / s"]
    )
    last = data["Step Index / 1"] == data["Step Index / 1"].max()
    # README: the long CC charge (last step) passes 1390.6 mAh
    assert 1e3 * dq[last.to_numpy()].sum() == pytest.approx(1390.6, rel=5e-3)
    assert 1e3 * data.loc[last, "Charging Capacity / Ah"].max() == pytest.approx(1390.6, rel=1e-4)
