"""Single-ion solid electrolyte (Li3PS4): Ohm's law only (transference number 1).

No salt concentration gradient develops in a single-ion conductor, so the electrolyte is
described by its conductivity alone (physics.md 5.1).
"""

from __future__ import annotations

import numpy as np

from ._jit import physics


@physics
def arrhenius_conductivity(sigma_ref, activation_energy, temperature, reference_temperature):
    """Conductivity at ``temperature`` from a reference value and an activation energy.

    ``sigma(T) = sigma_ref exp(-Ea/k_B (1/T - 1/T_ref))``.

    Parameters
    ----------
    sigma_ref : float or array
        Conductivity at ``reference_temperature`` [S m-1].
    activation_energy : float or array
        Ea [eV] (Li3PS4: 0.35-0.40 eV).
    temperature, reference_temperature : float or array
        [K].

    Returns
    -------
    float or array
        [S m-1]. 0.37 eV from 298.15 to 303.15 K multiplies sigma by 1.27 (physics.md 5.1).
    """
    return sigma_ref * np.exp(
        -activation_energy / 8.617333262e-5 * (1.0 / temperature - 1.0 / reference_temperature)
    )


@physics
def bruggeman_conductivity(sigma, volume_fraction, exponent):
    """Effective conductivity of a phase of ``volume_fraction`` [-]: ``sigma eps^b`` [S m-1]."""
    return sigma * volume_fraction**exponent


@physics
def separator_resistance(thickness, sigma, volume_fraction, exponent):
    """Area-specific resistance of the separator pellet [ohm m2]: ``L / (sigma eps^b)``.

    542 um of dense Li3PS4 at 3e-4 S/cm gives 181 ohm cm2 (physics.md 5.2).
    """
    return thickness / bruggeman_conductivity(sigma, volume_fraction, exponent)


@physics
def composite_resistance(thickness, sigma, volume_fraction, exponent):
    """Ionic area-specific resistance of a composite electrode with uniform reaction
    [ohm m2]: ``L / (3 sigma eps^b)`` (the mean ionic path is a third of the thickness)."""
    return thickness / (3.0 * bruggeman_conductivity(sigma, volume_fraction, exponent))


@physics
def pellet_relative_conductivity(sigma_pellet, volume_fraction, reference_fraction, exponent):
    """Effective conductivity of an electrolyte phase referred to a pressed pellet [S m-1].

    ``sigma_eff = sigma_pellet (eps / eps_ref)^b`` (physics.md 8.1). A Li3PS4 conductivity
    measured on a cold-pressed pellet of electrolyte volume fraction ``eps_ref`` already holds
    that pellet's voids and tortuosity; only the *difference* in connectivity is corrected.

    Parameters
    ----------
    sigma_pellet : float or array
        Conductivity measured on the pellet [S m-1].
    volume_fraction : float or array
        Electrolyte volume fraction of the layer in question, eps [-].
    reference_fraction : float or array
        Electrolyte volume fraction of the pellet that was measured, eps_ref [-].
    exponent : float or array
        Tortuosity exponent b [-] (Bruggeman 1.5; 1.5-3 in sulfide composites).

    Returns
    -------
    float or array
        [S m-1]. A separator pressed like the measured pellet (eps = eps_ref) has
        ``sigma_pellet``; a composite with eps = 0.504 against eps_ref = 0.9 and b = 1.5
        has 0.419 sigma_pellet (0.504/0.9 = 0.56; 0.56^1.5 = 0.419) [derived].
    """
    return sigma_pellet * (volume_fraction / reference_fraction) ** exponent
