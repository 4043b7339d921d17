"""A measured cell, ready for calibration: its per-cycle table and the protocol it ran.

``sianode calibrate`` is a thin layer over :func:`read_measured_cell` and
:func:`sianode.calibration.fit_to_cycles`; a notebook does the same::

    m = read_measured_cell(["cell.mpr"], active_mass_g=0.72e-3, area_cm2=0.785)
    fit = fit_to_cycles(m.cycles, cell, m.protocol, ["beta"])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .columns import CURRENT, CYCLE, TIME, VOLTAGE

__all__ = ["MeasuredCell", "read_measured_cell"]


@dataclass
class MeasuredCell:
    """Per-cycle table (anode role, :func:`sianode.cycling.cycle_table` schema) of one cell's
    files in order, and the protocol text they record (:func:`sianode.protocol.protocol_from_data`,
    one block list per file, joined)."""

    cycles: Any
    protocol: str
    files: list[str] = field(default_factory=list)


def read_measured_cell(
    files: Sequence[str | Path],
    active_mass_g: float,
    area_cm2: float,
    max_cycles: int | None = None,
) -> MeasuredCell:
    """Read one cell's cycler files (any format :func:`sianode.io.read` knows).

    Parameters
    ----------
    files : sequence of path
        The cell's files in test order; with several, cycles are numbered on through them.
    active_mass_g : float
        Si mass [g], for the specific capacities.
    area_cm2 : float
        Electrode area [cm2], for the areal capacities.
    max_cycles : int, optional
        Keep only the first N cycles.
    """
    import pandas as pd

    from .cycling import cycle_table
    from .io import read
    from .protocol import protocol_from_data

    tables, recorded = [], []
    for f in files:
        data, _meta = read(f)
        recorded.append(protocol_from_data(data[TIME], data[CURRENT], data[VOLTAGE]))
        tables.append(
            cycle_table(data, role="anode", active_mass_g=active_mass_g, area_cm2=area_cm2)
        )
    measured = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    if len(tables) > 1:
        measured[CYCLE] = range(1, len(measured) + 1)
    if max_cycles is not None:
        measured = measured[measured[CYCLE] <= max_cycles]
    return MeasuredCell(
        cycles=measured, protocol="\n".join(recorded), files=[str(f) for f in files]
    )
