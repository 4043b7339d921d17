"""Checks shared by the cell calculators: finite arrays, plain numbers, scalar outputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ParameterError


def _as(value: Any, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if np.any(~np.isfinite(arr)):
        raise ParameterError(f"{name}: must be finite")
    return arr


def _number(value: Any, name: str) -> float:
    """A plain number from a study file or an option, or a ParameterError naming ``name``."""
    if isinstance(value, bool):
        raise ParameterError(f"{name}: expected a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(out):
        raise ParameterError(f"{name}: must be finite")
    return out


def _out(arr: Any) -> Any:
    arr = np.asarray(arr, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _positive(value: Any, name: str) -> np.ndarray:
    arr = _as(value, name)
    if np.any(arr <= 0):
        raise ParameterError(f"{name}: must be > 0")
    return arr
