"""Benchmark: sianode's cycler readers vs cellpy, navani, galvani, NewareNDA and beep.

Run from the repository root (needs the real files and the peers' venv)::

    python3 -m venv benchmarks/.venv-peers
    benchmarks/.venv-peers/bin/pip install cellpy navani galvani NewareNDA beep
    benchmarks/.venv-peers/bin/pip install --no-deps \\
        --target benchmarks/.venv-peers/galvani-upstream galvani==0.5.0
    .venv/bin/python benchmarks/bench_readers.py [--repeats 5] [--budget 60]

For every real data file in ``$SIANODE_EXTERNAL_DATA/cycler`` (default
``/work/shared/data/external/cycler``; companion files such as metadata sidecars, ``.mpl``
settings and the provider summary are skipped):

- sianode: ``sianode.io.read(path)`` in this process, one warm-up call, then the median of
  ``--repeats`` calls.
- each peer that claims the format: ``_peer_reader.py`` run with the peers' interpreter, which
  imports the peer first and times inside its own process (start-up and imports excluded),
  with the same warm-up + median rule. A peer's exception is recorded as one line.
- galvani's bare ``BioLogic.MPRfile`` parse (upstream 0.5.0, and the datalab-org fork that
  navani installs) on ``.mpr`` files: a numpy record array, no table.

Repeat rule (both sides): ``--repeats`` calls after the warm-up, unless the warm-up times
``--repeats`` exceeds ``--budget`` seconds; then ``floor(budget / warm-up)`` calls (at least 1).

Writes ``benchmarks/results/readers.json`` and prints a Markdown table (ratio = peer / sianode,
so > 1 means sianode is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEER_PY = HERE / ".venv-peers" / "bin" / "python"
RUNNER = HERE / "_peer_reader.py"
OUT = HERE / "results" / "readers.json"
DATA = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "/work/shared/data/external")) / "cycler"

COMPANIONS = ("_Metadata.csv", "_metadata.csv", ".mpl", "-summary.csv", "README.md")
TABLE_PEERS = ["cellpy", "navani", "NewareNDA", "beep"]
BARE_PEERS = ["galvani", "galvani-fork"]

# Which peer claims which file, and how a user would call it (instrument / model / class).
# Keys are paths relative to the cycler folder; a peer not listed does not read that format.
CELLPY: dict[str, dict[str, str]] = {
    "cellpy/20160805_test001_45_cc_01.res": {"instrument": "arbin_res"},
    "navani/arbin_example.res": {"instrument": "arbin_res"},
    "battery-data-toolkit/arbin_example.csv": {"instrument": "arbin_sql_csv"},
    "beep/2017-05-09_test-TC-contact_CH33.csv": {"instrument": "arbin_sql_csv"},
    "navani/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx": {"instrument": "arbin_sql_xlsx"},
    "cellpy/biol.mpr": {"instrument": "biologics_mpr"},
    "navani/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr": {"instrument": "biologics_mpr"},
    "navani/00_test_04_MB_C01.mpr": {"instrument": "biologics_mpr"},
    "yadg/gcpl.issue_211.mpr": {"instrument": "biologics_mpr"},
    "yadg/gcpl.pr_182.1.mpr": {"instrument": "biologics_mpr"},
    "yadg/gcpl.issue_149.mpr": {"instrument": "biologics_mpr"},
    "cellpy/maccor_001.txt": {"instrument": "maccor_txt", "model": "one"},
    "beep/PredictionDiagnostics_000151_test.052": {"instrument": "maccor_txt"},
    "beep/PreDiag_000229_000229_truncated.034": {"instrument": "maccor_txt"},
    "battery-data-toolkit/maccor_example.001": {"instrument": "maccor_txt"},
    "battery-data-toolkit/maccor_example.002": {"instrument": "maccor_txt"},
    "cellpy/20260302_IFE_BTS85_2_9_8_1.ndax": {"instrument": "neware_nda"},
    "navani/test.nda": {"instrument": "neware_nda"},
    "navani/test.ndax": {"instrument": "neware_nda"},
    "cellpy/neware_uio.csv": {"instrument": "neware_txt", "model": "UIO"},
    "cellpy/nw_regular_export_ife_example.csv": {"instrument": "neware_txt"},
    "cellpy/pec.csv": {"instrument": "pec_csv"},
    "cellpy/batmo_bdf.csv": {"instrument": "batmo_bdf"},
}
# navani dispatches on the extension; its .csv branch reads only navani's own output
NAVANI_EXT = (".mpr", ".mpt", ".res", ".txt", ".xlsx", ".xls", ".nda", ".ndax")
NEWARENDA_EXT = (".nda", ".ndax")
BEEP: dict[str, str] = {
    "battery-data-toolkit/arbin_example.csv": "ArbinDatapath",
    "beep/2017-05-09_test-TC-contact_CH33.csv": "ArbinDatapath",
    "beep/PredictionDiagnostics_000151_test.052": "MaccorDatapath",
    "beep/PreDiag_000229_000229_truncated.034": "MaccorDatapath",
    "battery-data-toolkit/maccor_example.001": "MaccorDatapath",
    "battery-data-toolkit/maccor_example.002": "MaccorDatapath",
    "cellpy/maccor_001.txt": "MaccorDatapath",
    "beep/test_loopsnewoutput_MB_CE1_short10k.csv": "BiologicDatapath",
    "yadg/gcpl.issue_211.mpt": "BiologicDatapath",
    "yadg/gcpl.pr_182.1.mpt": "BiologicDatapath",
    "yadg/gcpl.issue_149.mpt": "BiologicDatapath",
    "beep/test_Nova_Form-CH01-01_short.csv": "NovonixDatapath",
    "beep/indigo_test_sample.h5": "IndigoDatapath",
    "cellpy/neware_uio.csv": "NewareDatapath",
    "cellpy/nw_regular_export_ife_example.csv": "NewareDatapath",
}


def repeat_rule(first_call_s: float, repeats: int, budget_s: float) -> int:
    """n repeats after the warm-up unless warm-up * n exceeds the budget (then fewer, >= 1)."""
    if first_call_s * repeats <= budget_s:
        return repeats
    return max(1, int(budget_s // max(first_call_s, 1e-9)))


def data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(COMPANIONS))


def jobs_for(rel: str) -> list[tuple[str, dict[str, Any]]]:
    jobs: list[tuple[str, dict[str, Any]]] = []
    low = rel.lower()
    if rel in CELLPY:
        jobs.append(("cellpy", CELLPY[rel]))
    if low.endswith(NAVANI_EXT):
        jobs.append(("navani", {}))
    if low.endswith(NEWARENDA_EXT):
        jobs.append(("NewareNDA", {}))
    if rel in BEEP:
        jobs.append(("beep", {"datapath": BEEP[rel]}))
    if low.endswith(".mpr"):
        jobs += [("galvani", {}), ("galvani-fork", {})]
    return jobs


def time_ours(path: Path, repeats: int, budget: float) -> dict[str, Any]:
    from sianode.io import read

    out: dict[str, Any] = {"ok": False, "rows": None, "times_s": [], "median_s": None}
    try:
        t0 = time.perf_counter()
        data, meta = read(path)  # warm-up (also pays sianode's lazy imports)
        first = time.perf_counter() - t0
        times = []
        for _ in range(repeat_rule(first, repeats, budget)):
            t0 = time.perf_counter()
            data, meta = read(path)
            times.append(time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - recorded, the benchmark goes on
        out["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
        return out
    out.update(
        ok=True,
        rows=len(data),
        format=meta.get("format"),
        times_s=times,
        median_s=statistics.median(times),
    )
    return out


def time_peer(
    peer: str, path: Path, opts: dict[str, Any], repeats: int, budget: float, timeout: float
) -> dict[str, Any]:
    cmd = [str(PEER_PY), str(RUNNER), peer, str(path), "--repeats", str(repeats)]
    cmd += ["--budget", str(budget), "--options", json.dumps(opts)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:.0f} s", "options": opts}
    lines = proc.stdout.strip().splitlines()
    try:
        res = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " ".join(proc.stderr.strip().splitlines()[-1:])
        res = {"ok": False, "error": f"runner exit {proc.returncode}: {tail}"[:300]}
    res["options"] = opts
    return res


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average_1_5_15_at_start": list(os.getloadavg()),
        "note": "2 cores, shared machine: absolute times are noisy, compare ratios",
    }


def summarise(files: list[dict[str, Any]]) -> dict[str, Any]:
    losses = []  # (file, peer, ratio) where a table-returning peer is not slower than us
    wins = 0
    for f in files:
        ours = f["sianode"].get("median_s")
        for peer in TABLE_PEERS:
            res = f["peers"].get(peer)
            if not res or not res.get("ok") or ours is None:
                continue
            if res["median_s"] > ours:
                wins += 1
            else:
                losses.append({"file": f["file"], "peer": peer, "ratio": res["ratio"]})
    cellpy_ok = [f for f in files if f["peers"].get("cellpy", {}).get("ok")]
    cellpy_ratios = [f["peers"]["cellpy"]["ratio"] for f in cellpy_ok]
    cellpy_median = statistics.median(f["peers"]["cellpy"]["median_s"] for f in cellpy_ok)
    ours_on_cellpy = statistics.median(f["sianode"]["median_s"] for f in cellpy_ok)
    mpr = []
    for f in files:
        res = f["peers"].get("galvani")
        if f["file"].endswith(".mpr") and res and res.get("ok"):
            mpr.append({"file": f["file"], "ours_over_galvani": 1.0 / res["ratio"]})
    return {
        "faster_than_every_table_peer": {
            "met": not losses,
            "comparisons_won": wins,
            "comparisons_lost": losses,
        },
        "cellpy_5x": {
            "files_cellpy_read": len(cellpy_ok),
            "cellpy_median_s": cellpy_median,
            "sianode_median_s_same_files": ours_on_cellpy,
            "ratio_of_medians": cellpy_median / ours_on_cellpy,
            "median_of_ratios": statistics.median(cellpy_ratios),
            "min_ratio": min(cellpy_ratios),
            "met": cellpy_median / ours_on_cellpy >= 5 and statistics.median(cellpy_ratios) >= 5,
        },
        "galvani_bare_within_3x": {
            "per_file": mpr,
            "worst": max((m["ours_over_galvani"] for m in mpr), default=None),
            "met": all(m["ours_over_galvani"] <= 3 for m in mpr),
        },
        "peer_failures": sum(
            1 for f in files for r in f["peers"].values() if not r.get("ok", False)
        ),
    }


def fmt_s(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def table(files: list[dict[str, Any]]) -> str:
    peers = TABLE_PEERS + BARE_PEERS
    head = "| file | format | rows | sianode | " + " | ".join(peers) + " |"
    lines = [head, "|" + "---|" * (4 + len(peers))]
    for f in files:
        ours = f["sianode"]
        cells = []
        for peer in peers:
            res = f["peers"].get(peer)
            if res is None:
                cells.append("")
            elif res.get("ok"):
                cells.append(f"{fmt_s(res['median_s'])} ({res['ratio']:.2g}×)")
            else:
                cells.append("fails")
        ours_cell = fmt_s(ours.get("median_s")) if ours.get("ok") else "FAILS"
        rows = ours.get("rows") if ours.get("ok") else "-"
        lines.append(
            f"| {f['file']} | {ours.get('format', '-')} | {rows} | {ours_cell} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="sianode reader benchmark vs peers")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per (reader, file)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per peer process")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", default="", help="substring filter on file paths (for debugging)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no cycler data folder at {DATA} (set SIANODE_EXTERNAL_DATA)")
    if not PEER_PY.exists():
        sys.exit(f"no peers venv at {PEER_PY.parent.parent} (see this script's docstring)")
    warnings.simplefilter("ignore")
    versions = json.loads(
        subprocess.run(
            [str(PEER_PY), str(RUNNER), "--versions"], capture_output=True, text=True, check=True
        ).stdout
    )
    import sianode

    files = []
    for path in data_files(DATA):
        rel = path.relative_to(DATA).as_posix()
        if args.only not in rel:
            continue
        ours = time_ours(path, args.repeats, args.budget)
        entry: dict[str, Any] = {"file": rel, "bytes": path.stat().st_size, "sianode": ours}
        entry["peers"] = {}
        for peer, opts in jobs_for(rel):
            res = time_peer(peer, path, opts, args.repeats, args.budget, args.timeout)
            if res.get("ok") and ours.get("ok"):
                res["ratio"] = res["median_s"] / ours["median_s"]
            entry["peers"][peer] = res
        files.append(entry)
        brief = ", ".join(
            f"{p} {fmt_s(r.get('median_s')) if r.get('ok') else 'fails'}"
            for p, r in entry["peers"].items()
        )
        print(f"{rel}: sianode {fmt_s(ours.get('median_s'))}; {brief}", file=sys.stderr)
    result = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "repeats": args.repeats,
        "budget_s": args.budget,
        "sianode_version": getattr(sianode, "__version__", None),
        "peer_versions": versions,
        "files": files,
        "summary": summarise(files) if not args.only else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(table(files))
    print()
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
