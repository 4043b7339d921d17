"""Resolved (through-thickness) Si half-cell model: reaction distribution across the composite.

The composite of thickness L is cut into ``N`` equal control volumes (nodes). Each node holds
1/N of the Si with its own particle state, updated by the *same* physics functions and the
same phase logic as the reduced model (:mod:`sianode.simulation.kernel`): phase fractions
and the radial Li profile, hysteresis state, connected fraction (contact loss), trapped Li,
side-reaction reservoirs and interphase thickness. Damage can therefore be non-uniform.

Potentials (x = 0 at the separator, x = L at the current collector; current I > 0 lithiates):

- solid electrolyte (single ion, t+ = 1): Ohm's law ``i_e = -sigma_e dphi_e/dx`` with
  ``sigma_e = sigma eps^b f_j^q`` in node j (``f_j^q`` is the reduced model's connectivity
  penalty applied locally);
- electronic network: ideal (uniform ``phi_s`` = cell voltage) or finite conductivity
  ``sigma_s`` (``i_s = -sigma_s dphi_s/dx``);
- node j: ``phi_s,j - phi_e,j = U_j - eta_j - R_int,j I_j`` with Butler-Volmer ``eta_j`` on the
  node's connected contact area; the local currents sum to the applied current.

Within a control volume the reaction is taken as uniform, so the ionic (electronic) current
varies linearly and the potential drops between node centres are exact for that profile.
With a uniform distribution the mean ionic drop over the nodes is the reduced model's
``L/(3 sigma_eff)`` times ``1 + 1/(8 N^2)``.

Each time step is implicit (backward Euler) in the current distribution: the local currents
and the cell voltage solve the potential balance at the *end* of the step, with the node
states advanced by those currents (Newton with the dense ohmic coupling and an estimated
diagonal of the local response, finite differences when convergence is slow). Node states are advanced exactly as in the reduced kernel, so charge is conserved
to round-off: charge passed = Li in connected Si + trapped Li + side-reaction charge.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from numba import njit, prange

from ..columns import CYCLE
from ..errors import ParameterError
from ..models.degradation import damage_factor, interphase_charge_per_area
from ..models.electrolyte import arrhenius_conductivity, separator_resistance
from ..models.hysteresis import one_state_update
from ..models.kinetics import butler_volmer_overpotential, exchange_current_density
from ..models.mechanics import electrode_thickness_change, linear_strain
from ..models.ocp import si_ocp
from ..protocol import Protocol, parse_protocol
from . import kernel as K
from .kernel import (
    FARADAY,
    N_SHELLS,
    O_CRYST,
    O_DAMAGE,
    O_DIFF,
    O_HYST,
    O_SIDE,
    O_STRAIN,
    P_AREA,
    P_BETA,
    P_BRUG,
    P_CB,
    P_CRYST,
    P_D,
    P_DINT,
    P_E0,
    P_EA,
    P_ECE,
    P_EL_EPS,
    P_EL_L,
    P_ENV,
    P_I0CE,
    P_K,
    P_K0,
    P_KINT,
    P_M,
    P_NP,
    P_OX,
    P_PHI,
    P_PREF,
    P_PRESS,
    P_Q,
    P_R,
    P_SEP_EPS,
    P_SEP_L,
    P_SI_MASS,
    P_SIG,
    P_SIG_T,
    P_SSA,
    P_T,
    P_THETA,
    P_WALL,
    P_XINIT,
    P_XMAX,
    _damage_measure,
    _diffuse,
    _ocp_and_sink,
    _profile_mean,
    _strain_of,
)
from .parameters import CellParameters, ModelOptions
from .reduced import (
    DEFAULT_DS_MAX,
    DEFAULT_DV_MAX,
    Result,
    _outcome,
)

__all__ = ["simulate_resolved", "simulate_resolved_batch", "NODE_TS_COLUMNS", "NODE_CYCLE_COLUMNS"]

# node state columns
S_Z, S_A, S_W, S_H, S_F, S_TRAP, S_OX, S_INT, S_SIDE, S_DELTA, S_AMP, S_LIN, S_EHI = range(13)
NSTATE = 13
#: Per-node time-series quantities (third axis of ``info["node_timeseries"]``).
NODE_TS_COLUMNS = ("reaction_current_A", "x", "connected_fraction", "external_strain")
#: Per-node per-cycle quantities.
NODE_CYCLE_COLUMNS = ("connected_fraction", "lith_C", "delith_C", "trapped_C")
NODE_NTS = len(NODE_TS_COLUMNS)
NODE_NCY = len(NODE_CYCLE_COLUMNS)
NEWTON_FAILED = 5
#: Phase fraction [-] over which the end of a two-phase plateau (c-Si, c-Li15Si4) is blended
#: into the amorphous OCP (numerical regularisation of the OCP jump; < 0.1 % of capacity).
PLATEAU_BLEND = 1e-3
#: Newton tolerance on the node potential balance [V].
NEWTON_TOL = 3e-5
#: A cut-off is located by bisection of the last step to this voltage [V].
CUTOFF_TOL = 2e-6


@njit(cache=True)
def _i0(s, k0, eps):
    """Exchange current [A m-2] (the shared physics function), kept above 1e-14 k0 so that
    ``eps = 0`` (PyBaMM's ``k0 sqrt(s(1-s))``) stays finite at s = 0 and 1."""
    return max(exchange_current_density(s, k0, eps), 1e-14 * k0)


@njit(cache=True)
def _diffusion_factor(vol, area_f, dr, D, dt, fm, fb, fc):
    """Thomas factorisation of :func:`kernel._diffuse`'s matrix for step ``dt`` (multipliers
    ``fm``, pivots ``fb``, upper diagonal ``fc``); shared by all nodes of a solve."""
    n = vol.size
    for i in range(n):
        fb[i] = vol[i] / dt
        fm[i] = 0.0
        fc[i] = 0.0
        if i > 0:
            g = D * area_f[i] / dr
            fm[i] = -g
            fb[i] += g
        if i < n - 1:
            g = D * area_f[i + 1] / dr
            fc[i] = -g
            fb[i] += g
    for i in range(1, n):
        m = fm[i] / fb[i - 1]
        fm[i] = m
        fb[i] -= m * fc[i - 1]


@njit(cache=True)
def _diffusion_solve(prof, vol, dt, source, fm, fb, fc, out):
    """Same arithmetic as :func:`kernel._diffuse` with a precomputed factorisation."""
    n = vol.size
    for i in range(n):
        out[i] = vol[i] / dt * prof[i]
    out[n - 1] += source / dt
    for i in range(1, n):
        out[i] -= fm[i] * out[i - 1]
    out[n - 1] = out[n - 1] / fb[n - 1]
    for i in range(n - 2, -1, -1):
        out[i] = (out[i] - fc[i] * out[i + 1]) / fb[i]


@njit(cache=True)
def _advance_node(
    st,
    prof,
    j,
    Ij,
    dt,
    direction,
    p,
    opt,
    vol,
    area_f,
    dr,
    n_node,
    ac0,
    beta,
    damage_on,
    eps,
    dbase,
    dg,
    use_pre,
    pre_U,
    pre_sink,
):
    """Advance node ``j`` (in place) by ``dt`` at reaction current ``Ij`` [A] exactly as the
    reduced kernel advances its single particle state.

    With ``use_pre`` the radial diffusion step uses its linearity in the surface source:
    ``dbase[j]`` is the no-source step of the node's profile and ``dg`` the response to a unit
    source, both for this ``dt`` (same result as :func:`kernel._diffuse` to round-off).
    ``pre_U``/``pre_sink`` hold the start-of-step OCP and sink for the step's direction
    (``pre_sink < 0``: not cached).

    Returns (G, U, xm, e_now, sink, I_si, dG): ``G = -U + eta + R_int Ij`` [V] at the end
    state and an estimate of dG/dIj [V A-1]."""
    ns = prof.shape[1]
    xmax = p[P_XMAX]
    z = st[j, S_Z]
    a = st[j, S_A]
    w = st[j, S_W]
    h = st[j, S_H]
    f = st[j, S_F]
    trapped = st[j, S_TRAP]
    ox_rem = st[j, S_OX]
    int_rem = st[j, S_INT]
    side_total = st[j, S_SIDE]
    delta_int = st[j, S_DELTA]
    amp_prev = st[j, S_AMP]
    lin_amp_last = st[j, S_LIN]
    e_hi = st[j, S_EHI]
    pj = prof[j]
    # ---- side reactions (lithiation only, share set by the state at the step start)
    xm0 = a * _profile_mean(pj, vol) + 3.75 * w
    I_side, ox_rem, int_rem, side_total, delta_int = K.side_reactions(
        Ij, direction, dt, f, n_node, xmax - xm0, ox_rem, int_rem, side_total, delta_int, ac0
    )
    I_si = Ij - I_side
    dx = I_si * dt / (FARADAY * max(f, 1e-30) * n_node)
    x_surf = pj[ns - 1]
    dirn = direction
    if direction != 0 and dx * direction < 0.0:
        dirn = 0  # a node running against the applied current: amorphous phase only
    if dirn == direction and pre_sink[j] >= 0.0:  # start-of-step OCP, cached per solve
        U = pre_U[j]
        sink = int(pre_sink[j])
    else:
        U, sink, s_kin = _ocp_and_sink(dirn, x_surf, h, z, a, w, p, opt)
    if dirn == 0 and sink == 1 and dx != 0.0 and a > 1e-12:
        sink = 0
    ds_amorph = 0.0
    if dx != 0.0 and dt > 0.0:
        if (sink == 1 and dirn > 0) or sink == 2 or sink == 3:
            z, a, w, ds_amorph = K.convert_phases(sink, dx, x_surf, z, a, w, pj, p)
        elif a > 1e-12:
            dxa = dx / max(a, 1e-12)
            if ns > 1 and use_pre:
                for i in range(ns):
                    pj[i] = dbase[j, i] + dxa * dg[i]
            elif ns > 1:
                pj[:] = _diffuse(pj, vol, area_f, dr, p[P_D], dt, dxa)
            else:
                pj[0] += dxa
            ds_amorph = dxa / xmax
    elif ns > 1 and dt > 0.0:
        if use_pre:
            for i in range(ns):
                pj[i] = dbase[j, i]
        else:
            pj[:] = _diffuse(pj, vol, area_f, dr, p[P_D], dt, 0.0)
    # ---- hysteresis
    if opt[O_HYST] == 2 and (direction != 0 or dx != 0.0):
        if direction != 0:
            target = -1.0 if direction > 0 else 1.0
        else:
            target = -1.0 if dx > 0 else 1.0
        h = one_state_update(h, ds_amorph, target, p[P_K])
    # ---- damage during delithiation
    xm = a * _profile_mean(pj, vol) + 3.75 * w
    e_now = _strain_of(xm, p, opt)
    if direction < 0:
        amp = max(e_hi - _damage_measure(e_now, opt), 0.0)
        if amp > amp_prev:
            if opt[O_STRAIN] == 0:
                lin_amp_last = max(lin_amp_last, linear_strain(e_hi) - linear_strain(e_now))
            else:
                lin_amp_last = amp
            if damage_on:
                d_old = damage_factor(amp_prev, beta, p[P_M], p[P_E0])
                d_new = damage_factor(amp, beta, p[P_M], p[P_E0])
                ratio = d_new / d_old if d_old > 0.0 else 0.0
                f_new = f * ratio
                trapped += (f - f_new) * n_node * xm * FARADAY
                f = f_new
            amp_prev = amp
    # ---- end-state potentials
    x_surf = pj[ns - 1]
    U2, sink2, s_kin2 = _ocp_and_sink(direction, x_surf, h, z, a, w, p, opt)
    # two-phase plateaus end with a jump of the OCP (the node's response has a gap where the
    # implicit solve has no root): blend into the amorphous OCP over the last PLATEAU_BLEND
    if sink2 == 1 and z < PLATEAU_BLEND and a > 1e-12:
        ua = si_ocp(x_surf / xmax, h)
        if ua < U2:
            U2 = ua + (U2 - ua) * z / PLATEAU_BLEND
    elif sink2 == 3 and w < PLATEAU_BLEND and a > 1e-12 and x_surf > 1e-9:
        ua = si_ocp(x_surf / xmax, h)
        if ua > U2:
            U2 = ua + (U2 - ua) * w / PLATEAU_BLEND
    a_contact = max(f, 1e-12) * ac0
    i0 = _i0(s_kin2, p[P_K0], eps)
    eta = butler_volmer_overpotential(I_si / a_contact, i0, p[P_T])
    r_int = delta_int / (p[P_KINT] * a_contact)
    G = -U2 + eta + r_int * Ij
    # estimate of dG/dIj (Newton diagonal): kinetics + interphase + OCP slope of the mean
    jj = I_si / a_contact / (2.0 * i0)
    dsi = I_si / Ij if Ij != 0.0 else 1.0
    dG = (2.0 * 8.314462618 * p[P_T] / FARADAY) / (2.0 * i0 * a_contact * np.sqrt(1.0 + jj * jj))
    dG = dG * dsi + r_int
    # OCP term: secant over the step (includes hysteresis, plateau blends, diffusion)
    if dt > 0.0 and Ij != 0.0:
        dU = (U2 - U) / Ij
        if dU < 0.0:
            dG -= dU
    st[j, S_Z] = z
    st[j, S_A] = a
    st[j, S_W] = w
    st[j, S_H] = h
    st[j, S_F] = f
    st[j, S_TRAP] = trapped
    st[j, S_OX] = ox_rem
    st[j, S_INT] = int_rem
    st[j, S_SIDE] = side_total
    st[j, S_DELTA] = delta_int
    st[j, S_AMP] = amp_prev
    st[j, S_LIN] = lin_amp_last
    st[j, S_EHI] = e_hi
    return G, U2, xm, e_now, sink2, I_si, dG


@njit(cache=True)
def _ohmic_matrix(n, dx, area, sig_e, sig_s, Mo):
    """Matrix ``Mo`` with ``(Mo I)_j`` = ionic drop from the separator face to node j plus the
    electronic drop from node j to the collector [V], for node currents ``I`` [A].

    ``sig_e`` [S m-1] per node (effective); ``sig_s`` [S m-1] effective (<= 0: ideal)."""
    cur = np.zeros(n)
    pe = np.zeros(n)
    ps = np.zeros(n)
    for k in range(n):
        cur[:] = 0.0
        cur[k] = 1.0
        tot = 1.0
        # electrolyte: E_j = sum_{m>j} I_m
        h0 = dx / (2.0 * sig_e[0] * area)
        pe[0] = h0 * (tot - cur[0] / 4.0)
        e_sum = tot - cur[0]
        for j in range(n - 1):
            hj = dx / (2.0 * sig_e[j] * area)
            hj1 = dx / (2.0 * sig_e[j + 1] * area)
            pe[j + 1] = pe[j] + hj * (e_sum + cur[j] / 4.0) + hj1 * (e_sum - cur[j + 1] / 4.0)
            e_sum -= cur[j + 1]
        if sig_s > 0.0:
            hs = dx / (2.0 * sig_s * area)
            ps[n - 1] = hs * (tot - cur[n - 1] / 4.0)
            s_sum = tot - cur[n - 1]  # sum_{m <= n-2}
            for j in range(n - 2, -1, -1):
                ps[j] = ps[j + 1] + hs * (s_sum - cur[j] / 4.0) + hs * (s_sum + cur[j + 1] / 4.0)
                s_sum -= cur[j]
        for j in range(n):
            Mo[j, k] = pe[j] + ps[j]


@njit(cache=True)
def _solve_dense(A, b, x):
    """Solve ``A x = b`` by Gaussian elimination with partial pivoting (A, b overwritten)."""
    n = b.size
    for c in range(n):
        piv = c
        big = abs(A[c, c])
        for r in range(c + 1, n):
            if abs(A[r, c]) > big:
                big = abs(A[r, c])
                piv = r
        if piv != c:
            for k in range(n):
                tmp = A[c, k]
                A[c, k] = A[piv, k]
                A[piv, k] = tmp
            tmp = b[c]
            b[c] = b[piv]
            b[piv] = tmp
        d = A[c, c]
        if d == 0.0:
            d = 1e-300
        for r in range(c + 1, n):
            m = A[r, c] / d
            if m != 0.0:
                for k in range(c, n):
                    A[r, k] -= m * A[c, k]
                b[r] -= m * b[c]
    for r in range(n - 1, -1, -1):
        s = b[r]
        for k in range(r + 1, n):
            s -= A[r, k] * x[k]
        d = A[r, r]
        if d == 0.0:
            d = 1e-300
        x[r] = s / d


@njit(cache=True)
def _solve_step(
    st,
    prof,
    st0,
    prof0,
    Inode,
    I,
    dt,
    direction,
    phi_e0,
    Mo,
    p,
    opt,
    vol,
    area_f,
    dr,
    n_node,
    ac0,
    beta,
    damage_on,
    eps,
    out_U,
    out_xm,
    out_e,
    out_sink,
    out_isi,
    stats,
    wk,
    Jm,
    dbase,
    dg,
):
    """Solve the end-of-step current distribution (backward Euler) by Newton.

    On entry ``Inode`` holds the initial guess; on exit the solution, with ``st``/``prof``
    advanced by it. ``wk`` (12 x max(n+1, shells)) and ``Jm`` ((n+1) x (n+1)) are work arrays.
    Returns (V, converged)."""
    n = Inode.size
    G = wk[0, :n]
    d = wk[1, :n]
    Fv = wk[2, : n + 1]
    rhs = wk[3, : n + 1]
    mi = wk[4, :n]
    sol = wk[5, : n + 1]
    # make the guess meet the total
    s = 0.0
    for j in range(n):
        s += Inode[j]
    for j in range(n):
        Inode[j] += (I - s) / n
    # current scale [A]: applied current per node, or (rests) the node exchange current
    scale = max(abs(I) / n, 1e-3 * p[P_K0] * ac0)
    V = 0.0
    stats[0] += 1
    ns = prof.shape[1]
    use_pre = ns > 1 and dt > 0.0
    pre_U = wk[10, :n]
    pre_sink = wk[11, :n]
    for j in range(n):
        u0, k0s, _s0 = _ocp_and_sink(
            direction,
            prof0[j, ns - 1],
            st0[j, S_H],
            st0[j, S_Z],
            st0[j, S_A],
            st0[j, S_W],
            p,
            opt,
        )
        pre_U[j] = u0
        pre_sink[j] = k0s
    if use_pre:
        fm = wk[6, :ns]
        fb = wk[7, :ns]
        fc = wk[8, :ns]
        _diffusion_factor(vol, area_f, dr, p[P_D], dt, fm, fb, fc)
        for j in range(n):
            _diffusion_solve(prof0[j], vol, dt, 0.0, fm, fb, fc, dbase[j])
        wk[9, :ns] = 0.0
        _diffusion_solve(wk[9, :ns], vol, dt, 1.0, fm, fb, fc, dg)
    res = 1e300
    for it in range(61):
        stats[1] += 1
        # residual at Inode
        for j in range(n):
            st[j, :] = st0[j, :]
            prof[j, :] = prof0[j, :]
            G[j], out_U[j], out_xm[j], out_e[j], out_sink[j], out_isi[j], d[j] = _advance_node(
                st,
                prof,
                j,
                Inode[j],
                dt,
                direction,
                p,
                opt,
                vol,
                area_f,
                dr,
                n_node,
                ac0,
                beta,
                damage_on,
                eps,
                dbase,
                dg,
                use_pre,
                pre_U,
                pre_sink,
            )
        for j in range(n):
            acc = 0.0
            for k in range(n):
                acc += Mo[j, k] * Inode[k]
            mi[j] = acc
        if it == 0:  # V from the mean balance
            V = 0.0
            for j in range(n):
                V += phi_e0 - mi[j] - G[j]
            V /= n
        res = 0.0
        for j in range(n):
            Fv[j] = V + mi[j] - phi_e0 + G[j]
            if abs(Fv[j]) > res:
                res = abs(Fv[j])
        if res < NEWTON_TOL or it == 60:
            break
        if it >= 5:
            # slow convergence (plateau ends, clipped OCP): finite-difference diagonal
            stats[2] += 1
            for j in range(n):
                dI = 1e-7 * max(abs(Inode[j]), scale)
                st[j, :] = st0[j, :]
                prof[j, :] = prof0[j, :]
                gp = _advance_node(
                    st,
                    prof,
                    j,
                    Inode[j] + dI,
                    dt,
                    direction,
                    p,
                    opt,
                    vol,
                    area_f,
                    dr,
                    n_node,
                    ac0,
                    beta,
                    damage_on,
                    eps,
                    dbase,
                    dg,
                    use_pre,
                    pre_U,
                    pre_sink,
                )[0]
                d[j] = (gp - G[j]) / dI
        for j in range(n):
            if not d[j] > 0.0:
                d[j] = 1e-6 / scale  # flat or clipped response: keep the system solvable
        for r in range(n):
            for c in range(n):
                Jm[r, c] = Mo[r, c]
            Jm[r, r] += d[r]
            Jm[r, n] = 1.0
            rhs[r] = -Fv[r]
        for c in range(n):
            Jm[n, c] = 1.0
        Jm[n, n] = 0.0
        rhs[n] = 0.0
        _solve_dense(Jm, rhs, sol)
        # damped update: limit the change of any node current
        lam = 1.0
        big = 0.0
        for j in range(n):
            if abs(sol[j]) > big:
                big = abs(sol[j])
        big_i = 0.0
        for j in range(n):
            big_i = max(big_i, abs(Inode[j]))
        lim = 4.0 * max(abs(I), scale * n, big_i)
        if big > lim:
            lam = lim / big
        for j in range(n):
            Inode[j] += lam * sol[j]
        V += lam * sol[n]
        # keep sum(I_j) = I to round-off (the elimination leaves a small residual)
        s = 0.0
        for j in range(n):
            s += Inode[j]
        for j in range(n):
            Inode[j] += (I - s) / n
    return V, res < 10.0 * NEWTON_TOL


@njit(cache=True)
def _close_nodes(st, prof, vol, n_node, n_lith, n_deli, node_row):
    """Sum the nodes at a cycle's end and fill that cycle's per-node row.

    Returns (sum of connected fractions, Li in connected Si [C], trapped Li [C],
    cumulative side-reaction charge [C])."""
    fsum = 0.0
    lic = 0.0
    trap = 0.0
    side_all = 0.0
    for j in range(st.shape[0]):
        fsum += st[j, S_F]
        xmj = st[j, S_A] * _profile_mean(prof[j], vol) + 3.75 * st[j, S_W]
        lic += FARADAY * st[j, S_F] * n_node * xmj
        trap += st[j, S_TRAP]
        side_all += st[j, S_SIDE]
        node_row[0, j] = st[j, S_F]
        node_row[1, j] = n_lith[j]
        node_row[2, j] = n_deli[j]
        node_row[3, j] = st[j, S_TRAP]
    return fsum, lic, trap, side_all


@njit(cache=True)
def run_resolved(
    p,
    opt,
    kind,
    current,
    cutoff,
    duration,
    step_cycle,
    record,
    ds_max,
    dv_max,
    n_nodes,
    sig_s,
    eps,
    uniform,
):
    """Run a protocol with the resolved model (``uniform``: one node with the reduced model's
    composite drop ``L/(3 sigma_eff)``, i.e. the uniform-reaction limit).

    Returns (status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last_step, stats)."""
    N = n_nodes
    xmax = p[P_XMAX]
    n_si = p[P_SI_MASS] / 28.0855e-3
    n_node = n_si / N
    T = p[P_T]
    area = p[P_AREA]
    sigma = arrhenius_conductivity(p[P_SIG], p[P_EA], T, p[P_SIG_T])
    beta = p[P_BETA] * (p[P_PREF] / p[P_PRESS]) ** p[P_NP]
    damage_on = opt[O_DAMAGE] == 1 and beta > 0.0
    v_env0 = p[P_SI_MASS] / (2329.0 * (1.0 - p[P_PHI]))
    a_contact0 = p[P_THETA] * 3.0 * v_env0 / p[P_R]
    ac0 = a_contact0 / N
    q_int1 = interphase_charge_per_area(p[P_DINT])
    r_sep = separator_resistance(p[P_SEP_L], sigma, p[P_SEP_EPS], p[P_BRUG]) / area
    dxl = p[P_EL_L] / N
    sig_e0 = sigma * p[P_EL_EPS] ** p[P_BRUG]

    # ---- geometry of the radial grid (as the kernel)
    ns = N_SHELLS if opt[O_DIFF] == 1 else 1
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
    # ---- node states
    st = np.zeros((N, NSTATE))
    prof = np.zeros((N, ns))
    z0 = p[P_CRYST] if opt[O_CRYST] == 1 else 0.0
    a0 = 1.0 - z0
    x0 = p[P_XINIT] / a0 if a0 > 0.0 else 0.0
    ox0 = 0.0
    int0 = 0.0
    if opt[O_SIDE] >= 1:
        ox0 = p[P_SSA] * p[P_SI_MASS] * p[P_OX] * 2200.0 / 60.0843e-3 * 4.0 * FARADAY / N
    if opt[O_SIDE] == 2:
        int0 = q_int1 * ac0
    for j in range(N):
        st[j, S_Z] = z0
        st[j, S_A] = a0
        st[j, S_F] = 1.0
        st[j, S_OX] = ox0
        st[j, S_INT] = int0
        for i in range(ns):
            prof[j, i] = x0
    st0 = st.copy()
    prof0 = prof.copy()
    Inode = np.zeros(N)
    Inode_s = np.zeros(N)
    Iprev = np.zeros(N)
    Ilast = np.zeros(N)
    out_U = np.zeros(N)
    out_xm = np.zeros(N)
    out_e = np.zeros(N)
    out_sink = np.zeros(N, dtype=np.int64)
    out_isi = np.zeros(N)
    sig_e = np.zeros(N)
    Mo = np.zeros((N, N))
    stats = np.zeros(4, dtype=np.int64)  # solves, Newton iterations, Jacobians, steps
    wk = np.zeros((12, max(N + 1, ns)))
    dbase = np.zeros((N, ns))
    dg = np.zeros(ns)
    Jm = np.zeros((N + 1, N + 1))

    t = 0.0
    q_net = 0.0
    li_init = FARADAY * n_si * p[P_XINIT]
    last_dir = 0
    n_steps = kind.size
    cap_ts = 4096 if record else 1
    ts = np.zeros((cap_ts, K.NTS))
    node_ts = np.zeros((cap_ts, NODE_NTS, N))
    n_ts = 0
    n_cycles_max = step_cycle[n_steps - 1] if n_steps > 0 else 1
    cyc = np.zeros((n_cycles_max + 1, K.NCY))
    node_cyc = np.zeros((n_cycles_max + 1, NODE_NCY, N))
    n_cyc = 0
    status = K.OK
    cur_cycle = -1
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
    n_lith = np.zeros(N)
    n_deli = np.zeros(N)
    first_lith = -1.0
    last_step = 0

    for k in range(n_steps + 1):
        # ---- cycle bookkeeping (k == n_steps closes the last cycle)
        new_cycle = k == n_steps or step_cycle[k] != cur_cycle
        if new_cycle and cur_cycle >= 0 and n_cyc < cyc.shape[0]:
            fsum, lic, trap, side_all = _close_nodes(
                st, prof, vol, n_node, n_lith, n_deli, node_cyc[n_cyc]
            )
            K._write_cycle(
                cyc[n_cyc],
                cur_cycle,
                c_lith,
                c_deli,
                side_all - c_side0,
                trap,
                fsum / N,
                c_emax,
                c_emin,
                c_dlmax,
                c_elith,
                c_edeli,
                lic,
                q_net + li_init,
                t,
                c_xmax,
                c_xmin,
                side_all,
            )
            n_cyc += 1
            if k < n_steps:
                if first_lith < 0.0:
                    first_lith = c_lith
                elif c_lith < 1e-3 * first_lith:
                    status = K.CAPACITY_ZERO
                    break
        if k == n_steps:
            break
        last_step = k
        if new_cycle:
            cur_cycle = step_cycle[k]
            c_lith = 0.0
            c_deli = 0.0
            side_all = 0.0
            for j in range(N):
                side_all += st[j, S_SIDE]
                n_lith[j] = 0.0
                n_deli[j] = 0.0
            c_side0 = side_all
            c_emax = 0.0
            c_emin = 1e300
            c_dlmax = 0.0
            c_elith = 0.0
            c_edeli = 0.0
            c_xmax = 0.0
            c_xmin = 1e300
        fsum = 0.0
        for j in range(N):
            fsum += st[j, S_F]
        if fsum / N < 1e-4:
            status = K.DIED
            break
        I = current[k]
        direction = 1 if I > 0 else (-1 if I < 0 else 0)
        # ---- step start: hysteresis, damage amplitude reset, breathing interphase (per node)
        if direction != 0:
            for j in range(N):
                if opt[O_HYST] == 1:
                    st[j, S_H] = -1.0 if direction > 0 else 1.0
                if direction < 0 and last_dir > 0:
                    xmj = st[j, S_A] * _profile_mean(prof[j], vol) + 3.75 * st[j, S_W]
                    st[j, S_EHI] = _damage_measure(_strain_of(xmj, p, opt), opt)
                    st[j, S_AMP] = 0.0
                if direction > 0 and last_dir < 0:
                    if opt[O_SIDE] == 2:
                        st[j, S_INT] += q_int1 * p[P_CB] * st[j, S_LIN] * ac0 * st[j, S_F]
                    st[j, S_LIN] = 0.0
            last_dir = direction
        t_step = 0.0
        dur = duration[k]
        cut = cutoff[k]
        eta_ce = butler_volmer_overpotential(I / area, p[P_I0CE], T)
        phi_e0 = -p[P_ECE] - eta_ce - I * r_sep
        # ohmic matrix with the local connectivity penalty (fixed within a step's solve)
        for j in range(N):
            sig_e[j] = sig_e0 * max(st[j, S_F], 1e-12) ** p[P_Q]
        if uniform:
            Mo[0, 0] = p[P_EL_L] / (3.0 * sig_e[0] * area)
            if sig_s > 0.0:
                Mo[0, 0] += p[P_EL_L] / (3.0 * sig_s * area)
        else:
            _ohmic_matrix(N, dxl, area, sig_e, sig_s, Mo)
        # instantaneous distribution and voltage at the step start (dt = 0)
        st0[:, :] = st
        prof0[:, :] = prof
        Inode[:] = Ilast
        V, ok = _solve_step(
            st,
            prof,
            st0,
            prof0,
            Inode,
            I,
            0.0,
            direction,
            phi_e0,
            Mo,
            p,
            opt,
            vol,
            area_f,
            dr,
            n_node,
            ac0,
            beta,
            damage_on,
            eps,
            out_U,
            out_xm,
            out_e,
            out_sink,
            out_isi,
            stats,
            wk,
            Jm,
            dbase,
            dg,
        )
        st[:, :] = st0
        prof[:, :] = prof0
        if not ok:
            status = NEWTON_FAILED
            break
        Ilast[:] = Inode
        if direction != 0 and not np.isnan(cut):
            if (direction > 0 and V <= cut) or (direction < 0 and V >= cut):
                if k == 0 and direction > 0:
                    status = K.CANNOT_START
                    break
                continue
        dt_next = 1e300 if direction != 0 else 10.0
        dt_prev = 0.0
        n_iter = 0
        done = False
        while not done:
            n_iter += 1
            if n_iter > 2_000_000:
                status = K.STEP_STALLED
                break
            # ---- choose the step from the largest local stoichiometry rate
            dt = 1e300
            for j in range(N):
                if abs(Ilast[j]) > 0.0:
                    sk = out_sink[j]
                    a_eff = st[j, S_A] if sk == 0 else 1.0
                    a_eff = max(a_eff, 1e-3)
                    dtj = ds_max * xmax * FARADAY * max(st[j, S_F], 1e-12) * n_node * a_eff
                    dtj /= abs(Ilast[j])
                    if dtj < dt:
                        dt = dtj
            if dt_next < dt:
                dt = dt_next
            final = False
            if t_step + dt >= dur:
                dt = dur - t_step
                final = True
            st0[:, :] = st
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
                V_new, ok = _solve_step(
                    st,
                    prof,
                    st0,
                    prof0,
                    Inode,
                    I,
                    dt,
                    direction,
                    phi_e0,
                    Mo,
                    p,
                    opt,
                    vol,
                    area_f,
                    dr,
                    n_node,
                    ac0,
                    beta,
                    damage_on,
                    eps,
                    out_U,
                    out_xm,
                    out_e,
                    out_sink,
                    out_isi,
                    stats,
                    wk,
                    Jm,
                    dbase,
                    dg,
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
            if status != K.OK:
                break
            # ---- accept
            stats[3] += 1
            t += dt
            t_step += dt
            q_net += I * dt
            Iprev[:] = Ilast
            Ilast[:] = Inode
            dt_prev = dt
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
                fj = st[j, S_F]
                fsum += fj
                lic += fj * out_xm[j]
                e_mean += out_e[j] / N
                dl += electrode_thickness_change(dxl, p[P_ENV], out_e[j])
                trap += st[j, S_TRAP]
                side_all += st[j, S_SIDE]
                h_mean += st[j, S_H] / N
                z_mean += st[j, S_Z] / N
                w_mean += st[j, S_W] / N
                if direction > 0:
                    n_lith[j] += Inode[j] * dt
                elif direction < 0:
                    n_deli[j] += -Inode[j] * dt
            xm = lic / max(fsum, 1e-300)
            if direction > 0:
                c_lith += I * dt
                c_elith += I * dt * (0.5 * (V + V_new) + p[P_ECE])
            elif direction < 0:
                c_deli += -I * dt
                c_edeli += -I * dt * (0.5 * (V + V_new) + p[P_ECE])
            if e_mean > c_emax:
                c_emax = e_mean
            if e_mean < c_emin:
                c_emin = e_mean
            if dl > c_dlmax:
                c_dlmax = dl
            if xm > c_xmax:
                c_xmax = xm
            if xm < c_xmin:
                c_xmin = xm
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
                    ts2 = np.zeros((2 * ts.shape[0], K.NTS))
                    ts2[:n_ts] = ts[:n_ts]
                    ts = ts2
                    nt2 = np.zeros((2 * node_ts.shape[0], NODE_NTS, N))
                    nt2[:n_ts] = node_ts[:n_ts]
                    node_ts = nt2
                ts[n_ts, 0] = t
                ts[n_ts, 1] = V_new
                ts[n_ts, 2] = I
                ts[n_ts, 3] = cur_cycle
                ts[n_ts, 4] = k
                ts[n_ts, 5] = xm
                ts[n_ts, 6] = h_mean
                ts[n_ts, 7] = fsum / N
                ts[n_ts, 8] = e_mean
                ts[n_ts, 9] = dl
                ts[n_ts, 10] = trap
                ts[n_ts, 11] = side_all
                ts[n_ts, 12] = V_new + p[P_ECE]
                ts[n_ts, 13] = q_net + li_init
                ts[n_ts, 14] = z_mean
                ts[n_ts, 15] = w_mean
                for j in range(N):
                    node_ts[n_ts, 0, j] = Inode[j]
                    node_ts[n_ts, 1, j] = out_xm[j]
                    node_ts[n_ts, 2, j] = st[j, S_F]
                    node_ts[n_ts, 3, j] = out_e[j]
                n_ts += 1
            if final or fsum / N < 1e-4:
                done = True
        if status != K.OK:
            break
    if status != K.OK and status != K.CAPACITY_ZERO and cur_cycle >= 0 and n_cyc < cyc.shape[0]:
        # close the interrupted cycle with the data so far
        fsum, lic, trap, side_all = _close_nodes(
            st, prof, vol, n_node, n_lith, n_deli, node_cyc[n_cyc]
        )
        K._write_cycle(
            cyc[n_cyc],
            cur_cycle,
            c_lith,
            c_deli,
            side_all - c_side0,
            trap,
            fsum / N,
            c_emax,
            c_emin,
            c_dlmax,
            c_elith,
            c_edeli,
            lic,
            q_net + li_init,
            t,
            c_xmax,
            c_xmin,
            side_all,
        )
        n_cyc += 1
    return status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last_step, stats


_STATUS_TEXT = dict(K.STATUS_TEXT)
_STATUS_TEXT[NEWTON_FAILED] = "the current-distribution solve did not converge"


def _node_frames(
    node_ts: np.ndarray | None, node_cyc: np.ndarray, cycles: np.ndarray, L: float
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    n = node_cyc.shape[2]
    xc = (np.arange(n) + 0.5) / n * L
    cyc_rows = {
        CYCLE: np.repeat(cycles.astype(np.int64), n),
        "Node / 1": np.tile(np.arange(n), len(cycles)),
        "Position / m": np.tile(xc, len(cycles)),
        "Connected Fraction / 1": node_cyc[:, 0, :].ravel(),
        "Lithiation Charge / Ah": node_cyc[:, 1, :].ravel() / 3600.0,
        "Delithiation Charge / Ah": node_cyc[:, 2, :].ravel() / 3600.0,
        "Trapped Li / Ah": node_cyc[:, 3, :].ravel() / 3600.0,
    }
    return None if node_ts is None else node_ts, pd.DataFrame(cyc_rows)


def simulate_resolved(
    cell: CellParameters | None = None,
    protocol: Protocol | str | None = None,
    options: ModelOptions | None = None,
    n_nodes: int = 12,
    n_cycles: int | None = None,
    record: bool = True,
    composite_mass_g: float | None = None,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    electronic_conductivity: float | None = None,
    i0_epsilon: float | None = None,
    uniform_reaction: bool = False,
) -> Result:
    """Simulate a Si half cell with the resolved (through-thickness) model.

    Parameters
    ----------
    cell : CellParameters, optional
        The cell (default: the study's dense cell geometry with default parameters).
    protocol : Protocol or str, optional
        Parsed protocol or its text form (default: the study's protocol).
    options : ModelOptions, optional
        Mechanism switches (default: all on), as for the reduced model.
    n_nodes : int
        Control volumes across the composite thickness [-] (2-200).
    n_cycles : int, optional
        Cut or extend the protocol to this many cycles.
    record : bool
        Keep the time series (cell level and per node).
    composite_mass_g : float, optional
        For composite-specific capacities [g].
    ds_max, dv_max : float
        Largest local stoichiometry change [-] and cell-voltage change [V] per step.
    electronic_conductivity : float, optional
        Effective electronic conductivity of the composite [S m-1]; None: ideal network.
    i0_epsilon : float, optional
        Override of ``cell.i0_regularisation``, the e of ``i0 = k0 sqrt((s+e)(1-s+e))`` [-]
        (0 gives PyBaMM's ``k0 sqrt(s(1-s))``).
    uniform_reaction : bool
        Run the uniform-reaction limit instead (one node; composite ionic drop
        ``L/(3 sigma_eff f^q)``): the reduced model's equations through this solver, so the two
        fidelities can be compared with identical numerics and options (e.g. ``i0_epsilon``).
        With the default options it reproduces :func:`sianode.simulation.simulate`.

    Returns
    -------
    Result
        Same schema as :func:`sianode.simulation.reduced.simulate`. ``info`` also holds
        ``"node_cycles"`` (DataFrame: connected fraction, lithiation/delithiation charge and
        trapped Li per node and cycle), ``"node_timeseries"`` (array [n_ts, 4, n_nodes] with
        :data:`NODE_TS_COLUMNS`: reaction current [A, + lithiation], Li per Si,
        connected fraction, external strain; rows match ``timeseries``),
        ``"node_positions_m"`` and ``"n_nodes"``.

    Raises
    ------
    ParameterError
        If the first lithiation cannot start, or an argument is out of range.
    """
    cell = cell or CellParameters()
    options = options or ModelOptions()
    if protocol is None:
        from ..study import load_study

        protocol = load_study().section("protocol")["text"]
    proto = parse_protocol(protocol) if isinstance(protocol, str) else protocol
    if not (0 < ds_max <= 0.1) or not (0 < dv_max <= 0.1):
        raise ParameterError("ds_max and dv_max must be in (0, 0.1]")
    if not (2 <= int(n_nodes) <= 200):
        raise ParameterError(f"n_nodes: must be in [2, 200], got {n_nodes!r}")
    if uniform_reaction:
        n_nodes = 1
    sig_s = -1.0 if electronic_conductivity is None else float(electronic_conductivity)
    if electronic_conductivity is not None and not sig_s > 0:
        raise ParameterError("electronic_conductivity: must be > 0 S/m (None = ideal)")
    eps = cell.i0_regularisation if i0_epsilon is None else float(i0_epsilon)
    if not (0 <= eps < 1):
        raise ParameterError("i0_epsilon: must be in [0, 1)")
    steps = proto.to_arrays(
        cell.area, cell.nominal_capacity_Ah, cell.counter_potential, n_cycles, cell.si_mass * 1e3
    )
    status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last, stats = run_resolved(
        cell.to_vector(),
        options.codes(),
        steps["kind"],
        steps["current"],
        steps["cutoff"],
        steps["duration"],
        steps["cycle"],
        record,
        ds_max,
        dv_max,
        int(n_nodes),
        sig_s,
        eps,
        bool(uniform_reaction),
    )
    status = int(status)
    ts = ts[:n_ts] if record else None
    node_ts = node_ts[:n_ts] if record else None
    cyc = cyc[:n_cyc]
    node_cyc = node_cyc[:n_cyc]
    timeseries, cycles, text = _outcome(
        status, ts, cyc, last, steps, proto, n_cycles, cell, composite_mass_g, _STATUS_TEXT
    )
    node_ts_arr, node_cycles = _node_frames(node_ts, node_cyc, cyc[:, 0], cell.electrode_thickness)
    n = int(n_nodes)
    return Result(
        timeseries=timeseries,
        cycles=cycles,
        status=text,
        completed=status == K.OK,
        cell=cell,
        options=options,
        n_cycles_requested=int(n_cycles or proto.n_cycles),
        info={
            "status_code": status,
            "options": dataclasses.asdict(options),
            "model": "uniform" if uniform_reaction else "resolved",
            "n_nodes": n,
            "node_positions_m": (np.arange(n) + 0.5) / n * cell.electrode_thickness,
            "node_timeseries": node_ts_arr,
            "node_timeseries_columns": NODE_TS_COLUMNS,
            "node_cycles": node_cycles,
            "electronic_conductivity": electronic_conductivity,
            "i0_epsilon": i0_epsilon,
            "solver_stats": dict(
                zip(
                    ("solves", "newton_iterations", "fd_jacobians", "steps"),
                    (int(v) for v in stats),
                )
            ),
        },
    )


@njit(parallel=True, cache=True)
def _run_many_resolved(
    P,
    O,
    kind,
    current,
    cutoff,
    duration,
    cycle,
    offsets,
    ds_max,
    dv_max,
    max_cyc,
    n_nodes,
    sig_s,
    eps,
):
    n = P.shape[0]
    status = np.zeros(n, dtype=np.int64)
    ncyc = np.zeros(n, dtype=np.int64)
    out = np.zeros((n, max_cyc, K.NCY))
    for i in prange(n):
        a, b = offsets[i], offsets[i + 1]
        res = run_resolved(
            P[i],
            O[i],
            kind[a:b],
            current[a:b],
            cutoff[a:b],
            duration[a:b],
            cycle[a:b],
            False,
            ds_max,
            dv_max,
            n_nodes,
            sig_s,
            eps[i],
            False,
        )
        status[i] = res[0]
        m = min(res[4], max_cyc)
        ncyc[i] = m
        out[i, :m] = res[5][:m]
    return status, ncyc, out


def simulate_resolved_batch(
    cells: list[CellParameters],
    protocols: list[dict[str, np.ndarray]],
    options: ModelOptions | list[ModelOptions] | None = None,
    n_nodes: int = 12,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    electronic_conductivity: float | None = None,
    composite_mass_g: float | None = None,
):
    """Many designs through the resolved model in parallel threads (numba ``prange``).

    Each design runs the same compiled :func:`run_resolved` as :func:`simulate_resolved`
    (per-cycle results only), so results equal single runs; a failing design keeps its
    cycles and status and never aborts the batch.

    Parameters
    ----------
    cells : list of CellParameters
        One per design.
    protocols : list of dict
        Numeric step tables (``Protocol.to_arrays(...)``), one per design.
    options : ModelOptions or list of them
        Shared or per design.
    n_nodes : int
        Control volumes across the composite [-].

    Returns
    -------
    sianode.simulation.batch.BatchResult
    """
    from .batch import BatchResult, pack_designs

    if not cells and not protocols:
        return BatchResult.empty(composite_mass_g)
    P, O, offsets, cat, max_cyc = pack_designs(cells, protocols, options)
    eps = np.array([c.i0_regularisation for c in cells], dtype=np.float64)
    sig_s = -1.0 if electronic_conductivity is None else float(electronic_conductivity)
    st, nc, out = _run_many_resolved(
        P,
        O,
        cat["kind"],
        cat["current"],
        cat["cutoff"],
        cat["duration"],
        cat["cycle"],
        offsets,
        ds_max,
        dv_max,
        max_cyc,
        int(n_nodes),
        sig_s,
        eps,
    )
    texts = [_STATUS_TEXT.get(int(s), f"status {int(s)}") for s in st]
    return BatchResult(
        status=texts,
        status_code=st,
        n_cycles=nc,
        raw=out,
        cells=list(cells),
        composite_mass_g=composite_mass_g,
    )
