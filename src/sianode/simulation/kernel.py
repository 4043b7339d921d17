"""Compiled time stepper of the reduced (uniform-reaction) Si half-cell model.

All connected particles are identical (physics.md 7.1), so the cell is one particle group
advanced by the particle solver :func:`sianode.simulation.particle.advance_particle`; this
module adds the cell voltage and the protocol loop.

Galvanostatic steps are integrated with steps bounded in stoichiometry (``ds_max``) and in
voltage change (``dv_max``); a cut-off is located by bisection of the last step to 1 nV. A
lithiation also ends when the Si is full (mean Li per Si at the model's limit ``x_max``),
a delithiation when it is empty: the model has no other sink or source of Li (no plating). All state updates are exact for the step,
so charge is conserved to round-off: charge passed = Li in connected Si + trapped Li +
side-reaction charge.
"""

from __future__ import annotations

import numpy as np
from numba.np.unsafe.ndarray import to_fixed_tuple

from ..models._jit import compiled
from ..models.electrolyte import arrhenius_conductivity, pellet_relative_conductivity
from ..models.kinetics import butler_volmer_overpotential, exchange_current_density
from ..models.mechanics import electrode_thickness_change
from .accounting import accumulate_step, close_cycle, keep_budget, open_cycle, write_sample
from .borrowed import borrowed
from .layout import (
    CANNOT_START,
    CAPACITY_ZERO,
    CYCLE_COLUMNS,
    CYCLE_DTYPE,
    DIED,
    FARADAY,
    N_OPTIONS,
    N_PARAMS,
    NCY,
    NTS,
    OK,
    P_AREA,
    P_BRUG,
    P_EA,
    P_ECE,
    P_EL_EPS,
    P_EL_L,
    P_ENV,
    P_I0CE,
    P_I0EPS,
    P_K0,
    P_KINT,
    P_Q,
    P_SEP_EPS,
    P_SEP_L,
    P_SIG,
    P_SIG_EPS,
    P_SIG_T,
    P_T,
    P_XINIT,
    P_XMAX,
    STATE_DTYPE,
    STATUS_TEXT,
    STEP_STALLED,
    TS_COLUMNS,
    keep_alive,
)
from .particle import (
    SINK_SIDE,
    advance_particle,
    cache_start_ocp,
    contact_area,
    damage_coefficient,
    front_overpotential,
    init_particle,
    mean_li,
    particle_ocp,
    radial_grid,
    silicon_moles,
    start_half_step,
    stoichiometry_step,
)
from .stepping import (
    ACCEPT_FINAL,
    MAX_SUB_STEPS,
    RETRY,
    RETRY_FINAL,
    beyond_cutoff,
    capacity_died,
    cutoff_bracket,
    next_step_limit,
    open_bracket,
    si_full_or_empty,
    with_room,
)

__all__ = [
    "CANNOT_START",
    "CAPACITY_ZERO",
    "CYCLE_COLUMNS",
    "DIED",
    "NCY",
    "NTS",
    "OK",
    "STATUS_TEXT",
    "STEP_STALLED",
    "TS_COLUMNS",
    "voltage_budget",
    "run_kernel",
]

#: Default end of life [-]: a run stops when a cycle's lithiation capacity falls below this
#: fraction of the first cycle's (1 %; the study's cells keep 17 % and 34 % at cycle 50, the
#: dense cell falls below 1 % near cycle 1100).
DEAD_CAPACITY_FRACTION = 0.01
#: A run stops when the connected Si fraction falls below this [-].
DEAD_CONNECTED_FRACTION = 1e-4


#: The cell-voltage constants of a run (:func:`budget_constants`), one record: a record is
#: passed into inlined functions without reference counting, an array is not.
BUDGET_CONST_DTYPE = np.dtype(
    [
        ("contact", np.float64),  # fully connected contact area [m2]
        ("r_sep", np.float64),  # separator resistance x area [ohm m2]
        ("r_comp", np.float64),  # composite resistance x area, fully connected [ohm m2]
        ("eta_ce", np.float64),  # counter-electrode overpotential of the current step [V]
        ("f", np.float64),  # connected fraction of the last f^q evaluation [-]
        ("fq", np.float64),  # its max(f, 1e-12)^q [-]
    ]
)


