"""Prior-based prediction band: sample every assumed input, re-calibrate, predict.

For each sample of the priors (``data/priors.toml``; a Sobol/Saltelli design from SALib,
so the same runs give the Sobol indices), the dense cell's damage coefficient ``beta`` is
re-calibrated on its reported retention (as :func:`sianode.calibration.calibrate_dense`
does for one set of inputs), and the nanoporous cell is predicted with that ``beta``. All
samples run together through the batch engine: the calibration is a vectorised
Illinois (safeguarded regula falsi) search on ``log retention(beta)``, each iteration one
batch of the samples not yet converged. A sample whose calibration or prediction fails is
counted with its reason, never dropped silently.

Runs go in chunks cached on disk (``SIANODE_CACHE_DIR``, default ``~/.cache/sianode``),
keyed by the study, the priors, the options, the design and the simulator's source: an
interrupted run resumes from its last finished chunk, and a repeated one is read back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..cell import CellParameters, ModelOptions, build_cell, electrode_geometry
from ..constants import RHO_SI_G_CM3
from ..errors import ParameterError
from ..protocol import parse_protocol
from ..simulation import kernel as K
from ..simulation.batch import simulate_batch
from ..study import Study, load_study
from ..units import to_unit
from .measurements import rank_measurements, sample_observables
from .priors import Prior, load_priors
from .sensitivity import saltelli_design, sobol_indices

__all__ = [
    "BLIND_LABEL_NEW",
    "BLIND_LABEL_REVIEWED",
    "BandResult",
    "prediction_band",
]

log = logging.getLogger(__name__)

#: How a prediction is labelled: a study that holds an earlier blind prediction of the
#: material (``[prediction_record]``) has been reviewed against it since.
BLIND_LABEL_REVIEWED = "after informed review, not blind"
BLIND_LABEL_NEW = "blind prediction"

BETA_MAX = 10.0  # as calibrate_dense
_ROW = {name: i for i, name in enumerate(K.CYCLE_COLUMNS)}


# ------------------------------------------------------------------------ cell building
@dataclass
class _Base:
    """A material's study cell and what its derived inputs need."""

    cell: CellParameters
    has_bet: bool
    composite_mass_mg: float
    fractions: dict[str, float]
    diameter_mm: float
    relative_density: float
    se_key: str


def _bases(study: Study, materials: tuple[str, ...]) -> dict[str, _Base]:
    c = study.section("cell")
    out = {}
    for m in materials:
        cell, prov = build_cell(study, m)
        fractions = dict(c.get("composition", {}))
        out[m] = _Base(
            cell=cell,
            has_bet="bet_area" in prov,
            composite_mass_mg=to_unit(c["composite_mass"], "mg", "cell.composite_mass"),
            fractions=fractions,
            diameter_mm=to_unit(c["pellet_diameter"], "mm", "cell.pellet_diameter"),
            relative_density=float(c.get("composite_relative_density", 1.0)),
            se_key=next(k for k in fractions if k in ("Li3PS4", "LPS", "SE")),
        )
    return out


def _cells_for_sample(
    study: Study, sample: dict[Prior, float], bases: dict[str, _Base]
) -> dict[str, CellParameters]:
    """Every material's cell for one sample of the priors: the ONE place a sample becomes
    cells.

    Equal to :func:`sianode.cell.build_cell` ``(study, material, **sample)`` (tests in
    tests/uncertainty check it over the whole prior table), without re-reading the study
    for every sample (build_cell takes ~5 ms a call, a third of a sample's simulations):
    from the material's study cell (built once by build_cell), the electrode geometry
    follows a sampled porosity or composite relative density through
    :func:`sianode.cell.electrode_geometry`, and a material without a BET area gets the
    wall size and external area of dense spheres of the sampled radius, as
    :func:`sianode.cell.material_descriptors` derives them.
    """
    out = {}
    for mat, b in bases.items():
        over: dict[str, float] = {}
        for p, v in sample.items():
            if p.applies_to(mat) and not p.pending:
                over[p.key] = float(v)
        rel = over.pop("composite_relative_density", b.relative_density)
        if "porosity" in over or rel != b.relative_density:
            phi = over.get("porosity", b.cell.porosity)
            geo = electrode_geometry(
                b.composite_mass_mg, b.fractions, b.diameter_mm, rel, si_porosity=phi
            )
            over["electrode_thickness"] = float(geo.thickness_um) * 1e-6
            over["electrode_se_fraction"] = float(geo.volume_fractions[b.se_key])
            over["envelope_fraction"] = float(geo.si_envelope_fraction)
        if "particle_radius" in over and not b.has_bet:
            r_um = over["particle_radius"] * 1e6
            over["wall_size"] = 2e3 * r_um * 1e-9
            over["surface_area"] = 3.0 / (RHO_SI_G_CM3 * 1e6 * r_um * 1e-6) * 1e3
        out[mat] = b.cell.replace(**over)
    return out


