"""The Si half-cell simulator: reduced model, batch engine, resolved model.

Cells come from :func:`sianode.cell.build_cell` (re-exported here as ``cell_from_study``).

Names are loaded on first use (PEP 562), so ``from sianode.simulation import simulate`` does
not import the batch engine or the resolved model (numba ``prange`` kernels, issue 17).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .batch import BatchResult, simulate_batch
    from .cells import build_cell, cell_from_study, material_descriptors
    from .parameters import CellParameters, ModelOptions
    from .reduced import Result, simulate
    from .resolved import simulate_resolved, simulate_resolved_batch

#: public name -> submodule that defines it
_WHERE = {
    "BatchResult": "batch",
    "simulate_batch": "batch",
    "build_cell": "cells",
    "cell_from_study": "cells",
    "material_descriptors": "cells",
    "CellParameters": "parameters",
    "ModelOptions": "parameters",
    "Result": "reduced",
    "simulate": "reduced",
    "simulate_resolved": "resolved",
    "simulate_resolved_batch": "resolved",
}

__all__ = [
    "BatchResult",
    "CellParameters",
    "ModelOptions",
    "Result",
    "build_cell",
    "cell_from_study",
    "material_descriptors",
    "simulate",
    "simulate_batch",
    "simulate_resolved",
    "simulate_resolved_batch",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
