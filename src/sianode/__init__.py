"""sianode: silicon-anode all-solid-state battery toolkit."""

from __future__ import annotations

from .errors import CalculationError, ParameterError, ParsingError, SianodeError
from .study import Study, load_study

__version__ = "0.1.0"

__all__ = [
    "CalculationError",
    "ParameterError",
    "ParsingError",
    "SianodeError",
    "Study",
    "load_study",
    "__version__",
]
