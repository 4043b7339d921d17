"""Design-sweep benchmarks (issue 8): batch engine at scale, Dask scaling, PyBaMM BatchStudy peer.

Measured end to end with :func:`sianode.sweep.engines.run_sweep`: spec -> designs -> chunks ->
simulation -> Parquet files on disk (one per chunk, atomic writes) -> summary. A warm-up
run before each timing loads (or compiles) the numba kernel in every process, so the timings
exclude compilation.

1. ``batch``: N designs (default 10,000) x 50 study cycles with the in-process batch engine.
   Designs: a 10 x 10 x 10 x 10 grid around the study's nanoporous-Si cell (porosity 0-0.7,
   secondary radius 0.3-2.5 um log-spaced, lithiation capacity limit 1000-3500 mAh/g,
   cycling current density 0.127-1.0 mA/cm2). 1,000 designs are timed first; if they
   extrapolate to more than ``--budget`` seconds the full run is skipped and the
   extrapolation is reported instead.
2. ``dask``: a 10 x 10 x 5 x 4 = 2,000-design grid over the same ranges on a LocalCluster
   with 1 worker x 1 thread and with 2 workers x 1 thread (processes); speed-up = t1 / t2.
   The scheduler and the driver (which writes the Parquet files) share the machine.
3. ``peer``: the 100 designs of ``benchmarks/pybamm_peer.py batch`` (dense Si, particle
   radius linspace(0.1, 1.0, 100) um, 50 study cycles) through the sianode batch engine, and
   the same sweep through PyBaMM's BatchStudy (DFN with its closest options, IDAKLU) in
   ``benchmarks/.venv-pybamm`` if that venv exists (or read from ``--peer-json``).

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--designs 10000] [--dask-chunk 100]
        [--budget 600] [--peer-json FILE | --no-peer] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_PY = HERE / ".venv-pybamm" / "bin" / "python"


def _beta() -> tuple[float, str]:
    try:
        from sianode.calibration import calibrate_dense

        return float(calibrate_dense().value), "sianode.calibration.calibrate_dense()"
    except Exception as exc:  # pragma: no cover - depends on the checkout
        return 0.00458, f"fixed 0.00458 (calibration unavailable: {exc})"


def grid_spec(beta: float, cycles: int = 50, n: tuple[int, int, int, int] = (10, 10, 10, 10)):
    from sianode.sweep.spec import parse_spec

    return parse_spec(
        f"""
[sweep]
name = "bench: np-Si {"x".join(map(str, n))}"
material = "nanoporous"
cycles = {cycles}
[fixed]
beta = {beta!r}
[parameters.porosity]
min = 0.0
max = 0.7
n = {n[0]}
[parameters.particle_radius]
min = "0.3 um"
max = "2.5 um"
n = {n[1]}
scale = "log"
[parameters.lithiation_capacity_limit]
min = "1000 mAh/g"
max = "3500 mAh/g"
n = {n[2]}
[parameters.current_density]
min = "0.127 mA/cm2"
max = "1.0 mA/cm2"
n = {n[3]}
[outputs]
retention_at = [{cycles}]
capacity_at = [1]
"""
    )


def peer_spec(beta: float, n: int = 100):
    from sianode.sweep.spec import parse_spec

    return parse_spec(
        f"""
