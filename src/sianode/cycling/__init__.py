"""Cycles, per-cycle capacities, dQ/dV and plots from a cycler time series in BDF names.

The input is the table returned by :func:`sianode.io.read` (``Test Time / s``,
``Voltage / V``, ``Current / A`` with BDF's sign rule: positive current charges the test
object). Everything here works from the current, so it does not depend on instrument
counters (which are missing, always 0 or defined differently by each vendor).

Rules (documented, and used by the readers to fill ``Cycle Count / 1`` and
``Step Count / 1``):

*Active points.* A point is *active* when ``|I| > 1e-3 * P99.5(|I|)`` (the 99.5th
percentile of the absolute current in the file; at least 1e-12 A). Rests and open-circuit
points are inactive.

*Half cycles.* Consecutive active points of one sign form a segment. A segment that passes
less than 0.5 % of the charge of the largest segment (a sign flicker at a step change, a
noise spike during a rest) is absorbed into the preceding segment, and neighbours of the same
sign merge. Each remaining segment is a half cycle; inactive points belong to the half cycle
before them (points before the first active point belong to the first one).

*Cycles.* The sign of the first half cycle is the *opening* direction (override with
``opening``). A new cycle starts at every half cycle in the opening direction; the first is
cycle 1. A Si half cell that starts with lithiation therefore has cycles (lithiation,
delithiation), like the instruments' "charge/discharge alternance".

*Steps.* ``Step Count / 1`` starts at 1 and increments whenever the instrument's step index
changes, or, without one, whenever the current changes class (positive, negative, rest).

*Charge.* The charge passed between two samples is the trapezoid ``(I[k] + I[k-1]) / 2 *
(t[k] - t[k-1])`` (``method="trapezoid"``), or ``I[k] * (t[k] - t[k-1])`` for currents that
are interval means (``method="hold"``; BioLogic ``<I>`` and currents derived from ``dq``).
Where the instrument's ``Step Time / s`` restarts, the interval is split at the step change
(old current before it, new current after it) instead of averaging across it.
Intervals with a negative or non-finite time step carry no charge. Positive increments sum to
the BDF charge, negative ones to the discharge of a cycle.

*Role.* In a half cell against lithium, negative current (the instrument's "discharge")
lithiates the working electrode, whatever that electrode is. ``role="anode"`` (Si, graphite)
reports coulombic efficiency as delithiation / lithiation; ``role="cathode"`` as
lithiation / delithiation (discharge / charge). Without a role only the BDF-sense
``charge``/``discharge`` columns are reported: sianode never guesses it silently
(:func:`suggest_role` proposes one from the voltage window).
"""

from __future__ import annotations

from ..io.counters import (
    ACTIVE_FRACTION,
    MERGE_FRACTION,
    active_signs,
    active_threshold,
    charge_increments,
    counter_increments,
    dc_current_values,
    detect_cycles,
    fill_gaps,
    half_cycle_labels,
    percentile_linear,
    run_numbers,
    step_counts,
)
from .curves import dqdv, voltage_capacity
from .plots import plot_capacity, plot_dqdv, plot_voltage_capacity
from .table import (
    COMPLETE,
    OPENINGS,
    ROLES,
    cycle_table,
    dc_current,
    incomplete_last_cycle,
    renumber_cycles,
    suggest_role,
)

__all__ = [
    "COMPLETE",
    "incomplete_last_cycle",
    "ACTIVE_FRACTION",
    "MERGE_FRACTION",
    "OPENINGS",
    "ROLES",
    "active_threshold",
    "active_signs",
    "percentile_linear",
    "half_cycle_labels",
    "dc_current",
    "dc_current_values",
    "counter_increments",
    "detect_cycles",
    "fill_gaps",
    "renumber_cycles",
    "run_numbers",
    "step_counts",
    "charge_increments",
    "cycle_table",
    "suggest_role",
    "voltage_capacity",
    "dqdv",
    "plot_capacity",
    "plot_voltage_capacity",
    "plot_dqdv",
]
