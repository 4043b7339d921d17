"""Speed of the resolved (through-thickness) model against PyBaMM's DFN, measured in one run.

Ours (this process, after a warm-up that compiles or loads the numba code):

- ``simulate_resolved``: 50 study cycles (3 at 0.127 mA/cm2, 47 at 0.300 mA/cm2,
  0.04-1.5 V vs Li, no rests), per-cycle output only (``record=False``), one thread. The
  cell is the matching-physics cell of ``tests/data/pybamm/params.json``. The options are
  the closest to the peer's: current-sign hysteresis, radial diffusion, swelling,
  strain-driven contact loss (beta 0.0064), oxide + interphase side reactions. Runs with 12
  and 20 nodes (PyBaMM uses 20 points across the electrode). Median of ``--repeats``; wall
  and CPU time.
- ``simulate_resolved_batch``: 100 designs, particle radius linspace(0.1, 1.0) um (the
  peer's sweep) x 50 study cycles, all threads; and the same designs one by one.

Peer: ``benchmarks/pybamm_peer.py`` in ``benchmarks/.venv-pybamm``, as a subprocess.

- ``dfn``: PyBaMM DFN with current-sigmoid hysteresis, swelling, stress-driven LAM and
  reaction-limited SEI. Timed as build + solve, median of repeats after one warm-up.
- ``batch --n 100``: PyBaMM ``BatchStudy`` of DFN over the same radius sweep.

Usage::

    .venv/bin/python benchmarks/bench_resolved.py [--repeats 5] [--designs 100] [--no-peer]
        [--no-batch]

Writes ``benchmarks/results/resolved.json`` and prints a markdown summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_PY = HERE / ".venv-pybamm" / "bin" / "python"
STUDY = """
Lithiate at 0.127 mA/cm2 until 0.04 V vs Li
Delithiate at 0.127 mA/cm2 until 1.5 V vs Li
Repeat 3 times
Lithiate at 0.300 mA/cm2 until 0.04 V vs Li
Delithiate at 0.300 mA/cm2 until 1.5 V vs Li
Repeat 47 times
"""
BETA = 0.0064


def _setup():
    sys.path.insert(0, str(ROOT / "tests" / "simulation"))
    from test_resolved import pybamm_cell  # noqa: PLC0415

    from sianode.simulation import ModelOptions  # noqa: PLC0415

    cell = pybamm_cell(15e-6).replace(beta=BETA)
    opts = ModelOptions(
        hysteresis="current-sign",
        diffusion="radial",
        crystalline="none",
        li15si4="none",
        mechanics="swelling",
        damage="strain",
        side_reactions="oxide+interphase",
    )
    return cell, opts


def ours_single(repeats: int) -> dict:
    from sianode.simulation import simulate  # noqa: PLC0415
    from sianode.simulation.resolved import simulate_resolved  # noqa: PLC0415

    cell, opts = _setup()
    numba.set_num_threads(1)
    out = {}
    for n in (12, 20):
        t0 = time.perf_counter()
        r = simulate_resolved(cell, STUDY, opts, n_nodes=n, record=False)  # warm-up
        warm = time.perf_counter() - t0
        wall, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            r = simulate_resolved(cell, STUDY, opts, n_nodes=n, record=False)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out[f"resolved_{n}"] = {
            "warmup_s": warm,
            "wall_s_median": statistics.median(wall),
            "cpu_s_median": statistics.median(cpu),
            "wall_s_all": wall,
            "status": r.status,
            "cycles": len(r.cycles),
            "delith_mAh_c1": float(r.cycles["Delithiation Capacity / mAh"].iloc[0]),
            "delith_mAh_last": float(r.cycles["Delithiation Capacity / mAh"].iloc[-1]),
            "solver_stats": r.info["solver_stats"],
        }
    simulate(cell, STUDY, opts, record=False)
    wall = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        simulate(cell, STUDY, opts, record=False)
        wall.append(time.perf_counter() - t0)
    out["reduced"] = {"wall_s_median": statistics.median(wall)}
    return out


def ours_batch(n_designs: int) -> dict:
    from sianode.protocol import parse_protocol  # noqa: PLC0415
    from sianode.simulation.resolved import simulate_resolved, simulate_resolved_batch  # noqa: PLC0415

    cell, opts = _setup()
    radii = np.linspace(0.1e-6, 1.0e-6, n_designs)
    cells = [cell.replace(particle_radius=r, wall_size=2 * r) for r in radii]
    proto = parse_protocol(STUDY)
    steps = proto.to_arrays(
        cell.area, cell.nominal_capacity_Ah, cell.counter_potential, None, cell.si_mass * 1e3
    )
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    simulate_resolved_batch(cells[:2], [steps] * 2, opts)  # warm-up
    t0 = time.perf_counter()
    b = simulate_resolved_batch(cells, [steps] * n_designs, opts)
    t_batch = time.perf_counter() - t0
    numba.set_num_threads(1)
    t0 = time.perf_counter()
    singles = [simulate_resolved(c, proto, opts, record=False) for c in cells]
    t_seq = time.perf_counter() - t0
    col = "Lithiation Capacity / Ah"
    same = all(
        np.array_equal(b.cycles[i][col].to_numpy(), s.cycles[col].to_numpy())
        for i, s in enumerate(singles)
    )
    return {
        "n_designs": n_designs,
        "sweep": "particle radius linspace(0.1, 1.0, n) um",
        "threads": numba.config.NUMBA_NUM_THREADS,
        "batch_wall_s": t_batch,
        "sequential_wall_s": t_seq,
        "failures": int(np.sum(b.status_code != 0)),
        "completed_all_cycles": int(np.sum(b.n_cycles >= 50)),
        "batch_equals_single_runs": bool(same),
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def peer(args: list[str]) -> dict:
    env = dict(os.environ, PYBAMM_DISABLE_TELEMETRY="true")
    proc = subprocess.run(
        [str(PEER_PY), str(HERE / "pybamm_peer.py"), *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.pop("designs", None)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--designs", type=int, default=100)
    ap.add_argument(
        "--peer-designs",
        type=int,
        default=20,
        help="designs in PyBaMM's BatchStudy (its memory grows ~150 MiB per DFN design: "
        "3.1 GB at 20; a 100-design run passed 13 GB within 4 min and was stopped)",
    )
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-batch", action="store_true")
    a = ap.parse_args(argv)
    out = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_start": os.getloadavg(),
    }
    out["ours_single"] = ours_single(a.repeats)
    if not a.no_peer and PEER_PY.exists():
        out["pybamm_dfn"] = peer(["dfn", "--repeats", str(a.repeats)])
    if not a.no_batch:
        out["ours_batch"] = ours_batch(a.designs)
        if not a.no_peer and PEER_PY.exists():
            if a.peer_designs != a.designs:
                out["ours_batch_peer_size"] = ours_batch(a.peer_designs)
            out["pybamm_batch"] = peer(["batch", "--n", str(a.peer_designs)])
    out["load_average_end"] = os.getloadavg()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "resolved.json").write_text(json.dumps(out, indent=1) + "\n")

    s = out["ours_single"]
    print("| run | median wall [s] |")
    print("|---|---|")
    for k in ("resolved_12", "resolved_20"):
        print(f"| sianode {k.replace('_', ', ')} nodes, 50 cycles | {s[k]['wall_s_median']:.3f} |")
    print(f"| sianode reduced, 50 cycles | {s['reduced']['wall_s_median']:.4f} |")
    d = out.get("pybamm_dfn")
    if d and "total_s_median" in d:
        print(f"| PyBaMM DFN build+solve, 50 cycles | {d['total_s_median']:.3f} |")
        for k in ("resolved_12", "resolved_20"):
            print(f"ratio DFN / {k}: {d['total_s_median'] / s[k]['wall_s_median']:.1f}x")
    if "ours_batch" in out:
        b = out["ours_batch"]
        print(
            f"batch {b['n_designs']} designs: {b['batch_wall_s']:.2f} s ({b['threads']} threads), "
            f"sequential {b['sequential_wall_s']:.2f} s, failures {b['failures']}, "
            f"equal to single runs: {b['batch_equals_single_runs']}"
        )
        pb = out.get("pybamm_batch")
        if pb and "total_wall_s" in pb:
            bb = out.get("ours_batch_peer_size", b)
            print(
                f"same {pb['n_designs']} designs: sianode {bb['batch_wall_s']:.2f} s "
                f"(peak RSS {bb['peak_rss_MiB']:.0f} MiB), PyBaMM BatchStudy DFN "
                f"{pb['total_wall_s']:.1f} s, failures {pb['failures_exception']} + incomplete "
                f"{pb['failures_incomplete']}, peak RSS {pb['peak_rss_MiB']:.0f} MiB; "
                f"ratio {pb['total_wall_s'] / bb['batch_wall_s']:.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
