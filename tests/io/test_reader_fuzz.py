"""Fuzz: mutate bytes of each real file; reading must succeed or raise ParsingError only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _cycler_helpers import byte_edits, read_or_parsing_error, write_mutated
from hypothesis import HealthCheck, given, settings

ROOT = os.environ.get("SIANODE_EXTERNAL_DATA")
FILES = [
    "cellpy/biol.mpr",
    "yadg/gcpl.issue_149.mpr",
    "yadg/gcpl.issue_149.mpt",
    "navani/00_test_04_MB_C01.mpr",
    "battery-data-toolkit/arbin_example.csv",
    "battery-data-toolkit/maccor_example.001",
    "beep/PredictionDiagnostics_000151_test.052",
    "navani/test.nda",
    "navani/test.ndax",
    "cellpy/neware_uio.csv",
    "cellpy/nw_regular_export_ife_example.csv",
    "cellpy/pec.csv",
    "beep/test_Nova_Form-CH01-01_short.csv",
    "battery-data-toolkit/p492-13-raw.csv",
    "cellpy/batmo_bdf.csv",
    "navani/arbin_example.res",
    "beep/indigo_test_sample.h5",
]
MAX_BYTES = 200_000  # fuzz on a prefix of big files to keep the run short


@pytest.mark.skipif(not ROOT, reason="SIANODE_EXTERNAL_DATA is not set")
@pytest.mark.parametrize("name", FILES)
def test_mutated_bytes(name, tmp_path_factory):
    src = Path(ROOT) / "cycler" / name
    raw = src.read_bytes()
    if len(raw) > MAX_BYTES and not name.endswith((".res", ".h5", ".ndax", ".nda", ".mpr")):
        raw = raw[:MAX_BYTES]
    tmp = tmp_path_factory.mktemp("fuzz")

    @settings(
        max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(byte_edits(raw))
    def run(mutation):
        p = tmp / src.name
        write_mutated(raw, *mutation, p)
        read_or_parsing_error(p)

    run()
