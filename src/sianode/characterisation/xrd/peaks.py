"""XRD peak numerics on arrays: SNIP background, peak search, pseudo-Voigt fits and widths.

Conventions: 2θ in degrees, wavelengths in Å. Peak width is the full width at half maximum
(FWHM) of the fitted pseudo-Voigt. Pseudo-Voigt FWHMs are split into Gaussian and Lorentzian
parts with the Thompson-Cox-Hastings relations (J. Appl. Cryst. 20 (1987) 79; inverse by Ida,
Ando & Toraya, J. Appl. Cryst. 33 (2000) 1311).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...errors import CalculationError, ParameterError
from .pattern import PeakFit

__all__ = [
    "snip_background",
    "find_peaks_raw",
    "tch_fwhm",
    "pseudo_voigt_components",
    "fit_peaks_raw",
]


def snip_background(y: np.ndarray, half_width: int, lls: bool = True) -> np.ndarray:
    """Statistics-sensitive non-linear iterative peak clipping (SNIP) background.

    Ryan et al., Nucl. Instrum. Methods B 34 (1988) 396; decreasing-window variant of
    Morháč et al., Nucl. Instrum. Methods A 401 (1997) 113.

    Parameters
    ----------
    y : ndarray
        Counts [-].
    half_width : int
        Largest clipping half-window [points]; about the full base width of a peak.
    lls : bool
        Apply the log-log-sqrt transform (good for Poisson counts).
    """
    y = np.asarray(y, dtype=float)
    if half_width < 1:
        raise ParameterError("half_width: must be >= 1 point")
    v = np.log(np.log(np.sqrt(np.clip(y, 0, None) + 1.0) + 1.0) + 1.0) if lls else y.copy()
    n = v.size
    m = min(int(half_width), (n - 1) // 2)
    for p in range(m, 0, -1):
        mid = 0.5 * (v[: n - 2 * p] + v[2 * p :])
        np.minimum(v[p : n - p], mid, out=v[p : n - p])
    if lls:
        v = (np.exp(np.exp(v - 1.0) - 1.0) ** 2) - 1.0
    return v


def _noise_sigma(y: np.ndarray) -> float:
    d = np.diff(y)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0)) or 1.0


def find_peaks_raw(
    x: np.ndarray, y: np.ndarray, min_snr: float = 8.0, min_rel: float = 0.005
) -> tuple[np.ndarray, np.ndarray]:
    """Peak indices and FWHM estimates [x units] in background-free data.

    A peak needs a prominence above ``min_snr`` times the noise and ``min_rel`` times the
    tallest peak.
    """
    from scipy.signal import find_peaks, peak_widths

    y = np.asarray(y, dtype=float)
    sig = _noise_sigma(y)
    prom = max(min_snr * sig, min_rel * float(np.max(y)))
    idx, _ = find_peaks(y, prominence=prom)
    if idx.size == 0:
        return idx, np.zeros(0)
    w = peak_widths(y, idx, rel_height=0.5)[0]
    step = float(np.median(np.diff(x)))
    return idx, np.maximum(w, 2.0) * step


def tch_fwhm(fg: Any, fl: Any) -> Any:
    """Thompson-Cox-Hastings pseudo-Voigt FWHM from Gaussian and Lorentzian FWHMs."""
    fg = np.asarray(fg, dtype=float)
    fl = np.asarray(fl, dtype=float)
    f5 = (
        fg**5
        + 2.69269 * fg**4 * fl
        + 2.42843 * fg**3 * fl**2
        + 4.47163 * fg**2 * fl**3
        + 0.07842 * fg * fl**4
        + fl**5
    )
    return f5 ** (1.0 / 5.0)


def pseudo_voigt_components(fwhm: float, eta: float) -> tuple[float, float]:
    """Split a pseudo-Voigt (FWHM, mixing η) into Gaussian and Lorentzian FWHMs.

    Inverts η(ρ) = 1.36603 ρ − 0.47719 ρ² + 0.11116 ρ³ with ρ = f_L/f (TCH), then solves the
    TCH FWHM relation for f_G.
    """
    from scipy.optimize import brentq

    eta = float(np.clip(eta, 0.0, 1.0))
    if eta <= 0:
        return fwhm, 0.0
    if eta >= 1:
        return 0.0, fwhm
    rho = brentq(lambda r: 1.36603 * r - 0.47719 * r**2 + 0.11116 * r**3 - eta, 0.0, 1.0)
    fl = rho * fwhm
    if tch_fwhm(0.0, fl) >= fwhm:
        return 0.0, fl
    fg = brentq(lambda g: float(tch_fwhm(g, fl)) - fwhm, 0.0, fwhm)
    return fg, fl


def _pv(x: np.ndarray, amp: float, cen: float, fwhm: float, eta: float) -> np.ndarray:
    sg = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    hw = fwhm / 2.0
    g = np.exp(-((x - cen) ** 2) / (2 * sg**2)) / (sg * math.sqrt(2 * math.pi))
    lo = hw / (math.pi * ((x - cen) ** 2 + hw**2))
    return amp * ((1 - eta) * g + eta * lo)


def _ka2_angle(two_theta: Any, ratio: float) -> Any:
    """2θ of the Kα2 twin of a Kα1 line at ``two_theta`` [deg]; ``ratio = λ2/λ1``."""
    arg = np.clip(ratio * np.sin(np.radians(np.asarray(two_theta) / 2)), -1.0, 1.0)
    return 2 * np.degrees(np.arcsin(arg))


def _pv_doublet(
    x: np.ndarray,
    amplitude: float,
    center: float,
    fwhm: float,
    eta: float,
    c: float,
    ratio: float,
    r2: float,
) -> np.ndarray:
    """Pseudo-Voigt (area ``amplitude``) + its Kα2 twin (area ``ratio`` × amplitude) + constant."""
    y = _pv(x, amplitude, center, fwhm, eta) + c
    if ratio > 0:
        y = y + _pv(x, ratio * amplitude, float(_ka2_angle(center, r2)), fwhm, eta)
    return y


def fit_peaks_raw(
    two_theta: np.ndarray,
    intensity: np.ndarray,
    centres: np.ndarray,
    fwhm_guess: np.ndarray,
    wavelength: float,
    kalpha2: float | None = None,
    kalpha2_ratio: float = 0.0,
    window_fwhm: float = 6.0,
    min_window: float = 0.2,
) -> list[PeakFit]:
    """Fit each peak with a pseudo-Voigt plus a constant (lmfit ``Model``).

    The pseudo-Voigt is ``η L + (1-η) G`` with a Lorentzian and a Gaussian of the same FWHM
    and unit area, scaled by the peak area (the lmfit ``pvoigt`` convention).

    When ``kalpha2_ratio > 0``, a Kα2 twin with the same width and shape is added at the
    angle Bragg's law gives for ``kalpha2`` and with area ``kalpha2_ratio`` times Kα1.

    Parameters
    ----------
    two_theta, intensity : ndarray
        Background-subtracted pattern [deg], [-].
    centres, fwhm_guess : ndarray
        Starting positions and widths [deg].
    wavelength : float
        Kα1 wavelength [Å] (for d-spacings and the Kα2 position).
    window_fwhm : float
        Half-window of each fit in multiples of the FWHM guess.
    min_window : float
        Smallest half-window [deg].
    """
    import lmfit

    out: list[PeakFit] = []
    x_all = np.asarray(two_theta, dtype=float)
    y_all = np.asarray(intensity, dtype=float)
    use_ka2 = kalpha2_ratio > 0 and kalpha2 is not None
    r2 = float(kalpha2) / wavelength if use_ka2 else 1.0  # type: ignore[arg-type]
    # one plain function (no constraint expressions): lmfit evaluates it fast
    model = lmfit.Model(_pv_doublet, independent_vars=["x"])
    for c0, w0 in zip(np.atleast_1d(centres), np.atleast_1d(fwhm_guess), strict=True):
        hw = max(window_fwhm * w0, min_window)
        lo, hi = c0 - hw, c0 + hw
        if use_ka2:
            hi += _ka2_angle(c0, r2) - c0
        m = (x_all >= lo) & (x_all <= hi)
        if m.sum() < 7:
            continue
        x, y = x_all[m], y_all[m]
        pars = model.make_params(
            amplitude={"value": max(float(y.max()), 1.0) * w0, "min": 0.0},
            center={"value": c0, "min": c0 - w0, "max": c0 + w0},
            fwhm={"value": w0, "min": w0 / 10.0, "max": w0 * 10},
            eta={"value": 0.5, "min": 0.0, "max": 1.0},
            c={"value": float(np.median(np.r_[y[:3], y[-3:]]))},
            ratio={"value": float(kalpha2_ratio) if use_ka2 else 0.0, "vary": False},
            r2={"value": r2, "vary": False},
        )
        try:
            res = model.fit(y, pars, x=x)
        except Exception as exc:  # lmfit/scipy failures
            raise CalculationError(f"peak fit at {c0:.3f} deg failed: {exc}") from None
        p = res.params
        cen = float(p["center"].value)
        fw = float(p["fwhm"].value)
        eta = float(p["eta"].value)
        amp = float(p["amplitude"].value)
        height = float(_pv(np.array([cen]), amp, cen, fw, eta)[0])
        d = wavelength / (2 * math.sin(math.radians(cen / 2)))
        out.append(
            PeakFit(
                two_theta_deg=cen,
                two_theta_err_deg=float(p["center"].stderr or np.nan),
                fwhm_deg=fw,
                fwhm_err_deg=float(p["fwhm"].stderr or np.nan),
                eta=eta,
                height=height,
                area=amp,
                d_A=d,
                window_deg=(float(lo), float(hi)),
            )
        )
    return out
