"""Geometry of a pressed composite electrode and a solid-electrolyte separator.

Thickness, loading and volume fractions from weighed powders, skeletal densities, pellet
diameter and relative density (physics.md 4.2, 5.2-5.3); the Si particles' envelope grows
with their intra-particle porosity. Units follow the lab: [mg], [mm], [cm2], [um].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..constants import RHO_SI, density
from ..errors import ParameterError
from ._values import _as, _out

__all__ = [
    "pellet_area",
    "ElectrodeGeometry",
    "electrode_geometry",
    "SeparatorGeometry",
    "separator_geometry",
    "contact_area",
]


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


def contact_area(
    si_mass: float, porosity: float, particle_radius: float, contact_coverage: float
) -> float:
    """Si/solid-electrolyte contact area of the pristine electrode [m2] (SI in and out).

    ``theta_c 3 V_env / R`` with the particles' envelope volume ``V_env = m / (rho (1 - phi))``
    (physics.md 4.2): the outer surface of the (porous) particles, a fraction ``theta_c``
    of which touches the electrolyte. 0.72 mg dense Si, R = 1 um, theta_c = 0.5: 4.64e-4 m2.
    """
    v_env = si_mass / (RHO_SI * (1.0 - porosity))
    return contact_coverage * 3.0 * v_env / particle_radius