# ----------------------------------------------------------------------- calibration
def _retention(res: Any, cycle: int) -> np.ndarray:
    r = res.retention(cycle)
    return np.where(np.isfinite(r), r, 0.0)  # a cell that died before `cycle` kept 0


def _rows(res: Any, cycle: int) -> np.ndarray:
    """Cycle-1 and cycle-``cycle`` rows (NaN where not reached), shape (n, 2, NCY)."""
    n = len(res.cells)
    out = np.full((n, 2, K.NCY), np.nan)
    for j, c in enumerate((1, cycle)):
        ok = res.n_cycles >= c
        out[ok, j] = res.raw[ok, c - 1]
    return out


def _no_charge(status: str) -> str:
    """Why a cell has no cycle-1 capacity: its status, or (when it ran to the end) that its
    first lithiation met the cut-off at once."""
    if status == K.STATUS_TEXT.get(K.OK, "completed"):
        return "its first lithiation takes no charge (cut-off reached at once)"
    return status


def _calibrate_beta(
    cells: list[CellParameters],
    tab: dict[str, np.ndarray],
    target: float,
    cycle: int,
    c0: float | np.ndarray,
    options: ModelOptions,
    tol: float = 5e-5,
    max_iter: int = 30,
) -> tuple[np.ndarray, list[str], np.ndarray, int]:
    """``beta`` of every cell such that its retention at ``cycle`` is ``target`` (+-tol:
    5e-5 = 0.005 percentage points, far below the band's resolution).

    Retention falls with beta close to ``r = r0 / (1 + c beta)`` (``r0`` without damage;
    for the study's cell, ``r0 / r - 1`` grows as beta^1.0-1.05 over 1e-3-3e-2), so the
    search solves ``y(u) = log(r0 / r - 1) = log(r0 / target - 1)`` in ``u = log beta``:
    first guess ``c = c0`` (per cell or one value), secant steps (initial slope 1) until the
    root is bracketed, then Illinois. A sample whose first lithiation cannot start, that
    keeps less than the target without damage, or that needs beta > :data:`BETA_MAX`
    fails with that reason.

    Returns (beta, reasons ("" = calibrated), cycle rows at the accepted beta, number of
    simulations, fitted c = (r0 / target - 1) / beta)."""
    n = len(cells)
    reasons = [""] * n
    rows = np.full((n, 2, K.NCY), np.nan)
    beta = np.full(n, np.nan)
    n_sim = 0

    def run(idx: np.ndarray, b: np.ndarray) -> Any:
        nonlocal n_sim
        n_sim += idx.size
        return simulate_batch(
            [cells[i].replace(beta=float(v)) for i, v in zip(idx, b)], [tab] * idx.size, options
        )

    res0 = run(np.arange(n), np.zeros(n))
    r0 = _retention(res0, cycle)
    rows[:] = _rows(res0, cycle)
    first = res0.capacity_Ah(1)
    active = np.ones(n, dtype=bool)
    for i in range(n):
        if not first[i] > 0:
            reasons[i] = f"calibration: dense cell: {_no_charge(res0.status[i])}"
            active[i] = False
        elif not r0[i] > target:
            reasons[i] = (
                f"calibration: without damage the dense cell keeps less than the "
                f"{100 * target:.0f} % target at cycle {cycle}"
            )
            active[i] = False
    with np.errstate(divide="ignore", invalid="ignore"):
        y_t = np.log(r0 / target - 1.0)
    c_guess = np.broadcast_to(np.asarray(c0, dtype=float), (n,))
    u = np.where(active, y_t - np.log(c_guess), 0.0)  # y = u + log c
    lo, glo = np.full(n, -np.inf), np.full(n, np.nan)  # g > 0: beta too small
    hi, ghi = np.full(n, np.inf), np.full(n, np.nan)
    prev_u, prev_g = np.full(n, np.nan), np.full(n, np.nan)
    side = np.zeros(n, dtype=int)
    u_max = np.log(BETA_MAX)
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        res = run(idx, np.exp(u[idx]))
        r = _retention(res, cycle)
        rows[idx] = _rows(res, cycle)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = y_t[idx] - np.log(np.maximum(r0[idx] / np.maximum(r, 1e-9) - 1.0, 1e-12))
        log.debug("calibration iteration %d: %d samples", it, idx.size)
        for k, i in enumerate(idx):
            if abs(r[k] - target) <= tol:
                beta[i] = np.exp(u[i])
                active[i] = False
                continue
            if g[k] > 0:
                lo[i], glo[i] = u[i], g[k]
                if side[i] == 1:
                    ghi[i] *= 0.5
                side[i] = 1
            else:
                hi[i], ghi[i] = u[i], g[k]
                if side[i] == -1:
                    glo[i] *= 0.5
                side[i] = -1
            if np.isfinite(lo[i]) and np.isfinite(hi[i]):
                if hi[i] - lo[i] <= 1e-9:
                    reasons[i] = (
                        "calibration: retention jumps across the target (the cell dies "
                        f"at beta = {np.exp(hi[i]):.4g})"
                    )
                    active[i] = False
                    continue
                nu = lo[i] - glo[i] * (hi[i] - lo[i]) / (ghi[i] - glo[i])
                if not (lo[i] < nu < hi[i]):
                    nu = 0.5 * (lo[i] + hi[i])
            else:
                s = 1.0
                if np.isfinite(prev_u[i]) and prev_u[i] != u[i]:
                    s_sec = -(g[k] - prev_g[i]) / (u[i] - prev_u[i])
                    s = s_sec if s_sec > 0.05 else s
                nu = u[i] + float(np.clip(g[k] / s, -4.0, 4.0))
                if nu > u_max:
                    if u[i] >= u_max:
                        reasons[i] = f"calibration: no beta up to {BETA_MAX:g} reaches the target"
                        active[i] = False
                        continue
                    nu = u_max
            prev_u[i], prev_g[i] = u[i], g[k]
            u[i] = nu
    for i in np.flatnonzero(active):
        reasons[i] = f"calibration: no convergence in {max_iter} iterations"
    with np.errstate(divide="ignore", invalid="ignore"):
        c_fit = (r0 / target - 1.0) / beta
    return beta, reasons, rows, n_sim, c_fit


