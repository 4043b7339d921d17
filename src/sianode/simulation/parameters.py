"""Moved to :mod:`sianode.cell.parameters`; this name stays so existing imports work."""

from ..cell.parameters import (
    OPTION_CHOICES,
    OVERRIDE_UNITS,
    PARAM_NAMES,
    CellParameters,
    ModelOptions,
)

__all__ = ["ModelOptions", "CellParameters", "PARAM_NAMES", "OPTION_CHOICES", "OVERRIDE_UNITS"]
