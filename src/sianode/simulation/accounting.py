"""What the engines record: per-cycle running totals and time-series rows.

Shared by the reduced kernel and the resolved model, so both report the same quantities in
the same way. A cycle's totals live in one record of
:data:`~sianode.simulation.layout.CYCLE_DTYPE`; the cell-level state written to the time
series is one record of :data:`~sianode.simulation.layout.STATE_DTYPE` (the particle itself
in the reduced model, the node aggregate in the resolved model).
"""

from __future__ import annotations

import numpy as np

from ..models._jit import compiled

#: Sentinel of a running minimum that has seen no value yet.
NO_MINIMUM = 1e300


@compiled
def open_cycle(acc, cycle, side_total):
    """Start the totals of ``cycle`` (cumulative side-reaction charge ``side_total`` [C])."""
    acc.cycle = cycle
    acc.lith_C = 0.0
    acc.delith_C = 0.0
    acc.side_C = side_total  # start value until the cycle is closed
    acc.strain_max = 0.0
    acc.strain_min = NO_MINIMUM
    acc.thickness_change_max_m = 0.0
    acc.lith_J = 0.0
    acc.delith_J = 0.0
    acc.x_max_reached = 0.0
    acc.x_min_reached = NO_MINIMUM
    acc.eta_separator_V = np.nan
    acc.eta_composite_V = np.nan
    acc.eta_kinetics_V = np.nan
    acc.eta_front_V = np.nan
    acc.eta_interphase_V = np.nan
    acc.eta_counter_V = np.nan
    acc.ocp_lith_end_V = np.nan


@compiled(inline=True)
def accumulate_step(acc, I, dt, V, V_new, ece, e, dl, xm):
    """Add an accepted step: charge [C] and energy [J] vs Li (trapezoid of the voltage vs
    the counter electrode ``V`` -> ``V_new`` plus its potential ``ece``), strain ``e`` [-],
    thickness change ``dl`` [m] and Li per connected Si ``xm`` extremes."""
    if I > 0.0:
        acc.lith_C += I * dt
        acc.lith_J += I * dt * (0.5 * (V + V_new) + ece)
    elif I < 0.0:
        acc.delith_C += -I * dt
        acc.delith_J += -I * dt * (0.5 * (V + V_new) + ece)
    if e > acc.strain_max:
        acc.strain_max = e
    if e < acc.strain_min:
        acc.strain_min = e
    if dl > acc.thickness_change_max_m:
        acc.thickness_change_max_m = dl
    if xm > acc.x_max_reached:
        acc.x_max_reached = xm
    if xm < acc.x_min_reached:
        acc.x_min_reached = xm


@compiled
def keep_budget(acc, bud):
    """Copy the voltage budget of ``bud`` (the last evaluation of a lithiation) into the
    cycle totals ``acc``: the losses at the end of the cycle's lithiation."""
    acc.eta_separator_V = bud.eta_separator_V
    acc.eta_composite_V = bud.eta_composite_V
    acc.eta_kinetics_V = bud.eta_kinetics_V
    acc.eta_front_V = bud.eta_front_V
    acc.eta_interphase_V = bud.eta_interphase_V
    acc.eta_counter_V = bud.eta_counter_V
    acc.ocp_lith_end_V = bud.ocp_lith_end_V


@compiled
def close_cycle(acc, c, f, li_connected, q_total, t):
    """Finish the totals: state ``c`` (trapped Li, cumulative side charge), connected
    fraction ``f`` [-], Li in connected Si [C], net charge incl. initial Li [C], time [s]."""
    acc.side_C = c.side_total - acc.side_C
    acc.trapped_C = c.trapped
    acc.connected_fraction = f
    if acc.strain_min >= 1e299:
        acc.strain_min = 0.0
    if acc.x_min_reached >= 1e299:
        acc.x_min_reached = 0.0
    acc.li_connected_C = li_connected
    acc.charge_net_C = q_total
    acc.time_end_s = t
    acc.side_total_C = c.side_total


@compiled(inline=True)
def write_sample(row, t, V, I, cycle, step, xm, e, dl, c, ece, q_total):
    """One time-series row (order of :data:`~sianode.simulation.layout.TS_COLUMNS`): time
    [s], voltage vs counter [V], current [A], cycle, step, Li per Si, cell-level state ``c``,
    strain [-], thickness change [m], voltage vs Li [V], net charge incl. initial Li [C]."""
    row[0] = t
    row[1] = V
    row[2] = I
    row[3] = cycle
    row[4] = step
    row[5] = xm
    row[6] = c.h
    row[7] = c.f
    row[8] = e
    row[9] = dl
    row[10] = c.trapped
    row[11] = c.side_total
    row[12] = V + ece
    row[13] = q_total
    row[14] = c.z + c.z_core
    row[15] = c.w
