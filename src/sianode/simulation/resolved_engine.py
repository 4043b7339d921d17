"""Protocol loop of the resolved (through-thickness) model.

Steps through a protocol like the reduced kernel (:mod:`sianode.simulation.kernel`): the same
step-size control, cut-off bisection, cycle bookkeeping (:mod:`sianode.simulation.accounting`)
and particle solver, with the current distribution over the nodes solved by Newton each step
(:func:`sianode.simulation.resolved_newton.solve_step`).
"""

from __future__ import annotations

import numpy as np

from ..models._jit import compiled
from ..models.electrolyte import arrhenius_conductivity, separator_resistance
from ..models.kinetics import butler_volmer_overpotential
from ..models.mechanics import electrode_thickness_change
from .accounting import accumulate_step, close_cycle, open_cycle, write_sample
from .layout import (
    CANNOT_START,
    CAPACITY_ZERO,
    CYCLE_DTYPE,
    DIED,
    FARADAY,
    NEWTON_FAILED,
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
    P_Q,
    P_SEP_EPS,
    P_SEP_L,
    P_SIG,
    P_SIG_T,
    P_T,
    P_XINIT,
    P_XMAX,
    STATE_DTYPE,
    STEP_STALLED,
    keep_alive,
)
from .particle import (
    contact_area,
    damage_coefficient,
    init_particle,
    mean_li,
    radial_grid,
    silicon_moles,
    start_half_step,
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
        lic += FARADAY * s.f * n_node * mean_li(s, prof[j], vol)
        trap += s.trapped
        side_all += s.side_total
        node_row[0, j] = s.f
        node_row[1, j] = n_lith[j]
        node_row[2, j] = n_deli[j]
        node_row[3, j] = s.trapped
    agg.trapped = trap
    agg.side_total = side_all
    return fsum, lic


@compiled
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
        z_mean += s.z / N
        w_mean += s.w / N
    agg.h = h_mean
    agg.f = fsum / N
    agg.trapped = trap
    agg.side_total = side_all
    agg.z = z_mean
    agg.w = w_mean
    return fsum, lic, e_mean, dl


@compiled
def run_resolved(p, opt, steps, record, ds_max, dv_max, n_nodes, sig_s, eps, uniform):
    """Run a protocol with the resolved model (``uniform``: one node with the reduced model's
    composite drop ``L/(3 sigma_eff)``, i.e. the uniform-reaction limit).

    ``steps`` = (kind, current, cutoff, duration, cycle) step table; ``sig_s`` electronic
    conductivity [S m-1] (<= 0: ideal); ``eps`` the exchange-current regularisation [-].
    Returns (status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last_step, stats)."""
    _kind, current, cutoff, duration, step_cycle = steps
    N = n_nodes
    xmax = p[P_XMAX]
    n_si = silicon_moles(p)
    n_node = n_si / N
    T = p[P_T]
    area = p[P_AREA]
    sigma = arrhenius_conductivity(p[P_SIG], p[P_EA], T, p[P_SIG_T])
    ac0 = contact_area(p) / N
    r_sep = separator_resistance(p[P_SEP_L], sigma, p[P_SEP_EPS], p[P_BRUG]) / area
    dxl = p[P_EL_L] / N
    sig_e0 = sigma * p[P_EL_EPS] ** p[P_BRUG]
    vol, area_f, dr = radial_grid(p, opt)
    ns = vol.size
    dg = np.zeros(ns)
    grid = (vol, area_f, dr, dg)
    c = NodeConstants(n_node, ac0, damage_coefficient(p), eps)

    # ---- node states
    st = np.zeros(N, STATE_DTYPE)
    prof = np.zeros((N, ns))
    for j in range(N):
        init_particle(st[j], prof[j], p, opt, float(N), ac0)
    st0 = st.copy()
    prof0 = prof.copy()
    nodes = (st, prof, st0, prof0)
    agg_rec = np.zeros(1, STATE_DTYPE)
    agg = agg_rec[0]
    Inode = np.zeros(N)
    Inode_s = np.zeros(N)
    Iprev = np.zeros(N)
    Ilast = np.zeros(N)
    out = np.zeros(N + 1, NODE_OUT_DTYPE)
    sig_e = np.zeros(N)
    Mo = np.zeros((N, N))
    stats = np.zeros(4, dtype=np.int64)  # solves, Newton iterations, Jacobians, steps
    work = (np.zeros((12, max(N + 1, ns))), np.zeros((N + 1, N + 1)), np.zeros((N, ns)))

    t = 0.0
    q_net = 0.0
    li_init = FARADAY * n_si * p[P_XINIT]
    last_dir = 0
    n_steps = current.size
    cap_ts = 4096 if record else 1
    ts = np.zeros((cap_ts, NTS))
    node_ts = np.zeros((cap_ts, NODE_NTS, N))
    n_ts = 0
    n_cycles_max = step_cycle[n_steps - 1] if n_steps > 0 else 1
    cyc = np.zeros(n_cycles_max + 1, CYCLE_DTYPE)
    node_cyc = np.zeros((n_cycles_max + 1, NODE_NCY, N))
    n_cyc = 0
    accs = np.zeros(1, CYCLE_DTYPE)
    acc = accs[0]
    status = OK
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
                if first_lith < 0.0:
                    first_lith = acc.lith_C
                elif acc.lith_C < 1e-3 * first_lith:
                    status = CAPACITY_ZERO
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
            status = DIED
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
        eta_ce = butler_volmer_overpotential(I / area, p[P_I0CE], T)
        phi_e0 = -p[P_ECE] - eta_ce - I * r_sep
        # ohmic matrix with the local connectivity penalty (fixed within a step's solve)
        for j in range(N):
            sig_e[j] = sig_e0 * max(st[j].f, 1e-12) ** p[P_Q]
        if uniform:
            Mo[0, 0] = p[P_EL_L] / (3.0 * sig_e[0] * area)
            if sig_s > 0.0:
                Mo[0, 0] += p[P_EL_L] / (3.0 * sig_s * area)
        else:
            ohmic_matrix(N, dxl, area, sig_e, sig_s, Mo)
        # instantaneous distribution and voltage at the step start (dt = 0)
        st0[:] = st
        prof0[:, :] = prof
        Inode[:] = Ilast
        V, ok = solve_step(
            nodes, Inode, I, 0.0, direction, phi_e0, Mo, p, opt, c, grid, out, work, stats
        )
        st[:] = st0
        prof[:, :] = prof0
        if not ok:
            status = NEWTON_FAILED
            break
        Ilast[:] = Inode
        if direction != 0 and not np.isnan(cut):
            if (direction > 0 and V <= cut) or (direction < 0 and V >= cut):
                if k == 0 and direction > 0:
                    status = CANNOT_START
                    break
                continue
        dt_next = 1e300 if direction != 0 else 10.0
        dt_prev = 0.0
        n_iter = 0
        done = False
        while not done:
            n_iter += 1
            if n_iter > 2_000_000:
                status = STEP_STALLED
                break
            # ---- choose the step from the largest local stoichiometry rate
            dt = 1e300
            for j in range(N):
                if abs(Ilast[j]) > 0.0:
                    a_eff = st[j].a if out[j].sink == 0 else 1.0
                    a_eff = max(a_eff, 1e-3)
                    dtj = ds_max * xmax * FARADAY * max(st[j].f, 1e-12) * n_node * a_eff
                    dtj /= abs(Ilast[j])
                    if dtj < dt:
                        dt = dtj
            if dt_next < dt:
                dt = dt_next
            final = False
            if t_step + dt >= dur:
                dt = dur - t_step
                final = True
            st0[:] = st
            prof0[:, :] = prof
            # predictor: extrapolate the distribution from the last two accepted steps
            Inode_s[:] = Ilast
            if dt_prev > 0.0:
                rr = min(dt / dt_prev, 2.0)
                for j in range(N):
                    Inode_s[j] += rr * (Ilast[j] - Iprev[j])
            lo = 0.0
            hi = dt
            bisect = False
            V_new = V
            for _attempt in range(60):
                Inode[:] = Inode_s
                V_new, ok = solve_step(
                    nodes, Inode, I, dt, direction, phi_e0, Mo, p, opt, c, grid, out, work, stats
                )
                if not ok:
                    if dt > 1e-6:
                        dt = 0.5 * dt
                        hi = min(hi, dt) if bisect else dt
                        final = False
                        continue
                    status = NEWTON_FAILED
                    break
                if direction == 0 or np.isnan(cut):
                    crossed = False
                else:
                    crossed = (direction > 0 and V_new <= cut) or (direction < 0 and V_new >= cut)
                if crossed:
                    bisect = True
                    hi = dt
                    if abs(V_new - cut) < CUTOFF_TOL or (hi - lo) < 1e-12 * max(hi, 1.0):
                        final = True
                        break
                    dt = 0.5 * (lo + hi)
                    continue
                if bisect:
                    lo = dt
                    if abs(V_new - cut) < CUTOFF_TOL or (hi - lo) < 1e-12 * max(hi, 1.0):
                        final = True
                        break
                    dt = 0.5 * (lo + hi)
                    continue
                if direction != 0 and abs(V_new - V) > dv_max and dt > 1e-6:
                    dt = 0.5 * dt
                    final = False
                    continue
                break
            if status != OK:
                break
            # ---- accept
            stats[3] += 1
            t += dt
            t_step += dt
            q_net += I * dt
            Iprev[:] = Ilast
            Ilast[:] = Inode
            dt_prev = dt
            fsum, lic, e_mean, dl = aggregate_nodes(st, out, dxl, p[P_ENV], agg)
            for j in range(N):
                if direction > 0:
                    n_lith[j] += Inode[j] * dt
                elif direction < 0:
                    n_deli[j] += -Inode[j] * dt
            xm = lic / max(fsum, 1e-300)
            accumulate_step(acc, I, dt, V, V_new, p[P_ECE], e_mean, dl, xm)
            dV = abs(V_new - V)
            if direction != 0:
                if dV > 0.0:
                    dt_next = dt * min(2.0, max(0.2, 0.8 * dv_max / dV))
                else:
                    dt_next = 1e300
            else:
                dt_next = 2.0 * dt
            V = V_new
            if record:
                if n_ts >= ts.shape[0]:
                    ts2 = np.zeros((2 * ts.shape[0], NTS))
                    ts2[:n_ts] = ts[:n_ts]
                    ts = ts2
                    nt2 = np.zeros((2 * node_ts.shape[0], NODE_NTS, N))
                    nt2[:n_ts] = node_ts[:n_ts]
                    node_ts = nt2
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
                    p[P_ECE],
                    q_net + li_init,
                )
                for j in range(N):
                    node_ts[n_ts, 0, j] = Inode[j]
                    node_ts[n_ts, 1, j] = out[j].xm
                    node_ts[n_ts, 2, j] = st[j].f
                    node_ts[n_ts, 3, j] = out[j].e
                n_ts += 1
            if final or fsum / N < 1e-4:
                done = True
        if status != OK:
            break
    if status != OK and status != CAPACITY_ZERO and cur_cycle >= 0 and n_cyc < cyc.shape[0]:
        # close the interrupted cycle with the data so far
        fsum, lic = close_nodes(st, prof, vol, n_node, n_lith, n_deli, node_cyc[n_cyc], agg)
        close_cycle(acc, agg, fsum / N, lic, q_net + li_init, t)
        cyc[n_cyc] = acc
        n_cyc += 1
    keep_alive(agg_rec, accs)
    return status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last_step, stats
