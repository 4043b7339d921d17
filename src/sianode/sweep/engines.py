"""Sweep engines and the driver: batch (in-process), local processes, dask.distributed.

The driver (:func:`run_sweep`) opens the sweep folder, works out which designs are missing,
cuts them into chunks, hands the chunks to an engine and writes each finished chunk to the
store as soon as it arrives. Engines:

- ``batch`` (default): in-process, chunk after chunk through
  :func:`sianode.simulation.simulate_batch` (numba ``prange`` over the designs of a chunk,
  all cores).
- ``processes``: a :class:`concurrent.futures.ProcessPoolExecutor`; each worker process
  builds its :class:`~sianode.sweep.runner.DesignRunner` once (pool initializer) and runs
  chunks single-threaded. A dead worker process breaks the pool: the pool is rebuilt and
  the unfinished chunks are resubmitted (up to 3 times). Workers end when the driver dies,
  even by SIGKILL (:func:`_exit_with_parent`).
- ``dask``: ``dask.distributed`` on a new :class:`~distributed.LocalCluster` or an existing
  scheduler (``scheduler="tcp://host:port"``). A worker plugin builds the runner once per
  worker (also on workers that join or are restarted later); tasks carry only design ids and
  parameter values. A worker that dies has its tasks rescheduled by the scheduler; with no
  worker at all for ``worker_timeout`` seconds the driver stops (:class:`NoWorkersError`),
  keeping every finished chunk.

Failures of designs are data (rows with ``status`` and ``error``). Chunks lost to the
infrastructure (a task that kills workers repeatedly, a pool that keeps breaking) are not
written, are counted in the summary, and are computed by the next run. A folder that
cannot be written (full disk) stops the run with one line
(:class:`~sianode.sweep.store.StoreWriteError`); what was written stays, and so does
``sweep.json``, so the next run resumes.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CalculationError, ParameterError
from .model import SweepSpec
from .runner import Chunk, DesignRunner
from .spec import column_name
from .store import StoreWriteError, SweepStore, stored_calibration

__all__ = [
    "ENGINES",
    "NoWorkersError",
    "Progress",
    "SweepSummary",
    "run_sweep",
    "make_chunks",
]

ENGINES = ("batch", "processes", "dask")


@dataclass
class Progress:
    """Progress of a running sweep (passed to the ``progress`` callback after each chunk).

    Attributes
    ----------
    done : int
        Designs finished in this run.
    total : int
        Designs to run in this run (the missing ones).
    failed : int
        Designs finished with a status other than ``completed``.
    elapsed_s : float
        Wall time since the first chunk was submitted [s].
    rate : float
        Designs per second so far [1/s].
    eta_s : float
        Estimated time to finish [s] (NaN before the first chunk).
    """

    done: int
    total: int
    failed: int
    elapsed_s: float
    rate: float
    eta_s: float


@dataclass
class SweepSummary:
    """What a :func:`run_sweep` call did.

    Attributes
    ----------
    n_designs : int
        Designs in the spec.
    already_done : int
        Designs found in the folder before this run.
    computed : int
        Designs computed (and written) in this run.
    lost : int
        Designs whose chunk was lost to infrastructure failures (not written; a re-run
        computes them).
    status_counts : dict
        Count of each status over the spec's designs found in the folder.
    wall_s : float
        Wall time of the run [s].
    rate : float
        Designs per second in this run.
    missing : int
        Designs of the spec not in the folder after this run.
    """

    out: str
    engine: str
    n_designs: int
    already_done: int
    computed: int
    lost: int
    status_counts: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    rate: float = float("nan")
    n_chunks: int = 0
    notes: list[str] = field(default_factory=list)

    missing: int = 0

    @property
    def complete(self) -> bool:
        """Whether every design of the spec is in the folder."""
        return self.missing == 0


def make_chunks(designs: pd.DataFrame, parameters: list[str], size: int) -> list[Chunk]:
    """Cut a design table into chunks of ``size`` designs (parameter columns in order)."""
    cols = [column_name(p) for p in parameters]
    values = designs[cols].to_numpy(dtype=float) if cols else np.zeros((len(designs), 0))
    ids = designs["design_id"].astype(str).tolist()
    idx = designs["design_index"].to_numpy(dtype=np.int64)
    return [
        Chunk(ids=ids[a : a + size], index=idx[a : a + size], values=values[a : a + size])
        for a in range(0, len(ids), size)
    ]


# --------------------------------------------------------------------------- batch


def _iter_batch(
    payload: dict[str, Any], chunks: list[Chunk], **_: Any
) -> Iterator[pd.DataFrame | Chunk]:
    runner = DesignRunner(payload)
    for ch in chunks:
        yield runner.run(ch)


# --------------------------------------------------------------------------- processes

_PROCESS_RUNNER: DesignRunner | None = None
_PROCESS_THREADS = [1]

#: How often a pool worker checks that its driver is still alive [s].
PARENT_POLL_S = 0.5


def _exit_with_parent(parent_pid: int) -> None:
    """Make this worker process end when the driver process ``parent_pid`` dies.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, delivered by the kernel when the parent
    dies, even while this process is inside a long compiled call. Everywhere: a daemon
    thread that polls :func:`os.getppid` (a dead parent's children are re-parented) and
    exits. Without this, a worker blocked on the pool's call queue outlives a SIGKILLed
    driver forever, since it holds that queue's write end itself.
    """
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import contextlib
        import ctypes
        import signal

        with contextlib.suppress(Exception):  # no libc / prctl: the watchdog remains
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the driver died before the signal was armed
        os._exit(1)

    def watchdog() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(PARENT_POLL_S)

    threading.Thread(target=watchdog, name="sianode-parent-watchdog", daemon=True).start()


def _process_init(payload: dict[str, Any], threads: int, parent_pid: int | None = None) -> None:
    """Pool initializer: tie this worker's life to the driver's, build its runner once."""
    global _PROCESS_RUNNER
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    _PROCESS_RUNNER = DesignRunner(payload)
    _PROCESS_THREADS[0] = max(1, int(threads))


def _process_run(chunk: Chunk) -> pd.DataFrame:
    assert _PROCESS_RUNNER is not None, "worker not initialised"
    return _PROCESS_RUNNER.run(chunk, threads=_PROCESS_THREADS[0])


def _iter_processes(
    payload: dict[str, Any],
    chunks: list[Chunk],
    workers: int | None = None,
    threads_per_worker: int = 1,
    **_: Any,
) -> Iterator[pd.DataFrame | Chunk]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    n = workers or os.cpu_count() or 1
    pending = list(chunks)
    restarts = 0
    while pending:
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=n,
            mp_context=ctx,
            initializer=_process_init,
            initargs=(payload, threads_per_worker, os.getpid()),
        ) as pool:
            futs = {pool.submit(_process_run, ch): ch for ch in pending}
            broken = False
            try:
                while futs:
                    finished, _ = wait(list(futs), return_when=FIRST_COMPLETED)
                    for f in finished:
                        ch = futs.pop(f)
                        try:
                            df = f.result()
                        except BrokenProcessPool:
                            broken = True
                            continue
                        pending.remove(ch)
                        yield df
                    if broken:
                        break
            finally:  # on Ctrl-C or an error in the driver: do not wait for queued chunks
                pool.shutdown(wait=True, cancel_futures=True)
        if pending:
            restarts += 1
            if restarts > 3:
                for ch in pending:
                    yield ch  # lost
                return


# --------------------------------------------------------------------------- dask

_DASK_RUNNERS: dict[str, DesignRunner] = {}


class _RunnerPlugin:
    """Dask worker plugin: builds the sweep's runner once per worker process."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.name = f"sianode-sweep-{payload['fingerprint']}"

    def setup(self, worker: Any) -> None:
        _DASK_RUNNERS[self.payload["fingerprint"]] = DesignRunner(self.payload)

    def teardown(self, worker: Any) -> None:
        _DASK_RUNNERS.pop(self.payload["fingerprint"], None)


def _dask_run(key: str, chunk: Chunk) -> pd.DataFrame:
    runner = _DASK_RUNNERS.get(key)
    if runner is None:
        raise RuntimeError("sweep runner not set up on this worker (plugin missing)")
    from distributed import get_worker

    try:
        threads = get_worker().state.nthreads
    except Exception:
        threads = 1
    return runner.run(chunk, threads=max(1, int(threads)))


class NoWorkersError(CalculationError):
    """The dask cluster had no worker for longer than the engine's ``worker_timeout``."""


def _n_dask_workers(client: Any) -> int:
    """Workers the scheduler knows now (0 if the scheduler cannot be asked)."""
    try:
        return len(client.nthreads())
    except Exception:
        return 0


def _iter_dask(
    payload: dict[str, Any],
    chunks: list[Chunk],
    workers: int | None = None,
    threads_per_worker: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    on_client: Callable[[Any], None] | None = None,
    worker_timeout: float = 60.0,
    **_: Any,
) -> Iterator[pd.DataFrame | Chunk]:
    from distributed import Client, LocalCluster, WorkerPlugin, as_completed

    class Plugin(_RunnerPlugin, WorkerPlugin):
        pass

    cluster = None
    own_client = client is None
    if client is None:
        if scheduler:
            try:
                client = Client(scheduler, timeout=f"{min(worker_timeout, 30.0)}s")
            except (OSError, TimeoutError, ValueError) as exc:
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ParameterError(f"--scheduler {scheduler}: cannot connect ({why})") from None
        else:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=threads_per_worker,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
    try:
        client.register_plugin(Plugin(payload), name=f"sianode-sweep-{payload['fingerprint']}")
        if on_client is not None:
            on_client(client)
        key = payload["fingerprint"]
        token = uuid.uuid4().hex[:8]  # a resumed run in the same session gets fresh keys
        futs = {
            client.submit(_dask_run, key, ch, pure=False, key=f"sweep-{key}-{token}-{i}"): ch
            for i, ch in enumerate(chunks)
        }
        ac = as_completed(list(futs))
        idle_since: float | None = None
        last_check = 0.0
        while not ac.is_empty():
            if ac.has_ready():
                idle_since = None
                for fut in ac.next_batch(block=False):
                    ch = futs[fut]
                    if fut.status not in ("finished", "error"):
                        # its result was lost with a worker after it finished: the scheduler
                        # recomputes it; wait for it again instead of blocking in result()
                        ac.add(fut)
                        continue
                    try:
                        df = fut.result(timeout=worker_timeout)
                    except TimeoutError:  # lost between the check and the fetch
                        ac.add(fut)
                        continue
                    except Exception:  # KilledWorker or an unexpected error: the chunk is lost
                        fut.release()
                        yield ch
                        continue
                    fut.release()
                    yield df
                continue
            time.sleep(0.05)
            now = time.monotonic()
            if now - last_check < min(1.0, worker_timeout / 4):
                continue
            last_check = now
            if _n_dask_workers(client) > 0:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since > worker_timeout:
                for fut in futs:
                    fut.release()
                raise NoWorkersError(
                    f"dask: no worker in the cluster for {worker_timeout:g} s "
                    f"(scheduler {client.scheduler.address})"
                )
    finally:
        if own_client:
            client.close()
            if cluster is not None:
                cluster.close()


_ENGINE_FUNCS = {"batch": _iter_batch, "processes": _iter_processes, "dask": _iter_dask}


# --------------------------------------------------------------------------- driver


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    engine: str = "batch",
    *,
    chunk_size: int | None = None,
    workers: int | None = None,
    threads_per_worker: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    progress: Callable[[Progress], None] | None = None,
    on_client: Callable[[Any], None] | None = None,
    limit: int | None = None,
    worker_timeout: float = 60.0,
    validate: bool = True,
) -> SweepSummary:
    """Run the designs of ``spec`` that are not yet in folder ``out``.

    Parameters
    ----------
    spec : SweepSpec
    out : path
        Sweep folder (created; re-using it resumes).
    engine : {"batch", "processes", "dask"}
    chunk_size : int, optional
        Designs per chunk (default 256 for batch, else enough for ~4 chunks per worker, at
        most 128: larger chunks mean fewer files and less driver work per design).
    workers : int, optional
        Worker processes (processes / local dask; default: CPU count).
    threads_per_worker : int
        Numba threads per worker process (processes / dask).
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:port``).
    client : distributed.Client, optional
        An existing client (dask engine).
    progress : callable, optional
        Called with a :class:`Progress` after each chunk.
    limit : int, optional
        Run at most this many of the missing designs (for tests and benchmarks).
    worker_timeout : float
        Dask engine: stop after this long [s] with no worker in the cluster
        (:class:`NoWorkersError`); finished chunks are kept and a re-run resumes.
    validate : bool
        Check the spec against its study before anything runs
        (:func:`~sianode.sweep.validate.validate_spec`).

    Returns
    -------
    SweepSummary

    Raises
    ------
    ParameterError
        On a spec that fails validation (nothing is written) or a folder of another sweep.
    StoreWriteError
        When the folder cannot be written (disk full, read-only): finished chunks are kept,
        no temporary file is left, and a re-run resumes.
    NoWorkersError
        When a dask cluster has no worker for ``worker_timeout`` seconds.
    """
    if engine not in ENGINES:
        raise ParameterError(f"--engine: one of {', '.join(ENGINES)}, got {engine!r}")
    if chunk_size is not None and chunk_size < 1:
        raise ParameterError("--chunk-size: must be >= 1")
    if worker_timeout <= 0:
        raise ParameterError("--worker-timeout: must be > 0 s")
    if validate:
        from .validate import validate_spec

        validate_spec(spec)
    designs = spec.designs()
    from .calibrated import resolve_deferred

    resolved, calibrated = resolve_deferred(spec, stored_calibration(out))
    store = SweepStore.open(out, spec, designs, calibrated=calibrated)
    t0 = time.perf_counter()
    try:
        done = store.done_ids()
        todo = designs[~designs["design_id"].isin(done)]
        if limit is not None:
            todo = todo.iloc[:limit]
        n_work = workers or os.cpu_count() or 1
        if chunk_size is None:
            if engine == "batch":
                chunk_size = 256
            else:
                chunk_size = int(min(128, max(1, -(-len(todo) // (4 * n_work)))))
        chunks = make_chunks(todo, spec.parameter_names, chunk_size)
        payload = spec.payload(resolved)
        total = len(todo)
        n_done = n_failed = n_lost = 0
        if chunks:
            it = _ENGINE_FUNCS[engine](
                payload,
                chunks,
                workers=workers,
                threads_per_worker=threads_per_worker,
                scheduler=scheduler,
                client=client,
                on_client=on_client,
                worker_timeout=worker_timeout,
            )
            try:
                for item in it:
                    if isinstance(item, Chunk):
                        n_lost += len(item)
                        continue
                    try:
                        store.write_chunk(item)
                    except StoreWriteError as exc:
                        raise StoreWriteError(
                            f"{exc}; {len(done) + n_done} of {len(designs)} designs are saved "
                            f"in {out}; make room and run the same command with --resume"
                        ) from None
                    n_done += len(item)
                    n_failed += int((item["status"] != "completed").sum())
                    if progress is not None:
                        el = time.perf_counter() - t0
                        rate = n_done / el if el > 0 else float("nan")
                        left = total - n_done - n_lost
                        progress(
                            Progress(
                                n_done,
                                total,
                                n_failed,
                                el,
                                rate,
                                left / rate if rate > 0 else float("nan"),
                            )
                        )
            except NoWorkersError as exc:
                raise NoWorkersError(
                    f"{exc}; {len(done) + n_done} of {len(designs)} designs are saved in {out}; "
                    "start workers and run the same command with --resume"
                ) from None
            finally:
                it.close()  # shuts down pools / clusters on errors and Ctrl-C
        wall = time.perf_counter() - t0
        results = store.read()
        if len(results):
            results = results[results["design_id"].isin(designs["design_id"])]
        counts = results["status"].value_counts().to_dict() if len(results) else {}
        missing = len(designs) - len(results)
        return SweepSummary(
            out=str(out),
            engine=engine,
            n_designs=len(designs),
            already_done=len(done),
            computed=n_done,
            lost=n_lost,
            status_counts={str(k): int(v) for k, v in counts.items()},
            wall_s=wall,
            rate=n_done / wall if wall > 0 and n_done else float("nan"),
            n_chunks=len(chunks),
            notes=list(spec.notes),
            missing=int(missing),
        )
    finally:
        store.close()
