"""Reference outputs of the three simulation engines, for the regression test.

``python tests/simulation/engine_reference.py --write`` stores them in
``tests/data/engine_reference.npz``; tests/simulation/test_engine_agreement.py recomputes
them and compares. The file was first written by the code before the particle solver was
unified (commit ebfffa0, the engines as separate copies), which showed the refactoring left
every number unchanged; it was rewritten once, by the commit that made the physics
corrections of issue 14 (docs/physics.md section 8), and guards later restructuring.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sianode.protocol import parse_protocol
from sianode.simulation import ModelOptions, cell_from_study, simulate_batch
from sianode.simulation.parameters import OPTION_CHOICES
from sianode.simulation.reduced import simulate_arrays
from sianode.simulation.resolved import simulate_resolved
from sianode.study import load_study

PATH = Path(__file__).resolve().parent.parent / "data" / "engine_reference.npz"
#: Every time series is compared on every 7th row (and its length), to keep the file small.
TS_STRIDE = 7
#: Cycles of the option-switch and resolved cases (the study runs 50).
SHORT_CYCLES = 6


def switched_options() -> dict[str, ModelOptions]:
    """The default options and each single switch away from them."""
    out = {"default": ModelOptions()}
    base = ModelOptions()
    for name, choices in OPTION_CHOICES.items():
        for value in choices:
            if value != getattr(base, name):
                out[f"{name}={value}"] = ModelOptions(**{**base.__dict__, name: value})
    return out


def compute() -> dict[str, np.ndarray]:
    study = load_study()
    proto = parse_protocol(study.section("protocol")["text"])
    out: dict[str, np.ndarray] = {}
    cells = {m: cell_from_study(study, m)[0] for m in ("dense", "nanoporous")}
    for mat, cell in cells.items():
        steps = proto.to_arrays(
            cell.area, cell.nominal_capacity_Ah, cell.counter_potential, None, cell.si_mass * 1e3
        )
        st, ts, cyc, last = simulate_arrays(cell, ModelOptions(), steps, record=True)
        out[f"reduced/{mat}/cycles"] = cyc
        out[f"reduced/{mat}/ts"] = ts[::TS_STRIDE]
        out[f"reduced/{mat}/meta"] = np.array([st, len(ts), last], dtype=np.float64)
    # one batch over both materials and every option switch
    dense = cells["dense"]
    steps = proto.to_arrays(
        dense.area, dense.nominal_capacity_Ah, dense.counter_potential, None, dense.si_mass * 1e3
    )
    opts = switched_options()
    batch = simulate_batch([dense] * len(opts), [steps] * len(opts), list(opts.values()))
    for i, name in enumerate(opts):
        out[f"batch/{name}/cycles"] = batch.raw[i, : batch.n_cycles[i]]
        out[f"batch/{name}/status"] = np.array([batch.status_code[i]], dtype=np.float64)
    for name in ("default", "damage=none", "side_reactions=none", "diffusion=radial"):
        o = opts[name]
        for nodes in (1, 8):
            r = simulate_resolved(
                dense,
                options=o,
                n_nodes=max(nodes, 2),
                uniform_reaction=nodes == 1,
                n_cycles=SHORT_CYCLES,
            )
            raw = r.cycles[
                ["Lithiation Capacity / Ah", "Delithiation Capacity / Ah", "Connected Fraction / 1"]
            ].to_numpy()
            out[f"resolved{nodes}/{name}/cycles"] = raw
            ts = r.timeseries[["Test Time / s", "Voltage / V", "Li per Si / 1"]].to_numpy()
            out[f"resolved{nodes}/{name}/ts"] = ts[::TS_STRIDE]
    return out


if __name__ == "__main__":
    data = compute()
    if "--write" in sys.argv:
        np.savez_compressed(PATH, **data)
        print(f"wrote {PATH} ({len(data)} arrays)")
