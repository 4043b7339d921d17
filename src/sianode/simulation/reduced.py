"""The reduced (uniform-reaction) model: Python API over the compiled kernel."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import CURRENT, CYCLE, STEP, TIME, VOLTAGE
from ..errors import CalculationError, ParameterError
from ..metrics import RETENTION_PRIMARY, cycle_columns
from ..protocol import Protocol, parse_protocol
from . import kernel as K
from .layout import cycle_table
from .parameters import CellParameters, ModelOptions
from .validation import validate_inputs

if TYPE_CHECKING:  # pandas is imported where a frame is built (issue 17: a JSON run never
    import pandas as pd  # needs it, and importing it is a third of the process's time)

__all__ = ["Result", "simulate", "simulate_arrays", "DEFAULT_DS_MAX", "DEFAULT_DV_MAX"]

#: Largest stoichiometry change per step [-] and voltage change per step [V].
DEFAULT_DS_MAX = 0.02
DEFAULT_DV_MAX = 0.01


@dataclass
class Result:
    """Outcome of a simulation.

    Attributes
    ----------
    raw_timeseries : numpy.ndarray or None
        The solver's time series, one row per accepted step in
        :data:`~sianode.simulation.kernel.TS_COLUMNS` order (None: not recorded).
    timeseries : pandas.DataFrame or None
        BDF columns (``Test Time / s``, ``Voltage / V`` vs the counter electrode,
        ``Current / A`` with BDF's sign: lithiation of Si is negative, ``Cycle Count / 1``,
        ``Step Count / 1``) plus model states; built from :attr:`raw_timeseries` on first use.
    cycle_columns : dict of str to numpy.ndarray
        The per-cycle table as columns (numpy only); :attr:`cycles` is the same as a frame.
    cycles : pandas.DataFrame
        Per-cycle table (the same schema as measured data, :func:`sianode.metrics.summarise_cycles`)
        plus trapped Li, side-reaction charge, connected fraction, strain and swelling; built
        from :attr:`cycle_columns` on first use.
    status : str
        ``"completed"`` or the reason the run ended early (data up to then is kept).
    """

    raw_timeseries: np.ndarray | None
    cycle_columns: dict[str, np.ndarray]
    status: str
    completed: bool
    cell: CellParameters
    options: ModelOptions
    n_cycles_requested: int
    info: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def timeseries(self) -> pd.DataFrame | None:
        """The time series as a BDF DataFrame (None when not recorded)."""
        if self.raw_timeseries is None:
            return None
        return _timeseries_frame(self.raw_timeseries)

    @cached_property
    def cycles(self) -> pd.DataFrame:
        """The per-cycle table (:attr:`cycle_columns` as a pandas DataFrame)."""
        import pandas as pd

        return pd.DataFrame(self.cycle_columns)

    def cycle_records(self) -> list[dict[str, Any]]:
        """The per-cycle table as one dict per cycle (column name to value), without pandas;
        the same values as ``cycles.to_dict(orient="records")``."""
        names = list(self.cycle_columns)
        rows = zip(*(self.cycle_columns[k].tolist() for k in names))
        return [dict(zip(names, row)) for row in rows]

    @property
    def retention_pct(self) -> float:
        """Primary retention (vs cycle-1 lithiation) at the last cycle [%]."""
        col = self.cycle_columns[RETENTION_PRIMARY]
        if col.size == 0:
            return float("nan")
        return 100.0 * float(col[-1])

    def retention_at(
        self, cycle: int, column: str = "Retention vs Cycle 1 Lithiation / 1"
    ) -> float:
        """Retention [-] at ``cycle`` under ``column`` (NaN if that cycle was not reached)."""
        row = self.cycles.loc[self.cycles[CYCLE] == cycle, column]
        return float(row.iloc[0]) if len(row) else float("nan")

    def plot(self, cycles_to_show: tuple[int, ...] = (1, 2)) -> Any:
        """Capacity and CE vs cycle, and voltage curves of chosen cycles (matplotlib Figure)."""
        from ..plotting import plot_result

        return plot_result(self, cycles_to_show)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return (
            f"<b>sianode Result</b>: {len(self.cycles)} cycles, status {self.status}, "
            f"retention {self.retention_pct:.1f} %"
        )


def simulate_arrays(
    cell: CellParameters,
    options: ModelOptions,
    steps: dict[str, np.ndarray],
    record: bool = True,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    dead_fraction: float = K.DEAD_CAPACITY_FRACTION,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, np.ndarray | None, np.ndarray, int]:
    """Run the kernel on a numeric step table (see :meth:`Protocol.to_arrays`).

    ``progress(done, total)`` is called with finished and total cycles about every 0.2 s
    while the kernel runs (in a thread beside this one) and once at the end.

    Returns (status code, time-series array or None, per-cycle array, last step index)."""
    args = (
        cell.to_vector(),
        options.codes(),
        steps["kind"],
        steps["current"],
        steps["cutoff"],
        steps["duration"],
        steps["cycle"],
        record,
        ds_max,
        dv_max,
        dead_fraction,
    )
    if progress is None:
        out = K.run_kernel(*args, np.zeros(0, dtype=np.int64))
    else:
        out = _run_with_progress(
            args, int(steps["cycle"][-1]) if len(steps["cycle"]) else 0, progress
        )
    status, n_ts, ts, n_cyc, cyc, last = out
    return int(status), (ts[:n_ts] if record else None), cycle_table(cyc[:n_cyc]), int(last)


def _run_with_progress(
    args: tuple[Any, ...], total: int, progress: Callable[[int, int], None]
) -> tuple[Any, ...]:
    """Run the kernel (compiled without the GIL) in a thread and report its cycle count."""
    import threading

    done = np.zeros(1, dtype=np.int64)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["out"] = K.run_kernel(*args, done)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="sianode-kernel", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.2)
        progress(int(done[0]), total)
    if "error" in box:
        raise box["error"]
    progress(int(done[0]), total)
    return box["out"]


def _timeseries_frame(ts: np.ndarray) -> pd.DataFrame:
    import pandas as pd

    cols = dict(zip(K.TS_COLUMNS, ts.T))
    return pd.DataFrame(
        {
            TIME: cols["time_s"],
            VOLTAGE: cols["voltage_V"],
            CURRENT: -cols["current_A"],  # BDF: + charges the cell = delithiates Si
            CYCLE: cols["cycle"].astype(np.int64),
            STEP: cols["step"].astype(np.int64) + 1,
            "Voltage vs Li / V": cols["voltage_vs_li_V"],
            "Li per Si / 1": cols["x_mean"],
            "Hysteresis State / 1": cols["hysteresis"],
            "Connected Fraction / 1": cols["connected_fraction"],
            "External Strain / 1": cols["external_strain"],
            "Electrode Thickness Change / m": cols["thickness_change_m"],
            "Trapped Li / Ah": cols["trapped_C"] / 3600.0,
            "Side Reaction Charge / Ah": cols["side_C"] / 3600.0,
            "Crystalline Si Fraction / 1": cols["crystalline_fraction"],
            "Li15Si4 Fraction / 1": cols["li15si4_fraction"],
        }
    )


def _cycles_frame(
    cyc: np.ndarray, cell: CellParameters, composite_mass_g: float | None
) -> pd.DataFrame:
    """The per-cycle table of a solver's raw per-cycle rows (:func:`simulated_cycle_columns`
    as a pandas DataFrame)."""
    import pandas as pd

    return pd.DataFrame(simulated_cycle_columns(cyc, cell, composite_mass_g))


def simulated_cycle_columns(
    cyc: np.ndarray, cell: CellParameters, composite_mass_g: float | None
) -> dict[str, np.ndarray]:
    """Columns of the per-cycle table from a solver's raw per-cycle rows (``CYCLE_COLUMNS``
    order): the measured-data schema (:func:`sianode.metrics.cycle_columns`) plus the model's
    states and the voltage budget at the end of each lithiation."""
    c = dict(zip(K.CYCLE_COLUMNS, cyc.T))
    lith_Ah = c["lith_C"] / 3600.0
    deli_Ah = c["delith_C"] / 3600.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lith_V = np.where(c["lith_C"] > 0, c["lith_J"] / np.maximum(c["lith_C"], 1e-300), np.nan)
        deli_V = np.where(
            c["delith_C"] > 0, c["delith_J"] / np.maximum(c["delith_C"], 1e-300), np.nan
        )
    cols = cycle_columns(
        c["cycle"].astype(int),
        lith_Ah,
        deli_Ah,
        active_mass_g=cell.si_mass * 1e3,
        composite_mass_g=composite_mass_g,
        area_cm2=cell.area * 1e4,
        lithiation_mean_V=lith_V,
        delithiation_mean_V=deli_V,
        lithiation_Wh=c["lith_J"] / 3600.0,
        delithiation_Wh=c["delith_J"] / 3600.0,
    )
    # columns gathered in a dict, a frame built once by whoever needs one: inserting them
    # one by one rebuilt pandas' column index each time (~0.3 ms per column)
    cols["Side Reaction Charge / Ah"] = c["side_C"] / 3600.0
    cols["Cumulative Side Reaction Charge / Ah"] = c["side_total_C"] / 3600.0
    cols["Trapped Li / Ah"] = c["trapped_C"] / 3600.0
    cols["Connected Fraction / 1"] = c["connected_fraction"]
    cols["Max External Strain / 1"] = c["strain_max"]
    cols["External Strain Amplitude / 1"] = c["strain_max"] - c["strain_min"]
    cols["Max Electrode Thickness Change / um"] = c["thickness_change_max_m"] * 1e6
    cols["Li in Connected Si / Ah"] = c["li_connected_C"] / 3600.0
    cols["Net Charge Passed / Ah"] = c["charge_net_C"] / 3600.0
    cols["Max Li per Si / 1"] = c["x_max_reached"]
    cols["Min Li per Si / 1"] = c["x_min_reached"]
    cols[TIME] = c["time_end_s"]
    # the voltage budget at the end of each lithiation (physics.md 8.2); engines that do
    # not split it (resolved model) leave it out
    for col, name in BUDGET_NAMES.items():
        if col in c and np.isfinite(c[col]).any():
            cols[name] = c[col]
    if "eta_separator_V" in c and np.isfinite(c["eta_separator_V"]).any():
        cols["Lithiation Limited By"] = limiting_loss(c)
    return cols


#: Per-cycle names of the voltage-budget columns (losses at the end of the lithiation).
BUDGET_NAMES = {
    "eta_separator_V": "Lithiation-End Separator Drop / V",
    "eta_composite_V": "Lithiation-End Composite Drop / V",
    "eta_kinetics_V": "Lithiation-End Si Kinetic Overpotential / V",
    "eta_front_V": "Lithiation-End c-Si Front Overpotential / V",
    "eta_interphase_V": "Lithiation-End Interphase Drop / V",
    "eta_counter_V": "Lithiation-End Counter Electrode Overpotential / V",
    "ocp_lith_end_V": "Lithiation-End Si OCP / V",
}


def limiting_loss(c: dict[str, np.ndarray]) -> np.ndarray:
    """Name of the largest loss at the end of each cycle's lithiation (physics.md 8.2)."""
    keys = [k for k in BUDGET_NAMES if k.startswith("eta_")]
    labels = np.array(
        ["separator", "composite", "Si kinetics", "c-Si front", "interphase", "counter electrode"]
    )
    stack = np.nan_to_num(np.vstack([c[k] for k in keys]), nan=-np.inf)
    out = labels[np.argmax(stack, axis=0)].astype(object)
    out[~np.isfinite(c["eta_separator_V"])] = "-"
    return out


