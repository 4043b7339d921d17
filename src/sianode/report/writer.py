"""Writing results: atomic output folders (files appear in the target folder only when
complete) and :func:`jsonable`, which makes results JSON-safe."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

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


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, dataclasses and paths into JSON-safe Python objects.

    NaN and infinities become ``None`` (JSON has no NaN).
    """
    import dataclasses

    import numpy as np  # here, not at import: the CLI imports this module for every command

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj
