"""The simulator's physical range: one check of a cell and a protocol before a run.

The model describes Li in Si between empty and Li15Si4 and has no Li plating: a lithiation
cut-off below 0 V vs Li+/Li (where Li metal plates on the electrode) or a delithiation
cut-off above the model's OCP range would drive the Li content outside ``[0, x_max]``. The
compiled engines also stop a step when the Si is full or empty, so a run never leaves that
range, but an input outside it is a user error named here (exit 2 in the CLI).

:func:`validate_inputs` is called by :func:`sianode.simulation.simulate` and
:func:`sianode.simulation.simulate_resolved`; the cell layer can call it where it builds
parameters.
"""

from __future__ import annotations

import math

from ..errors import ParameterError
from ..protocol import DELITHIATE, LITHIATE, Protocol
from .layout import X_LI15SI4
from .parameters import CellParameters

__all__ = [
    "DELITHIATION_CUTOFF_RANGE_V",
    "LITHIATION_CUTOFF_RANGE_V",
    "X_MAX_RANGE",
    "validate_inputs",
]

#: Lithiation cut-off [V vs Li+/Li] the model covers: no Li plating below 0 V; above 1.0 V
#: a-Si takes almost no Li (Mark2016 lithiation branch, models.ocp).
LITHIATION_CUTOFF_RANGE_V = (0.0, 1.0)
#: Delithiation cut-off [V vs Li+/Li] the model covers: the OCP with its wall term ends near
#: 1.8 V at x = 0 (models.ocp); 2.5 V leaves room for the overpotential of fast rates.
DELITHIATION_CUTOFF_RANGE_V = (0.05, 2.5)
#: Li per Si at full lithiation [-]: Li15Si4, the most lithiated phase at room temperature
#: (Obrovac & Krause 2007), the stoichiometry the OCP fits are scaled to.
X_MAX_RANGE = (0.0, X_LI15SI4)


def validate_inputs(cell: CellParameters, protocol: Protocol) -> None:
    """Raise :class:`ParameterError` naming the first input outside the model's range.

    Parameters
    ----------
    cell : CellParameters
        Cell parameters (each already checked on its own by ``CellParameters``).
    protocol : Protocol
        Parsed protocol; its cut-offs are compared vs Li+/Li with the cell's counter
        electrode potential.
    """
    lo, hi = X_MAX_RANGE
    if not (lo < cell.x_max <= hi):
        raise ParameterError(
            f"x_max: {cell.x_max!r} Li per Si is outside the model's range ({lo:g}, {hi:g}] "
            "(Li15Si4 is the most lithiated phase it describes)"
        )
    for step in protocol.steps:
        v = step.cutoff_vs_li(cell.counter_potential)
        if v is None:
            continue
        if step.kind == LITHIATE:
            lo, hi, what = *LITHIATION_CUTOFF_RANGE_V, "lithiation"
        elif step.kind == DELITHIATE:
            lo, hi, what = *DELITHIATION_CUTOFF_RANGE_V, "delithiation"
        else:
            continue
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ParameterError(
                f"protocol: {step.text.strip()!r}: the {what} cut-off is {v:.4g} V vs Li, "
                f"outside the model's range {lo:g} to {hi:g} V vs Li "
                "(the model has no Li plating and describes Li in Si from empty to Li15Si4)"
            )