def _outcome(
    status: int,
    ts: np.ndarray | None,
    cyc: np.ndarray,
    last: int,
    steps: dict[str, np.ndarray],
    cell: CellParameters,
    composite_mass_g: float | None,
    status_text: dict[int, str],
) -> tuple[np.ndarray | None, dict[str, np.ndarray], str]:
    """Turn a solver's raw output into (raw time series, per-cycle columns, status text); the
    frames are built when a user asks for them (:class:`Result`).

    Shared by the reduced and the resolved models. Raises :class:`CalculationError` on any
    non-finite value. (A cell past its cut-off is a result, not an error: physics.md 8.2.)"""
    # the voltage-budget columns are NaN by design where an engine does not split the losses
    core = cyc[:, : K.CYCLE_COLUMNS.index("eta_separator_V")] if cyc.ndim == 2 else cyc
    if not np.all(np.isfinite(core)) or (ts is not None and not np.all(np.isfinite(ts))):
        raise CalculationError("simulation produced non-finite values; please report this cell")
    cycles = simulated_cycle_columns(cyc, cell, composite_mass_g)
    text = status_text.get(status, f"status {status}")
    if status != K.OK:
        text = f"{text} (at step {last + 1}, cycle {int(steps['cycle'][last])})"
    return ts, cycles, text


