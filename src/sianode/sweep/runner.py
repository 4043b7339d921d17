"""Worker side of a sweep: build the model context once, then run chunks of designs.

A :class:`DesignRunner` is built from :meth:`SweepSpec.payload` (the study, material, fixed
values, options, protocol and outputs) once per worker; each chunk sends only design ids and
parameter values. A chunk runs through :func:`sianode.simulation.simulate_batch` (the same
compiled kernel as a single :func:`~sianode.simulation.simulate` call), and returns one row
per design with its inputs, outputs, ``status`` and ``error``. A design that cannot be built
or simulated is a row with its reason, never an exception.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cell import CellParameters, ModelOptions, build_cell
from ..columns import CYCLE
from ..errors import SianodeError
from ..protocol import DELITHIATE, LITHIATE, Protocol, Step, parse_protocol
from ..simulation import kernel as K
from ..simulation import simulate_batch
from ..study import Study
from .model import OutputSpec
from .spec import PARAMETERS, column_name

#: The protocol language has capacity limits ("... or 1000 mAh/g") in this version.
_NATIVE_CAPACITY = "capacity_mAh_g" in {f.name for f in dataclasses.fields(Step)}

__all__ = ["DesignRunner", "Chunk", "STATUS_NAMES", "result_columns", "empty_result"]

#: Short status names stored in the results (kernel codes and build failures).
STATUS_NAMES = {
    K.OK: "completed",
    K.DIED: "died",
    K.CAPACITY_ZERO: "capacity_zero",
    K.STEP_STALLED: "stalled",
    K.CANNOT_START: "cannot_start",
}


@dataclass
class Chunk:
    """A unit of work: design ids, indices and parameter values (canonical units).

    Attributes
    ----------
    ids : list of str
    index : numpy.ndarray of int64
    values : numpy.ndarray, shape (n, n_parameters)
        Columns in the order of the spec's ``parameter_names``.
    """

    ids: list[str]
    index: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def result_columns(parameters: list[str], outputs: OutputSpec) -> list[str]:
    """Column order of a results table."""
    return (
        ["design_id", "design_index"]
        + [column_name(p) for p in parameters]
        + outputs.columns()
        + ["status", "error"]
    )


def empty_result(parameters: list[str], outputs: OutputSpec) -> pd.DataFrame:
    """A zero-row results table with the right dtypes."""
    cols = result_columns(parameters, outputs)
    df = pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    df["design_id"] = df["design_id"].astype(object)
    df["design_index"] = df["design_index"].astype(np.int64)
    df["status"] = df["status"].astype(object)
    df["error"] = df["error"].astype(object)
    return df


def _step_text(s: Step) -> str:
    """Text form of a step that parses back to exactly the same numbers (``repr`` floats)."""
    if s.kind not in (LITHIATE, DELITHIATE):
        return f"Rest for {float(s.duration_s or 0.0)!r} s"
    verb = "Lithiate" if s.kind == LITHIATE else "Delithiate"
    cur = (
        f"{float(s.current)!r}C"
        if s.current_unit == "C"
        else f"{float(s.current)!r} {s.current_unit}"
    )
    text = f"{verb} at {cur}"
    if s.cutoff_V is not None:
        text += f" until {float(s.cutoff_V)!r} V vs {'Li' if s.cutoff_ref == 'Li' else 'counter'}"
    cap = getattr(s, "capacity_mAh_g", None)
    if cap is not None:
        text += f" or {float(cap)!r} mAh/g"
    if s.duration_s is not None:
        text += f" for {float(s.duration_s)!r} s"
    return text


class DesignRunner:
    """Builds cells and protocols of designs and runs chunks of them (one per worker).

    Parameters
    ----------
    payload : dict
        :meth:`sianode.sweep.model.SweepSpec.payload`.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        from pathlib import Path

        self.payload = payload
        self.study = Study(
            raw=payload["study_raw"],
            path=Path(payload["study_path"]) if payload.get("study_path") else None,
        )
        self.material = payload["material"]
        self.material_file = payload.get("material_file")
        self.n_cycles = int(payload["n_cycles"])
        self.parameters: list[str] = list(payload["parameters"])
        self.outputs = OutputSpec(**payload["outputs"])
        self.options = ModelOptions(**payload["options"])
        self.protocol = parse_protocol(payload["protocol_text"])
        self.fixed: dict[str, float] = dict(payload["fixed"])
        self._cell_cache: dict[tuple, CellParameters] = {}
        self._proto_cache: dict[tuple, tuple[Protocol, dict[str, np.ndarray]]] = {}
        self._columns = result_columns(self.parameters, self.outputs)

    # ------------------------------------------------------------------ building
    def _split(self, params: dict[str, float]) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {
            "material": {},
            "cell": {},
            "override": {},
            "protocol": {},
        }
        for name, v in {**self.fixed, **params}.items():
            out[PARAMETERS[name].target][name] = v
        return out

    def cell_for(self, params: dict[str, float]) -> CellParameters:
        """The cell of a design (parameter values in canonical units).

        Material- and cell-level values are inputs of :func:`sianode.cell.build_cell`, so the
        geometry that follows from them is re-derived (cached per distinct combination); the
        rest are SI overrides.

        Raises
        ------
        ParameterError
            If a value is physically impossible.
        """
        parts = self._split(params)
        key = (tuple(sorted(parts["material"].items())), tuple(sorted(parts["cell"].items())))
        base = self._cell_cache.get(key)
        if base is None:
            inputs = {
                n: float(v) if PARAMETERS[n].unit == "1" else f"{float(v)!r} {PARAMETERS[n].unit}"
                for n, v in {**parts["material"], **parts["cell"]}.items()
            }
            base, _prov = build_cell(self.study, self.material, self.material_file, **inputs)
            if len(self._cell_cache) > 4096:
                self._cell_cache.clear()
            self._cell_cache[key] = base
        over = {n: v * PARAMETERS[n].si_factor for n, v in parts["override"].items()}
        return base.replace(**over) if over else base

    def protocol_for(self, params: dict[str, float], cell: CellParameters) -> Protocol:
        """The protocol of a design (the spec's protocol with the design's currents, cut-offs
        and lithiation capacity limit applied)."""
        p = self._split(params)["protocol"]
        if not p:
            return self.protocol
        nb = len(self.protocol.blocks)
        blocks: list[tuple[list[Step], int]] = []
        for bi, (steps, reps) in enumerate(self.protocol.blocks):
            last = bi == nb - 1
            new: list[Step] = []
            for s in steps:
                ch: dict[str, Any] = {}
                if s.kind in (LITHIATE, DELITHIATE):
                    key = "current_density" if last else "formation_current_density"
                    if key in p:
                        ch.update(current=p[key] * 10.0, current_unit="A/m2")  # mA/cm2 -> A/m2
                if s.kind == LITHIATE and "lithiation_cutoff" in p:
                    ch.update(cutoff_V=p["lithiation_cutoff"], cutoff_ref="Li")
                if s.kind == DELITHIATE and "delithiation_cutoff" in p:
                    ch.update(cutoff_V=p["delithiation_cutoff"], cutoff_ref="Li")
                s2 = dataclasses.replace(s, **ch)
                if s.kind == LITHIATE and "lithiation_capacity_limit" in p:
                    q = p["lithiation_capacity_limit"]
                    if _NATIVE_CAPACITY:  # "Lithiate ... until 0.04 V vs Li or Q mAh/g"
                        s2 = dataclasses.replace(s2, capacity_mAh_g=q)
                    else:  # older protocol module: the same limit as a time limit Q / I
                        i_A = s2.current_A(cell.area, cell.nominal_capacity_Ah)
                        t = q * (cell.si_mass * 1e3) * 3.6 / i_A
                        if s2.duration_s is not None:
                            t = min(t, s2.duration_s)
                        s2 = dataclasses.replace(s2, duration_s=t)
                s2 = dataclasses.replace(s2, text=_step_text(s2))
                new.append(s2)
            blocks.append((new, reps))
        text = "\n".join(
            "\n".join(s.text for s in steps) + f"\nRepeat {reps} times" for steps, reps in blocks
        )
        return Protocol(blocks=blocks, text=text)

    def protocol_steps(
        self, params: dict[str, float], cell: CellParameters
    ) -> dict[str, np.ndarray]:
        """The design's protocol as the kernel's step arrays (cached per distinct protocol)."""
        p = self._split(params)["protocol"]
        key = (
            tuple(sorted(p.items())),
            cell.area,
            cell.nominal_capacity_Ah,
            cell.counter_potential,
            cell.si_mass,
        )
        hit = self._proto_cache.get(key)
        if hit is None:
            proto = self.protocol_for(params, cell)
            args = (cell.area, cell.nominal_capacity_Ah, cell.counter_potential, self.n_cycles)
            if _NATIVE_CAPACITY:
                arr = proto.to_arrays(*args, cell.si_mass * 1e3)
            else:
                arr = proto.to_arrays(*args)
            if len(self._proto_cache) > 4096:
                self._proto_cache.clear()
            hit = (proto, arr)
            self._proto_cache[key] = hit
        return hit[1]

    # ------------------------------------------------------------------ outputs
    def _outputs(self, raw: np.ndarray, cell: CellParameters) -> dict[str, float]:
        """Scalar outputs from the per-cycle kernel array (rows = cycles 1..n)."""
        o = self.outputs
        col = {name: i for i, name in enumerate(K.CYCLE_COLUMNS)}
        n = raw.shape[0]
        lith = raw[:, col["lith_C"]] / 3600.0
        deli = raw[:, col["delith_C"]] / 3600.0
        mass_g = cell.si_mass * 1e3
        first = lith[0] if n else math.nan
        out: dict[str, float] = {}

        def at(arr: np.ndarray, c: int) -> float:
            return float(arr[c - 1]) if c <= n else math.nan

        def ratio(a: float, b: float) -> float:
            return a / b if (math.isfinite(a) and math.isfinite(b) and b > 0) else math.nan

        ref = first if o.retention_reference == 1 else at(lith, o.retention_reference)
        for c in o.retention_at:
            out[o.retention_column(c)] = ratio(at(lith, c), ref)
        for c in o.capacity_at:
            out[f"lithiation_capacity_c{c} / mAh/g"] = at(lith, c) * 1e3 / mass_g
            out[f"delithiation_capacity_c{c} / mAh/g"] = at(deli, c) * 1e3 / mass_g
        if o.first_cycle_efficiency:
            out["first_cycle_efficiency / 1"] = ratio(at(deli, 1), at(lith, 1))
        for c in o.coulombic_efficiency_at:
            out[f"coulombic_efficiency_c{c} / 1"] = ratio(at(deli, c), at(lith, c))
        if o.swelling:
            th = raw[:, col["thickness_change_max_m"]]
            st = raw[:, col["strain_max"]]
            out["max_thickness_change / um"] = float(th.max() * 1e6) if n else math.nan
            out["max_external_strain / 1"] = float(st.max()) if n else math.nan
        if o.energy:
            out["lithiation_energy_c1 / mWh"] = at(raw[:, col["lith_J"]] / 3600.0, 1) * 1e3
            out["cumulative_delithiation_energy / mWh"] = (
                float(raw[:, col["delith_J"]].sum() / 3600.0 * 1e3) if n else math.nan
            )
        out["cycles_completed / 1"] = float(n)
        return out

    # ------------------------------------------------------------------ running
    def run(self, chunk: Chunk, threads: int | None = None) -> pd.DataFrame:
        """Run a chunk of designs; one row per design (inputs, outputs, status, error).

        Parameters
        ----------
        chunk : Chunk
        threads : int, optional
            Numba threads for this call (default: numba's current setting).
        """
        if threads is not None:
            import numba

            numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        rows: list[dict[str, Any]] = []
        cells: list[CellParameters] = []
        steps: list[dict[str, np.ndarray]] = []
        ok_rows: list[int] = []
        for i, did in enumerate(chunk.ids):
            params = dict(zip(self.parameters, (float(v) for v in chunk.values[i]), strict=True))
            row: dict[str, Any] = {"design_id": did, "design_index": int(chunk.index[i])}
            row.update({column_name(k): v for k, v in params.items()})
            row["status"] = "pending"
            row["error"] = ""
            rows.append(row)
            try:
                cell = self.cell_for(params)
                st = self.protocol_steps(params, cell)
            except (SianodeError, ValueError, ZeroDivisionError) as exc:
                row["status"] = "invalid"
                row["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                continue
            cells.append(cell)
            steps.append(st)
            ok_rows.append(i)
        if cells:
            self._simulate_into(rows, ok_rows, cells, steps)
        df = pd.DataFrame(rows)
        for c in self._columns:
            if c not in df.columns:
                df[c] = np.nan
        df = df[self._columns]
        df["design_index"] = df["design_index"].astype(np.int64)
        out_cols = [
            c for c in self._columns if c not in ("design_id", "design_index", "status", "error")
        ]
        df[out_cols] = df[out_cols].astype(float)
        df["design_id"] = df["design_id"].astype(str)
        df["status"] = df["status"].astype(str)
        df["error"] = df["error"].astype(str)
        return df

    def _simulate_into(
        self,
        rows: list[dict[str, Any]],
        ok_rows: list[int],
        cells: list[CellParameters],
        steps: list[dict[str, np.ndarray]],
    ) -> None:
        try:
            res = simulate_batch(cells, steps, self.options)
            per = [(res.status_code[j], _raw_cycles(res, j)) for j in range(len(cells))]
        except Exception as exc:  # isolate the culprit: run one by one
            if len(cells) == 1:
                rows[ok_rows[0]]["status"] = "error"
                rows[ok_rows[0]]["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
                return
            for j, i in enumerate(ok_rows):
                self._simulate_into(rows, [i], [cells[j]], [steps[j]])
            return
        for j, i in enumerate(ok_rows):
            code, raw = per[j]
            row = rows[i]
            code = int(code)
            if not np.all(np.isfinite(raw)):
                row["status"] = "error"
                row["error"] = "simulation produced non-finite values"
                continue
            row.update(self._outputs(raw, cells[j]))
            row["status"] = STATUS_NAMES.get(code, f"status_{code}")
            row["error"] = "" if code == K.OK else K.STATUS_TEXT.get(code, f"status {code}")


def _raw_cycles(res: Any, j: int) -> np.ndarray:
    """Per-cycle kernel array of design ``j`` of a BatchResult (rows: cycles)."""
    raw = getattr(res, "raw", None)
    if raw is not None:
        return np.asarray(raw[j, : int(res.n_cycles[j])])
    # older BatchResult: rebuild the needed columns from the per-cycle table
    df = res.cycles[j]
    n = len(df)
    out = np.zeros((n, K.NCY))
    col = {name: i for i, name in enumerate(K.CYCLE_COLUMNS)}
    out[:, col["cycle"]] = df[CYCLE].to_numpy()
    out[:, col["lith_C"]] = df["Lithiation Capacity / Ah"].to_numpy() * 3600.0
    out[:, col["delith_C"]] = df["Delithiation Capacity / Ah"].to_numpy() * 3600.0
    out[:, col["thickness_change_max_m"]] = (
        df["Max Electrode Thickness Change / um"].to_numpy() * 1e-6
    )
    out[:, col["strain_max"]] = df["Max External Strain / 1"].to_numpy()
    out[:, col["lith_J"]] = df["Lithiation Energy / Wh"].to_numpy() * 3600.0
    out[:, col["delith_J"]] = df["Delithiation Energy / Wh"].to_numpy() * 3600.0
    return out
