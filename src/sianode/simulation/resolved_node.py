"""One node of the resolved model: its particle advanced over a step, and its potential balance.

Each node holds 1/N of the Si as one particle group (a record of ``STATE_DTYPE`` and its radial
profile), advanced by the same particle solver as the reduced model
(:func:`sianode.simulation.particle.advance_particle`). This module adds what only the
resolved model needs: the node's kinetic and film losses as a function of its reaction current
(the residual the Newton solve drives to zero), an estimate of its derivative, and a shared
factorisation of the radial diffusion matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..models._jit import compiled
from ..models.kinetics import (
    butler_volmer_overpotential,
    exchange_current_density,
    shrinking_core_area_fraction,
)
from ..models.ocp import si_ocp
from .layout import FARADAY, GAS_CONSTANT, P_K0, P_KINT, P_T, P_UOX, P_XMAX
from .particle import (
    SINK_CRYSTALLINE,
    SINK_LI15SI4_DELITH,
    SINK_SIDE,
    advance_particle,
    front_overpotential,
    ocp_and_sink,
    particle_ocp,
)


class NodeConstants(NamedTuple):
    """Per-design constants of a resolved run, per node (passed by value)."""

    n_si: float  #: Si per node [mol]
    a_contact: float  #: fully connected contact area per node [m2]
    beta: float  #: damage coefficient at the stack pressure [-]
    i0_eps: float  #: regularisation e of the exchange current [-]


#: What a node's response reports for the Newton solve and the bookkeeping.
NODE_OUT_DTYPE = np.dtype(
    [
        ("U", np.float64),  # OCP at the end of the step [V vs Li]
        ("xm", np.float64),  # Li per connected Si [-]
        ("e", np.float64),  # external strain [-]
        ("sink", np.int64),  # where Li goes at the end of the step
        ("I_si", np.float64),  # current into Si [A]
        ("G", np.float64),  # -U + eta + R_int I_j [V]
        ("dG", np.float64),  # estimate of dG/dI_j [V A-1]
    ]
)
#: Phase fraction [-] over which the end of a two-phase plateau (c-Si, c-Li15Si4) is blended
#: into the amorphous OCP (numerical regularisation of the OCP jump; < 0.1 % of capacity).
PLATEAU_BLEND = 1e-3


@compiled(inline=True)
def node_exchange_current(s_kin, k0, eps):
    """Exchange current density [A m-2] (the shared physics function), kept above 1e-14 k0
    so that ``eps = 0`` (PyBaMM's ``k0 sqrt(s(1-s))``) stays finite at s = 0 and 1."""
    return max(exchange_current_density(s_kin, k0, eps), 1e-14 * k0)


@compiled(inline=True)
def blended_ocp(U, sink, s, x_surf, p, opt, n_si):
    """End-of-plateau regularisation [V]: a two-phase plateau ends with a jump of the OCP (a
    node's response then has a gap where the implicit solve has no root), so its last
    ``PLATEAU_BLEND`` of phase fraction is blended into the amorphous OCP. A side reaction
    (physics.md 8.3) is blended likewise over its last part of the node's Si
    capacity (``n_si`` [mol] of Si) into the potential of what reacts next."""
    if sink == SINK_SIDE:
        u_si, _sink, _s_kin = ocp_and_sink(1, x_surf, s.h, s.z, s.a, s.w, p, opt)
        q_blend = PLATEAU_BLEND * FARADAY * n_si * p[P_XMAX]
        u_ox = u_si
        if s.ox_rem > 0.0 and p[P_UOX] >= u_si:
            u_ox = u_si + (p[P_UOX] - u_si) * min(1.0, s.ox_rem / q_blend)
        if s.int_rem > 0.0 and U > u_ox:
            return u_ox + (U - u_ox) * min(1.0, s.int_rem / q_blend)
        return u_ox
    if sink == SINK_CRYSTALLINE and s.z < PLATEAU_BLEND and s.a > 1e-12:
        ua = si_ocp(x_surf / p[P_XMAX], s.h)
        if ua < U:
            return ua + (U - ua) * s.z / PLATEAU_BLEND
    elif sink == SINK_LI15SI4_DELITH and s.w < PLATEAU_BLEND and s.a > 1e-12 and x_surf > 1e-9:
        ua = si_ocp(x_surf / p[P_XMAX], s.h)
        if ua > U:
            return ua + (U - ua) * s.w / PLATEAU_BLEND
    return U


@compiled(inline=True)
def start_ocp(s, x_surf, p, opt, c):
    """The node's (blended) OCP at the step start [V], for the secant of ``dG``: the OCP that
    ``cache_start_ocp`` stored in ``s``, through :func:`blended_ocp` at the surface
    stoichiometry ``x_surf`` [-]."""
    return blended_ocp(s.u_start, s.sink_start, s, x_surf, p, opt, c.n_si)


@compiled(inline=True)
def node_response(s, pj, Ij, dt, direction, p, opt, c, grid, dbase_j, u_start, out):
    """Advance node state ``s``/``pj`` (in place) by ``dt`` [s] at reaction current ``Ij``
    [A] and fill ``out`` (a ``NODE_OUT_DTYPE`` record) with its end state.

    ``G = -U + eta + R_int Ij`` [V] is the node's share of the potential balance; ``dG`` the
    Newton diagonal: kinetics + interphase + the OCP secant over the step. ``u_start`` [V]:
    :func:`start_ocp` of the step's start state (the same for every Newton iteration)."""
    U = u_start
    I_si, xm, e_now, _u0 = advance_particle(
        s, pj, Ij, dt, direction, p, opt, c.n_si, c.beta, c.a_contact, grid, dbase_j
    )
    x_surf = pj[pj.size - 1]
    U2, sink2, s_kin2 = particle_ocp(s, pj, direction, p, opt)
    # the end state is the next step's start if accepted: keep its OCP and sink as
    # ``cache_start_ocp`` would store them (same function, same state and direction)
    s.u_start = U2
    s.sink_start = sink2
    U2 = blended_ocp(U2, sink2, s, x_surf, p, opt, c.n_si)
    a_contact = max(s.f, 1e-12) * c.a_contact
    i0 = node_exchange_current(s_kin2, p[P_K0], c.i0_eps)
    # the whole reacting current (side reactions included) passes the contact (physics.md 8.3)
    eta = butler_volmer_overpotential(Ij / a_contact, i0, p[P_T])
    eta_front = front_overpotential(s, sink2, I_si, a_contact, s_kin2, p, opt)
    r_int = s.delta_int / (p[P_KINT] * a_contact)
    jj = Ij / a_contact / (2.0 * i0)
    rt2 = 2.0 * GAS_CONSTANT * p[P_T] / FARADAY
    dG = rt2 / (2.0 * i0 * a_contact * np.sqrt(1.0 + jj * jj)) + r_int
    if eta_front != 0.0:
        a_front = max(a_contact * shrinking_core_area_fraction(s.z), 1e-300)
        jf = I_si / a_front / (2.0 * i0)
        dsi = I_si / Ij if Ij != 0.0 else 1.0
        dG += dsi * (
            rt2 / (2.0 * i0 * a_front * np.sqrt(1.0 + jf * jf))
            - rt2 / (2.0 * i0 * a_contact * np.sqrt(1.0 + jj * jj))
        )
    eta += eta_front
    if dt > 0.0 and Ij != 0.0:
        dU = (U2 - U) / Ij
        if dU < 0.0:
            dG -= dU
    out.U = U2
    out.xm = xm
    out.e = e_now
    out.sink = sink2
    out.I_si = I_si
    out.G = -U2 + eta + r_int * Ij
    out.dG = dG
    return out.G
