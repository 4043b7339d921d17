"""Volume change of Li_xSi particles and its buffering by internal porosity.

``V/V0 = 1 + 0.749 x`` (Li per Si; partial molar volume 9.0e-6 m3/mol from the Si and
Li15Si4 lattices, physics.md 4.1). A particle with internal porosity ``phi`` grows into its
usable pore volume ``eta phi`` first; only the excess pushes the envelope outward
(physics.md 4.2). Strains are volumetric and referred to the pristine envelope.

Options: ``"none"`` (no swelling: external strain 0, so strain-driven damage is idle),
``"swelling"`` (all growth goes outward, pores ignored), ``"buffered"`` (default).
"""

from __future__ import annotations

import numpy as np

from ..cell.materials import buffering_limit_x  # noqa: F401  (a material descriptor)
from ..constants import OMEGA_RATIO
from ._jit import physics

MECHANICS_OPTIONS = ("none", "swelling", "buffered")
# OMEGA_RATIO: dV/V0 per Li per Si [-] (sianode.constants; physics.md 4.1; PyBaMM's
# Chen2020 1.2e-5 m3/mol would give 0.998).


@physics
def volume_ratio(x):
    """Solid volume ratio ``V/V0 = 1 + 0.749 x`` [-]; 3.81 at x = 3.75 (+281 %)."""
    return 1.0 + OMEGA_RATIO * x


@physics
def external_strain(x, porosity, usable_pore_fraction):
    """Volumetric strain of the particle envelope [-].

    ``growth = (1 - phi)(V/V0 - 1)``; ``e_ext = max(growth - eta phi, 0)``.

    Parameters
    ----------
    x : float or array
        Li per Si [-].
    porosity : float or array
        Intra-particle porosity phi [-], in [0, 1).
    usable_pore_fraction : float or array
        eta [-]: fraction of the pore volume Li_xSi can grow into.

    Returns
    -------
    float or array
        e_ext [-]. Dense Si at x = 3.75: 2.81. phi = 0.42, eta = 1: zero up to x = 0.98
        (930 mAh/g), 0.94 at 3000 mAh/g (physics.md 4.2).
    """
    growth = (1.0 - porosity) * (volume_ratio(x) - 1.0)
    return np.maximum(growth - usable_pore_fraction * porosity, 0.0)


@physics
def linear_strain(volumetric):
    """Linear strain from volumetric strain [-]: ``(1 + e)^(1/3) - 1``."""
    return (1.0 + volumetric) ** (1.0 / 3.0) - 1.0


@physics
def electrode_thickness_change(thickness, envelope_fraction, envelope_strain):
    """Thickness change of a die-constrained composite [m]: all particle envelope growth goes
    into thickness, ``dL = L v_env e_ext``.

    Parameters
    ----------
    thickness : float or array
        Pristine composite thickness [m].
    envelope_fraction : float or array
        Volume fraction of Si particle envelopes in the composite [-].
    envelope_strain : float or array
        Volumetric envelope strain [-].
    """
    return thickness * envelope_fraction * envelope_strain
