"""Sweep results on disk: partitioned Parquet, written chunk by chunk, atomically, resumable.

Layout of a sweep folder::

    DIR/sweep.json            context fingerprint, spec name, design count, [meta] (written
                              last, and only when it changes)
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

A write that fails (full disk, read-only folder) raises :class:`StoreWriteError`, one line
naming the file and the reason, after removing its temporary file; what was written before
stays valid. A part file damaged by something else is skipped (and named) by
:func:`read_results`, and moved to ``results/corrupt/`` and recomputed by the next run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ParameterError, ParsingError, SianodeError
from .model import SweepSpec

__all__ = [
    "SweepStore",
    "StoreWriteError",
    "read_results",
    "read_meta",
    "atomic_write_bytes",
    "stored_calibration",
]


class StoreWriteError(SianodeError):
    """The sweep folder cannot be written (disk full, read-only, no permission)."""


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` atomically: a hidden temporary file beside it, fsync, :func:`os.replace`.

    On any write error the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    StoreWriteError
        One line naming the file and the reason (e.g. "No space left on device").
    """
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}-{path.name}"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except (OSError, pa.ArrowException) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreWriteError(f"cannot write {path}: {_why(exc)}") from None
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`_atomic_write`)."""
    _atomic_write(Path(path), lambda fh: fh.write(data))


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    _atomic_write(path, lambda fh: pq.write_table(table, fh, compression="zstd"))


def _designs_digest(designs: pd.DataFrame) -> str:
    ids = ",".join(designs["design_id"].astype(str))
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


def stored_calibration(root: str | Path) -> dict[str, Any]:
    """The ``"calibrated"`` record of an existing sweep folder (empty if none)."""
    try:
        meta = json.loads((Path(root) / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    rec = meta.get("calibrated") if isinstance(meta, dict) else None
    return rec if isinstance(rec, dict) else {}


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
    def open(
        cls,
        root: str | Path,
        spec: SweepSpec,
        designs: pd.DataFrame,
        calibrated: dict[str, Any] | None = None,
    ) -> SweepStore:
        """Open (or create) the sweep folder ``root`` for ``spec``.

        Leftover temporary files are removed first. ``sweep.json`` marks a complete folder:
        it is written last, and only when its content changes (a resumed run on a full
        disk neither needs space for it nor can lose it).

        Raises
        ------
        ParameterError
            If the folder holds a sweep made with a different context, or another process
            is writing to it.
        StoreWriteError
            If the folder cannot be created or written.
        """
        root = Path(root)
        try:
            (root / "results").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreWriteError(f"cannot create the sweep folder {root}: {_why(exc)}") from None
        store = cls(root=root, fingerprint=spec.fingerprint())
        store._lock()
        try:
            store.clean_tmp()
            meta_path = root / "sweep.json"
            old: dict[str, Any] = {}
            if meta_path.exists():
                try:
                    old = json.loads(meta_path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    raise ParsingError(f"{meta_path}: unreadable sweep metadata ({exc})") from None
                if old.get("fingerprint") != store.fingerprint:
                    raise ParameterError(
                        f"--out {root}: holds a sweep with a different context (study, material, "
                        "fixed values, options, protocol or outputs); use a new folder"
                    )
            digest = _designs_digest(designs)
            meta = {
                "fingerprint": store.fingerprint,
                "name": spec.name,
                "n_designs": int(len(designs)),
                "designs_digest": digest,
                "parameters": spec.parameter_names,
                "outputs": spec.outputs.columns(),
                "context": json.loads(json.dumps(spec.context(), default=str)),
                "notes": spec.notes,
                "meta": json.loads(json.dumps(spec.meta, default=str)),
                "calibrated": calibrated or {},
            }
            same = {k: v for k, v in old.items() if k != "updated"} == meta
            if not same or not (root / "designs.parquet").exists():
                _atomic_parquet(designs, root / "designs.parquet")
            spec_path = root / "spec.toml"
            if spec.source_text and (
                not spec_path.exists() or spec_path.read_bytes() != spec.source_text.encode()
            ):
                atomic_write_bytes(spec_path, spec.source_text.encode())
            if not same:
                meta["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
                atomic_write_bytes(meta_path, json.dumps(meta, indent=2, default=str).encode())
        except BaseException:
            store.close()
            raise
        return store

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no folder lock
            return
        try:
            fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreWriteError(f"cannot write {self.root / '.lock'}: {_why(exc)}") from None
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


def read_results(root: str | Path, skipped: list[tuple[Path, str]] | None = None) -> pd.DataFrame:
    """Read a sweep folder's results: one row per design, ordered by ``design_index``.

    Rows are de-duplicated by ``design_id`` defensively (the store never writes a design
    twice). A part file that cannot be read (truncated or damaged by something other than
    sianode) is skipped, not fatal: it is appended to ``skipped`` as ``(path, reason)`` when
    a list is given, else reported with :func:`warnings.warn`. Its designs are recomputed by
    the next run into the folder.

    Raises
    ------
    ParsingError
        If ``root`` is not a sweep folder.
    """
    root = Path(root)
    parts = sorted((root / "results").glob("part-*.parquet"))
    if not (root / "sweep.json").exists():
        raise ParsingError(f"{root}: not a sweep folder (no sweep.json)")
    frames = []
    for p in parts:
        try:
            frames.append(pq.read_table(p).to_pandas())
        except (OSError, pa.ArrowException) as exc:
            reason = _why(exc)
            if skipped is None:
                warnings.warn(f"{p}: unreadable results part skipped ({reason})", stacklevel=2)
            else:
                skipped.append((p, reason))
    if not frames:
        return pd.DataFrame(columns=["design_id", "design_index", "status", "error"])
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
