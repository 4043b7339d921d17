"""Batch engine: many designs at once, each with its own parameters, options and protocol.

Designs run in parallel threads of one process (numba ``prange``), each through exactly the
same compiled kernel as a single :func:`sianode.simulation.reduced.simulate` call, so a
batch gives bit-identical per-cycle results to running the designs one by one. Only
per-cycle results are kept (memory is flat in the number of time steps); a design that fails
(dies, cannot start, stalls) is returned with its status and every cycle computed so far: it
never aborts the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numba import prange

from ..models._jit import compiled
from . import kernel as K
from .layout import CYCLE_DTYPE, cycle_table
from .parameters import CellParameters, ModelOptions
from .reduced import DEFAULT_DS_MAX, DEFAULT_DV_MAX, _cycles_frame

__all__ = ["BatchResult", "simulate_batch"]


@compiled
def store_design(out, status, ncyc, i, st, nc, cyc):
    """Store design ``i``'s status ``st`` and its first ``nc`` cycle records ``cyc`` (as many
    as ``out`` has room for) in the batch outputs. Shared by both compiled batch engines."""
    status[i] = st
    m = min(nc, out.shape[1])
    ncyc[i] = m
    out[i, :m] = cyc[:m]


@compiled(parallel=True)
def _run_many(
    P, O, kind, current, cutoff, duration, cycle, offsets, ds_max, dv_max, out, dead_fraction
):
    """Run design i's step table ``offsets[i]:offsets[i+1]`` into ``out[i]`` (per-cycle
    records, preallocated); returns (status codes, cycles stored) per design."""
    n = P.shape[0]
    status = np.zeros(n, dtype=np.int64)
    ncyc = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        a, b = offsets[i], offsets[i + 1]
        st, _n_ts, _ts, nc, cyc, _last = K.run_kernel(
            P[i],
            O[i],
            kind[a:b],
            current[a:b],
            cutoff[a:b],
            duration[a:b],
            cycle[a:b],
            False,
            ds_max,
            dv_max,
            dead_fraction,
            np.zeros(0, dtype=np.int64),
        )
        store_design(out, status, ncyc, i, st, nc, cyc)
    return status, ncyc


@dataclass
class BatchResult:
    """Per-design outcomes of :func:`simulate_batch`.

    Raw per-cycle arrays are kept (``raw[i, :n_cycles[i]]``, columns
    :data:`sianode.simulation.kernel.CYCLE_COLUMNS`); the pandas tables are built only when
    :attr:`cycles` is first read, so a large batch costs no DataFrame work unless asked.

    Attributes
    ----------
    status : list of str
        ``"completed"`` or the reason a design ended early.
    status_code : numpy.ndarray
        Kernel status codes (0 = completed).
    """

    status: list[str]
    status_code: np.ndarray
    n_cycles: np.ndarray
    raw: np.ndarray
    cells: list[CellParameters]
    composite_mass_g: float | None = None
    _frames: list[pd.DataFrame] | None = None

    @classmethod
    def from_engine(
        cls,
        status_code: np.ndarray,
        n_cycles: np.ndarray,
        records: np.ndarray,
        cells: list,
        composite_mass_g: float | None,
    ) -> BatchResult:
        """A result from a compiled batch engine's status codes, cycle counts and records."""
        texts = [K.STATUS_TEXT.get(int(s), f"status {int(s)}") for s in status_code]
        return cls(
            status=texts,
            status_code=status_code,
            n_cycles=n_cycles,
            raw=cycle_table(records),
            cells=list(cells),
            composite_mass_g=composite_mass_g,
        )

    @classmethod
    def empty(cls, composite_mass_g: float | None = None) -> BatchResult:
        """The result of a batch with no designs (nothing is run)."""
        return cls(
            status=[],
            status_code=np.zeros(0, dtype=np.int64),
            n_cycles=np.zeros(0, dtype=np.int64),
            raw=np.zeros((0, 1, K.NCY)),
            cells=[],
            composite_mass_g=composite_mass_g,
        )

    @property
    def cycles(self) -> list[pd.DataFrame]:
        """Per-cycle table of each design (same schema as a single run)."""
        if self._frames is None:
            self._frames = [
                _cycles_frame(self.raw[i, : self.n_cycles[i]], self.cells[i], self.composite_mass_g)
                for i in range(len(self.cells))
            ]
        return self._frames

    def _column(self, name: str) -> np.ndarray:
        return self.raw[:, :, K.CYCLE_COLUMNS.index(name)]

    def capacity_Ah(self, cycle: int, which: str = "lith") -> np.ndarray:
        """Lithiation (``"lith"``) or delithiation (``"delith"``) capacity at ``cycle`` [A h]
        for every design (NaN where the cycle was not reached)."""
        col = self._column(f"{which}_C") / 3600.0
        out = np.full(len(self.cells), np.nan)
        ok = self.n_cycles >= cycle
        if ok.any():  # else the cycle may lie beyond the stored columns
            out[ok] = col[ok, cycle - 1]
        return out

    def retention(self, cycle: int) -> np.ndarray:
        """Primary retention (cycle-``cycle`` over cycle-1 lithiation) [-] of every design,
        NaN where the cycle was not reached."""
        first = self.capacity_Ah(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.capacity_Ah(cycle) / first
        out[~(first > 0)] = np.nan
        return out


def pack_designs(
    cells: list[CellParameters],
    protocols: list[dict[str, np.ndarray]],
    options: list[ModelOptions] | ModelOptions | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], int]:
    """Flatten designs for a compiled batch: parameter rows, option rows, step-table offsets,
    concatenated step tables and the largest cycle count + 1. Shared by the reduced and the
    resolved batch engines."""
    n = len(cells)
    if len(protocols) != n:
        raise ValueError("protocols: one step table per design")
    if options is None:
        options = ModelOptions()
    opts = options if isinstance(options, list) else [options] * n
    P = np.stack([c.to_vector() for c in cells]) if n else np.zeros((0, 1))
    O = np.stack([o.codes() for o in opts]) if n else np.zeros((0, 1), dtype=np.int64)
    lengths = np.array([len(p["kind"]) for p in protocols], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cat = {
        k: np.concatenate([p[k] for p in protocols])
        for k in ("kind", "current", "cutoff", "duration", "cycle")
    }
    max_cyc = int(max((p["cycle"][-1] for p in protocols), default=1)) + 1
    return P, O, offsets, cat, max_cyc


def engine_arguments(
    cells: list, protocols: list, options: Any, ds_max: float, dv_max: float
) -> tuple[tuple, np.ndarray] | None:
    """The compiled batch engines' leading arguments (packed parameters and options, the step
    table's columns, offsets, step limits, the output records) and the output records; None
    for an empty batch. Shared by the reduced and the resolved batch engines."""
    if not cells and not protocols:
        return None
    P, O, offsets, cat, max_cyc = pack_designs(cells, protocols, options)
    out = np.zeros((len(cells), max_cyc), CYCLE_DTYPE)
    steps = (cat["kind"], cat["current"], cat["cutoff"], cat["duration"], cat["cycle"])
    return (P, O, *steps, offsets, ds_max, dv_max, out), out


def simulate_batch(
    cells: list[CellParameters],
    protocols: list[dict[str, np.ndarray]],
    options: list[ModelOptions] | ModelOptions | None = None,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    composite_mass_g: float | None = None,
) -> BatchResult:
    """Simulate many designs (reduced model) in one call.

    Parameters
    ----------
    cells : list of CellParameters
        One per design.
    protocols : list of dict
        Numeric step tables (``Protocol.to_arrays(...)``), one per design (may be the same
        object repeated).
    options : ModelOptions or list of them
        Mechanism switches, shared or per design.

    Returns
    -------
    BatchResult
    """
    prepared = engine_arguments(cells, protocols, options, ds_max, dv_max)
    if prepared is None:
        return BatchResult.empty(composite_mass_g)
    args, out = prepared
    st, nc = _run_many(*args, K.DEAD_CAPACITY_FRACTION)
    return BatchResult.from_engine(st, nc, out, cells, composite_mass_g)
