"""Atomic output folders: files appear in the target folder only when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ..errors import ParameterError


class AtomicDir:
    """Write into a hidden temporary folder beside ``target``; on success move each file into
    ``target`` with ``os.replace`` (atomic per file); on any error or Ctrl-C delete the
    temporary folder, so ``target`` never holds a half-written file."""

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        try:
            self.target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ParameterError(f"out: cannot create {self.target} ({exc.strerror})") from None
        self.tmp = Path(tempfile.mkdtemp(prefix=".sianode-tmp-", dir=self.target))
        return self.tmp

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.tmp is not None
        try:
            if exc_type is None:
                for path in sorted(self.tmp.rglob("*")):
                    if path.is_file():
                        dest = self.target / path.relative_to(self.tmp)
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(path, dest)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
