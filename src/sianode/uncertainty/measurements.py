"""What a lab could measure on the band's samples, and which measurement narrows it most.

:func:`cell_resistance` is the model's area-specific DC resistance (what the low-frequency
intercept of an impedance spectrum measures). :func:`sample_observables` gives every
measurable quantity of every sample; :func:`rank_measurements` conditions the band's
samples on plausible measured values (approximate Bayesian computation with a Gaussian
likelihood) and ranks the measurements by how much they narrow the 5-95 % interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell import CellParameters
from ..constants import RHO_SI
from ..models.degradation import INTERPHASE_LI_CONCENTRATION, oxide_charge
from ..models.electrolyte import arrhenius_conductivity, composite_resistance, separator_resistance
from ..models.kinetics import exchange_current_density
from ..simulation import kernel as K

__all__ = [
    "Measurement",
    "MEASUREMENTS",
    "cell_resistance",
    "sample_observables",
    "weighted_quantiles",
    "rank_measurements",
]

FARADAY = 96485.33212
GAS_CONSTANT = 8.314462618


@dataclass(frozen=True)
class Measurement:
    """A measurement a lab could make, with its uncertainty.

    Attributes
    ----------
    name : str
        As shown in the ranking.
    observable : str
        Key of :func:`sample_observables`.
    sd : float
        Standard uncertainty: relative (fraction of the value) if ``relative`` else in the
        observable's unit.
    relative : bool
    basis : str
        Where the uncertainty comes from.
    """

    name: str
    observable: str
    sd: float
    relative: bool
    basis: str


#: Measurements ranked by :func:`rank_measurements` (uncertainties are estimates of
#: ordinary lab practice, stated in ``basis``).
MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement(
        "Li3PS4 pellet conductivity (impedance of a pressed pellet)",
        "conductivity",
        0.10,
        True,
        "10 %: pellet thickness and fit of the grain-boundary arc (estimate)",
    ),
    Measurement(
        "dense Si particle size (SEM or laser diffraction)",
        "radius_dense",
        0.15,
        True,
        "15 % on a mean radius (estimate)",
    ),
    Measurement(
        "nanoporous Si secondary-particle size (SEM or laser diffraction)",
        "radius_nanoporous",
        0.15,
        True,
        "15 % on a mean radius (estimate)",
    ),
    Measurement(
        "cycle-1 lithiation capacity, dense cell",
        "lith1_dense",
        0.03,
        True,
        "3 %: Si mass in a 2 mg composite (estimate)",
    ),
    Measurement(
        "cycle-1 lithiation capacity, nanoporous cell",
        "lith1_nanoporous",
        0.03,
        True,
        "3 %: Si mass in a 2 mg composite (estimate)",
    ),
    Measurement(
        "first-cycle efficiency, dense cell", "fce_dense", 0.01, False, "1 percentage point"
    ),
    Measurement(
        "first-cycle efficiency, nanoporous cell",
        "fce_nanoporous",
        0.01,
        False,
        "1 percentage point",
    ),
    Measurement(
        "impedance (DC resistance) at cycle 1, dense cell",
        "asr1_dense",
        0.10,
        True,
        "10 %: equivalent-circuit fit (estimate)",
    ),
    Measurement(
        "impedance (DC resistance) at cycle 1, nanoporous cell",
        "asr1_nanoporous",
        0.10,
        True,
        "10 %: equivalent-circuit fit (estimate)",
    ),
    Measurement(
        "impedance (DC resistance) at cycle 50, dense cell",
        "asrN_dense",
        0.10,
        True,
        "10 %: equivalent-circuit fit (estimate)",
    ),
    Measurement(
        "impedance (DC resistance) at cycle 50, nanoporous cell",
        "asrN_nanoporous",
        0.10,
        True,
        "10 %; measured on the cell whose retention is predicted, so it comes with the answer",
    ),
    Measurement(
        "electrode thickness change in cycle 1, dense cell",
        "swell_dense",
        0.10,
        True,
        "10 %: operando dilatometry or a pressure-cell displacement gauge (estimate)",
    ),
    Measurement(
        "electrode thickness change in cycle 1, nanoporous cell",
        "swell_nanoporous",
        0.10,
        True,
        "10 %: operando dilatometry or a pressure-cell displacement gauge (estimate)",
    ),
)


def cell_resistance(
    cell: CellParameters,
    connected_fraction: float | np.ndarray = 1.0,
    interphase_thickness: float | np.ndarray = 0.0,
    s: float = 0.5,
) -> np.ndarray:
    """Area-specific DC resistance of the half cell [ohm m2] (1 ohm m2 = 1e4 ohm cm2).

    ``R = R_sep + R_comp / f^q + R T / (F i0 a_c) A + delta / (kappa_int a_c) A
    + R T / (F i0_CE)``: separator and composite ionic resistance, Butler-Volmer
    charge transfer linearised at small current (alpha = 0.5: d eta / d j = R T / (F i0)),
    interphase and counter electrode, the terms of the simulator's cell voltage
    (``simulation.kernel._voltage``) at stoichiometry ``s``. ``a_c`` is the connected
    contact area ``f theta_c 3 V_env / R``, ``A`` the electrode area.

    Parameters
    ----------
    cell : CellParameters
    connected_fraction : float or array
        f [-].
    interphase_thickness : float or array
        delta [m].
    s : float
        Si stoichiometry for the exchange current [-].
    """
    f = np.maximum(np.asarray(connected_fraction, dtype=float), 1e-12)
    T = cell.temperature
    sigma = arrhenius_conductivity(
        cell.conductivity,
        cell.activation_energy,
        T,
        cell.conductivity_reference_temperature,
    )
    r_sep = separator_resistance(
        cell.separator_thickness, sigma, cell.separator_se_fraction, cell.bruggeman
    )
    r_comp = composite_resistance(
        cell.electrode_thickness, sigma, cell.electrode_se_fraction, cell.bruggeman
    )
    v_env = cell.si_mass / (RHO_SI * (1.0 - cell.porosity))
    a_c = f * cell.contact_coverage * 3.0 * v_env / cell.particle_radius
    i0 = exchange_current_density(s, cell.k0, cell.i0_regularisation)
    rt_f = GAS_CONSTANT * T / FARADAY
    r_ct = rt_f / (i0 * a_c) * cell.area
    r_int = np.asarray(interphase_thickness) / (cell.interphase_conductivity * a_c) * cell.area
    r_ce = rt_f / cell.counter_i0
    return r_sep + r_comp / f**cell.connectivity_exponent + r_ct + r_int + r_ce


def _interphase_thickness(cell: CellParameters, side_total_C: float, f: float) -> float:
    """Interphase thickness [m] from the cumulative side-reaction charge (approximate).

    The oxide's charge is taken off first (the kernel lithiates the oxide first); the rest
    grew the interphase over the connected contact area. The kernel divides each increment
    by the contact area at its time; using the present connected fraction makes this an
    upper bound when contact has been lost."""
    q_ox = oxide_charge(cell.surface_area * cell.si_mass, cell.oxide_thickness)
    q_int = max(side_total_C - q_ox, 0.0)
    v_env = cell.si_mass / (RHO_SI * (1.0 - cell.porosity))
    a0 = cell.contact_coverage * 3.0 * v_env / cell.particle_radius
    return q_int / (FARADAY * INTERPHASE_LI_CONCENTRATION * max(a0 * f, 1e-30))


_COL = {name: i for i, name in enumerate(K.CYCLE_COLUMNS)}


def _cell_observables(cell: CellParameters, first: np.ndarray, last: np.ndarray) -> dict:
    """Observables of one simulated cell from its cycle-1 and cycle-N rows."""
    lith1 = first[_COL["lith_C"]]
    mass_g = cell.si_mass * 1e3
    f1 = first[_COL["connected_fraction"]]
    fN = last[_COL["connected_fraction"]]
    d1 = _interphase_thickness(cell, first[_COL["side_total_C"]], f1)
    dN = _interphase_thickness(cell, last[_COL["side_total_C"]], fN)
    return {
        "lith1": lith1 / 3.6 / mass_g,
        "fce": first[_COL["delith_C"]] / lith1 if lith1 > 0 else np.nan,
        "asr1": 1e4 * float(cell_resistance(cell, f1, d1)),
        "asrN": 1e4 * float(cell_resistance(cell, fN, dN)) if fN > 0 else np.nan,
        "swell": 1e6 * first[_COL["thickness_change_max_m"]],
    }


def sample_observables(
    cells: dict[str, list[CellParameters]],
    rows: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every measurable quantity of every sample.

    Parameters
    ----------
    cells : dict
        Material -> one cell per sample (``None`` where the sample failed).
    rows : dict
        Material -> array (n, 2, NCY): each sample's cycle-1 and cycle-N rows of
        :data:`~sianode.simulation.kernel.CYCLE_COLUMNS` (NaN where not simulated).

    Returns
    -------
    dict of str -> array
        ``conductivity`` [S/m], ``radius_<material>`` [um], ``lith1_<material>`` [mAh/g],
        ``fce_<material>`` [-], ``asr1_<material>`` and ``asrN_<material>`` [ohm cm2],
        ``swell_<material>`` [um]; NaN where the sample failed.
    """
    out: dict[str, np.ndarray] = {}
    for mat, cl in cells.items():
        n = len(cl)
        obs = {k: np.full(n, np.nan) for k in ("lith1", "fce", "asr1", "asrN", "swell")}
        radius = np.full(n, np.nan)
        cond = np.full(n, np.nan)
        for i, c in enumerate(cl):
            if c is None:
                continue
            radius[i] = c.particle_radius * 1e6
            cond[i] = c.conductivity
            r = rows[mat][i]
            if not np.isfinite(r[0, _COL["lith_C"]]):
                continue
            for k, v in _cell_observables(c, r[0], r[1]).items():
                obs[k][i] = v
        for k, v in obs.items():
            out[f"{k}_{mat}"] = v
        out[f"radius_{mat}"] = radius
        out.setdefault("conductivity", cond)
    return out


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: list[float]) -> np.ndarray:
    """Quantiles ``q`` (in [0, 1]) of ``values`` with non-negative ``weights`` (linear
    interpolation of the weighted empirical CDF at the sample midpoints; samples of zero
    weight take no part)."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cw = np.cumsum(w)
    total = cw[-1]
    mid = (cw - 0.5 * w) / total
    return np.interp(q, mid, v)


def rank_measurements(
    prediction: np.ndarray,
    observables: dict[str, np.ndarray],
    measurements: tuple[Measurement, ...] = MEASUREMENTS,
    n_draws: int = 50,
    seed: int = 0,
) -> list[dict]:
    """Expected narrowing of the prediction's 5-95 % width by each measurement, best first.

    For each measurement, ``n_draws`` plausible measured values are drawn from the
    predictive distribution (a random sample's simulated observable plus measurement
    noise); for each, every sample is weighted by the Gaussian likelihood of that value
    (in log space for a relative uncertainty) and the weighted 5-95 % width of
    ``prediction`` is computed. The expected width is the mean over the draws.

    Returns
    -------
    list of dict
        ``measurement``, ``band_width_reduction_pct`` (100 (1 - expected width / prior
        width)), ``expected_width_pct_points`` (if ``prediction`` is in %),
        ``effective_samples`` (mean Kish effective sample size: few means a rough
        estimate), ``uncertainty``.
    """
    rng = np.random.default_rng(seed)
    pred = np.asarray(prediction, dtype=float)
    out = []
    for m in measurements:
        y = np.asarray(observables.get(m.observable, np.full(pred.size, np.nan)), dtype=float)
        ok = np.isfinite(pred) & np.isfinite(y) & ((y > 0) if m.relative else True)
        if ok.sum() < 10:
            continue
        p, obs = pred[ok], y[ok]
        if m.relative:
            obs = np.log(obs)
        width0 = float(np.subtract(*np.percentile(p, [95, 5])))
        widths, ess = [], []
        for _ in range(n_draws):
            j = rng.integers(obs.size)
            y_star = obs[j] + m.sd * rng.standard_normal()
            w = np.exp(-0.5 * ((obs - y_star) / m.sd) ** 2)
            if not w.sum() > 0:
                w = np.zeros_like(obs)
                w[j] = 1.0
            q5, q95 = weighted_quantiles(p, w, [0.05, 0.95])
            widths.append(q95 - q5)
            ess.append(w.sum() ** 2 / (w**2).sum())
        width = float(np.mean(widths))
        out.append(
            {
                "measurement": m.name,
                "band_width_reduction_pct": 100.0 * (1.0 - width / width0) if width0 > 0 else 0.0,
                "expected_width": width,
                "prior_width": width0,
                "effective_samples": float(np.mean(ess)),
                "uncertainty": f"{100 * m.sd:g} %" if m.relative else f"{m.sd:g}",
                "basis": m.basis,
            }
        )
    out.sort(key=lambda r: -r["band_width_reduction_pct"])
    return out