def _calibrate_grouped(
    cells: list[CellParameters],
    group_pos: np.ndarray,
    tab: dict[str, np.ndarray],
    target: float,
    cycle: int,
    c0: float,
    options: ModelOptions,
) -> tuple[np.ndarray, list[str], np.ndarray, int]:
    """:func:`_calibrate_beta` for a Saltelli design: the rows of a group (A, AB_1..AB_D,
    B) differ from their group's first row (A) in one input (B: in all), so A is
    calibrated first and its fitted ``c`` is the first guess of the rest of its group
    (about one batch fewer than starting from the study cell's ``c``)."""
    n = len(cells)
    anchor = np.flatnonzero(group_pos == 0)
    rest = np.flatnonzero(group_pos != 0)
    beta = np.full(n, np.nan)
    reasons = [""] * n
    rows = np.full((n, 2, K.NCY), np.nan)
    b_a, r_a, rows_a, k_a, c_a = _calibrate_beta(
        [cells[i] for i in anchor], tab, target, cycle, c0, options
    )
    c_of = dict(zip(anchor.tolist(), c_a))
    guess = np.array([c_of.get(int(i - group_pos[i]), np.nan) for i in rest])
    guess = np.where(np.isfinite(guess) & (guess > 0), guess, c0)
    b_r, r_r, rows_r, k_r, _ = _calibrate_beta(
        [cells[i] for i in rest], tab, target, cycle, guess, options
    )
    for idx, b, r, rw in ((anchor, b_a, r_a, rows_a), (rest, b_r, r_r, rows_r)):
        beta[idx] = b
        rows[idx] = rw
        for j, i in enumerate(idx):
            reasons[i] = r[j]
    return beta, reasons, rows, k_a + k_r


