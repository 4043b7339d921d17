"""Speed of the reduced model and the batch engine against PyBaMM, measured in one run.

Ours (in this process, after a warm-up that compiles/loads the numba kernel):
- ``simulate`` of the study's dense cell, 50 study cycles, all mechanisms on, per-cycle
  output only (``record=False``) and with the full time series; median of N repeats; one
  thread.
- ``simulate_batch`` of many designs x 50 study cycles (all mechanisms on).
Peer (PyBaMM 26.x, IDAKLU, in ``benchmarks/.venv-pybamm``, run through
``benchmarks/pybamm_peer.py``): SPMe with its closest options (current-sigmoid hysteresis,
swelling, stress-driven LAM, reaction-limited SEI), build + solve, median of repeats.

Usage:
    .venv/bin/python benchmarks/bench_simulator.py [--repeats 20] [--designs 10000] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numba

HERE = Path(__file__).resolve().parent
PEER_PY = HERE / ".venv-pybamm" / "bin" / "python"


def ours_single(repeats: int) -> dict[str, float]:
    from sianode.calibration import calibrate_dense
    from sianode.simulation import cell_from_study, simulate

    beta = calibrate_dense().value
    cell, _ = cell_from_study(material="dense", beta=beta)
    numba.set_num_threads(1)
    simulate(cell, record=False)  # warm-up (compile or load the cache)
    out = {}

    def frames(r):  # noqa: ANN001, ANN202 - the result's DataFrames, built on first use
        return r.cycles, r.timeseries

    cases = (
        ("no_record", False, None),
        ("record", True, None),
        # Result builds its DataFrames when first asked (issue 17), as PyBaMM's Solution
        # evaluates its variables: this case counts building both frames too
        ("record_frames", True, frames),
    )
    for key, record, touch in cases:
        times, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.thread_time()
            r = simulate(cell, record=record)
            if touch is not None:
                touch(r)
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
        out[key] = statistics.median(times)
        out[key + "_cpu"] = statistics.median(cpu)
    out["load_average"] = list(os.getloadavg())
    out["retention_pct"] = r.retention_pct
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return out


def ours_batch(n: int) -> dict[str, float]:
    import numpy as np

    from sianode.protocol import parse_protocol
    from sianode.simulation import cell_from_study, simulate_batch
    from sianode.study import load_study

    proto = parse_protocol(load_study().section("protocol")["text"])
    rng = np.random.default_rng(0)
    cells = []
    for _ in range(n):
        mat = "nanoporous" if rng.random() < 0.5 else "dense"
        base, _ = cell_from_study(material=mat, beta=float(rng.uniform(0.001, 0.02)))
        cells.append(
            base.replace(
                usable_pore_fraction=float(rng.uniform(0.5, 1.0)),
                damage_exponent=float(rng.uniform(1.5, 3.0)),
            )
        )
    tab = proto.to_arrays(
        cells[0].area,
        cells[0].nominal_capacity_Ah,
        cells[0].counter_potential,
        None,
        cells[0].si_mass * 1e3,
    )
    simulate_batch(cells[:2], [tab] * 2)  # warm-up
    t0 = time.perf_counter()
    br = simulate_batch(cells, [tab] * n)
    dt = time.perf_counter() - t0
    failed = int((br.status_code != 0).sum())
    return {"designs": n, "seconds": dt, "failures": failed, "threads": numba.get_num_threads()}


def peer(mode: str, repeats: int) -> dict | None:
    if not PEER_PY.exists():
        return None
    env = dict(os.environ, PYBAMM_DISABLE_TELEMETRY="true")
    proc = subprocess.run(
        [str(PEER_PY), str(HERE / "pybamm_peer.py"), mode, "--repeats", str(repeats), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--designs", type=int, default=10000)
    ap.add_argument("--peer-repeats", type=int, default=5)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    res: dict = {"ours_single": ours_single(args.repeats)}
    res["ours_batch"] = ours_batch(args.designs)
    if not args.no_peer:
        res["pybamm_spme"] = peer("spme", args.peer_repeats)
    s = res["ours_single"]
    print(
        f"sianode reduced, 50 cycles, all mechanisms (median wall / CPU, load "
        f"{s['load_average'][0]:.1f}): {1e3 * s['no_record']:.2f} / "
        f"{1e3 * s['no_record_cpu']:.2f} ms (per-cycle only), {1e3 * s['record']:.2f} / "
        f"{1e3 * s['record_cpu']:.2f} ms (with time series), {1e3 * s['record_frames']:.2f} / "
        f"{1e3 * s['record_frames_cpu']:.2f} ms (time series, both DataFrames built)"
    )
    b = res["ours_batch"]
    print(
        f"sianode batch: {b['designs']} designs x 50 cycles in {b['seconds']:.1f} s "
        f"({b['threads']} threads), {b['failures']} failures"
    )
    p = res.get("pybamm_spme")
    if p and not p.get("error"):
        peer_t = p["total_s_median"]
        res["ratio_spme_over_ours"] = peer_t / s["no_record"]
        res["ratio_spme_over_ours_record"] = peer_t / s["record"]
        res["ratio_spme_over_ours_record_frames"] = peer_t / s["record_frames"]
        print(
            f"PyBaMM SPMe (closest options), build+solve median: {peer_t:.3f} s "
            f"(solve only {p['solve_s_median']:.3f} s) -> ours is {peer_t / s['no_record']:.0f}x faster "
            f"({p['solve_s_median'] / s['no_record']:.0f}x on solve time alone); with the time "
            f"series {peer_t / s['record']:.0f}x, with both frames built "
            f"{peer_t / s['record_frames']:.0f}x"
        )
    elif p:
        print(f"PyBaMM SPMe: {p['error']}")
    else:
        print("PyBaMM SPMe: not run (benchmarks/.venv-pybamm missing; see benchmarks/README.md)")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "simulator.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
