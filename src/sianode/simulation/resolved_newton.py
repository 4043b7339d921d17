"""Newton solve of the resolved model's current distribution over one time step.

The node currents ``I_j`` and the cell voltage ``V`` solve, at the *end* of the step
(backward Euler), ``V + (Mo I)_j - phi_e0 + G_j(I_j) = 0`` for every node j with
``sum_j I_j = I``: ``Mo`` holds the ohmic drops between the separator face, the nodes and
the current collector (:func:`ohmic_matrix`), ``G_j`` the node's OCP, kinetic and film
terms (:func:`sianode.simulation.resolved_node.node_response`).
"""

from __future__ import annotations

import numpy as np
from numba import uint64

from ..models._jit import compiled
from .borrowed import borrowed
from .layout import P_K0
from .particle import cache_start_ocp, diffusion_factor, diffusion_solve, effective_diffusivity
from .resolved_node import node_response, start_ocp

#: Newton tolerance on the node potential balance [V].
NEWTON_TOL = 3e-5


@compiled
def ohmic_matrix(n, dx, area, sig_e, sig_s, Mo):
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


@compiled
def solve_dense_transposed(At, b, x, mult):
    """Solve ``A x = b`` by Gaussian elimination with partial pivoting, given ``At`` = A
    transposed (At, b overwritten).

    The operations of the row-major elimination this replaced (commit 8a3ee45), on every
    element in the same order, so the same ``x`` bit for bit (pivot rows, multipliers,
    updates, back substitution; ``tests/simulation/test_resolved_kernels.py``). Column-major
    storage makes a column's multipliers and each row update contiguous, so numba vectorises
    them (unsigned indices: no negative-index check in the loop). The entries below the
    diagonal, never read again, are not zeroed. ``mult``: work array of the size of ``b``."""
    n = b.size
    for c in range(n):
        piv = c
        big = abs(At[c, c])
        for r in range(c + 1, n):
            if abs(At[c, r]) > big:
                big = abs(At[c, r])
                piv = r
        if piv != c:
            for k in range(n):
                tmp = At[k, c]
                At[k, c] = At[k, piv]
                At[k, piv] = tmp
            tmp = b[c]
            b[c] = b[piv]
            b[piv] = tmp
        d = At[c, c]
        if d == 0.0:
            d = 1e-300
        for r in range(uint64(c + 1), uint64(n)):
            mult[r] = At[c, r] / d
        bc = b[c]
        for r in range(uint64(c + 1), uint64(n)):
            m = mult[r]
            br = b[r]
            b[r] = br - m * bc if m != 0.0 else br
        for k in range(c + 1, n):
            akc = At[k, c]
            for r in range(uint64(c + 1), uint64(n)):
                m = mult[r]
                a = At[k, r]
                At[k, r] = a - m * akc if m != 0.0 else a
    for r in range(n - 1, -1, -1):
        s = b[r]
        for k in range(r + 1, n):
            s -= At[k, r] * x[k]
        d = At[r, r]
        if d == 0.0:
            d = 1e-300
        x[r] = s / d


@compiled
def diffusion_solve_nodes(prof0, vol, dt, fm, fb, fc, tmp, dbase):
    """No-source diffusion step of every node's profile (rows of ``prof0``) into the rows of
    ``dbase``: :func:`~sianode.simulation.particle.diffusion_solve` with ``source = 0`` for
    all nodes at once (factorisation ``fm``, ``fb``, ``fc`` from ``diffusion_factor``).

    The same operations on every element in the same order (bit-identical), with the nodes
    interleaved in ``tmp`` [shells x nodes]: the divisions of the back substitution, a chain
    within one node, are independent across nodes, so they overlap and vectorise."""
    n = prof0.shape[0]
    ns = vol.size
    nu = uint64(n)
    for i in range(ns):
        v = vol[i] / dt
        for j in range(uint64(0), nu):
            tmp[i, j] = v * prof0[j, i]
    zero_source = 0.0 / dt
    for j in range(uint64(0), nu):
        tmp[ns - 1, j] += zero_source
    for i in range(1, ns):
        f = fm[i]
        for j in range(uint64(0), nu):
            tmp[i, j] -= f * tmp[i - 1, j]
    f = fb[ns - 1]
    for j in range(uint64(0), nu):
        tmp[ns - 1, j] = tmp[ns - 1, j] / f
    for i in range(ns - 2, -1, -1):
        f = fc[i]
        g = fb[i]
        for j in range(uint64(0), nu):
            tmp[i, j] = (tmp[i, j] - f * tmp[i + 1, j]) / g
    for j in range(n):
        for i in range(ns):
            dbase[j, i] = tmp[i, j]


