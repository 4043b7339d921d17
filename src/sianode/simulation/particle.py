"""The one particle solver: advance a Si particle's state over a time step.

The reduced kernel (one particle for the whole cell), the batch engine (the same kernel per
design) and the resolved model (one particle per node) all move charge into and out of Si
through :func:`advance_particle`. One mechanism per function, each named after what it
computes:

- :func:`side_reaction_current`: share of a lithiation current taken by the native oxide and
  the interphase;
- :func:`move_lithium`: where the Li goes (two-phase reactions or the amorphous profile with
  radial diffusion);
- :func:`hysteresis_update`: the OCP hysteresis state;
- :func:`contact_loss`: strain-driven loss of connected Si (the damage law) and the Li it
  traps;
- :func:`start_half_step`: what happens when the current changes sign (hysteresis branch,
  damage reference, breathing interphase).

A particle's state is one record of :data:`~sianode.simulation.layout.STATE_DTYPE` plus its
radial Li profile ``prof`` [Li per Si] (``N_SHELLS`` shells with radial diffusion, else 1).
All updates are exact for the step (charge is moved, never integrated approximately), so
charge is conserved to round-off.
"""

from __future__ import annotations

import numpy as np

from ..models._jit import compiled
from ..models.degradation import damage_factor, interphase_charge_per_area
from ..models.hysteresis import one_state_update
from ..models.kinetics import (
    butler_volmer_overpotential,
    exchange_current_density,
    shrinking_core_area_fraction,
    skeleton_diffusivity,
)
from ..models.mechanics import external_strain, linear_strain
from ..models.ocp import si_ocp
from .layout import (
    FARADAY,
    INTERPHASE_LI_CONCENTRATION,
    N_SHELLS,
    O_CRYST,
    O_DAMAGE,
    O_DIFF,
    O_HYST,
    O_IGROW,
    O_LI15,
    O_MECH,
    O_SIDE,
    O_STRAIN,
    P_BETA,
    P_CB,
    P_CRYST,
    P_D,
    P_DINT,
    P_E0,
    P_ETA,
    P_I0EPS,
    P_K,
    P_K0,
    P_LI15_MIN,
    P_M,
    P_NP,
    P_OX,
    P_OXLI,
    P_PHI,
    P_PREF,
    P_PRESS,
    P_R,
    P_SI_MASS,
    P_SSA,
    P_T,
    P_THETA,
    P_UC,
    P_UINT,
    P_UOX,
    P_UW_DEL,
    P_UW_FORM,
    P_WALL,
    P_XAM,
    P_XINIT,
    P_XMAX,
    SI_DENSITY,
    SI_MOLAR_MASS,
    SIO2_DENSITY,
    SIO2_MOLAR_MASS,
    X_LI15SI4,
)

#: Where a step's Li goes: the amorphous phase, c-Si -> a-Li_xSi (first lithiation),
#: a-Li_xSi -> c-Li15Si4, c-Li15Si4 -> a-Si.
SINK_AMORPHOUS = 0
SINK_CRYSTALLINE = 1
SINK_LI15SI4_FORM = 2
SINK_LI15SI4_DELITH = 3
#: The current goes to a side reaction (interphase, then oxide) at its own potential.
SINK_SIDE = 4


# ---------------------------------------------------------------- design constants
@compiled
def silicon_moles(p):
    """Si in the electrode [mol] from its mass [kg]."""
    return p[P_SI_MASS] / SI_MOLAR_MASS


@compiled
def contact_area(p):
    """Si/electrolyte contact area of the fully connected electrode [m2]: coverage times
    the envelope surface ``3 V_env / R`` of spheres of radius R with V_env = m / (rho (1-phi))."""
    v_env = p[P_SI_MASS] / (SI_DENSITY * (1.0 - p[P_PHI]))
    return p[P_THETA] * 3.0 * v_env / p[P_R]


@compiled
def damage_coefficient(p):
    """Damage coefficient at the stack pressure [-]: beta (P_ref / P)^n_P (physics.md 5.5)."""
    return p[P_BETA] * (p[P_PREF] / p[P_PRESS]) ** p[P_NP]


@compiled
def oxide_charge(p):
    """Charge the native SiO2 shell takes on lithiation [C]: ``oxide_li_per_sio2`` Li per SiO2
    (physics.md 8.3)."""
    return p[P_SSA] * p[P_SI_MASS] * p[P_OX] * SIO2_DENSITY / SIO2_MOLAR_MASS * p[P_OXLI] * FARADAY


