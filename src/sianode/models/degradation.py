"""Degradation: contact loss driven by unbuffered strain, and surface side reactions.

Contact loss (this work, physics.md 7.3): each delithiation shrinks the particle envelope by
an amplitude ``A`` (external volumetric strain lost since the end of lithiation); the solid
electrolyte does not follow, and the connected fraction falls by the factor
``1 - beta k_P max(A - e0, 0)^m``. Applied continuously as the ratio of that factor at the
new and the old amplitude, so a whole delithiation gives exactly the per-cycle law whatever
the time steps. Li in Si that is cut off stays there (trapped).

Side reactions (physics.md 3.8, 7.4): native-oxide lithiation (SiO2 + 4 Li -> Si + 2 Li2O)
on all Si surface (internal pores included: Li reaches the oxide through the Si), and
Li3PS4 reduction (-> Li2S + Li3P) on the Si/electrolyte contact area, first cycle plus fresh
contact from breathing.
"""

from __future__ import annotations

import numpy as np

from ..constants import FARADAY
from ._jit import physics

DAMAGE_OPTIONS = ("none", "strain")
SIDE_REACTION_OPTIONS = ("none", "oxide", "oxide+interphase")

#: SiO2 molar mass [kg mol-1] and density of native oxide [kg m-3].
M_SIO2 = 60.0843e-3
RHO_SIO2 = 2200.0
#: Li consumed per SiO2 (SiO2 + 4 Li -> Si + 2 Li2O; an upper bound, silicates take less).
LI_PER_SIO2 = 4.0


@physics
def damage_factor(amplitude, beta, exponent, threshold):
    """Surviving fraction after a shrinkage of ``amplitude``: ``1 - beta max(A - e0, 0)^m``.

    Parameters
    ----------
    amplitude : float or array
        Unbuffered volumetric strain amplitude A [-].
    beta : float or array
        Damage coefficient [-] (pressure factor included).
    exponent : float or array
        m [-] (default 2, PyBaMM's LAM exponent).
    threshold : float or array
        e0 [-]: no damage below it.

    Returns
    -------
    float or array
        Factor in [0, 1].
    """
    d = np.maximum(amplitude - threshold, 0.0)
    return np.maximum(1.0 - beta * d**exponent, 0.0)


@physics
def pressure_factor(pressure, reference_pressure, exponent):
    """Damage multiplier ``(P_ref / P)^n_P`` [-] (physics.md 5.5; n_P 0.5-1 [unverified]).

    Equal to 1 at the calibration pressure, so it changes nothing in the study itself;
    it exists for what-if studies of stack pressure.
    """
    return (reference_pressure / pressure) ** exponent


def oxide_charge(surface_area: float, thickness: float, li_per_sio2: float = LI_PER_SIO2) -> float:
    """Charge to lithiate a native oxide layer [C].

    ``Q = A d rho_SiO2 / M_SiO2 * n_Li F``.

    Parameters
    ----------
    surface_area : float
        Oxide-covered area [m2].
    thickness : float
        Oxide thickness [m].
    li_per_sio2 : float
        Li taken per SiO2 [-]: 4 for SiO2 + 4 Li -> Si + 2 Li2O (the upper bound), 2 for
        2 SiO2 + 4 Li -> Li4SiO4 + Si, the product seen on native oxide by photoelectron
        spectroscopy (Philippe et al., Chem. Mater. 24 (2012) 1107; physics.md 8.3).

    Notes
    -----
    0.5 nm on 213 m2/g with 4 Li per SiO2 gives ~420 mAh per g Si (physics.md 3.8).
    """
    return surface_area * thickness * RHO_SIO2 / M_SIO2 * li_per_sio2 * FARADAY


#: Li in the Li2S/Li3P interphase that came from the electrode [mol m-3]: Li2S
#: (1.66 g/cm3, 45.95 g/mol) holds 72 300 mol Li per m3; 8 of the 11 Li in
#: 4 Li2S + Li3P come from the electrode -> 52 600 mol m-3 [derived].
INTERPHASE_LI_CONCENTRATION = 52600.0


@physics
def interphase_charge_per_area(thickness):
    """Charge to grow a Li2S/Li3P interphase of ``thickness`` [m] per unit area [C m-2]:
    ``d c_Li F`` with c_Li = 52 600 mol m-3 (10 nm -> 0.0507 C/m2)."""
    return thickness * INTERPHASE_LI_CONCENTRATION * FARADAY