[sweep]
name = "bench: PyBaMM BatchStudy peer (radius sweep)"
material = "dense"
cycles = 50
[fixed]
beta = {beta!r}
[parameters.particle_radius]
min = "0.1 um"
max = "1.0 um"
n = {n}
[outputs]
retention_at = [50]
capacity_at = [1]
"""
    )


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_s() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(spec, engine: str, limit: int | None = None, **kw) -> dict:
    from sianode.sweep.engines import run_sweep

    client = kw.get("client")
    w0 = client.run(time.process_time) if client is not None else {}
    with tempfile.TemporaryDirectory() as tmp:
        load0 = _load()
        c0 = _cpu_s()
        t0 = time.perf_counter()
        s = run_sweep(spec, Path(tmp) / "out", engine=engine, limit=limit, **kw)
        wall = time.perf_counter() - t0
        driver_cpu = _cpu_s() - c0
        size = sum(p.stat().st_size for p in (Path(tmp) / "out" / "results").glob("*.parquet"))
    extra = {}
    if client is not None:
        w1 = client.run(time.process_time)
        extra["worker_cpu_s"] = [round(w1[k] - w0.get(k, 0.0), 3) for k in sorted(w1)]
    return {
        "driver_cpu_s": driver_cpu,
        **extra,
        "designs": s.computed,
        "seconds": wall,
        "designs_per_s": s.computed / wall,
        "status_counts": s.status_counts,
        "chunks": s.n_chunks,
        "parquet_bytes": size,
        "load_before": load0,
        "load_after": _load(),
    }


def bench_batch(beta: float, n: int, budget: float) -> dict:
    spec = grid_spec(beta)
    _timed(spec, "batch", limit=64)  # warm-up: load/compile the kernel
    first = _timed(spec, "batch", limit=min(1000, n))
    est = first["seconds"] * n / first["designs"]
    out = {"first_1000": first, "extrapolated_s": est, "n_requested": n}
    if n > first["designs"] and est <= budget:
        out["full"] = _timed(spec, "batch", limit=n)
    elif n > first["designs"]:
        out["full"] = None
        out["note"] = f"full run skipped: 1,000 designs extrapolate to {est:.0f} s > {budget:.0f} s"
    else:
        out["full"] = first
    return out


def bench_dask(beta: float, chunk: int = 100, repeats: int = 3) -> dict:
    """1 vs 2 workers (1 thread each) on a 10 x 10 x 5 x 4 = 2,000-design grid; median of
    ``repeats`` runs each."""
    from distributed import Client, LocalCluster

    spec = grid_spec(beta, n=(10, 10, 5, 4))
    res: dict = {
        "grid": "10 porosity x 10 radius x 5 capacity limits x 4 current densities",
        "chunk_size": chunk,
    }
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            _timed(spec, "dask", limit=4 * workers, client=client, chunk_size=1)  # warm-up
            runs = [_timed(spec, "dask", client=client, chunk_size=chunk) for _ in range(repeats)]
            runs.sort(key=lambda r: r["seconds"])
            best = dict(runs[len(runs) // 2])  # the median run
            best["all_seconds"] = [r["seconds"] for r in runs]
            res[f"{workers}_worker"] = best
    res["speedup_2_vs_1"] = res["1_worker"]["seconds"] / res["2_worker"]["seconds"]
    return res


def bench_peer(beta: float, peer_json: str | None, run_peer: bool) -> dict:
    spec = peer_spec(beta)
    _timed(spec, "batch", limit=4)  # warm-up
    ours = _timed(spec, "batch")
    out: dict = {"sianode": ours}
    peer = None
    if peer_json:
        txt = Path(peer_json).read_text().strip().splitlines()[-1]
        peer = json.loads(txt)
        out["pybamm_source"] = f"read from {peer_json}"
    elif run_peer and PEER_PY.exists():
        env = dict(os.environ, PYBAMM_DISABLE_TELEMETRY="true")
        t0 = time.perf_counter()
        p = subprocess.run(
            [str(PEER_PY), str(HERE / "pybamm_peer.py"), "batch", "--n", "100", "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        out["pybamm_subprocess_s"] = time.perf_counter() - t0
        if p.returncode == 0:
            peer = json.loads(p.stdout.strip().splitlines()[-1])
            out["pybamm_source"] = "run now"
        else:
            out["pybamm_error"] = p.stderr[-2000:]
    else:
        out["pybamm_source"] = (
            "not run: benchmarks/.venv-pybamm does not exist"
            if not PEER_PY.exists()
            else "not run (--no-peer)"
        )
    if peer is not None:
        out["pybamm"] = peer
        t_peer = peer.get("total_wall_s") or peer.get("total_s") or peer.get("seconds")
        if t_peer:
            out["ratio_pybamm_over_sianode"] = float(t_peer) / ours["seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=10_000)
    ap.add_argument("--dask-chunk", type=int, default=100, help="designs per dask task")
    ap.add_argument("--dask-repeats", type=int, default=3)
    ap.add_argument(
        "--budget", type=float, default=600.0, help="max seconds for the full batch run"
    )
    ap.add_argument("--peer-json", default=None, help="reuse a pybamm_peer.py batch --json output")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: batch,dask,peer")
    ap.add_argument("--json-out", default=None)
    a = ap.parse_args(argv)
    skip = {s for s in a.skip.split(",") if s}
    import numba

    beta, beta_src = _beta()
    res: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "load_at_start": _load(),
        },
        "beta": beta,
        "beta_source": beta_src,
    }
    if "batch" not in skip:
        res["batch"] = bench_batch(beta, a.designs, a.budget)
        print(json.dumps({"batch": res["batch"]}, indent=1), file=sys.stderr)
    if "dask" not in skip:
        res["dask"] = bench_dask(beta, a.dask_chunk, a.dask_repeats)
        print(json.dumps({"dask": res["dask"]}, indent=1), file=sys.stderr)
    if "peer" not in skip:
        res["peer"] = bench_peer(beta, a.peer_json, not a.no_peer)
        print(json.dumps({"peer": res["peer"]}, indent=1, default=str), file=sys.stderr)
    text = json.dumps(res, indent=1, default=str)
    if a.json_out:
        Path(a.json_out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