# ---------------------------------------------------------------- radial grid
@compiled
def radial_grid(p, opt):
    """Shell volumes (normalised to 1) and face areas (x 1/V) of the radial grid, and the
    shell width [m]. One shell (no diffusion) unless the diffusion option is on."""
    ns = N_SHELLS if opt[O_DIFF] == 1 else 1
    vol = np.ones(ns)
    area_f = np.zeros(ns + 1)
    rad = p[P_R]  # Li enters at the (secondary) particle surface (physics.md 8.6)
    dr = rad / ns
    if ns > 1:
        tot = rad**3
        for i in range(ns):
            r_in = i * dr
            r_out = (i + 1) * dr
            vol[i] = (r_out**3 - r_in**3) / tot
            area_f[i] = 3.0 * r_in**2 / tot
        area_f[ns] = 3.0 * rad**2 / tot
    return vol, area_f, dr


@compiled(inline=True)
def profile_mean(prof, vol):
    """Volume mean of a radial profile [same unit as ``prof``]."""
    s = 0.0
    for i in range(prof.size):
        s += prof[i] * vol[i]
    return s


@compiled
def diffusion_factor(vol, area_f, dr, D, dt, fm, fb, fc):
    """Thomas factorisation of :func:`diffuse`'s matrix for step ``dt`` [s]
    (multipliers ``fm``, pivots ``fb``, upper diagonal ``fc``); shared by all nodes."""
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


@compiled(inline=True)
def diffusion_solve(prof, vol, dt, source, fm, fb, fc, out):
    """Solve the factorised diffusion step (:func:`diffusion_factor`) into ``out``."""
    n = vol.size
    for i in range(n):
        out[i] = vol[i] / dt * prof[i]
    out[n - 1] += source / dt
    for i in range(1, n):
        out[i] -= fm[i] * out[i - 1]
    out[n - 1] = out[n - 1] / fb[n - 1]
    for i in range(n - 2, -1, -1):
        out[i] = (out[i] - fc[i] * out[i + 1]) / fb[i]


@compiled
def diffuse(prof, vol, area_f, dr, D, dt, source):
    """Implicit-Euler finite-volume step of radial diffusion with a surface source.

    ``source`` [-] is the change of the volume-mean Li per Si delivered at the surface over
    ``dt`` [s]; ``D`` [m2 s-1]. Conserves the volume-weighted mean exactly (to round-off).
    Returns the new profile (Thomas algorithm: :func:`diffusion_factor`, then
    :func:`diffusion_solve`)."""
    n = prof.size
    fm = np.empty(n)
    fb = np.empty(n)
    fc = np.empty(n)
    out = np.empty(n)
    diffusion_factor(vol, area_f, dr, D, dt, fm, fb, fc)
    diffusion_solve(prof, vol, dt, source, fm, fb, fc, out)
    return out


# ---------------------------------------------------------------- state
@compiled
def init_particle(s, prof, p, opt, n_groups, a_contact):
    """Fresh particle group holding 1/``n_groups`` of the Si with contact area ``a_contact``
    [m2]: crystalline fraction, initial Li, oxide and first-contact interphase reservoirs."""
    z = p[P_CRYST] if opt[O_CRYST] >= 1 else 0.0
    a = 1.0 - z
    # initial Li sits in amorphous Li_xSi (Li is insoluble in c-Si): the amorphous fraction
    # takes up to x_max, the rest turns c-Si into a-Li_xSi at x_amorphous (physics.md 8.7)
    li = p[P_XINIT]
    li_a = min(li, a * p[P_XMAX])
    dz = min((li - li_a) / p[P_XAM], z)
    z -= dz
    a += dz
    s.z = z
    s.z_core = 0.0
    s.a = a
    s.w = 0.0
    s.h = 0.0
    s.f = 1.0
    x0 = (li_a + dz * p[P_XAM]) / a if a > 0.0 else 0.0
    for i in range(prof.size):
        prof[i] = x0
    s.ox_rem = oxide_charge(p) / n_groups if opt[O_SIDE] >= 1 else 0.0
    s.int_rem = interphase_charge_per_area(p[P_DINT]) * a_contact if opt[O_SIDE] == 2 else 0.0


