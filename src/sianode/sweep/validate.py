"""Checks of a parsed sweep spec that need the study, run before a sweep starts.

:func:`sianode.sweep.parse.parse_spec` checks the spec on its own (keys, units, physical
ranges). :func:`validate_spec` then checks it against its study, before any folder is made
or any design runs: the material is one of the study's, the study's cell can be built with
the fixed values, and every value of every swept parameter, applied alone, gives a cell and
a protocol the simulator accepts. A spec that fails is one :class:`ParameterError` naming
the key, instead of a sweep of designs that are all "invalid".

Combinations of individually valid values can still be invalid; those designs are recorded
with status ``invalid`` and their reason, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError, SianodeError
from .model import SweepSpec
from .spec import PARAMETERS, closest

__all__ = ["validate_spec"]

#: At most this many distinct values per parameter are built (evenly spread over them).
MAX_VALUES_CHECKED = 64


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text


def _check_material(spec: SweepSpec, study: Any) -> None:
    if spec.material_file is not None:
        return
    materials = study.raw.get("materials", {})
    if spec.material not in materials:
        where = study.path or "the bundled reference study"
        raise ParameterError(
            f"sweep.material: {spec.material!r} is not a material of {where}"
            f"{closest(spec.material, materials)} (known: {', '.join(materials)})"
        )


def _axis_values(spec: SweepSpec) -> dict[str, np.ndarray]:
    """Distinct values of each swept parameter (range ends for sampled ranges)."""
    out: dict[str, np.ndarray] = {}
    for a in spec.grid:
        out[a.name] = np.unique(a.values)
    for r in spec.ranges:
        out[r.name] = np.array([r.low, r.high])
    if spec.table is not None:
        for name in spec.table.columns:
            out[name] = np.unique(spec.table[name].to_numpy(float))
    for name, vals in out.items():
        if len(vals) > MAX_VALUES_CHECKED:
            idx = np.unique(np.linspace(0, len(vals) - 1, MAX_VALUES_CHECKED).round().astype(int))
            out[name] = vals[idx]
    return out


def validate_spec(spec: SweepSpec) -> None:
    """Check ``spec`` against its study before anything runs (see the module docstring).

    Raises
    ------
    ParameterError
        Naming the key: an unknown material (with the closest known one), fixed values the
        study's cell cannot be built with, or a swept value that gives no valid cell or
        protocol.
    ParsingError
        If the study file cannot be read.
    """
    from ..cell import build_cell
    from ..study import load_study
    from .runner import DesignRunner

    try:
        study = load_study(spec.study_path)
    except SianodeError as exc:
        where = "sweep.study" if spec.study_path else "the bundled reference study"
        raise type(exc)(f"{where}: {_why(exc)}") from None
    _check_material(spec, study)
    # deferred values (beta = "calibrated") are not needed to check the geometry: use the
    # study's own value while checking
    placeholder: dict[str, float] = {}
    if spec.deferred:
        try:
            base, _ = build_cell(study, spec.material, spec.material_file)
        except (SianodeError, ValueError, ZeroDivisionError) as exc:
            raise ParameterError(f"sweep: the study's cell cannot be built ({_why(exc)})") from None
        placeholder = {
            n: float(getattr(base, n, 0.0)) / PARAMETERS[n].si_factor for n in spec.deferred
        }
    runner = DesignRunner(spec.payload(placeholder))
    try:
        cell = runner.cell_for({})
        runner.protocol_steps({}, cell)
    except (SianodeError, ValueError, ZeroDivisionError) as exc:
        where = "fixed" if spec.fixed else "sweep"
        raise ParameterError(f"{where}: the cell cannot be built ({_why(exc)})") from None
    for name, values in _axis_values(spec).items():
        unit = PARAMETERS[name].unit
        for v in values:
            params = {name: float(v)}
            try:
                cell = runner.cell_for(params)
                runner.protocol_steps(params, cell)
            except (SianodeError, ValueError, ZeroDivisionError) as exc:
                shown = f"{v:g}" if unit == "1" else f"{v:g} {unit}"
                raise ParameterError(
                    f"parameters.{name}: {shown} gives no valid design ({_why(exc)})"
                ) from None
