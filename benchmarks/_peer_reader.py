"""Time one peer reader on one file, inside the peer's own process.

Run by ``bench_readers.py`` with the peers' interpreter (``benchmarks/.venv-peers``), never
with sianode's: the peers (cellpy, navani, galvani, NewareNDA, beep) are GPL or carry
conflicting pins, and are used here only to measure. Imports happen before the clock starts,
so interpreter start-up and import time are excluded; the first call is a warm-up, then the
call is repeated and the median is reported (the same rule as for sianode, see
``bench_readers.repeat_rule``).

Usage::

    python _peer_reader.py PEER FILE [--repeats N] [--budget S] [--options JSON]
    python _peer_reader.py --versions

Prints one JSON object on stdout: ``{"ok": bool, "rows": int, "times_s": [...],
"median_s": float, "error": "one line"}``. The peers' own prints go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# upstream galvani 0.5.0, installed with --target beside the peers venv, because navani pulls
# in the datalab-org fork that installs into the same ``galvani`` package folder
GALVANI_UPSTREAM = HERE / ".venv-peers" / "galvani-upstream"


def repeats_for(first_call_s: float, repeats: int, budget_s: float) -> int:
    """Same rule as bench_readers.repeat_rule: n repeats unless that would exceed the budget."""
    if first_call_s * repeats <= budget_s:
        return repeats
    return max(1, math.floor(budget_s / max(first_call_s, 1e-9)))


def _cellpy(options: dict[str, Any]) -> Callable[[Path], int]:
    import cellpy

    def run(path: Path) -> int:
        kw: dict[str, Any] = {"instrument": options["instrument"]}
        if options.get("model"):
            kw["model"] = options["model"]
        c = cellpy.get(filename=str(path), auto_summary=False, testing=True, **kw)
        raw = c.data.raw
        if raw is None or len(raw) == 0:
            raise ValueError("cellpy returned an empty raw table")
        return len(raw)

    return run


def _navani(options: dict[str, Any]) -> Callable[[Path], int]:
    from navani import echem

    def run(path: Path) -> int:
        df = echem.echem_file_loader(str(path))
        if len(df) == 0:
            raise ValueError("navani returned an empty table")
        return len(df)

    return run


def _newarenda(options: dict[str, Any]) -> Callable[[Path], int]:
    import NewareNDA

    def run(path: Path) -> int:
        df = NewareNDA.read(str(path), log_level="ERROR")
        if len(df) == 0:
            raise ValueError("NewareNDA returned an empty table")
        return len(df)

    return run


def _beep(options: dict[str, Any]) -> Callable[[Path], int]:
    from beep.structure import (
        arbin,
        battery_archive,
        biologic,
        indigo,
        maccor,
        neware,
        novonix,
    )

    classes = {
        "ArbinDatapath": arbin.ArbinDatapath,
        "BatteryArchiveDatapath": battery_archive.BatteryArchiveDatapath,
        "BiologicDatapath": biologic.BiologicDatapath,
        "IndigoDatapath": indigo.IndigoDatapath,
        "MaccorDatapath": maccor.MaccorDatapath,
        "NewareDatapath": neware.NewareDatapath,
        "NovonixDatapath": novonix.NovonixDatapath,
    }
    cls = classes[options["datapath"]]

    def run(path: Path) -> int:
        dp = cls.from_file(str(path))
        if dp.raw_data is None or len(dp.raw_data) == 0:
            raise ValueError("beep returned an empty raw_data table")
        return len(dp.raw_data)

    return run


def _galvani_bare(fork: bool) -> Callable[[dict[str, Any]], Callable[[Path], int]]:
    def make(options: dict[str, Any]) -> Callable[[Path], int]:
        if not fork:
            sys.path.insert(0, str(GALVANI_UPSTREAM))
        from galvani import BioLogic

        origin = Path(BioLogic.__file__).resolve()
        if fork == (GALVANI_UPSTREAM in origin.parents):
            raise RuntimeError(f"wrong galvani imported: {origin}")

        def run(path: Path) -> int:
            # bare binary parse: a numpy record array, no table, no derived columns
            with open(path, "rb") as f:
                mpr = BioLogic.MPRfile(f)
            return len(mpr.data)

        return run

    return make


PEERS: dict[str, Callable[[dict[str, Any]], Callable[[Path], int]]] = {
    "cellpy": _cellpy,
    "navani": _navani,
    "NewareNDA": _newarenda,
    "beep": _beep,
    "galvani": _galvani_bare(fork=False),
    "galvani-fork": _galvani_bare(fork=True),
}

DISTRIBUTIONS = ["cellpy", "navani", "NewareNDA", "beep", "datalab-org-galvani", "numpy", "pandas"]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300]


def measure(peer: str, path: Path, repeats: int, budget: float, options: dict[str, Any]) -> dict:
    out: dict[str, Any] = {
        "ok": False,
        "rows": None,
        "times_s": [],
        "median_s": None,
        "error": None,
    }
    try:
        run = PEERS[peer](options)  # imports happen here, before the clock
    except Exception as exc:  # noqa: BLE001 - a peer's failure is a result to record
        out["error"] = "import: " + _one_line(exc)
        return out
    try:
        t0 = time.perf_counter()
        rows = run(path)  # warm-up
        first = time.perf_counter() - t0
        times = []
        for _ in range(repeats_for(first, repeats, budget)):
            t0 = time.perf_counter()
            rows = run(path)
            times.append(time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001
        out["error"] = _one_line(exc)
        return out
    out.update(ok=True, rows=int(rows), times_s=times, median_s=statistics.median(times))
    return out


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    meta = GALVANI_UPSTREAM / "galvani-0.5.0.dist-info"
    found["galvani (upstream, bare parse)"] = "0.5.0" if meta.exists() else None
    found["python"] = sys.version.split()[0]
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("peer", nargs="?", choices=sorted(PEERS))
    ap.add_argument("file", nargs="?", type=Path)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--options", default="{}")
    ap.add_argument("--versions", action="store_true")
    args = ap.parse_args()
    real_stdout = sys.stdout
    if args.versions:
        result: dict[str, Any] = versions()
    else:
        if args.peer is None or args.file is None:
            ap.error("PEER and FILE are required")
        path = args.file.resolve()
        os.chdir(os.environ.get("TMPDIR", "/tmp"))  # peers that write logs write them there
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(sys.stderr):
            result = measure(args.peer, path, args.repeats, args.budget, json.loads(args.options))
    real_stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
