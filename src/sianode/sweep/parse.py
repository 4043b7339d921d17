"""Sweep specification (TOML): which designs to run, around which fixed cell and protocol.

A spec names a study (default: the bundled reference study), a material of it, the number
of cycles, fixed parameter values and mechanism options, and the swept parameters::

    [meta]                         # free-form: anything (author, project, notes); kept
    author = "A. Researcher"       # with the results, not part of the sweep's identity
    project = "np-Si screening"

    [sweep]
    name = "porosity x radius"
    material = "nanoporous"        # a [materials.<name>] section of the study
    cycles = 50
    seed = 1

    [fixed]                        # values every design shares (user units accepted)
    beta = 0.02                    # or "calibrated": calibrate_dense when the sweep runs
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

Parsing is strict and has no side effects: an unknown section or key (a misspelt
``oxide_thicknes``) is an error naming the key and the closest valid one; values outside
their physical range (porosity 1.2) and a spec with nothing to sweep are errors; nothing is
calibrated or simulated. ``beta = "calibrated"`` is resolved when the sweep runs
(:mod:`sianode.sweep.calibrated`, cached). Checks that need the study (the material exists,
every value gives a buildable cell) run before a sweep starts
(:func:`sianode.sweep.validate.validate_spec`). Free-form information goes in ``[meta]``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError, ParsingError
from .model import GridAxis, OutputSpec, Range, SweepSpec
from .spec import _canon, _info, check_bounds, closest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["parse_spec", "load_spec", "example_spec_path", "SECTIONS"]

#: Known sections and, for those with fixed keys, their keys. ``fixed`` and ``parameters``
#: take parameter names, ``options`` takes ModelOptions fields, ``meta`` anything.
SECTIONS: dict[str, tuple[str, ...] | None] = {
    "meta": None,
    "sweep": ("name", "study", "material", "material_file", "cycles", "seed"),
    "fixed": None,
    "options": None,
    "protocol": ("text",),
    "parameters": None,
    "sampling": ("method", "n", "seed"),
    "table": ("columns", "rows", "file", "units"),
    "outputs": tuple(f.name for f in dataclasses.fields(OutputSpec)),
}

#: Keys of a ``[parameters.<name>]`` block.
BLOCK_KEYS = ("values", "min", "max", "n", "scale", "unit")

#: Fixed values that are resolved when the sweep runs, and the words that ask for it.
DEFERRED_WORDS = {"beta": ("calibrated",)}


def _unknown(where: str, key: str, known: Any, what: str = "key") -> ParameterError:
    known = list(known)
    return ParameterError(
        f"{where}{key}: unknown {what}{closest(key, known)} (known: {', '.join(known)})"
    )


def _table_of(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ParameterError(f"{name}: expected a table [{name}], got {type(value).__name__}")
    return value


def _check_keys(raw: dict[str, Any]) -> None:
    for key in raw:
        if key not in SECTIONS:
            raise ParameterError(
                f"sweep spec: unknown section [{key}]{closest(key, SECTIONS)} "
                f"(known: {', '.join(SECTIONS)})"
            )
    for section, keys in SECTIONS.items():
        block = _table_of(raw, section)
        if keys is None:
            continue
        for key in block:
            if key not in keys:
                raise _unknown(f"{section}.", key, keys)


def _int_list(value: Any, where: str) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        raise ParameterError(f"{where}: expected a list of cycle numbers >= 1, got {value!r}")
    return list(value)


def _outputs(raw: dict[str, Any], n_cycles: int) -> OutputSpec:
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


def _value(name: str, value: Any, where: str, unit: str | None = None) -> float:
    """A user value of parameter ``name`` in its canonical unit, range-checked."""
    out = _canon(value, _info(name, where), where, unit)
    check_bounds(name, out, where)
    return out


def _param_block(name: str, block: Any, spec: SweepSpec) -> None:
    where = f"parameters.{name}"
    info = _info(name, where)
    if isinstance(block, list):
        block = {"values": block}
    if not isinstance(block, dict):
        raise ParameterError(f"{where}: expected a table with values or min/max")
    for key in block:
        if key not in BLOCK_KEYS:
            raise _unknown(f"{where}.", key, BLOCK_KEYS)
    unit = block.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ParameterError(f"{where}.unit: expected a unit string")
    scale = str(block.get("scale", "linear"))
    if scale not in ("linear", "log"):
        raise ParameterError(f"{where}.scale: 'linear' or 'log', got {scale!r}")
    if "values" in block:
        vals = block["values"]
        if not isinstance(vals, list) or not vals:
            raise ParameterError(f"{where}.values: expected a non-empty list")
        arr = np.array([_value(name, v, f"{where}.values", unit) for v in vals])
        spec.grid.append(GridAxis(name, arr))
        return
    if "min" not in block or "max" not in block:
        raise ParameterError(f"{where}: needs values = [...] or min and max")
    lo = _value(name, block["min"], f"{where}.min", unit)
    hi = _value(name, block["max"], f"{where}.max", unit)
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
    units = raw.get("units", {})
    if not isinstance(units, dict):
        raise ParameterError("table.units: expected a table of units by column name")
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
    names = [str(c).split(" / ")[0].strip() for c in df.columns]
    for key in units:
        if key not in names:
            raise _unknown("table.units.", key, names, "column")
    out = {}
    for col in df.columns:
        name = str(col).split(" / ")[0].strip()
        _info(name, f"table column {col!r}")
        unit = units.get(name) or (str(col).split(" / ")[1].strip() if " / " in str(col) else None)
        out[name] = [_value(name, v, f"table.{name}", unit) for v in df[col].tolist()]
    return pd.DataFrame(out)


def _head(head: dict[str, Any], spec: SweepSpec, base: Path) -> None:
    spec.name = str(head.get("name", "sweep"))
    study = head.get("study")
    if study is not None:
        p = Path(study)
        spec.study_path = str(p if p.is_absolute() else base / p)
    material = head.get("material", "dense")
    if not isinstance(material, str) or not material.strip():
        raise ParameterError(f"sweep.material: expected a material name, got {material!r}")
    spec.material = material
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


def _fixed(fixed_raw: dict[str, Any], spec: SweepSpec) -> None:
    for name, value in fixed_raw.items():
        where = f"fixed.{name}"
        _info(name, where)
        words = DEFERRED_WORDS.get(name, ())
        if isinstance(value, str) and value.strip().lower() in words:
            spec.deferred[name] = value.strip().lower()
            continue
        spec.fixed[name] = _value(name, value, where)


def _sampling(samp: dict[str, Any], spec: SweepSpec) -> None:
    method = str(samp.get("method", "lhs")).lower()
    if method not in ("lhs", "sobol", "random"):
        raise ParameterError(f"sampling.method: lhs, sobol or random, got {method!r}")
    spec.sampling = method
    if not spec.ranges:
        return
    n = samp.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ParameterError("sampling.n: ranges (min/max without n) need sampling.n >= 1")
    spec.n_samples = n
    if method == "sobol" and n & (n - 1):
        spec.notes.append(f"sampling: Sobol with n = {n} (not a power of 2) loses balance")
    if "seed" in samp:
        seed = samp["seed"]
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ParameterError(f"sampling.seed: expected an integer, got {seed!r}")
        spec.seed = seed


def parse_spec(text: str, base_dir: str | Path = ".") -> SweepSpec:
    """Parse a sweep spec from TOML text (relative paths resolve against ``base_dir``).

    Pure: reads at most a ``[table] file``; runs no calibration and no simulation.

    Raises
    ------
    ParsingError
        On invalid TOML or an unreadable table file.
    ParameterError
        On an unknown section, key or parameter (naming the closest known one), a value
        with the wrong unit or outside its physical range, an empty or inconsistent range,
        outputs beyond the number of cycles, or a spec with nothing to sweep.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParsingError(f"sweep spec: not valid TOML ({exc})") from None
    if not raw:
        raise ParameterError(
            "sweep spec: empty; give at least one [parameters.<name>] table or a [table] "
            "(sianode sweep-parameters lists the names)"
        )
    _check_keys(raw)
    base = Path(base_dir)
    spec = SweepSpec(source_text=text)
    spec.meta = dict(_table_of(raw, "meta"))
    _head(_table_of(raw, "sweep"), spec, base)
    from ..cell.parameters import OPTION_CHOICES, ModelOptions

    for k, v in _table_of(raw, "options").items():
        if k not in OPTION_CHOICES:
            raise _unknown("options.", k, OPTION_CHOICES, "option")
        spec.options[k] = str(v)
    ModelOptions(**spec.options)  # validates the choices
    _fixed(_table_of(raw, "fixed"), spec)
    proto = _table_of(raw, "protocol")
    if "text" in proto:
        from ..protocol import parse_protocol

        parse_protocol(str(proto["text"]))
        spec.protocol_text = str(proto["text"])
    for name, block in _table_of(raw, "parameters").items():
        if name in spec.fixed or name in spec.deferred:
            raise ParameterError(f"parameters.{name}: also in [fixed]; choose one")
        _param_block(name, block, spec)
    _sampling(_table_of(raw, "sampling"), spec)
    if "table" in raw:
        spec.table = _table(raw["table"], base)
        given = set(spec.fixed) | set(spec.deferred) | {a.name for a in spec.grid}
        given |= {r.name for r in spec.ranges}
        for name in spec.table.columns:
            if name in given:
                raise ParameterError(f"table column {name!r}: also given elsewhere in the spec")
    names = spec.parameter_names
    if len(set(names)) != len(names):
        raise ParameterError("parameters: a parameter appears twice")
    spec.outputs = _outputs(_table_of(raw, "outputs"), spec.n_cycles)
    if not names:
        raise ParameterError(
            "sweep spec: nothing to sweep; add a [parameters.<name>] table or a [table] "
            "(sianode sweep-parameters lists the names; one design: sianode simulate)"
        )
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
