"""Lattice fringes of an HRTEM / STEM image from its windowed Fourier transform.

Steps (numpy and scipy only):

1. the largest centred square of the image, mean removed, times a 2-D Hann window
   (suppresses the edge streaks of a non-periodic image);
2. the power spectrum ``|F|²``; each spot's strength is its power over the azimuthal median
   of the power at the same spatial frequency (the diffuse background);
3. local maxima above ``min_strength`` x background, one of each Friedel pair (g, -g);
4. sub-pixel positions by a parabola through the log power of the three pixels across the
   maximum in each direction;
5. ``d = 1 / |g|`` (pixels, or nm with a calibration) and the angle of each spot to the
   strongest one; the uncertainty ``sd`` is the standard deviation of the same spot's d in
   the four image quadrants (it holds scan distortion and local strain as well as the
   fitting precision);
6. with a crystal (:mod:`sianode.microscopy.crystals`), each spacing is indexed and a common
   scale factor fitted: ``scale_error_pct = 100 (d_measured / d_reference - 1)`` is how far
   the file's calibration is off (positive: the file overstates lengths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CalculationError
from .crystals import Crystal, reflections

__all__ = ["Spacing", "LatticeResult", "power_spectrum", "find_spots", "analyse_lattice"]


@dataclass
class Spacing:
    """One lattice spacing (a Friedel pair of spots)."""

    d: float  #: spacing in the result's unit
    sd: float | None  #: sd over the four image quadrants
    angle_deg: float  #: angle of g to the strongest spot's g, [0, 180)
    direction_deg: float  #: direction of g in the image (x right, y up), [0, 180)
    strength: float  #: spot power over the background at that frequency
    g_px: tuple[float, float]  #: (gx, gy) in cycles per pixel
    hkl: str | None = None
    d_reference_nm: float | None = None
    residual_pct: float | None = None  #: after the common scale correction


@dataclass
class LatticeResult:
    """Spacings (strongest first), their symmetry and, with a crystal, the indexing."""

    unit: str
    spacings: list[Spacing]
    symmetry: str
    symmetry_note: str
    crystal: str | None = None
    crystal_reference: str | None = None
    scale_error_pct: float | None = None
    scale_error_sd_pct: float | None = None
    pixel_size_from_lattice_nm: float | None = None
    max_ratio_residual_pct: float | None = None  #: of the family-mean spacings after scaling
    #: largest spread between symmetry-equivalent spacings: the scale differs by about this
    #: much between directions (scan distortion, drift), beyond ``scale_error_sd_pct``
    distortion_pct: float | None = None
    families: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        u = self.unit
        return {
            "unit": u,
            f"spacings_{u}": [
                {
                    f"d_{u}": s.d,
                    "angle_deg": s.angle_deg,
                    f"sd_{u}": s.sd,
                    "direction_deg": s.direction_deg,
                    "strength": s.strength,
                    "hkl": s.hkl,
                    "d_reference_nm": s.d_reference_nm,
                    "residual_pct": s.residual_pct,
                }
                for s in self.spacings
            ],
            "symmetry": self.symmetry,
            "symmetry_note": self.symmetry_note,
            "crystal": self.crystal,
            "crystal_reference": self.crystal_reference,
            "scale_error_pct": self.scale_error_pct,
            "scale_error_sd_pct": self.scale_error_sd_pct,
            "pixel_size_from_lattice_nm": self.pixel_size_from_lattice_nm,
            "max_ratio_residual_pct": self.max_ratio_residual_pct,
            "distortion_pct": self.distortion_pct,
            "families": self.families,
            "warnings": list(self.warnings),
        }


def _square(img: np.ndarray) -> np.ndarray:
    n = min(img.shape)
    r0, c0 = (img.shape[0] - n) // 2, (img.shape[1] - n) // 2
    return img[r0 : r0 + n, c0 : c0 + n]


def power_spectrum(img: np.ndarray) -> np.ndarray:
    """Hann-windowed power spectrum of the largest centred square, zero frequency at the centre."""
    sq = _square(np.asarray(img, dtype=float))
    n = sq.shape[0]
    w = np.hanning(n)
    f = np.fft.fftshift(np.fft.fft2((sq - sq.mean()) * np.outer(w, w)))
    return f.real**2 + f.imag**2


def _radial_background(logp: np.ndarray) -> np.ndarray:
    """Azimuthal mean of ``logp`` (the log of the geometric-mean power) at each integer
    radius, mapped back onto the grid; the few spot pixels barely move it."""
    n = logp.shape[0]
    c = n // 2
    yy, xx = np.indices(logp.shape)
    r = np.rint(np.hypot(yy - c, xx - c)).astype(np.intp)
    sums = np.bincount(r.ravel(), weights=logp.ravel())
    counts = np.bincount(r.ravel())
    return (sums / np.maximum(counts, 1))[r]


def _subpixel(logp: np.ndarray, y: int, x: int) -> tuple[float, float]:
    def vertex(a: float, b: float, c: float) -> float:
        den = a - 2 * b + c
        return 0.0 if den >= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))

    n = logp.shape[0]
    if not (0 < y < n - 1 and 0 < x < n - 1):
        return float(y), float(x)
    dy = vertex(logp[y - 1, x], logp[y, x], logp[y + 1, x])
    dx = vertex(logp[y, x - 1], logp[y, x], logp[y, x + 1])
    return y + dy, x + dx


def find_spots(
    img: np.ndarray, min_strength: float = 30.0, max_spots: int = 12, min_period_px: float = 5.0
) -> list[tuple[float, float, float]]:
    """Lattice spots of ``img``: ``(gx, gy, strength)``, gx/gy in cycles per pixel, strongest first.

    Only one spot of each Friedel pair is kept (gy > 0, or gy = 0 and gx > 0; y points up).
    Periods longer than a quarter of the square's side or shorter than ``min_period_px``
    are ignored.
    """
    from scipy.ndimage import maximum_filter

    p = power_spectrum(img)
    n = p.shape[0]
    c = n // 2
    logp = np.log10(p + p.max() * 1e-16)
    score = logp - _radial_background(logp)
    yy, xx = np.indices(p.shape)
    r = np.hypot(yy - c, xx - c)
    ok = (r >= 4) & (r <= n / min_period_px) & (r < 0.98 * c)
    # half plane in image-up coordinates: row index grows downwards
    up = (c - yy > 0) | ((c - yy == 0) & (xx - c > 0))
    peaks = (maximum_filter(logp, size=5) == logp) & ok & up & (score > math.log10(min_strength))
    ys, xs = np.nonzero(peaks)
    order = np.argsort(score[ys, xs])[::-1][:max_spots]
    out = []
    for i in order:
        y, x = _subpixel(logp, int(ys[i]), int(xs[i]))
        out.append(((x - c) / n, (c - y) / n, float(10 ** score[ys[i], xs[i]])))
    return out


def _refine_at(p_logp: np.ndarray, gx: float, gy: float) -> tuple[float, float] | None:
    """Sub-pixel spot near (gx, gy) [cycles/px] in a quadrant's log power spectrum."""
    n = p_logp.shape[0]
    c = n // 2
    y0, x0 = int(round(c - gy * n)), int(round(c + gx * n))
    if not (2 <= y0 < n - 2 and 2 <= x0 < n - 2):
        return None
    win = p_logp[y0 - 2 : y0 + 3, x0 - 2 : x0 + 3]
    dy, dx = np.unravel_index(int(np.argmax(win)), win.shape)
    y, x = _subpixel(p_logp, y0 - 2 + int(dy), x0 - 2 + int(dx))
    return (x - c) / n, (c - y) / n


