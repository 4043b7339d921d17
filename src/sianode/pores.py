"""Pore geometry from BET area and pore size (physics.md section 2).

For pores of one shape whose walls carry the whole BET area (external surface neglected):

- cylinders of diameter d: V_p = S d / 4
- slits (parallel plates) of width d: V_p = S d / 2
- spheres of diameter d: V_p = S d / 6

Particle (intra-granular) porosity ``phi = V_p / (V_p + 1/rho)``. Characteristic solid size
from the area: plate walls ``t = 2/(rho S)``, rod ligaments ``4/(rho S)``, equivalent spheres
``6/(rho S)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .constants import RHO_SI_G_CM3
from .errors import ParameterError

__all__ = [
    "PORE_MODELS",
    "pore_volume",
    "porosity_from_pore_volume",
    "pore_volume_from_porosity",
    "porosity_from_bet",
    "bet_area_from_porosity",
    "wall_thickness",
]

#: Pore volume per unit area per unit diameter: V_p = S * d * factor.
PORE_MODELS: dict[str, float] = {"cylinder": 1.0 / 4.0, "slit": 1.0 / 2.0, "sphere": 1.0 / 6.0}
#: Solid dimension t = k / (rho S) for each ligament shape.
WALL_MODELS: dict[str, float] = {"plate": 2.0, "rod": 4.0, "sphere": 6.0}


def _check_model(model: str, table: dict[str, float], field: str) -> float:
    if model not in table:
        raise ParameterError(f"{field}: unknown model {model!r}; choose one of {', '.join(table)}")
    return table[model]


def pore_volume(bet_area: Any, pore_diameter: Any, model: str = "cylinder") -> Any:
    """Specific pore volume from BET area and pore diameter.

    Parameters
    ----------
    bet_area : float or array
        Specific surface area [m2 g-1].
    pore_diameter : float or array
        Pore diameter (slit width) [nm].
    model : {"cylinder", "slit", "sphere"}
        Pore shape.

    Returns
    -------
    float or array
        Pore volume [cm3 g-1]. Example: 213 m2/g, 5.9 nm cylinders -> 0.314 cm3/g.
    """
    k = _check_model(model, PORE_MODELS, "pore_model")
    s = np.asarray(bet_area, dtype=float)
    d = np.asarray(pore_diameter, dtype=float)
    if np.any(s < 0):
        raise ParameterError("bet_area: must be >= 0 m2/g")
    if np.any(d <= 0):
        raise ParameterError("pore_diameter: must be > 0 nm")
    # m2/g * nm = 1e-9 m3/g = 1e-3 cm3/g
    out = k * s * d * 1e-3
    return float(out) if out.ndim == 0 else out


def porosity_from_pore_volume(pore_vol: Any, density: float = RHO_SI_G_CM3) -> Any:
    """Intra-particle porosity ``phi = V_p / (V_p + 1/rho)`` [-].

    Parameters
    ----------
    pore_vol : float or array
        Specific pore volume [cm3 g-1].
    density : float
        Skeletal density of the solid [g cm-3] (Si 2.329).
    """
    v = np.asarray(pore_vol, dtype=float)
    if np.any(v < 0):
        raise ParameterError("pore_volume: must be >= 0 cm3/g")
    if density <= 0:
        raise ParameterError("density: must be > 0 g/cm3")
    out = v / (v + 1.0 / density)
    return float(out) if out.ndim == 0 else out


def pore_volume_from_porosity(porosity: Any, density: float = RHO_SI_G_CM3) -> Any:
    """Inverse of :func:`porosity_from_pore_volume`: ``V_p = phi / ((1 - phi) rho)`` [cm3 g-1]."""
    p = np.asarray(porosity, dtype=float)
    if np.any((p < 0) | (p >= 1)):
        raise ParameterError("porosity: must be in [0, 1)")
    out = p / ((1.0 - p) * density)
    return float(out) if out.ndim == 0 else out


def porosity_from_bet(
    bet_area: Any, pore_diameter: Any, model: str = "cylinder", density: float = RHO_SI_G_CM3
) -> Any:
    """Intra-particle porosity [-] from BET area and pore size: the one place it is derived.

    ``phi = V_p / (V_p + 1/rho)`` with ``V_p`` from :func:`pore_volume`. Every caller (the
    study's material descriptors, the material record, the ``pores`` calculator) uses this.

    Parameters
    ----------
    bet_area : float or array
        Specific surface area [m2 g-1].
    pore_diameter : float or array
        Pore diameter (slit width) [nm].
    model : {"cylinder", "slit", "sphere"}
        Pore shape.
    density : float
        Skeletal density of the solid [g cm-3] (Si 2.329).

    Returns
    -------
    float or array
        213 m2/g, 5.9 nm: 0.423 (cylinders), 0.594 (slits), 0.328 (spheres).
    """
    return porosity_from_pore_volume(pore_volume(bet_area, pore_diameter, model), density)


def bet_area_from_porosity(
    porosity: Any, pore_diameter: Any, model: str = "cylinder", density: float = RHO_SI_G_CM3
) -> Any:
    """Inverse of :func:`porosity_from_bet`: the BET area [m2 g-1] a porosity implies at a
    fixed pore diameter [nm], ``S = phi / ((1 - phi) rho k d)``.

    0.4225 at 5.9 nm (cylinders) -> 213 m2/g.
    """
    k = _check_model(model, PORE_MODELS, "pore_model")
    d = np.asarray(pore_diameter, dtype=float)
    if np.any(d <= 0):
        raise ParameterError("pore_diameter: must be > 0 nm")
    vp = np.asarray(pore_volume_from_porosity(porosity, density))
    out = vp / (k * d * 1e-3)
    return float(out) if out.ndim == 0 else out


def wall_thickness(bet_area: Any, shape: str = "plate", density: float = RHO_SI_G_CM3) -> Any:
    """Characteristic solid size from the area: ``t = k / (rho S)`` [nm].

    ``k`` = 2 (plate walls), 4 (rod ligaments), 6 (equivalent spheres).
    213 m2/g Si -> 4.0 nm plates, 8.1 nm rods, 12.1 nm spheres.
    """
    k = _check_model(shape, WALL_MODELS, "wall_shape")
    s = np.asarray(bet_area, dtype=float)
    if np.any(s <= 0):
        raise ParameterError("bet_area: must be > 0 m2/g")
    # 1/(g/cm3 * m2/g) = cm3/m2 = 1e-6 m3/m2 = 1e3 nm
    out = k / (density * s) * 1e3
    return float(out) if out.ndim == 0 else out
