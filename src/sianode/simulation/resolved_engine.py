"""Protocol loop of the resolved (through-thickness) model.

Steps through a protocol like the reduced kernel (:mod:`sianode.simulation.kernel`): the same
step-size control, cut-off bisection, cycle bookkeeping (:mod:`sianode.simulation.accounting`)
and particle solver, with the current distribution over the nodes solved by Newton each step
(:func:`sianode.simulation.resolved_newton.solve_step`). As in the kernel, a lithiation ends
when the electrode's Si is full (mean Li per connected Si at ``x_max``), a delithiation when
it is empty.
"""

from __future__ import annotations

import numpy as np

from ..models._jit import compiled
from ..models.electrolyte import arrhenius_conductivity, pellet_relative_conductivity
from ..models.kinetics import butler_volmer_overpotential
from ..models.mechanics import electrode_thickness_change
from . import layout, stepping
from .accounting import accumulate_step, close_cycle, open_cycle, write_sample
from .particle import (
    contact_area,
    damage_coefficient,
    init_particle,
    mean_li,
    radial_grid,
    silicon_moles,
    start_half_step,
    stoichiometry_step,
)
from .resolved_newton import ohmic_matrix, solve_step
from .resolved_node import NODE_OUT_DTYPE, NodeConstants

#: Per-node time-series quantities (third axis of ``info["node_timeseries"]``).
NODE_TS_COLUMNS = ("reaction_current_A", "x", "connected_fraction", "external_strain")
#: Per-node per-cycle quantities.
NODE_CYCLE_COLUMNS = ("connected_fraction", "lith_C", "delith_C", "trapped_C")
NODE_NTS = len(NODE_TS_COLUMNS)
NODE_NCY = len(NODE_CYCLE_COLUMNS)
#: A cut-off is located by bisection of the last step to this voltage [V].
CUTOFF_TOL = 2e-6


@compiled
def close_nodes(st, prof, vol, n_node, n_lith, n_deli, node_row, agg):
    """Sum the nodes at a cycle's end, fill that cycle's per-node row and the aggregate
    ``agg`` (trapped Li [C], cumulative side charge [C]).

    Returns (sum of connected fractions, Li in connected Si [C])."""
    fsum = 0.0
    lic = 0.0
    trap = 0.0
    side_all = 0.0
    for j in range(st.shape[0]):
        s = st[j]
        fsum += s.f
        lic += layout.FARADAY * s.f * n_node * mean_li(s, prof[j], vol)
        trap += s.trapped
        side_all += s.side_total
        node_row[0, j] = s.f
        node_row[1, j] = n_lith[j]
        node_row[2, j] = n_deli[j]
        node_row[3, j] = s.trapped
    agg.trapped = trap
    agg.side_total = side_all
    return fsum, lic


@compiled(inline=True)
def connected_mean_li(st, out):
    """Li per connected Si of the electrode [-] from the nodes' end-of-step values."""
    fsum = 0.0
    lic = 0.0
    for j in range(st.shape[0]):
        fsum += st[j].f
        lic += st[j].f * out[j].xm
    return lic / max(fsum, 1e-300)


@compiled(inline=True)
def aggregate_nodes(st, out, dxl, env, agg):
    """Cell-level state after an accepted step into ``agg`` (means of h, f, z, w; sums of
    trapped Li and side charge). Returns (sum of f, sum of f x_j, mean strain, thickness
    change [m] of the composite of node thickness ``dxl`` [m], envelope fraction ``env``)."""
    N = st.shape[0]
    fsum = 0.0
    lic = 0.0
    e_mean = 0.0
    dl = 0.0
    trap = 0.0
    side_all = 0.0
    h_mean = 0.0
    z_mean = 0.0
    w_mean = 0.0
    for j in range(N):
        s = st[j]
        fsum += s.f
        lic += s.f * out[j].xm
        e_mean += out[j].e / N
        dl += electrode_thickness_change(dxl, env, out[j].e)
        trap += s.trapped
        side_all += s.side_total
        h_mean += s.h / N
        z_mean += (s.z + s.z_core) / N
        w_mean += s.w / N
    agg.h = h_mean
    agg.f = fsum / N
    agg.trapped = trap
    agg.side_total = side_all
    agg.z = z_mean
    agg.w = w_mean
    return fsum, lic, e_mean, dl


