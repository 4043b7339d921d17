"""Which mechanism lost the capacity: exact Shapley attribution over model switches.

A retention loss (100 % minus the retention at a cycle, under one definition) is split among
three causes by running the same cell with each subset of them switched off (physics.md 8.9):

- ``rate step``: the protocol's change of current (removed: every step runs at the first
  lithiation's current, cut-offs unchanged);
- ``contact loss``: strain-driven loss of connected Si (removed: ``damage="none"``);
- ``side reactions``: oxide and interphase charge (removed: ``side_reactions="none"``).

What remains with all three off (first-cycle amorphisation, hysteresis and polarisation at the
cut-off) is reported as ``other``. The Shapley value of a cause is its marginal effect averaged
over every order in which the causes can be added, so the shares add up exactly to the total
loss whatever the interactions (Shapley, "A value for n-person games", 1953). Eight runs per
cell.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field

from ..protocol import LITHIATE, Protocol, parse_protocol
from .parameters import CellParameters, ModelOptions

__all__ = ["CAUSES", "LossAttribution", "attribute_losses", "single_rate_protocol"]

#: Causes, in report order.
CAUSES = ("rate step", "contact loss", "side reactions")


@dataclass
class LossAttribution:
    """Retention loss split among causes.

    Attributes
    ----------
    cycle : int
        Cycle at which retention is taken.
    definition : str
        Retention column (e.g. ``"Retention vs Cycle 1 Lithiation / 1"``).
    retention_pct : float
        Retention of the full model [%].
    loss_pct : dict
        Points of retention lost to each cause and to ``other`` [percentage points]; they sum
        to ``100 - retention_pct``.
    runs : dict
        Retention [%] of every run, keyed by the causes left on (joined with ``+``; ``""``
        for none).
    """

    cycle: int
    definition: str
    retention_pct: float
    loss_pct: dict[str, float] = field(default_factory=dict)
    runs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return dataclasses.asdict(self)


def single_rate_protocol(protocol: Protocol) -> Protocol:
    """The protocol with every step's current set to that of its first lithiation step.

    Cut-offs, time and capacity limits and repeats are unchanged; rests stay rests.
    """
    first = next((s for s in protocol.steps if s.kind == LITHIATE), None)
    if first is None:
        return protocol
    blocks = []
    for steps, n in protocol.blocks:
        new = [
            s
            if s.current == 0.0
            else dataclasses.replace(s, current=first.current, current_unit=first.current_unit)
            for s in steps
        ]
        blocks.append((new, n))
    return Protocol(blocks=blocks, text=protocol.text + "\n# every step at the first current")


def attribute_losses(
    cell: CellParameters,
    protocol: Protocol | str | None = None,
    options: ModelOptions | None = None,
    cycle: int = 50,
    definition: str = "Retention vs Cycle 1 Lithiation / 1",
) -> LossAttribution:
    """Split the retention loss at ``cycle`` among :data:`CAUSES` (exact Shapley values).

    Parameters
    ----------
    cell : CellParameters
        The cell (with its calibrated damage coefficient).
    protocol : Protocol or str, optional
        Default: the study's protocol.
    options : ModelOptions, optional
        The full model's switches (default :class:`ModelOptions`).
    cycle : int
        Cycle at which retention is taken.
    definition : str
        Retention column of the per-cycle table.

    Returns
    -------
    LossAttribution
        A run that does not reach ``cycle`` counts as retention 0 (its capacity is gone).
    """
    from .reduced import simulate

    options = options or ModelOptions()
    if protocol is None:
        from ..study import load_study

        protocol = load_study().section("protocol")["text"]
    proto = parse_protocol(protocol) if isinstance(protocol, str) else protocol
    flat = single_rate_protocol(proto)

    def retention(on: frozenset[str]) -> float:
        opts = options
        if "contact loss" not in on:
            opts = dataclasses.replace(opts, damage="none")
        if "side reactions" not in on:
            opts = dataclasses.replace(opts, side_reactions="none")
        p = proto if "rate step" in on else flat
        res = simulate(cell, p, opts, n_cycles=cycle, record=False)
        r = res.retention_at(cycle, definition)
        return 0.0 if math.isnan(r) else 100.0 * r

    runs: dict[frozenset[str], float] = {}
    for k in range(len(CAUSES) + 1):
        for subset in itertools.combinations(CAUSES, k):
            runs[frozenset(subset)] = retention(frozenset(subset))
    full = runs[frozenset(CAUSES)]
    n = len(CAUSES)
    loss: dict[str, float] = {}
    for cause in CAUSES:
        others = [c for c in CAUSES if c != cause]
        value = 0.0
        for k in range(n):
            weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for subset in itertools.combinations(others, k):
                s = frozenset(subset)
                # loss = 100 - retention: adding a cause changes the loss by r(S) - r(S+c)
                value += weight * (runs[s] - runs[s | {cause}])
        loss[cause] = value
    loss["other"] = 100.0 - runs[frozenset()]
    return LossAttribution(
        cycle=cycle,
        definition=definition,
        retention_pct=full,
        loss_pct=loss,
        runs={"+".join(sorted(k)): v for k, v in runs.items()},
    )
