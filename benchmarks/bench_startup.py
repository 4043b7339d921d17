"""Benchmark: whole-process time of sianode commands against their peers (issue 17).

A user meets the whole process: interpreter start, imports, work, exit. Each command here
is started as a fresh process, alternating with its peer (A B A B ..., so a busy minute hits
both), after one warm-up each; the script prints per command the median wall and CPU time
(user + sys of the finished process, from ``getrusage(RUSAGE_CHILDREN)``) and the medians of
the pair-by-pair ratios ``sianode / peer`` (< 1: sianode is faster), with the load average.

Run from the repository root (needs the external instrument files and, for the simulate
peer, PyBaMM in ``benchmarks/.venv-pybamm``: ``python -m venv benchmarks/.venv-pybamm &&
benchmarks/.venv-pybamm/bin/pip install pybamm``)::

    SIANODE_EXTERNAL_DATA=../shared/data/external .venv/bin/python benchmarks/bench_startup.py \
        [--runs 7] [--only simulate,sorption,xrd,raman] [--json results/startup.json]

Commands and peers:

- ``sianode simulate --material dense --cycles 50 --json`` vs ``pybamm_peer.py spme --once``:
  PyBaMM SPMe with the closest options, one build + solve of the same 50 study cycles in a
  fresh process, as a user's script would run it. The first sianode run fills the stored
  dense calibration and numba's cache (the warm-up); the counted runs reuse both.
- ``sianode sorption MCM-41 --json`` vs a pyGAPS script (``isotherm_from_json``, ``area_BET``,
  ``psd_mesoporous`` BJH, ``t_plot``: :func:`bench_characterisation.peer_sorption`, run by ``peer_startup.py``).
- ``sianode xrd SRM640d.brml --json`` vs the lmfit/scipy script of
  :func:`bench_characterisation.peer_xrd`.
- ``sianode raman 532nm-Si.txt --json`` vs the lmfit script of
  :func:`bench_characterisation.peer_raman`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "../shared/data/external")) / "materials"
PYBAMM = HERE / ".venv-pybamm" / "bin" / "python"


def _sianode() -> list[str]:
    exe = shutil.which("sianode") or str(Path(sys.executable).with_name("sianode"))
    return [exe]


def _peer(mode: str) -> list[str]:
    return [sys.executable, str(HERE / "peer_startup.py"), mode]


def commands() -> dict[str, tuple[list[str], list[str]]]:
    """name -> (sianode command, peer command)."""
    iso = ROOT / "isotherms" / "pygaps_MCM-41_N2_77K.json"
    brml = ROOT / "xrd" / "Si-Std_SRM640d_D8D_20-97_7_16hm.brml"
    raman = ROOT / "raman" / "532nm-191216-Si_200mu.txt"
    s = _sianode()
    return {
        "simulate": (
            s + ["simulate", "--material", "dense", "--cycles", "50", "--json"],
            [str(PYBAMM), str(HERE / "pybamm_peer.py"), "spme", "--once", "--json"],
        ),
        "sorption": (
            s + ["sorption", str(iso), "--json"],
            _peer("sorption"),
        ),
        "xrd": (s + ["xrd", str(brml), "--json"], _peer("xrd")),
        "raman": (s + ["raman", str(raman), "--json"], _peer("raman")),
    }


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + sys of the finished child, all its threads) [s]."""
    env = dict(os.environ, PYBAMM_DISABLE_TELEMETRY="true")
    c = _children_cpu()
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    cpu = _children_cpu() - c
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise SystemExit(f"{' '.join(cmd[:3])}...: exit {proc.returncode} {err}")
    return dt, cpu


def bench(ours: list[str], peer: list[str], runs: int) -> dict[str, float | list[float]]:
    run_once(ours)  # warm-up: fills caches (numba, stored calibration, OS file cache)
    run_once(peer)
    a, b, ca, cb = [], [], [], []
    for i in range(runs):
        pair = [(ours, a, ca), (peer, b, cb)] if i % 2 == 0 else [(peer, b, cb), (ours, a, ca)]
        for cmd, out, cpu in pair:
            w, c = run_once(cmd)
            out.append(w)
            cpu.append(c)
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return {
        "sianode_s_median": statistics.median(a),
        "peer_s_median": statistics.median(b),
        "ratio_median": statistics.median(ratios),
        "sianode_cpu_s_median": statistics.median(ca),
        "peer_cpu_s_median": statistics.median(cb),
        "cpu_ratio_median": statistics.median(x / y for x, y in zip(ca, cb, strict=True)),
        "load_average": list(os.getloadavg()),
        "sianode_s": a,
        "peer_s": b,
        "sianode_cpu_s": ca,
        "peer_cpu_s": cb,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", default="simulate,sorption,xrd,raman")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    a = ap.parse_args(argv)
    # byte-compile sianode first, as an installed package is: this container sets
    # PYTHONDONTWRITEBYTECODE=1, under which every process would compile sianode's sources
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("sianode")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(loc, quiet=1)
    cmds = commands()
    out = {}
    print(
        "| command | sianode wall / CPU [s] | peer wall / CPU [s] "
        "| sianode / peer, wall (CPU), median of pairs | load |"
    )
    print("|---|---|---|---|---|")
    for name in a.only.split(","):
        ours, peer = cmds[name]
        if name == "simulate" and not PYBAMM.exists():
            print(f"| {name} | skipped: no {PYBAMM} | | |")
            continue
        r = bench(ours, peer, a.runs)
        out[name] = {"sianode": " ".join(ours), "peer": " ".join(peer), **r}
        print(
            f"| {name} | {r['sianode_s_median']:.3f} / {r['sianode_cpu_s_median']:.3f} "
            f"| {r['peer_s_median']:.3f} / {r['peer_cpu_s_median']:.3f} "
            f"| {r['ratio_median']:.3f} ({1 / r['ratio_median']:.1f}x) "
            f"({r['cpu_ratio_median']:.3f}) | {r['load_average'][0]:.1f} |",
            flush=True,
        )
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
