"""Readers check what they read against the file itself (issue 16, "Readers").

Each damaged file here is a real shared file with a few bytes changed, as a corrupt copy
would be; before these checks every one of them was read without a word.
"""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pandas as pd
import pytest
from test_reader_fuzz import run_cases

from sianode.errors import ParsingError
from sianode.io import arbin, biologic, read
from sianode.io.checks import check_record_index
from sianode.io.structure import MAX_FIELDS, check_fields


def _damage(meta: dict) -> list[str]:
    return [w for w in meta["warnings"] if "damaged" in w or "implausible" in w]


# --- structure of text tables -------------------------------------------------------------


def test_check_fields_accepts_the_header_width_and_trailing_separators():
    check_fields("x.csv", b"a,b,c\n1,2,3\n4,5,6,\n", ",")


def test_check_fields_names_the_line_with_too_many_fields():
    with pytest.raises(ParsingError, match=r"x.csv: line 3 has 40 fields, the header has 3"):
        check_fields("x.csv", b"a,b,c\n1,2,3\n" + b"," * 39 + b"\n", ",")


def test_check_fields_counts_quoted_separators_as_text():
    # 30 commas inside one quoted field: one field, as pandas reads it
    check_fields("x.csv", b'a,b,c\n1,"' + b"," * 30 + b'",3\n', ",")


def test_check_fields_rejects_a_huge_header_and_a_huge_line():
    with pytest.raises(ParsingError, match="header has"):
        check_fields("x.txt", b"\t" * (MAX_FIELDS + 5) + b"\n1\n", "\t")
    with pytest.raises(ParsingError, match="line 2 is 2000000 bytes long"):
        check_fields("x.txt", b"a\tb\n" + b"7" * 2_000_000 + b"\n", "\t")


def test_million_tab_line_in_maccor_is_refused_fast_and_small(cycler, tmp_path):
    """Issue 16: one line of a million tabs in maccor_001.txt took pandas to 1.9 GB, 11 s
    and an out-of-memory error; now a ParsingError naming the line, under the fuzz test's
    limits (+1 GiB address space, 10 s)."""
    src = cycler / "cellpy" / "maccor_001.txt"
    lines = src.read_bytes().split(b"\n")
    lines.insert(100, b"\t" * 1_000_000)
    result = run_cases(src, [("1e6 tabs at line 101", b"\n".join(lines))], tmp_path)
    case = result["cases"][0]
    assert case["outcome"].startswith("ParsingError: maccor_001.txt: line 101 is 1000000 bytes")
    assert case["seconds"] < 5
    assert result["peak_rss"] < 1 << 30


def test_wide_first_row_is_refused_before_pandas(cycler, tmp_path):
    """3000 tabs (short enough for the line-length rule) as maccor_001's first data row:
    pandas would make 3000 columns of every row; the field count refuses it."""
    src = cycler / "cellpy" / "maccor_001.txt"
    lines = src.read_bytes().split(b"\n")
    k = next(j for j, ln in enumerate(lines) if ln.startswith(b"Rec#"))
    lines.insert(k + 1, b"\t" * 3000)
    p = tmp_path / src.name
    p.write_bytes(b"\n".join(lines))
    t0 = time.perf_counter()
    with pytest.raises(ParsingError, match=rf"line {k + 2} has 3001 fields, the header has"):
        read(p)
    assert time.perf_counter() - t0 < 5


# --- values against the file's own statements ---------------------------------------------


def test_lost_decimal_point_in_maccor_voltage_is_reported(cycler, tmp_path):
    """'4.1234' read as 41234 V: beyond a cell channel's range and 1e4 x the column's
    99th percentile."""
    src = cycler / "cellpy" / "maccor_001.txt"
    lines = src.read_bytes().split(b"\n")
    k = next(j for j, ln in enumerate(lines) if ln.startswith(b"Rec#"))
    volts = lines[k].split(b"\t").index(b"Volts")
    row = lines[k + 500].split(b"\t")
    assert b"." in row[volts]
    row[volts] = row[volts].replace(b".", b"")
    lines[k + 500] = b"\t".join(row)
    p = tmp_path / src.name
    p.write_bytes(b"\n".join(lines))
    data, meta = read(p)
    assert len(data) == 6704
    notes = _damage(meta)
    assert len(notes) == 1 and notes[0].startswith("column 'Voltage / V': 1 values beyond 100 V")


def _mpr_field_offset(path, name: str, k: int) -> int:
    """Byte offset in the file of column ``name`` of record ``k`` of an .mpr."""
    raw = path.read_bytes()
    mods = biologic._modules(path, raw)
    version, payload = mods["VMP data"]
    cols, _ = biologic._data_module(path, version, payload)
    col = cols[name]
    base = np.frombuffer(raw, np.uint8).ctypes.data
    return col.ctypes.data - base + k * col.strides[0]