@compiled
def solve_step(
    nodes, Inode, I, dt, direction, phi_e0, MoT, p, opt, c, grid, out, work, stats, start_known
):
    """Solve the end-of-step current distribution (backward Euler) by Newton.

    ``nodes`` = (st, prof, st0, prof0): node states and profiles, advanced in place from the
    step's start (st0, prof0). On entry ``Inode`` [A] holds the initial guess; on exit the
    solution. ``c``: per-node constants (:class:`NodeConstants`); ``grid`` = (vol, area_f,
    dr, dg) of the radial grid; ``MoT``: the ohmic matrix (:func:`ohmic_matrix`) transposed;
    ``out``: per-node ``NODE_OUT_DTYPE`` records (one more as scratch); ``work`` = (wk, JmT,
    dbase, dtmp) work arrays (12 x max(n+1, shells), (n+1) x (n+1), n x shells, shells x n);
    ``stats``: solves, Newton iterations, finite-difference Jacobians. ``start_known``: the
    start states already hold their start OCP and sink for ``direction`` (``u_start``,
    ``sink_start``): true when they are the end states of this protocol step's last accepted
    solve, whose node responses stored them (:func:`node_response`), or a retry from the same
    start; false after anything else changed them (a new protocol step). Returns (V,
    converged).
    """
    # borrowed views of the arguments (the caller owns them for this call): no reference
    # counting in the loops below (:mod:`.borrowed`)
    st, prof, st0, prof0 = nodes
    st, prof, st0, prof0 = borrowed(st), borrowed(prof), borrowed(st0), borrowed(prof0)
    wk, JmT, dbase, dtmp = borrowed(work[0]), borrowed(work[1]), borrowed(work[2]), work[3]
    dtmp = borrowed(dtmp)
    vol, area_f, dr, dg = grid
    vol, area_f, dg = borrowed(vol), borrowed(area_f), borrowed(dg)
    grid = (vol, area_f, dr, dg)
    Inode, MoT, p, opt = borrowed(Inode), borrowed(MoT), borrowed(p), borrowed(opt)
    out, stats = borrowed(out), borrowed(stats)
    n = Inode.size
    nu = uint64(n)
    Fv = wk[2, : n + 1]
    rhs = wk[3, : n + 1]
    mi = wk[4, :n]
    sol = wk[5, : n + 1]
    mult = wk[10, : n + 1]
    u_start = wk[11, :n]
    no_pre = wk[0, :0]
    # make the guess meet the total
    s = 0.0
    for j in range(n):
        s += Inode[j]
    for j in range(n):
        Inode[j] += (I - s) / n
    # current scale [A]: applied current per node, or (rests) the node exchange current
    scale = max(abs(I) / n, 1e-3 * p[P_K0] * c.a_contact)
    V = 0.0
    stats[0] += 1
    ns = prof.shape[1]
    use_pre = ns > 1 and dt > 0.0
    for j in range(n):
        if not start_known:
            cache_start_ocp(st0[j], prof0[j], direction, p, opt)
        # every evaluation of node j starts from this state: its start OCP once per solve
        u_start[j] = start_ocp(st0[j], prof0[j, ns - 1], p, opt, c)
    if use_pre:
        fm = wk[6, :ns]
        fb = wk[7, :ns]
        fc = wk[8, :ns]
        diffusion_factor(vol, area_f, dr, effective_diffusivity(p), dt, fm, fb, fc)
        diffusion_solve_nodes(prof0, vol, dt, fm, fb, fc, dtmp, dbase)
        wk[9, :ns] = 0.0
        diffusion_solve(wk[9, :ns], vol, dt, 1.0, fm, fb, fc, dg)
    res = 1e300
    for it in range(61):
        stats[1] += 1
        # residual at Inode
        for j in range(n):
            st[j] = st0[j]
            for i in range(ns):
                prof[j, i] = prof0[j, i]
            node_response(
                st[j],
                prof[j],
                Inode[j],
                dt,
                direction,
                p,
                opt,
                c,
                grid,
                dbase[j] if use_pre else no_pre,
                u_start[j],
                out[j],
            )
        # mi = Mo Inode, each row summed in column order as a dot product would
        for j in range(uint64(0), nu):
            mi[j] = 0.0
        for k in range(n):
            ik = Inode[k]
            for j in range(uint64(0), nu):
                mi[j] += MoT[k, j] * ik
        if it == 0:  # V from the mean balance
            V = 0.0
            for j in range(n):
                V += phi_e0 - mi[j] - out[j].G
            V /= n
        res = 0.0
        for j in range(n):
            Fv[j] = V + mi[j] - phi_e0 + out[j].G
            if abs(Fv[j]) > res:
                res = abs(Fv[j])
        if res < NEWTON_TOL or it == 60:
            break
        d = wk[1, :n]
        for j in range(n):
            d[j] = out[j].dG
        if it >= 5:
            # slow convergence (plateau ends, clipped OCP): finite-difference diagonal
            stats[2] += 1
            for j in range(n):
                dI = 1e-7 * max(abs(Inode[j]), scale)
                st[j] = st0[j]
                prof[j, :] = prof0[j, :]
                gp = node_response(
                    st[j],
                    prof[j],
                    Inode[j] + dI,
                    dt,
                    direction,
                    p,
                    opt,
                    c,
                    grid,
                    dbase[j] if use_pre else no_pre,
                    u_start[j],
                    out[n],  # scratch record
                )
                d[j] = (gp - out[j].G) / dI
        for j in range(n):
            if not d[j] > 0.0:
                d[j] = 1e-6 / scale  # flat or clipped response: keep the system solvable
        # the bordered Jacobian [[Mo + diag(d), 1], [1, 0]], stored transposed
        for k in range(n):
            for r in range(uint64(0), nu):
                JmT[k, r] = MoT[k, r]
            JmT[k, k] += d[k]
            JmT[k, n] = 1.0
            JmT[n, k] = 1.0
            rhs[k] = -Fv[k]
        JmT[n, n] = 0.0
        rhs[n] = 0.0
        solve_dense_transposed(JmT, rhs, sol, mult)
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
