"""The Si half-cell simulator: reduced model, batch engine, study-to-cell conversion."""

from .batch import BatchResult, simulate_batch
from .cells import cell_from_study, material_descriptors
from .parameters import CellParameters, ModelOptions
from .reduced import Result, simulate
from .resolved import simulate_resolved, simulate_resolved_batch

__all__ = [
    "BatchResult",
    "CellParameters",
    "ModelOptions",
    "Result",
    "cell_from_study",
    "material_descriptors",
    "simulate",
    "simulate_batch",
    "simulate_resolved",
    "simulate_resolved_batch",
]