@compiled(inline=True)
def mean_li(s, prof, vol):
    """Li per connected Si [-]: amorphous phase plus c-Li15Si4."""
    return s.a * profile_mean(prof, vol) + X_LI15SI4 * s.w


# ---------------------------------------------------------------- open-circuit potential
@compiled(inline=True)
def ocp_and_sink(direction, x_surf, h, z, a, w, p, opt):
    """Return (OCP [V vs Li], sink code, stoichiometry for kinetics [-]) for a step in
    ``direction`` (+1 lithiation, -1 delithiation, 0 rest); sink codes ``SINK_*``."""
    xmax = p[P_XMAX]
    s = x_surf / xmax
    ua = si_ocp(s, h)
    if direction > 0:
        if opt[O_CRYST] >= 1 and z > 1e-12 and (a <= 1e-12 or ua <= p[P_UC]):
            return p[P_UC], SINK_CRYSTALLINE, p[P_XAM] / xmax
        if (
            opt[O_LI15] == 1
            and p[P_WALL] > p[P_LI15_MIN]
            and a > 1e-12
            and ua < p[P_UW_FORM]
            and x_surf < X_LI15SI4
        ):
            return p[P_UW_FORM], SINK_LI15SI4_FORM, s
        return ua, SINK_AMORPHOUS, s
    if direction < 0:
        if w > 1e-12 and (a <= 1e-12 or x_surf <= 1e-9 or ua >= p[P_UW_DEL]):
            return p[P_UW_DEL], SINK_LI15SI4_DELITH, 0.99
        return ua, SINK_AMORPHOUS, s
    if a <= 1e-12 and z > 1e-12:
        return p[P_UC], SINK_CRYSTALLINE, p[P_XAM] / xmax
    return ua, SINK_AMORPHOUS, s


@compiled(inline=True)
def side_reaction_potential(s, p, opt):
    """Potential [V vs Li] of the side reaction that takes a lithiation current next, or
    -1e300 when none is left: the Li3PS4 reduction (interphase) first, then the native oxide
    (physics.md 8.3)."""
    if opt[O_SIDE] == 2 and s.int_rem > 0.0:
        return p[P_UINT]
    if opt[O_SIDE] >= 1 and s.ox_rem > 0.0:
        return p[P_UOX]
    return -1e300


@compiled(inline=True)
def particle_ocp(s, prof, direction, p, opt):
    """:func:`ocp_and_sink` of the particle's state (surface shell of its profile).

    On lithiation, a side reaction whose potential is at or above the Si's takes the current
    first (sink ``SINK_SIDE``, physics.md 8.3): reactions on one electrode proceed in the
    order of their potentials."""
    u, sink, s_kin = ocp_and_sink(direction, prof[prof.size - 1], s.h, s.z, s.a, s.w, p, opt)
    if direction > 0:
        u_side = side_reaction_potential(s, p, opt)
        if u_side >= u:
            return u_side, SINK_SIDE, s_kin
    return u, sink, s_kin


@compiled(inline=True)
def front_overpotential(s, sink, I_si, a_contact, s_kin, p, opt):
    """Overpotential of the c-Si/a-Li_xSi reaction front [V] (physics.md 8.4).

    With ``crystalline = "shrinking-core"`` the front moving into the crystalline core has the
    area ``a_contact z^(2/3)`` [m2] (:func:`~sianode.models.kinetics.shrinking_core_area_fraction`)
    and the exchange current of the surface reaction (stated assumption); Butler-Volmer for the
    current ``I_si`` [A]. The plateau potential is a measured value that already holds the
    front's loss at its starting area, so only the rise as the core shrinks is added:
    ``eta(z) - eta(1)``, zero at z = 1. Zero on other sinks and options."""
    if opt[O_CRYST] != 2 or sink != SINK_CRYSTALLINE or I_si <= 0.0:
        return 0.0
    area = a_contact * shrinking_core_area_fraction(s.z)
    i0 = exchange_current_density(s_kin, p[P_K0], p[P_I0EPS])
    full = butler_volmer_overpotential(I_si / a_contact, i0, p[P_T])
    return butler_volmer_overpotential(I_si / max(area, 1e-300), i0, p[P_T]) - full


@compiled
def effective_diffusivity(p):
    """Li diffusivity over the diffusion length [m2 s-1]: that of the Si skeleton of a porous
    (secondary) particle, D (1 - phi)^1.5 (physics.md 8.6)."""
    return skeleton_diffusivity(p[P_D], p[P_PHI])


