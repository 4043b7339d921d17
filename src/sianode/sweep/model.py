"""The sweep spec as data: grid axes, sampled ranges, outputs, and the design set they span.

A :class:`SweepSpec` is what :func:`sianode.sweep.parse.parse_spec` returns. It holds no
study, no cell and no calibration result: building it has no side effects. Values it cannot
know without running something (``beta = "calibrated"``) are kept as a marker in
:attr:`SweepSpec.deferred` and resolved when the sweep runs
(:func:`sianode.sweep.calibrated.resolve_deferred`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .spec import column_name

__all__ = ["GridAxis", "Range", "OutputSpec", "SweepSpec", "design_id"]


@dataclass
class GridAxis:
    """A grid axis: explicit values [canonical unit]."""

    name: str
    values: np.ndarray


@dataclass
class Range:
    """A sampled range [canonical unit] (``scale`` "linear" or "log")."""

    name: str
    low: float
    high: float
    scale: str = "linear"


@dataclass
class OutputSpec:
    """Which scalar outputs each design reports.

    Attributes
    ----------
    retention_at : list of int
        Cycles for ``retention_cN / 1`` (lithiation capacity over cycle-1 lithiation, the
        study's definition).
    retention_reference : int
        Reference cycle of the retention (default 1). With another cycle R the columns are
        ``retention_cN_vs_cR / 1``; R = 4 (the first cycle at the study's higher current)
        separates degradation from the rate step after the formation cycles.
    capacity_at : list of int
        Cycles for ``lithiation_capacity_cN / mAh/g`` and ``delithiation_capacity_cN / mAh/g``
        (per g Si).
    first_cycle_efficiency : bool
        ``first_cycle_efficiency / 1`` (cycle-1 delithiation over lithiation).
    coulombic_efficiency_at : list of int
        Cycles for ``coulombic_efficiency_cN / 1``.
    swelling : bool
        ``max_thickness_change / um`` (largest electrode thickness change over the run) and
        ``max_external_strain / 1``.
    energy : bool
        ``lithiation_energy_c1 / mWh`` and ``cumulative_delithiation_energy / mWh``.
    """

    retention_at: list[int] = field(default_factory=lambda: [50])
    retention_reference: int = 1
    capacity_at: list[int] = field(default_factory=lambda: [1])
    first_cycle_efficiency: bool = True
    coulombic_efficiency_at: list[int] = field(default_factory=list)
    swelling: bool = True
    energy: bool = True

    def retention_column(self, n: int) -> str:
        """Column name of the retention at cycle ``n``."""
        if self.retention_reference == 1:
            return f"retention_c{n} / 1"
        return f"retention_c{n}_vs_c{self.retention_reference} / 1"

    def columns(self) -> list[str]:
        """Output column names, in order."""
        cols = [self.retention_column(n) for n in self.retention_at]
        for n in self.capacity_at:
            cols += [f"lithiation_capacity_c{n} / mAh/g", f"delithiation_capacity_c{n} / mAh/g"]
        if self.first_cycle_efficiency:
            cols.append("first_cycle_efficiency / 1")
        cols += [f"coulombic_efficiency_c{n} / 1" for n in self.coulombic_efficiency_at]
        if self.swelling:
            cols += ["max_thickness_change / um", "max_external_strain / 1"]
        if self.energy:
            cols += ["lithiation_energy_c1 / mWh", "cumulative_delithiation_energy / mWh"]
        cols.append("cycles_completed / 1")
        return cols


def design_id(values: dict[str, float]) -> str:
    """Stable id of a design from its parameter values (16 hex characters).

    Values are rounded to 12 significant digits so that the same design typed twice (or
    regenerated from the same spec) gets the same id.
    """
    items = sorted((k, float(f"{float(v):.12g}")) for k, v in values.items())
    text = json.dumps(items, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass
class SweepSpec:
    """A parsed sweep spec (see the module docstring for the TOML form).

    Attributes
    ----------
    fixed : dict
        Fixed parameter values [canonical units] shared by every design.
    options : dict
        :class:`~sianode.simulation.ModelOptions` fields.
    protocol_text : str or None
        Protocol (None: the study's).
    deferred : dict
        Fixed values resolved when the sweep runs, by name: ``{"beta": "calibrated"}``.
    meta : dict
        Free-form ``[meta]`` table of the spec (author, project, notes ...): stored with the
        results, not part of the sweep's identity.
    """

    name: str = "sweep"
    study_path: str | None = None
    material: str = "dense"
    material_file: str | None = None
    n_cycles: int = 50
    seed: int = 0
    fixed: dict[str, float] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    protocol_text: str | None = None
    grid: list[GridAxis] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)
    sampling: str = "lhs"
    n_samples: int = 0
    table: pd.DataFrame | None = None
    outputs: OutputSpec = field(default_factory=OutputSpec)
    source_text: str = ""
    notes: list[str] = field(default_factory=list)
    deferred: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ design set
    @property
    def parameter_names(self) -> list[str]:
        """Swept parameter names (table, then grid, then ranges)."""
        names: list[str] = []
        if self.table is not None:
            names += list(self.table.columns)
        names += [a.name for a in self.grid] + [r.name for r in self.ranges]
        return names

    def _samples(self) -> pd.DataFrame:
        if not self.ranges:
            return pd.DataFrame(index=[0])
        from scipy.stats import qmc

        d = len(self.ranges)
        n = self.n_samples
        if self.sampling == "lhs":
            u = qmc.LatinHypercube(d=d, seed=self.seed).random(n)
        elif self.sampling == "sobol":
            u = qmc.Sobol(d=d, scramble=True, seed=self.seed).random(n)
        else:
            u = np.random.default_rng(self.seed).random((n, d))
        cols = {}
        for j, r in enumerate(self.ranges):
            if r.scale == "log":
                lo, hi = math.log(r.low), math.log(r.high)
                cols[r.name] = np.exp(lo + u[:, j] * (hi - lo))
            else:
                cols[r.name] = r.low + u[:, j] * (r.high - r.low)
        return pd.DataFrame(cols)

    def designs(self) -> pd.DataFrame:
        """The design table: ``design_id``, ``design_index`` and one column per swept
        parameter (``"<name> / <unit>"``, canonical units). Duplicate designs are dropped."""
        parts = [self.table if self.table is not None else pd.DataFrame(index=[0])]
        if self.grid:
            mesh = np.meshgrid(*[a.values for a in self.grid], indexing="ij")
            parts.append(
                pd.DataFrame({a.name: m.ravel() for a, m in zip(self.grid, mesh, strict=True)})
            )
        parts.append(self._samples())
        df = parts[0].reset_index(drop=True)
        for p in parts[1:]:
            df = df.merge(p.reset_index(drop=True), how="cross")
        names = self.parameter_names
        df = df[names].astype(float) if names else pd.DataFrame(index=range(len(df)))
        ids = [design_id(dict(zip(names, row, strict=True))) for row in df.itertuples(index=False)]
        df.columns = [column_name(n) for n in names]
        df.insert(0, "design_id", ids)
        df = df.drop_duplicates("design_id").reset_index(drop=True)
        df.insert(1, "design_index", np.arange(len(df), dtype=np.int64))
        return df

    # ------------------------------------------------------------------ identity
    def context(self) -> dict[str, Any]:
        """Everything except the design set: designs run in the same context are comparable
        (the store refuses to mix contexts in one folder)."""
        return {
            "study": _study_digest(self.study_path),
            "material": self.material,
            "material_file": _file_digest(self.material_file),
            "n_cycles": self.n_cycles,
            "fixed": {k: float(f"{v:.12g}") for k, v in sorted(self.fixed.items())},
            **({"deferred": dict(sorted(self.deferred.items()))} if self.deferred else {}),
            "options": dict(sorted(self.options.items())),
            "protocol": self.protocol_text,
            "outputs": dataclasses.asdict(self.outputs),
            "parameters": sorted(self.parameter_names),
        }

    def fingerprint(self) -> str:
        """Hash of :meth:`context` (16 hex characters)."""
        text = json.dumps(self.context(), sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def payload(self, resolved: dict[str, float] | None = None) -> dict[str, Any]:
        """What a worker needs to build its model once: small and picklable.

        Parameters
        ----------
        resolved : dict, optional
            Values of the :attr:`deferred` names (from
            :func:`sianode.sweep.calibrated.resolve_deferred`), required when there are any.
        """
        from ..errors import ParameterError
        from ..study import load_study

        resolved = dict(resolved or {})
        missing = sorted(set(self.deferred) - set(resolved))
        if missing:
            raise ParameterError(
                f"fixed.{missing[0]}: {self.deferred[missing[0]]!r} is resolved when the sweep "
                "runs (sianode.sweep.calibrated.resolve_deferred)"
            )
        study = load_study(self.study_path)
        return {
            "study_raw": study.raw,
            "study_path": str(study.path) if study.path else None,
            "material": self.material,
            "material_file": self.material_file,
            "n_cycles": self.n_cycles,
            "fixed": {**self.fixed, **resolved},
            "options": dict(self.options),
            "protocol_text": self.protocol_text or study.section("protocol")["text"],
            "outputs": dataclasses.asdict(self.outputs),
            "parameters": self.parameter_names,
            "fingerprint": self.fingerprint(),
        }


def _file_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return str(path)


def _study_digest(path: str | None) -> str:
    from ..study import reference_study_path

    p = Path(path) if path else reference_study_path()
    return _file_digest(str(p)) or str(p)
