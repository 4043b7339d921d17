"""Raman spectra of Si: read, baseline, fit the TO band, phonon confinement.

Two tiers: array functions (``baseline_raw``, ``fit_band_raw``, ``confinement_lineshape``,
``confinement_table``, ``confinement_length_from_shift``) under :func:`analyse_raman`.

Phonon-confinement model
------------------------
Richter, Wang & Ley (RWL), Solid State Commun. 39 (1981) 625, and Campbell & Fauchet (CF),
Solid State Commun. 58 (1986) 739: a phonon confined to a crystallite of size ``L`` has a
weight ``W(r) = exp(-α r² / L²)``, so the Raman line is a sum of Lorentzians over wave vectors
``q`` with Fourier weights ``|C(0, q)|² = exp(-q² L² / (2α))``::

    I(ω) ∝ ∫_BZ |C(0,q)|² d³q / ((ω - ω(q))² + (Γ0/2)²)

- RWL: ``α = 2`` (amplitude e^-1/2 at the boundary) → ``exp(-q² L² / 4)``;
- CF: ``α = 8π²`` (phonon vanishes at the boundary) → ``exp(-q² L² / (16 π²))``, the form
  generally used for nanocrystalline Si (e.g. Paillard et al., J. Appl. Phys. 86 (1999) 1921).

``q`` is in nm⁻¹ here; the zone is a sphere of radius ``2π/a`` (a = 0.5431 nm); shapes:
sphere ``d³q → 4π q² dq``, column ``2π q dq``, slab ``dq`` (CF's three geometries).
Dispersion of the optical branch: Tubino, Piseri & Zerbi, J. Chem. Phys. 56 (1972) 1022,
``ω²(q) = A + B cos(π q̃ / 2)`` with ``B = 1.0e5 cm⁻²``, ``A = ω0² - B`` and ``q̃ = q a / 2π``
(the fit used by Paillard et al.); or the quadratic ``ω(q) = ω0 - 120 q̃²`` cm⁻¹ (RWL).
``Γ0`` is the natural line width of bulk c-Si (default 3.5 cm⁻¹, or the measured width of
a c-Si reference when the instrument broadens more).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CalculationError, ParameterError, ParsingError
from ._io import read_text, two_columns

__all__ = [
    "SI_REFERENCE",
    "SI_LATTICE_NM",
    "RamanSpectrum",
    "BandFit",
    "ConfinementEstimate",
    "RamanResult",
    "read_spectrum",
    "baseline_raw",
    "fit_band_raw",
    "confinement_lineshape",
    "confinement_table",
    "confinement_length_from_shift",
    "expected_shift",
    "analyse_raman",
]

#: c-Si TO/LO phonon used for axis calibration [cm-1].
SI_REFERENCE = 520.7
#: Si lattice constant [nm].
SI_LATTICE_NM = 0.5431
#: Weight exponents α of W(r) = exp(-α r²/L²).
ALPHA = {"RWL": 2.0, "CF": 8.0 * math.pi**2}
_SHAPE_POWER = {"sphere": 2, "column": 1, "slab": 0}
_SHAPE_FACTOR = {"sphere": 4 * math.pi, "column": 2 * math.pi, "slab": 1.0}


@dataclass
class RamanSpectrum:
    """A spectrum: Raman shift [cm-1] and counts [-]."""

    shift: np.ndarray
    intensity: np.ndarray
    source: str = "array"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class BandFit:
    """Fit of one band."""

    model: str
    peak_cm1: float
    peak_err_cm1: float
    fwhm_cm1: float
    fwhm_err_cm1: float
    height: float
    confinement_length_nm: float | None = None
    confinement_length_err_nm: float | None = None
    redchi: float = float("nan")


@dataclass
class ConfinementEstimate:
    """Sizes a peak position and width imply under the confinement model."""

    model: str
    shape: str
    omega0_cm1: float
    shift_cm1: float
    length_from_shift_nm: float | None
    length_from_width_nm: float | None
    note: str = ""


@dataclass
class RamanResult:
    """Everything :func:`analyse_raman` computes."""

    source: str
    fit: BandFit
    calibration_offset_cm1: float
    confinement: ConfinementEstimate
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the keys of the ``--json`` output."""
        c = self.confinement
        return {
            "source": self.source,
            "model": self.fit.model,
            "peak_cm1": self.fit.peak_cm1,
            "peak_err_cm1": self.fit.peak_err_cm1,
            "fwhm_cm1": self.fit.fwhm_cm1,
            "fwhm_err_cm1": self.fit.fwhm_err_cm1,
            "calibration_offset_cm1": self.calibration_offset_cm1,
            "shift_from_bulk_cm1": c.shift_cm1,
            "confinement_length_nm": (
                self.fit.confinement_length_nm
                if self.fit.confinement_length_nm is not None
                else c.length_from_shift_nm
            ),
            "confinement_length_from_shift_nm": c.length_from_shift_nm,
            "confinement_length_from_width_nm": c.length_from_width_nm,
            "confinement_model": f"{c.model} {c.shape}",
            "confinement_note": c.note,
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- reading


def read_spectrum(path: str | Path) -> RamanSpectrum:
    """Read a LabSpec text export or any two-column (shift, counts) text file.

    LabSpec headers (``#Key=<tab>value``, Latin-1) are kept in ``metadata``.
    """
    x, y, header = two_columns(read_text(path), str(path))
    if x.size < 5:
        raise ParsingError(f"{path}: only {x.size} data rows; a spectrum needs more")
    meta: dict[str, str] = {}
    for line in header:
        s = line.lstrip("#").strip()
        if "=" in s:
            k, _, v = s.partition("=")
            meta[k.strip()] = v.strip()
    return RamanSpectrum(x, y, source=str(path), metadata=meta)


# --------------------------------------------------------------------------- raw numerics


def baseline_raw(
    x: np.ndarray, y: np.ndarray, exclude: tuple[float, float], degree: int = 1
) -> np.ndarray:
    """Polynomial baseline fitted to the points outside ``exclude`` [cm-1]."""
    m = (x < exclude[0]) | (x > exclude[1])
    if m.sum() <= degree:
        raise CalculationError("baseline: too few points outside the band window")
    coef = np.polyfit(x[m], y[m], degree)
    return np.polyval(coef, x)


def _tubino(q_red: np.ndarray, omega0: float) -> np.ndarray:
    b = 1.0e5
    return np.sqrt(omega0**2 - b + b * np.cos(np.pi * q_red / 2.0))


def _quadratic(q_red: np.ndarray, omega0: float) -> np.ndarray:
    return omega0 - 120.0 * q_red**2


_DISPERSIONS = {"tubino": _tubino, "quadratic": _quadratic}


@functools.lru_cache(maxsize=8)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] (numpy's ``leggauss``).

    ``leggauss`` solves an n x n symmetric eigenvalue problem (n = 64-500 here). With
    OpenBLAS's threads on a busy 2-core machine the seven calls of one confinement inversion
    took 5.4 s wall / 1.3 s CPU, against 0.2 s / 0.05 s on one thread, with bit-identical
    nodes and weights (issue 17; tests/characterisation/test_raman.py). So BLAS is held to one
    thread for the call when threadpoolctl is installed.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the 'char' extra
        return np.polynomial.legendre.leggauss(n)
    with threadpool_limits(limits=1, user_api="blas"):
        return np.polynomial.legendre.leggauss(n)


def confinement_lineshape(
    omega: Any,
    L_nm: float,
    model: str = "CF",
    shape: str = "sphere",
    gamma0: float = 3.5,
    omega0: float = SI_REFERENCE,
    a_nm: float = SI_LATTICE_NM,
    dispersion: str = "tubino",
    n_nodes: int | None = None,
    normalise: bool = True,
) -> np.ndarray:
    """Confined-phonon Raman line shape, normalised to unit maximum.

    Parameters
    ----------
    omega : array
        Raman shift [cm-1].
    L_nm : float
        Crystallite (confinement) size [nm].
    model : {"CF", "RWL"}
        Weight function (Campbell-Fauchet or Richter-Wang-Ley), see module docstring.
    shape : {"sphere", "column", "slab"}
        Confinement geometry.
    gamma0 : float
        Natural (bulk) FWHM [cm-1].
    omega0 : float
        Bulk zone-centre frequency [cm-1].
    a_nm : float
        Lattice constant [nm].
    dispersion : {"tubino", "quadratic"}
        Optical-phonon dispersion.
    n_nodes : int, optional
        Gauss-Legendre nodes of the q integral; default: enough to sample the dispersion
        range in steps of Γ0/10 (64-500).
    normalise : bool
        Scale to unit maximum (else arbitrary units).
    """
    if model not in ALPHA:
        raise ParameterError(
            f"confinement model: unknown {model!r}; choose one of {', '.join(ALPHA)}"
        )
    if shape not in _SHAPE_POWER:
        raise ParameterError(f"shape: unknown {shape!r}; choose one of {', '.join(_SHAPE_POWER)}")
    if dispersion not in _DISPERSIONS:
        raise ParameterError(
            f"dispersion: unknown {dispersion!r}; choose one of {', '.join(_DISPERSIONS)}"
        )
    if not L_nm > 0:
        raise ParameterError("L: must be > 0 nm")
    if not gamma0 > 0:
        raise ParameterError("gamma0: must be > 0 cm-1")
    w = np.asarray(omega, dtype=float)
    q_zone = 2 * math.pi / a_nm  # nm-1
    kappa = L_nm**2 / (2 * ALPHA[model])  # exp(-kappa q^2), q in nm-1
    q_max = min(q_zone, 7.0 / math.sqrt(kappa))
    if n_nodes is None:
        span = abs(omega0 - float(_DISPERSIONS[dispersion](np.array(q_max / q_zone), omega0)))
        n_nodes = int(np.clip(10 * span / gamma0, 64, 500))
    t, wt = _gauss_legendre(int(n_nodes))
    q = 0.5 * q_max * (t + 1.0)
    wq = 0.5 * q_max * wt * np.exp(-kappa * q**2) * q ** _SHAPE_POWER[shape]
    wq = wq * _SHAPE_FACTOR[shape]
    om_q = _DISPERSIONS[dispersion](q / q_zone, omega0)
    hw2 = (gamma0 / 2.0) ** 2
    prof = (wq[None, :] / ((w.reshape(-1, 1) - om_q[None, :]) ** 2 + hw2)).sum(axis=1)
    if not normalise:
        return prof.reshape(w.shape)
    # normalise by the maximum of the line (found on a fine grid around the peak)
    grid = np.linspace(float(om_q.min()) - 2 * gamma0, omega0 + 2 * gamma0, 600)
    ref = (wq[None, :] / ((grid[:, None] - om_q[None, :]) ** 2 + hw2)).sum(axis=1).max()
    return (prof / ref).reshape(w.shape)


def _peak_and_fwhm(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    i = int(np.argmax(y))
    # parabolic refinement of the maximum
    if 0 < i < x.size - 1:
        y0, y1, y2 = y[i - 1], y[i], y[i + 1]
        den = y0 - 2 * y1 + y2
        dx = 0.5 * (y0 - y2) / den if den != 0 else 0.0
        peak = float(x[i] + dx * (x[i + 1] - x[i]))
        top = float(y1 - 0.25 * (y0 - y2) * dx)
    else:
        peak, top = float(x[i]), float(y[i])
    half = top / 2
    left = np.where(y[:i] < half)[0]
    right = np.where(y[i:] < half)[0]
    if left.size == 0 or right.size == 0:
        return peak, float("nan")
    j = left[-1]
    k = i + right[0]
    xl = np.interp(half, [y[j], y[j + 1]], [x[j], x[j + 1]])
    xr = np.interp(half, [y[k], y[k - 1]], [x[k], x[k - 1]])
    return peak, float(xr - xl)


def _line_metrics(
    L: float,
    model: str,
    shape: str,
    gamma0: float,
    omega0: float,
    dispersion: str,
    width: bool = True,
) -> tuple[float, float]:
    """Peak position and FWHM [cm-1] of the confinement line for size ``L`` [nm]."""
    from scipy.optimize import brentq, minimize_scalar

    def f(w: Any) -> Any:
        return confinement_lineshape(
            w, L, model, shape, gamma0, omega0, dispersion=dispersion, normalise=False
        )

    coarse = np.arange(omega0 - 170.0, omega0 + 20.0, 1.0)
    yc = f(coarse)
    i = int(np.argmax(yc))
    lo, hi = coarse[max(i - 1, 0)], coarse[min(i + 1, coarse.size - 1)]
    opt = minimize_scalar(
        lambda w: -float(f(w)), bounds=(lo, hi), method="bounded", options={"xatol": 1e-4}
    )
    pk, top = float(opt.x), -float(opt.fun)
    if not width:
        return pk, float("nan")
    half = top / 2
    left = np.where(yc[:i] < half)[0]
    right = np.where(yc[i:] < half)[0]
    if left.size == 0 or right.size == 0:
        return pk, float("nan")
    j, k = left[-1], i + right[0]

    def g(w: float) -> float:
        return float(f(w)) - half

    xl = brentq(g, coarse[j], coarse[j + 1], xtol=1e-4)
    xr = brentq(g, coarse[k - 1], coarse[k], xtol=1e-4)
    return pk, float(xr - xl)


@functools.lru_cache(maxsize=32)
def confinement_table(
    model: str = "CF",
    shape: str = "sphere",
    gamma0: float = 3.5,
    omega0: float = SI_REFERENCE,
    dispersion: str = "tubino",
    n: int = 60,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peak shift and FWHM of the confinement line shape versus size (for plots and checks).

    Returns
    -------
    L_nm, shift_cm1, fwhm_cm1 : ndarray
        Size [nm] on a log grid 0.8-300 nm; ``shift = omega0 - peak`` [cm-1]; FWHM [cm-1].
    """
    Ls = np.geomspace(0.8, 300.0, n)
    out = [_line_metrics(float(L), model, shape, gamma0, omega0, dispersion) for L in Ls]
    return Ls, np.array([omega0 - o[0] for o in out]), np.array([o[1] for o in out])


def _solve_L(fun: Any, target: float, lo: float, hi: float) -> float | None:
    """Root of ``fun(L) = target`` in log L on [lo, hi] (fun decreasing in L); None if outside."""
    from scipy.optimize import brentq

    a, b = math.log(lo), math.log(hi)
    fa, fb = fun(lo) - target, fun(hi) - target
    if not (np.isfinite(fa) and np.isfinite(fb)) or fa * fb > 0:
        return None
    return float(math.exp(brentq(lambda t: fun(math.exp(t)) - target, a, b, xtol=1e-4)))


@functools.lru_cache(maxsize=256)
def confinement_length_from_shift(
    peak_cm1: float,
    omega0: float = SI_REFERENCE,
    model: str = "CF",
    shape: str = "sphere",
    gamma0: float = 3.5,
    dispersion: str = "tubino",
) -> float | None:
    """Size [nm] whose confined line peaks at ``peak_cm1``; ``None`` outside 0.8-300 nm."""

    def shift(L: float) -> float:
        return omega0 - _line_metrics(L, model, shape, gamma0, omega0, dispersion, width=False)[0]

    return _solve_L(shift, omega0 - peak_cm1, 0.8, 300.0)


@functools.lru_cache(maxsize=256)
def confinement_length_from_width(
    fwhm_cm1: float,
    omega0: float = SI_REFERENCE,
    model: str = "CF",
    shape: str = "sphere",
    gamma0: float = 3.5,
    dispersion: str = "tubino",
) -> float | None:
    """Size [nm] whose confined line has FWHM ``fwhm_cm1``; ``None`` outside 1.5-300 nm.

    (Below ~1.5 nm the CF width stops growing monotonically.)
    """

    def fwhm(L: float) -> float:
        return _line_metrics(L, model, shape, gamma0, omega0, dispersion)[1]

    return _solve_L(fwhm, fwhm_cm1, 1.5, 300.0)


def expected_shift(
    L_nm: float,
    omega0: float = SI_REFERENCE,
    model: str = "CF",
    shape: str = "sphere",
    gamma0: float = 3.5,
    dispersion: str = "tubino",
) -> tuple[float, float]:
    """Red shift [cm-1] and FWHM [cm-1] the model predicts for size ``L_nm``."""
    pk, fw = _line_metrics(float(L_nm), model, shape, gamma0, omega0, dispersion)
    return omega0 - pk, fw


def fit_band_raw(
    x: np.ndarray,
    y: np.ndarray,
    model: str = "lorentzian",
    window: tuple[float, float] = (440.0, 560.0),
    gamma0: float = 3.5,
    omega0: float = SI_REFERENCE,
    confinement_model: str = "CF",
    shape: str = "sphere",
) -> BandFit:
    """Fit the Si TO band (baseline-free data) with lmfit.

    Parameters
    ----------
    model : {"lorentzian", "voigt", "confinement"}
        Line shape. ``confinement`` fits ``L`` (and a height) of :func:`confinement_lineshape`
        with ``omega0`` and ``gamma0`` fixed.
    window : (float, float)
        Fitted range [cm-1].
    """
    import lmfit
    from lmfit.models import LinearModel, LorentzianModel, VoigtModel

    m = (x >= window[0]) & (x <= window[1])
    if m.sum() < 6:
        raise CalculationError(f"Raman fit: fewer than 6 points in {window[0]}-{window[1]} cm-1")
    xx, yy = x[m], y[m]
    i = int(np.argmax(yy))
    c0, h0 = float(xx[i]), float(yy[i])
    if h0 <= 0:
        raise CalculationError("Raman fit: no band above the baseline in the window")
    if model in ("lorentzian", "voigt"):
        peak_model = LorentzianModel() if model == "lorentzian" else VoigtModel()
        mod = peak_model + LinearModel(prefix="bg_")
        pars = mod.make_params()
        pars["center"].set(value=c0, min=window[0], max=window[1])
        pars["sigma"].set(value=3.0, min=0.1, max=100.0)
        pars["amplitude"].set(value=h0 * 3.0 * math.pi, min=0.0)
        if model == "voigt":
            pars["gamma"].set(value=1.5, min=0.0, max=100.0, vary=True, expr="")
            pars["sigma"].set(value=1.5)
        pars["bg_slope"].set(value=0.0)
        pars["bg_intercept"].set(value=0.0)
        res = mod.fit(yy, pars, x=xx)
        p = res.params
        fw = p["fwhm"]
        return BandFit(
            model=model,
            peak_cm1=float(p["center"].value),
            peak_err_cm1=float(p["center"].stderr or np.nan),
            fwhm_cm1=float(fw.value),
            fwhm_err_cm1=float(fw.stderr or np.nan),
            height=float(p["height"].value),
            redchi=float(res.redchi),
        )
    if model != "confinement":
        raise ParameterError("model: choose one of lorentzian, voigt, confinement")

    def shape_fn(x: np.ndarray, height: float, logL: float, c: float) -> np.ndarray:
        return (
            height
            * confinement_lineshape(
                x, float(np.exp(logL)), confinement_model, shape, gamma0, omega0
            )
            + c
        )

    mod = lmfit.Model(shape_fn)
    L0 = (
        confinement_length_from_shift(
            min(c0, omega0 - 0.05), omega0, confinement_model, shape, gamma0
        )
        or 10.0
    )
    pars = mod.make_params(
        height={"value": h0, "min": 0.0},
        logL={"value": math.log(L0), "min": math.log(0.8), "max": math.log(300.0)},
        c={"value": 0.0},
    )
    res = mod.fit(yy, pars, x=xx)
    p = res.params
    L = float(np.exp(p["logL"].value))
    L_err = float(L * p["logL"].stderr) if p["logL"].stderr else float("nan")
    fine = np.linspace(window[0], window[1], 4000)
    pk, fw = _peak_and_fwhm(
        fine, confinement_lineshape(fine, L, confinement_model, shape, gamma0, omega0)
    )
    return BandFit(
        model=f"confinement ({confinement_model} {shape})",
        peak_cm1=pk,
        peak_err_cm1=float("nan"),
        fwhm_cm1=fw,
        fwhm_err_cm1=float("nan"),
        height=float(p["height"].value),
        confinement_length_nm=L,
        confinement_length_err_nm=L_err,
        redchi=float(res.redchi),
    )


def _verdict_note(shift: float, L_shift: float | None) -> str:
    if shift < -0.3:
        return "band above the bulk line: not confinement (calibrate the axis, or strain)"
    if shift < 0.3:
        return "peak at the bulk position within 0.3 cm-1: no measurable confinement (L > ~30 nm)"
    if L_shift is None:
        return "shift larger than the confinement model reaches: not explained by size alone"
    return (
        f"a {shift:.1f} cm-1 red shift implies L = {L_shift:.2g} nm if caused by confinement alone"
    )


def analyse_raman(
    spectrum: RamanSpectrum | str | Path,
    model: str = "lorentzian",
    window: tuple[float, float] = (440.0, 560.0),
    calibrate: float | None = None,
    omega0: float = SI_REFERENCE,
    gamma0: float = 3.5,
    confinement_model: str = "CF",
    shape: str = "sphere",
) -> RamanResult:
    """Baseline, band fit, optional axis calibration and confinement estimate.

    Parameters
    ----------
    spectrum : RamanSpectrum or path
        The measurement.
    model : {"lorentzian", "voigt", "confinement"}
        Band line shape.
    window : (float, float)
        Band window [cm-1]; the linear baseline is fitted outside it within ±60 cm-1.
    calibrate : float, optional
        Shift the axis so that this spectrum's band sits at ``calibrate`` (e.g. 520.7 for a
        c-Si reference measured in the same session); the offset is reported.
    omega0 : float
        Bulk c-Si frequency for the confinement model [cm-1].
    """
    spec = read_spectrum(spectrum) if isinstance(spectrum, (str, Path)) else spectrum
    x, y = spec.shift, spec.intensity
    notes: list[str] = []
    region = (x >= window[0] - 60) & (x <= window[1] + 60)
    if region.sum() < 10:
        raise CalculationError(f"{spec.source}: no data near {window[0]}-{window[1]} cm-1")
    xr, yr = x[region], y[region]
    base = baseline_raw(xr, yr, window, 1)
    yb = yr - base
    offset = 0.0
    if calibrate is not None:
        ref = fit_band_raw(xr, yb, "lorentzian", window)
        offset = calibrate - ref.peak_cm1
        xr = xr + offset
        notes.append(f"axis shifted by {offset:+.2f} cm-1 to put the band at {calibrate} cm-1")
    fit = fit_band_raw(xr, yb, model, window, gamma0, omega0, confinement_model, shape)
    shift = omega0 - fit.peak_cm1
    step = float(np.median(np.diff(xr)))
    if fit.fwhm_cm1 < 2 * step:
        notes.append(
            f"FWHM {fit.fwhm_cm1:.2f} cm-1 is under two pixels ({step:.2f} cm-1): width is instrumental"
        )
    L_shift = (
        confinement_length_from_shift(fit.peak_cm1, omega0, confinement_model, shape, gamma0)
        if shift > 0.05
        else None
    )
    L_width = confinement_length_from_width(fit.fwhm_cm1, omega0, confinement_model, shape, gamma0)
    if shift < -1.0:
        notes.append(
            f"band is {-shift:.1f} cm-1 above the bulk {omega0} cm-1: axis not calibrated or compressive strain"
        )
    conf = ConfinementEstimate(
        model=confinement_model,
        shape=shape,
        omega0_cm1=omega0,
        shift_cm1=shift,
        length_from_shift_nm=L_shift,
        length_from_width_nm=L_width,
        note=_verdict_note(shift, L_shift),
    )
    return RamanResult(spec.source, fit, offset, conf, notes)
