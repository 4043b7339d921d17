"""Compiled time stepper of the reduced (uniform-reaction) Si half-cell model.

State per cell (all connected particles identical, physics.md 7.1):

- phase fractions of the connected Si: pristine crystalline ``z``, amorphous ``a`` holding
  ``x_a`` Li per Si (a radial profile with diffusion on), c-Li15Si4 ``w`` (x = 3.75);
- hysteresis state ``h``; connected fraction ``f``; trapped Li; side-reaction reservoirs
  (native oxide, interphase) and interphase thickness.

Galvanostatic steps are integrated with steps bounded in stoichiometry (``ds_max``) and in
voltage change (``dv_max``); a cut-off is located by bisection of the last step to 1 nV.
All state updates are exact for the step (charge is moved, never integrated approximately),
so charge is conserved to round-off: charge passed = Li in connected Si + trapped Li +
side-reaction charge.

The physics functions are the ones in :mod:`sianode.models`, compiled by numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..constants import FARADAY
from ..models.degradation import damage_factor, interphase_charge_per_area
from ..models.electrolyte import arrhenius_conductivity, composite_resistance, separator_resistance
from ..models.hysteresis import one_state_update
from ..models.kinetics import butler_volmer_overpotential, exchange_current_density
from ..models.mechanics import electrode_thickness_change, external_strain, linear_strain
from ..models.ocp import si_ocp
from .parameters import OPTION_CHOICES, PARAM_NAMES

N_SHELLS = 12

# parameter indices (frozen into the compiled code)
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

_O = {name: i for i, name in enumerate(OPTION_CHOICES)}
O_HYST = _O["hysteresis"]
O_DIFF = _O["diffusion"]
O_CRYST = _O["crystalline"]
O_LI15 = _O["li15si4"]
O_MECH = _O["mechanics"]
O_DAMAGE = _O["damage"]
O_SIDE = _O["side_reactions"]
O_STRAIN = _O["strain_measure"]

# time-series columns
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
)
NCY = len(CYCLE_COLUMNS)

# status codes
OK = 0
DIED = 1
CAPACITY_ZERO = 2
STEP_STALLED = 3
CANNOT_START = 4
STATUS_TEXT = {
    OK: "completed",
    DIED: "cell died: connected Si fraction fell below 1e-4",
    CAPACITY_ZERO: "cell died: lithiation capacity fell below 0.1 % of the first cycle's",
    STEP_STALLED: "a step did not reach its cut-off within the step budget",
    CANNOT_START: "the first lithiation could not start: the cut-off is reached at once",
}


@njit(cache=True)
def _profile_mean(prof, vol):
    s = 0.0
    for i in range(prof.size):
        s += prof[i] * vol[i]
    return s


@njit(cache=True)
def _diffuse(prof, vol, area_f, dr, D, dt, source):
    """Implicit-Euler finite-volume step of radial diffusion with a surface source.

    ``source`` [-] is the change of the volume-mean Li per Si delivered at the surface.
    Conserves the volume-weighted mean exactly (to round-off)."""
    n = prof.size
    a = np.zeros(n)
    b = np.zeros(n)
    c = np.zeros(n)
    r = np.zeros(n)
    for i in range(n):
        b[i] = vol[i] / dt
        r[i] = vol[i] / dt * prof[i]
        if i > 0:
            g = D * area_f[i] / dr
            a[i] = -g
            b[i] += g
        if i < n - 1:
            g = D * area_f[i + 1] / dr
            c[i] = -g
            b[i] += g
    r[n - 1] += source / dt  # vol normalised to 1 in total
    # Thomas algorithm
    for i in range(1, n):
        m = a[i] / b[i - 1]
        b[i] -= m * c[i - 1]
        r[i] -= m * r[i - 1]
    out = np.empty(n)
    out[n - 1] = r[n - 1] / b[n - 1]
    for i in range(n - 2, -1, -1):
        out[i] = (r[i] - c[i] * out[i + 1]) / b[i]
    return out


@njit(cache=True)
def convert_phases(sink, dx, x_surf, z, a, w, prof, p):
    """Move ``dx`` Li per connected Si through a two-phase reaction; returns (z, a, w, ds).

    sink 1: c-Si -> a-Li_xSi at x_amorphous (what exceeds the remaining c-Si goes into the
    amorphous phase, ds = its stoichiometry change); 2: a-Li_xSi -> c-Li15Si4 at constant
    x_a; 3: c-Li15Si4 -> a-Si (x = 0). ``prof`` (the amorphous Li profile) is updated in
    place. Shared by the reduced and the resolved models."""
    ns = prof.size
    ds_amorph = 0.0
    if sink == 1:
        dz = dx / p[P_XAM]
        rest = 0.0
        if dz > z:
            rest = (dz - z) * p[P_XAM]
            dz = z
        z -= dz
        na = a + dz
        for i in range(ns):
            prof[i] = (a * prof[i] + dz * p[P_XAM]) / na
        a = na
        if rest > 0.0:
            for i in range(ns):
                prof[i] += rest / a
            ds_amorph = rest / a / p[P_XMAX]
    elif sink == 2:
        dw = dx / max(3.75 - x_surf, 1e-6)
        if dw > a:
            dw = a
        a -= dw
        w += dw
    elif sink == 3:
        dw = -dx / 3.75
        if dw > w:
            dw = w
        w -= dw
        na = a + dw
        for i in range(ns):
            prof[i] = a * prof[i] / na
        a = na
    return z, a, w, ds_amorph


@njit(cache=True)
def side_reactions(
    I, direction, dt, f, n_si, x_room, ox_rem, int_rem, side_total, delta_int, a_contact0
):
    """Share of a lithiation current taken by the side reactions during ``dt``.

    The side reactions take ``I Q_rem / (Q_rem + Q_room)`` (Q_room: charge the connected Si
    can still take), the native oxide first, then the interphase, whose thickness grows by
    its charge over (F c_Li A_contact). Returns (I_side [A], oxide left [C], interphase left
    [C], cumulative side charge [C], interphase thickness [m]). Shared by the reduced and the
    resolved models."""
    Q_room = FARADAY * f * n_si * max(x_room, 1e-9)
    side_rem = ox_rem + int_rem
    I_side = 0.0
    if direction > 0 and I > 0.0:
        I_side = I * side_rem / (side_rem + Q_room)
    dq_side = I_side * dt
    if dq_side > side_rem:
        dq_side = side_rem
        I_side = dq_side / dt if dt > 0 else 0.0
    take_ox = min(dq_side, ox_rem)
    ox_rem -= take_ox
    take_int = dq_side - take_ox
    int_rem -= take_int
    if int_rem < 0.0:
        int_rem = 0.0
    side_total += dq_side
    delta_int += take_int / (FARADAY * 52600.0 * max(a_contact0 * f, 1e-30))
    return I_side, ox_rem, int_rem, side_total, delta_int


@njit(cache=True)
def _write_cycle(
    row,
    cycle,
    lith,
    deli,
    side,
    trapped,
    f,
    emax,
    emin,
    dlmax,
    elith,
    edeli,
    li_conn,
    q_net,
    t,
    xmax,
    xmin,
    side_total,
):
    """Fill one per-cycle row (order of :data:`CYCLE_COLUMNS`)."""
    row[0] = cycle
    row[1] = lith
    row[2] = deli
    row[3] = side
    row[4] = trapped
    row[5] = f
    row[6] = emax
    row[7] = emin if emin < 1e299 else 0.0
    row[8] = dlmax
    row[9] = elith
    row[10] = edeli
    row[11] = li_conn
    row[12] = q_net
    row[13] = t
    row[14] = xmax
    row[15] = xmin if xmin < 1e299 else 0.0
    row[16] = side_total


@njit(cache=True)
def _strain_of(x_mean, p, opt):
    mech = opt[O_MECH]
    if mech == 0:
        return 0.0
    if mech == 1:
        return external_strain(x_mean, 0.0, 0.0) * (1.0 - p[P_PHI])
    return external_strain(x_mean, p[P_PHI], p[P_ETA])


@njit(cache=True)
def _damage_measure(e, opt):
    if opt[O_STRAIN] == 1:
        return linear_strain(e)
    return e


@njit(cache=True)
def _ocp_and_sink(direction, x_surf, h, z, a, w, p, opt):
    """Return (OCP [V vs Li], sink code, stoichiometry for kinetics).

    sink: 0 amorphous, 1 c-Si conversion, 2 Li15Si4 formation, 3 Li15Si4 delithiation."""
    xmax = p[P_XMAX]
    s = x_surf / xmax
    ua = si_ocp(s, h)
    if direction > 0:
        if opt[O_CRYST] == 1 and z > 1e-12 and (a <= 1e-12 or ua <= p[P_UC]):
            return p[P_UC], 1, p[P_XAM] / xmax
        if (
            opt[O_LI15] == 1
            and p[P_WALL] > p[P_LI15_MIN]
            and a > 1e-12
            and ua < p[P_UW_FORM]
            and x_surf < 3.75
        ):
            return p[P_UW_FORM], 2, s
        return ua, 0, s
    if direction < 0:
        if w > 1e-12 and (a <= 1e-12 or x_surf <= 1e-9 or ua >= p[P_UW_DEL]):
            return p[P_UW_DEL], 3, 0.99
        return ua, 0, s
    if a <= 1e-12 and z > 1e-12:
        return p[P_UC], 1, p[P_XAM] / xmax
    return ua, 0, s


@njit(cache=True)
def _voltage(I, I_si, U, s_kin, f, delta_int, p, sigma):
    """Cell voltage vs counter electrode [V] for total current I (+ lithiation) [A]."""
    T = p[P_T]
    area = p[P_AREA]
    v_env = p[P_SI_MASS] / (2329.0 * (1.0 - p[P_PHI]))
    a_contact = max(f, 1e-12) * p[P_THETA] * 3.0 * v_env / p[P_R]
    i0 = exchange_current_density(s_kin, p[P_K0], p[P_I0EPS])
    eta = butler_volmer_overpotential(I_si / a_contact, i0, T)
    r_sep = separator_resistance(p[P_SEP_L], sigma, p[P_SEP_EPS], p[P_BRUG])
    r_comp = composite_resistance(p[P_EL_L], sigma, p[P_EL_EPS], p[P_BRUG])
    r_ohm = (r_sep + r_comp / max(f, 1e-12) ** p[P_Q]) / area
    r_int = delta_int / (p[P_KINT] * a_contact)
    eta_ce = butler_volmer_overpotential(I / area, p[P_I0CE], T)
    return U - eta - I * (r_ohm + r_int) - eta_ce - p[P_ECE]


@njit(cache=True)
def run_kernel(p, opt, kind, current, cutoff, duration, step_cycle, record, ds_max, dv_max):
    """Run a protocol. Returns (status, n_ts, ts, n_cyc, cyc, last_step)."""
    xmax = p[P_XMAX]
    n_si = p[P_SI_MASS] / 28.0855e-3
    T = p[P_T]
    sigma = arrhenius_conductivity(p[P_SIG], p[P_EA], T, p[P_SIG_T])
    beta = p[P_BETA] * (p[P_PREF] / p[P_PRESS]) ** p[P_NP]
    damage_on = opt[O_DAMAGE] == 1 and beta > 0.0
    v_env0 = p[P_SI_MASS] / (2329.0 * (1.0 - p[P_PHI]))
    a_contact0 = p[P_THETA] * 3.0 * v_env0 / p[P_R]
    q_int1 = interphase_charge_per_area(p[P_DINT])

    # --- state
    z = p[P_CRYST] if opt[O_CRYST] == 1 else 0.0
    a = 1.0 - z
    w = 0.0
    ns = N_SHELLS if opt[O_DIFF] == 1 else 1
    prof = np.zeros(ns)
    vol = np.ones(ns)
    area_f = np.zeros(ns + 1)
    rad = 0.5 * p[P_WALL]
    dr = rad / ns
    if ns > 1:
        tot = rad**3
        for i in range(ns):
            r_in = i * dr
            r_out = (i + 1) * dr
            vol[i] = (r_out**3 - r_in**3) / tot
            area_f[i] = 3.0 * r_in**2 / tot
        area_f[ns] = 3.0 * rad**2 / tot
    if a > 0.0:
        x0 = p[P_XINIT] / a
    else:
        x0 = 0.0
    for i in range(ns):
        prof[i] = x0
    s_prof = np.zeros(ns)
    h = 0.0
    f = 1.0
    trapped = 0.0  # C
    ox_rem = 0.0
    int_rem = 0.0
    if opt[O_SIDE] >= 1:
        ox_rem = p[P_SSA] * p[P_SI_MASS] * p[P_OX] * 2200.0 / 60.0843e-3 * 4.0 * FARADAY
    if opt[O_SIDE] == 2:
        int_rem = q_int1 * a_contact0
    side_total = 0.0
    delta_int = 0.0
    t = 0.0
    q_net = 0.0
    li_init = FARADAY * n_si * p[P_XINIT]
    e_hi = 0.0
    amp_prev = 0.0
    lin_amp_last = 0.0
    last_dir = 0

    n_steps = kind.size
    cap_ts = 4096 if record else 1
    ts = np.zeros((cap_ts, NTS))
    n_ts = 0
    n_cycles_max = step_cycle[n_steps - 1] if n_steps > 0 else 1
    cyc = np.zeros((n_cycles_max + 1, NCY))
    n_cyc = 0
    status = OK
    cur_cycle = -1
    # per-cycle accumulators
    c_lith = 0.0
    c_deli = 0.0
    c_side0 = 0.0
    c_emax = 0.0
    c_emin = 1e300
    c_dlmax = 0.0
    c_elith = 0.0
    c_edeli = 0.0
    c_xmax = 0.0
    c_xmin = 1e300
    first_lith = -1.0
    last_step = 0

    for k in range(n_steps):
        last_step = k
        # ---- cycle bookkeeping
        if step_cycle[k] != cur_cycle:
            if cur_cycle >= 0:
                xm = a * _profile_mean(prof, vol) + 3.75 * w
                _write_cycle(
                    cyc[n_cyc],
                    cur_cycle,
                    c_lith,
                    c_deli,
                    side_total - c_side0,
                    trapped,
                    f,
                    c_emax,
                    c_emin,
                    c_dlmax,
                    c_elith,
                    c_edeli,
                    FARADAY * f * n_si * xm,
                    q_net + li_init,
                    t,
                    c_xmax,
                    c_xmin,
                    side_total,
                )
                n_cyc += 1
                if first_lith < 0.0:
                    first_lith = c_lith
                elif c_lith < 1e-3 * first_lith:
                    status = CAPACITY_ZERO
                    break
            cur_cycle = step_cycle[k]
            c_lith = 0.0
            c_deli = 0.0
            c_side0 = side_total
            c_emax = 0.0
            c_emin = 1e300
            c_dlmax = 0.0
            c_elith = 0.0
            c_edeli = 0.0
            c_xmax = 0.0
            c_xmin = 1e300
        if f < 1e-4:
            status = DIED
            break
        I = current[k]
        direction = 1 if I > 0 else (-1 if I < 0 else 0)
        # ---- step start: hysteresis target, damage amplitude reset, breathing interphase
        if direction != 0:
            if opt[O_HYST] == 1:
                h = -1.0 if direction > 0 else 1.0
            if direction < 0 and last_dir > 0:
                xm = a * _profile_mean(prof, vol) + 3.75 * w
                e_hi = _damage_measure(_strain_of(xm, p, opt), opt)
                amp_prev = 0.0
            if direction > 0 and last_dir < 0:
                if opt[O_SIDE] == 2:
                    int_rem += q_int1 * p[P_CB] * lin_amp_last * a_contact0 * f
                lin_amp_last = 0.0
            last_dir = direction
        t_step = 0.0
        dur = duration[k]
        cut = cutoff[k]
        # initial voltage
        x_surf = prof[ns - 1]
        U, sink, s_kin = _ocp_and_sink(direction, x_surf, h, z, a, w, p, opt)
        Q_room = FARADAY * f * n_si * max(xmax - (a * _profile_mean(prof, vol) + 3.75 * w), 1e-9)
        side_rem = ox_rem + int_rem
        I_side = I * side_rem / (side_rem + Q_room) if direction > 0 else 0.0
        V = _voltage(I, I - I_side, U, s_kin, f, delta_int, p, sigma)
        if direction != 0 and not np.isnan(cut):
            if (direction > 0 and V <= cut) or (direction < 0 and V >= cut):
                if k == 0 and direction > 0:
                    status = CANNOT_START
                    break
                continue  # step ends at once, zero charge
        dt_next = 1e300
        n_iter = 0
        done = False
        while not done:
            n_iter += 1
            if n_iter > 2_000_000:
                status = STEP_STALLED
                break
            # ---- choose the step
            if direction == 0:
                dt = dur - t_step
                final = True
            else:
                a_eff = a if sink == 0 else 1.0
                a_eff = max(a_eff, 1e-3)
                dt = ds_max * xmax * FARADAY * f * n_si * a_eff / abs(I)
                if dt_next < dt:
                    dt = dt_next
                final = False
                if t_step + dt >= dur:
                    dt = dur - t_step
                    final = True
            # save state
            s_z = z
            s_a = a
            s_w = w
            for i in range(ns):
                s_prof[i] = prof[i]
            s_h = h
            s_f = f
            s_trapped = trapped
            s_ox = ox_rem
            s_int = int_rem
            s_side = side_total
            s_delta = delta_int
            s_amp = amp_prev
            s_lin = lin_amp_last
            lo = 0.0
            hi = dt
            bisect = False
            for _attempt in range(60):
                # restore
                z = s_z
                a = s_a
                w = s_w
                for i in range(ns):
                    prof[i] = s_prof[i]
                h = s_h
                f = s_f
                trapped = s_trapped
                ox_rem = s_ox
                int_rem = s_int
                side_total = s_side
                delta_int = s_delta
                amp_prev = s_amp
                lin_amp_last = s_lin
                # ---- advance the state by dt at current I
                xm0 = a * _profile_mean(prof, vol) + 3.75 * w
                I_side, ox_rem, int_rem, side_total, delta_int = side_reactions(
                    I,
                    direction,
                    dt,
                    f,
                    n_si,
                    xmax - xm0,
                    ox_rem,
                    int_rem,
                    side_total,
                    delta_int,
                    a_contact0,
                )
                I_si = I - I_side
                dx = I_si * dt / (FARADAY * f * n_si)  # Li per connected Si
                x_surf = prof[ns - 1]
                U, sink, s_kin = _ocp_and_sink(direction, x_surf, h, z, a, w, p, opt)
                ds_amorph = 0.0
                if direction != 0:
                    if sink != 0:
                        z, a, w, ds_amorph = convert_phases(sink, dx, x_surf, z, a, w, prof, p)
                    else:
                        dxa = dx / max(a, 1e-12)
                        if ns > 1:
                            prof[:] = _diffuse(prof, vol, area_f, dr, p[P_D], dt, dxa)
                        else:
                            prof[0] += dxa
                        ds_amorph = dxa / xmax
                elif ns > 1 and dt > 0.0:
                    prof[:] = _diffuse(prof, vol, area_f, dr, p[P_D], dt, 0.0)
                # hysteresis
                if opt[O_HYST] == 2 and direction != 0:
                    target = -1.0 if direction > 0 else 1.0
                    h = one_state_update(h, ds_amorph, target, p[P_K])
                # damage during delithiation
                xm = a * _profile_mean(prof, vol) + 3.75 * w
                e_now = _strain_of(xm, p, opt)
                if direction < 0:
                    amp = max(e_hi - _damage_measure(e_now, opt), 0.0)
                    if amp > amp_prev:
                        lin_amp_last = (
                            max(lin_amp_last, linear_strain(e_hi) - linear_strain(e_now))
                            if opt[O_STRAIN] == 0
                            else amp
                        )
                        if damage_on:
                            d_old = damage_factor(amp_prev, beta, p[P_M], p[P_E0])
                            d_new = damage_factor(amp, beta, p[P_M], p[P_E0])
                            ratio = d_new / d_old if d_old > 0.0 else 0.0
                            f_new = f * ratio
                            trapped += (f - f_new) * n_si * xm * FARADAY
                            f = f_new
                        amp_prev = amp
                # voltage after the step
                x_surf = prof[ns - 1]
                U, sink2, s_kin = _ocp_and_sink(direction, x_surf, h, z, a, w, p, opt)
                V_new = _voltage(I, I_si, U, s_kin, f, delta_int, p, sigma)
                if direction == 0 or np.isnan(cut):
                    crossed = False
                else:
                    crossed = (direction > 0 and V_new <= cut) or (direction < 0 and V_new >= cut)
                if crossed:
                    bisect = True
                    hi = dt
                    if abs(V_new - cut) < 1e-9 or (hi - lo) < 1e-13 * max(hi, 1.0):
                        final = True
                        break
                    dt = 0.5 * (lo + hi)
                    continue
                if bisect:
                    lo = dt
                    if abs(V_new - cut) < 1e-9 or (hi - lo) < 1e-13 * max(hi, 1.0):
                        final = True
                        break
                    dt = 0.5 * (lo + hi)
                    continue
                if direction != 0 and abs(V_new - V) > dv_max and dt > 1e-6:
                    dt = 0.5 * dt
                    continue
                break
            # ---- accept
            t += dt
            t_step += dt
            q_net += I * dt
            Vli = V_new + p[P_ECE]
            if direction > 0:
                c_lith += I * dt
                c_elith += I * dt * (0.5 * (V + V_new) + p[P_ECE])
            elif direction < 0:
                c_deli += -I * dt
                c_edeli += -I * dt * (0.5 * (V + V_new) + p[P_ECE])
            if e_now > c_emax:
                c_emax = e_now
            if e_now < c_emin:
                c_emin = e_now
            dl = electrode_thickness_change(p[P_EL_L], p[P_ENV], e_now)
            if dl > c_dlmax:
                c_dlmax = dl
            if xm > c_xmax:
                c_xmax = xm
            if xm < c_xmin:
                c_xmin = xm
            # adapt the next step from the voltage change
            dV = abs(V_new - V)
            if direction != 0 and dV > 0.0:
                dt_next = dt * min(2.0, max(0.2, 0.8 * dv_max / dV))
            else:
                dt_next = 1e300
            V = V_new
            sink = sink2
            if record:
                if n_ts >= ts.shape[0]:
                    ts2 = np.zeros((2 * ts.shape[0], NTS))
                    ts2[:n_ts] = ts[:n_ts]
                    ts = ts2
                ts[n_ts, 0] = t
                ts[n_ts, 1] = V_new
                ts[n_ts, 2] = I
                ts[n_ts, 3] = cur_cycle
                ts[n_ts, 4] = k
                ts[n_ts, 5] = xm
                ts[n_ts, 6] = h
                ts[n_ts, 7] = f
                ts[n_ts, 8] = e_now
                ts[n_ts, 9] = dl
                ts[n_ts, 10] = trapped
                ts[n_ts, 11] = side_total
                ts[n_ts, 12] = Vli
                ts[n_ts, 13] = q_net + li_init
                ts[n_ts, 14] = z
                ts[n_ts, 15] = w
                n_ts += 1
            if final or f < 1e-4:
                done = True
        if status != OK:
            break
    # close the last cycle
    if status in (OK, DIED, STEP_STALLED) and cur_cycle >= 0 and n_cyc < cyc.shape[0]:
        xm = a * _profile_mean(prof, vol) + 3.75 * w
        _write_cycle(
            cyc[n_cyc],
            cur_cycle,
            c_lith,
            c_deli,
            side_total - c_side0,
            trapped,
            f,
            c_emax,
            c_emin,
            c_dlmax,
            c_elith,
            c_edeli,
            FARADAY * f * n_si * xm,
            q_net + li_init,
            t,
            c_xmax,
            c_xmin,
            side_total,
        )
        n_cyc += 1
    return status, n_ts, ts, n_cyc, cyc, last_step
