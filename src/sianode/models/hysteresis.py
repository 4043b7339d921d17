"""Hysteresis state of the Si OCP.

Options (as in PyBaMM's "open-circuit potential" option):

- ``"none"``: a single average OCP (h = 0 always).
- ``"current-sign"``: h jumps to -1 on lithiation and +1 on delithiation (PyBaMM's
  "current sigmoid" in the limit of a sharp sigmoid).
- ``"one-state"``: dh/dt = K |ds/dt| (h_target - h) (Axen et al., J. Energy Storage 2022,
  doi:10.1016/j.est.2022.103985; one decay constant K per unit stoichiometry change).
"""

from __future__ import annotations

import numpy as np

from ._jit import physics

HYSTERESIS_OPTIONS = ("none", "current-sign", "one-state")


@physics
def one_state_update(h, ds, target, rate):
    """Exact solution of dh/ds = rate (target - h) over a stoichiometry change ``|ds|``.

    Parameters
    ----------
    h : float or array
        Hysteresis state before the step [-].
    ds : float or array
        Stoichiometry change in the step [-] (its sign is ignored).
    target : float or array
        -1 (lithiation) or +1 (delithiation).
    rate : float or array
        Decay constant K [-] (per unit stoichiometry).

    Returns
    -------
    float or array
        h after the step; with ds = 0 (no current) h holds.
    """
    return target + (h - target) * np.exp(-rate * np.abs(ds))
