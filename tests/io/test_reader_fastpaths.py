"""The readers' fast paths (pyarrow, calamine) give exactly what the pandas/openpyxl paths give."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sianode.errors import ParsingError
from sianode.io import _common as c
from sianode.io import arbin

ROOT = os.environ.get("SIANODE_EXTERNAL_DATA")


def _slow_hms(values: pd.Series) -> np.ndarray:
    parts = values.astype(str).str.strip().str.extract(c._HMS)
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
    assert c._hms_arrow(s.astype(str).str.strip()) is not None
    np.testing.assert_array_equal(c.hms_to_seconds(Path("x"), s, "t"), _slow_hms(s))


def test_hms_fast_path_declines_and_error_is_kept():
    s = pd.Series(["00:00:01", "bad"])
    assert c._hms_arrow(s) is None
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
