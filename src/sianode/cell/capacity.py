"""Specific and areal capacity of Si: the capacity bases that define 1C (physics.md 3.1-3.2).

Li15Si4 (x = 3.75, 3579 mAh/g computed) and Li22Si5 (x = 4.4, nominal 4200 mAh/g).
Units follow the lab: [mAh g-1], [mg cm-2], [mAh cm-2].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..constants import FARADAY, molar_mass
from ..errors import ParameterError
from ..units import to_unit

__all__ = [
    "LITHIATED_PHASES",
    "NOMINAL_CAPACITY",
    "theoretical_capacity",
    "capacity_basis",
    "capacity_basis_name",
    "areal_capacity",
]

#: Li per Si in the fully lithiated phases [-].
LITHIATED_PHASES: dict[str, float] = {"Li15Si4": 3.75, "Li22Si5": 4.4}

#: Nominal capacities used in the literature instead of the computed value [mAh g-1].
#: Li22Si5 computes to 4199 mAh/g (x = 4.4, IUPAC M_Si); the customary nominal value, and
#: the one the reference study's C-rates imply (0.127 mA/cm2 = 0.033 C), is 4200 mAh/g.
NOMINAL_CAPACITY: dict[str, float] = {"Li22Si5": 4200.0}


def theoretical_capacity(x_li: Any) -> Any:
    """Specific capacity of Si lithiated to Li_x Si [mAh g-1 of Si].

    ``Q = x F / (3.6 M_Si)`` with F [C mol-1] and M_Si [g mol-1] (physics.md 3.1).

    Parameters
    ----------
    x_li : float or array
        Li atoms per Si atom [-].

    Returns
    -------
    float or array
        3579 mAh/g for x = 3.75 (Li15Si4), 4199 mAh/g for x = 4.4 (Li22Si5).
    """
    x = np.asarray(x_li, dtype=float)
    if np.any(x < 0):
        raise ParameterError("x_li: Li content must be >= 0")
    out = x * FARADAY / (3.6 * molar_mass("Si"))
    return float(out) if out.ndim == 0 else out


def capacity_basis(name_or_value: Any) -> float:
    """Specific capacity [mAh g-1] that defines 1C and the areal capacity.

    Parameters
    ----------
    name_or_value : str or float
        ``"Li15Si4"`` (computed from x = 3.75: 3579 mAh/g), ``"Li22Si5"`` (nominal
        4200 mAh/g, see :data:`NOMINAL_CAPACITY`), a number [mAh g-1] or a string with units
        (``"4200 mAh/g"``).

    Raises
    ------
    ParameterError
        Unknown phase name, wrong unit, or a value that is not positive.
    """
    if isinstance(name_or_value, str):
        key = name_or_value.strip()
        for phase in LITHIATED_PHASES:
            if key.lower() == phase.lower():
                if phase in NOMINAL_CAPACITY:
                    return NOMINAL_CAPACITY[phase]
                return float(theoretical_capacity(LITHIATED_PHASES[phase]))
        if not key or not (key[0].isdigit() or key[0] in "+-."):
            raise ParameterError(
                f"capacity_basis: unknown basis {name_or_value!r}; use "
                f"{' | '.join(LITHIATED_PHASES)} or a number in mAh/g"
            )
    value = to_unit(name_or_value, "mAh/g", "capacity_basis")
    if not value > 0 or not math.isfinite(value):
        raise ParameterError(f"capacity_basis: must be > 0 mAh/g, got {value:g}")
    return value


def capacity_basis_name(name_or_value: Any) -> str:
    """Display name of a basis: the phase name, or ``"<value> mAh/g"``."""
    if isinstance(name_or_value, str):
        for phase in LITHIATED_PHASES:
            if name_or_value.strip().lower() == phase.lower():
                return phase
    return f"{capacity_basis(name_or_value):g} mAh/g"


def areal_capacity(si_loading_mg_cm2: Any, specific_capacity_mAh_g: Any) -> Any:
    """Areal capacity [mAh cm-2] = loading [mg cm-2] x capacity [mAh g-1] / 1000.

    0.917 mg/cm2 x 4200 mAh/g -> 3.85 mAh/cm2 (physics.md 3.2).
    """
    out = np.asarray(si_loading_mg_cm2, dtype=float) * np.asarray(specific_capacity_mAh_g) / 1e3
    return float(out) if out.ndim == 0 else out