@compiled
def run_resolved(
    p, opt, steps, record, ds_max, dv_max, n_nodes, sig_s, eps, uniform, dead_fraction
):
    """Run a protocol with the resolved model (``uniform``: one node with the reduced model's
    composite drop ``L/(3 sigma_eff)``, i.e. the uniform-reaction limit).

    ``steps`` = (kind, current, cutoff, duration, cycle) step table; ``sig_s`` electronic
    conductivity [S m-1] (<= 0: ideal); ``eps`` the exchange-current regularisation [-];
    ``dead_fraction`` as for :func:`sianode.simulation.kernel.run_kernel`.
    Returns (status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last_step, stats)."""
    _kind, current, cutoff, duration, step_cycle = steps
    N = n_nodes
    xmax = p[layout.P_XMAX]
    n_si = silicon_moles(p)
    n_node = n_si / N
    T = p[layout.P_T]
    area = p[layout.P_AREA]
    sigma = arrhenius_conductivity(p[layout.P_SIG], p[layout.P_EA], T, p[layout.P_SIG_T])
    ac0 = contact_area(p) / N
    # conductivities referred to the measured pellet (physics.md 8.1)
    sig_ref = p[layout.P_SIG_EPS]
    brug = p[layout.P_BRUG]
    r_sep = (
        p[layout.P_SEP_L]
        / pellet_relative_conductivity(sigma, p[layout.P_SEP_EPS], sig_ref, brug)
        / area
    )
    dxl = p[layout.P_EL_L] / N
    sig_e0 = pellet_relative_conductivity(sigma, p[layout.P_EL_EPS], sig_ref, brug)
    vol, area_f, dr = radial_grid(p, opt)
    ns = vol.size
    dg = np.zeros(ns)
    grid = (vol, area_f, dr, dg)
    c = NodeConstants(n_node, ac0, damage_coefficient(p), eps)

    # ---- node states
    st = np.zeros(N, layout.STATE_DTYPE)
    prof = np.zeros((N, ns))
    for j in range(N):
        init_particle(st[j], prof[j], p, opt, float(N), ac0)
    st0 = st.copy()
    prof0 = prof.copy()
    nodes = (st, prof, st0, prof0)
    agg_rec = np.zeros(1, layout.STATE_DTYPE)
    agg = agg_rec[0]
    Inode = np.zeros(N)
    Inode_s = np.zeros(N)
    Iprev = np.zeros(N)
    Ilast = np.zeros(N)
    out = np.zeros(N + 1, NODE_OUT_DTYPE)
    sig_e = np.zeros(N)
    Mo = np.zeros((N, N))
    MoT = np.zeros((N, N))  # Mo transposed, what the Newton solve reads
    bis = np.zeros(3)  # cut-off bisection: lo, hi, bisecting
    stats = np.zeros(4, dtype=np.int64)  # solves, Newton iterations, Jacobians, steps
    work = (
        np.zeros((12, max(N + 1, ns))),
        np.zeros((N + 1, N + 1)),
        np.zeros((N, ns)),
        np.zeros((ns, N)),
    )

    t = 0.0
    q_net = 0.0
    li_init = layout.FARADAY * n_si * p[layout.P_XINIT]
    last_dir = 0
    n_steps = current.size
    cap_ts = 4096 if record else 1
    ts = np.zeros((cap_ts, layout.NTS))
    node_ts = np.zeros((cap_ts, NODE_NTS, N))
    n_ts = 0
    n_cycles_max = step_cycle[n_steps - 1] if n_steps > 0 else 1
    cyc = np.zeros(n_cycles_max + 1, layout.CYCLE_DTYPE)
    node_cyc = np.zeros((n_cycles_max + 1, NODE_NCY, N))
    n_cyc = 0
    accs = np.zeros(1, layout.CYCLE_DTYPE)
    acc = accs[0]
    status = layout.OK
    cur_cycle = -1
    n_lith = np.zeros(N)
    n_deli = np.zeros(N)
    first_lith = -1.0
    last_step = 0

    for k in range(n_steps + 1):
        # ---- cycle bookkeeping (k == n_steps closes the last cycle)
        new_cycle = k == n_steps or step_cycle[k] != cur_cycle
        if new_cycle and cur_cycle >= 0 and n_cyc < cyc.shape[0]:
            fsum, lic = close_nodes(st, prof, vol, n_node, n_lith, n_deli, node_cyc[n_cyc], agg)
            close_cycle(acc, agg, fsum / N, lic, q_net + li_init, t)
            cyc[n_cyc] = acc
            n_cyc += 1
            if k < n_steps:
                first_lith, died = stepping.capacity_died(
                    acc.lith_C - acc.side_C, first_lith, dead_fraction, layout.FARADAY * n_si * xmax
                )
                if died:
                    status = layout.CAPACITY_ZERO
                    break
        if k == n_steps:
            break
        last_step = k
        if new_cycle:
            cur_cycle = step_cycle[k]
            side_all = 0.0
            for j in range(N):
                side_all += st[j].side_total
                n_lith[j] = 0.0
                n_deli[j] = 0.0
            open_cycle(acc, cur_cycle, side_all)
        fsum = 0.0
        for j in range(N):
            fsum += st[j].f
        if fsum / N < 1e-4:
            status = layout.DIED
            break
        I = current[k]
        direction = 1 if I > 0 else (-1 if I < 0 else 0)
        if direction != 0:
            for j in range(N):
                start_half_step(st[j], prof[j], vol, direction, last_dir, p, opt, ac0)
            last_dir = direction
        t_step = 0.0
        dur = duration[k]
        cut = cutoff[k]
        eta_ce = butler_volmer_overpotential(I / area, p[layout.P_I0CE], T)
        phi_e0 = -p[layout.P_ECE] - eta_ce - I * r_sep
        # ohmic matrix with the local connectivity penalty (fixed within a step's solve)
        for j in range(N):
            sig_e[j] = sig_e0 * max(st[j].f, 1e-12) ** p[layout.P_Q]
        if uniform:
            Mo[0, 0] = p[layout.P_EL_L] / (3.0 * sig_e[0] * area)
            if sig_s > 0.0:
                Mo[0, 0] += p[layout.P_EL_L] / (3.0 * sig_s * area)
        else:
            ohmic_matrix(N, dxl, area, sig_e, sig_s, Mo)
        for j in range(N):
            for m in range(N):
                MoT[m, j] = Mo[j, m]
        # instantaneous distribution and voltage at the step start (dt = 0)
        st0[:] = st
        prof0[:, :] = prof
        Inode[:] = Ilast
        V, ok = solve_step(
            nodes, Inode, I, 0.0, direction, phi_e0, MoT, p, opt, c, grid, out, work, stats, False
        )
        st[:] = st0
        prof[:, :] = prof0
        if not ok:
            status = layout.NEWTON_FAILED
            break
        Ilast[:] = Inode
        if stepping.beyond_cutoff(direction, V, cut):
            continue  # zero charge: data, not an error (physics.md 8.2)
        dt_next = 1e300 if direction != 0 else 10.0
        dt_prev = 0.0
        for sub_step in range(stepping.MAX_SUB_STEPS + 1):
            if sub_step == stepping.MAX_SUB_STEPS:
                status = layout.STEP_STALLED
                break
            # ---- choose the step from the largest local stoichiometry rate
            dt = dt_next
            for j in range(N):
                if abs(Ilast[j]) > 0.0:
                    dt = min(
                        stoichiometry_step(st[j], out[j].sink, Ilast[j], n_node, ds_max, xmax), dt
                    )
            final = t_step + dt >= dur
            if final:
                dt = dur - t_step
            st0[:] = st
            prof0[:, :] = prof
            # predictor: extrapolate the distribution from the last two accepted steps
            Inode_s[:] = Ilast
            if dt_prev > 0.0:
                rr = min(dt / dt_prev, 2.0)
                for j in range(N):
                    Inode_s[j] += rr * (Ilast[j] - Iprev[j])
            stepping.open_bracket(bis, dt)
            V_new = V
            last_try = False
            for _attempt in range(60):
                Inode[:] = Inode_s
                # the start states hold their start OCP: stored by the dt = 0 solve above
                # (restored with st0) or by the last accepted solve's node responses
                V_new, ok = solve_step(
                    nodes,
                    Inode,
                    I,
                    dt,
                    direction,
                    phi_e0,
                    MoT,
                    p,
                    opt,
                    c,
                    grid,
                    out,
                    work,
                    stats,
                    True,
                )
                if not ok:
                    if dt > 1e-6:
                        dt = 0.5 * dt
                        bis[1] = min(bis[1], dt) if bis[2] > 0.0 else dt
                        final = False
                        continue
                    status = layout.NEWTON_FAILED
                    break
                if last_try:  # the last state before a jump past the cut-off
                    final = True
                    break
                crossed = stepping.beyond_cutoff(direction, V_new, cut)
                full = not np.isnan(cut) and stepping.si_full_or_empty(
                    direction, xmax - connected_mean_li(st, out), xmax
                )
                dt, outcome = stepping.cutoff_bracket(
                    bis, dt, crossed, full, V_new, cut, CUTOFF_TOL, 1e-12
                )
                if outcome == stepping.RETRY:
                    continue
                if outcome == stepping.RETRY_FINAL:
                    last_try = True
                    continue
                if outcome == stepping.ACCEPT_FINAL:
                    final = True
                    break
                if direction != 0 and abs(V_new - V) > dv_max and dt > 1e-6:
                    dt = 0.5 * dt
                    final = False
                    continue
                break
            if status != layout.OK:
                break
            # ---- accept
            stats[3] += 1
            t += dt
            t_step += dt
            q_net += I * dt
            Iprev[:] = Ilast
            Ilast[:] = Inode
            dt_prev = dt
            fsum, lic, e_mean, dl = aggregate_nodes(st, out, dxl, p[layout.P_ENV], agg)
            for j in range(N):
                if direction > 0:
                    n_lith[j] += Inode[j] * dt
                elif direction < 0:
                    n_deli[j] += -Inode[j] * dt
            xm = lic / max(fsum, 1e-300)
            accumulate_step(acc, I, dt, V, V_new, p[layout.P_ECE], e_mean, dl, xm)
            dt_next = stepping.next_step_limit(dt, abs(V_new - V), dv_max, direction, 2.0 * dt)
            V = V_new
            if record:
                ts = stepping.with_room(ts, n_ts)
                node_ts = stepping.with_room(node_ts, n_ts)
                write_sample(
                    ts[n_ts],
                    t,
                    V_new,
                    I,
                    cur_cycle,
                    k,
                    xm,
                    e_mean,
                    dl,
                    agg,
                    p[layout.P_ECE],
                    q_net + li_init,
                )
                for j in range(N):
                    node_ts[n_ts, 0, j] = Inode[j]
                    node_ts[n_ts, 1, j] = out[j].xm
                    node_ts[n_ts, 2, j] = st[j].f
                    node_ts[n_ts, 3, j] = out[j].e
                n_ts += 1
            if final or fsum / N < 1e-4:
                break
        if status != layout.OK:
            break
    if (
        status != layout.OK
        and status != layout.CAPACITY_ZERO
        and cur_cycle >= 0
        and n_cyc < cyc.shape[0]
    ):
        # close the interrupted cycle with the data so far
        fsum, lic = close_nodes(st, prof, vol, n_node, n_lith, n_deli, node_cyc[n_cyc], agg)
        close_cycle(acc, agg, fsum / N, lic, q_net + li_init, t)
        cyc[n_cyc] = acc
        n_cyc += 1
    layout.keep_alive(agg_rec, accs)
    return status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last_step, stats
