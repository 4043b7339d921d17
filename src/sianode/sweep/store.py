"""Sweep results on disk: partitioned Parquet, written chunk by chunk, atomically, resumable.

Layout of a sweep folder::

    DIR/sweep.json            context fingerprint, spec name, design count (written first)
    DIR/spec.toml             copy of the spec
    DIR/designs.parquet       every design: id, index, parameter values
    DIR/results/part-*.parquet  one file per finished chunk (inputs, outputs, status, error)

Each chunk is written to a hidden temporary file in ``results/`` and renamed into place with
:func:`os.replace` after an ``fsync``, so a reader (or a re-run after a crash, even SIGKILL)
sees either the whole chunk or nothing; leftover temporary files are removed on open.
Only the driver writes, under an exclusive lock on ``DIR/.lock`` (released by the kernel when
the process dies), so designs are never written twice. Re-running the same spec into the
same folder computes only designs whose id is in no part file; a folder made with a
different context (study, material, fixed values, options, protocol, outputs) is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ParameterError, ParsingError
from .spec import SweepSpec

__all__ = ["SweepStore", "read_results", "atomic_write_bytes"]


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, :func:`os.replace`)."""
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}-{path.name}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}.parquet"
    table = pa.Table.from_pandas(df, preserve_index=False)
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass
class SweepStore:
    """An open sweep folder (see the module docstring).

    Use :meth:`open`; call :meth:`close` (or use it as a context manager) to release the lock.
    """

    root: Path
    fingerprint: str
    _lock_fd: int | None = None

    @property
    def results_dir(self) -> Path:
        return self.root / "results"

    @classmethod
    def open(cls, root: str | Path, spec: SweepSpec, designs: pd.DataFrame) -> SweepStore:
        """Open (or create) the sweep folder ``root`` for ``spec``.

        Raises
        ------
        ParameterError
            If the folder holds a sweep made with a different context, or another process
            is writing to it.
        """
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        (root / "results").mkdir(exist_ok=True)
        store = cls(root=root, fingerprint=spec.fingerprint())
        store._lock()
        try:
            meta_path = root / "sweep.json"
            if meta_path.exists():
                try:
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    raise ParsingError(f"{meta_path}: unreadable sweep metadata ({exc})") from None
                if meta.get("fingerprint") != store.fingerprint:
                    raise ParameterError(
                        f"--out {root}: holds a sweep with a different context (study, material, "
                        "fixed values, options, protocol or outputs); use a new folder"
                    )
            meta = {
                "fingerprint": store.fingerprint,
                "name": spec.name,
                "n_designs": int(len(designs)),
                "parameters": spec.parameter_names,
                "outputs": spec.outputs.columns(),
                "context": spec.context(),
                "notes": spec.notes,
                "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            atomic_write_bytes(meta_path, json.dumps(meta, indent=2, default=str).encode())
            if spec.source_text:
                atomic_write_bytes(root / "spec.toml", spec.source_text.encode())
            _atomic_parquet(designs, root / "designs.parquet")
            store.clean_tmp()
        except BaseException:
            store.close()
            raise
        return store

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no folder lock
            return
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ParameterError(
                f"--out {self.root}: another sweep process is writing to this folder"
            ) from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def clean_tmp(self) -> int:
        """Remove temporary files left by an interrupted write; returns how many."""
        n = 0
        for p in self.results_dir.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
        for p in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()
        return n

    def part_files(self) -> list[Path]:
        """Finished chunk files, in name (= write) order."""
        return sorted(self.results_dir.glob("part-*.parquet"))

    def done_ids(self) -> set[str]:
        """Ids of designs already in a part file. An unreadable part file (which atomic
        writes should make impossible) is moved to ``results/corrupt/`` and its designs
        are recomputed."""
        done: set[str] = set()
        for p in self.part_files():
            try:
                ids = pq.read_table(p, columns=["design_id"]).column(0).to_pylist()
            except Exception:
                bad = self.results_dir / "corrupt"
                bad.mkdir(exist_ok=True)
                os.replace(p, bad / p.name)
                continue
            done.update(ids)
        return done

    def write_chunk(self, df: pd.DataFrame) -> Path:
        """Write one finished chunk atomically; returns its path."""
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.results_dir / name
        _atomic_parquet(df, path)
        return path

    def read(self) -> pd.DataFrame:
        """All results so far (one row per design, by design index)."""
        return read_results(self.root)


def read_results(root: str | Path) -> pd.DataFrame:
    """Read a sweep folder's results: one row per design, ordered by ``design_index``.

    Rows are de-duplicated by ``design_id`` defensively (the store never writes a design
    twice).

    Raises
    ------
    ParsingError
        If ``root`` is not a sweep folder.
    """
    root = Path(root)
    parts = sorted((root / "results").glob("part-*.parquet"))
    if not (root / "sweep.json").exists():
        raise ParsingError(f"{root}: not a sweep folder (no sweep.json)")
    if not parts:
        return pd.DataFrame(columns=["design_id", "design_index", "status", "error"])
    frames = [pq.read_table(p).to_pandas() for p in parts]
    df = pd.concat(frames, ignore_index=True)
    df = df.drop_duplicates("design_id", keep="first")
    return df.sort_values("design_index").reset_index(drop=True)


def read_meta(root: str | Path) -> dict[str, Any]:
    """The sweep folder's ``sweep.json``."""
    p = Path(root) / "sweep.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParsingError(f"{root}: not a sweep folder (no sweep.json)") from None
