"""Open-circuit potential of amorphous Li_xSi, with lithiation and delithiation branches.

The branches are the "Mark2016" 7th-order polynomial fits of the Verbrugge, Baker and Xiao
a-Si data (J. Electrochem. Soc. 163 (2016) A262), as used by PyBaMM's
``Chen2020_composite`` silicon OCP functions (Ai et al., J. Power Sources 527 (2022) 231142).
Stoichiometry ``s = x / x_max`` with ``x_max = 3.75`` (Li15Si4).

We add a wall term ``W(s) = A exp(-s/w) - A exp(-(1-s)/w)`` (A = 0.8 V, w = 0.005) so that
the 1.5 V delithiation cut-off and the lithiation end are reachable: the bare polynomials stay
below 1.0 V at s = 0. The wall changes the OCP by less than 1 mV for 0.04 < s < 0.96; it is a
numerical regularisation, not data.
"""

from __future__ import annotations

import numpy as np

from ._jit import physics

__all__ = [
    "WALL_AMPLITUDE",
    "WALL_WIDTH",
    "mark2016_lithiation",
    "mark2016_delithiation",
    "ocp_wall",
    "si_ocp_lithiation",
    "si_ocp_delithiation",
    "si_ocp",
    "C_SI_PLATEAU",
    "LI15SI4_FORMATION",
    "LI15SI4_DELITHIATION",
]

#: Wall amplitude [V] and width [-] of :func:`ocp_wall`.
WALL_AMPLITUDE = 0.8
WALL_WIDTH = 0.005
#: First-lithiation two-phase plateau of crystalline Si [V vs Li], an *equilibrium* value.
#: Liquid half cells show the amorphisation plateau / dQ/dV peak near 0.10 V at low rate
#: (Obrovac & Christensen, ESSL 7 (2004) A93; Energies 19 (2026) 279, abstract); that measured
#: value includes the ~20 mV overpotential of such cells, so the equilibrium plateau is taken
#: as 0.12 V [estimate, unverified]. Fixed before any calibration.
C_SI_PLATEAU = 0.12
#: Li15Si4 crystallises from a-Li_xSi below about 50 mV vs Li (Obrovac & Krause, JES 154
#: (2007) A103) [unverified value].
LI15SI4_FORMATION = 0.05
#: c-Li15Si4 delithiates on a two-phase plateau near 0.43 V vs Li (Obrovac & Krause 2007)
#: [unverified value].
LI15SI4_DELITHIATION = 0.43


@physics
def mark2016_lithiation(s):
    """Lithiation-branch OCP of a-Si, Mark2016 polynomial (no wall).

    Parameters
    ----------
    s : float or array
        Stoichiometry x/x_max [-], valid in (0, 1).

    Returns
    -------
    float or array
        OCP [V vs Li+/Li]. U(0.5) = 0.191 V (physics.md 3.4 table).
    """
    p = -96.63
    p = p * s + 372.6
    p = p * s - 587.6
    p = p * s + 489.9
    p = p * s - 232.8
    p = p * s + 62.99
    p = p * s - 9.286
    return p * s + 0.8633


@physics
def mark2016_delithiation(s):
    """Delithiation-branch OCP of a-Si, Mark2016 polynomial (no wall).

    Parameters
    ----------
    s : float or array
        Stoichiometry x/x_max [-], valid in (0, 1).

    Returns
    -------
    float or array
        OCP [V vs Li+/Li]. U(0.5) = 0.426 V (physics.md 3.4 table).
    """
    p = -51.02
    p = p * s + 161.3
    p = p * s - 205.7
    p = p * s + 140.2
    p = p * s - 58.76
    p = p * s + 16.87
    p = p * s - 3.792
    return p * s + 0.9937


@physics
def ocp_wall(s):
    """Wall term added to both branches [V]: ``0.8 exp(-s/0.005) - 0.8 exp(-(1-s)/0.005)``."""
    return 0.8 * np.exp(-s / 0.005) - 0.8 * np.exp(-(1.0 - s) / 0.005)


@physics
def si_ocp_lithiation(s):
    """Lithiation branch with wall [V vs Li+/Li]; ``s`` is clipped to [0, 1]."""
    sc = np.minimum(np.maximum(s, 0.0), 1.0)
    return mark2016_lithiation(sc) + ocp_wall(sc)


@physics
def si_ocp_delithiation(s):
    """Delithiation branch with wall [V vs Li+/Li]; ``s`` is clipped to [0, 1]."""
    sc = np.minimum(np.maximum(s, 0.0), 1.0)
    return mark2016_delithiation(sc) + ocp_wall(sc)


@physics
def si_ocp(s, h):
    """OCP with hysteresis state ``h``.

    ``U = (1 + h)/2 U_delith(s) + (1 - h)/2 U_lith(s)`` (PyBaMM hysteresis notebook;
    Axen et al., J. Energy Storage 2022): h = -1 on the lithiation branch, +1 on the
    delithiation branch.

    Parameters
    ----------
    s : float or array
        Stoichiometry [-].
    h : float or array
        Hysteresis state [-], in [-1, 1].

    Returns
    -------
    float or array
        OCP [V vs Li+/Li].
    """
    return 0.5 * (1.0 + h) * si_ocp_delithiation(s) + 0.5 * (1.0 - h) * si_ocp_lithiation(s)