def _central_rate(
    study: Study,
    options: ModelOptions,
    target: float,
    cycle: int,
    tab: dict[str, np.ndarray],
    calibrate: Callable,
) -> float:
    """``c = (r0 / target - 1) / beta`` of the study's own dense cell (the search's first
    guess; ``r0``: its retention without damage)."""
    from ..errors import CalculationError

    try:
        cal = calibrate(study, options=options, material="dense")
    except CalculationError as exc:  # the study's own cell cannot be calibrated: samples may
        log.warning("band: %s; the search starts from c = 150 instead", exc)
        return 150.0  # v0.1's study cell: (0.30 / 0.17 - 1) / 0.0046
    cell, _ = build_cell(study, "dense")
    res = simulate_batch([cell.replace(beta=0.0)], [tab], options)
    ratio = _retention(res, cycle)[0] / target - 1.0
    return float(ratio / cal.value) if ratio > 0 and cal.value > 0 else 100.0


# --------------------------------------------------------------------------- results
@dataclass
class BandResult:
    """Outcome of :func:`prediction_band` (retention values as fractions)."""

    material: str
    cycle: int
    target: float
    priors: list[Prior]
    labels: list[str]
    X: np.ndarray
    beta: np.ndarray
    retention: np.ndarray
    reasons: list[str]
    observables: dict[str, np.ndarray]
    saltelli_N: int
    sobol: list[dict[str, Any]] = field(default_factory=list)
    sobol_failure: list[dict[str, Any]] = field(default_factory=list)
    ranking: list[dict[str, Any]] = field(default_factory=list)
    simulations: int = 0
    wall_time_s: float = float("nan")
    measured_pct: float | None = None
    held: list[str] = field(default_factory=list)
    #: the study's earlier blind prediction of this material, kept unchanged
    #: (:meth:`sianode.study.Study.prediction_record`), or None
    blind_record: dict[str, Any] | None = None

    @property
    def samples(self) -> int:
        return int(self.retention.size)

    @property
    def ok(self) -> np.ndarray:
        return np.array([not r for r in self.reasons]) & np.isfinite(self.retention)

    @property
    def failed(self) -> int:
        return int(self.samples - self.ok.sum())

    @property
    def failed_fraction(self) -> float:
        return self.failed / self.samples if self.samples else float("nan")

    def quantiles_pct(self) -> tuple[float, float, float]:
        """(5 %, median, 95 %) of the predicted retention [%] over calibrated samples."""
        v = 100.0 * self.retention[self.ok]
        if v.size == 0:
            return (float("nan"),) * 3
        q = np.percentile(v, [5, 50, 95])
        return float(q[0]), float(q[1]), float(q[2])

    def sobol_note(self) -> str:
        note = (
            "Sobol indices of the predicted retention over all samples (+- : 95 % bootstrap "
            "half-width); a failed sample counts as the median of the calibrated ones"
        )
        if self.failed_fraction > 0.1:
            note += (
                f". NOT RELIABLE here: {100 * self.failed_fraction:.0f} % of the samples failed, "
                "so the indices mostly describe the imputed values; read the failure indices"
            )
        return note

    def failure_reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.reasons:
            if r:
                out[r] = out.get(r, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def prior_table(self) -> list[dict[str, Any]]:
        return [
            {
                "name": p.name,
                "key": p.key,
                "materials": list(p.materials) or ["all"],
                "distribution": p.distribution,
                "range": list(p.table_range),
                "unit": p.unit,
                "source": p.source,
                "note": p.note,
                "pending": p.pending,
            }
            for p in self.priors
        ]

    def to_summary(self) -> dict[str, Any]:
        """The fields ``summary.json`` carries (issue 14 E)."""
        q5, q50, q95 = self.quantiles_pct()
        out: dict[str, Any] = {
            "nanoporous": {
                "retention_pct": q50,
                "retention_band_pct": [q5, q95],
                "band_samples": self.samples,
                "band_failed_fraction": self.failed_fraction,
            },
            "measurement_ranking": [
                {
                    "measurement": r["measurement"],
                    "band_width_reduction_pct": r["band_width_reduction_pct"],
                }
                for r in self.ranking
            ],
            "band": {
                "label": BLIND_LABEL_REVIEWED if self.blind_record else BLIND_LABEL_NEW,
                "material": self.material,
                "cycle": self.cycle,
                "calibration_target": self.target,
                "design": f"Saltelli (SALib sobol sampler, N = {self.saltelli_N}, "
                f"{len(self.labels)} inputs, no second order)",
                "failure_reasons": self.failure_reasons(),
                "simulations": self.simulations,
                "wall_time_s": self.wall_time_s,
                "sobol": self.sobol,
                "sobol_note": self.sobol_note(),
                "sobol_of_failure": self.sobol_failure,
                "measurement_ranking_detail": self.ranking,
                "priors": self.prior_table(),
                "pending_priors": [p.label for p in self.priors if p.pending],
                "held_by_study": list(self.held),
                "measured_retention_pct": self.measured_pct,
            },
        }
        if self.blind_record is not None:
            out["blind_record"] = dict(self.blind_record)
        return out


# ------------------------------------------------------------------------ main entry
def _cache_key(study: Study, priors: list[Prior], n: int, seed: int, opts: ModelOptions) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(study.raw, sort_keys=True, default=str).encode())
    h.update(repr([(p.label, p.distribution, p.low, p.high, p.mode) for p in priors]).encode())
    h.update(repr((n, seed, opts)).encode())
    pkg = Path(__file__).resolve().parent.parent
    for src in sorted(pkg.rglob("*.py")):  # any code change: a fresh run (cheap, safe)
        h.update(src.relative_to(pkg).as_posix().encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:20]


