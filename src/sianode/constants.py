"""Physical constants, molar masses and a documented density table.

Constants are CODATA 2018 exact values. Molar masses come from ``periodictable`` (IUPAC
standard atomic weights). Densities are room-temperature values with their sources.
"""

from __future__ import annotations

import functools

from .errors import ParameterError

#: Faraday constant [C mol-1] (CODATA 2018, exact).
FARADAY = 96485.33212
#: Molar gas constant [J mol-1 K-1] (CODATA 2018, exact).
GAS_CONSTANT = 8.314462618
#: Boltzmann constant [eV K-1] (CODATA 2018, exact).
BOLTZMANN_EV = 8.617333262e-5
#: 0 degC in kelvin.
ZERO_CELSIUS = 273.15

#: Molar mass of Si [g mol-1] (IUPAC standard atomic weight; the one literal in the package).
M_SI = 28.0855
#: Molar mass of Si [kg mol-1].
M_SI_KG = M_SI / 1000.0
#: Density of crystalline Si [kg m-3] (CRC Handbook, 25 C; the one literal in the package).
RHO_SI = 2329.0
#: Density of crystalline Si [g cm-3].
RHO_SI_G_CM3 = RHO_SI / 1000.0
#: Partial molar volume ratio: V/V0 = 1 + OMEGA_RATIO * x (physics.md 4.1, crystallography).
OMEGA_RATIO = 0.749

#: Densities [g cm-3] with sources. Used for template porosity, composite thickness, swelling.
DENSITY_G_CM3: dict[str, tuple[float, str]] = {
    "Si": (RHO_SI_G_CM3, "CRC Handbook of Chemistry and Physics (crystalline Si, 25 C)"),
    "MgO": (3.58, "CRC Handbook (periclase)"),
    "Mg2Si": (1.99, "CRC Handbook (magnesium silicide)"),
    "SiO2": (2.20, "amorphous/fumed silica skeletal density, CRC Handbook (vitreous silica 2.20)"),
    "Mg": (1.738, "CRC Handbook"),
    "Li3PS4": (1.88, "glass/glass-ceramic Li3PS4, 1.87-1.90 g/cm3 (physics.md 5.1) [unverified]"),
    "AB": (1.95, "acetylene black skeletal density (physics.md 5.3) [unverified]"),
    "MgCl2": (2.32, "CRC Handbook"),
}

#: Common names of composite components mapped to formulas for molar-mass look-ups.
ALIASES = {"AB": "C", "acetylene black": "C", "carbon": "C", "LPS": "Li3PS4"}


def density(name: str) -> float:
    """Density of ``name`` [g cm-3] from :data:`DENSITY_G_CM3`.

    Raises
    ------
    ParameterError
        If the material is not in the table (the message lists the known names).
    """
    key = "Li3PS4" if name == "LPS" else name
    if key not in DENSITY_G_CM3:
        raise ParameterError(
            f"density: no density known for {name!r}; known: {', '.join(DENSITY_G_CM3)}"
        )
    return DENSITY_G_CM3[key][0]


@functools.lru_cache(maxsize=64)
def molar_mass(formula: str) -> float:
    """Molar mass [g mol-1] of a chemical ``formula`` (IUPAC atomic weights via periodictable).

    >>> round(molar_mass("Mg2Si"), 2)
    76.7
    """
    import periodictable

    f = ALIASES.get(formula, formula)
    try:
        mass = float(periodictable.formula(f).mass)
    except Exception:
        raise ParameterError(f"reagent: unknown chemical formula {formula!r}") from None
    if mass <= 0:
        raise ParameterError(f"reagent: unknown chemical formula {formula!r}")
    return mass
