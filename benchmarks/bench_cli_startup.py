"""Benchmark: whole-process time of the light sianode commands (issue 17).

``sianode --help``, ``pores``, ``design`` and ``synthesis`` do a hand calculation in well
under a millisecond, so what a user waits for is the process: interpreter start, imports and
exit. Goal: at most 1 s each as a whole process. Each command runs as a fresh process, after
one warm-up, alternating with the floor it cannot beat: the same interpreter importing only
the command-line library (``python -c "import typer"``); the script prints per command the
median wall and CPU (user + sys, from the kernel's accounting of the finished child) times,
and the median of the pair-by-pair ratios to the floor.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cli_startup.py [--runs 9] [--json results/cli_startup.json]

On a shared machine wall time is CPU time plus the wait for a free core: quote CPU time and
the load average with it.
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

COMMANDS = {
    "--help": ["--help"],
    "pores": ["pores"],
    "design": ["design"],
    "synthesis": ["synthesis"],
}
FLOOR = [sys.executable, "-c", "import typer"]


def _sianode() -> list[str]:
    exe = shutil.which("sianode") or str(Path(sys.executable).with_name("sianode"))
    return [exe]


def run_once(cmd: list[str]) -> tuple[float, float]:
    """(wall s, cpu s) of one run of ``cmd`` as a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def bench(runs: int) -> dict[str, dict[str, float]]:
    out = {}
    for name, args in COMMANDS.items():
        cmd = _sianode() + args
        run_once(cmd), run_once(FLOOR)  # warm-up: file cache, .pyc
        walls, cpus, fwalls, fcpus = [], [], [], []
        for _ in range(runs):
            w, c = run_once(cmd)
            fw, fc = run_once(FLOOR)
            walls.append(w), cpus.append(c), fwalls.append(fw), fcpus.append(fc)
        out[name] = {
            "wall_s": statistics.median(walls),
            "cpu_s": statistics.median(cpus),
            "floor_wall_s": statistics.median(fwalls),
            "floor_cpu_s": statistics.median(fcpus),
            "cpu_ratio_to_floor": statistics.median(c / f for c, f in zip(cpus, fcpus)),
        }
        r = out[name]
        print(
            f"sianode {name:<10} wall {r['wall_s']:.3f} s  cpu {r['cpu_s']:.3f} s   "
            f"floor (import typer) wall {r['floor_wall_s']:.3f} s cpu {r['floor_cpu_s']:.3f} s   "
            f"cpu ratio {r['cpu_ratio_to_floor']:.2f}",
            flush=True,
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    res = bench(a.runs)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