@compiled(inline=True)
def budget_constants(p, sigma, out):
    """Store in ``out`` (a record of :data:`BUDGET_CONST_DTYPE`) the parts of the cell
    voltage that depend on the design only: contact area, separator and composite
    resistances of the pellet conductivity ``sigma`` [S m-1] referred to the pellet
    (physics.md 8.1). Computed once per run instead of at every voltage evaluation (issue 17);
    the same operations, so the same numbers."""
    out.contact = contact_area(p)
    sig_ref = p[P_SIG_EPS]
    out.r_sep = p[P_SEP_L] / pellet_relative_conductivity(sigma, p[P_SEP_EPS], sig_ref, p[P_BRUG])
    sig_comp = pellet_relative_conductivity(sigma, p[P_EL_EPS], sig_ref, p[P_BRUG])
    out.r_comp = p[P_EL_L] / (3.0 * sig_comp)
    out.eta_ce = 0.0
    out.f = -1.0  # no f^q evaluated yet
    out.fq = 1.0


@compiled(inline=True)
def step_constants(I, p, out):
    """Store the counter-electrode overpotential [V] of a step at current ``I`` [A] (constant
    over the step) in ``out.eta_ce``."""
    out.eta_ce = butler_volmer_overpotential(I / p[P_AREA], p[P_I0CE], p[P_T])


@compiled(inline=True)
def voltage_budget(I, I_si, U, s_kin, sink, s, p, opt, c, out):
    """Losses between the Si OCP and the cell voltage [V], written to ``out`` (a record with
    the ``eta_*_V`` fields of ``CYCLE_DTYPE``); returns the cell voltage vs the counter
    electrode [V].

    Total current ``I`` [A, + lithiation], of which ``I_si`` [A] reacts with Si of OCP ``U``
    [V vs Li] and kinetic stoichiometry ``s_kin`` [-] on ``sink``; particle state ``s``
    (connected fraction, crystalline core, interphase thickness); ``c`` the run's and step's
    constants (:func:`budget_constants`, :func:`step_constants`). Butler-Volmer on the
    connected contact area, the c-Si front (physics.md 8.4), separator and composite ohmic
    drops referred to the pellet (composite ~ 1/f^q, physics.md 8.1), interphase film,
    counter electrode."""
    f = s.f
    T = p[P_T]
    area = p[P_AREA]
    a_contact = max(f, 1e-12) * c.contact
    i0 = exchange_current_density(s_kin, p[P_K0], p[P_I0EPS])
    # side reactions and Si lithiation pass the same Si/electrolyte contact: the interfacial
    # kinetics carry the whole reacting current (physics.md 8.3)
    eta = butler_volmer_overpotential(I / a_contact, i0, T)
    eta_front = front_overpotential(s, sink, I_si, a_contact, s_kin, p, opt)
    r_sep = c.r_sep
    if f != c.f:  # f changes only when contact is lost: the power is reused in between
        c.f = f
        c.fq = max(f, 1e-12) ** p[P_Q]
    r_comp = c.r_comp / c.fq
    r_int = s.delta_int / (p[P_KINT] * a_contact)
    eta_ce = c.eta_ce
    out.eta_separator_V = I * r_sep / area
    out.eta_composite_V = I * r_comp / area
    out.eta_kinetics_V = eta
    out.eta_front_V = eta_front
    out.eta_interphase_V = I * r_int
    out.eta_counter_V = eta_ce
    out.ocp_lith_end_V = U
    return U - eta - eta_front - I * ((r_sep + r_comp) / area + r_int) - eta_ce - p[P_ECE]


