"""Neware fast paths: the own nda 26/29 reader against fastnda, and the CSV time helpers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sianode.errors import ParsingError
from sianode.io import _common as c
from sianode.io import neware, neware_nda, read

fastnda = pytest.importorskip("fastnda")
from fastnda.dicts import CHARGE_DISCHARGE_MAP, STEP_TYPE_MAP  # noqa: E402

ROOT = os.environ.get("SIANODE_EXTERNAL_DATA")


@pytest.fixture
def nda_bytes(cycler) -> bytes:
    return (cycler / "navani" / "test.nda").read_bytes()


def _parse(path: Path, raw: bytes):
    return neware_nda.parse(path, raw, dict(STEP_TYPE_MAP), dict(CHARGE_DISCHARGE_MAP))


def _assert_same_as_fastnda(path: Path, cols: dict) -> None:
    """Every column bit for bit (and dtype) equal to fastnda's own output."""
    ref = fastnda.read(str(path))
    assert list(cols) == [n for n in ref.columns if n != "index"]
    for name, mine in cols.items():
        theirs = ref.get_column(name)
        if name == "step_type":
            assert list(mine) == theirs.cast(str).to_list(), name
            continue
        theirs = theirs.to_numpy()
        assert mine.dtype == theirs.dtype, name
        assert np.array_equal(mine.view(np.uint8), theirs.view(np.uint8)), name


def test_nda29_equals_fastnda(cycler, nda_bytes):
    path = cycler / "navani" / "test.nda"
    assert nda_bytes[14] == 29
    cols = _parse(path, nda_bytes)
    assert cols is not None and len(cols["voltage_V"]) == 439
    _assert_same_as_fastnda(path, cols)


def test_read_uses_own_reader_when_checked(cycler):
    import polars

    path = cycler / "navani" / "test.nda"
    data, meta = read(path)
    checked = (
        fastnda.__version__ in neware_nda.CHECKED_FASTNDA
        and polars.__version__ in neware_nda.CHECKED_POLARS
    )
    assert meta["parser"].startswith("sianode" if checked else "fastnda")
    assert len(data) == 439 and meta["format"] == "neware_nda"


def _edit(raw: bytes, pos: int, val: bytes) -> bytes:
    b = bytearray(raw)
    b[pos : pos + len(val)] = val
    return bytes(b)


def test_falls_back_on_what_it_does_not_cover(cycler, nda_bytes, tmp_path):
    path = cycler / "navani" / "test.nda"
    start = nda_bytes.find(b"\x55\x00\x01\x00\x00\x00")
    rec = start + 86 * 3  # a data record (identifier 85)
    assert nda_bytes[rec] == 85
    assert _parse(path.with_suffix(".ndax"), nda_bytes) is None  # fastnda goes by suffix
    assert _parse(path, _edit(nda_bytes, 14, b"\x1c")) is None  # nda version 28
    assert _parse(path, _edit(nda_bytes, rec, b"\x65")) is None  # an aux record
    assert _parse(path, _edit(nda_bytes, rec + 2, b"\x00\x00\x00\x00")) is None  # index order
    assert _parse(path, _edit(nda_bytes, rec + 72, b"\x0d")) is None  # month 13
    assert _parse(path, _edit(nda_bytes, rec + 12, b"\x11")) is None  # SIM step: warned
    assert _parse(path, b"NEWARE") is None
    # and what it does take, fastnda agrees with
    p = tmp_path / "test.nda"
    p.write_bytes(_edit(nda_bytes, rec + 78, b"\xf6\xff\xff\xff"))  # current range -10
    cols = _parse(p, p.read_bytes())
    assert cols is not None
    _assert_same_as_fastnda(p, cols)


@pytest.mark.skipif(not ROOT, reason="SIANODE_EXTERNAL_DATA is not set")
def test_mutated_nda(tmp_path_factory):
    """Mutated test.nda: read raises ParsingError only, and what the own reader takes
    equals fastnda's output for the same bytes."""
    src = Path(ROOT) / "cycler" / "navani" / "test.nda"
    raw = src.read_bytes()
    tmp = tmp_path_factory.mktemp("fuzz_nda")
    start = raw.find(b"\x55\x00\x01\x00\x00\x00")

    @settings(
        max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        st.lists(
            st.tuples(
                st.one_of(st.integers(0, len(raw) - 1), st.integers(start, len(raw) - 1)),
                st.integers(0, 255),
            ),
            min_size=1,
            max_size=8,
        ),
        st.one_of(st.none(), st.integers(1, len(raw))),
    )
    def run(edits, cut):
        b = bytearray(raw)
        for pos, val in edits:
            b[pos] = val
        if cut is not None:
            b = b[:cut]
        p = tmp / src.name
        p.write_bytes(bytes(b))
        try:
            read(p)
        except ParsingError as exc:
            assert src.name in str(exc)
        cols = _parse(p, bytes(b))
        if cols is not None:
            _assert_same_as_fastnda(p, cols)

    run()


def _text(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def test_csv_hms_fast_path_equals_common_helper():
    rng = np.random.default_rng(0)
    for width in (1, 2, 3, 6, 8):
        h = rng.integers(0, 10**width, 500)
        m, s = rng.integers(0, 100, 500), rng.integers(0, 100, 500)
        vals = _text([f"{a:0{width}d}:{b:02d}:{x:02d}" for a, b, x in zip(h, m, s, strict=True)])
        assert neware._fixed_width_bytes(vals) is not None
        np.testing.assert_array_equal(
            neware._hms(Path("x"), vals, "t"), c.hms_to_seconds(Path("x"), vals, "t")
        )
    for odd in (["1:00:00", "10:00:00"], ["00:00:00.5"], ["1d 00:00:00"], [" 00:00:01"]):
        np.testing.assert_array_equal(
            neware._hms(Path("x"), _text(odd), "t"), c.hms_to_seconds(Path("x"), _text(odd), "t")
        )


def test_csv_date_fast_path_equals_common_helper():
    rng = np.random.default_rng(1)
    secs = rng.integers(-2208988800, 7258118400, 3000)  # 1900 .. 2200
    vals = _text(list(pd.to_datetime(secs, unit="s").strftime("%Y-%m-%d %H:%M:%S")))
    got = neware._unix(Path("x"), vals)
    np.testing.assert_array_equal(got, secs.astype(float))
    np.testing.assert_array_equal(got, c.to_unix(Path("x"), vals, neware._DATE_FMT))
    for bad in ("2023-02-29 00:00:00", "2023-04-31 10:00:00", "2023-01-01 24:00:00", "x" * 19):
        vals = _text(["2024-02-29 23:59:59", bad])
        np.testing.assert_array_equal(
            neware._unix(Path("x"), vals), c.to_unix(Path("x"), vals, neware._DATE_FMT)
        )
