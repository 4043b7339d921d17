"""Memory layout shared by the compiled engines: records, column orders, codes, constants.

The reduced kernel, the batch engine and the resolved model exchange data with the one
particle solver (:mod:`sianode.simulation.particle`) through the records defined here:

- the cell parameters and mechanism options stay packed float/int vectors (built by
  :meth:`CellParameters.to_vector` and :meth:`ModelOptions.codes`), read through the named
  indices ``P_*`` and ``O_*``;
- a particle's state is one record of :data:`STATE_DTYPE` (a numpy structured scalar; the
  resolved model keeps one per node) plus its radial Li profile;
- a cycle's running totals are one record of :data:`CYCLE_DTYPE`, which is also the stored
  per-cycle row (columns :data:`CYCLE_COLUMNS`).

Everything the compiled code reads from this module is frozen into its machine code; the
cache of that code is keyed on the source of the whole compiled layer
(:mod:`sianode.models._jit`), so an edit here recompiles every engine.
"""

from __future__ import annotations

import numpy as np

from .. import constants as _c
from ..models import degradation as _deg
from ..models._jit import compiled
from .parameters import OPTION_CHOICES, PARAM_NAMES

#: Physical constants come from :mod:`sianode.constants` (one source for the package).
FARADAY = _c.FARADAY
GAS_CONSTANT = _c.GAS_CONSTANT
#: Li per Si in crystalline Li15Si4, the most lithiated phase at room temperature [-]
#: (Obrovac & Krause 2007).
X_LI15SI4 = 3.75
SI_MOLAR_MASS = _c.M_SI_KG
SI_DENSITY = _c.RHO_SI
#: Density [kg m-3] and molar mass [kg mol-1] of the native SiO2 (physics.md 3.8), defined
#: with the side-reaction relations in :mod:`sianode.models.degradation`; the Li it takes per
#: SiO2 is the cell parameter ``oxide_li_per_sio2``.
SIO2_DENSITY = _deg.RHO_SIO2
SIO2_MOLAR_MASS = _deg.M_SIO2
#: Li concentration of the interphase [mol m-3] (Li2S/Li3P mixture, physics.md 3.8).
INTERPHASE_LI_CONCENTRATION = _deg.INTERPHASE_LI_CONCENTRATION
#: Shells of the radial diffusion grid [-].
N_SHELLS = 12

# ---- cell parameters: named indices into CellParameters.to_vector()
_P = {name: i for i, name in enumerate(PARAM_NAMES)}
P_AREA = _P["area"]
P_SI_MASS = _P["si_mass"]
P_EL_L = _P["electrode_thickness"]
P_EL_EPS = _P["electrode_se_fraction"]
P_ENV = _P["envelope_fraction"]
P_SEP_L = _P["separator_thickness"]
P_SEP_EPS = _P["separator_se_fraction"]
P_T = _P["temperature"]
P_XMAX = _P["x_max"]
P_XINIT = _P["x_init"]
P_CRYST = _P["crystalline_fraction"]
P_XAM = _P["x_amorphous"]
P_R = _P["particle_radius"]
P_PHI = _P["porosity"]
P_ETA = _P["usable_pore_fraction"]
P_WALL = _P["wall_size"]
P_SSA = _P["surface_area"]
P_OX = _P["oxide_thickness"]
P_D = _P["diffusivity"]
P_K0 = _P["k0"]
P_I0EPS = _P["i0_regularisation"]
P_THETA = _P["contact_coverage"]
P_K = _P["hysteresis_rate"]
P_SIG = _P["conductivity"]
P_SIG_T = _P["conductivity_reference_temperature"]
P_EA = _P["activation_energy"]
P_BRUG = _P["bruggeman"]
P_Q = _P["connectivity_exponent"]
P_ECE = _P["counter_potential"]
P_I0CE = _P["counter_i0"]
P_BETA = _P["beta"]
P_M = _P["damage_exponent"]
P_E0 = _P["strain_threshold"]
P_PRESS = _P["stack_pressure"]
P_PREF = _P["reference_pressure"]
P_NP = _P["pressure_exponent"]
P_DINT = _P["interphase_first_thickness"]
P_CB = _P["breathing_factor"]
P_KINT = _P["interphase_conductivity"]
P_LI15_MIN = _P["li15si4_min_size"]
P_UC = _P["c_si_plateau"]
P_UW_FORM = _P["li15si4_formation_potential"]
P_UW_DEL = _P["li15si4_delithiation_potential"]
P_SIG_EPS = _P["conductivity_reference_fraction"]
P_OXLI = _P["oxide_li_per_sio2"]
P_UOX = _P["oxide_potential"]
P_UINT = _P["interphase_potential"]

