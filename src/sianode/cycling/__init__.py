"""Cycles, per-cycle capacities, dQ/dV and plots from a cycler time series in BDF names.

The input is the table returned by :func:`sianode.io.read` (``Test Time / s``,
``Voltage / V``, ``Current / A`` with BDF's sign rule: positive current charges the test
object). Everything here works from the current, so it does not depend on instrument
counters (which are missing, always 0 or defined differently by each vendor).

The rules that number cycles and steps and integrate charge (active points, half cycles,
cycles, steps, charge) are documented once, in :mod:`sianode.io.counters`: the readers use
them to fill ``Cycle Count / 1`` and ``Step Count / 1``, and this package uses them again.

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
    cycle_table_columns,
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
    "cycle_table_columns",
    "suggest_role",
    "voltage_capacity",
    "dqdv",
    "plot_capacity",
    "plot_voltage_capacity",
    "plot_dqdv",
]
