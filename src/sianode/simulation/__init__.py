"""The Si half-cell simulator: reduced model, batch engine, resolved model.

Cells come from :func:`sianode.cell.build_cell` (re-exported here as ``cell_from_study``).
"""

from .batch import BatchResult, simulate_batch
from .cells import build_cell, cell_from_study, material_descriptors
from .parameters import CellParameters, ModelOptions
from .reduced import Result, simulate
from .resolved import simulate_resolved, simulate_resolved_batch

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
