"""Counter electrodes of a half cell: Li metal or the Li-In two-phase alloy.

Both are infinite Li reservoirs here (a half cell), with symmetric Butler-Volmer kinetics
on the pellet area. Li-In (In/InLi two-phase) sits at 0.62 V vs Li+/Li (Santhosha et al.,
Batteries & Supercaps 2 (2019) 524).
"""

from __future__ import annotations

from .kinetics import butler_volmer_overpotential

#: Potential [V vs Li+/Li] of each counter electrode.
COUNTER_POTENTIAL = {"Li": 0.0, "Li-In": 0.62}
#: Exchange-current density [A m-2] defaults: Li-In i0 ~ 1 mA/cm2 (physics.md 5.4)
#: [unverified]; Li metal 10 A/m2 (PyBaMM half-cell default).
COUNTER_I0 = {"Li": 10.0, "Li-In": 10.0}


def counter_overpotential(current_density, i0, temperature):
    """Overpotential of the counter electrode [V] for ``current_density`` [A m-2] (positive
    when it is being stripped, i.e. when Si is lithiated)."""
    return butler_volmer_overpotential(current_density, i0, temperature)
