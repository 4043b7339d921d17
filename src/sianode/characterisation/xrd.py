"""Powder X-ray diffraction: read, fit, index, refine a cubic lattice, crystallite size.

Two tiers, as in pyGAPS: array-in functions (``snip_background``, ``find_peaks_raw``,
``fit_peaks_raw``, ``index_cubic_raw``, ``refine_cubic_raw``, ``scherrer_raw``,
``williamson_hall_raw``) under the file-level :func:`analyse_xrd` / :func:`read_pattern`.

Conventions
-----------
- Angles are 2θ in degrees; wavelengths in Å; sizes in nm.
- Peak width is the full width at half maximum (FWHM) of the fitted pseudo-Voigt,
  ``FWHM = 2 sigma`` in lmfit's ``PseudoVoigtModel``.
- Scherrer: ``D = K λ / (β cos θ)`` with ``K = 0.9`` (spherical crystallites, FWHM-based
  constant; Langford & Wilson, J. Appl. Cryst. 11 (1978) 102) and ``β`` the sample FWHM in
  radians.
- Williamson-Hall: ``β cos θ = K λ / D + 4 ε sin θ`` (Williamson & Hall, Acta Metall. 1 (1953) 22).
- Instrumental broadening (from a standard such as NIST SRM 640d) is removed per component:
  each pseudo-Voigt is split into Lorentzian and Gaussian FWHMs with the Thompson-Cox-Hastings
  relations (J. Appl. Cryst. 20 (1987) 79; inverse by Ida, Ando & Toraya, J. Appl. Cryst. 33
  (2000) 1311), the Lorentzian widths subtract linearly, the Gaussian ones in quadrature.
- Lattice refinement: ``2θ_obs = 2 asin(λ √(h²+k²+l²) / 2a) + Δ``, with either a zero shift
  ``Δ = z`` or a sample displacement ``Δ = -2 (s/R) cos θ`` (Klug & Alexander, X-ray
  Diffraction Procedures, 2nd ed., 1974), solved by nonlinear least squares; standard errors
  from the Jacobian and the residual variance.
"""

from __future__ import annotations

import math
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CalculationError, ParameterError, ParsingError
from ._io import read_text, two_columns

__all__ = [
    "CU_KA1",
    "CU_KA2",
    "SCHERRER_K",
    "STRUCTURES",
    "XRDPattern",
    "PeakFit",
    "LatticeFit",
    "WilliamsonHall",
    "XRDResult",
    "read_pattern",
    "read_xy",
    "read_brml",
    "snip_background",
    "find_peaks_raw",
    "fit_peaks_raw",
    "allowed_reflections",
    "index_cubic_raw",
    "refine_cubic_raw",
    "scherrer_raw",
    "williamson_hall_raw",
    "pseudo_voigt_components",
    "tch_fwhm",
    "analyse_xrd",
]

#: Cu Kα1 wavelength [Å], the documented default (Hölzer et al., Phys. Rev. A 56 (1997) 4554: 1.540593 Å).
CU_KA1 = 1.5406
#: Cu Kα2 wavelength [Å].
CU_KA2 = 1.54443
#: Scherrer constant for FWHM widths of spherical crystallites [-].
SCHERRER_K = 0.9
WIDTH_DEFINITION = "FWHM of fitted pseudo-Voigt (instrument-corrected when a standard is given)"


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


# --------------------------------------------------------------------------- data


@dataclass
class XRDPattern:
    """A powder pattern.

    Attributes
    ----------
    two_theta : ndarray
        Diffraction angle 2θ [deg], increasing.
    intensity : ndarray
        Counts [-].
    wavelength : float or None
        Kα1 (or single) wavelength [Å]; ``None`` if the file does not say.
    kalpha2 : float or None
        Kα2 wavelength [Å] when the beam contains Kα2.
    kalpha2_ratio : float
        I(Kα2)/I(Kα1) [-]; 0 for a monochromatic (e.g. Johansson) beam.
    goniometer_radius : float or None
        [mm], used to express sample displacement in mm.
    source : str
        File path or ``"array"``.
    """

    two_theta: np.ndarray
    intensity: np.ndarray
    wavelength: float | None = None
    kalpha2: float | None = None
    kalpha2_ratio: float = 0.0
    goniometer_radius: float | None = None
    source: str = "array"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class PeakFit:
    """One fitted reflection (Kα1 component)."""

    two_theta_deg: float
    two_theta_err_deg: float
    fwhm_deg: float
    fwhm_err_deg: float
    eta: float
    height: float
    area: float
    d_A: float
    hkl: tuple[int, int, int] | None = None
    hkl_label: str = ""
    s: int | None = None
    window_deg: tuple[float, float] = (0.0, 0.0)


