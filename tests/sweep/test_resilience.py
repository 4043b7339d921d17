"""Resilience: a dask worker killed mid-run, a driver killed with SIGKILL mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sianode.sweep.engines import run_sweep
from sianode.sweep.spec import parse_spec
from sianode.sweep.store import read_results


def _assert_exactly_once(out: Path, spec) -> pd.DataFrame:
    parts = sorted((out / "results").glob("part-*.parquet"))
    raw = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    counts = raw["design_id"].value_counts()
    assert counts.max() == 1, f"duplicated designs: {counts[counts > 1].index.tolist()}"
    assert set(raw["design_id"]) == set(spec.designs()["design_id"])
    return raw


@pytest.mark.slow
def test_dask_worker_killed_mid_run(tmp_path, slow_spec_text):
    distributed = pytest.importorskip("distributed")
    spec = parse_spec(slow_spec_text.format(cycles=12))
    n = len(spec.designs())
    assert n == 24
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    killed: dict[str, int] = {}
    pids = client.run(os.getpid)

    def progress(p):
        if killed:
            return
        # kill a worker that holds work right now (the other one if none does)
        busy = [w for w, keys in client.processing().items() if keys]
        victim = busy[0] if busy else sorted(pids)[0]
        os.kill(pids[victim], signal.SIGKILL)
        killed[victim] = p.done

    try:
        summary = run_sweep(
            spec, tmp_path / "d", engine="dask", client=client, chunk_size=2, progress=progress
        )
    finally:
        client.close()
        cluster.close()
    assert killed, "no worker was killed"
    assert list(killed.values())[0] < n, "the kill came after the end of the run"
    assert summary.lost == 0 and summary.complete
    raw = _assert_exactly_once(tmp_path / "d", spec)
    assert len(raw) == n
    # same numbers as the in-process engine
    run_sweep(spec, tmp_path / "b", engine="batch")
    a = read_results(tmp_path / "b").set_index("design_id").sort_index()
    b = read_results(tmp_path / "d").set_index("design_id").sort_index()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_driver_sigkill_then_rerun_completes(tmp_path, slow_spec_text):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(slow_spec_text.format(cycles=20))
    spec = parse_spec(spec_path.read_text())
    n = len(spec.designs())
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "sianode.cli",
        "sweep",
        str(spec_path),
        "--out",
        str(out),
        "--chunk-size",
        "1",
        "--no-report",
        "--quiet",
    ]
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results = out / "results"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if results.is_dir() and len(list(results.glob("part-*.parquet"))) >= 3:
                break
            if proc.poll() is not None:
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    parts = list(results.glob("part-*.parquet"))
    assert 1 <= len(parts) < n, f"kill did not land mid-run ({len(parts)} of {n} parts)"
    for p in parts:  # every file that looks finished is readable
        pq.read_table(p)
    before = {
        i for p in parts for i in pq.read_table(p, columns=["design_id"]).column(0).to_pylist()
    }
    summary = run_sweep(spec, out, engine="batch", chunk_size=4)
    assert summary.already_done == len(before)
    assert summary.computed == n - len(before)
    assert summary.complete
    assert not list(results.glob(".tmp-*"))
    _assert_exactly_once(out, spec)


@pytest.mark.slow
def test_processes_worker_killed_mid_run(tmp_path, slow_spec_text):
    """A pool process killed mid-run breaks the pool; the engine rebuilds it and resubmits."""
    import multiprocessing

    spec = parse_spec(slow_spec_text.format(cycles=12))
    killed: list[int] = []

    def progress(p):
        if killed:
            return
        kids = multiprocessing.active_children()
        if kids:
            os.kill(kids[0].pid, signal.SIGKILL)
            killed.append(p.done)

    summary = run_sweep(
        spec, tmp_path / "p", engine="processes", workers=2, chunk_size=2, progress=progress
    )
    assert killed and killed[0] < len(spec.designs())
    assert summary.complete and summary.lost == 0
    _assert_exactly_once(tmp_path / "p", spec)


@pytest.mark.slow
def test_cli_dask_existing_scheduler(tmp_path, capsys):
    """``sianode sweep --engine dask --scheduler tcp://...`` on an already running cluster."""
    import json

    distributed = pytest.importorskip("distributed")
    from sianode.cli import main

    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(
        "[sweep]\ncycles = 4\n[fixed]\nbeta = 0.005\n"
        "[parameters.porosity]\nvalues = [0.0, 0.2, 0.4, 0.6]\n"
        "[parameters.current_density]\nvalues = [0.3, 0.6]\n"
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        argv = [
            "sweep",
            str(spec_path),
            "--out",
            str(tmp_path / "o"),
            "--engine",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
            "--chunk-size",
            "3",
            "--json",
            "--no-report",
        ]
        assert main(argv) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["engine"] == "dask" and s["computed"] == 8 and s["lost"] == 0
    assert len(read_results(tmp_path / "o")) == 8