@lru_cache(maxsize=1)
def _study_protocol_text() -> str:
    """The bundled study's protocol text (read once: parsing the study file took 0.7 ms,
    a quarter of a 50-cycle run)."""
    from ..study import load_study

    return str(load_study().section("protocol")["text"])


def options_dict(options: ModelOptions) -> dict[str, str]:
    """The mechanism switches as a plain dict (``dataclasses.asdict`` without its deep copy:
    the fields are strings)."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def run_inputs(
    cell: CellParameters | None,
    protocol: Protocol | str | None,
    options: ModelOptions | None,
    ds_max: float,
    dv_max: float,
) -> tuple[CellParameters, ModelOptions, Protocol]:
    """The defaults of a run (the study's dense cell and protocol, every mechanism on), the
    protocol parsed, and the step limits checked. Shared by the reduced and resolved models."""
    cell = cell or CellParameters()
    options = options or ModelOptions()
    if protocol is None:
        protocol = _study_protocol_text()
    proto = parse_protocol(protocol) if isinstance(protocol, str) else protocol
    if not (0 < ds_max <= 0.1) or not (0 < dv_max <= 0.1):
        raise ParameterError("ds_max and dv_max must be in (0, 0.1]")
    return cell, options, proto


def dead_cell_text(cycles: dict[str, np.ndarray], dead_fraction: float) -> str:
    """Status of a run stopped at end of life (per-cycle columns ``cycles``): which cycle,
    its capacity against cycle 1's and the threshold."""
    lith, side = cycles["Lithiation Capacity / Ah"], cycles["Side Reaction Charge / Ah"]
    ratio = (lith[-1] - side[-1]) / max(lith[0] - side[0], 1e-300)
    return (
        f"cell died at cycle {int(cycles[CYCLE][-1])}: charge into Si "
        f"{100 * float(ratio):.3g} % of cycle 1's, below "
        f"the end-of-life threshold of {100 * dead_fraction:g} %"
    )


def simulate(
    cell: CellParameters | None = None,
    protocol: Protocol | str | None = None,
    options: ModelOptions | None = None,
    n_cycles: int | None = None,
    record: bool = True,
    composite_mass_g: float | None = None,
    ds_max: float = DEFAULT_DS_MAX,
    dv_max: float = DEFAULT_DV_MAX,
    dead_fraction: float = K.DEAD_CAPACITY_FRACTION,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Simulate a Si half cell with the reduced model.

    Parameters
    ----------
    cell : CellParameters, optional
        The cell (default: the study's dense cell geometry with default parameters).
    protocol : Protocol or str, optional
        Parsed protocol or its text form (default: the study's protocol).
    options : ModelOptions, optional
        Mechanism switches (default: all on).
    n_cycles : int, optional
        Cut or extend the protocol to this many cycles.
    record : bool
        Keep the time series (False: per-cycle results only, faster, flat memory).
    composite_mass_g : float, optional
        For composite-specific capacities [g].
    dead_fraction : float
        End of life [-]: the run stops when a cycle's lithiation capacity falls below this
        fraction of the first cycle's (default :data:`~sianode.simulation.kernel.DEAD_CAPACITY_FRACTION`,
        1 %); ``status`` says so. 0 runs every cycle.
    progress : callable, optional
        ``progress(done, total)`` with finished and total cycles, about every 0.2 s.

    Returns
    -------
    Result
        Never contains NaN in state columns; a run that ends early keeps its data and
        says why in ``status``.

    Raises
    ------
    ParameterError
        If the first lithiation cannot start (the current cannot be met), or an input is
        outside the model's physical range (:func:`~sianode.simulation.validation.validate_inputs`).
    """
    cell, options, proto = run_inputs(cell, protocol, options, ds_max, dv_max)
    if not (0.0 <= dead_fraction < 1.0):
        raise ParameterError(f"dead_fraction: must be in [0, 1), got {dead_fraction!r}")
    validate_inputs(cell, proto)
    steps = proto.to_arrays(
        cell.area, cell.nominal_capacity_Ah, cell.counter_potential, n_cycles, cell.si_mass * 1e3
    )
    status, ts, cyc, last = simulate_arrays(
        cell, options, steps, record, ds_max, dv_max, dead_fraction, progress
    )
    timeseries, cycles, text = _outcome(
        status, ts, cyc, last, steps, cell, composite_mass_g, K.STATUS_TEXT
    )
    if status == K.CAPACITY_ZERO:
        text = dead_cell_text(cycles, dead_fraction)
    return Result(
        raw_timeseries=timeseries,
        cycle_columns=cycles,
        status=text,
        completed=status == K.OK,
        cell=cell,
        options=options,
        n_cycles_requested=int(n_cycles or proto.n_cycles),
        info={"status_code": status, "options": options_dict(options)},
    )
