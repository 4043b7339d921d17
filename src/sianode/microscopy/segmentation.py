"""Particles and pores in a micrograph: segmentation, size distributions, porosity, widths.

Both work on a copy block-averaged to at most 512 pixels a side (sizes are converted
back), smoothed by a 1-pixel Gaussian. Thresholds depend on the histogram:

- two phases (Otsu's between-class variance at least 70 % of the total): Otsu, with Li,
  ISODATA and the mean giving the spread;
- one background phase with a tail of objects (small particles on a substrate): the
  background is flattened (grey opening over 1/16 of the image side) and objects are
  what lies 5 (spread: 4 and 6) robust standard deviations (1.4826 MAD) beyond its median.

Particles (:func:`analyse_particles`): the thresholded image is cleaned (opened by one
pixel, holes filled, objects smaller than ``min_diameter_px`` removed), touching particles
are split by a watershed on the distance transform, and particles cut by the image edge
are left out of the distribution (their size is unknown). Where intensity thresholds fail
(no particle, or almost everything foreground, e.g. under uneven illumination) an
edge-based segmentation takes over: regions enclosed by Canny edges. Sizes: area-equivalent
diameter ``sqrt(4A/pi)`` and the maximum and minimum Feret (caliper) diameters.

Pores (:func:`analyse_pores`): the solid is the bright phase (HAADF / SE contrast), the
pores the dark phase inside the solid's envelope (its morphological closing with holes
filled), so vacuum around a section is not counted. Porosity is the pore area fraction of
the envelope. Pore and wall widths are local thicknesses (Hildebrand & Rüegsegger,
J. Microsc. 185 (1997) 67): each pixel gets the diameter of the largest disc inside its
phase that covers it; the median over the phase's pixels is the reported width, found by
bisection on the disc radius with scipy distance transforms
(:func:`median_local_thickness`).

Every number is given at the primary threshold with its range over the others as the
uncertainty of the segmentation. Lengths are in nm when the image is calibrated,
otherwise in pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CalculationError, ParameterError

__all__ = [
    "ParticleResult",
    "PoreResult",
    "BIMODAL",
    "TAIL_K",
    "analyse_particles",
    "analyse_pores",
    "local_thickness",
    "median_local_thickness",
]

#: Thresholds for a two-phase histogram (scikit-image ``threshold_<name>``), primary first.
BIMODAL = ("otsu", "li", "isodata", "mean")
#: Robust-sigma multiples for a background with a tail of objects, primary first.
TAIL_K = (5.0, 4.0, 6.0)
#: Side [px] of the working copy segmentation runs on.
MAX_SIDE = 512


def _working(img: np.ndarray) -> tuple[np.ndarray, int]:
    """Block-mean ``img`` to at most :data:`MAX_SIDE` pixels a side, smoothed by a 1-px Gaussian;
    returns it and the block factor."""
    from scipy.ndimage import gaussian_filter

    a = np.asarray(img, dtype=float)
    f = int(math.ceil(max(a.shape) / MAX_SIDE))
    if f > 1:
        h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
        a = a[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))
    return gaussian_filter(a, 1.0), f


def _otsu_eta(sm: np.ndarray, t: float) -> float:
    """Otsu's between-class variance as a fraction of the total (1 = two sharp phases)."""
    a = sm > t
    p = float(a.mean())
    if p in (0.0, 1.0) or sm.var() == 0:
        return 0.0
    return float(p * (1 - p) * (sm[a].mean() - sm[~a].mean()) ** 2 / sm.var())


