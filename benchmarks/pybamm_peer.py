"""PyBaMM side of sianode's speed benchmarks (run in the PyBaMM venv, called via subprocess).

Modes (all with IDAKLU, PyBaMM half-cell models, "working electrode": "positive"):

- ``spme``: SPMe with the options closest to sianode's reduced model with all mechanisms on
  (the anchor's ``mech_lam_sei`` preset): current-sigmoid OCP hysteresis, particle mechanics
  "swelling only" (no stress-induced diffusion), stress-driven LAM, reaction-limited SEI.
  The 50-cycle study protocol (3 cycles at 0.127 mA/cm2, 47 at 0.300 mA/cm2, 0.04-1.5 V vs
  Li, no rests). Timed in-process: model + Simulation + build_for_experiment + solve, one
  warm-up, then the median of ``--repeats`` runs.
- ``dfn``: the same with DFN.
- ``--once`` (spme/dfn): a single build + solve without warm-up, the whole-process peer of
  ``sianode simulate`` in ``bench_startup.py``.
- ``batch``: ``--n`` designs (particle radius swept linearly from 0.1 to 1.0 um) through
  ``pybamm.BatchStudy`` with DFN; total wall time, failures, peak RSS.

Cell and electrochemistry: the matching-physics parameter set of
``benchmarks/pybamm_reference.py`` (tests/data/pybamm/params.json), plus Si mechanics, LAM
and SEI parameters from the project's PyBaMM anchor (Bonkile2024 Si mechanics, PyBaMM's
generic reaction-limited SEI parameters from OKane2022).

Usage:
    PYBAMM_DISABLE_TELEMETRY=true benchmarks/.venv-pybamm/bin/python \
        benchmarks/pybamm_peer.py spme|dfn|batch [--n 100] [--repeats 5] [--json]

``--json`` prints one JSON object on stdout (the last line); all logging goes to stderr.

Notes (PyBaMM 26.10.1.1, 2-core machine, measured 2026-11):
- With the matching-physics cell (D = 1e-12 m2/s, R = 1 um) the particles are nearly
  uniform, so diffusion-induced stress, and with it stress-driven LAM, is negligible. The
  50-cycle "retention" of 0.62 is only the rate change from 1.27 to 3.0 A/m2. The
  mechanisms' equations are still solved (85 states in SPMe, 564 in DFN). To make the
  degradation active, use e.g. ``--diffusivity 3e-16 --radius 0.5e-6 --lam-beta 1.4866e-5``
  (DFN: retention 0.026).
- ``BatchStudy`` keeps every Simulation and solution in memory: peak RSS grows by about
  145 MiB per DFN design. n = 16 peaks at 2.5 GiB; n = 100 peaks at 14.2 GiB and takes
  about 380 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pybamm  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pybamm_reference as ref  # noqa: E402

N_CYCLES = 50
N_SLOW = 3
J_SLOW, J_FAST = 1.27, 3.0  # A/m2 (0.127 and 0.300 mA/cm2)

# PyBaMM options closest to sianode's reduced model with every mechanism on. Per-electrode
# options must be (Li counter, Si working) tuples in half-cell mode.
OPTIONS = {
    "working electrode": "positive",
    "open-circuit potential": ("single", "current sigmoid"),
    "particle mechanics": ("none", "swelling only"),
    "stress-induced diffusion": ("false", "false"),
    "loss of active material": ("none", "stress-driven"),
    "SEI": ("none", "reaction limited"),
}
MODELS = {"spme": pybamm.lithium_ion.SPMe, "dfn": pybamm.lithium_ion.DFN}
# PyBaMM's default stress-driven LAM rate (OKane2022 template). The anchor's calibrated
# 1.4866e-5 1/s was fitted for R = 0.5 um and c_max = 3.65e5; see --lam-beta.
DEFAULT_LAM_BETA = 2.7778e-07


def _silicon_volume_change(sto):
    omega = pybamm.Parameter("Positive electrode partial molar volume [m3.mol-1]")
    c_max = pybamm.Parameter("Maximum concentration in positive electrode [mol.m-3]")
    return omega * c_max * sto


def parameter_values(
    radius_m: float | None = None,
    lam_beta: float = DEFAULT_LAM_BETA,
    diffusivity: float | None = None,
):
    p = dict(ref.PARAMS)
    if radius_m is not None:
        p["particle_radius_m"] = radius_m
    if diffusivity is not None:
        p["diffusivity_m2_s"] = diffusivity
    pv = ref.parameter_values(p)
    pv.update(
        {
            # Si mechanics (Bonkile2024 silicon phase values, as in the anchor)
            "Positive electrode Poisson's ratio": 0.22,
            "Positive electrode Young's modulus [Pa]": 50e9,
            "Positive electrode reference concentration for free of deformation [mol.m-3]": 0.0,
            "Positive electrode partial molar volume [m3.mol-1]": 1.2e-5,
            "Positive electrode volume change": _silicon_volume_change,
            # stress-driven LAM: beta * (sigma_h / sigma_c)^m
            "Positive electrode LAM constant proportional term [s-1]": lam_beta,
            "Positive electrode LAM constant exponential term": 2.0,
            "Positive electrode critical stress [Pa]": 720e6,
            "Positive electrode reaction-driven LAM factor [m3.mol-1]": 0.0,
            # SEI: the template's generic reaction-limited parameters (no Arrhenius)
            "SEI growth activation energy [J.mol-1]": 0.0,
        },
        check_already_exists=False,
    )
    return pv


def experiment(n_cycles: int = N_CYCLES) -> pybamm.Experiment:
    p = ref.PARAMS
    lo, hi = p["cutoff_low_V"], p["cutoff_high_V"]
    q_ah = ref.theoretical_capacity_Ah(p)

    def cycle(j):
        i = j * p["area_m2"]
        lim = 1.5 * q_ah / i + 1.0  # h: explicit limit (PyBaMM's default 24 h is too short)
        return (
            f"Discharge at {i:.8g} A for {lim:.3g} hours or until {lo:g} V",
            f"Charge at {i:.8g} A for {lim:.3g} hours or until {hi:g} V",
        )

    n_slow = min(N_SLOW, n_cycles)
    return pybamm.Experiment([cycle(J_SLOW)] * n_slow + [cycle(J_FAST)] * (n_cycles - n_slow))


def solver() -> pybamm.IDAKLUSolver:
    return pybamm.IDAKLUSolver()  # PyBaMM defaults: rtol 1e-4, atol 1e-6


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cycle_summary(sol) -> dict:
    caps = []
    for cyc in sol.cycles:
        if cyc is None or len(cyc.steps) < 2:
            break
        q = [s["Discharge capacity [A.h]"].entries for s in cyc.steps[:2]]
        caps.append((float(q[0][-1] - q[0][0]) * 1e3, float(q[1][0] - q[1][-1]) * 1e3))
    out = {"cycles_completed": len(caps), "termination": str(sol.termination)}
    if caps:
        out.update(
            {
                "lith_mAh_c1": caps[0][0],
                "delith_mAh_c1": caps[0][1],
                "delith_mAh_last": caps[-1][1],
                "retention_delith_last_vs_c1": caps[-1][1] / caps[0][1] if caps[0][1] else None,
            }
        )
    return out


def run_once(
    model_key: str, radius_m=None, lam_beta=DEFAULT_LAM_BETA, diffusivity=None, n_cycles=N_CYCLES
):
    """Build + solve one 50-cycle run; returns (timings, solution or None, error)."""
    t0 = time.perf_counter()
    model = MODELS[model_key](OPTIONS)
    sim = pybamm.Simulation(
        model,
        parameter_values=parameter_values(radius_m, lam_beta, diffusivity),
        experiment=experiment(n_cycles),
        solver=solver(),
    )
    sim.build_for_experiment()
    t1 = time.perf_counter()
    sol, err = None, None
    try:
        sol = sim.solve(calc_esoh=False)
    except Exception as e:  # PyBaMM SolverError etc.: record, do not crash the harness
        err = f"{type(e).__name__}: {e}"[:500]
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "solve_s": t2 - t1, "total_s": t2 - t0}, sol, err


def bench_single(
    model_key: str, repeats: int, lam_beta: float, radius_m=None, diffusivity=None
) -> dict:
    t_warm, sol, err = run_once(model_key, radius_m, lam_beta, diffusivity)  # warm-up
    runs = []
    for _ in range(repeats):
        t, sol, err = run_once(model_key, radius_m, lam_beta, diffusivity)
        runs.append(t)
    out = {
        "tool": "pybamm",
        "mode": model_key,
        "model": MODELS[model_key].__name__,
        "pybamm_version": pybamm.__version__,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in OPTIONS.items()},
        "solver": "IDAKLUSolver(rtol=1e-4, atol=1e-6)",
        "cycles_requested": N_CYCLES,
        "particle_radius_m": radius_m or ref.PARAMS["particle_radius_m"],
        "lam_beta_s-1": lam_beta,
        "diffusivity_m2_s": diffusivity or ref.PARAMS["diffusivity_m2_s"],
        "repeats": repeats,
        "warmup_total_s": t_warm["total_s"],
        "build_s_median": statistics.median(r["build_s"] for r in runs),
        "solve_s_median": statistics.median(r["solve_s"] for r in runs),
        "total_s_median": statistics.median(r["total_s"] for r in runs),
        "total_s_all": [r["total_s"] for r in runs],
        "peak_rss_MiB": peak_rss_mib(),
        "error": err,
    }
    if sol is not None:
        out["n_states"] = int(sol.all_ys[0].shape[0])
        out.update(cycle_summary(sol))
    return out


def bench_batch(n: int, lam_beta: float, n_cycles: int = N_CYCLES, diffusivity=None) -> dict:
    radii = np.linspace(0.1e-6, 1.0e-6, n)
    pvs = {
        f"R{i:03d}_{r * 1e6:.4f}um": parameter_values(float(r), lam_beta, diffusivity)
        for i, r in enumerate(radii)
    }
    names = list(pvs)
    exp = experiment(n_cycles)
    model = pybamm.lithium_ion.DFN(OPTIONS)
    rows: dict[str, dict] = {}
    t0 = time.perf_counter()
    start = 0
    # BatchStudy solves sequentially and stops at the first exception: on a failure, record
    # it and start a new BatchStudy with the remaining designs.
    while start < len(names):
        todo = names[start:]
        batch = pybamm.BatchStudy(
            models={"DFN": model},
            experiments={"study50": exp},
            parameter_values={k: pvs[k] for k in todo},
            solvers={"idaklu": solver()},
            permutations=True,
        )
        try:
            batch.solve(calc_esoh=False)
            done = len(todo)
            failed_name = None
        except Exception as e:
            done = len(batch.sims)
            failed_name = todo[done]
            rows[failed_name] = {"error": f"{type(e).__name__}: {e}"[:300]}
        for name, sim in zip(todo[:done], batch.sims, strict=False):
            rows[name] = cycle_summary(sim.solution)
        start += done + (1 if failed_name else 0)
        del batch
    total = time.perf_counter() - t0
    n_err = sum(1 for r in rows.values() if "error" in r)
    n_short = sum(1 for r in rows.values() if r.get("cycles_completed", 0) < n_cycles)
    return {
        "tool": "pybamm",
        "mode": "batch",
        "model": "DFN",
        "pybamm_version": pybamm.__version__,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in OPTIONS.items()},
        "solver": "IDAKLUSolver(rtol=1e-4, atol=1e-6)",
        "n_designs": n,
        "sweep": "particle radius linspace(0.1, 1.0, n) um",
        "cycles_requested": n_cycles,
        "lam_beta_s-1": lam_beta,
        "diffusivity_m2_s": diffusivity or ref.PARAMS["diffusivity_m2_s"],
        "total_wall_s": total,
        "wall_per_design_s": total / n,
        "failures_exception": n_err,
        "failures_incomplete": n_short,
        "completed_all_cycles": n - n_short,
        "peak_rss_MiB": peak_rss_mib(),
        "designs": rows,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="PyBaMM timings for sianode's benchmarks")
    ap.add_argument("mode", choices=["spme", "dfn", "batch"])
    ap.add_argument("--n", type=int, default=16, help="designs in the batch")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats (spme/dfn)")
    ap.add_argument("--lam-beta", type=float, default=DEFAULT_LAM_BETA)
    ap.add_argument("--radius", type=float, default=None, help="particle radius [m] (spme/dfn)")
    ap.add_argument(
        "--diffusivity", type=float, default=None, help="Si diffusivity [m2/s] (default 1e-12)"
    )
    ap.add_argument("--cycles", type=int, default=N_CYCLES, help="batch only")
    ap.add_argument(
        "--once",
        action="store_true",
        help="spme/dfn: one build + solve, no warm-up, as a user's script runs it "
        "(for whole-process timing, benchmarks/bench_startup.py)",
    )
    ap.add_argument("--json", action="store_true", help="print a single JSON object")
    a = ap.parse_args(argv)
    pybamm.set_logging_level("ERROR")
    if a.mode == "batch":
        res = bench_batch(a.n, a.lam_beta, a.cycles, a.diffusivity)
    elif a.once:
        t, sol, err = run_once(a.mode, a.radius, a.lam_beta, a.diffusivity)
        res = {"tool": "pybamm", "mode": a.mode, **t, "error": err}
        if sol is not None:
            res.update(cycle_summary(sol))
    else:
        res = bench_single(a.mode, a.repeats, a.lam_beta, a.radius, a.diffusivity)
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            if k != "designs":
                print(f"{k:32s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
