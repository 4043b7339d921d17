"""Sweeps under infrastructure faults (issue 16, "Sweeps"): a dask cluster that loses every
worker, a SIGKILLed driver of the processes engine, a full or failing disk, a truncated
results file. Each keeps every finished result, says what happened in one line, and
resumes."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sianode.errors import SianodeError
from sianode.sweep.engines import run_sweep
from sianode.sweep.spec import parse_spec
from sianode.sweep.store import read_results


def _exactly_once(out: Path, spec) -> pd.DataFrame:
    parts = sorted((out / "results").glob("part-*.parquet"))
    raw = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    assert raw["design_id"].is_unique, "a design was written twice"
    assert set(raw["design_id"]) == set(spec.designs()["design_id"])
    return raw


def _tmp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob(".tmp-*")]


# ----------------------------------------------------------------------- dask worker storm


@pytest.mark.slow
def test_dask_without_workers_stops_keeps_results_and_resumes(tmp_path, slow_spec_text):
    """Every worker gone: the driver waited forever in as_completed (no timeout). Now it
    stops after worker_timeout with one line; a resume computes the rest."""
    distributed = pytest.importorskip("distributed")
    spec = parse_spec(slow_spec_text.format(cycles=8))
    out = tmp_path / "d"
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    box: dict[str, object] = {}

    def progress(p):
        if "scaled" not in box:
            box["scaled"] = p.done
            cluster.scale(0)  # every worker leaves; none comes back

    def drive():
        try:
            box["summary"] = run_sweep(
                spec,
                out,
                engine="dask",
                client=client,
                chunk_size=1,
                progress=progress,
                worker_timeout=2.0,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            box["error"] = exc

    t0 = time.monotonic()
    th = threading.Thread(target=drive, daemon=True)
    th.start()
    th.join(timeout=90)
    try:
        assert not th.is_alive(), "the driver still waits with zero workers after 90 s"
    finally:
        client.close()
        cluster.close()
    err = box.get("error")
    assert isinstance(err, SianodeError), f"expected a one-line sweep error, got {err!r}"
    msg = str(err)
    assert "\n" not in msg and "no worker" in msg and "--resume" in msg, msg
    assert time.monotonic() - t0 < 60
    saved = read_results(out)
    assert 1 <= len(saved) < len(spec.designs())
    assert f"{len(saved)} of {len(spec.designs())} designs are saved" in msg
    s = run_sweep(spec, out, engine="batch")
    assert s.already_done == len(saved) and s.complete
    _exactly_once(out, spec)


def test_unreachable_scheduler_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    spec = parse_spec("[sweep]\ncycles = 3\n[parameters.porosity]\nvalues = [0.0, 0.2]\n")
    with pytest.raises(SianodeError, match="--scheduler tcp://127.0.0.1:9: cannot connect"):
        run_sweep(
            spec, tmp_path / "o", engine="dask", scheduler="tcp://127.0.0.1:9", worker_timeout=2
        )


# ----------------------------------------------------------------------- orphaned workers


def _children(pid: int) -> list[int]:
    """Live (non-zombie) processes whose parent is ``pid``."""
    kids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(d.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_processes_workers_exit_when_the_driver_is_sigkilled(tmp_path, slow_spec_text):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(slow_spec_text.format(cycles=40))
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        from sianode.sweep.engines import run_sweep
        from sianode.sweep.spec import load_spec
        run_sweep(load_spec({str(spec_path)!r}), {str(out)!r}, engine="processes",
                  workers=2, chunk_size=1)
        """
    )
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    driver = subprocess.Popen([sys.executable, "-c", script], env=env, stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and driver.poll() is None:
            parts = list((out / "results").glob("part-*.parquet")) if out.exists() else []
            workers = [k for k in _children(driver.pid) if _is_pool_worker(k)]
            if parts and len(workers) == 2:
                break
            time.sleep(0.05)
        assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
        assert len(workers) == 2, "pool workers not found"
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} outlived their SIGKILLed driver"
    finally:
        if driver.poll() is None:
            driver.kill()
        for w in workers:  # clean up after a failure: only the workers this test started
            if _alive(w):
                os.kill(w, signal.SIGKILL)
    s = run_sweep(parse_spec(spec_path.read_text()), out, engine="batch")
    assert s.complete and s.already_done >= 1


