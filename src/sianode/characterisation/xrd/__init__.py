"""Powder X-ray diffraction: read, fit, index, refine a cubic lattice, crystallite size.

Two tiers, as in pyGAPS: array-in functions (``snip_background``, ``find_peaks_raw``,
``fit_peaks_raw``, ``index_cubic_raw``, ``refine_cubic_raw``, ``scherrer_raw``,
``williamson_hall_raw``) under the pattern-level :func:`analyse_xrd`. File readers
(:mod:`.readers`) are apart from the numerics (:mod:`.peaks`, :mod:`.lattice`), which never
touch a file; :mod:`.pattern` holds the data classes all of them share.


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

from .analysis import analyse_xrd
from .lattice import (
    STRUCTURES,
    allowed_reflections,
    index_cubic_raw,
    refine_cubic_raw,
    scherrer_raw,
    williamson_hall_raw,
)
from .pattern import (
    CU_KA1,
    CU_KA2,
    SCHERRER_K,
    WIDTH_DEFINITION,
    LatticeFit,
    PeakFit,
    WilliamsonHall,
    XRDPattern,
    XRDResult,
)
from .peaks import (
    find_peaks_raw,
    fit_peaks_raw,
    pseudo_voigt_components,
    snip_background,
    tch_fwhm,
)
from .readers import read_brml, read_pattern, read_xy

__all__ = [
    "WIDTH_DEFINITION",
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