def _phase_masks(
    sm: np.ndarray, bright: bool | None
) -> tuple[str, bool, dict[str, np.ndarray], dict[str, float]]:
    """Object masks at each threshold (primary first), the histogram mode and the polarity."""
    from scipy.ndimage import grey_closing, grey_opening
    from skimage import filters

    t_otsu = float(filters.threshold_otsu(sm))
    if _otsu_eta(sm, t_otsu) >= 0.7:
        if bright is None:
            bright = bool((sm > t_otsu).mean() <= 0.5)
        ths: dict[str, float] = {}
        for name in BIMODAL:
            try:
                ths[name] = float(getattr(filters, f"threshold_{name}")(sm))
            except (ValueError, RuntimeError):  # pragma: no cover - degenerate histograms
                continue
        seen: set[float] = set()
        ths = {
            n: t for n, t in ths.items() if not (t in seen or seen.add(t))
        }  # ISODATA = Otsu often
        masks = {n: (sm > t if bright else sm < t) for n, t in ths.items()}
        return "two phases", bright, masks, ths
    if bright is None:
        bright = bool(np.mean((sm - sm.mean()) ** 3) >= 0)
    size = max(15, min(sm.shape) // 16) | 1
    if bright:
        flat = sm - grey_opening(sm, size=(size, size))
    else:
        flat = grey_closing(sm, size=(size, size)) - sm
    med = float(np.median(flat))
    sig = 1.4826 * float(np.median(np.abs(flat - med)))
    if sig <= 0:
        raise CalculationError("the background has no noise to set a threshold against")
    ths = {f"{k:g} sigma": med + k * sig for k in TAIL_K}
    masks = {n: flat > t for n, t in ths.items()}
    return "background with objects", bright, masks, ths


def _range(vals: list[float | None]) -> list[float] | None:
    v = [x for x in vals if x is not None and math.isfinite(x)]
    return [min(v), max(v)] if v else None


@dataclass
class ParticleResult:
    """Particle-size distribution at the Otsu threshold (or edges) with its threshold spread."""

    unit: str
    method: str
    count: int
    edge_count: int
    diameters: np.ndarray  #: area-equivalent diameters
    feret_max: np.ndarray
    feret_min: np.ndarray
    median_diameter: float | None
    mean_diameter: float | None
    sd_diameter: float | None
    p10_diameter: float | None
    p90_diameter: float | None
    median_diameter_range: list[float] | None
    count_range: list[int] | None
    by_threshold: dict[str, dict[str, Any]]
    bright: bool
    labels: np.ndarray | None = field(default=None, repr=False)
    block: int = 1  #: block factor of the working copy ``labels`` refers to
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        u = self.unit
        return {
            "unit": u,
            "method": self.method,
            "bright_particles": self.bright,
            "count": self.count,
            "excluded_at_edge": self.edge_count,
            f"median_diameter_{u}": self.median_diameter,
            f"median_diameter_range_{u}": self.median_diameter_range,
            f"mean_diameter_{u}": self.mean_diameter,
            f"sd_diameter_{u}": self.sd_diameter,
            f"p10_diameter_{u}": self.p10_diameter,
            f"p90_diameter_{u}": self.p90_diameter,
            f"median_feret_max_{u}": _median(self.feret_max),
            f"median_feret_min_{u}": _median(self.feret_min),
            "count_range": self.count_range,
            f"diameters_{u}": self.diameters,
            "by_threshold": self.by_threshold,
            "warnings": list(self.warnings),
        }


def _median(a: np.ndarray) -> float | None:
    return float(np.median(a)) if a.size else None


def _split_touching(mask: np.ndarray, min_distance: int) -> np.ndarray:
    """Label ``mask`` with touching particles split by a distance-transform watershed.

    Markers are the maxima of the distance transform whose dynamic (height above the saddle
    to a higher maximum) is at least ``h = max(1, 0.2 x the median blob's largest inscribed
    radius)`` and which are ``min_distance`` apart: two overlapping discs of radius r whose
    neck is narrower than 1.6 r are split, the bumps of one irregular particle are not.
    """
    from scipy.ndimage import (
        binary_dilation,
        distance_transform_edt,
        find_objects,
        gaussian_filter,
    )
    from scipy.ndimage import label as nd_label
    from scipy.ndimage import maximum as nd_maximum
    from skimage.morphology import h_maxima
    from skimage.segmentation import watershed

    dist = gaussian_filter(distance_transform_edt(mask), 1.0)
    blobs, n = nd_label(mask)
    if n == 0:
        return blobs
    peak_r = np.asarray(nd_maximum(dist, blobs, index=np.arange(1, n + 1)))
    h = max(1.0, 0.2 * float(np.median(peak_r)))
    markers = np.zeros(mask.shape, dtype=np.int32)
    nxt = 1
    # per blob, on its bounding box: h_maxima sorts its whole input
    for i, sl in enumerate(find_objects(blobs), start=1):
        own = blobs[sl] == i
        if peak_r[i - 1] < h + 1:  # no second maximum h above a saddle of >= 1 px
            markers[sl][own] = nxt
            nxt += 1
            continue
        sub = np.where(own, dist[sl], 0.0)
        maxima = h_maxima(sub, h).astype(bool) & own
        if min_distance > 1:
            maxima = binary_dilation(maxima, iterations=max(1, min_distance // 2)) & own
        lab, k = nd_label(maxima)
        if k == 0:
            markers[sl][own] = nxt
            nxt += 1
            continue
        markers[sl][lab > 0] = lab[lab > 0] + nxt - 1
        nxt += k
    return watershed(-dist, markers, mask=mask)


def _clean(mask: np.ndarray, min_area: int, fill: bool = True) -> np.ndarray:
    """Open by one pixel, fill holes (particles) and drop objects below ``min_area`` px."""
    from scipy.ndimage import binary_fill_holes, binary_opening
    from skimage.morphology import remove_small_objects

    mask = binary_opening(mask, iterations=1)
    if fill:
        mask = binary_fill_holes(mask)
    return remove_small_objects(mask, max_size=min_area - 1)


def _edge_mask(sm: np.ndarray) -> np.ndarray:
    """Edge-based segmentation: regions enclosed by Canny edges (hysteresis at the 90th and
    97th percentiles of the gradient), filled; independent of the absolute intensity, so it
    works under uneven illumination. Objects whose outline is not closed are lost."""
    from scipy.ndimage import binary_fill_holes
    from skimage.feature import canny

    lo, hi = np.percentile(sm, [1, 99])
    norm = (sm - lo) / (hi - lo) if hi > lo else sm - lo
    edges = canny(norm, sigma=1.5, low_threshold=0.90, high_threshold=0.97, use_quantiles=True)
    return binary_fill_holes(edges)


def _feret(coords: np.ndarray) -> tuple[float, float]:
    """Max and min caliper diameters [px] of a pixel set, from 1-degree projections."""
    if len(coords) < 3:
        return 1.0, 1.0
    ang = np.deg2rad(np.arange(0, 180, 1.0))
    proj = coords[:, 0:1] * np.cos(ang) + coords[:, 1:2] * np.sin(ang)
    width = proj.max(axis=0) - proj.min(axis=0) + 1.0  # pixel centres to pixel edges
    return float(width.max()), float(width.min())


def _measure(labels: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    from skimage.measure import regionprops

    h, w = labels.shape
    eq, fmax, fmin = [], [], []
    edge = 0
    for rp in regionprops(labels):
        r0, c0, r1, c1 = rp.bbox
        if r0 == 0 or c0 == 0 or r1 == h or c1 == w:
            edge += 1
            continue
        eq.append(math.sqrt(4.0 * rp.area / math.pi) * scale)
        a, b = _feret(rp.coords.astype(float))
        fmax.append(a * scale)
        fmin.append(b * scale)
    return np.array(eq), np.array(fmax), np.array(fmin), edge


def analyse_particles(
    img: np.ndarray,
    pixel_size_nm: float | None = None,
    method: str = "auto",
    bright: bool | None = None,
    min_diameter_px: float = 4.0,
    split: bool = True,
) -> ParticleResult:
    """Particle-size distribution of ``img``.

    Parameters
    ----------
    img : ndarray
        2-D image.
    pixel_size_nm : float, optional
        nm per pixel (sizes in pixels without it).
    method : {"auto", "threshold", "edges"}
        ``threshold``: intensity thresholds (module docstring); ``edges``: regions enclosed
        by Canny edges; ``auto``: thresholds unless they find no particle or more than 70 %
        of the image as particles, then edges.
    bright : bool, optional
        Particles brighter than the background; ``None`` decides from the histogram
        (the minority phase, or the side of the histogram's tail).
    min_diameter_px : float
        Smaller objects (in pixels of the working copy) are noise.
    split : bool
        Split touching particles (distance-transform watershed); ``False`` = none.
    """
    if method not in ("auto", "threshold", "edges"):
        raise ParameterError(f"method: {method!r}; choose auto, threshold or edges")
    sm, f = _working(img)
    mode, bright, masks, ths = _phase_masks(sm, bright)
    min_area = max(3, int(math.ceil(math.pi / 4 * min_diameter_px**2)))
    scale = f * (1.0 if pixel_size_nm is None else float(pixel_size_nm))
    unit = "px" if pixel_size_nm is None else "nm"
    min_dist = max(3, int(round(min_diameter_px)))

    def run(mask: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        m = _clean(mask, min_area)
        if split:
            lab = _split_touching(m, min_dist)
        else:
            from scipy.ndimage import label as nd_label

            lab = nd_label(m)[0]
        return lab, _measure(lab, scale)

    by: dict[str, dict[str, Any]] = {}
    runs: dict[str, Any] = {}
    for name, mask in masks.items():
        lab, meas = run(mask)
        runs[name] = (lab, meas)
        by[name] = {
            "threshold": ths[name],
            "area_fraction": float(mask.mean()),
            "count": int(meas[0].size),
            f"median_diameter_{unit}": _median(meas[0]),
        }
    primary = next(iter(masks))
    warns: list[str] = []
    used = f"threshold ({primary}; {mode})"
    lab, (eq, fmax, fmin, edge) = runs[primary]
    frac = by[primary]["area_fraction"]
    if method == "edges" or (method == "auto" and (eq.size == 0 or frac > 0.7)):
        lab, (eq, fmax, fmin, edge) = run(_edge_mask(sm))
        if method == "auto":
            warns.append(
                f"intensity thresholds failed ({by[primary]['count']} particles, "
                f"{100 * frac:.0f} % of the image); the edge-based segmentation was used"
            )
        used = "edges (Canny outlines, filled)"
        by["edges"] = {"count": int(eq.size), f"median_diameter_{unit}": _median(eq)}
    if eq.size == 0:
        raise CalculationError(
            "no particles found (none larger than "
            f"{min_diameter_px:g} px away from the image edge); try --pixel-size or another image"
        )
    if eq.size < 10:
        warns.append(f"only {eq.size} particles measured: the distribution is poorly defined")
    meds = [v.get(f"median_diameter_{unit}") for v in by.values()]
    counts = [int(v["count"]) for v in by.values()]
    return ParticleResult(
        unit=unit,
        method=used,
        count=int(eq.size),
        edge_count=int(edge),
        diameters=eq,
        feret_max=fmax,
        feret_min=fmin,
        median_diameter=float(np.median(eq)),
        mean_diameter=float(eq.mean()),
        sd_diameter=float(eq.std(ddof=1)) if eq.size > 1 else None,
        p10_diameter=float(np.percentile(eq, 10)),
        p90_diameter=float(np.percentile(eq, 90)),
        median_diameter_range=_range(meds),
        count_range=[min(counts), max(counts)],
        by_threshold=by,
        bright=bright,
        labels=lab,
        block=f,
        warnings=warns,
    )


def local_thickness(mask: np.ndarray, n_radii: int = 16) -> np.ndarray:
    """Local thickness [px] of the True phase of ``mask`` (0 outside it).

    Each pixel gets the diameter ``2r`` of the largest disc of radius ``r`` (from
    ``n_radii`` geometrically spaced radii) whose centre lies in the phase at least ``r``
    from its boundary and which covers the pixel; pixels no disc covers get 1 px.
    """
    from scipy.ndimage import distance_transform_edt

    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(mask.shape)
    if not mask.any():
        return out
    # work on the phase's bounding box (plus a margin: EDT distances reach the box edge)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    r0, r1 = max(rows[0] - 1, 0), min(rows[-1] + 2, mask.shape[0])
    c0, c1 = max(cols[0] - 1, 0), min(cols[-1] + 2, mask.shape[1])
    m = mask[r0:r1, c0:c1]
    lt = np.zeros(m.shape)
    dt = distance_transform_edt(m)
    rmax = float(dt.max())
    if rmax > 1.0:
        for r in np.geomspace(1.0, rmax, n_radii)[::-1]:
            centres = dt >= r
            covered = distance_transform_edt(~centres) < r
            new = covered & m & (lt == 0)
            lt[new] = 2.0 * r
    lt[m & (lt == 0)] = 1.0
    out[r0:r1, c0:c1] = lt
    return out


def median_local_thickness(mask: np.ndarray, rel_tol: float = 0.005) -> float | None:
    """Median local thickness [px] of the True phase of ``mask`` (area-weighted), by bisection.

    A pixel's local thickness is at least ``2r`` exactly when a disc of radius ``r`` inside
    the phase covers it, i.e. when it lies within ``r`` of a pixel at least ``r`` from the
    boundary; the covered fraction falls with ``r``, and the median is where it crosses 1/2.
    Geometric bisection to ``rel_tol`` needs about 10 distance transforms and, unlike the
    binned map of :func:`local_thickness`, is not quantised to its radius bins.
    ``None`` for an empty phase.
    """
    from scipy.ndimage import distance_transform_edt

    mask = np.asarray(mask, dtype=bool)
    total = int(mask.sum())
    if total == 0:
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    m = mask[
        max(rows[0] - 1, 0) : min(rows[-1] + 2, mask.shape[0]),
        max(cols[0] - 1, 0) : min(cols[-1] + 2, mask.shape[1]),
    ]
    dt = distance_transform_edt(m)

    def covered(r: float) -> float:
        centres = dt >= r
        if not centres.any():
            return 0.0
        return float(((distance_transform_edt(~centres) < r) & m).sum()) / total

    # every phase pixel is 1 from the background or more: covered(1) = 1; covered(hi) = 0
    lo, hi = 1.0, float(dt.max()) * (1 + rel_tol) + 1e-9
    while hi / lo > 1 + rel_tol:
        mid = math.sqrt(lo * hi)
        if covered(mid) >= 0.5:
            lo = mid
        else:
            hi = mid
    return 2.0 * math.sqrt(lo * hi)


@dataclass
class PoreResult:
    """Porosity and pore/wall widths at the Otsu threshold with their threshold spread."""

    unit: str
    method: str
    porosity: float
    porosity_range: list[float]
    median_pore_width: float | None
    median_pore_width_range: list[float] | None
    median_wall_width: float | None
    median_wall_width_range: list[float] | None
    envelope_fraction: float
    by_threshold: dict[str, dict[str, Any]]
    pores: np.ndarray | None = field(default=None, repr=False)
    solid: np.ndarray | None = field(default=None, repr=False)
    envelope: np.ndarray | None = field(default=None, repr=False)
    block: int = 1
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        u = self.unit
        return {
            "unit": u,
            "method": self.method,
            "porosity": self.porosity,
            "porosity_range": self.porosity_range,
            f"median_width_{u}": self.median_pore_width,
            f"median_width_range_{u}": self.median_pore_width_range,
            f"median_wall_width_{u}": self.median_wall_width,
            f"median_wall_width_range_{u}": self.median_wall_width_range,
            "envelope_fraction": self.envelope_fraction,
            "by_threshold": self.by_threshold,
            "warnings": list(self.warnings),
        }


def _envelope(solid: np.ndarray, radius: int) -> np.ndarray:
    from scipy.ndimage import binary_closing, binary_fill_holes

    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    disk = xx**2 + yy**2 <= radius**2
    closed = binary_closing(np.pad(solid, radius), structure=disk)[radius:-radius, radius:-radius]
    return binary_fill_holes(closed | solid)


def analyse_pores(
    img: np.ndarray,
    pixel_size_nm: float | None = None,
    dark_pores: bool = True,
    envelope_radius_px: int | None = None,
) -> PoreResult:
    """Porosity (area fraction) and median pore and wall widths (local thickness) of ``img``.

    Parameters
    ----------
    img : ndarray
        2-D image.
    pixel_size_nm : float, optional
        nm per pixel (widths in pixels without it).
    dark_pores : bool
        Pores darker than the solid (HAADF, SE); ``False`` for bright-field contrast.
    envelope_radius_px : int, optional
        Closing radius of the solid's envelope in working-copy pixels (default 2 % of its
        side); 0 = the whole image is the envelope.
    """
    sm, f = _working(img)
    mode, _, masks, ths = _phase_masks(sm, not dark_pores)  # objects = pores
    scale = f * (1.0 if pixel_size_nm is None else float(pixel_size_nm))
    unit = "px" if pixel_size_nm is None else "nm"
    rad = max(3, int(0.02 * min(sm.shape))) if envelope_radius_px is None else envelope_radius_px
    by: dict[str, dict[str, Any]] = {}
    keep: dict[str, Any] = {}
    for name, pore_mask in masks.items():
        solid = _clean(~pore_mask, 4, fill=False)
        if not solid.any():
            continue
        env = np.ones_like(solid) if rad == 0 else _envelope(solid, rad)
        pores = env & ~solid
        w_p, w_w = median_local_thickness(pores), median_local_thickness(solid)
        by[name] = {
            "threshold": ths[name],
            "porosity": float(pores.sum() / env.sum()),
            f"median_width_{unit}": None if w_p is None else w_p * scale,
            f"median_wall_width_{unit}": None if w_w is None else w_w * scale,
        }
        keep[name] = (pores, env, solid)
    primary = next(iter(masks))
    if primary not in by:
        raise CalculationError(f"no solid phase found at the {primary} threshold")
    o = by[primary]
    pores, env, solid = keep[primary]
    warns = []
    if o["porosity"] == 0:
        warns.append("no pores found inside the solid's envelope")
    phis = [v["porosity"] for v in by.values()]
    return PoreResult(
        unit=unit,
        method=f"threshold ({primary}; {mode})",
        porosity=o["porosity"],
        porosity_range=[min(phis), max(phis)],
        median_pore_width=o[f"median_width_{unit}"],
        median_pore_width_range=_range([v[f"median_width_{unit}"] for v in by.values()]),
        median_wall_width=o[f"median_wall_width_{unit}"],
        median_wall_width_range=_range([v[f"median_wall_width_{unit}"] for v in by.values()]),
        envelope_fraction=float(env.mean()),
        by_threshold=by,
        pores=pores,
        solid=solid,
        envelope=env,
        block=f,
        warnings=warns,
    )