def _quadrant_sd(img: np.ndarray, spots: list[tuple[float, float, float]]) -> list[float | None]:
    h, w = img.shape
    quads = [
        img[: h // 2, : w // 2],
        img[: h // 2, w // 2 :],
        img[h // 2 :, : w // 2],
        img[h // 2 :, w // 2 :],
    ]
    logs = [np.log10(power_spectrum(q) + 1e-30) for q in quads]
    out: list[float | None] = []
    for gx, gy, _ in spots:
        ds = []
        for lp in logs:
            g = _refine_at(lp, gx, gy)
            if g is not None and math.hypot(*g) > 0:
                ds.append(1.0 / math.hypot(*g))
        out.append(float(np.std(ds, ddof=1)) if len(ds) >= 3 else None)
    return out


def _angle(gx: float, gy: float) -> float:
    return math.degrees(math.atan2(gy, gx)) % 180.0


def classify_symmetry(
    spacings: list[Spacing], tol_d: float = 0.06, tol_deg: float = 4.0
) -> tuple[str, str]:
    """Two-dimensional lattice type from the strongest spot's family and its neighbours.

    Spots of the same family may differ by ``tol_d`` (relative) in spacing and ``tol_deg``
    in angle, because scan distortion and drift stretch a STEM image by a few per cent; the
    note gives the measured distortion.
    """
    if len(spacings) < 2:
        return "undetermined", "fewer than two lattice spots"
    d0 = spacings[0].d
    fam = [s for s in spacings if abs(s.d / d0 - 1) <= tol_d]

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= tol_deg

    def spread(group: list[Spacing]) -> str:
        ds = [g.d for g in group]
        return f"; spacings differ by {100 * (max(ds) / min(ds) - 1):.1f} %"

    a60 = [s for s in fam if near(s.angle_deg, 60)]
    a120 = [s for s in fam if near(s.angle_deg, 120)]
    if a60 and a120:
        grp = [spacings[0], a60[0], a120[0]]
        return "hexagonal", (
            f"three spots of spacing {d0:.4g} at 0, {a60[0].angle_deg:.1f} and "
            f"{a120[0].angle_deg:.1f} deg{spread(grp)}"
        )
    a90 = [s for s in fam if near(s.angle_deg, 90)]
    if a90:
        grp = [spacings[0], a90[0]]
        return "square", f"two spots of spacing {d0:.4g} at {a90[0].angle_deg:.1f} deg{spread(grp)}"
    other = next((s for s in spacings[1:] if 10 < s.angle_deg < 170), None)
    if other is None:
        return "one-dimensional", "fringes in one direction only"
    if near(other.angle_deg, 90):
        return "rectangular", f"spacings {d0:.4g} and {other.d:.4g} at {other.angle_deg:.1f} deg"
    return "oblique", f"spacings {d0:.4g} and {other.d:.4g} at {other.angle_deg:.1f} deg"


def index_spacings(
    spacings: list[Spacing],
    crystal: Crystal,
    calibrated: bool,
    max_scale_error: float = 0.15,
    tol: float = 0.03,
) -> tuple[float, float | None, int, dict[str, tuple[float, float]]]:
    """Assign each spacing a reflection and fit one common scale ``s = d_measured / d_reference``.

    Candidate scales pair each of the three strongest spots with each reference reflection
    (indices up to 3; within ``max_scale_error`` of 1 when calibrated). The candidate that
    explains most of the three strongest spots within ``tol`` (relative; 3 % allows for the
    scan distortion of STEM images) wins; ties go to the scale nearest 1 (calibrated) or
    to the lowest-index assignment of the strongest spot (uncalibrated). ``s`` is the
    geometric mean over the matched spots, each reflection family averaged first so that
    symmetry-equivalent spots stretched in opposite directions by distortion cancel.
    Fills ``hkl``, ``d_reference_nm`` and ``residual_pct`` in place.

    Returns
    -------
    scale, sd of scale (or None), spots matched, ``{hkl: (mean d, spread %)}`` per family
    """
    refs = reflections(crystal, max_index=3)
    ref_d = np.array([d for _, d in refs])
    dm = np.array([s.d for s in spacings])
    cands = []
    for i in range(min(3, len(spacings))):
        for d in ref_d:
            s = dm[i] / d
            if calibrated and abs(s - 1) > max_scale_error:
                continue
            cands.append(s)
    if not cands:
        raise CalculationError(
            f"no reflection of {crystal.name} lies within {100 * max_scale_error:.0f} % of the "
            "strongest spacings: wrong crystal, or a calibration far off (try --pixel-size)"
        )
    best = None
    for s in cands:
        rmin = np.abs(np.log(dm[:, None] / (s * ref_d[None, :]))).min(axis=1)
        matched = rmin < tol
        top = int(matched[:3].sum())
        key = (top, int(matched.sum()), -abs(math.log(s))) if calibrated else (top, -s, 0)
        if best is None or key > best[0]:
            best = (key, s)
    s = best[1]  # type: ignore[index]
    res = np.abs(np.log(dm[:, None] / (s * ref_d[None, :])))
    j = res.argmin(axis=1)
    matched = res[np.arange(len(dm)), j] < tol
    fams: dict[int, list[float]] = {}
    for k in np.flatnonzero(matched):
        fams.setdefault(int(j[k]), []).append(float(dm[k]))
    logs = np.array([math.log(np.mean(v) / ref_d[jj]) for jj, v in fams.items()])
    s = float(np.exp(logs.mean()))
    sd = float(logs.std(ddof=1) / math.sqrt(len(logs))) * s if len(logs) > 1 else None
    for k, sp in enumerate(spacings):
        if matched[k]:
            sp.hkl = refs[j[k]][0]
            sp.d_reference_nm = float(ref_d[j[k]])
            sp.residual_pct = 100.0 * (sp.d / (s * ref_d[j[k]]) - 1.0)
    families = {
        refs[jj][0]: (float(np.mean(v)), 100.0 * (max(v) / min(v) - 1.0)) for jj, v in fams.items()
    }
    return s, sd, int(matched.sum()), families


def analyse_lattice(
    img: np.ndarray,
    pixel_size_nm: float | None = None,
    crystal: Crystal | None = None,
    min_strength: float = 30.0,
    max_spots: int = 8,
) -> LatticeResult:
    """Lattice spacings of ``img`` with quadrant uncertainties, symmetry and optional indexing.

    Parameters
    ----------
    img : ndarray
        2-D image.
    pixel_size_nm : float, optional
        nm per pixel; without it spacings are in pixels.
    crystal : Crystal, optional
        Index against it and report the scale error (or, uncalibrated, the pixel size the
        lattice implies).
    min_strength : float
        A spot must stand this many times above the diffuse background at its frequency.
    max_spots : int
        Spots kept (Friedel pairs), strongest first.

    Raises
    ------
    CalculationError
        When no lattice spot stands out (no fringes resolved).
    """
    spots = find_spots(img, min_strength, max_spots)
    if not spots:
        raise CalculationError(
            f"no lattice fringes found (no Fourier spot {min_strength:g}x above background)"
        )
    scale = 1.0 if pixel_size_nm is None else float(pixel_size_nm)
    unit = "px" if pixel_size_nm is None else "nm"
    sds = _quadrant_sd(img, spots)
    a0 = _angle(spots[0][0], spots[0][1])
    spacings = []
    for (gx, gy, st), sd in zip(spots, sds):
        g = math.hypot(gx, gy)
        spacings.append(
            Spacing(
                d=scale / g,
                sd=None if sd is None else sd * scale,
                angle_deg=(_angle(gx, gy) - a0) % 180.0,
                direction_deg=_angle(gx, gy),
                strength=st,
                g_px=(gx, gy),
            )
        )
    sym, note = classify_symmetry(spacings)
    out = LatticeResult(unit, spacings, sym, note)
    if crystal is not None:
        s, sd, nmatch, fams = index_spacings(
            spacings, crystal, calibrated=pixel_size_nm is not None
        )
        out.crystal, out.crystal_reference = crystal.name, crystal.reference
        ref = {lab: d for lab, d in reflections(crystal, max_index=3)}
        out.families = [
            {
                "hkl": lab,
                f"d_{unit}": d,
                "d_reference_nm": ref[lab],
                "residual_pct": 100.0 * (d / (s * ref[lab]) - 1.0),
                "spread_pct": spread,
            }
            for lab, (d, spread) in fams.items()
        ]
        res = [abs(f["residual_pct"]) for f in out.families]
        out.max_ratio_residual_pct = max(res) if len(res) >= 2 else None
        spreads = [f["spread_pct"] for f in out.families]
        out.distortion_pct = max(spreads) if spreads else None
        if spreads and max(spreads) > 1.0:
            out.warnings.append(
                f"symmetry-equivalent spacings differ by up to {max(spreads):.1f} %: the image "
                "is distorted (scan distortion, drift or strain); family means are used"
            )
        if pixel_size_nm is not None:
            out.scale_error_pct = 100.0 * (s - 1.0)
            out.scale_error_sd_pct = None if sd is None else 100.0 * sd
            out.pixel_size_from_lattice_nm = pixel_size_nm / s
            if abs(s - 1) > 0.02:
                out.warnings.append(
                    f"the file's calibration is off by {100 * (s - 1):+.1f} % against "
                    f"{crystal.name}: corrected pixel size {pixel_size_nm / s:.5g} nm"
                )
        else:
            out.pixel_size_from_lattice_nm = 1.0 / s
            first = next((x.hkl for x in spacings if x.hkl), "?")
            out.warnings.append(
                f"pixel size from the lattice ({1.0 / s:.5g} nm) assumes the strongest spot is "
                f"the lowest-index reflection that fits ({first}); without a calibration a "
                "higher-order assignment cannot be excluded"
            )
        if nmatch < 2:
            out.warnings.append(
                f"only {nmatch} spacing indexed as {crystal.name}: the scale rests on one spot"
            )
    return out
