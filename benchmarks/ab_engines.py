"""A/B CPU time of the simulation engines: this tree against another (e.g. an older commit).

Each tree runs in its own fresh process, alternating, so a busy minute on the shared machine
hits both. Time is the thread's CPU time (``time.thread_time``), single numba thread: wall
time on 2 cores shared by other jobs (load 8-10 when this was written) moved by 2x between
identical runs, CPU time by a few per cent.

Measured per tree (after a warm-up that loads or compiles the numba cache):
- reduced kernel, 50 study cycles of the calibrated dense cell, per-cycle output only and
  with the time series (``simulate_arrays``), min and median of 21;
- ``simulate()`` with the time series, its per-cycle frame accessed (kernel + protocol +
  DataFrames), min and median of 21;
- resolved model, 50 study cycles, 12 and 20 nodes, min and median of 3.

Usage (the other tree from ``git archive <commit> src | tar -x -C /tmp/old``)::

    .venv/bin/python benchmarks/ab_engines.py --other /tmp/old/src [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def measure() -> dict[str, list[float]]:
    import time

    import numba
    import numpy as np

    from sianode.protocol import parse_protocol
    from sianode.simulation import ModelOptions, cell_from_study, simulate
    from sianode.simulation import reduced as R
    from sianode.simulation.resolved import simulate_resolved
    from sianode.study import load_study

    numba.set_num_threads(1)
    cell, _ = cell_from_study(material="dense", beta=0.026048)  # calibrated (issue 14)
    text = load_study().section("protocol")["text"]
    proto = parse_protocol(text)
    steps = proto.to_arrays(
        cell.area, cell.nominal_capacity_Ah, cell.counter_potential, None, cell.si_mass * 1e3
    )
    opts = ModelOptions()
    R.simulate_arrays(cell, opts, steps, True)
    simulate_resolved(cell, n_nodes=20, n_cycles=2, record=False)

    def cpu_ms(f, n):  # noqa: ANN001, ANN202
        import gc

        gc.collect()  # start each series from the same garbage: pandas frames trigger the GC
        f()  # one untimed call (first-use costs of this path)
        ts = []
        for _ in range(n):
            t = time.thread_time()
            f()
            ts.append(time.thread_time() - t)
        return [round(1e3 * float(np.min(ts)), 2), round(1e3 * float(np.median(ts)), 2)]

    return {
        "kernel_per_cycle_only_ms": cpu_ms(lambda: R.simulate_arrays(cell, opts, steps, False), 21),
        "kernel_time_series_ms": cpu_ms(lambda: R.simulate_arrays(cell, opts, steps, True), 21),
        # the per-cycle frame is built on first use (issue 17): count it
        "simulate_time_series_ms": cpu_ms(lambda: simulate(cell, text).cycles, 21),
        "resolved_12_nodes_ms": cpu_ms(
            lambda: simulate_resolved(cell, n_nodes=12, record=False), 3
        ),
        "resolved_20_nodes_ms": cpu_ms(
            lambda: simulate_resolved(cell, n_nodes=20, record=False), 3
        ),
    }


def main() -> int:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--other", required=True, help="src folder of the tree to compare with")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    trees = {"this": str(SRC), "other": args.other}
    for r in range(args.rounds):
        order = list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]
        for name, src in order:
            env = dict(os.environ, PYTHONPATH=src)
            out = subprocess.run(
                [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True
            )
            line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr
            print(f"round {r + 1} {name}: {line}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