def _cache_dir(cache_dir: str | Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("SIANODE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "sianode"


def prediction_band(
    study: Study | str | Path | None = None,
    priors: list[Prior] | None = None,
    n_samples: int = 1000,
    seed: int = 0,
    options: ModelOptions | None = None,
    material: str = "nanoporous",
    calibrate_on: str = "dense",
    chunk: int = 512,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    rank: bool = True,
) -> BandResult:
    """Posterior-predictive band of ``material``'s retention from the priors.

    Parameters
    ----------
    study : Study or path, optional
        Default: the bundled reference study.
    priors : list of Prior, optional
        Default: :func:`load_priors` (``data/priors.toml``). Pending priors are skipped.
    n_samples : int
        Minimum number of samples; the Saltelli design rounds up to N (D + 2), N a power of 2.
    progress : callable, optional
        ``progress(done, total)`` after each chunk.

    Returns
    -------
    BandResult
    """
    t0 = time.perf_counter()
    try:
        import SALib  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the [uq] extra is missing
        raise ParameterError(
            f"prior band: needs the 'uq' extra (pip install 'sianode[uq]'), or skip it ({exc})"
        ) from None
    study = study if isinstance(study, Study) else load_study(study)
    options = options or ModelOptions()
    priors = priors if priors is not None else load_priors()
    for p in priors:
        if p.pending:
            log.warning(
                "prior %r: the cell has no parameter %r yet; skipped in sampling (pending)",
                p.name,
                p.key,
            )
    from ..cell.build import study_parameters

    typed = study_parameters(study)  # measured or chosen values the study file gives
    held = [p for p in priors if not p.pending and p.key in typed]
    for p in held:
        log.warning(
            "prior %r: the study sets %r in [parameters]; held at the study's value, not sampled",
            p.name,
            p.key,
        )
    active = [p for p in priors if not p.pending and p.key not in typed]
    if not active:
        raise ParameterError("priors: no prior the simulator can use")
    from ..calibration import _target, calibrate_dense

    target, cycle = _target(study)
    proto = parse_protocol(study.section("protocol")["text"])
    bases = _bases(study, (calibrate_on, material))
    # the cycler's cut-offs are set against the nominal counter electrode: fixed per material
    tabs = {
        m: proto.to_arrays(
            b.cell.area, b.cell.nominal_capacity_Ah, b.cell.counter_potential, cycle,
            b.cell.si_mass * 1e3,
        )
        for m, b in bases.items()
    }  # fmt: skip
    U, N = saltelli_design(active, n_samples, seed)
    X = np.column_stack([p.ppf(U[:, j]) for j, p in enumerate(active)])
    n = X.shape[0]
    c0 = _central_rate(study, options, target, cycle, tabs[calibrate_on], calibrate_dense)
    key = _cache_key(study, priors, n, seed, options)
    folder = _cache_dir(cache_dir) / "band" / key
    beta = np.full(n, np.nan)
    ret = np.full(n, np.nan)
    reasons = [""] * n
    rows = {m: np.full((n, 2, K.NCY), np.nan) for m in bases}
    cells: dict[str, list[CellParameters | None]] = {m: [None] * n for m in bases}
    n_sim = 0
    group = len(active) + 2  # rows per Saltelli group; chunks hold whole groups
    chunk = max(group, chunk // group * group)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        built: dict[str, list[CellParameters]] = {m: [] for m in bases}
        for i in range(start, stop):
            cs = _cells_for_sample(study, dict(zip(active, X[i])), bases)
            for m in bases:
                built[m].append(cs[m])
                cells[m][i] = cs[m]
        f = folder / f"chunk-{start:06d}-{stop:06d}.npz"
        if cache and f.exists():
            z = np.load(f, allow_pickle=False)
            b_c, r_c, reas = z["beta"], z["retention"], [str(s) for s in z["reasons"]]
            rows_c = {m: z[f"rows_{m}"] for m in bases}
        else:
            b_c, reas, rows_d, k = _calibrate_grouped(
                built[calibrate_on],
                np.arange(start, stop) % group,
                tabs[calibrate_on],
                target,
                cycle,
                c0,
                options,
            )
            n_sim += k
            ok = np.flatnonzero(np.isfinite(b_c))
            r_c = np.full(stop - start, np.nan)
            rows_p = np.full((stop - start, 2, K.NCY), np.nan)
            if ok.size:
                res = simulate_batch(
                    [built[material][i].replace(beta=float(b_c[i])) for i in ok],
                    [tabs[material]] * ok.size,
                    options,
                )
                n_sim += ok.size
                first = res.capacity_Ah(1)
                r_c[ok] = _retention(res, cycle)
                rows_p[ok] = _rows(res, cycle)
                for j, i in enumerate(ok):
                    if not first[j] > 0:
                        reas[i] = f"prediction: {material} cell: {_no_charge(res.status[j])}"
                        r_c[i] = np.nan
            rows_c = {calibrate_on: rows_d, material: rows_p}
            if cache:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = f.with_suffix(".tmp.npz")
                np.savez(
                    tmp,
                    beta=b_c,
                    retention=r_c,
                    reasons=np.array(reas, dtype=str),
                    **{f"rows_{m}": v for m, v in rows_c.items()},
                )
                tmp.replace(f)
        beta[start:stop], ret[start:stop], reasons[start:stop] = b_c, r_c, reas
        for m in bases:
            rows[m][start:stop] = rows_c[m]
        if progress:
            progress(stop, n)
    for i in range(n):
        if reasons[i]:
            for m in bases:
                cells[m][i] = None
    result = BandResult(
        material=material,
        cycle=cycle,
        target=target,
        priors=priors,
        labels=[p.label for p in active],
        X=X,
        beta=beta,
        retention=ret,
        reasons=reasons,
        observables=sample_observables(cells, rows),
        saltelli_N=N,
        simulations=n_sim,
        held=[p.label for p in held],
        blind_record=study.prediction_record(material),
    )
    ok = result.ok
    Y = 100.0 * np.where(ok, ret, np.nan)
    if ok.any():
        Y = np.where(ok, Y, np.nanmedian(Y))  # failed samples: the median (stated in the report)
        result.sobol = sobol_indices(result.labels, Y, seed)
        if 0 < result.failed < n:
            result.sobol_failure = sobol_indices(result.labels, (~ok).astype(float), seed)
        if rank:
            result.ranking = rank_measurements(np.where(ok, Y, np.nan), result.observables)
    rep = study.raw.get("reported", {}).get(material, {})
    val = rep.get("retention") if isinstance(rep, dict) else None
    if isinstance(val, (int, float)) and not isinstance(val, bool):
        result.measured_pct = 100.0 * float(val)
    result.wall_time_s = time.perf_counter() - t0
    return result
