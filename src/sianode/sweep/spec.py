"""The vocabulary of a sweep spec: which parameters a spec may fix or sweep, their canonical
units, where each acts, and the conversion of user values to those units.

A sweep spec is a TOML file (format: :mod:`sianode.sweep.parse`); this module says what its
parameter names mean. Every parameter is stored in its canonical unit, in a results column
named ``"<name> / <unit>"`` (:func:`column_name`); ``sianode sweep-parameters`` lists them.

Parameters are applied at the level where they act (:class:`ParamInfo.target`):

- ``material``: written into the study's ``[materials.<name>]`` section before the cell is
  derived, so the electrode geometry follows (e.g. porosity changes the Si envelope volume,
  the electrode thickness and the volume fractions; a dense particle's radius sets its wall
  size and external surface area);
- ``cell``: written into the study's ``[cell]`` section (composite mass, pellet diameter ...);
- ``override``: any other :class:`~sianode.simulation.CellParameters` field, set after the
  derivation (converted to SI with the override unit table of
  :data:`sianode.cell.parameters.OVERRIDE_UNITS`);
- ``protocol``: the cycling protocol of the design (current density of the cycling block,
  of the formation block, lithiation/delithiation cut-off voltages, lithiation capacity
  limit).

``lithiation_capacity_limit`` [mAh per g Si] adds a capacity limit to every lithiation step
("Lithiate at I until 0.04 V vs Li or Q mAh/g", :mod:`sianode.protocol`): the step ends at
whichever of the cut-off voltage and the capacity comes first. Under constant current the
protocol implements it as a time limit Q/I on the charge passed (side reactions included),
as a cycler's capacity cut does.

The spec model (:class:`~sianode.sweep.model.SweepSpec`) and the parser
(:func:`~sianode.sweep.parse.parse_spec`) live in their own modules; their names are also
importable from here.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from ..cell.parameters import OVERRIDE_UNITS
from ..errors import ParameterError
from ..units import to_unit

__all__ = ["PARAMETERS", "ParamInfo", "column_name", "closest", "check_bounds"]


@dataclass(frozen=True)
class ParamInfo:
    """A sweepable parameter.

    Attributes
    ----------
    name : str
        Name used in the spec and in the results.
    unit : str
        Canonical unit: values are stored in it (column ``"<name> / <unit>"``).
    target : {"material", "cell", "override", "protocol"}
        Where the value acts (see module docstring).
    si_factor : float
        For ``override``: multiply the canonical value by this to get the SI value of the
        :class:`~sianode.simulation.CellParameters` field.
    description : str
        One line for users.
    """

    name: str
    unit: str
    target: str
    si_factor: float = 1.0
    description: str = ""


def _p(name: str, unit: str, target: str, si: float = 1.0, desc: str = "") -> ParamInfo:
    return ParamInfo(name, unit, target, si, desc)


#: Parameters with a derivation or protocol meaning; other CellParameters fields are added
#: below as SI overrides with a user-friendly canonical unit.
_SPECIAL: tuple[ParamInfo, ...] = (
    _p("porosity", "1", "material", desc="intra-particle porosity of the Si (geometry re-derived)"),
    _p("particle_radius", "um", "material", desc="Si particle / porous secondary-particle radius"),
    _p("bet_area", "m2/g", "material", desc="specific surface area (sets walls and oxide area)"),
    _p("pore_diameter", "nm", "material", desc="pore diameter (with BET area: porosity)"),
    _p("composite_mass", "mg", "cell", desc="composite electrode mass (loading)"),
    _p("pellet_diameter", "mm", "cell", desc="pellet diameter"),
    _p("separator_mass", "mg", "cell", desc="separator (solid electrolyte) mass"),
    _p("composite_relative_density", "1", "cell", desc="composite relative density"),
    _p("current_density", "mA/cm2", "protocol", desc="current density of the cycling block"),
    _p("formation_current_density", "mA/cm2", "protocol", desc="current density of earlier blocks"),
    _p("lithiation_cutoff", "V", "protocol", desc="lithiation cut-off [V vs Li+/Li]"),
    _p("delithiation_cutoff", "V", "protocol", desc="delithiation cut-off [V vs Li+/Li]"),
    _p(
        "lithiation_capacity_limit",
        "mAh/g",
        "protocol",
        desc="lithiation capacity cut per g Si ('... or Q mAh/g' on lithiation steps)",
    ),
)

#: Canonical units of CellParameters fields used as overrides: (unit, factor to SI).
#: Owned by the parameter dataclass (sianode.cell.parameters.OVERRIDE_UNITS).
_OVERRIDE_UNITS: dict[str, tuple[str, float]] = OVERRIDE_UNITS


def _build_registry() -> dict[str, ParamInfo]:
    from ..cell.parameters import PARAM_NAMES

    reg = {p.name: p for p in _SPECIAL}
    for name in PARAM_NAMES:
        if name in reg:
            continue
        unit, factor = _OVERRIDE_UNITS.get(name, ("1", 1.0))
        reg[name] = ParamInfo(name, unit, "override", factor, f"CellParameters.{name}")
    return reg


#: Every parameter a spec may fix or sweep, by name.
PARAMETERS: dict[str, ParamInfo] = _build_registry()


def column_name(name: str) -> str:
    """Results column of parameter ``name``: ``"<name> / <unit>"``."""
    return f"{name} / {PARAMETERS[name].unit}"


def _info(name: str, where: str) -> ParamInfo:
    try:
        return PARAMETERS[name]
    except KeyError:
        raise ParameterError(
            f"{where}: unknown parameter {name!r}{closest(name, PARAMETERS)} "
            "(sianode sweep-parameters lists them)"
        ) from None


def _canon(value: Any, info: ParamInfo, where: str, unit: str | None = None) -> float:
    """A user value (number in ``unit`` or the canonical unit, or a string with a unit) in
    the canonical unit of ``info``."""
    if isinstance(value, bool):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, float)) and unit and unit != info.unit:
        value = f"{value} {unit}"
    if info.unit == "1":
        if isinstance(value, str):
            out = to_unit(value, "dimensionless", where)
        else:
            out = float(value)
    else:
        out = to_unit(value, info.unit, where)
    if not math.isfinite(out):
        raise ParameterError(f"{where}: must be finite, got {value!r}")
    return out


def closest(key: str, known: Any) -> str:
    """``"; did you mean 'x'?"`` for the known name closest to ``key`` (empty if none is
    close), for error messages about misspelt keys."""
    hit = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean {hit[0]!r}?" if hit else ""


#: Physical ranges of the parameters that have one: (low, high, low included, high included).
#: Checked while the spec is parsed; everything else is checked by building a cell of each
#: value before a sweep runs (:func:`sianode.sweep.validate.validate_spec`).
_BOUNDS: dict[str, tuple[float, float, bool, bool]] = {
    "porosity": (0.0, 1.0, True, False),
    "particle_radius": (0.0, math.inf, False, False),
    "bet_area": (0.0, math.inf, False, False),
    "pore_diameter": (0.0, math.inf, False, False),
    "composite_mass": (0.0, math.inf, False, False),
    "pellet_diameter": (0.0, math.inf, False, False),
    "separator_mass": (0.0, math.inf, False, False),
    "composite_relative_density": (0.0, 1.0, False, True),
    "current_density": (0.0, math.inf, False, False),
    "formation_current_density": (0.0, math.inf, False, False),
    "lithiation_capacity_limit": (0.0, math.inf, False, False),
}


def check_bounds(name: str, value: float, where: str) -> None:
    """Raise :class:`ParameterError` if ``value`` [canonical unit] is outside the physical
    range of parameter ``name`` (:data:`_BOUNDS`)."""
    if name not in _BOUNDS:
        return
    lo, hi, lo_in, hi_in = _BOUNDS[name]
    ok = (value >= lo if lo_in else value > lo) and (value <= hi if hi_in else value < hi)
    if not ok:
        unit = PARAMETERS[name].unit
        rng = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"
        shown = f"{value:g}" if unit == "1" else f"{value:g} {unit}"
        raise ParameterError(f"{where}: {name} = {shown} is outside its physical range {rng}")


_LAZY = {
    "GridAxis": "model",
    "Range": "model",
    "OutputSpec": "model",
    "SweepSpec": "model",
    "design_id": "model",
    "parse_spec": "parse",
    "load_spec": "parse",
    "example_spec_path": "parse",
}


def __getattr__(name: str) -> Any:
    """The spec model and parser, importable from here as before the split."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
