"""Resolved (through-thickness) Si half-cell model: reaction distribution across the composite.

The composite of thickness L is cut into ``N`` equal control volumes (nodes). Each node holds
1/N of the Si with its own particle state, updated by the *same* physics functions and the
same phase logic as the reduced model (:mod:`sianode.simulation.kernel`): phase fractions
and the radial Li profile, hysteresis state, connected fraction (contact loss), trapped Li,
side-reaction reservoirs and interphase thickness. Damage can therefore be non-uniform.

Potentials (x = 0 at the separator, x = L at the current collector; current I > 0 lithiates):

- solid electrolyte (single ion, t+ = 1): Ohm's law ``i_e = -sigma_e dphi_e/dx`` with
  ``sigma_e = sigma eps^b f_j^q`` in node j (``f_j^q`` is the reduced model's connectivity
  penalty applied locally);
- electronic network: ideal (uniform ``phi_s`` = cell voltage) or finite conductivity
  ``sigma_s`` (``i_s = -sigma_s dphi_s/dx``);
- node j: ``phi_s,j - phi_e,j = U_j - eta_j - R_int,j I_j`` with Butler-Volmer ``eta_j`` on the
  node's connected contact area; the local currents sum to the applied current.

Within a control volume the reaction is taken as uniform, so the ionic (electronic) current
varies linearly and the potential drops between node centres are exact for that profile.
With a uniform distribution the mean ionic drop over the nodes is the reduced model's
``L/(3 sigma_eff)`` times ``1 + 1/(8 N^2)``.

Each time step is implicit (backward Euler) in the current distribution: the local currents
and the cell voltage solve the potential balance at the *end* of the step, with the node
states advanced by those currents (Newton with the dense ohmic coupling and an estimated
diagonal of the local response, finite differences when convergence is slow). Node states are
advanced by the reduced model's particle solver, so charge is conserved to round-off: charge
passed = Li in connected Si + trapped Li + side-reaction charge.

Files: :mod:`.resolved_node` (one node), :mod:`.resolved_newton` (the current distribution of
a step), :mod:`.resolved_engine` (the protocol loop); this module is the Python API.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import prange

from ..columns import CYCLE
from ..errors import ParameterError
from ..models._jit import compiled
from ..protocol import Protocol
from .batch import store_design
from .kernel import DEAD_CAPACITY_FRACTION
from .layout import OK, STATUS_TEXT, cycle_table
from .parameters import CellParameters, ModelOptions
from .reduced import (
    DEFAULT_DS_MAX,
    DEFAULT_DV_MAX,
    Result,
    _outcome,
    options_dict,
    run_inputs,
)
from .resolved_engine import NODE_CYCLE_COLUMNS, NODE_TS_COLUMNS, run_resolved
from .validation import validate_inputs

__all__ = ["simulate_resolved", "simulate_resolved_batch", "NODE_TS_COLUMNS", "NODE_CYCLE_COLUMNS"]


def _step_tuple(steps: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    return tuple(steps[k] for k in ("kind", "current", "cutoff", "duration", "cycle"))


def _node_frames(
    node_ts: np.ndarray | None, node_cyc: np.ndarray, cycles: np.ndarray, L: float
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    n = node_cyc.shape[2]
    xc = (np.arange(n) + 0.5) / n * L
    cyc_rows = {
        CYCLE: np.repeat(cycles.astype(np.int64), n),
        "Node / 1": np.tile(np.arange(n), len(cycles)),
        "Position / m": np.tile(xc, len(cycles)),
        "Connected Fraction / 1": node_cyc[:, 0, :].ravel(),
        "Lithiation Charge / Ah": node_cyc[:, 1, :].ravel() / 3600.0,
        "Delithiation Charge / Ah": node_cyc[:, 2, :].ravel() / 3600.0,
        "Trapped Li / Ah": node_cyc[:, 3, :].ravel() / 3600.0,
    }
    return None if node_ts is None else node_ts, pd.DataFrame(cyc_rows)


def simulate_resolved(
    cell: CellParameters | None = None,
    protocol: Protocol | str | None = None,
    options: ModelOptions | None = None,
    n_nodes: int = 12,
    n_cycles: int | None = None,
    record: bool = True,
    composite_mass_g: float | None = None,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    electronic_conductivity: float | None = None,
    i0_epsilon: float | None = None,
    uniform_reaction: bool = False,
) -> Result:
    """Simulate a Si half cell with the resolved (through-thickness) model.

    Parameters
    ----------
    cell, protocol, options
        As for :func:`sianode.simulation.simulate` (defaults: the study's dense cell, its
        protocol, every mechanism on).
    n_nodes : int
        Control volumes across the composite thickness [-] (2-200).
    n_cycles : int, optional
        Cut or extend the protocol to this many cycles.
    record : bool
        Keep the time series (cell level and per node).
    composite_mass_g : float, optional
        For composite-specific capacities [g].
    ds_max, dv_max : float
        Largest local stoichiometry change [-] and cell-voltage change [V] per step.
    electronic_conductivity : float, optional
        Effective electronic conductivity of the composite [S m-1]; None: ideal network.
    i0_epsilon : float, optional
        Override of ``cell.i0_regularisation``, the e of ``i0 = k0 sqrt((s+e)(1-s+e))`` [-]
        (0 gives PyBaMM's ``k0 sqrt(s(1-s))``).
    uniform_reaction : bool
        Run the uniform-reaction limit instead (one node; composite ionic drop
        ``L/(3 sigma_eff f^q)``): the reduced model's equations through this solver, so the two
        fidelities can be compared with identical numerics and options (e.g. ``i0_epsilon``).
        With the default options it reproduces :func:`sianode.simulation.simulate`.

    Returns
    -------
    Result
        Same schema as :func:`sianode.simulation.reduced.simulate`. ``info`` also holds
        ``"node_cycles"`` (DataFrame: connected fraction, lithiation/delithiation charge and
        trapped Li per node and cycle), ``"node_timeseries"`` (array [n_ts, 4, n_nodes] with
        :data:`NODE_TS_COLUMNS`: reaction current [A, + lithiation], Li per Si,
        connected fraction, external strain; rows match ``timeseries``),
        ``"node_positions_m"`` and ``"n_nodes"``.

    Raises
    ------
    ParameterError
        If the first lithiation cannot start, or an argument is out of range.
    """
    cell, options, proto = run_inputs(cell, protocol, options, ds_max, dv_max)
    if not (2 <= int(n_nodes) <= 200):
        raise ParameterError(f"n_nodes: must be in [2, 200], got {n_nodes!r}")
    if uniform_reaction:
        n_nodes = 1
    sig_s = -1.0 if electronic_conductivity is None else float(electronic_conductivity)
    if electronic_conductivity is not None and not sig_s > 0:
        raise ParameterError("electronic_conductivity: must be > 0 S/m (None = ideal)")
    eps = cell.i0_regularisation if i0_epsilon is None else float(i0_epsilon)
    if not (0 <= eps < 1):
        raise ParameterError("i0_epsilon: must be in [0, 1)")
    validate_inputs(cell, proto)
    steps = proto.to_arrays(
        cell.area, cell.nominal_capacity_Ah, cell.counter_potential, n_cycles, cell.si_mass * 1e3
    )
    status, n_ts, ts, node_ts, n_cyc, cyc, node_cyc, last, stats = run_resolved(
        cell.to_vector(),
        options.codes(),
        _step_tuple(steps),
        record,
        ds_max,
        dv_max,
        int(n_nodes),
        sig_s,
        eps,
        bool(uniform_reaction),
        DEAD_CAPACITY_FRACTION,
    )
    status = int(status)
    ts = ts[:n_ts] if record else None
    node_ts = node_ts[:n_ts] if record else None
    cyc = cycle_table(cyc[:n_cyc])
    node_cyc = node_cyc[:n_cyc]
    timeseries, cycles, text = _outcome(
        status, ts, cyc, last, steps, cell, composite_mass_g, STATUS_TEXT
    )
    node_ts_arr, node_cycles = _node_frames(node_ts, node_cyc, cyc[:, 0], cell.electrode_thickness)
    n = int(n_nodes)
    return Result(
        raw_timeseries=timeseries,
        cycle_columns=cycles,
        status=text,
        completed=status == OK,
        cell=cell,
        options=options,
        n_cycles_requested=int(n_cycles or proto.n_cycles),
        info={
            "status_code": status,
            "options": options_dict(options),
            "model": "uniform" if uniform_reaction else "resolved",
            "n_nodes": n,
            "node_positions_m": (np.arange(n) + 0.5) / n * cell.electrode_thickness,
            "node_timeseries": node_ts_arr,
            "node_timeseries_columns": NODE_TS_COLUMNS,
            "node_cycles": node_cycles,
            "electronic_conductivity": electronic_conductivity,
            "i0_epsilon": i0_epsilon,
            "solver_stats": dict(
                zip(
                    ("solves", "newton_iterations", "fd_jacobians", "steps"),
                    (int(v) for v in stats),
                )
            ),
        },
    )


@compiled(parallel=True)
def _run_many_resolved(
    P,
    O,
    kind,
    current,
    cutoff,
    duration,
    cycle,
    offsets,
    ds_max,
    dv_max,
    out,
    n_nodes,
    sig_s,
    eps,
):
    """Resolved runs of many designs into ``out`` (per-cycle records, preallocated)."""
    n = P.shape[0]
    status = np.zeros(n, dtype=np.int64)
    ncyc = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        a, b = offsets[i], offsets[i + 1]
        res = run_resolved(
            P[i],
            O[i],
            (kind[a:b], current[a:b], cutoff[a:b], duration[a:b], cycle[a:b]),
            False,
            ds_max,
            dv_max,
            n_nodes,
            sig_s,
            eps[i],
            False,
            DEAD_CAPACITY_FRACTION,
        )
        store_design(out, status, ncyc, i, res[0], res[4], res[5])
    return status, ncyc


def simulate_resolved_batch(
    cells: list[CellParameters],
    protocols: list[dict[str, np.ndarray]],
    options: ModelOptions | list[ModelOptions] | None = None,
    n_nodes: int = 12,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    electronic_conductivity: float | None = None,
    composite_mass_g: float | None = None,
):
    """Many designs through the resolved model in parallel threads (numba ``prange``).

    Each design runs the same compiled :func:`run_resolved` as :func:`simulate_resolved`
    (per-cycle results only), so results equal single runs; a failing design keeps its
    cycles and status and never aborts the batch.

    Parameters
    ----------
    cells : list of CellParameters
        One per design.
    protocols : list of dict
        Numeric step tables (``Protocol.to_arrays(...)``), one per design.
    options : ModelOptions or list of them
        Shared or per design.
    n_nodes : int
        Control volumes across the composite [-].

    Returns
    -------
    sianode.simulation.batch.BatchResult
    """
    from .batch import BatchResult, engine_arguments

    prepared = engine_arguments(cells, protocols, options, ds_max, dv_max)
    if prepared is None:
        return BatchResult.empty(composite_mass_g)
    args, out = prepared
    eps = np.array([c.i0_regularisation for c in cells], dtype=np.float64)
    sig_s = -1.0 if electronic_conductivity is None else float(electronic_conductivity)
    st, nc = _run_many_resolved(
        *args,
        int(n_nodes),
        sig_s,
        eps,
    )
    return BatchResult.from_engine(st, nc, out, cells, composite_mass_g)
