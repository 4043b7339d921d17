"""XRD data: the powder pattern, the fit results and the constants they are defined with.

Plain dataclasses shared by the readers (:mod:`.readers`), the numerics (:mod:`.peaks`,
:mod:`.lattice`) and the analysis (:mod:`.analysis`); no file parsing and no fitting here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Cu Kα1 wavelength [Å], the documented default (Hölzer et al., Phys. Rev. A 56 (1997) 4554: 1.540593 Å).
CU_KA1 = 1.5406
#: Cu Kα2 wavelength [Å].
CU_KA2 = 1.54443
#: Scherrer constant for FWHM widths of spherical crystallites [-].
SCHERRER_K = 0.9
WIDTH_DEFINITION = "FWHM of fitted pseudo-Voigt (instrument-corrected when a standard is given)"


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