# ---------------------------------------------------------------- mechanisms
@compiled(inline=True)
def side_reaction_current(s, I, direction, dt, a_contact0):
    """Current taken by the side reactions during ``dt`` [s] [A]; updates the reservoirs of
    ``s``.

    Sequential, not shared (physics.md 8.3): when the step starts on a side reaction
    (``s.sink_start == SINK_SIDE``, its potential at or above the Si's) the whole lithiation
    current ``I`` [A] goes to the side reactions, the interphase first, then the native oxide,
    until they are used up; what is left of ``I dt`` goes to Si. The interphase thickness
    grows by its charge over (F c_Li A_contact) [m], with ``a_contact0`` [m2] the contact area
    when fully connected."""
    I_side = 0.0
    if direction <= 0 or I <= 0.0 or s.sink_start != SINK_SIDE:
        return I_side
    side_rem = s.ox_rem + s.int_rem
    if dt <= 0.0:
        return I if side_rem > 0.0 else 0.0
    dq_side = min(I * dt, side_rem)
    I_side = dq_side / dt
    take_int = min(dq_side, s.int_rem)
    s.int_rem -= take_int
    take_ox = min(dq_side - take_int, s.ox_rem)
    s.ox_rem -= take_ox
    s.side_total += take_int + take_ox
    c_li = INTERPHASE_LI_CONCENTRATION
    s.delta_int += take_int / (FARADAY * c_li * max(a_contact0 * s.f, 1e-30))
    return I_side


@compiled(inline=True)
def convert_phases(s, prof, sink, dx, x_surf, p):
    """Move ``dx`` Li per connected Si through a two-phase reaction; returns the change of
    the amorphous stoichiometry it causes [-].

    ``SINK_CRYSTALLINE``: c-Si -> a-Li_xSi at x_amorphous (what exceeds the remaining c-Si
    goes into the amorphous phase); ``SINK_LI15SI4_FORM``: a-Li_xSi -> c-Li15Si4 at constant
    x_a; ``SINK_LI15SI4_DELITH``: c-Li15Si4 -> a-Si (x = 0). ``prof`` is updated in place."""
    ns = prof.size
    z = s.z
    a = s.a
    w = s.w
    ds_amorph = 0.0
    if sink == SINK_CRYSTALLINE:
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
    elif sink == SINK_LI15SI4_FORM:
        dw = dx / max(X_LI15SI4 - x_surf, 1e-6)
        if dw > a:
            dw = a
        a -= dw
        w += dw
    elif sink == SINK_LI15SI4_DELITH:
        dw = -dx / X_LI15SI4
        if dw > w:
            dw = w
        w -= dw
        na = a + dw
        for i in range(ns):
            prof[i] = a * prof[i] / na
        a = na
    s.z = z
    s.a = a
    s.w = w
    return ds_amorph


@compiled(inline=True)
def move_lithium(s, prof, dx, dt, direction, sink, p, vol, area_f, dr, dbase, dg):
    """Put ``dx`` Li per connected Si into the particle over ``dt`` [s] (take it out if
    negative); returns the change of the amorphous stoichiometry [-] (for hysteresis).

    Two-phase sinks go through :func:`convert_phases`; otherwise the Li enters the amorphous
    phase at the surface and diffuses (implicit Euler). ``dbase``/``dg`` (optional, size 0 to
    skip) are the no-source diffusion step of this profile and its response to a unit source
    for this ``dt``: diffusion is linear in the source, so the resolved model reuses them
    across its Newton iterations."""
    ns = prof.size
    x_surf = prof[ns - 1]
    ds_amorph = 0.0
    if dx != 0.0 and dt > 0.0:
        if (sink == SINK_CRYSTALLINE and direction > 0) or sink >= SINK_LI15SI4_FORM:
            ds_amorph = convert_phases(s, prof, sink, dx, x_surf, p)
        else:
            dxa = dx / max(s.a, 1e-12)
            if ns > 1 and dbase.size > 0:
                for i in range(ns):
                    prof[i] = dbase[i] + dxa * dg[i]
            elif ns > 1:
                prof[:] = diffuse(prof, vol, area_f, dr, effective_diffusivity(p), dt, dxa)
            else:
                prof[0] += dxa
            ds_amorph = dxa / p[P_XMAX]
    elif ns > 1 and dt > 0.0:
        if dbase.size > 0:
            for i in range(ns):
                prof[i] = dbase[i]
        else:
            prof[:] = diffuse(prof, vol, area_f, dr, effective_diffusivity(p), dt, 0.0)
    return ds_amorph