def _is_pool_worker(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"spawn_main" in cmd and b"resource_tracker" not in cmd


# ----------------------------------------------------------------------- disk full


def _full_after(monkeypatch, n_ok: int) -> list[int]:
    """Make Parquet writes fail like a full disk after ``n_ok`` successful ones: half of the
    file is written, then ENOSPC (the store writes through pyarrow.parquet.write_table)."""
    real = pq.write_table
    calls: list[int] = []

    def write_table(table, where, *args, **kwargs):
        calls.append(1)
        if len(calls) <= n_ok:
            return real(table, where, *args, **kwargs)
        where.write(b"PAR1" + b"\0" * 4096)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pq, "write_table", write_table)
    return calls


def test_disk_full_mid_run_one_line_nothing_lost_resume(tmp_path, monkeypatch, capsys):
    from sianode.cli import main

    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(
        "[sweep]\nmaterial = 'nanoporous'\ncycles = 3\n[fixed]\nbeta = 0.005\n"
        "[parameters.porosity]\nvalues = [0.0, 0.2, 0.4, 0.6]\n"
        "[parameters.current_density]\nvalues = [0.3, 0.6]\n"
    )
    spec = parse_spec(spec_path.read_text())
    out = tmp_path / "out"
    argv = ["sweep", str(spec_path), "--out", str(out), "--chunk-size", "2", "--quiet"]
    argv += ["--no-report"]
    # designs.parquet and two chunks fit; the third chunk hits a full disk
    _full_after(monkeypatch, 3)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "No space left on device" in err and "part-" in err and "--resume" in err
    assert "4 of 8 designs are saved" in err
    assert not _tmp_files(out)
    assert len(read_results(out)) == 4
    meta_before = (out / "sweep.json").read_bytes()
    mtime_before = (out / "sweep.json").stat().st_mtime_ns
    # still full: a resume fails at its first chunk, without touching sweep.json
    monkeypatch.undo()
    _full_after(monkeypatch, 0)
    assert main([*argv, "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left" in err, err
    assert (out / "sweep.json").read_bytes() == meta_before
    assert (out / "sweep.json").stat().st_mtime_ns == mtime_before
    assert not _tmp_files(out)
    # space again: the resume completes, every design exactly once
    monkeypatch.undo()
    assert main([*argv, "--resume"]) == 0
    _exactly_once(out, spec)


def test_output_not_writable_is_one_line(tmp_path, capsys):
    from sianode.cli import main

    spec_path = tmp_path / "spec.toml"
    spec_path.write_text("[sweep]\ncycles = 3\n[parameters.porosity]\nvalues = [0.0, 0.2]\n")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["sweep", str(spec_path), "--out", str(blocker / "out"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "cannot create" in err, err


def test_resume_flag_needs_a_sweep(tmp_path, capsys):
    from sianode.cli import main

    spec_path = tmp_path / "spec.toml"
    spec_path.write_text("[sweep]\ncycles = 3\n[parameters.porosity]\nvalues = [0.0, 0.2]\n")
    code = main(["sweep", str(spec_path), "--out", str(tmp_path / "none"), "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "--resume" in err and "no sweep to continue" in err, err
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_real_full_tmpfs(tmp_path):
    """A real full filesystem: a 64 KiB tmpfs in a user + mount namespace (no root needed
    where unprivileged user namespaces are allowed)."""
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace: {probe.stderr.decode()[:200]}")
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(
        "[sweep]\nmaterial = 'nanoporous'\ncycles = 3\n[fixed]\nbeta = 0.005\n"
        "[parameters.porosity]\nvalues = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]\n"
        "[parameters.current_density]\nvalues = [0.2, 0.3, 0.6, 1.0]\n"
    )
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    copy = tmp_path / "copy"
    sweep = f"{sys.executable} -m sianode.cli sweep {spec_path} --out {mnt}/o --chunk-size 1 -q"
    script = (
        f"mount -t tmpfs -o size=64k tmpfs {mnt} && "
        f"{{ {sweep} --no-report 2> {tmp_path}/err; echo $? > {tmp_path}/rc; }}; "
        f"ls -a {mnt}/o {mnt}/o/results > {tmp_path}/ls; cp -a {mnt}/o {copy}"
    )
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    subprocess.run(["unshare", "-rm", "sh", "-c", script], env=env, check=True, timeout=300)
    err = (tmp_path / "err").read_text().strip()
    assert (tmp_path / "rc").read_text().strip() == "2", err
    assert len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert ".tmp-" not in (tmp_path / "ls").read_text()
    spec = parse_spec(spec_path.read_text())
    saved = read_results(copy)
    assert 1 <= len(saved) < len(spec.designs())
    s = run_sweep(spec, copy, engine="batch")
    assert s.already_done == len(saved) and s.complete
    _exactly_once(copy, spec)


# ----------------------------------------------------------------------- truncated part


def test_sweep_report_names_a_truncated_part_and_reports_the_rest(tmp_path, capsys):
    from sianode.cli import main

    spec = parse_spec(
        "[sweep]\nmaterial = 'nanoporous'\ncycles = 3\n[fixed]\nbeta = 0.005\n"
        "[parameters.porosity]\nvalues = [0.0, 0.2, 0.4, 0.6]\n"
        "[parameters.particle_radius]\nvalues = ['0.5 um', '1 um']\n"
    )
    out = tmp_path / "o"
    run_sweep(spec, out, chunk_size=2)
    parts = sorted((out / "results").glob("part-*.parquet"))
    bad = parts[1]
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    assert main(["sweep-report", str(out)]) == 0
    cap = capsys.readouterr()
    assert bad.name in cap.err and "unreadable" in cap.err
    assert "6 of 8 designs" in cap.out
    html = (out / "report" / "index.html").read_text()
    assert bad.name in html and "6 of 8 designs" in html
    # a re-run recomputes the two designs of the bad part
    s = run_sweep(spec, out)
    assert s.computed == 2 and s.complete


# ----------------------------------------------------------------------- failures reported


def test_report_counts_failures_with_reasons(tmp_path, capsys):
    """Designs that did not complete are counted with their reason and where they occur, in
    the report and on the console. Invalid porosities are put into the parsed table (the
    CLI would refuse them) so that the failures do not depend on the simulator's physics."""
    from sianode.cli import main

    spec = parse_spec(
        "[sweep]\nmaterial = 'nanoporous'\ncycles = 3\n[fixed]\nbeta = 0.005\n"
        "[table]\ncolumns = ['porosity']\nrows = [[0.0], [0.3], [0.5], [0.6]]\n"
        "[parameters.current_density]\nvalues = [0.3, 0.6]\n"
    )
    spec.table.loc[[2, 3], "porosity"] = [1.5, 2.0]
    out = tmp_path / "o"
    run_sweep(spec, out, validate=False)
    res = read_results(out)
    bad = res[res["status"] != "completed"]
    assert len(bad) == 4 and set(bad["status"]) == {"invalid"}
    assert main(["sweep-report", str(out)]) == 0
    console = capsys.readouterr().out
    assert "8 of 8 designs; 4 did not complete" in console
    for reason in bad["error"].unique():
        n = int((bad["error"] == reason).sum())
        assert f"{n} designs invalid: {reason}" in console
    html = (out / "report" / "index.html").read_text()
    assert "4 of 8 designs did not complete" in html
    assert "Designs that did not complete (4)" in html


def test_failure_table_says_where_failures_lie():
    """Hand-built: 'cannot_start' at r = 5 for every porosity and at r = 2.5 only for
    porosity 0; the current (failing at all of its values) is not named."""
    from sianode.sweep.analysis import failure_table

    rows = []
    for r in (1.0, 2.5, 5.0):
        for phi in (0.0, 0.5):
            for i in (0.3, 0.6):
                bad = r == 5.0 or (r == 2.5 and phi == 0.0)
                rows.append((r, phi, i, "cannot_start" if bad else "completed"))
    df = pd.DataFrame(rows, columns=["r / um", "phi / 1", "i / mA/cm2", "status"])
    df["error"] = np.where(df["status"] == "completed", "", "cut-off at once")
    t = failure_table(df, ["r / um", "phi / 1", "i / mA/cm2"])
    assert t["count"].tolist() == [6]
    assert t["where"].iloc[0] == "r / um = 2.5 with phi / 1: 0 | r / um = 5"
