"""Calibration of the strain-damage coefficient and the blind prediction (docs/calibration.md).

- :func:`calibrate_dense`: ``beta`` such that the dense cell keeps the reported retention.
- :func:`predict`: another material's cell with everything else unchanged.
- :func:`sensitivity_band`: the prediction over the uncertain inputs, re-calibrating on the
  dense cell whenever the damage law itself changes.
- :func:`fit_to_cycles`: least squares of named parameters on measured per-cycle capacity
  (real cycler data), with confidence intervals from the Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .cell import CellParameters, ModelOptions, build_cell, porosity_bounds
from .columns import CYCLE
from .errors import CalculationError, ParameterError
from .metrics import RETENTION_PRIMARY
from .protocol import Protocol, parse_protocol
from .simulation.reduced import Result, simulate
from .study import Study, load_study

__all__ = [
    "Calibration",
    "calibrate_dense",
    "predict",
    "sensitivity_band",
    "FitResult",
    "fit_to_cycles",
]


@dataclass
class Calibration:
    """Outcome of :func:`calibrate_dense`."""

    parameter: str
    value: float
    target: float
    achieved: float
    cycle: int
    material: str
    damage_exponent: float
    evaluations: int
    procedure: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "target": self.target,
            "achieved": self.achieved,
            "cycle": self.cycle,
            "material": self.material,
            "damage_exponent": self.damage_exponent,
            "evaluations": self.evaluations,
            "procedure": self.procedure,
        }


def _protocol(study: Study) -> Protocol:
    return parse_protocol(study.section("protocol")["text"])


def _target(study: Study, material: str = "dense") -> tuple[float, int]:
    where = f"reported.{material}"
    rep = study.section(where) if study.has(where) else {}
    if "retention" not in rep:
        raise ParameterError(
            f"{where}.retention: the study gives no {material}-cell retention to calibrate on"
        )
    try:
        target = float(rep["retention"])
    except (TypeError, ValueError):
        raise ParameterError(
            f"{where}.retention: a calibration target must be a number, got {rep['retention']!r}"
        ) from None
    if not 0 < target < 1:
        raise ParameterError(f"{where}.retention: must be in (0, 1), got {target}")
    return target, int(rep.get("retention_cycle", 50))


def calibrate_dense(
    study: Study | None = None,
    damage_exponent: float = 2.0,
    options: ModelOptions | None = None,
    material: str = "dense",
    target: float | None = None,
    cycle: int | None = None,
    **overrides: Any,
) -> Calibration:
    """Find ``beta`` so that the dense cell's primary retention at ``cycle`` equals ``target``.

    Parameters
    ----------
    study : Study, optional
        Default: the bundled reference study (17 % at cycle 50).
    damage_exponent : float
        m, fixed beforehand (default 2).
    **overrides
        Other :class:`CellParameters` fields (SI), fixed during the search.

    Raises
    ------
    CalculationError
        If even ``beta = 0`` keeps less than the target, or no bracket is found.
    """
    from scipy.optimize import brentq

    study = study or load_study()
    t_default, c_default = _target(study, material)
    target = t_default if target is None else target
    cycle = c_default if cycle is None else cycle
    proto = _protocol(study)
    base, _ = build_cell(study, material, damage_exponent=damage_exponent, **overrides)
    n_eval = 0

    def retention(beta: float) -> float:
        nonlocal n_eval
        n_eval += 1
        r = simulate(base.replace(beta=beta), proto, options, n_cycles=cycle, record=False)
        val = r.retention_at(cycle)
        return 0.0 if not np.isfinite(val) else val  # a cell that died before `cycle` kept 0

    r0 = retention(0.0)
    if r0 <= target:
        raise CalculationError(
            f"calibration: without damage the {material} cell keeps {100 * r0:.1f} % at cycle "
            f"{cycle}, already below the {100 * target:.1f} % target; beta cannot be found"
        )
    hi = 1e-3
    while retention(hi) > target:
        hi *= 4.0
        if hi > 10.0:
            raise CalculationError("calibration: no beta up to 10 reaches the target retention")
    value = brentq(
        lambda b: retention(b) - target, hi / 4.0 if hi > 1e-3 else 0.0, hi, xtol=1e-7, rtol=1e-5
    )
    achieved = retention(value)
    return Calibration(
        parameter="beta",
        value=float(value),
        target=target,
        achieved=achieved,
        cycle=cycle,
        material=material,
        damage_exponent=damage_exponent,
        evaluations=n_eval,
        procedure=(
            f"brentq on primary retention (cycle-{cycle} lithiation / cycle-1 lithiation) of the "
            f"{material} cell = {target}; damage exponent m = {damage_exponent} fixed; every other "
            "parameter fixed beforehand (docs/calibration.md)"
        ),
    )


def predict(
    calibration: Calibration,
    study: Study | None = None,
    material: str = "nanoporous",
    options: ModelOptions | None = None,
    n_cycles: int | None = None,
    record: bool = True,
    **overrides: Any,
) -> Result:
    """Simulate ``material``'s cell with the calibrated ``beta`` and nothing else changed.

    ``overrides`` go to :func:`sianode.cell.build_cell`: a descriptor such as ``porosity``
    re-derives the electrode geometry that follows from it.
    """
    study = study or load_study()
    cell, _ = build_cell(
        study,
        material,
        beta=calibration.value,
        damage_exponent=calibration.damage_exponent,
        **overrides,
    )
    return simulate(
        cell, _protocol(study), options, n_cycles=n_cycles or calibration.cycle, record=record
    )


@dataclass
class Band:
    """Sensitivity of the prediction: one row per variation."""

    low: float
    high: float
    central: float
    rows: list[dict[str, Any]] = field(default_factory=list)


def sensitivity_band(
    calibration: Calibration,
    study: Study | None = None,
    material: str = "nanoporous",
    porosities: tuple[float, ...] | None = None,
    usable_fractions: tuple[float, ...] = (0.5, 1.0),
    exponents: tuple[float, ...] = (1.5, 3.0),
    options: ModelOptions | None = None,
) -> Band:
    """Predicted retention [-] over the uncertain inputs (docs/calibration.md, rule 5).

    Porosity over the material's bounds from the study (:func:`sianode.cell.porosity_bounds`:
    sphere pores from BET to the synthesis template; reference study 0.328-0.483), each
    sample a cell rebuilt by :func:`sianode.cell.build_cell` (electrode thickness and volume
    fractions follow the porosity); usable pore fraction 0.5-1; damage exponent 1.5-3 with
    ``beta`` re-calibrated on the dense cell for each exponent.

    Parameters
    ----------
    porosities : tuple of float, optional
        Porosities to sample [-]; default the study's bounds (none for a dense material).
    """
    study = study or load_study()
    cyc = calibration.cycle
    if porosities is None:
        porosities = tuple(phi for phi, _why in porosity_bounds(study, material))
    central = predict(calibration, study, material, options, record=False).retention_at(cyc)
    rows: list[dict[str, Any]] = [{"variation": "central", "retention": central}]
    for phi in porosities:
        r = predict(calibration, study, material, options, record=False, porosity=phi)
        rows.append({"variation": f"porosity {phi:.3f}", "retention": r.retention_at(cyc)})
    for eta in usable_fractions:
        r = predict(calibration, study, material, options, record=False, usable_pore_fraction=eta)
        rows.append(
            {"variation": f"usable pore fraction {eta:.2f}", "retention": r.retention_at(cyc)}
        )
    for m in exponents:
        cal_m = calibrate_dense(
            study, damage_exponent=m, options=options, material=calibration.material
        )
        r = predict(cal_m, study, material, options, record=False)
        rows.append(
            {
                "variation": f"damage exponent {m:g} (beta re-calibrated on "
                f"{calibration.material}: {cal_m.value:.4g})",
                "retention": r.retention_at(cyc),
            }
        )
    vals = np.array([row["retention"] for row in rows], dtype=float)
    vals = np.where(np.isfinite(vals), vals, 0.0)
    return Band(low=float(vals.min()), high=float(vals.max()), central=float(central), rows=rows)


@dataclass
class FitResult:
    """Least-squares fit of cell parameters to measured per-cycle capacity."""

    names: list[str]
    values: np.ndarray
    stderr: np.ndarray
    ci95: np.ndarray
    rmse_Ah: float
    r_squared: float
    n_points: int
    cell: CellParameters
    success: bool
    message: str
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameters": {
                n: {"value": float(v), "stderr": float(s), "ci95": [float(lo), float(hi)]}
                for n, v, s, (lo, hi) in zip(self.names, self.values, self.stderr, self.ci95)
            },
            "rmse_mAh": 1e3 * self.rmse_Ah,
            "r_squared": self.r_squared,
            "n_points": self.n_points,
            "success": self.success,
            "message": self.message,
            "problems": list(self.problems),
        }


def fit_to_cycles(
    measured: pd.DataFrame,
    cell: CellParameters,
    protocol: Protocol | str,
    names: list[str],
    initial: dict[str, float] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    options: ModelOptions | None = None,
    column: str = "Lithiation Capacity / Ah",
) -> FitResult:
    """Fit ``names`` (CellParameters fields) to measured per-cycle capacities (scipy
    ``least_squares``, parameters in log space). Confidence intervals: +-1.96 standard errors
    from the Jacobian at the optimum (linearised; approximate).

    A fit is a failure (``success`` False, the reasons in ``problems``) when the optimiser
    reports one, a parameter ends at its bound (within 0.1 % in log space: the data does not
    pin it), R2 < 0 (worse than the measured values' mean) or a floating-point overflow
    occurred while fitting (a model evaluation outside its range).

    Parameters
    ----------
    measured : DataFrame
        Per-cycle table with ``Cycle Count / 1`` and ``column`` (as from
        :func:`sianode.cycling.cycle_table` or a simulation).

    Notes
    -----
    Fitted fields are set on ``cell`` as they are: a fitted ``porosity`` or
    ``particle_radius`` does not re-derive the electrode geometry and surface area the way
    :func:`sianode.cell.build_cell` does, so fit kinetic, transport and damage parameters
    here, and vary material descriptors through ``build_cell`` (or a sweep).
    """
    from scipy.optimize import least_squares

    if not names:
        raise ParameterError("fit: name at least one parameter")
    for n in names:
        if not hasattr(cell, n):
            raise ParameterError(f"fit: {n!r} is not a cell parameter")
    if column not in measured or CYCLE not in measured:
        raise ParameterError(f"fit: measured table needs '{CYCLE}' and {column!r}")
    cyc = measured[CYCLE].to_numpy(int)
    y = measured[column].to_numpy(float)
    ok = np.isfinite(y)
    cyc, y = cyc[ok], y[ok]
    if cyc.size < len(names) + 1:
        raise CalculationError(f"fit: {cyc.size} cycles are too few for {len(names)} parameters")
    proto = parse_protocol(protocol) if isinstance(protocol, str) else protocol
    n_cycles = int(cyc.max())
    x0 = np.array([np.log((initial or {}).get(n, getattr(cell, n)) or 1e-6) for n in names])
    lo = np.array([np.log((bounds or {}).get(n, (1e-12, 1e12))[0]) for n in names])
    hi = np.array([np.log((bounds or {}).get(n, (1e-12, 1e12))[1]) for n in names])
    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    scale = max(float(np.abs(y).max()), 1e-12)

    def model(logp: np.ndarray) -> np.ndarray:
        c = cell.replace(**{n: float(np.exp(v)) for n, v in zip(names, logp)})
        r = simulate(c, proto, options, n_cycles=n_cycles, record=False)
        sim = r.cycles.set_index(CYCLE)[column].reindex(cyc).to_numpy(float)
        return np.nan_to_num(sim, nan=0.0)

    import warnings

    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn"):
        warnings.simplefilter("always", RuntimeWarning)
        res = least_squares(
            lambda p: (model(p) - y) / scale, x0, bounds=(lo, hi), diff_step=1e-3, x_scale=1.0
        )
        values = np.exp(res.x)
        resid = res.fun * scale
        dof = max(cyc.size - len(names), 1)
        s2 = float(resid @ resid) / dof
        J = res.jac * scale
        try:
            cov_log = np.linalg.pinv(J.T @ J) * s2
            se_log = np.sqrt(np.clip(np.diag(cov_log), 0, None))
        except np.linalg.LinAlgError:
            se_log = np.full(len(names), np.inf)
        stderr = values * se_log
        ci = np.column_stack([values * np.exp(-1.96 * se_log), values * np.exp(1.96 * se_log)])
        ss_tot = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float(resid @ resid) / ss_tot if ss_tot > 0 else float("nan")
    fitted = cell.replace(**dict(zip(names, map(float, values))))
    problems = [] if res.success else [f"optimiser: {res.message}"]
    for n, x, a, b, v in zip(names, res.x, lo, hi, values):
        if min(x - a, b - x) <= 1e-3 * (b - a):
            bound = "lower" if x - a <= b - x else "upper"
            problems.append(f"{n} = {v:.4g} is at its {bound} bound (the data does not pin it)")
    if np.isfinite(r2) and r2 < 0:
        problems.append(f"R2 = {r2:.3g} < 0: the fit is worse than the mean of the measured values")
    overflow = sorted({str(w.message) for w in caught if "overflow" in str(w.message)})
    if overflow:
        problems.append(f"numerical overflow while fitting ({'; '.join(overflow)})")
    return FitResult(
        names=list(names),
        values=values,
        stderr=stderr,
        ci95=ci,
        rmse_Ah=float(np.sqrt(np.mean(resid**2))),
        r_squared=r2,
        n_points=int(cyc.size),
        cell=fitted,
        success=bool(res.success) and not problems,
        message=str(res.message),
        problems=problems,
    )


__all__ += ["Band", "RETENTION_PRIMARY"]
