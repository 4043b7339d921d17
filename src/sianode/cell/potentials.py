"""Potentials of reference and counter electrodes against Li+/Li (Li, Li-In, extensible)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ParameterError
from ._values import _as, _out

__all__ = [
    "REFERENCE_ELECTRODES",
    "register_reference",
    "reference_potential",
    "convert_potential",
]

#: Potentials of reference/counter electrodes [V vs Li+/Li]. Li-In (In/InLi two-phase):
#: 0.62 V, Santhosha et al., Batteries & Supercaps 2 (2019) 524. Extend with
#: :func:`register_reference`.
REFERENCE_ELECTRODES: dict[str, float] = {"Li": 0.0, "Li-In": 0.62}

_REFERENCE_ALIASES = {
    "li+/li": "Li",
    "li/li+": "Li",
    "li+": "Li",
    "lithium": "Li",
    "liin": "Li-In",
    "in-li": "Li-In",
    "inli": "Li-In",
    "li-in alloy": "Li-In",
}


def _reference_key(name: str) -> str:
    if not isinstance(name, str):
        raise ParameterError(f"reference electrode: expected a name, got {name!r}")
    lowered = name.strip().lower()
    for known in REFERENCE_ELECTRODES:
        if lowered == known.lower():
            return known
    alias = _REFERENCE_ALIASES.get(lowered) or _REFERENCE_ALIASES.get(lowered.replace(" ", ""))
    if alias is not None and alias in REFERENCE_ELECTRODES:
        return alias
    raise ParameterError(
        f"reference electrode: unknown {name!r}; known: {', '.join(REFERENCE_ELECTRODES)} "
        "(add one with register_reference)"
    )


def register_reference(name: str, potential_vs_li: float) -> None:
    """Add (or replace) a reference/counter electrode.

    Parameters
    ----------
    name : str
        Name used in study files and on the command line, e.g. ``"Li4Ti5O12"``.
    potential_vs_li : float
        Its potential [V vs Li+/Li], e.g. 1.55 for LTO.
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError("reference electrode: name must be a non-empty string")
    try:
        value = float(potential_vs_li)
    except (TypeError, ValueError):
        raise ParameterError(f"reference electrode {name}: potential must be a number") from None
    if not math.isfinite(value):
        raise ParameterError(f"reference electrode {name}: potential must be finite")
    REFERENCE_ELECTRODES[name.strip()] = value


def reference_potential(name: str) -> float:
    """Potential of a reference/counter electrode [V vs Li+/Li] (aliases like ``"Li+/Li"``)."""
    return REFERENCE_ELECTRODES[_reference_key(name)]


def convert_potential(value_V: Any, from_ref: str, to_ref: str) -> Any:
    """Express a potential measured against ``from_ref`` against ``to_ref`` [V].

    ``E_to = E_from + E(from_ref vs Li) - E(to_ref vs Li)``.

    Parameters
    ----------
    value_V : float or array
        Potential [V vs ``from_ref``].
    from_ref, to_ref : str
        Names in :data:`REFERENCE_ELECTRODES` (``"Li"``, ``"Li-In"``, ...).

    Returns
    -------
    float or array
        -0.58 and +0.88 V vs Li-In -> 0.04 and 1.50 V vs Li+/Li.
    """
    v = _as(value_V, "potential")
    return _out(v + reference_potential(from_ref) - reference_potential(to_ref))
