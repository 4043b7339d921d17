"""Step control shared by the engines: cut-off detection and bisection, step-size
adaptation, end-of-life checks and growing output buffers.

Both the reduced kernel and the resolved model integrate a galvanostatic step with steps
bounded in stoichiometry and voltage change, and locate a cut-off by bisecting the last
step; the rules live here once.
"""

from __future__ import annotations

import numpy as np

from ..models._jit import compiled

#: Most accepted sub-steps in one protocol step before a run is stopped as stalled.
MAX_SUB_STEPS = 2_000_000
#: :func:`cutoff_bracket` outcomes: accept the step, accept it as the step's last, retry,
#: or retry once more and accept that as the step's last (the last state before a jump).
ACCEPT = 0
ACCEPT_FINAL = 1
RETRY = 2
RETRY_FINAL = 3


@compiled(inline=True)
def beyond_cutoff(direction, V, cut):
    """True if voltage ``V`` [V] is at or past the cut-off ``cut`` [V] of a step in
    ``direction`` (+1 lithiation: V <= cut; -1 delithiation: V >= cut; NaN: no cut-off)."""
    if direction == 0 or np.isnan(cut):
        return False
    return (direction > 0 and V <= cut) or (direction < 0 and V >= cut)


@compiled(inline=True)
def open_bracket(bis, dt):
    """Start the bisection record ``bis`` = [lo, hi, bisecting] for a first try of ``dt``."""
    bis[0] = 0.0
    bis[1] = dt
    bis[2] = 0.0


@compiled(inline=True)
def cutoff_bracket(bis, dt, crossed, full, V_new, cut, v_tol, t_rel):
    """Bisection of a step's length ``dt`` [s] onto a cut-off.

    ``bis`` = [lo, hi, bisecting] (see :func:`open_bracket`); ``crossed``: the
    try went past the cut-off voltage; ``full``: past another end of the step (Si full).
    Converged when ``|V_new - cut| < v_tol`` [V] (voltage cut-offs) or the bracket is below
    ``t_rel`` relative. A bracket that closes on a voltage jump (a phase change) with the
    last try past the cut-off ends at the bracket's lower end, the last state before the jump
    (``RETRY_FINAL``), so a step never overshoots its cut-off (physics.md 8.4).
    Returns (dt, ACCEPT | ACCEPT_FINAL | RETRY | RETRY_FINAL)."""
    if crossed or full:
        bis[2] = 1.0
        bis[1] = dt
        if crossed and abs(V_new - cut) < v_tol:
            return dt, ACCEPT_FINAL
        if (bis[1] - bis[0]) < t_rel * max(bis[1], 1.0):
            if crossed:
                return bis[0], RETRY_FINAL
            return dt, ACCEPT_FINAL
        return 0.5 * (bis[0] + bis[1]), RETRY
    if bis[2] > 0.0:
        bis[0] = dt
        if abs(V_new - cut) < v_tol or (bis[1] - bis[0]) < t_rel * max(bis[1], 1.0):
            return dt, ACCEPT_FINAL
        return 0.5 * (bis[0] + bis[1]), RETRY
    return dt, ACCEPT


@compiled(inline=True)
def si_full_or_empty(direction, x_room, xmax):
    """True if a step in ``direction`` cannot move more Li: lithiation with no room left
    (``x_room`` [Li per Si] <= 0, Si at the model's limit ``xmax``), delithiation with no Li
    left (room >= ``xmax``)."""
    return (direction > 0 and x_room <= 0.0) or (direction < 0 and x_room >= xmax)


@compiled(inline=True)
def next_step_limit(dt, dV, dv_max, direction, at_rest):
    """Largest next step [s] after a step of ``dt`` [s] that changed the voltage by ``dV``
    [V]: aim at 0.8 ``dv_max``, at most doubling, at least a fifth; ``at_rest`` [s] when no
    current flows."""
    if direction == 0:
        return at_rest
    if dV > 0.0:
        return dt * min(2.0, max(0.2, 0.8 * dv_max / dV))
    return 1e300


@compiled(inline=True)
def capacity_died(lith_C, first_lith, dead_fraction, full_C):
    """Track the first cycle's lithiation charge into Si [C] and tell whether a cycle's
    charge ``lith_C`` fell below ``dead_fraction`` of it. A cell whose first cycle took less
    than ``dead_fraction`` of its Si's full charge ``full_C`` [C] never came alive (its
    losses exceed the voltage window, physics.md 8.2): it is not called dead and runs its
    protocol. Returns (first_lith, died)."""
    if first_lith < 0.0:
        return lith_C, False
    if first_lith < dead_fraction * full_C:
        return first_lith, False
    return first_lith, lith_C < dead_fraction * first_lith


@compiled(inline=True)
def with_room(rows, n):
    """``rows`` with room for row ``n`` (doubled along the first axis when full)."""
    if n < rows.shape[0]:
        return rows
    bigger = np.zeros((2 * rows.shape[0],) + rows.shape[1:])
    bigger[:n] = rows[:n]
    return bigger