@compiled(inline=True)
def hysteresis_update(s, direction, dx, ds_amorph, p, opt):
    """One-state hysteresis (Axen et al. 2022): move ``h`` toward the branch of the current
    (-1 lithiation, +1 delithiation) by the amorphous stoichiometry change ``ds_amorph`` [-].
    A particle at rest follows the sign of its own Li change ``dx``."""
    if opt[O_HYST] == 2 and (direction != 0 or dx != 0.0):
        if direction != 0:
            target = -1.0 if direction > 0 else 1.0
        else:
            target = -1.0 if dx > 0 else 1.0
        s.h = one_state_update(s.h, ds_amorph, target, p[P_K])


@compiled(inline=True)
def strain_of(x_mean, p, opt):
    """External (unbuffered) volumetric strain of the electrode's Si [-] at ``x_mean``."""
    mech = opt[O_MECH]
    if mech == 0:
        return 0.0
    if mech == 1:
        return external_strain(x_mean, 0.0, 0.0) * (1.0 - p[P_PHI])
    return external_strain(x_mean, p[P_PHI], p[P_ETA])


@compiled(inline=True)
def damage_measure(e, opt):
    """Strain fed to the damage law [-]: volumetric ``e`` or its linear equivalent."""
    if opt[O_STRAIN] == 1:
        return linear_strain(e)
    return e


@compiled(inline=True)
def contact_loss(s, e_now, xm, n_si, beta, p, opt):
    """Strain-driven contact loss during delithiation (physics.md 5.5); updates ``s``.

    The damage amplitude is the fall of the damage measure since the end of the last
    lithiation; when it grows, the connected fraction falls by the ratio of damage factors
    (damage coefficient ``beta`` [-]) and the Li of the lost Si (``xm`` Li per Si of
    ``n_si`` mol) becomes trapped [C]. With a breathing interphase, also tracks the linear
    strain amplitude that sets the next one.

    The damage factor at the previous amplitude is kept in the state (``d_prev``, 0 when not
    known) instead of being recomputed: a power per step less, the same numbers (issue 17)."""
    amp = max(s.e_hi - damage_measure(e_now, opt), 0.0)
    if amp > s.amp_prev:
        if opt[O_SIDE] == 2 and opt[O_IGROW] == 1:  # only read by the breathing interphase
            if opt[O_STRAIN] == 0:
                s.lin_amp_last = max(s.lin_amp_last, linear_strain(s.e_hi) - linear_strain(e_now))
            else:
                s.lin_amp_last = amp
        if opt[O_DAMAGE] == 1 and beta > 0.0:
            d_old = s.d_prev if s.d_prev > 0.0 else damage_factor(s.amp_prev, beta, p[P_M], p[P_E0])
            d_new = damage_factor(amp, beta, p[P_M], p[P_E0])
            ratio = d_new / d_old if d_old > 0.0 else 0.0
            f_new = s.f * ratio
            s.trapped += (s.f - f_new) * n_si * xm * FARADAY
            s.f = f_new
            s.d_prev = d_new
        s.amp_prev = amp


@compiled(inline=True)
def start_half_step(s, prof, vol, direction, last_dir, p, opt, a_contact0):
    """Events when a step with current starts (``direction`` +1/-1 after ``last_dir``).

    Current-sign hysteresis jumps to the branch; a delithiation after a lithiation takes the
    damage measure as its reference and resets the amplitude; a lithiation after a
    delithiation forms fresh interphase on the Si exposed by breathing (the last linear strain
    amplitude times the breathing factor times the first-contact charge per area)."""
    if opt[O_HYST] == 1:
        s.h = -1.0 if direction > 0 else 1.0
    if direction < 0 and last_dir > 0:
        s.e_hi = damage_measure(strain_of(mean_li(s, prof, vol), p, opt), opt)
        s.amp_prev = 0.0
        s.d_prev = 0.0
        if opt[O_CRYST] == 2 and s.z > 0.0:
            # the shrinking-core front stalled at the cut-off: its crystalline cores stay
            # inactive (physics.md 8.4)
            s.z_core += s.z
            s.z = 0.0
    if direction > 0 and last_dir < 0:
        if opt[O_SIDE] == 2 and opt[O_IGROW] == 1:
            q_int1 = interphase_charge_per_area(p[P_DINT])
            s.int_rem += q_int1 * p[P_CB] * s.lin_amp_last * a_contact0 * s.f
        s.lin_amp_last = 0.0


