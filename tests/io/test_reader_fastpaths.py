"""The readers' fast paths (bytes, numpy, pyarrow, calamine) give exactly what the
pandas/openpyxl paths they stand in for give."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sianode.errors import ParsingError
from sianode.io import _clock as clock
from sianode.io import _common as c
from sianode.io import arbin

ROOT = os.environ.get("SIANODE_EXTERNAL_DATA")


def _slow_hms(values: pd.Series) -> np.ndarray:
    parts = values.astype(str).str.strip().str.extract(clock._HMS)
    days = pd.to_numeric(parts[0], errors="coerce").fillna(0.0).to_numpy(float)
    h, m, s = (parts[k].astype(float).to_numpy() for k in (1, 2, 3))
    return days * 86400.0 + h * 3600.0 + m * 60.0 + s


@pytest.mark.parametrize(
    "vals",
    [
        ["00:00:00", "1:02:03.5", "123:59:59.999", "2d 01:00:00", "3 d 00:00:01.", "0:00:00.1"],
        ["10:00:00.123456789", " 7:08:09 "],
    ],
)
def test_hms_fast_path_equals_pandas(vals):
    s = pd.Series(vals)
    assert clock._hms_arrow(s.astype(str).str.strip()) is not None
    np.testing.assert_array_equal(c.hms_to_seconds(Path("x"), s, "t"), _slow_hms(s))


def test_hms_fast_path_declines_and_error_is_kept():
    s = pd.Series(["00:00:01", "bad"])
    assert clock._hms_arrow(s) is None
    with pytest.raises(ParsingError, match="bad"):
        c.hms_to_seconds(Path("x.txt"), s, "t")


@pytest.mark.parametrize(
    ("fmt", "vals"),
    [
        (
            "%m/%d/%Y %H:%M:%S",
            ["02/22/2019 16:23:27", "12/31/2019 23:59:59", "01/01/1970 00:00:00"],
        ),
        ("%m/%d/%Y %H:%M:%S", ["02/22/2019 16:23:27", "02/30/2019 16:23:27"]),  # invalid day
        ("%m/%d/%Y %H:%M:%S", ["2/2/2019 16:23:27"]),  # not zero-padded: pandas path
        ("%Y-%m-%d %H:%M:%S", ["2020-01-02 24:00:00", "2020-01-02 23:00:60"]),
        ("%Y-%m-%d %I:%M:%S %p", ["2020-01-02 12:02:03 AM", "2020-01-02 12:02:03 PM"]),
    ],
)
def test_to_unix_fast_path_equals_pandas(fmt, vals):
    s = pd.Series(vals)
    ts = pd.to_datetime(s, format=fmt, errors="coerce")
    want = np.full(len(s), np.nan)
    ok = ts.notna().to_numpy()
    want[ok] = (ts[ok] - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
    np.testing.assert_array_equal(c.to_unix(Path("x"), s, fmt), want)


@pytest.mark.skipif(not ROOT, reason="SIANODE_EXTERNAL_DATA is not set")
def test_xlsx_calamine_equals_openpyxl():
    pytest.importorskip("python_calamine")
    p = Path(ROOT) / "cycler" / "navani" / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
    fast = arbin._read_channel_sheets_calamine(p)
    assert fast is not None  # the raw serials were matched, no fallback
    chans, frames = arbin._read_channel_sheets_openpyxl(p)
    assert fast[0] == chans
    for a, b in zip(fast[1], frames, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_excel_datetimes_round_like_openpyxl():
    from openpyxl.utils.datetime import from_excel

    serials = np.array([44123.480518107637, 44123.480400253473, 61.5, 45000.999999999])
    got = arbin._excel_datetimes(serials)
    want = np.array([np.datetime64(from_excel(float(v)), "us") for v in serials])
    np.testing.assert_array_equal(got, want)


P = Path("x.csv")


@pytest.mark.parametrize(
    "raw",
    [
        b"a:1\r\nb:2\r\nT,V\r\n1,2\r\n3,4\r\n",
        b"\xef\xbb\xbfa:1\nT,V\n1,2\n",
        b"a:\xb0\rT,V\r1,2\r",  # Latin-1, CR only
        b"a:1\nT,V\n1,2\x0b3\n4,5\n",  # vertical tab: the exact path
        b'a:1\r\nT,V\r\n"1\r\n",2\r\n',  # quoted CRLF: the exact path
    ],
)
def test_text_lines_equal_splitlines(raw):
    text = c.decode_text(P, raw)
    lines = text.splitlines()
    src = c.TextLines(P, raw)
    assert src.head(200) == lines[:200]
    k = 1 if raw.startswith(b"\xef") else 2
    body = src.rest(k)
    got = c.parse_csv_text(P, body, encoding=src.encoding)
    want = c.parse_csv_text(P, "\n".join(lines[k:]))
    pd.testing.assert_frame_equal(got, want)


def test_parse_csv_subset_declines_wide_rows():
    data = b"1\t2\t3\n4\t5\t6\t7\n"
    assert c.parse_csv_subset(P, data, "\t", [0], "utf-8") is None
    df, n = c.parse_csv_subset(P, b"1\t2\t3\n4\t5\t6\n", "\t", [0], "utf-8")
    assert n == 3 and list(df.columns) == [0, 2]


@pytest.mark.parametrize(
    "vals",
    [
        ["  0d 00:00:0", "  0d 00:00:5.05000019073486", " 12d 3:04:05.5"],
        ["00:00:00", "1:02:03.5", "123:59:59.999"],
        ["0d 00:00:00", "00:00:01"],  # mixed: declined
    ],
)
def test_hms_split_equals_arrow_path(vals):
    s = pd.Series(vals)
    fast = clock._hms_split(s)
    slow = clock._hms_arrow(s.astype(str).str.strip())
    if fast is not None:
        np.testing.assert_array_equal(fast, slow)
    else:
        assert len({("d" in v) for v in vals}) == 2


@pytest.mark.parametrize(
    ("fmt", "vals"),
    [
        (
            "%m/%d/%Y %H:%M:%S",
            ["02/22/2019 16:23:27", "12/31/2019 23:59:59", "02/29/2020 00:00:00"],
        ),
        ("%Y-%m-%d %I:%M:%S %p", ["2020-01-02 12:02:03 AM", "2020-01-02 12:02:03 PM"]),
        ("%m/%d/%Y %H:%M:%S", ["02/29/2019 16:23:27"]),  # invalid day: declined
    ],
)
def test_unix_fixed_equals_arrow_path(fmt, vals):
    s = pd.Series(vals)
    fast = clock._unix_fixed(s, fmt)
    slow = clock._unix_arrow(s, fmt)
    if slow is None:
        assert fast is None
    else:
        np.testing.assert_array_equal(fast, slow)


def _text(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def test_hms_fixed_width_equals_split_path():
    rng = np.random.default_rng(0)
    for width in (1, 2, 3, 6, 8):
        h = rng.integers(0, 10**width, 500)
        m, s = rng.integers(0, 100, 500), rng.integers(0, 100, 500)
        vals = _text([f"{a:0{width}d}:{b:02d}:{x:02d}" for a, b, x in zip(h, m, s, strict=True)])
        fast = clock._hms_fixed(vals)
        assert fast is not None
        np.testing.assert_array_equal(fast, clock._hms_split(vals))
    for odd in (["1:00:00", "10:00:00"], ["00:00:00.5"], ["1d 00:00:00"], [" 00:00:01"]):
        assert clock._hms_fixed(_text(odd)) is None


def test_epoch_seconds_equal_pandas_on_random_dates():
    rng = np.random.default_rng(1)
    secs = rng.integers(-2208988800, 7258118400, 3000)  # 1900 .. 2200
    ts = pd.to_datetime(secs, unit="s")
    fields = [
        getattr(ts, k).to_numpy() for k in ("year", "month", "day", "hour", "minute", "second")
    ]
    np.testing.assert_array_equal(c.epoch_seconds(*fields), secs)
    vals = _text(list(ts.strftime("%Y-%m-%d %H:%M:%S")))
    np.testing.assert_array_equal(
        c.to_unix(Path("x"), vals, "%Y-%m-%d %H:%M:%S"), secs.astype(float)
    )
    for bad in ("2023-02-29 00:00:00", "2023-04-31 10:00:00", "2023-01-01 24:00:00", "x" * 19):
        vals = _text(["2024-02-29 23:59:59", bad])
        assert clock._unix_fixed(vals, "%Y-%m-%d %H:%M:%S") is None


def _same_floats(a: np.ndarray, b: np.ndarray) -> None:
    """Bit for bit, up to NaN payloads: equal values, NaNs and signs (0.0 vs -0.0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def _xlsx_pandas_path(p: Path) -> tuple[dict, dict]:
    """``read_xlsx`` as it was: whole sheets through ``pd.read_excel``, then concat."""
    result = arbin._read_channel_sheets_calamine(p)
    if result is None:
        result = arbin._read_channel_sheets_openpyxl(p)
    chans, frames = result
    meta = c.base_metadata(p, "arbin_xlsx", "Arbin (Excel export)")
    meta["sheets"] = chans
    return arbin._normalise(p, pd.concat(frames, ignore_index=True), meta)


def _same_read(got: tuple[dict, dict], want: tuple[dict, dict]) -> None:
    assert list(got[0]) == list(want[0])
    for k in want[0]:
        _same_floats(got[0][k], want[0][k])
    assert got[1] == want[1]


@pytest.mark.skipif(not ROOT, reason="SIANODE_EXTERNAL_DATA is not set")
def test_xlsx_direct_columns_equal_read_excel():
    pytest.importorskip("python_calamine")
    p = Path(ROOT) / "cycler" / "navani" / "bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"
    chans, cols = arbin._read_channel_columns_calamine(p)
    assert isinstance(cols, dict)  # the direct path, not pd.read_excel
    chans_pd, frames = arbin._read_channel_sheets_calamine(p)
    df = pd.concat(frames, ignore_index=True)
    assert chans == chans_pd and list(cols) == list(df.columns)
    n_used = 0
    for k, v in cols.items():
        q = arbin._field(k)[0]
        if q in arbin._MAP:
            _same_floats(c.numeric(p, cols, k), c.numeric(p, df, k))
            n_used += 1
        elif q in arbin._DATE_NAMES:
            np.testing.assert_array_equal(v, df[k].to_numpy("datetime64[us]"))
            _same_floats(arbin._unix_seconds(p, v), c.to_unix(p, df[k]))
            n_used += 1
    assert n_used == 12
    _same_read(arbin.read_xlsx(p), _xlsx_pandas_path(p))


def test_unix_seconds_equal_to_unix():
    rng = np.random.default_rng(2)
    day = rng.integers(61, 2_900_000, 2000).astype(float)
    for serial in (
        day + rng.random(2000),  # 1900 .. 9839, millisecond times
        day,  # midnights only: formatted as dates
        day + rng.integers(0, 86400, 2000) / 86400.0,  # whole seconds (mostly)
        np.array([44123.480518107637, 25569.0, 25568.5, 61.0]),  # around 1970, .5 ms
    ):
        t = arbin._excel_datetimes(serial)
        _same_floats(arbin._unix_seconds(P, t), c.to_unix(P, pd.Series(t)))
    t = np.array(["2020-01-01T00:00:00.001", "NaT"], dtype="datetime64[us]")
    _same_floats(arbin._unix_seconds(P, t), c.to_unix(P, pd.Series(t)))


def _arbin_sheet(n: int = 6) -> dict[str, list]:
    from datetime import datetime, timedelta

    t0 = datetime(2020, 10, 19, 11, 31, 46, 582000)
    return {
        "Date_Time": [t0 + timedelta(seconds=1.0005 * i) for i in range(n)],
        "Test_Time(s)": [1.0 * i for i in range(n)],  # integral floats: ints in pandas
        "Step_Time(s)": [0.5 * i for i in range(n)],
        "Step_Index": [1.0] * (n // 2) + [2.0] * (n - n // 2),
        "Cycle_Index": [1.0] * n,
        "Voltage(V)": [3.1 + 0.01 * i for i in range(n)],
        "Current(A)": [-0.0, 0.001, None, -0.001, 0.0, -0.0][:n],  # -0.0 and a blank
        "Charge_Capacity(Ah)": [1e-7 * i for i in range(n)],
        "Discharge_Capacity(Ah)": [0.0] * n,
        "Internal Resistance(Ohm)": [None] * n,  # an all-empty column
        "Comment": ["a", None, 3.0, "b", True, "c"][:n],  # mixed, not used
    }


def _write_xlsx(path: Path, sheets: dict[str, dict[str, list]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "Global_Info"
    wb.active.append(["TEST REPORT"])
    for name, cols in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(cols))
        for row in zip(*cols.values(), strict=True):
            ws.append(list(row))
    wb.save(path)
    return path


def _edit(**changes: list) -> dict[str, list]:
    sheet = _arbin_sheet()
    sheet.update(changes)
    return sheet


@pytest.mark.parametrize(
    ("sheets", "direct"),
    [
        ({"Channel_1_1": _arbin_sheet()}, True),
        ({"Channel_1_1": _arbin_sheet(), "Channel_1_2": _arbin_sheet()}, True),
        ({"Channel_1_1": _arbin_sheet(), "Channel_1_2": _edit(Extra=[1.0] * 6)}, False),
        ({"Channel_1_1": _edit(**{"Voltage(V)": [3.1, "N/A", 3.2, 3.3, 3.4, 3.5]})}, False),
        ({"Channel_1_1": _edit(**{"Voltage(V)": [3.1, "3.2", 3.2, 3.3, 3.4, 3.5]})}, False),
        ({"Channel_1_1": _edit(**{"Charge_Capacity(Ah)": [0.0, 2.0**60, 0, 0, 0, 0]})}, False),
        ({"Channel_1_1": _edit(Date_Time=["2020-10-19 11:31:46"] * 6)}, False),
        ({"Channel_1_1": _edit(Date_Time=[44123.5 + i for i in range(6)])}, False),
    ],
)
def test_xlsx_direct_path_equals_read_excel(tmp_path, sheets, direct):
    pytest.importorskip("python_calamine")
    p = _write_xlsx(tmp_path / "t.xlsx", sheets)
    result = arbin._read_channel_columns_calamine(p)
    assert result is not None and isinstance(result[1], dict) == direct
    _same_read(arbin.read_xlsx(p), _xlsx_pandas_path(p))


def test_xlsx_direct_path_declines_odd_headers(tmp_path):
    pytest.importorskip("python_calamine")
    sheet = _arbin_sheet()
    odd = [
        {**sheet, "Voltage(V)": sheet["Voltage(V)"], "": [1.0] * 6},  # pandas: 'Unnamed: 11'
        {"\ufeffDate_Time": sheet.pop("Date_Time"), **sheet},  # pandas strips the BOM
    ]
    for k, cols in enumerate(odd):
        p = _write_xlsx(tmp_path / f"t{k}.xlsx", {"Channel_1_1": cols})
        assert isinstance(arbin._read_channel_columns_calamine(p)[1], list)
        _same_read(arbin.read_xlsx(p), _xlsx_pandas_path(p))


def test_table_equals_public_constructor():
    """io._table (pandas' _from_arrays, unchecked) builds what pd.DataFrame(cols) builds."""
    from sianode.io._finish import _table

    n = 5
    cols = {
        "Test Time / s": np.arange(n, dtype=float),
        "Voltage / V": np.linspace(0.1, 1.0, n),
        "Cycle Count / 1": np.arange(n),
        "Flag": np.array([True, False, True, True, False]),
        "Step Type": np.array(["Rest", "CC Chg", None, "Rest", "CC DChg"], dtype=object),
        "Name": pd.array(["a", "b", "c", "d", "e"], dtype="str"),
        "Unix": np.arange(n).astype("datetime64[s]"),
        "Counter": np.arange(n, dtype=np.uint32),
    }
    got = _table(dict(cols), n)
    want = pd.DataFrame(cols)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    got.loc[0, "Voltage / V"] = 9.0  # writeable, and not a view of the caller's array
    assert cols["Voltage / V"][0] == 0.1


def test_table_from_blocks_equals_public_constructor():
    """The all-numeric path (pandas.api.internals blocks) builds what pd.DataFrame builds:
    every numeric dtype, any column order, a table that owns writeable data."""
    from sianode.io._finish import _numeric_blocks, _table

    rng = np.random.default_rng(7)
    n = 6
    cols = {
        "Counter": np.arange(n, dtype=np.uint32),
        "Voltage / V": rng.random(n),
        "Flag": rng.random(n) > 0.5,
        "Test Time / s": np.arange(n, dtype=float),
        "Temperature / degC": rng.random(n).astype(np.float32),
        "Cycle Count / 1": np.arange(n),
        "Index": np.arange(n, dtype=np.int32),
        "Current / A": rng.random(n),
    }
    assert _numeric_blocks(cols) is not None  # this test exercises the block path
    got = _table(dict(cols), n)
    want = pd.DataFrame(cols)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    for k, v in cols.items():
        col = got[k].to_numpy()
        assert not np.shares_memory(col, v), k  # a copy, as the constructor makes
    got.loc[0, "Voltage / V"] = 9.0
    assert cols["Voltage / V"][0] != 9.0


def _finish_cols(n: int, reorder: bool) -> dict[str, np.ndarray]:
    """Reader-like columns: record-field views (strided, unaligned, read-only), float32,
    ints, and charge counters that grow on the 'wrong' current sign."""
    rec = np.zeros(n, dtype=[("t", "<f8"), ("pad", "u1"), ("v", "<f4"), ("i", "<f8")])
    rec["t"] = np.arange(n) * 10.0
    rec["v"] = np.linspace(3.0, 4.0, n)
    rec["i"] = np.where(np.arange(n) % 20 < 10, 1e-3, -1e-3)  # positive on discharge
    rec = np.frombuffer(rec.tobytes(), dtype=rec.dtype)  # read-only, itemsize 21
    grow = np.cumsum(np.abs(rec["i"]) * 10 / 3600)
    cols = {
        "Test Time / s": rec["t"],
        "Voltage / V": rec["v"].astype(float),
        "Current / A": rec["i"].copy(),  # writeable: finish must still not negate it in place
        "Step Index / 1": (np.arange(n) // 10).astype(float),
        "Charging Capacity / Ah": np.where(rec["i"] < 0, grow, 0.0),
        "Discharging Capacity / Ah": np.where(rec["i"] > 0, grow, 0.0),
        "Temperature / degC": np.full(n, 25.0, dtype=np.float32),
        "Instrument Cycle / 1": np.arange(n, dtype=np.int64) // 20,
    }
    if reorder:  # a reader that puts the time last and the counters first
        keys = list(cols)[::-1]
        cols = {k: cols[k] for k in keys}
    return cols


@pytest.mark.parametrize("reorder", [False, True])
def test_finish_float_block_equals_constructor_path(monkeypatch, reorder):
    """finish() with the float block and pandas blocks gives the same table, attributes and
    metadata as with pandas' own constructor; the reader's arrays are left as they were,
    also when the current is flipped to BDF's sign."""
    import sianode.io as sio
    import sianode.io._finish as fin

    n = 60
    cols = _finish_cols(n, reorder)
    before = {k: v.copy() for k, v in cols.items()}
    meta_fast: dict = {"warnings": [], "source_file": "x"}
    fast = sio.finish(dict(cols), meta_fast)
    for k, v in cols.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    assert any("sign flipped" in w for w in meta_fast["warnings"])

    monkeypatch.setattr(fin, "_from_blocks", None)  # pandas 2.x: no block API
    meta_slow: dict = {"warnings": [], "source_file": "x"}
    slow = sio.finish(dict(cols), meta_slow)
    for k, v in cols.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast.attrs == slow.attrs
    assert meta_fast == meta_slow
    assert list(fast.columns[:5]) == [
        "Test Time / s",
        "Voltage / V",
        "Current / A",
        "Cycle Count / 1",
        "Step Count / 1",
    ]
    assert (fast["Current / A"].to_numpy() < 0).sum() == (before["Current / A"] > 0).sum()
    for k in cols:
        assert not np.shares_memory(fast[k].to_numpy(), cols[k]), k
