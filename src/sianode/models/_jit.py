"""The one decorator physics functions use: numba ``njit`` with on-disk caching.

The compiled function stays callable from Python with scalars and numpy arrays, and is
callable from the compiled solvers, so the reduced model, the resolved model and the batch
engine all run the *same* physics code.

Numba's cache only checks the file that defines a function, not the modules it reads
constants from (parameter indices and option codes in ``sianode.cell``, physical
constants in ``sianode.constants``). :func:`_refresh_cache` therefore hashes
every source file of the compiled layers and drops all cached machine code when any changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_PKG = Path(__file__).resolve().parent.parent
_COMPILED_DIRS = ("models", "simulation")
#: Single modules the compiled code reads constants from (hashed with the directories):
#: the parameter order (kernel indices) and the physical constants.
_COMPILED_FILES = ("cell/parameters.py", "constants.py")


def _refresh_cache() -> None:
    digest = hashlib.sha256()
    for sub in _COMPILED_DIRS:
        for src in sorted((_PKG / sub).glob("*.py")):
            digest.update(src.name.encode())
            digest.update(src.read_bytes())
    for name in _COMPILED_FILES:
        digest.update(name.encode())
        digest.update((_PKG / name).read_bytes())
    stamp_value = digest.hexdigest()
    try:
        cache_dir = _PKG / "simulation" / "__pycache__"
        stamp = cache_dir / "sianode_numba.stamp"
        if stamp.exists() and stamp.read_text() == stamp_value:
            return
        for sub in _COMPILED_DIRS:
            for f in (_PKG / sub / "__pycache__").glob("*.nb[ic]"):
                f.unlink(missing_ok=True)
        cache_dir.mkdir(exist_ok=True)
        stamp.write_text(stamp_value)
    except OSError:  # read-only install: numba falls back to compiling in memory
        pass


_refresh_cache()


def physics(func: F) -> F:
    """Compile ``func`` with numba (nopython, cached, no fastmath so results are exact IEEE)."""
    import numba

    return numba.njit(cache=True)(func)  # type: ignore[return-value]
