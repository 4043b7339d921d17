"""The own Neware nda 26/29 reader gives fastnda's output, and falls back to fastnda."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from _cycler_helpers import byte_edits, read_or_parsing_error, write_mutated
from hypothesis import HealthCheck, given, settings

from sianode.io import neware_nda, read

fastnda = pytest.importorskip("fastnda")
from fastnda.dicts import CHARGE_DISCHARGE_MAP, STEP_TYPE_MAP  # noqa: E402

ROOT = os.environ.get("SIANODE_EXTERNAL_DATA")

# The own reader runs only with the fastnda/polars versions it was checked against; with
# others read() uses fastnda, and the comparisons below would test an unchecked pairing. To
# adopt new versions: add them to neware_nda.CHECKED_* and run these tests.
_polars = pytest.importorskip("polars")
checked = pytest.mark.skipif(
    fastnda.__version__ not in neware_nda.CHECKED_FASTNDA
    or _polars.__version__ not in neware_nda.CHECKED_POLARS,
    reason=f"own nda reader not checked with fastnda {fastnda.__version__} /"
    f" polars {_polars.__version__}; read() uses fastnda",
)


@pytest.fixture
def nda_bytes(cycler) -> bytes:
    return (cycler / "navani" / "test.nda").read_bytes()


def _parse(path: Path, raw: bytes):
    return neware_nda.parse(path, raw, dict(STEP_TYPE_MAP), dict(CHARGE_DISCHARGE_MAP))


def _assert_same_as_fastnda(path: Path, cols: dict) -> None:
    """Every column bit for bit (and dtype) equal to fastnda's own output."""
    ref = fastnda.read(str(path))
    assert list(cols) == list(ref.columns)
    for name, mine in cols.items():
        theirs = ref.get_column(name)
        if name == "step_type":
            assert list(mine) == theirs.cast(str).to_list(), name
            continue
        theirs = theirs.to_numpy()
        assert mine.dtype == theirs.dtype, name
        assert np.array_equal(mine.view(np.uint8), theirs.view(np.uint8)), name


@checked
def test_nda29_equals_fastnda(cycler, nda_bytes):
    path = cycler / "navani" / "test.nda"
    assert nda_bytes[14] == 29
    cols = _parse(path, nda_bytes)
    assert cols is not None and len(cols["voltage_V"]) == 439
    _assert_same_as_fastnda(path, cols)


def test_read_uses_own_reader_when_checked(cycler):
    polars = _polars
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


@checked
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


@checked
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
    @given(byte_edits(raw, first=start))
    def run(mutation):
        p = tmp / src.name
        b = write_mutated(raw, *mutation, p)
        read_or_parsing_error(p)
        cols = _parse(p, b)
        if cols is not None:
            _assert_same_as_fastnda(p, cols)

    run()
