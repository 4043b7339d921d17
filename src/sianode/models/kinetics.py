"""Interfacial kinetics: symmetric Butler-Volmer on the Si/solid-electrolyte contact area."""

from __future__ import annotations

import numpy as np

from ..constants import FARADAY, GAS_CONSTANT
from ._jit import physics

#: Regularisation of i0 near s = 0 and s = 1 [-]: i0 never falls below ~0.1 k0, so a pristine
#: (x = 0) or full particle has a finite overpotential. Numerical choice, documented.
I0_EPSILON = 0.01


@physics
def exchange_current_density(s, k0, epsilon=0.01):
    """Exchange-current density on the Si contact area.

    ``i0 = k0 sqrt((s + e)(1 - s + e))`` with e = :data:`I0_EPSILON`; for the solid electrolyte
    the Li+ concentration is fixed, so the PyBaMM form m c_e^0.5 c_s^0.5 (c_max - c_s)^0.5
    reduces to this (physics.md 3.7).

    Parameters
    ----------
    s : float or array
        Stoichiometry [-].
    k0 : float or array
        Rate prefactor [A m-2] (contact-area basis).
    epsilon : float
        Regularisation [-] (default :data:`I0_EPSILON`; 0 gives PyBaMM's form exactly).

    Returns
    -------
    float or array
        i0 [A m-2]. With e = 0 and s = 0.5: k0/2.
    """
    sc = np.minimum(np.maximum(s, 0.0), 1.0)
    return k0 * np.sqrt((sc + epsilon) * (1.0 - sc + epsilon))


@physics
def butler_volmer_overpotential(j, i0, temperature):
    """Overpotential of symmetric Butler-Volmer kinetics (alpha = 0.5).

    ``eta = (2RT/F) asinh(j / (2 i0))``; positive for j > 0.

    Parameters
    ----------
    j : float or array
        Interfacial current density [A m-2].
    i0 : float or array
        Exchange-current density [A m-2].
    temperature : float or array
        Temperature [K].

    Returns
    -------
    float or array
        eta [V]. At j = 2 i0 sinh(1), eta = 2RT/F = 52.2 mV at 303.15 K.
    """
    return 2.0 * GAS_CONSTANT * temperature / FARADAY * np.arcsinh(j / (2.0 * i0))


@physics
def skeleton_diffusivity(diffusivity, porosity):
    """Effective Li diffusivity of a porous Si skeleton [m2 s-1] (physics.md 8.6).

    ``D_eff = D (1 - phi)^1.5``: Bruggeman's relation applied to the solid phase, through
    which Li reaches the inner Si of a nanoporous secondary particle (its pores hold no
    electrolyte in a cold-pressed sulfide composite).

    Parameters
    ----------
    diffusivity : float or array
        Li diffusivity in dense Li_xSi [m2 s-1].
    porosity : float or array
        Intra-particle porosity phi [-].

    Returns
    -------
    float or array
        [m2 s-1]. phi = 0 returns D; phi = 0.42 gives 0.4417 D (0.58^1.5) [derived].
    """
    return diffusivity * (1.0 - porosity) ** 1.5


@physics
def shrinking_core_area_fraction(crystalline_fraction):
    """Area of a c-Si/a-Li_xSi reaction front relative to the particle surface [-].

    A front moving inward through a sphere leaves a crystalline core of volume fraction z and
    radius R z^(1/3), so its area is ``z^(2/3)`` of the surface (physics.md 8.4).

    Parameters
    ----------
    crystalline_fraction : float or array
        Remaining crystalline volume fraction z of the connected Si [-].

    Returns
    -------
    float or array
        [-]: 1 at z = 1, 0.125**(2/3) = 0.25 at z = 0.125 [derived], 0 at z = 0.
    """
    return np.maximum(crystalline_fraction, 0.0) ** (2.0 / 3.0)
