"""Fuzz: mutated copies of all 30 shared cycler files, each read under a memory and a time
limit. Reading must succeed or raise ParsingError (naming the file), never anything else,
within 10 s, and the reading process must stay under 1 GB of resident memory (issue 16).

Each file's cases run in one child process (``_fuzz_child.py``): it imports the reader by
reading the original, then caps its address space at its current size plus 1 GiB
(``RLIMIT_AS``) and arms a 10 s watchdog per case. Cases: random byte edits (up to 8 bytes
and an optional cut; on a 200 kB prefix of large text files) and, for text files, two
structural ones on the whole file: one line of a million separators (the case that made
pandas take 1.9 GB in ``maccor_001.txt``) and a 2 MB line without separators.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.environ.get("SIANODE_EXTERNAL_DATA")
HERE = Path(__file__).resolve().parent
#: every data file of the shared cycler set (companions: metadata sidecars, .mpl, summary)
FILES = [
    "battery-data-toolkit/arbin_example.csv",
    "battery-data-toolkit/maccor_example.001",
    "battery-data-toolkit/maccor_example.002",
    "battery-data-toolkit/p492-13-raw.csv",
    "beep/2017-05-09_test-TC-contact_CH33.csv",
    "beep/PreDiag_000229_000229_truncated.034",
    "beep/PredictionDiagnostics_000151_test.052",
    "beep/indigo_test_sample.h5",
    "beep/test_Nova_Form-CH01-01_short.csv",
    "beep/test_loopsnewoutput_MB_CE1_short10k.csv",
    "cellpy/20160805_test001_45_cc_01.res",
    "cellpy/20260302_IFE_BTS85_2_9_8_1.ndax",
    "cellpy/batmo_bdf.csv",
    "cellpy/biol.mpr",
    "cellpy/maccor_001.txt",
    "cellpy/neware_uio.csv",
    "cellpy/nw_regular_export_ife_example.csv",
    "cellpy/pec.csv",
    "navani/00_test_04_MB_C01.mpr",
    "navani/arbin_example.res",
    "navani/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
    "navani/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
    "navani/test.nda",
    "navani/test.ndax",
    "yadg/gcpl.issue_149.mpr",
    "yadg/gcpl.issue_149.mpt",
    "yadg/gcpl.issue_211.mpr",
    "yadg/gcpl.issue_211.mpt",
    "yadg/gcpl.pr_182.1.mpr",
    "yadg/gcpl.pr_182.1.mpt",
]
COMPANIONS = ("_Metadata.csv", "_metadata.csv", ".mpl", "-summary.csv", "README.md")
BINARY = (".res", ".h5", ".ndax", ".nda", ".mpr", ".xlsx")
MAX_BYTES = 200_000  # random edits on a prefix of large text files keep the run short
N_RANDOM = 8  # random-edit cases per file
MEMORY_LIMIT = 1 << 30  # bytes of address space a case may add (RLIMIT_AS)
RSS_LIMIT = 1 << 30  # peak resident memory of the whole reading process [bytes]
TIMEOUT_S = 10.0

needs_data = pytest.mark.skipif(not ROOT, reason="SIANODE_EXTERNAL_DATA is not set")


def _separator(raw: bytes) -> bytes:
    head = raw[:8192]
    return max((b"\t", b",", b";"), key=head.count)


def _random_case(raw: bytes, rng: random.Random) -> bytes:
    """Up to 8 random byte edits and, one time in two, a random cut."""
    b = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    if rng.random() < 0.5:
        b = b[: rng.randint(1, len(b))]
    return bytes(b)


def _insert_line(raw: bytes, line: bytes, rng: random.Random) -> bytes:
    """``raw`` with ``line`` inserted after a random line break in its first half."""
    breaks = [k for k in range(min(len(raw) // 2, 200_000)) if raw[k] == 10]
    at = rng.choice(breaks) + 1 if breaks else 0
    return raw[:at] + line + b"\n" + raw[at:]


def cases_for(name: str, raw: bytes) -> list[tuple[str, bytes]]:
    """The mutated copies of one file: (label, bytes)."""
    rng = random.Random(f"sianode-fuzz-{name}")
    text = not name.endswith(BINARY)
    base = raw[:MAX_BYTES] if text and len(raw) > MAX_BYTES else raw
    out = [(f"random {k}", _random_case(base, rng)) for k in range(N_RANDOM)]
    if text:
        sep = _separator(raw)
        out.append(("a line of 1e6 separators", _insert_line(raw, sep * 1_000_000, rng)))
        out.append(("a 2 MB line", _insert_line(raw, b"7" * 2_000_000, rng)))
    return out


def run_cases(src: Path, cases: list[tuple[str, bytes]], tmp: Path) -> dict:
    """Write the cases and read them in one child process under the limits."""
    listing = []
    for k, (label, data) in enumerate(cases):
        p = tmp / f"case{k}" / src.name
        p.parent.mkdir()
        p.write_bytes(data)
        listing.append({"path": str(p), "label": label, "original": str(src)})
    spec = tmp / "cases.json"
    spec.write_text(json.dumps(listing))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE.parents[1] / "src"), env.get("PYTHONPATH")])
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(HERE / "_fuzz_child.py"),
            str(spec),
            str(MEMORY_LIMIT),
            str(TIMEOUT_S),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60 + TIMEOUT_S * len(cases),
        check=False,
    )
    assert proc.returncode == 0, (
        f"{src.name}: child exited {proc.returncode} (a case over {TIMEOUT_S} s ends it):"
        f" {proc.stderr[-2000:]}"
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_data
def test_files_listed_are_the_shared_set():
    root = Path(ROOT) / "cycler"
    on_disk = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(COMPANIONS)
    )
    assert on_disk == sorted(FILES)


@needs_data
@pytest.mark.parametrize("name", FILES)
def test_mutated_bytes(name, tmp_path):
    src = Path(ROOT) / "cycler" / name
    cases = cases_for(name, src.read_bytes())
    result = run_cases(src, cases, tmp_path)
    for case in result["cases"]:
        where = f"{name}, {case['label']}"
        outcome = case["outcome"]
        assert outcome == "ok" or outcome.startswith("ParsingError: "), f"{where}: {outcome}"
        if outcome != "ok":
            assert src.name in outcome, f"{where}: {outcome}"
            assert "memory" not in outcome.lower(), f"{where}: {outcome}"
        assert case["seconds"] < TIMEOUT_S, where
    assert result["peak_rss"] < RSS_LIMIT, f"{name}: peak RSS {result['peak_rss'] / 2**20:.0f} MiB"
