"""Prior-band benchmark (issue 14 F): wall time and samples per second.

Two cases, both with the cache off and after a warm-up that loads the compiled batch
kernel (compilation, ~15-20 s once per install, is not counted):

1. ``shipped``: the priors of ``data/priors.toml`` exactly as ``sianode reproduce`` runs
   them (``--samples``, default 1000, rounded up to the Saltelli design's N (D + 2)). With
   today's model most samples cannot start (issue 14 item 1), and a sample that cannot
   start costs one simulation, so this case is cheap and says little about the
   calibration.
2. ``calibrating``: the same design size, with the inputs that decide whether a cell can
   start at all (conductivity, Bruggeman exponent, k0, contact coverage, c-Si plateau,
   Li-In potential and exchange current, composite density, particle radii, porosity, interphase conductivity)
   held at the study's values and the others sampled: nearly every sample calibrates,
   which is the cost the band will have once the cells start (the lead's physics fixes).

Peer: what a user would otherwise write, one ``calibrate_dense`` (scipy brentq) plus one
``predict`` per sample, timed on ``--peer-samples`` rows of case 2's design (spread evenly)
and extrapolated.

Usage::

    .venv/bin/python benchmarks/bench_band.py [--samples 1000] [--peer-samples 20]
        [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

HELD = {
    "conductivity",
    "bruggeman",
    "k0",
    "contact_coverage",
    "c_si_plateau",
    "counter_potential",
    "composite_relative_density",
    "particle_radius[dense]",
    "particle_radius[nanoporous]",
    "porosity[nanoporous]",
    "interphase_conductivity",
    "counter_i0",
}


def calibrating_priors():
    """Shipped priors with the start-deciding inputs collapsed to the study's values."""
    from sianode.simulation.cells import cell_from_study
    from sianode.uncertainty.priors import collapse, load_priors

    cells = {m: cell_from_study(None, m)[0] for m in ("dense", "nanoporous")}
    out = []
    for p in load_priors():
        if p.label in HELD:
            cell = cells[p.materials[0] if p.materials else "dense"]
            value = 0.85 if p.key == "composite_relative_density" else getattr(cell, p.key)
            out.append(collapse([p], {p.label: value})[0])
        else:
            out.append(p)
    return out


def run(priors, n: int) -> dict:
    from sianode.uncertainty import prediction_band

    t, c = time.perf_counter(), time.process_time()
    res = prediction_band(priors=priors, n_samples=n, cache=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    q5, q50, q95 = res.quantiles_pct()
    return {
        "samples": res.samples,
        "failed": res.failed,
        "simulations": res.simulations,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),  # all threads: the wall time of a quiet 2-core machine ~ cpu / 2
        "samples_per_s": round(res.samples / wall, 1),
        "simulations_per_s": round(res.simulations / wall, 1),
        "median_pct": q50,
        "band_pct": [q5, q95],
    }


def peer(priors, n: int, n_design: int) -> dict:
    """One brentq calibration and one prediction per sample (the scalar path)."""
    import numpy as np

    from sianode.calibration import calibrate_dense, predict
    from sianode.errors import CalculationError
    from sianode.study import load_study
    from sianode.uncertainty.band import _bases, _cells_for_sample
    from sianode.uncertainty.sensitivity import saltelli_design

    study = load_study()
    active = [p for p in priors if not p.pending]
    U, _ = saltelli_design(active, n_design)  # the band's own design, rows spread evenly
    U = U[np.linspace(0, len(U) - 1, n).astype(int)]
    X = np.column_stack([p.ppf(U[:, j]) for j, p in enumerate(active)])
    bases = _bases(study, ("dense", "nanoporous"))
    failed = 0
    t = time.perf_counter()
    for x in X:
        cells = _cells_for_sample(study, dict(zip(active, x)), bases)
        d, p = cells["dense"], cells["nanoporous"]
        # every sampled field as an override of the scalar functions
        over = {k: getattr(d, k) for k in ("k0", "oxide_thickness", "breathing_factor")}
        over |= {k: getattr(d, k) for k in ("interphase_first_thickness", "strain_threshold")}
        over |= {k: getattr(d, k) for k in ("hysteresis_rate", "diffusivity", "counter_i0")}
        over |= {"activation_energy": d.activation_energy}
        try:
            cal = calibrate_dense(study, damage_exponent=d.damage_exponent, **over)
        except CalculationError:
            failed += 1  # counted, as the band does; the time spent finding out counts too
            continue
        predict(
            cal,
            study,
            "nanoporous",
            record=False,
            usable_pore_fraction=p.usable_pore_fraction,
            **over,
        )
    per = (time.perf_counter() - t) / n
    return {"samples": n, "failed": failed, "s_per_sample": round(per, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--peer-samples", type=int, default=20)
    ap.add_argument("--json-out", default=None)
    a = ap.parse_args()
    from sianode.uncertainty import load_priors

    run(calibrating_priors(), 8)  # warm-up: loads (or compiles) the batch kernel
    shipped = run(load_priors(), a.samples)
    cal_priors = calibrating_priors()
    calibrating = run(cal_priors, a.samples)
    pe = peer(cal_priors, a.peer_samples, a.samples)
    ratio = pe["s_per_sample"] * calibrating["samples"] / calibrating["wall_s"]
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}",
        "shipped": shipped,
        "calibrating": calibrating,
        "peer_scalar_path": pe,
        "ratio_vs_scalar_path": round(ratio, 1),
    }
    print(json.dumps(out, indent=2))
    for name in ("shipped", "calibrating"):
        r = out[name]
        print(
            f"{name}: {r['samples']} samples ({r['failed']} failed), {r['simulations']} "
            f"simulations in {r['wall_s']} s = {r['samples_per_s']} samples/s "
            f"(CPU {r['cpu_s']} s over both threads)"
        )
    print(
        f"scalar path (brentq + predict per sample): {pe['s_per_sample']} s/sample -> "
        f"band is {out['ratio_vs_scalar_path']}x faster"
    )
    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