@dataclass
class LatticeFit:
    """Least-squares cubic lattice constant."""

    a_A: float
    a_err_A: float
    correction: str
    correction_value: float
    correction_err: float
    correction_unit: str
    residuals_deg: list[float]
    n_peaks: int
    terms: dict[str, dict[str, float | str]] = field(default_factory=dict)


@dataclass
class WilliamsonHall:
    """Williamson-Hall size and microstrain."""

    size_nm: float
    size_err_nm: float
    strain: float
    strain_err: float
    r2: float
    n_peaks: int


@dataclass
class XRDResult:
    """Everything :func:`analyse_xrd` finds."""

    source: str
    wavelength_A: float
    peaks: list[PeakFit]
    lattice: LatticeFit | None
    scherrer_nm: list[float | None]
    scherrer_mean_nm: float | None
    williamson_hall: WilliamsonHall | None
    instrument_subtracted: bool
    size_resolvable: list[bool]
    K: float = SCHERRER_K
    width_definition: str = WIDTH_DEFINITION
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the keys of the ``--json`` output."""
        lat = self.lattice
        return {
            "source": self.source,
            "wavelength_A": self.wavelength_A,
            "lattice_constant_A": lat.a_A if lat else None,
            "lattice_constant_err_A": lat.a_err_A if lat else None,
            "lattice_correction": {"type": lat.correction, **lat.terms} if lat else None,
            "peaks": [
                {
                    "hkl": p.hkl_label,
                    "two_theta_deg": p.two_theta_deg,
                    "two_theta_err_deg": p.two_theta_err_deg,
                    "fwhm_deg": p.fwhm_deg,
                    "eta": p.eta,
                    "d_A": p.d_A,
                    "height": p.height,
                    "scherrer_nm": s,
                    "size_resolvable": r,
                }
                for p, s, r in zip(self.peaks, self.scherrer_nm, self.size_resolvable, strict=True)
            ],
            "scherrer_nm": self.scherrer_mean_nm,
            "scherrer_K": self.K,
            "width_definition": self.width_definition,
            "williamson_hall": (
                {
                    "size_nm": self.williamson_hall.size_nm,
                    "size_err_nm": self.williamson_hall.size_err_nm,
                    "strain": self.williamson_hall.strain,
                    "strain_err": self.williamson_hall.strain_err,
                    "r2": self.williamson_hall.r2,
                }
                if self.williamson_hall
                else None
            ),
            "instrument_subtracted": self.instrument_subtracted,
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- readers


def read_xy(path: str | Path, wavelength: float | None = None) -> XRDPattern:
    """Read a two-column (2θ [deg], counts) text file: .xy, .csv, .txt, .dat.

    Parameters
    ----------
    path : str or Path
        File name.
    wavelength : float, optional
        Wavelength [Å]; text files rarely state it.
    """
    x, y, header = two_columns(read_text(path), str(path))
    if x.size < 10:
        raise ParsingError(f"{path}: only {x.size} data rows; a powder pattern needs more")
    if wavelength is None:
        # a header such as "# wavelength = 1.5406 A" or "(Cu K-alpha1 = 1.5406 A)"
        for line in header:
            m = re.search(r"(?:wavelength|lambda|alpha1)\s*[=:]?\s*([0-9]*\.[0-9]+)", line, re.I)
            if m:
                wavelength = float(m.group(1))
                break
    return XRDPattern(x, y, wavelength=wavelength, source=str(path), metadata={"header": header})


def _xml_value(text: str, tag: str) -> float | None:
    m = re.search(rf"<{tag}\b[^>]*Value=\"([0-9.eE+-]+)\"", text)
    return float(m.group(1)) if m else None


def read_brml(path: str | Path, wavelength: float | None = None) -> XRDPattern:
    """Read a Bruker DIFFRAC .brml file (a zip of XML documents).

    The scan is taken from ``Experiment0/RawData0.xml``: each ``<Datum>`` holds
    ``time, ?, 2θ, counts``. The Kα1/Kα2 wavelengths and ratio come from the tube record;
    a primary Johansson monochromator in the optics sets the Kα2 ratio to 0.

    Parameters
    ----------
    path : str or Path
        File name.
    wavelength : float, optional
        Overrides the wavelength in the file [Å].
    """
    p = Path(path)
    if not p.is_file():
        raise ParsingError(f"{p}: no such file")
    try:
        with zipfile.ZipFile(p) as zf:
            names = [n for n in zf.namelist() if re.search(r"RawData\d*\.xml$", n)]
            if not names:
                raise ParsingError(f"{p}: no RawData*.xml inside the .brml archive")
            text = zf.read(sorted(names)[0]).decode("utf-8", errors="replace")
    except zipfile.BadZipFile:
        raise ParsingError(f"{p}: not a Bruker .brml file (not a zip archive)") from None
    rows = re.findall(r"<Datum>([^<]*)</Datum>", text)
    if not rows:
        raise ParsingError(f"{p}: no <Datum> rows in the raw data")
    nfield = rows[0].count(",") + 1
    if nfield < 4:
        raise ParsingError(f"{p}: <Datum> rows have {nfield} fields, expected 4")
    try:
        arr = np.array(",".join(rows).split(","), dtype=float).reshape(len(rows), nfield)
    except ValueError:
        raise ParsingError(f"{p}: non-numeric or ragged <Datum> rows") from None
    tt, counts = arr[:, 2], arr[:, 3]
    ka1 = _xml_value(text, "WaveLengthAlpha1")
    ka2 = _xml_value(text, "WaveLengthAlpha2")
    ratio = _xml_value(text, "WaveLengthRatio") or 0.0
    mono = "Monochromator/Johansson" in text or "Johansson" in text
    if mono:
        ratio = 0.0
    radii = [float(v) for v in re.findall(r"<Radius Unit=\"mm\" Value=\"([0-9.]+)\"", text)]
    meta = {"monochromator": "Johansson" if mono else None, "radii_mm": radii}
    return XRDPattern(
        tt,
        counts,
        wavelength=wavelength if wavelength is not None else ka1,
        kalpha2=None if ratio == 0 else ka2,
        kalpha2_ratio=ratio,
        goniometer_radius=radii[-1] if radii else None,
        source=str(p),
        metadata=meta,
    )


def read_pattern(
    path: str | Path,
    wavelength: float | None = None,
    kalpha2_ratio: float | None = None,
) -> XRDPattern:
    """Read any supported pattern file (.brml, or two-column .xy/.csv/.txt/.dat).

    Parameters
    ----------
    wavelength : float, optional
        [Å]; overrides the file. Text files without one stay ``None`` (see :func:`analyse_xrd`).
    kalpha2_ratio : float, optional
        Force the Kα2/Kα1 intensity ratio (0 = monochromatic; 0.5 = unfiltered Cu).
    """
    p = Path(path)
    if p.suffix.lower() == ".brml":
        pat = read_brml(p, wavelength)
    else:
        pat = read_xy(p, wavelength)
    if kalpha2_ratio is not None:
        if kalpha2_ratio < 0 or kalpha2_ratio > 1:
            raise ParameterError("kalpha2_ratio: must be in [0, 1]")
        pat.kalpha2_ratio = float(kalpha2_ratio)
        if kalpha2_ratio > 0 and pat.kalpha2 is None:
            pat.kalpha2 = CU_KA2
    return pat


# --------------------------------------------------------------------------- raw numerics


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


# --------------------------------------------------------------------------- file level


def _instrument_widths(inst: XRDResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tt = np.array([p.two_theta_deg for p in inst.peaks])
    comps = np.array([pseudo_voigt_components(p.fwhm_deg, p.eta) for p in inst.peaks])
    order = np.argsort(tt)
    return tt[order], comps[order, 0], comps[order, 1]


def analyse_xrd(
    pattern: XRDPattern | str | Path,
    wavelength: float | None = None,
    structure: str = "diamond",
    correction: str = "displacement+axial",
    instrument: XRDResult | XRDPattern | str | Path | None = None,
    a_guess: float | None = None,
    K: float = SCHERRER_K,
    background_width: float = 2.0,
    min_snr: float = 8.0,
) -> XRDResult:
    """Full analysis of a powder pattern of a cubic phase.

    Steps: SNIP background, peak search, pseudo-Voigt fits (with Kα2 twin if the beam has
    Kα2), cubic indexing, lattice refinement (zero shift or sample displacement), Scherrer
    per peak and Williamson-Hall, with instrumental broadening removed when ``instrument``
    (a standard pattern or its result) is given.

    Parameters
    ----------
    pattern : XRDPattern or path
        The sample.
    wavelength : float, optional
        [Å]; required when the file does not state it.
    structure : str
        Key of :data:`STRUCTURES` (``"diamond"`` for Si).
    correction : str
        Peak-shift correction in the refinement: ``"displacement"``, ``"zero"``,
        ``"displacement+axial"``, ``"zero+axial"`` or ``"none"`` (see :func:`refine_cubic_raw`).
    instrument : XRDResult, XRDPattern or path, optional
        Line-shape standard measured on the same instrument (e.g. SRM 640d).
    background_width : float
        SNIP clipping half-window [deg].
    min_snr : float
        Peak-search threshold in noise standard deviations.

    Raises
    ------
    ParameterError
        No wavelength anywhere.
    CalculationError
        No peaks, nothing indexes, too few peaks to refine.
    """
    pat = read_pattern(pattern, wavelength) if isinstance(pattern, (str, Path)) else pattern
    lam = wavelength if wavelength is not None else pat.wavelength
    if lam is None:
        raise ParameterError(
            f"wavelength: {pat.source} does not state one; pass --wavelength in Å (Cu Kα1 = 1.5406)"
        )
    if lam <= 0:
        raise ParameterError("wavelength: must be > 0 Å")
    notes: list[str] = []
    x, y = pat.two_theta, pat.intensity
    step = float(np.median(np.diff(x)))
    if step <= 0:
        raise ParsingError(f"{pat.source}: 2θ column is not increasing")
    bg = snip_background(y, max(1, int(round(background_width / step))))
    ys = y - bg
    idx, widths = find_peaks_raw(x, ys, min_snr=min_snr)
    if idx.size == 0:
        raise CalculationError(f"{pat.source}: no diffraction peaks found")
    fits = fit_peaks_raw(x, ys, x[idx], widths, lam, pat.kalpha2, pat.kalpha2_ratio)
    if not fits:
        raise CalculationError(f"{pat.source}: no peak could be fitted")
    d = np.array([f.d_A for f in fits])
    a0, s_idx = index_cubic_raw(d, np.array([f.height for f in fits]), structure, a_guess)
    # keep indexed peaks, one per reflection (the strongest)
    keep: dict[int, int] = {}
    for i, s in enumerate(s_idx):
        if s and (s not in keep or fits[i].height > fits[keep[s]].height):
            keep[int(s)] = i
    n_unindexed = int(np.sum(s_idx == 0))
    if n_unindexed:
        notes.append(f"{n_unindexed} peak(s) did not index to {structure} and were ignored")
    peaks = []
    for s, i in sorted(keep.items()):
        f = fits[i]
        f.s = s
        f.hkl = allowed_reflections(structure, s)[s]
        f.hkl_label = _hkl_label(s, structure)
        peaks.append(f)
    tt = np.array([p.two_theta_deg for p in peaks])
    ss = np.array([p.s for p in peaks])
    lattice = None
    tries = [correction] + ([correction.split("+")[0]] if "+" in correction else []) + ["none"]
    for corr in dict.fromkeys(tries):
        try:
            lattice = refine_cubic_raw(tt, ss, lam, corr, pat.goniometer_radius, a0)
            break
        except CalculationError as exc:
            notes.append(str(exc))
    # widths, instrument correction
    inst_res: XRDResult | None = None
    if instrument is not None:
        inst_res = (
            instrument
            if isinstance(instrument, XRDResult)
            else analyse_xrd(instrument, wavelength=wavelength, structure=structure)
        )
    fw = np.array([p.fwhm_deg for p in peaks])
    resolvable = [True] * len(peaks)
    if inst_res is not None and inst_res.peaks:
        itt, ifg, ifl = _instrument_widths(inst_res)
        sample = []
        for k, p in enumerate(peaks):
            fg, fl = pseudo_voigt_components(p.fwhm_deg, p.eta)
            ig = float(np.interp(p.two_theta_deg, itt, ifg))
            il = float(np.interp(p.two_theta_deg, itt, ifl))
            inst_f = float(tch_fwhm(ig, il))
            sg = math.sqrt(max(fg**2 - ig**2, 0.0))
            sl = max(fl - il, 0.0)
            fs = float(tch_fwhm(sg, sl))
            if p.fwhm_deg < 1.2 * inst_f or fs <= 0:
                resolvable[k] = False
            sample.append(fs)
        fw_s = np.array(sample)
        n_bad = resolvable.count(False)
        if n_bad:
            msg = (
                f"{n_bad} of {len(peaks)} peak widths are within 20 % of the instrument's: "
                "size not resolvable from those peaks (lower bound only)"
            )
            warnings.warn(msg, stacklevel=2)
            notes.append(msg)
    else:
        fw_s = fw
        notes.append(
            "no instrument standard given: widths include instrumental broadening, sizes are lower bounds"
        )
    sizes: list[float | None] = []
    for p, f, r in zip(peaks, fw_s, resolvable, strict=True):
        sizes.append(float(scherrer_raw(p.two_theta_deg, f, lam, K)) if (f > 0 and r) else None)
    valid = [s for s in sizes if s is not None]
    mean_size = float(np.mean(valid)) if valid else None
    wh = None
    ok = np.array([s is not None for s in sizes])
    if ok.sum() >= 2:
        wh = williamson_hall_raw(tt[ok], fw_s[ok], lam, K)
    return XRDResult(
        source=pat.source,
        wavelength_A=float(lam),
        peaks=peaks,
        lattice=lattice,
        scherrer_nm=sizes,
        scherrer_mean_nm=mean_size,
        williamson_hall=wh,
        instrument_subtracted=inst_res is not None,
        size_resolvable=resolvable,
        K=K,
        warnings=notes,
    )
