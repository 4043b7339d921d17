"""The decorators compiled code uses: numba ``njit`` with an on-disk cache that stays valid.

A compiled function stays callable from Python with scalars and numpy arrays, and is callable
from the compiled solvers, so the reduced model, the resolved model and the batch engine all
run the *same* physics code.

Numba's own cache checks only the source file that defines a function, while the machine code
of a solver also holds what it took from other files: the physics functions it calls and the
constants it reads (parameter indices, option codes, record layouts). :func:`compiled` and
:func:`physics` therefore key the cache of every sianode function on the source of the whole
compiled layer (:data:`COMPILED_PACKAGES`): any edit there makes numba recompile on the next
call and overwrite the stale index itself. Nothing is deleted at run time, so concurrent
processes (sweep workers) never race on the cache; a read-only install compiles in memory.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_PKG = Path(__file__).resolve().parent.parent
#: Sub-packages whose sources compiled code depends on.
COMPILED_PACKAGES = ("models", "simulation", "cell")
#: Single modules compiled code reads constants from.
COMPILED_FILES = ("constants.py",)


@functools.lru_cache(maxsize=1)
def compiled_layer_stamp() -> bytes:
    """SHA-256 of the sources of :data:`COMPILED_PACKAGES` (names and contents)."""
    digest = hashlib.sha256()
    for sub in COMPILED_PACKAGES:
        for src in sorted((_PKG / sub).glob("*.py")):
            digest.update(f"{sub}/{src.name}".encode())
            digest.update(src.read_bytes())
    for name in COMPILED_FILES:
        digest.update(name.encode())
        digest.update((_PKG / name).read_bytes())
    return digest.digest()


@functools.lru_cache(maxsize=1)
def _cache_class() -> type | None:
    """A numba FunctionCache whose source stamp is :func:`compiled_layer_stamp` (None when
    this numba has no such extension point: plain per-file caching is used then)."""
    try:
        from numba.core.caching import CompileResultCacheImpl, FunctionCache, InTreeCacheLocator
    except ImportError:  # pragma: no cover - other numba versions
        return None

    class LayerStampLocator(InTreeCacheLocator):
        """In-tree ``__pycache__`` locator stamped with the whole compiled layer's source."""

        def get_source_stamp(self) -> Any:
            return compiled_layer_stamp()

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            if not str(Path(py_file).resolve()).startswith(str(_PKG)):
                return None
            return super().from_function(py_func, py_file)

    class LayerCacheImpl(CompileResultCacheImpl):
        _locator_classes = [LayerStampLocator, *CompileResultCacheImpl._locator_classes]

    class LayerFunctionCache(FunctionCache):
        _impl_class = LayerCacheImpl

    return LayerFunctionCache


def _njit(func: Any, **options: Any) -> Any:
    import numba

    dispatcher = numba.njit(cache=True, **options)(func)
    cache_class = _cache_class()
    if cache_class is not None:
        try:
            dispatcher._cache = cache_class(func)
        except Exception:  # noqa: BLE001 - keep numba's default cache on any failure
            pass
    return dispatcher


def physics(func: F) -> F:
    """Compile ``func`` with numba (nopython, cached, no fastmath so results are exact IEEE)."""
    return _njit(func)  # type: ignore[no-any-return]


def compiled(
    func: F | None = None, *, parallel: bool = False, nogil: bool = False, inline: bool = False
) -> Any:
    """:func:`physics` for solver code; ``@compiled(parallel=True)`` for ``prange`` loops,
    ``@compiled(nogil=True)`` for code run in a thread beside Python (progress display),
    ``@compiled(inline=True)`` for small functions of the inner loop (inlined into their
    caller by numba, which removes the reference counting of their array arguments)."""
    if func is None:
        opts: dict[str, Any] = {"parallel": parallel, "nogil": nogil}
        if inline:
            opts["inline"] = "always"
        return lambda f: _njit(f, **opts)
    return _njit(func)