@compiled(inline=True)
def stoichiometry_step(s, sink, I, n_si, ds_max, xmax):
    """Step [s] over which current ``I`` [A] changes the particle group's (``n_si`` [mol])
    stoichiometry by ``ds_max`` [-] of ``xmax``, counted on the amorphous fraction when the
    Li goes there (at least 1e-3 of it), else on the whole Si; a side reaction's step ends
    where it is used up."""
    a_eff = s.a if sink == SINK_AMORPHOUS else 1.0
    a_eff = max(a_eff, 1e-3)
    dt = ds_max * xmax * FARADAY * max(s.f, 1e-12) * n_si * a_eff / abs(I)
    if sink == SINK_SIDE and I > 0.0:
        # end the step where the reacting side reaction is used up (a potential jump)
        rem = s.int_rem if s.int_rem > 0.0 else s.ox_rem
        dt = min(dt, max(rem / I * (1.0 + 1e-9), 1e-9))
    return dt


@compiled(inline=True)
def cache_start_ocp(s, prof, direction, p, opt):
    """Store the OCP and sink at the start of a step (the state a step always starts from)."""
    u, sink, _s_kin = particle_ocp(s, prof, direction, p, opt)
    s.u_start = u
    s.sink_start = sink


@compiled(inline=True)
def advance_particle(s, prof, I, dt, direction, p, opt, n_si, beta, a_contact0, grid, dbase):
    """Advance a particle group by ``dt`` [s] at reaction current ``I`` [A, + lithiation].

    ``s``/``prof`` hold the state at the step start (with :func:`cache_start_ocp` done for
    ``direction``, the applied current's sign) and are advanced in place. ``n_si`` [mol] and
    ``a_contact0`` [m2] are the group's Si and fully connected contact area, ``beta`` the
    damage coefficient at the stack pressure. ``grid`` = (vol, area_f, dr, dg) from
    :func:`radial_grid` (``dg``: unit-source diffusion response for ``dt`` when ``dbase``,
    the no-source step of this profile, is given; else size 0).

    Returns (I_si [A] the current into Si, xm [Li per connected Si], e_now [-] external
    strain, u0 [V] the OCP at the step start for the direction the Li actually moved)."""
    vol, area_f, dr, dg = grid
    # side reactions first when the step starts on one (lithiation only)
    I_side = side_reaction_current(s, I, direction, dt, a_contact0)
    I_si = I - I_side
    dx = I_si * dt / (FARADAY * max(s.f, 1e-30) * n_si)
    # where the Li goes: a particle running against the applied current (resolved model,
    # rests) moves it through the amorphous phase only
    dirn = direction
    if direction != 0 and dx * direction < 0.0:
        dirn = 0
    if dirn == direction:
        u0 = s.u_start
        sink = s.sink_start
    else:
        u0, sink, _s_kin = particle_ocp(s, prof, dirn, p, opt)
    if sink == SINK_SIDE:  # what the side reactions left of the step goes into Si
        _u, sink, _s_kin = ocp_and_sink(dirn, prof[prof.size - 1], s.h, s.z, s.a, s.w, p, opt)
    if dirn == 0 and sink == SINK_CRYSTALLINE and dx != 0.0 and s.a > 1e-12:
        sink = SINK_AMORPHOUS
    a_before = s.a
    z_before = s.z
    ds_amorph = move_lithium(s, prof, dx, dt, dirn, sink, p, vol, area_f, dr, dbase, dg)
    if opt[O_HYST] == 2 and s.z < z_before:
        # a-Li_xSi formed from c-Si at the front is formed on lithiation: it joins the
        # amorphous phase on the lithiation branch (h = -1), weighted by amount
        s.h = (a_before * s.h - (z_before - s.z)) / max(a_before + z_before - s.z, 1e-300)
    hysteresis_update(s, direction, dx, ds_amorph, p, opt)
    xm = mean_li(s, prof, vol)
    e_now = strain_of(xm, p, opt)
    if direction < 0:
        contact_loss(s, e_now, xm, n_si, beta, p, opt)
    return I_si, xm, e_now, u0
