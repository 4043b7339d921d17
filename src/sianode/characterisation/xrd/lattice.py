"""Cubic indexing, lattice refinement and crystallite size on arrays of peak positions and widths.

- Scherrer: ``D = K λ / (β cos θ)`` with ``K = 0.9`` (spherical crystallites, FWHM-based
  constant; Langford & Wilson, J. Appl. Cryst. 11 (1978) 102) and ``β`` the sample FWHM in
  radians.
- Williamson-Hall: ``β cos θ = K λ / D + 4 ε sin θ`` (Williamson & Hall, Acta Metall. 1 (1953) 22).
- Lattice refinement: ``2θ_obs = 2 asin(λ √(h²+k²+l²) / 2a) + Δ``, with either a zero shift
  ``Δ = z`` or a sample displacement ``Δ = -2 (s/R) cos θ`` (Klug & Alexander, X-ray
  Diffraction Procedures, 2nd ed., 1974), solved by nonlinear least squares; standard errors
  from the Jacobian and the residual variance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...errors import CalculationError, ParameterError
from .pattern import SCHERRER_K, LatticeFit, WilliamsonHall

__all__ = [
    "MAX_TWO_THETA",
    "STRUCTURES",
    "allowed_reflections",
    "index_cubic_raw",
    "refine_cubic_raw",
    "scherrer_raw",
    "williamson_hall_raw",
]

#: Largest diffraction angle 2θ [deg]: Bragg's law ``λ = 2 d sin θ`` needs ``0 < θ < 90 deg``.
MAX_TWO_THETA = 180.0


def _diamond(h: int, k: int, l: int) -> bool:  # noqa: E741
    odd = h % 2 and k % 2 and l % 2
    even = h % 2 == 0 and k % 2 == 0 and l % 2 == 0
    return bool(odd or (even and (h + k + l) % 4 == 0))


def _fcc(h: int, k: int, l: int) -> bool:  # noqa: E741
    return len({h % 2, k % 2, l % 2}) == 1


#: Reflection conditions for cubic lattices: ``rule(h, k, l) -> bool``.
STRUCTURES: dict[str, Any] = {
    "diamond": _diamond,
    "fcc": _fcc,
    "bcc": lambda h, k, l: (h + k + l) % 2 == 0,  # noqa: E741
    "sc": lambda h, k, l: True,  # noqa: E741
}


def allowed_reflections(
    structure: str = "diamond", s_max: int = 200
) -> dict[int, tuple[int, int, int]]:
    """Allowed ``s = h²+k²+l²`` of a cubic structure with one representative (h, k, l).

    ``diamond``: h, k, l all odd, or all even with h + k + l = 4n. ``fcc``: unmixed parity.
    ``bcc``: h + k + l even. ``sc``: all. The representative is the first in
    lexicographic-descending order (e.g. 27 -> (5, 1, 1); the label lists all, "511/333").
    """
    if structure not in STRUCTURES:
        raise ParameterError(
            f"structure: unknown {structure!r}; choose one of {', '.join(STRUCTURES)}"
        )
    rule = STRUCTURES[structure]
    out: dict[int, tuple[int, int, int]] = {}
    hmax = int(math.isqrt(s_max)) + 1
    for h in range(hmax, -1, -1):
        for k in range(h, -1, -1):
            for l in range(k, -1, -1):  # noqa: E741
                s = h * h + k * k + l * l
                if s == 0 or s > s_max or not rule(h, k, l):
                    continue
                out.setdefault(s, (h, k, l))
    return dict(sorted(out.items()))


def _hkl_label(s: int, structure: str) -> str:
    rule = STRUCTURES[structure]
    labels = []
    hmax = int(math.isqrt(s))
    for h in range(hmax, -1, -1):
        for k in range(h, -1, -1):
            for l in range(k, -1, -1):  # noqa: E741
                if h * h + k * k + l * l == s and rule(h, k, l):
                    labels.append(f"{h}{k}{l}")
    return "/".join(labels)


def index_cubic_raw(
    d_spacings: np.ndarray,
    weights: np.ndarray | None = None,
    structure: str = "diamond",
    a_guess: float | None = None,
    tol: float = 0.004,
) -> tuple[float, np.ndarray]:
    """Assign ``s = h²+k²+l²`` to each d-spacing of a cubic phase.

    Without ``a_guess``, trial lattice constants ``d_i √s`` (strongest three peaks × first six
    allowed ``s``) are scored by the weight (e.g. peak height) of peaks that index within
    ``tol`` (relative, in d); the smallest ``a`` scoring at least 90 % of the best wins.

    Returns
    -------
    a0 : float
        Trial lattice constant [Å].
    s : ndarray of int
        ``s`` per peak, 0 where a peak does not index.
    """
    d = np.asarray(d_spacings, dtype=float)
    if d.size == 0:
        raise CalculationError("indexing: no peaks to index")
    w = np.ones_like(d) if weights is None else np.asarray(weights, dtype=float)
    allowed = np.array(list(allowed_reflections(structure, 400)), dtype=float)

    def assign(a: float) -> tuple[np.ndarray, float]:
        s_obs = (a / d) ** 2
        j = np.abs(np.sqrt(allowed)[None, :] - np.sqrt(s_obs)[:, None]).argmin(axis=1)
        s_near = allowed[j]
        ok = np.abs(np.sqrt(s_obs / s_near) - 1.0) < tol
        return np.where(ok, s_near, 0).astype(int), float(w[ok].sum())

    if a_guess is None:
        trials = []
        for i in np.argsort(w)[::-1][:3]:
            for s in allowed[:6]:
                a = float(d[i] * math.sqrt(s))
                trials.append((assign(a)[1], a))
        top = max(t[0] for t in trials)
        # the smallest cell that explains (nearly) as much as the best: larger multiples of the
        # true cell index spurious peaks too, and must not win on that alone
        a0 = min(a for score, a in trials if score >= 0.9 * top)
    else:
        a0 = float(a_guess)
    s_idx, _ = assign(a0)
    if np.count_nonzero(s_idx) == 0:
        raise CalculationError(f"indexing: no peak indexes to a {structure} lattice")
    return a0, s_idx


_CORRECTIONS = ("none", "zero", "displacement", "displacement+axial", "zero+axial")


def refine_cubic_raw(
    two_theta: np.ndarray,
    s: np.ndarray,
    wavelength: float,
    correction: str = "displacement",
    radius_mm: float | None = None,
    a0: float | None = None,
) -> LatticeFit:
    """Least-squares cubic lattice constant from indexed peak positions.

    Model: ``2θ = 2 asin(λ √s / (2a)) + Δ`` [deg] with

    - ``"zero"``: ``Δ = z`` (zero shift of the 2θ scale);
    - ``"displacement"``: ``Δ = -2 (s_d/R) cos θ`` (specimen height error s_d, goniometer
      radius R);
    - ``"displacement+axial"`` / ``"zero+axial"``: plus ``c · cot 2θ``, the first-order
      peak shift of axial divergence (Wilson, Mathematical Theory of X-ray Powder
      Diffractometry, 1963; Cheary, Coelho & Cline, J. Res. NIST 109 (2004) 1), which
      symmetric profile fits leave in low-angle positions;
    - ``"none"``: ``Δ = 0``.

    Parameters
    ----------
    two_theta : ndarray
        Peak positions [deg].
    s : ndarray of int
        ``h²+k²+l²`` per peak.
    wavelength : float
        [Å].
    correction : str
        One of ``none, zero, displacement, displacement+axial, zero+axial``.
    radius_mm : float, optional
        Goniometer radius [mm]; with it the displacement is reported in mm, else in units of R.
    a0 : float, optional
        Starting lattice constant [Å].

    Returns
    -------
    LatticeFit
        ``a`` and its standard error [Å], the correction(s) and their errors.
    """
    from scipy.optimize import least_squares

    tt = np.asarray(two_theta, dtype=float)
    ss = np.asarray(s, dtype=float)
    if correction not in _CORRECTIONS:
        raise ParameterError(
            f"correction: unknown {correction!r}; choose one of {', '.join(_CORRECTIONS)}"
        )
    terms = [t for t in correction.split("+") if t != "none"]
    th = np.radians(tt / 2)
    cols = {
        "zero": np.ones_like(th),
        "displacement": -np.degrees(2 * np.cos(th)),
        "axial": 1.0 / np.tan(2 * th),
    }
    npar = 1 + len(terms)
    if tt.size < npar + 1:
        raise CalculationError(
            f"lattice refinement: {tt.size} indexed peaks, need at least {npar + 1} for '{correction}'"
        )
    if a0 is None:
        a0 = float(np.median(wavelength / (2 * np.sin(th)) * np.sqrt(ss)))
    X = np.array([cols[t] for t in terms]).reshape(len(terms), tt.size)

    def model(p: np.ndarray) -> np.ndarray:
        arg = np.clip(wavelength * np.sqrt(ss) / (2 * p[0]), -1, 1)
        return 2 * np.degrees(np.arcsin(arg)) + p[1:] @ X

    x0 = np.r_[a0, np.zeros(len(terms))]
    res = least_squares(lambda p: model(p) - tt, x0, method="lm")
    resid = res.fun
    dof = tt.size - npar
    err = np.full(npar, np.nan)
    if dof > 0:
        s2 = float(resid @ resid) / dof
        try:
            err = np.sqrt(np.diag(np.linalg.inv(res.jac.T @ res.jac) * s2))
        except np.linalg.LinAlgError:
            pass
    extra: dict[str, dict[str, float | str]] = {}
    for k, t in enumerate(terms):
        val, e = float(res.x[k + 1]), float(err[k + 1])
        unit = "deg"
        if t == "displacement":
            unit = "goniometer radius"
            if radius_mm:
                val, e, unit = val * radius_mm, e * radius_mm, "mm"
        extra[t] = {"value": val, "err": e, "unit": unit}
    first = extra[terms[0]] if terms else {"value": 0.0, "err": 0.0, "unit": ""}
    return LatticeFit(
        a_A=float(res.x[0]),
        a_err_A=float(err[0]),
        correction=correction,
        correction_value=float(first["value"]),
        correction_err=float(first["err"]),
        correction_unit=str(first["unit"]),
        residuals_deg=[float(r) for r in resid],
        n_peaks=int(tt.size),
        terms=extra,
    )


def scherrer_raw(two_theta: Any, fwhm: Any, wavelength: float, K: float = SCHERRER_K) -> Any:
    """Scherrer crystallite size ``D = K λ / (β cos θ)`` [nm].

    Parameters
    ----------
    two_theta : float or ndarray
        Peak position [deg].
    fwhm : float or ndarray
        Sample (instrument-corrected) FWHM [deg].
    wavelength : float
        [Å].
    K : float
        Scherrer constant [-] (0.9 for FWHM and spherical crystallites).
    """
    tt = np.asarray(two_theta, dtype=float)
    b = np.radians(np.asarray(fwhm, dtype=float))
    if np.any(b <= 0):
        raise ParameterError("fwhm: must be > 0 deg")
    if np.any((tt <= 0) | (tt >= MAX_TWO_THETA)):
        # cos θ <= 0 past 180 deg would give a negative or infinite size
        raise ParameterError(f"two_theta: must be in (0, {MAX_TWO_THETA:g}) deg")
    out = K * wavelength * 0.1 / (b * np.cos(np.radians(tt / 2)))
    return float(out) if out.ndim == 0 else out


def williamson_hall_raw(
    two_theta: np.ndarray, fwhm: np.ndarray, wavelength: float, K: float = SCHERRER_K
) -> WilliamsonHall:
    """Williamson-Hall fit ``β cos θ = K λ / D + 4 ε sin θ`` (β in rad).

    Returns size [nm] with standard error, microstrain ε [-] with standard error, and R².
    """
    tt = np.asarray(two_theta, dtype=float)
    b = np.radians(np.asarray(fwhm, dtype=float))
    if tt.size < 2:
        raise CalculationError(f"Williamson-Hall: {tt.size} peaks, need at least 2")
    th = np.radians(tt / 2)
    xv = 4 * np.sin(th)
    yv = b * np.cos(th)
    A = np.vstack([xv, np.ones_like(xv)]).T
    coef, *_ = np.linalg.lstsq(A, yv, rcond=None)
    slope, icpt = float(coef[0]), float(coef[1])
    resid = yv - A @ coef
    ss_tot = float(((yv - yv.mean()) ** 2).sum())
    r2 = 1 - float(resid @ resid) / ss_tot if ss_tot > 0 else float("nan")
    if tt.size > 2:
        cov = np.linalg.inv(A.T @ A) * float(resid @ resid) / (tt.size - 2)
        e_slope, e_icpt = float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))
    else:
        e_slope = e_icpt = float("nan")
    lam_nm = wavelength * 0.1
    size = K * lam_nm / icpt if icpt > 0 else float("inf")
    size_err = K * lam_nm * e_icpt / icpt**2 if icpt > 0 else float("nan")
    return WilliamsonHall(size, size_err, slope, e_slope, r2, int(tt.size))