def test_mpr_float_with_a_damaged_exponent_is_reported(cycler, tmp_path):
    src = cycler / "yadg" / "gcpl.issue_149.mpr"
    at = _mpr_field_offset(src, "Ewe/V", 60)
    raw = bytearray(src.read_bytes())
    assert abs(np.frombuffer(bytes(raw[at : at + 4]), "<f4")[0] - 3.5) < 1  # a cell voltage
    raw[at + 3] = 0x4F  # exponent byte: 3.5 V becomes ~3e9 V
    p = tmp_path / src.name
    p.write_bytes(bytes(raw))
    data, meta = read(p)
    assert len(data) == 132
    notes = _damage(meta)
    assert len(notes) == 1 and "column 'Voltage / V': 1 values beyond 100 V" in notes[0]
    assert "1000 times its 99th percentile" in notes[0]


def test_nda_record_with_damaged_identifier_is_reported(cycler, tmp_path):
    """A data record whose identifier byte is damaged is skipped by the parser; the
    record numbers show the gap."""
    src = cycler / "navani" / "test.nda"
    raw = bytearray(src.read_bytes())
    start = raw.find(b"\x55\x00\x01\x00\x00\x00")
    at = start + 200 * 86  # record 201 (86-byte records)
    assert raw[at] == 85
    raw[at] = 7
    p = tmp_path / src.name
    p.write_bytes(bytes(raw))
    data, meta = read(p)
    assert len(data) == 438  # of 439
    assert any("1 records missing of 439" in w for w in meta["warnings"])


def test_record_index_rule():
    assert check_record_index(np.arange(1, 11), "n") is None
    assert "3 records missing" in check_record_index([1, 2, 6, 7], "n")
    assert "1 out of order or repeated" in check_record_index([1, 2, 2, 3], "n")


@pytest.fixture
def res_export(cycler):
    if shutil.which("mdb-export") is None:
        pytest.skip("mdb-export (mdbtools) not installed")
    path = cycler / "navani" / "arbin_example.res"
    proc = arbin._mdb_start(path, "Channel_Normal_Table")
    return path, arbin._mdb_finish(path, proc)


def test_arbin_res_lost_records_and_damaged_test_id(res_export, monkeypatch):
    """mdb-export skips records on a damaged page, and a damaged Test_ID in the first row
    used to keep that single row: both are now reported, and the main test is kept."""
    path, text = res_export
    df = pd.read_csv(pd.io.common.StringIO(text))
    n = len(df)
    damaged = df.drop(index=range(100, 160)).reset_index(drop=True)
    damaged.loc[0, "Test_ID"] = 99
    csv = damaged.to_csv(index=False)
    real_finish = arbin._mdb_finish

    def fake_finish(p, proc):
        out = real_finish(p, proc)
        return csv if "Data_Point" in out else out

    monkeypatch.setattr(arbin, "_mdb_finish", fake_finish)
    data, meta = read(path)
    assert len(data) == n - 61  # 60 lost, the damaged first row set apart
    assert any("only Test_ID 1 read" in w for w in meta["warnings"])
    # the 60 lost in the middle show as a gap (the set-apart first row is reported above)
    assert any("60 records missing" in w for w in meta["warnings"])


# --- Indigo totals ------------------------------------------------------------------------


def test_indigo_says_which_totals_are_right(cycler):
    data, meta = read(cycler / "beep" / "indigo_test_sample.h5")
    tot = meta["charge_totals"]
    # the instrument's counter: last value of each half cycle (it restarts in each), by sign;
    # computed here with pandas from the raw table
    raw = pd.read_hdf(cycler / "beep" / "indigo_test_sample.h5", "/time_series_data")
    last = (
        raw.groupby("half_cycle_count", sort=False)["cell_coulomb_count_c"].last().astype(float)
        / 3600
    )
    assert tot["counter_charge_Ah"] == pytest.approx(last[last > 0].sum(), rel=1e-12)
    assert tot["counter_discharge_Ah"] == pytest.approx(-last[last < 0].sum(), rel=1e-12)
    # issue 16: sianode's totals are 1.594e6 / 1.604e6 mAh (trapezoid integral)
    assert tot["integral_charge_Ah"] == pytest.approx(1593.5, abs=0.1)
    assert tot["integral_discharge_Ah"] == pytest.approx(1603.9, abs=0.1)
    rules = tot["integral_rules_Ah"]
    assert set(rules) == {"trapezoid", "left_hold", "right_hold"}
    assert 1.0 < tot["integral_spread_percent"] < 3.0
    assert tot["max_interval_s"] == pytest.approx(270, abs=1)
    assert meta["records"] == {
        "rows": 20000,
        "first_record": 240,
        "last_record": 5028570,
        "span": 5028331,
    }
    v = tot["verdict"]
    assert v.startswith("Right: the coulomb counter totals") and "20000 of the 5028331" in v
    json.dumps(meta)  # the sidecar writer needs plain types


