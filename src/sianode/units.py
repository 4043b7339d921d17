"""Units at the edges: pint parses what users type, the core works in SI floats.

>>> to_si("0.127 mA/cm2", "A/m^2")
1.27
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .errors import ParameterError

__all__ = ["ureg", "to_si", "to_unit", "parse_quantity"]


@functools.lru_cache(maxsize=1)
def _registry() -> Any:
    import pint

    reg = pint.UnitRegistry()
    reg.define("mAh = milliampere * hour")
    return reg


def ureg() -> Any:
    """The shared pint ``UnitRegistry`` (created on first use, not at import)."""
    return _registry()


_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_POWER = re.compile(r"(?<=[A-Za-zµ])(-?\d+)(?![\d.])")


def _normalise(text: str) -> str:
    # "mA/cm2" -> "mA/cm**2", "cm3/g" -> "cm**3/g", "m2 g-1" -> "m**2 g**-1"
    text = text.strip().replace("²", "2").replace("³", "3").replace("µ", "u").replace("μ", "u")
    text = text.replace("Ohm", "ohm").replace("Ω", "ohm")
    text = re.sub(r"\bAh\b", "(A*h)", text)
    text = re.sub(r"\bmAh\b", "(mA*h)", text)
    text = re.sub(r"\bdegC\b", "degC", text)
    return _POWER.sub(r"**\1", text)


def parse_quantity(value: Any, field: str = "value") -> Any:
    """Parse ``value`` (``"2 mg"``, ``"0.127 mA/cm2"``, a pint Quantity) into a pint Quantity.

    Raises
    ------
    ParameterError
        If the text is not a number with a known unit.
    """
    reg = _registry()
    if isinstance(value, reg.Quantity):
        return value
    if isinstance(value, (int, float)):
        return reg.Quantity(float(value))
    if not isinstance(value, str):
        raise ParameterError(f"{field}: expected a number with a unit, got {value!r}")
    m = _NUMBER.match(value)
    try:
        if m:
            unit = _normalise(m.group(2)) if m.group(2).strip() else ""
            q = reg.Quantity(float(m.group(1)), unit) if unit else reg.Quantity(float(m.group(1)))
        else:
            q = reg.Quantity(_normalise(value))
    except Exception as exc:  # pint raises many kinds of errors
        raise ParameterError(f"{field}: cannot read {value!r} as a quantity ({exc})") from None
    return q


def _canonical(unit: str) -> str:
    return unit.strip().replace("**", "").replace("^", "").replace("µ", "u").replace("μ", "u")


#: Conversions done without pint: ``(from, to) -> factor``, the factor pint itself uses, so
#: ``value * factor`` is bit-identical to pint's answer (tests/test_units.py checks every entry
#: against pint). Importing pint costs 0.3-0.8 s, more than a whole ``simulate`` (issue 17).
_FAST_FACTORS: dict[tuple[str, str], float] = {
    ("mA/cm2", "A/m2"): 10.0,
    ("A/cm2", "A/m2"): 10000.0,
    ("MPa", "Pa"): 1e6,
    ("kPa", "Pa"): 1e3,
    ("GPa", "Pa"): 1e9,
    ("bar", "Pa"): 1e5,
    ("mV", "V"): 1e-3,
    ("cm", "m"): 1e-2,
    ("mm", "m"): 1e-3,
    ("um", "m"): 1e-6,
    ("nm", "m"): 1e-9,
    ("nm", "um"): 1e-3,
    ("g", "kg"): 1e-3,
    ("mg", "kg"): 1e-6,
    ("mg", "g"): 1e-3,
    ("g", "mg"): 1e3,
    ("mA", "A"): 1e-3,
    ("uA", "A"): 1e-6,
    ("min", "s"): 60.0,
    ("h", "s"): 3600.0,
    ("S/cm", "S/m"): 100.0,  # conductivity priors (priors.toml)
    ("mS/cm", "S/m"): 0.1,
}
#: Units the tests check the identity conversion on (any unit converts to itself without pint).
_FAST_UNITS = {u for pair in _FAST_FACTORS for u in pair} | {"K", "m2/g", "cm3/g", "1/cm"}


def _fast_to_unit(text: str, unit: str) -> float | None:
    """``text`` ("0.127 mA/cm2") in ``unit`` without pint, or ``None`` if not a simple case."""
    m = _NUMBER.match(text)
    if m is None:
        return None
    src, dst = _canonical(m.group(2)), _canonical(unit)
    number = float(m.group(1))
    if src == dst and src:
        # already in the unit asked for: exact whatever the unit ("1 mol/L" as mol/L, the
        # study's "0.785 cm2" as cm2), as pint's own identity conversion is
        return number
    if src == "degC" and dst == "K":
        return number + 273.15  # pint's offset conversion, bit for bit
    factor = _FAST_FACTORS.get((src, dst))
    return None if factor is None else number * factor


def to_unit(value: Any, unit: str, field: str = "value") -> float:
    """Convert ``value`` to a float in ``unit``.

    A bare number is taken to be in ``unit`` already. A string or Quantity with an
    incompatible dimension raises :class:`ParameterError` naming ``field``.

    Parameters
    ----------
    value : float or str or pint.Quantity
        ``2.0``, ``"2 mg"``, ``"0.127 mA/cm2"``.
    unit : str
        Target unit, e.g. ``"mg"``.
    field : str
        Name used in error messages.
    """
    if isinstance(value, bool):
        raise ParameterError(f"{field}: expected a number, got {value!r}")
    fast = _fast_to_unit(value, unit) if isinstance(value, str) else None
    if isinstance(value, (int, float)):
        out = float(value)
    elif fast is not None:
        out = fast
    else:
        q = parse_quantity(value, field)
        target = _registry().Unit(_normalise(unit))
        if q.dimensionless and not target.dimensionless:
            # a bare number in a string: take it as already in the target unit
            out = float(q.magnitude)
        else:
            try:
                out = float(q.to(target).magnitude)
            except Exception:
                raise ParameterError(
                    f"{field}: {value!r} cannot be converted to {unit} (wrong dimension)"
                ) from None
    if out != out:  # NaN
        raise ParameterError(f"{field}: value is NaN")
    return out


def to_si(value: Any, unit: str, field: str = "value") -> float:
    """Alias of :func:`to_unit`, used where ``unit`` is the SI unit of the core."""
    return to_unit(value, unit, field)