# ---- mechanism options: named indices into ModelOptions.codes()
_O = {name: i for i, name in enumerate(OPTION_CHOICES)}
#: Lengths of the parameter vector and the option codes (the kernel reads them as tuples).
N_PARAMS = len(PARAM_NAMES)
N_OPTIONS = len(OPTION_CHOICES)
O_HYST = _O["hysteresis"]
O_DIFF = _O["diffusion"]
O_CRYST = _O["crystalline"]
O_LI15 = _O["li15si4"]
O_MECH = _O["mechanics"]
O_DAMAGE = _O["damage"]
O_SIDE = _O["side_reactions"]
O_STRAIN = _O["strain_measure"]
O_IGROW = _O["interphase_growth"]

#: One particle's state (the resolved model keeps one per node). Charges are of the particle
#: group the record stands for (the whole cell in the reduced model, one node's Si in the
#: resolved model).
STATE_DTYPE = np.dtype(
    [
        ("z", np.float64),  # pristine crystalline Si fraction [-]
        ("z_core", np.float64),  # crystalline cores a stalled front left inactive [-]
        ("a", np.float64),  # amorphous Li_xSi fraction [-]
        ("w", np.float64),  # c-Li15Si4 fraction [-]
        ("h", np.float64),  # hysteresis state [-], -1 lithiation branch .. +1 delithiation
        ("f", np.float64),  # connected fraction [-]
        ("trapped", np.float64),  # Li trapped in disconnected Si [C]
        ("ox_rem", np.float64),  # native oxide charge left [C]
        ("int_rem", np.float64),  # interphase charge left to form [C]
        ("side_total", np.float64),  # cumulative side-reaction charge [C]
        ("delta_int", np.float64),  # interphase thickness [m]
        ("amp_prev", np.float64),  # damage-measure amplitude reached this delithiation [-]
        ("d_prev", np.float64),  # damage factor at amp_prev [-], 0 while not computed
        # linear strain amplitude of the last delithiation [-] (kept with a breathing interphase)
        ("lin_amp_last", np.float64),
        ("e_hi", np.float64),  # damage measure at the last lithiation's end [-]
        ("u_start", np.float64),  # OCP at the step start for the applied direction [V]
        ("sink_start", np.int64),  # where Li goes at the step start (see particle.SINK_*)
    ]
)

# ---- time series: one row per accepted step
TS_COLUMNS = (
    "time_s",
    "voltage_V",
    "current_A",
    "cycle",
    "step",
    "x_mean",
    "hysteresis",
    "connected_fraction",
    "external_strain",
    "thickness_change_m",
    "trapped_C",
    "side_C",
    "voltage_vs_li_V",
    "charge_net_C",
    "crystalline_fraction",
    "li15si4_fraction",
)
NTS = len(TS_COLUMNS)

# ---- per-cycle rows (and the running totals of the open cycle)
CYCLE_COLUMNS = (
    "cycle",
    "lith_C",
    "delith_C",
    "side_C",
    "trapped_C",
    "connected_fraction",
    "strain_max",
    "strain_min",
    "thickness_change_max_m",
    "lith_J",
    "delith_J",
    "li_connected_C",
    "charge_net_C",
    "time_end_s",
    "x_max_reached",
    "x_min_reached",
    "side_total_C",
    # the voltage budget at the end of the cycle's lithiation [V] (physics.md 8.2): what
    # each loss took when the step ended (NaN where an engine does not split it)
    "eta_separator_V",
    "eta_composite_V",
    "eta_kinetics_V",
    "eta_front_V",
    "eta_interphase_V",
    "eta_counter_V",
    "ocp_lith_end_V",
)
NCY = len(CYCLE_COLUMNS)
#: The voltage-budget columns of :data:`CYCLE_COLUMNS`, in order.
BUDGET_COLUMNS = CYCLE_COLUMNS[CYCLE_COLUMNS.index("eta_separator_V") :]
CYCLE_DTYPE = np.dtype([(name, np.float64) for name in CYCLE_COLUMNS])


@compiled
def keep_alive(*arrays):
    """Use ``arrays`` at this point of a compiled function.

    A record taken from an array (``s = states[0]``) is a pointer into the array's memory and
    does not keep the array alive: numba frees an array after its last use. Compiled code
    that holds such records calls this at its end with the arrays they come from."""
    return len(arrays)


def cycle_table(records: np.ndarray) -> np.ndarray:
    """Per-cycle records as a float array, one column per :data:`CYCLE_COLUMNS` entry."""
    return np.ascontiguousarray(records).view(np.float64).reshape(records.shape + (NCY,))


# ---- run status codes
OK = 0
DIED = 1
CAPACITY_ZERO = 2
STEP_STALLED = 3
CANNOT_START = 4
NEWTON_FAILED = 5
STATUS_TEXT = {
    OK: "completed",
    DIED: "cell died: connected Si fraction fell below 1e-4",
    CAPACITY_ZERO: "cell died: lithiation capacity fell below the end-of-life fraction "
    "(1 % by default) of the first cycle's",
    STEP_STALLED: "a step did not reach its cut-off within the step budget",
    CANNOT_START: "the first lithiation could not start: the cut-off is reached at once",
    NEWTON_FAILED: "the current-distribution solve did not converge",
}