@compiled(nogil=True)
def run_kernel(
    p_vec,
    opt_vec,
    kind,
    current,
    cutoff,
    duration,
    step_cycle,
    record,
    ds_max,
    dv_max,
    dead_fraction,
    progress,
):
    """Run a protocol (numeric step table) for one cell.

    ``dead_fraction``: stop when a cycle's lithiation capacity falls below this fraction of
    the first cycle's [-]. ``progress``: int64 array that receives the number of finished
    cycles as the run goes (size 0: not reported). A lithiation step also ends when the Si is
    full (mean Li per Si at ``x_max``), a delithiation when it is empty.

    Returns (status, n_ts, ts, n_cyc, cyc, last_step) with ``ts``
    rows in :data:`TS_COLUMNS` order and ``cyc`` records of ``CYCLE_DTYPE``."""
    # the parameters and options as fixed-length tuples: passed by value into the inlined
    # solver functions, where arrays cost two atomic reference counts per call (issue 17)
    if p_vec.size != N_PARAMS or opt_vec.size != N_OPTIONS:
        raise ValueError("run_kernel: parameter or option vector of the wrong length")
    p = to_fixed_tuple(p_vec, N_PARAMS)
    opt = to_fixed_tuple(opt_vec, N_OPTIONS)
    xmax = p[P_XMAX]
    n_si = silicon_moles(p)
    sigma = arrhenius_conductivity(p[P_SIG], p[P_EA], p[P_T], p[P_SIG_T])
    beta = damage_coefficient(p)
    a_contact0 = contact_area(p)
    vol_own, area_own, dr = radial_grid(p, opt)
    ns = vol_own.size
    pre_own = np.zeros(0)
    bis_own = np.zeros(3)
    consts = np.zeros(1, BUDGET_CONST_DTYPE)
    const = consts[0]
    budget_constants(p, sigma, const)

    # ---- state
    states = np.zeros(2, STATE_DTYPE)
    s = states[0]  # the particle; states[1] keeps the start of the step being solved
    prof_own = np.zeros(ns)
    prof_start_own = np.zeros(ns)
    # the loop works on borrowed views of these arrays (no reference counting, :mod:`.borrowed`);
    # this call owns them and keeps them alive to its end (keep_alive below), none is returned
    vol, area_f, no_pre = borrowed(vol_own), borrowed(area_own), borrowed(pre_own)
    prof, prof_start = borrowed(prof_own), borrowed(prof_start_own)
    bis = borrowed(bis_own)  # cut-off bisection: lo, hi, bisecting
    grid = (vol, area_f, dr, no_pre)
    init_particle(s, prof, p, opt, 1.0, a_contact0)
    t = 0.0
    q_net = 0.0
    li_init = FARADAY * n_si * p[P_XINIT]
    last_dir = 0

    n_steps = kind.size
    ts = np.zeros((4096 if record else 1, NTS))
    n_ts = 0
    n_cycles_max = step_cycle[n_steps - 1] if n_steps > 0 else 1
    cyc = np.zeros(n_cycles_max + 1, CYCLE_DTYPE)
    n_cyc = 0
    accs = np.zeros(2, CYCLE_DTYPE)
    acc = accs[0]
    bud = accs[1]  # scratch: the voltage budget of the last evaluation
    status = OK
    cur_cycle = -1
    first_lith = -1.0
    last_step = 0

    for k in range(n_steps):
        last_step = k
        # ---- cycle bookkeeping
        if step_cycle[k] != cur_cycle:
            if cur_cycle >= 0:
                li_conn = FARADAY * s.f * n_si * mean_li(s, prof, vol)
                close_cycle(acc, s, s.f, li_conn, q_net + li_init, t)
                cyc[n_cyc] = acc
                n_cyc += 1
                if progress.size > 0:
                    progress[0] = n_cyc
                # Si charge only: a cell whose Si never lithiated is not "dead" (physics.md 8.2)
                first_lith, died = capacity_died(
                    acc.lith_C - acc.side_C, first_lith, dead_fraction, FARADAY * n_si * xmax
                )
                if died:
                    status = CAPACITY_ZERO
                    break
            cur_cycle = step_cycle[k]
            open_cycle(acc, cur_cycle, s.side_total)
        if s.f < 1e-4:
            status = DIED
            break
        I = current[k]
        step_constants(I, p, const)
        direction = 1 if I > 0 else (-1 if I < 0 else 0)
        if direction != 0:
            start_half_step(s, prof, vol, direction, last_dir, p, opt, a_contact0)
            last_dir = direction
        t_step = 0.0
        dur = duration[k]
        cut = cutoff[k]
        # initial voltage; a step already at its cut-off (or into full Si) ends at once with
        # zero charge: data, not an error (physics.md 8.2); its budget says what limited it
        U, sink, s_kin = particle_ocp(s, prof, direction, p, opt)
        x_room = xmax - mean_li(s, prof, vol)
        I_side = I if (direction > 0 and sink == SINK_SIDE) else 0.0
        V = voltage_budget(I, I - I_side, U, s_kin, sink, s, p, opt, const, bud)
        if beyond_cutoff(direction, V, cut) or si_full_or_empty(direction, x_room, xmax):
            if direction > 0:
                keep_budget(acc, bud)
            continue
        dt_next = 1e300
        for _sub_step in range(MAX_SUB_STEPS):
            # ---- choose the step
            if direction == 0:
                dt = dur - t_step
                final = True
            else:
                dt = min(stoichiometry_step(s, sink, I, n_si, ds_max, xmax), dt_next)
                final = t_step + dt >= dur
                if final:
                    dt = dur - t_step
            cache_start_ocp(s, prof, direction, p, opt)
            states[1] = states[0]
            prof_start[:] = prof
            open_bracket(bis, dt)
            last_try = False
            for _attempt in range(60):
                states[0] = states[1]  # restore the step's start state
                prof[:] = prof_start
                I_si, xm, e_now, _u0 = advance_particle(
                    s, prof, I, dt, direction, p, opt, n_si, beta, a_contact0, grid, no_pre
                )
                U, sink2, s_kin = particle_ocp(s, prof, direction, p, opt)
                V_new = voltage_budget(I, I_si, U, s_kin, sink2, s, p, opt, const, bud)
                if last_try:  # the last state before a jump past the cut-off
                    final = True
                    break
                crossed = beyond_cutoff(direction, V_new, cut)
                full = not np.isnan(cut) and si_full_or_empty(direction, xmax - xm, xmax)
                dt, outcome = cutoff_bracket(bis, dt, crossed, full, V_new, cut, 1e-9, 1e-13)
                if outcome == RETRY:
                    continue
                if outcome == RETRY_FINAL:
                    last_try = True
                    continue
                if outcome == ACCEPT_FINAL:
                    final = True
                    break
                if direction != 0 and abs(V_new - V) > dv_max and dt > 1e-6:
                    dt = 0.5 * dt
                    continue
                break
            # ---- accept
            t += dt
            t_step += dt
            q_net += I * dt
            dl = electrode_thickness_change(p[P_EL_L], p[P_ENV], e_now)
            accumulate_step(acc, I, dt, V, V_new, p[P_ECE], e_now, dl, xm)
            dt_next = next_step_limit(dt, abs(V_new - V), dv_max, direction, 1e300)
            V = V_new
            sink = sink2
            if final and direction > 0:
                keep_budget(acc, bud)
            if record:
                ts = with_room(ts, n_ts)
                write_sample(
                    ts[n_ts], t, V_new, I, cur_cycle, k, xm, e_now, dl, s, p[P_ECE], q_net + li_init
                )
                n_ts += 1
            if final or s.f < 1e-4:
                break
        else:
            status = STEP_STALLED
        if status != OK:
            break
    # close the last cycle
    if status in (OK, DIED, STEP_STALLED) and cur_cycle >= 0 and n_cyc < cyc.shape[0]:
        li_conn = FARADAY * s.f * n_si * mean_li(s, prof, vol)
        close_cycle(acc, s, s.f, li_conn, q_net + li_init, t)
        cyc[n_cyc] = acc
        n_cyc += 1
        if progress.size > 0:
            progress[0] = n_cyc
    keep_alive(states, accs, consts, vol_own, area_own, pre_own, bis_own, prof_own, prof_start_own)
    return status, n_ts, ts, n_cyc, cyc, last_step
