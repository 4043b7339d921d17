"""Cell design numbers for Si composite electrodes in pressed-pellet half cells.

Pure functions (physics.md sections 3.1-3.2, 4.2, 5.2-5.3) plus one orchestration function,
:func:`design_from_study`, that applies them to a study file:

- capacity bases: Li15Si4 (x = 3.75, 3579 mAh/g) and Li22Si5 (x = 4.4, nominal 4200 mAh/g);
- composite electrode and separator geometry from masses, weight fractions, pellet diameter
  and relative density;
- C-rate, current and current density conversions, hours per half cycle;
- potentials between reference/counter electrodes (Li+/Li, Li-In at +0.62 V, extensible).

Units follow the lab: masses [mg], areas [cm2], currents [mA], current densities [mA cm-2],
capacities [mAh g-1] and [mAh cm-2], thicknesses [um], potentials [V].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .constants import FARADAY, density, molar_mass
from .errors import ParameterError
from .units import to_unit

__all__ = [
    "LITHIATED_PHASES",
    "NOMINAL_CAPACITY",
    "REFERENCE_ELECTRODES",
    "theoretical_capacity",
    "capacity_basis",
    "capacity_basis_name",
    "pellet_area",
    "ElectrodeGeometry",
    "electrode_geometry",
    "SeparatorGeometry",
    "separator_geometry",
    "areal_capacity",
    "c_rate",
    "current_from_c_rate",
    "current_density",
    "current_from_density",
    "c_rate_from_density",
    "density_from_c_rate",
    "hours_per_half_cycle",
    "register_reference",
    "reference_potential",
    "convert_potential",
    "DesignStep",
    "CellDesign",
    "design_from_study",
    "material_porosity",
]

#: Li per Si in the fully lithiated phases [-].
LITHIATED_PHASES: dict[str, float] = {"Li15Si4": 3.75, "Li22Si5": 4.4}

#: Nominal capacities used in the literature instead of the computed value [mAh g-1].
#: Li22Si5 computes to 4199 mAh/g (x = 4.4, IUPAC M_Si); the customary nominal value, and
#: the one the reference study's C-rates imply (0.127 mA/cm2 = 0.033 C), is 4200 mAh/g.
NOMINAL_CAPACITY: dict[str, float] = {"Li22Si5": 4200.0}

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


# --------------------------------------------------------------------------------------------
# capacity


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


# --------------------------------------------------------------------------------------------
# geometry


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


def pellet_area(diameter_mm: Any) -> Any:
    """Area of a round pellet [cm2] from its diameter [mm]; 10 mm -> 0.7854 cm2."""
    d = _as(diameter_mm, "diameter_mm")
    if np.any(d <= 0):
        raise ParameterError("diameter_mm: must be > 0 mm")
    return _out(np.pi * (d / 20.0) ** 2)


@dataclass
class ElectrodeGeometry:
    """Composite electrode built from weighed powders, pressed to a given relative density.

    Attributes
    ----------
    composite_mass_mg : float or array
        Composite mass [mg].
    diameter_mm : float or array
        Pellet diameter [mm].
    area_cm2 : float or array
        Electrode area [cm2].
    relative_density : float or array
        Particle envelope volume / electrode volume [-] (1 - inter-particle voids).
    si_porosity : float or array
        Intra-particle porosity of the Si [-].
    weight_fractions : dict
        Weight fraction of each component [-].
    masses_mg : dict
        Mass of each component [mg].
    densities_g_cm3 : dict
        Skeletal density used for each component [g cm-3].
    si_mass_mg : float or array
        Si mass [mg].
    si_loading_mg_cm2 : float or array
        Si mass per electrode area [mg cm-2].
    thickness_um : float or array
        Electrode thickness [um].
    volume_fractions : dict
        Volume fraction [-] of each component's solid, of the Si particles' internal pores
        (``"Si_pores"``) and of the voids between particles (``"void"``); they sum to 1.
    si_envelope_fraction : float or array
        Volume fraction of the Si particles including their pores [-]:
        ``m / (rho (1 - phi))`` per electrode volume.
    """

    composite_mass_mg: Any
    diameter_mm: Any
    area_cm2: Any
    relative_density: Any
    si_porosity: Any
    weight_fractions: dict[str, float]
    masses_mg: dict[str, Any]
    densities_g_cm3: dict[str, float]
    si_mass_mg: Any
    si_loading_mg_cm2: Any
    thickness_um: Any
    volume_fractions: dict[str, Any]
    si_envelope_fraction: Any


def _check_fractions(fractions: dict[str, Any], tol: float = 1e-3) -> dict[str, float]:
    if not fractions:
        raise ParameterError("composition: no weight fractions given")
    out: dict[str, float] = {}
    for name, w in fractions.items():
        try:
            value = float(w)
        except (TypeError, ValueError):
            raise ParameterError(f"composition.{name}: expected a number, got {w!r}") from None
        if not (0.0 <= value <= 1.0):
            raise ParameterError(f"composition.{name}: weight fraction must be in [0, 1]")
        out[name] = value
    total = sum(out.values())
    if abs(total - 1.0) > tol:
        raise ParameterError(
            f"composition: weight fractions sum to {total:.4f}, not 1 (tolerance {tol:g})"
        )
    if "Si" not in out:
        raise ParameterError("composition: needs an 'Si' entry (the active material)")
    return out


def electrode_geometry(
    composite_mass_mg: Any,
    fractions: dict[str, float],
    diameter_mm: Any,
    relative_density: Any = 1.0,
    si_porosity: Any = 0.0,
    densities: dict[str, float] | None = None,
) -> ElectrodeGeometry:
    """Mass, loading, thickness and volume fractions of a pressed composite electrode.

    The particles' envelope volume is ``sum(m_i / rho_i)`` with the Si envelope
    ``m_Si / (rho_Si (1 - phi))``; the electrode volume is the envelope volume divided by
    ``relative_density``; thickness = volume / area.

    Parameters
    ----------
    composite_mass_mg : float or array
        Composite mass [mg].
    fractions : dict
        Weight fraction of each component [-], must include ``"Si"`` and sum to 1 within
        1e-3. Names must have a density in :data:`sianode.constants.DENSITY_G_CM3` unless
        given in ``densities``.
    diameter_mm : float or array
        Pellet diameter [mm].
    relative_density : float or array
        Particle envelope volume / electrode volume [-], in (0, 1].
    si_porosity : float or array
        Intra-particle porosity of the Si [-], in [0, 1).
    densities : dict, optional
        Skeletal densities [g cm-3] overriding the table.

    Returns
    -------
    ElectrodeGeometry
        2 mg of 36/55/9 wt % Si/Li3PS4/AB, 10 mm, dense Si, relative density 1: Si 0.72 mg,
        0.7854 cm2, 0.917 mg/cm2, 12.6 um, Si volume fraction 0.313 (physics.md 4.2, 5.3).

    Raises
    ------
    ParameterError
        Negative mass, fractions not summing to 1, unknown component, density or porosity
        out of range.
    """
    w = _check_fractions(fractions)
    mass = _as(composite_mass_mg, "composite_mass")
    if np.any(mass < 0):
        raise ParameterError("composite_mass: mass must be >= 0 mg")
    rd = _as(relative_density, "relative_density")
    if np.any((rd <= 0) | (rd > 1)):
        raise ParameterError("relative_density: must be in (0, 1]")
    phi = _as(si_porosity, "si_porosity")
    if np.any((phi < 0) | (phi >= 1)):
        raise ParameterError("si_porosity: porosity must be in [0, 1)")
    area = np.asarray(pellet_area(diameter_mm))
    rho = {name: (densities or {}).get(name) or density(name) for name in w}
    masses = {name: mass * frac for name, frac in w.items()}
    # mg / (g/cm3) = mm3
    solid = {name: masses[name] / rho[name] for name in w}
    si_envelope = solid["Si"] / (1.0 - phi)
    envelope_total = si_envelope + sum(v for k, v in solid.items() if k != "Si")
    volume_mm3 = envelope_total / rd
    with np.errstate(invalid="ignore", divide="ignore"):
        fracs = {
            name: _out(np.where(volume_mm3 > 0, v / volume_mm3, 0.0)) for name, v in solid.items()
        }
        fracs["Si_pores"] = _out(
            np.where(volume_mm3 > 0, (si_envelope - solid["Si"]) / volume_mm3, 0.0)
        )
        fracs["void"] = _out(np.where(volume_mm3 > 0, 1.0 - rd, 0.0))
        env_frac = _out(np.where(volume_mm3 > 0, si_envelope / volume_mm3, 0.0))
    # mm3 / cm2 = 1e-3 cm3 / cm2 = 1e-3 cm = 10 um
    thickness = volume_mm3 / area * 10.0
    return ElectrodeGeometry(
        composite_mass_mg=_out(mass),
        diameter_mm=_out(_as(diameter_mm, "diameter_mm")),
        area_cm2=_out(area),
        relative_density=_out(rd),
        si_porosity=_out(phi),
        weight_fractions=w,
        masses_mg={k: _out(v) for k, v in masses.items()},
        densities_g_cm3=rho,
        si_mass_mg=_out(masses["Si"]),
        si_loading_mg_cm2=_out(masses["Si"] / area),
        thickness_um=_out(thickness),
        volume_fractions=fracs,
        si_envelope_fraction=env_frac,
    )


@dataclass
class SeparatorGeometry:
    """Solid-electrolyte separator layer pressed from powder.

    Attributes
    ----------
    mass_mg : float or array
        Separator mass [mg].
    diameter_mm, area_cm2 : float or array
        Pellet diameter [mm] and area [cm2].
    material : str
        Solid electrolyte name (density from the table).
    density_g_cm3 : float
        Skeletal density [g cm-3].
    relative_density : float or array
        Solid volume / layer volume [-].
    thickness_um : float or array
        Layer thickness [um]; 80 mg Li3PS4 at 1.88 g/cm3, 10 mm, dense: 542 um.
    se_fraction : float or array
        Volume fraction of solid electrolyte [-] (= relative density).
    """

    mass_mg: Any
    diameter_mm: Any
    area_cm2: Any
    material: str
    density_g_cm3: float
    relative_density: Any
    thickness_um: Any
    se_fraction: Any


def separator_geometry(
    mass_mg: Any,
    diameter_mm: Any,
    relative_density: Any = 1.0,
    material: str = "Li3PS4",
) -> SeparatorGeometry:
    """Thickness of a pressed solid-electrolyte separator (physics.md 5.2).

    Parameters
    ----------
    mass_mg : float or array
        Separator mass [mg].
    diameter_mm : float or array
        Pellet diameter [mm].
    relative_density : float or array
        Solid volume / layer volume [-], in (0, 1].
    material : str
        Name with a density in :data:`sianode.constants.DENSITY_G_CM3`.

    Returns
    -------
    SeparatorGeometry
        80 mg Li3PS4, 10 mm: 542 um dense, 637 um at relative density 0.85.
    """
    mass = _as(mass_mg, "separator_mass")
    if np.any(mass < 0):
        raise ParameterError("separator_mass: mass must be >= 0 mg")
    rd = _as(relative_density, "separator_relative_density")
    if np.any((rd <= 0) | (rd > 1)):
        raise ParameterError("separator_relative_density: must be in (0, 1]")
    rho = density(material)
    area = np.asarray(pellet_area(diameter_mm))
    thickness = mass / rho / rd / area * 10.0  # mm3/cm2 -> um
    return SeparatorGeometry(
        mass_mg=_out(mass),
        diameter_mm=_out(_as(diameter_mm, "diameter_mm")),
        area_cm2=_out(area),
        material=material,
        density_g_cm3=rho,
        relative_density=_out(rd),
        thickness_um=_out(thickness),
        se_fraction=_out(rd),
    )


# --------------------------------------------------------------------------------------------
# currents


def _positive(value: Any, name: str) -> np.ndarray:
    arr = _as(value, name)
    if np.any(arr <= 0):
        raise ParameterError(f"{name}: must be > 0")
    return arr


def c_rate(current_A: Any, capacity_Ah: Any) -> Any:
    """C-rate [h-1] = current / nominal capacity (any consistent units: A and Ah, mA and mAh)."""
    return _out(_as(current_A, "current") / _positive(capacity_Ah, "capacity"))


def current_from_c_rate(c_rate: Any, capacity_Ah: Any) -> Any:
    """Current [A] (or [mA] for a capacity in [mAh]) = C-rate [h-1] x capacity."""
    return _out(_as(c_rate, "c_rate") * _positive(capacity_Ah, "capacity"))


def current_density(current_mA: Any, area_cm2: Any) -> Any:
    """Current density [mA cm-2] from current [mA] and electrode area [cm2]."""
    return _out(_as(current_mA, "current") / _positive(area_cm2, "area"))


def current_from_density(current_density_mA_cm2: Any, area_cm2: Any) -> Any:
    """Current [mA] from current density [mA cm-2] and area [cm2]."""
    return _out(_as(current_density_mA_cm2, "current_density") * _positive(area_cm2, "area"))


def c_rate_from_density(current_density_mA_cm2: Any, areal_capacity_mAh_cm2: Any) -> Any:
    """C-rate [h-1] from current density [mA cm-2] and areal capacity [mAh cm-2].

    0.127 and 0.300 mA/cm2 at 3.85 mAh/cm2 (4200 basis) -> 0.0330 C and 0.0779 C.
    """
    return _out(
        _as(current_density_mA_cm2, "current_density")
        / _positive(areal_capacity_mAh_cm2, "areal_capacity")
    )


def density_from_c_rate(c_rate: Any, areal_capacity_mAh_cm2: Any) -> Any:
    """Current density [mA cm-2] from C-rate [h-1] and areal capacity [mAh cm-2]."""
    return _out(_as(c_rate, "c_rate") * _positive(areal_capacity_mAh_cm2, "areal_capacity"))


def hours_per_half_cycle(c_rate: Any, utilisation: Any = 1.0) -> Any:
    """Duration of one lithiation or delithiation [h] = utilisation / C-rate.

    Parameters
    ----------
    c_rate : float or array
        C-rate [h-1] on the nominal capacity.
    utilisation : float or array
        Fraction of the nominal capacity passed [-] (1 = full).
    """
    u = _as(utilisation, "utilisation")
    if np.any(u < 0):
        raise ParameterError("utilisation: must be >= 0")
    return _out(u / _positive(c_rate, "c_rate"))


# --------------------------------------------------------------------------------------------
# potentials


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


# --------------------------------------------------------------------------------------------
# the study's cell


@dataclass
class DesignStep:
    """One distinct protocol step, with its current in every unit.

    Supports ``step["c_rate"]`` as well as ``step.c_rate``.

    Attributes
    ----------
    text : str
        The protocol line.
    kind : str
        ``"lithiate"``, ``"delithiate"`` or ``"rest"``.
    cycles : str
        Cycles the step runs in, e.g. ``"1-3"``.
    current_mA : float
        Current magnitude [mA].
    current_density_mA_cm2 : float
        Current density [mA cm-2].
    c_rate : float
        C-rate on the design's capacity basis [h-1].
    cutoff_vs_li_V, cutoff_vs_counter_V : float or None
        Voltage limit [V vs Li+/Li] and [V vs counter electrode].
    hours : float or None
        Duration at full utilisation of the nominal capacity (or the time limit, if shorter)
        [h].
    """

    text: str
    kind: str
    cycles: str
    current_mA: float
    current_density_mA_cm2: float
    c_rate: float
    cutoff_vs_li_V: float | None
    cutoff_vs_counter_V: float | None
    hours: float | None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


@dataclass
class CellDesign:
    """Design numbers of a study's cell.

    Attributes
    ----------
    study : str
        Study name.
    material : str
        Si material used for the composite geometry (a key of ``[materials]``).
    si_porosity : float
        Its intra-particle porosity [-].
    basis : str
        Capacity basis name (``"Li22Si5"``, ``"Li15Si4"`` or ``"<n> mAh/g"``).
    capacity_mAh_g : float
        Specific capacity of the basis [mAh g-1].
    si_mass_mg, area_cm2, si_loading_mg_cm2 : float
        Si mass [mg], electrode area [cm2], Si loading [mg cm-2].
    areal_capacity_mAh_cm2 : float
        Nominal areal capacity [mAh cm-2].
    capacity_mAh : float
        Nominal capacity of the electrode [mAh].
    counter_electrode : str
        Counter electrode name.
    counter_potential_V : float
        Its potential [V vs Li+/Li].
    steps : list of DesignStep
        Each distinct protocol step.
    cutoffs_vs_li_V, cutoffs_vs_counter_V : list of float
        Distinct cut-off voltages, ascending [V].
    n_cycles : int
        Cycles in the protocol as written.
    protocol_hours : float
        Duration of the whole protocol at full utilisation [h].
    composite : ElectrodeGeometry
        Composite electrode geometry.
    separator : SeparatorGeometry or None
        Separator geometry (None when the study gives no separator mass).
    """

    study: str
    material: str
    si_porosity: float
    basis: str
    capacity_mAh_g: float
    si_mass_mg: float
    area_cm2: float
    si_loading_mg_cm2: float
    areal_capacity_mAh_cm2: float
    capacity_mAh: float
    counter_electrode: str
    counter_potential_V: float
    steps: list[DesignStep] = field(default_factory=list)
    cutoffs_vs_li_V: list[float] = field(default_factory=list)
    cutoffs_vs_counter_V: list[float] = field(default_factory=list)
    n_cycles: int = 0
    protocol_hours: float = 0.0
    composite: ElectrodeGeometry | None = None
    separator: SeparatorGeometry | None = None


def material_porosity(study: Any, material: str) -> float:
    """Intra-particle porosity [-] of a study material.

    ``porosity`` if the material states it; otherwise from ``bet_area`` and
    ``pore_diameter`` with its ``pore_model`` (:mod:`sianode.pores`); otherwise 0.
    """
    from .pores import pore_volume, porosity_from_pore_volume

    mat = study.section(f"materials.{material}")
    if "porosity" in mat:
        phi = _number(mat["porosity"], f"materials.{material}.porosity")
    elif "bet_area" in mat and "pore_diameter" in mat:
        s = to_unit(mat["bet_area"], "m2/g", f"materials.{material}.bet_area")
        d = to_unit(mat["pore_diameter"], "nm", f"materials.{material}.pore_diameter")
        vp = pore_volume(s, d, str(mat.get("pore_model", "cylinder")))
        phi = float(porosity_from_pore_volume(vp, density("Si")))
    else:
        phi = 0.0
    if not 0.0 <= phi < 1.0:
        raise ParameterError(f"materials.{material}.porosity: porosity must be in [0, 1)")
    return phi


def _block_cycles(protocol: Any) -> list[str]:
    from .protocol import LITHIATE

    labels: list[str] = []
    done = 0
    for block, n in protocol.blocks:
        per = sum(s.kind == LITHIATE for s in block) * n
        label = f"{done + 1}-{done + per}" if per > 1 else f"{done + 1}" if per else "-"
        labels.extend([label] * len(block))
        done += per
    return labels


def design_from_study(
    study: Any,
    basis: Any = None,
    *,
    material: str | None = None,
    composite_mass: Any = None,
    diameter: Any = None,
    separator_mass: Any = None,
    composite_relative_density: Any = None,
    separator_relative_density: Any = None,
    si_porosity: Any = None,
    counter_electrode: str | None = None,
    protocol_text: str | None = None,
) -> CellDesign:
    """Design numbers for a study's cell and protocol.

    Parameters
    ----------
    study : sianode.Study
        Parsed study file (sections ``[cell]``, ``[cell.composition]``, ``[protocol]``,
        optionally ``[materials.*]``).
    basis : str or float, optional
        Capacity basis (:func:`capacity_basis`); default the study's ``cell.capacity_basis``
        (``"Li22Si5"``, 4200 mAh/g, for the reference study).
    material : str, optional
        Which ``[materials]`` entry fills the composite (default: the first one).
    composite_mass, diameter, separator_mass : float or str, optional
        Overrides [mg], [mm], [mg] (strings with units accepted).
    composite_relative_density, separator_relative_density, si_porosity : float, optional
        Overrides [-].
    counter_electrode : str, optional
        Override of ``cell.counter_electrode``.
    protocol_text : str, optional
        Protocol in text form replacing ``protocol.text``.

    Returns
    -------
    CellDesign
        Reference study: Si 0.72 mg, 0.7854 cm2, 0.917 mg/cm2, 3.85 mAh/cm2 (Li22Si5),
        steps at 0.0330 C and 0.0779 C, cut-offs 0.04/1.50 V vs Li = -0.58/+0.88 V vs Li-In.
    """
    from .protocol import DELITHIATE, LITHIATE, parse_protocol

    cell = study.section("cell")
    comp = study.section("cell.composition")
    basis_value = basis if basis is not None else cell.get("capacity_basis", "Li22Si5")
    q = capacity_basis(basis_value)
    mass = to_unit(
        composite_mass if composite_mass is not None else cell.get("composite_mass"),
        "mg",
        "composite_mass",
    )
    diam = to_unit(
        diameter if diameter is not None else cell.get("pellet_diameter"), "mm", "pellet_diameter"
    )
    rd = _number(
        composite_relative_density
        if composite_relative_density is not None
        else cell.get("composite_relative_density", 1.0),
        "composite_relative_density",
    )
    materials = list(study.raw.get("materials", {}))
    if material is None:
        material = materials[0] if materials else "Si"
    elif material not in materials:
        raise ParameterError(
            f"material: unknown {material!r}; the study has {', '.join(materials) or 'none'}"
        )
    if si_porosity is None:
        phi = material_porosity(study, material) if material in materials else 0.0
    else:
        phi = _number(si_porosity, "si_porosity")
    geo = electrode_geometry(mass, comp, diam, rd, phi)

    sep = None
    sep_mass = separator_mass if separator_mass is not None else cell.get("separator_mass")
    if sep_mass is not None:
        sep_rd = _number(
            separator_relative_density
            if separator_relative_density is not None
            else cell.get("separator_relative_density", 1.0),
            "separator_relative_density",
        )
        sep = separator_geometry(
            to_unit(sep_mass, "mg", "separator_mass"),
            diam,
            sep_rd,
            str(cell.get("separator_material", "Li3PS4")),
        )

    counter = counter_electrode or str(cell.get("counter_electrode", "Li"))
    e_counter = reference_potential(counter)
    area = float(geo.area_cm2)
    loading = float(geo.si_loading_mg_cm2)
    q_areal = float(areal_capacity(loading, q))
    cap_mAh = q_areal * area

    text = protocol_text if protocol_text is not None else study.section("protocol").get("text", "")
    proto = parse_protocol(str(text))
    area_m2 = area * 1e-4
    cap_Ah = cap_mAh * 1e-3
    steps: list[DesignStep] = []
    names = {LITHIATE: "lithiate", DELITHIATE: "delithiate"}
    for step, cycles in zip(proto.steps, _block_cycles(proto), strict=True):
        kind = names.get(step.kind, "rest")
        if kind == "rest":
            steps.append(
                DesignStep(
                    step.text, kind, cycles, 0.0, 0.0, 0.0, None, None, step.duration_s / 3600
                )
            )
            continue
        i_mA = step.current_A(area_m2, cap_Ah) * 1e3
        rate = float(c_rate(i_mA, cap_mAh))
        hours = float(hours_per_half_cycle(rate))
        if step.duration_s is not None:
            hours = min(hours, step.duration_s / 3600)
        steps.append(
            DesignStep(
                text=step.text,
                kind=kind,
                cycles=cycles,
                current_mA=i_mA,
                current_density_mA_cm2=float(current_density(i_mA, area)),
                c_rate=rate,
                cutoff_vs_li_V=step.cutoff_vs_li(e_counter),
                cutoff_vs_counter_V=step.cutoff_vs_counter(e_counter),
                hours=hours,
            )
        )
    total_h = 0.0
    for step in proto.expand():
        if step.kind == LITHIATE or step.kind == DELITHIATE:
            h = cap_Ah / step.current_A(area_m2, cap_Ah)
            total_h += min(h, step.duration_s / 3600) if step.duration_s else h
        else:
            total_h += (step.duration_s or 0.0) / 3600
    vs_li = sorted({round(s.cutoff_vs_li_V, 9) for s in steps if s.cutoff_vs_li_V is not None})
    vs_counter = sorted(
        {round(s.cutoff_vs_counter_V, 9) for s in steps if s.cutoff_vs_counter_V is not None}
    )
    return CellDesign(
        study=study.name,
        material=material,
        si_porosity=float(phi),
        basis=capacity_basis_name(basis_value),
        capacity_mAh_g=q,
        si_mass_mg=float(geo.si_mass_mg),
        area_cm2=area,
        si_loading_mg_cm2=loading,
        areal_capacity_mAh_cm2=q_areal,
        capacity_mAh=cap_mAh,
        counter_electrode=counter,
        counter_potential_V=e_counter,
        steps=steps,
        cutoffs_vs_li_V=vs_li,
        cutoffs_vs_counter_V=vs_counter,
        n_cycles=proto.n_cycles,
        protocol_hours=total_h,
        composite=geo,
        separator=sep,
    )
