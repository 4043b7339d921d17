"""pyGAPS without importing CoolProp, for the one adsorbate state the command line needs most.

``import pygaps`` imports CoolProp unconditionally (``pygaps.utilities.coolprop_utilities``),
which costs 2-10 s on a shared 2-core machine, more than the whole sorption analysis. pyGAPS
only needs CoolProp for adsorbate properties (saturation pressure, liquid density, surface
tension, molar mass); when CoolProp cannot be imported, pyGAPS reads them from the
adsorbate's ``properties`` dictionary instead (its documented fallback:
``Adsorbate.get_prop``).

:func:`defer_coolprop` (called by the CLI before anything imports pyGAPS) makes CoolProp
unimportable for pyGAPS's module-level import; :func:`supply_properties` then puts in the
values CoolProp gives for N2 at 77.355 K, the temperature of nearly every N2 isotherm, so the
numbers are identical to the CoolProp run. For any other adsorbate or temperature it imports
CoolProp after all and hands it to pyGAPS, so the results never depend on this module.

Values: CoolProp 8.0.0 HEOS backend through pyGAPS 4.6.1 (``Adsorbate.find("nitrogen")``,
``saturation_pressure(77.355)`` etc.). CoolProp's nitrogen is the reference equation of state
of Span, Lemmon, Jacobsen, Wagner & Yokozeki, J. Phys. Chem. Ref. Data 29 (2000) 1361; its
surface tension the correlation of Mulero, Cachadiña & Parra, J. Phys. Chem. Ref. Data 41
(2012) 043105. 77.355 K is N2's normal boiling point on that equation (p_sat = 1 atm).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["NITROGEN_77K", "defer_coolprop", "coolprop_deferred", "supply_properties"]

#: Temperature [K] of the tabulated state.
T_TABLE = 77.355

#: pyGAPS property name -> value at 77.355 K in pyGAPS's units for ``calculate=False``:
#: molar mass [g/mol], saturation pressure [Pa], surface tension [mN/m], liquid density
#: [g/cm3], liquid molar density [mol/cm3], gas density [g/cm3], gas molar density [mol/cm3].
NITROGEN_77K: dict[str, float] = {
    "molar_mass": 28.01348,
    "saturation_pressure": 101325.07274270477,
    "surface_tension": 8.879611306704362,
    "liquid_density": 0.8060845073859745,
    "liquid_molar_density": 0.028774879357579792,
    "gas_density": 0.004612140275614419,
    "gas_molar_density": 0.00016464003314170249,
}

_TABLES: dict[tuple[str, float], dict[str, float]] = {("nitrogen", T_TABLE): NITROGEN_77K}

#: Start of the warning pyGAPS logs each time it falls back to the properties dictionary.
FALLBACK_WARNING = "Thermodynamic backend failed"


def defer_coolprop() -> bool:
    """Keep pyGAPS's import from loading CoolProp; True if deferred.

    Only acts when neither pyGAPS nor CoolProp is imported yet (otherwise nothing is gained
    and nothing changes). ``sys.modules[name] = None`` is Python's own way to make an import
    fail (importlib docs, "The module cache").
    """
    if "pygaps" in sys.modules or "CoolProp" in sys.modules:
        return False
    sys.modules["CoolProp"] = None  # type: ignore[assignment]
    return True


def coolprop_deferred() -> bool:
    """True when pyGAPS was imported without CoolProp (deferred or not installed)."""
    cpu = sys.modules.get("pygaps.utilities.coolprop_utilities")
    return cpu is not None and getattr(cpu, "CP", None) is None


def _load_coolprop() -> bool:
    """Import CoolProp for real and give it to pyGAPS; False if it is not installed."""
    if sys.modules.get("CoolProp", 0) is None:
        del sys.modules["CoolProp"]
    try:
        import CoolProp
    except ImportError:
        return False
    import pygaps.core.adsorbate as pg_adsorbate
    import pygaps.utilities.coolprop_utilities as pg_cpu

    pg_cpu.CP = CoolProp
    pg_adsorbate.CP = CoolProp
    return True


def supply_properties(adsorbate: Any, temperature: float) -> bool:
    """Make ``adsorbate``'s properties at ``temperature`` [K] available to pyGAPS.

    With CoolProp loaded: nothing to do. Deferred and tabulated: the table's values go into
    ``adsorbate.properties``. Deferred and not tabulated: CoolProp is imported after all.

    Returns
    -------
    bool
        True when the tabulated values are used (pyGAPS then logs fallback warnings, which
        the caller drops: they start with :data:`FALLBACK_WARNING`).
    """
    if not coolprop_deferred():
        return False
    table = _TABLES.get((str(adsorbate).lower(), float(temperature)))
    if table is None:
        _load_coolprop()
        return False
    adsorbate.properties.update(table)
    return True
