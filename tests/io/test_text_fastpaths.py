"""The byte-level text paths of the readers equal the str paths they replace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sianode.io import _common as c

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
    fast = c._hms_split(s)
    slow = c._hms_arrow(s.astype(str).str.strip())
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
    fast = c._unix_fixed(s, fmt)
    slow = c._unix_arrow(s, fmt)
    if slow is None:
        assert fast is None
    else:
        np.testing.assert_array_equal(fast, slow)