def test_indigo_unsorted_time_is_reported(cycler, tmp_path):
    pytest.importorskip("tables")
    raw = pd.read_hdf(cycler / "beep" / "indigo_test_sample.h5", "/time_series_data")
    t = raw["time_s"].to_numpy().copy()
    t[5000] = t[15000]  # a damaged time stamp: the row would be moved silently
    raw["time_s"] = t
    p = tmp_path / "indigo.h5"
    raw.to_hdf(p, key="time_series_data", format="fixed")
    data, meta = read(p)
    assert len(data) == 20000
    assert any("time_s decreases 1 times; rows sorted" in w for w in meta["warnings"])


# --- no false alarms ----------------------------------------------------------------------


def test_real_files_raise_no_damage_warning(cycler):
    from test_reader_fuzz import FILES

    for name in FILES:
        _, meta = read(cycler / name)
        assert not _damage(meta), (name, _damage(meta))


def _finish_warnings(**changes) -> list[str]:
    """Warnings of finish() on a clean synthetic cycle (1 s steps, 1 mA, 3.5-4 V) with
    ``changes`` applied (column -> (row, value)); ``meta`` entries via ``meta=dict``."""
    from sianode.io import finish

    n = 200
    t = np.arange(n, dtype=float)
    cols = {
        "Test Time / s": t,
        "Voltage / V": 3.5 + 0.5 * np.sin(t / 30),
        "Current / A": np.where(t < 100, 1e-3, -1e-3),
        "Instrument Cycle / 1": np.repeat([1.0, 2.0], n // 2),
    }
    meta = {"warnings": [], **changes.pop("meta", {})}
    for col, (row, value) in changes.items():
        cols[col][row] = value
    finish(cols, meta, "x.csv")
    return meta["warnings"]


def test_finish_checks_on_a_synthetic_cycle():
    assert _finish_warnings() == []
    jump = _finish_warnings(**{"Test Time / s": (150, 1e7)})  # one damaged time stamp
    assert any(
        w.startswith("Test Time jumps forward 1 times by more than 8.64e+04 s") for w in jump
    )
    assert any("Test Time decreases 1 times" in w for w in jump)
    cyc = _finish_warnings(**{"Instrument Cycle / 1": (150, 0.0)})
    assert any("cycle counter decreases 1 times" in w for w in cyc)
    amps = _finish_warnings(**{"Current / A": (20, 5.0)})  # 5000 x the 1 mA of every row
    assert any(w.startswith("column 'Current / A': 1 values more than 1000 times") for w in amps)
    declared = _finish_warnings(meta={"records_declared": 250})
    assert declared == ["the file says it holds 250 records, 200 were read (50 missing)"]


def test_arbin_csv_with_lost_rows_is_reported(cycler, tmp_path):
    """Rows lost from an Arbin CSV export show as a gap in its Data_Point numbers."""
    src = cycler / "battery-data-toolkit" / "arbin_example.csv"
    lines = src.read_bytes().split(b"\n")
    p = tmp_path / src.name
    p.write_bytes(b"\n".join(lines[:50] + lines[80:]))
    data, meta = read(p)
    assert any("30 records missing" in w for w in meta["warnings"])


def test_zip_with_a_damaged_version_field_is_a_parsing_error(cycler, tmp_path):
    """A byte flip in the central directory's 'version needed' field made zipfile raise
    NotImplementedError out of format detection."""
    src = cycler / "navani" / "test.ndax"
    raw = bytearray(src.read_bytes())
    at = raw.rfind(b"PK\x01\x02")  # last central directory entry
    raw[at + 6] = 190  # "version made by": zip version 19.0
    raw[at + 7] = 0
    p = tmp_path / src.name
    p.write_bytes(bytes(raw))
    try:
        read(p)
    except ParsingError as exc:
        assert src.name in str(exc)


def test_hdf5_library_crash_is_a_parsing_error(cycler, tmp_path):
    """One byte (6978 -> 233) of indigo_test_sample.h5 makes the HDF5 library (through
    PyTables) die with a segmentation fault, which ended the reading process; the read now
    runs in a forked process and the crash is a ParsingError (found by mutating the file).
    Run in the fuzz test's child process, so that a crash cannot end the test run."""
    src = cycler / "beep" / "indigo_test_sample.h5"
    raw = bytearray(src.read_bytes())
    raw[6978] = 233
    result = run_cases(src, [("byte 6978", bytes(raw))], tmp_path)
    outcome = result["cases"][0]["outcome"]
    assert outcome.startswith("ParsingError: indigo_test_sample.h5: the HDF5 library crashed")
