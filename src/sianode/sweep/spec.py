"""Sweep specification (TOML): which designs to run, around which fixed cell and protocol.

A spec names a study (default: the bundled reference study), a material of it, the number
of cycles, fixed parameter values and mechanism options, and the swept parameters::

    [sweep]
    name = "porosity x radius"
    material = "nanoporous"        # a [materials.<name>] section of the study
    cycles = 50
    seed = 1

    [fixed]                        # values every design shares (user units accepted)
    beta = 0.02                    # or "calibrated": sianode.calibration.calibrate_dense
    stack_pressure = "75 MPa"

    [parameters.porosity]          # a grid axis: explicit values ...
    values = [0.0, 0.2, 0.4, 0.6]

    [parameters.particle_radius]   # ... or min/max/n (linear or log spacing)
    min = "0.5 um"
    max = "5 um"
    n = 4
    scale = "log"

    [parameters.conductivity]      # min/max without n: a range, sampled (see [sampling])
    min = "0.1 mS/cm"
    max = "1 mS/cm"

    [sampling]                     # how ranges are sampled jointly
    method = "lhs"                 # lhs | sobol | random
    n = 64

    [table]                        # explicit designs (optional): rows of values
    columns = ["beta", "damage_exponent"]
    rows = [[0.01, 2.0], [0.02, 1.5]]   # or file = "designs.csv" (header: names or "name / unit")
    units = {}                     # optional unit per column, e.g. {particle_radius = "nm"}

    [options]                      # mechanism switches (sianode.simulation.ModelOptions)
    diffusion = "radial"

    [protocol]                     # optional; default: the study's protocol
    text = '''Lithiate at 0.3 mA/cm2 until 0.04 V vs Li ...'''

    [outputs]
    retention_at = [50]
    retention_reference = 1        # 4: retention_c50_vs_c4 (after the formation cycles)
    capacity_at = [1, 50]
    first_cycle_efficiency = true
    coulombic_efficiency_at = []
    swelling = true
    energy = true

The design set is (table rows) x (grid product) x (range samples); a part that is not given
contributes a single empty design. Numbers without a unit are taken in the parameter's
canonical unit (or the block's ``unit``); ``sianode sweep-parameters`` lists them. Every
parameter is stored in its canonical unit (:data:`PARAMETERS`), in a column named
``"<name> / <unit>"``.

Parameters are applied at the level where they act (:class:`ParamInfo.target`):

- ``material``: written into the study's ``[materials.<name>]`` section before the cell is
  derived, so the electrode geometry follows (e.g. porosity changes the Si envelope volume,
  the electrode thickness and the volume fractions; a dense particle's radius sets its wall
  size and external surface area);
- ``cell``: written into the study's ``[cell]`` section (composite mass, pellet diameter ...);
- ``override``: any other :class:`~sianode.simulation.CellParameters` field, set after the
  derivation (converted to SI);
- ``protocol``: the cycling protocol of the design (current density of the cycling block,
  of the formation block, lithiation/delithiation cut-off voltages, lithiation capacity
  limit).

``lithiation_capacity_limit`` [mAh per g Si] adds a capacity limit to every lithiation step
("Lithiate at I until 0.04 V vs Li or Q mAh/g", :mod:`sianode.protocol`): the step ends at
whichever of the cut-off voltage and the capacity comes first. Under constant current the
protocol implements it as a time limit Q/I on the charge passed (side reactions included),
as a cycler's capacity cut does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cell.parameters import OVERRIDE_UNITS
from ..errors import ParameterError, ParsingError
from ..units import to_unit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PARAMETERS",
    "ParamInfo",
    "GridAxis",
    "Range",
    "OutputSpec",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "column_name",
    "design_id",
]


@dataclass(frozen=True)
class ParamInfo:
    """A sweepable parameter.

    Attributes
    ----------
    name : str
        Name used in the spec and in the results.
    unit : str
        Canonical unit: values are stored in it (column ``"<name> / <unit>"``).
    target : {"material", "cell", "override", "protocol"}
        Where the value acts (see module docstring).
    si_factor : float
        For ``override``: multiply the canonical value by this to get the SI value of the
        :class:`~sianode.simulation.CellParameters` field.
    description : str
        One line for users.
    """

    name: str
    unit: str
    target: str
    si_factor: float = 1.0
    description: str = ""


def _p(name: str, unit: str, target: str, si: float = 1.0, desc: str = "") -> ParamInfo:
    return ParamInfo(name, unit, target, si, desc)


#: Parameters with a derivation or protocol meaning; other CellParameters fields are added
#: below as SI overrides with a user-friendly canonical unit.
_SPECIAL: tuple[ParamInfo, ...] = (
    _p("porosity", "1", "material", desc="intra-particle porosity of the Si (geometry re-derived)"),
    _p("particle_radius", "um", "material", desc="Si particle / porous secondary-particle radius"),
    _p("bet_area", "m2/g", "material", desc="specific surface area (sets walls and oxide area)"),
    _p("pore_diameter", "nm", "material", desc="pore diameter (with BET area: porosity)"),
    _p("composite_mass", "mg", "cell", desc="composite electrode mass (loading)"),
    _p("pellet_diameter", "mm", "cell", desc="pellet diameter"),
    _p("separator_mass", "mg", "cell", desc="separator (solid electrolyte) mass"),
    _p("composite_relative_density", "1", "cell", desc="composite relative density"),
    _p("current_density", "mA/cm2", "protocol", desc="current density of the cycling block"),
    _p("formation_current_density", "mA/cm2", "protocol", desc="current density of earlier blocks"),
    _p("lithiation_cutoff", "V", "protocol", desc="lithiation cut-off [V vs Li+/Li]"),
    _p("delithiation_cutoff", "V", "protocol", desc="delithiation cut-off [V vs Li+/Li]"),
    _p(
        "lithiation_capacity_limit",
        "mAh/g",
        "protocol",
        desc="lithiation capacity cut per g Si ('... or Q mAh/g' on lithiation steps)",
    ),
)

#: Canonical units of CellParameters fields used as overrides: (unit, factor to SI).
#: Owned by the parameter dataclass (sianode.cell.parameters.OVERRIDE_UNITS).
_OVERRIDE_UNITS: dict[str, tuple[str, float]] = OVERRIDE_UNITS


def _build_registry() -> dict[str, ParamInfo]:
    from ..simulation.parameters import PARAM_NAMES

    reg = {p.name: p for p in _SPECIAL}
    for name in PARAM_NAMES:
        if name in reg:
            continue
        unit, factor = _OVERRIDE_UNITS.get(name, ("1", 1.0))
        reg[name] = ParamInfo(name, unit, "override", factor, f"CellParameters.{name}")
    return reg


#: Every parameter a spec may fix or sweep, by name.
PARAMETERS: dict[str, ParamInfo] = _build_registry()


def column_name(name: str) -> str:
    """Results column of parameter ``name``: ``"<name> / <unit>"``."""
    return f"{name} / {PARAMETERS[name].unit}"


def _info(name: str, where: str) -> ParamInfo:
    try:
        return PARAMETERS[name]
    except KeyError:
        close = sorted(PARAMETERS)
        raise ParameterError(
            f"{where}: unknown parameter {name!r}; known: {', '.join(close)}"
        ) from None


def _canon(value: Any, info: ParamInfo, where: str, unit: str | None = None) -> float:
    """A user value (number in ``unit`` or the canonical unit, or a string with a unit) in
    the canonical unit of ``info``."""
    if isinstance(value, bool):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, float)) and unit and unit != info.unit:
        value = f"{value} {unit}"
    if info.unit == "1":
        if isinstance(value, str):
            out = to_unit(value, "dimensionless", where)
        else:
            out = float(value)
    else:
        out = to_unit(value, info.unit, where)
    if not math.isfinite(out):
        raise ParameterError(f"{where}: must be finite, got {value!r}")
    return out


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
            "options": dict(sorted(self.options.items())),
            "protocol": self.protocol_text,
            "outputs": dataclasses.asdict(self.outputs),
            "parameters": sorted(self.parameter_names),
        }

    def fingerprint(self) -> str:
        """Hash of :meth:`context` (16 hex characters)."""
        text = json.dumps(self.context(), sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def payload(self) -> dict[str, Any]:
        """What a worker needs to build its model once: small and picklable."""
        from ..study import load_study

        study = load_study(self.study_path)
        return {
            "study_raw": study.raw,
            "study_path": str(study.path) if study.path else None,
            "material": self.material,
            "material_file": self.material_file,
            "n_cycles": self.n_cycles,
            "fixed": dict(self.fixed),
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


# ---------------------------------------------------------------------- parsing


def _int_list(value: Any, where: str) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        raise ParameterError(f"{where}: expected a list of cycle numbers >= 1, got {value!r}")
    return list(value)


def _outputs(raw: dict[str, Any], n_cycles: int) -> OutputSpec:
    known = {f.name for f in dataclasses.fields(OutputSpec)}
    for key in raw:
        if key not in known:
            raise ParameterError(
                f"outputs.{key}: unknown output; known: {', '.join(sorted(known))}"
            )
    out = OutputSpec(retention_at=[n_cycles])
    for key in ("retention_at", "capacity_at", "coulombic_efficiency_at"):
        if key in raw:
            setattr(out, key, _int_list(raw[key], f"outputs.{key}"))
    for key in ("first_cycle_efficiency", "swelling", "energy"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ParameterError(f"outputs.{key}: expected true or false")
            setattr(out, key, raw[key])
    if "retention_reference" in raw:
        ref = raw["retention_reference"]
        if not isinstance(ref, int) or isinstance(ref, bool) or ref < 1:
            raise ParameterError("outputs.retention_reference: expected a cycle number >= 1")
        out.retention_reference = ref
    for n in (
        out.retention_at + out.capacity_at + out.coulombic_efficiency_at + [out.retention_reference]
    ):
        if n > n_cycles:
            raise ParameterError(f"outputs: cycle {n} is beyond sweep.cycles = {n_cycles}")
    return out


def _resolve_beta(
    value: Any,
    study_path: str | None,
    notes: list[str],
    options: dict[str, str],
    damage_exponent: float | None,
) -> float:
    """``beta`` from the spec: a number, or ``"calibrated"`` (dense-cell calibration with the
    spec's options and damage exponent, via ``sianode.calibration.calibrate_dense``)."""
    if not (isinstance(value, str) and value.strip().lower() == "calibrated"):
        return _canon(value, PARAMETERS["beta"], "fixed.beta")
    try:
        from .. import calibration  # type: ignore[attr-defined]
    except ImportError:
        calibration = None
    fn = getattr(calibration, "calibrate_dense", None)
    if fn is None:
        raise ParameterError(
            "fixed.beta: 'calibrated' needs sianode.calibration.calibrate_dense, which this "
            "installation does not have; give beta as a number"
        )
    from ..simulation.parameters import ModelOptions
    from ..study import load_study

    kwargs: dict[str, Any] = {"options": ModelOptions(**options)}
    if damage_exponent is not None:
        kwargs["damage_exponent"] = damage_exponent
    try:
        res = fn(load_study(study_path), **kwargs)
    except TypeError:
        res = fn(load_study(study_path))
    if isinstance(res, dict):
        beta = res.get("value", res.get("beta"))
    else:
        beta = getattr(res, "value", getattr(res, "beta", res))
    beta = float(beta)  # type: ignore[arg-type]
    notes.append(
        f"beta = {beta:.6g} from sianode.calibration.calibrate_dense (dense cell only, same "
        "model options and damage exponent as the sweep)"
    )
    return beta


def _param_block(name: str, block: Any, spec: SweepSpec) -> None:
    where = f"parameters.{name}"
    info = _info(name, where)
    if isinstance(block, list):
        block = {"values": block}
    if not isinstance(block, dict):
        raise ParameterError(f"{where}: expected a table with values or min/max")
    unit = block.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ParameterError(f"{where}.unit: expected a unit string")
    allowed = {"values", "min", "max", "n", "scale", "unit"}
    for key in block:
        if key not in allowed:
            raise ParameterError(f"{where}.{key}: unknown key; use values, or min/max [n, scale]")
    scale = str(block.get("scale", "linear"))
    if scale not in ("linear", "log"):
        raise ParameterError(f"{where}.scale: 'linear' or 'log', got {scale!r}")
    if "values" in block:
        vals = block["values"]
        if not isinstance(vals, list) or not vals:
            raise ParameterError(f"{where}.values: expected a non-empty list")
        arr = np.array([_canon(v, info, f"{where}.values", unit) for v in vals])
        spec.grid.append(GridAxis(name, arr))
        return
    if "min" not in block or "max" not in block:
        raise ParameterError(f"{where}: needs values = [...] or min and max")
    lo = _canon(block["min"], info, f"{where}.min", unit)
    hi = _canon(block["max"], info, f"{where}.max", unit)
    if not hi > lo:
        raise ParameterError(f"{where}: max must be above min ({lo} .. {hi} {info.unit})")
    if scale == "log" and lo <= 0:
        raise ParameterError(f"{where}: log scale needs min > 0")
    if "n" in block:
        n = block["n"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ParameterError(f"{where}.n: expected an integer >= 1")
        if scale == "log":
            arr = np.geomspace(lo, hi, n) if n > 1 else np.array([lo])
        else:
            arr = np.linspace(lo, hi, n) if n > 1 else np.array([lo])
        spec.grid.append(GridAxis(name, arr))
    else:
        spec.ranges.append(Range(name, lo, hi, scale))


def _table(raw: dict[str, Any], base_dir: Path) -> pd.DataFrame:
    if "file" in raw:
        path = Path(raw["file"])
        if not path.is_absolute():
            path = base_dir / path
        try:
            df = pd.read_csv(path)
        except FileNotFoundError:
            raise ParsingError(f"table.file: {path}: no such file") from None
        except Exception as exc:
            raise ParsingError(f"table.file: {path}: not a CSV table ({exc})") from None
        units = raw.get("units", {})
    else:
        cols = raw.get("columns")
        rows = raw.get("rows")
        if not isinstance(cols, list) or not isinstance(rows, list) or not rows:
            raise ParameterError(
                "table: needs file = '...csv' or columns = [...] and rows = [[...]]"
            )
        for i, r in enumerate(rows):
            if not isinstance(r, list) or len(r) != len(cols):
                raise ParameterError(f"table.rows[{i}]: expected {len(cols)} values")
        df = pd.DataFrame(rows, columns=cols)
        units = raw.get("units", {})
    out = {}
    for col in df.columns:
        name = str(col).split(" / ")[0].strip()
        info = _info(name, f"table column {col!r}")
        unit = units.get(name) or (str(col).split(" / ")[1].strip() if " / " in str(col) else None)
        out[name] = [_canon(v, info, f"table.{name}", unit) for v in df[col].tolist()]
    return pd.DataFrame(out)


def parse_spec(text: str, base_dir: str | Path = ".") -> SweepSpec:
    """Parse a sweep spec from TOML text (relative paths resolve against ``base_dir``).

    Raises
    ------
    ParsingError
        On invalid TOML or an unreadable table file.
    ParameterError
        On an unknown parameter, a value with the wrong unit, an empty or inconsistent
        range, or outputs beyond the number of cycles.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParsingError(f"sweep spec: not valid TOML ({exc})") from None
    base = Path(base_dir)
    known = {"sweep", "fixed", "options", "protocol", "parameters", "sampling", "table", "outputs"}
    for key in raw:
        if key not in known:
            raise ParameterError(
                f"sweep spec: unknown section [{key}]; known: {', '.join(sorted(known))}"
            )
    head = raw.get("sweep", {})
    for key in head:
        if key not in ("name", "study", "material", "material_file", "cycles", "seed"):
            raise ParameterError(
                f"sweep.{key}: unknown key; known: name, study, material, material_file, cycles, seed"
            )
    for key in raw.get("sampling", {}):
        if key not in ("method", "n", "seed"):
            raise ParameterError(f"sampling.{key}: unknown key; known: method, n, seed")
    spec = SweepSpec(source_text=text)
    spec.name = str(head.get("name", "sweep"))
    study = head.get("study")
    if study is not None:
        p = Path(study)
        spec.study_path = str(p if p.is_absolute() else base / p)
    spec.material = str(head.get("material", "dense"))
    mf = head.get("material_file")
    if mf is not None:
        p = Path(mf)
        spec.material_file = str(p if p.is_absolute() else base / p)
    cycles = head.get("cycles", 50)
    if not isinstance(cycles, int) or isinstance(cycles, bool) or cycles < 1:
        raise ParameterError(f"sweep.cycles: expected an integer >= 1, got {cycles!r}")
    spec.n_cycles = cycles
    seed = head.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ParameterError(f"sweep.seed: expected an integer, got {seed!r}")
    spec.seed = seed
    # options
    from ..simulation.parameters import OPTION_CHOICES, ModelOptions

    opts = raw.get("options", {})
    for k, v in opts.items():
        if k not in OPTION_CHOICES:
            raise ParameterError(f"options.{k}: unknown option; known: {', '.join(OPTION_CHOICES)}")
        spec.options[k] = str(v)
    ModelOptions(**spec.options)  # validates
    # fixed values (beta last: "calibrated" uses the options and damage exponent)
    fixed_raw = dict(raw.get("fixed", {}))
    for name, value in fixed_raw.items():
        info = _info(name, f"fixed.{name}")
        if name != "beta":
            spec.fixed[name] = _canon(value, info, f"fixed.{name}")
    if "beta" in fixed_raw:
        spec.fixed["beta"] = _resolve_beta(
            fixed_raw["beta"],
            spec.study_path,
            spec.notes,
            spec.options,
            spec.fixed.get("damage_exponent"),
        )
    proto = raw.get("protocol", {})
    if "text" in proto:
        from ..protocol import parse_protocol

        parse_protocol(str(proto["text"]))
        spec.protocol_text = str(proto["text"])
    # parameters
    for name, block in raw.get("parameters", {}).items():
        if name in spec.fixed:
            raise ParameterError(f"parameters.{name}: also in [fixed]; choose one")
        _param_block(name, block, spec)
    samp = raw.get("sampling", {})
    method = str(samp.get("method", "lhs")).lower()
    if method not in ("lhs", "sobol", "random"):
        raise ParameterError(f"sampling.method: lhs, sobol or random, got {method!r}")
    spec.sampling = method
    if spec.ranges:
        n = samp.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ParameterError("sampling.n: ranges (min/max without n) need sampling.n >= 1")
        spec.n_samples = n
        if method == "sobol" and n & (n - 1):
            spec.notes.append(f"sampling: Sobol with n = {n} (not a power of 2) loses balance")
        if "seed" in samp:
            spec.seed = int(samp["seed"])
    if "table" in raw:
        spec.table = _table(raw["table"], base)
        for name in spec.table.columns:
            if name in spec.fixed or name in [a.name for a in spec.grid] + [
                r.name for r in spec.ranges
            ]:
                raise ParameterError(f"table column {name!r}: also given elsewhere in the spec")
    names = spec.parameter_names
    if len(set(names)) != len(names):
        raise ParameterError("parameters: a parameter appears twice")
    spec.outputs = _outputs(raw.get("outputs", {}), spec.n_cycles)
    return spec


def load_spec(path: str | Path) -> SweepSpec:
    """Read a sweep spec TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParsingError(f"{p}: no such sweep spec") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParsingError(f"{p}: cannot read sweep spec ({exc})") from None
    return parse_spec(text, p.parent)


def example_spec_path() -> Path:
    """Path of the bundled example spec (``sianode/data/example_sweep.toml``)."""
    from importlib import resources

    return Path(str(resources.files("sianode") / "data" / "example_sweep.toml"))
