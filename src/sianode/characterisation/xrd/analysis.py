"""Full analysis of a cubic powder pattern: :func:`analyse_xrd`.

Works on an :class:`~.pattern.XRDPattern`; a path is handed to :func:`.readers.read_pattern`
first, the only contact with files.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from ...errors import CalculationError, ParameterError, ParsingError
from .lattice import (
    MAX_TWO_THETA,
    _hkl_label,
    allowed_reflections,
    index_cubic_raw,
    refine_cubic_raw,
    scherrer_raw,
    williamson_hall_raw,
)
from .pattern import SCHERRER_K, XRDPattern, XRDResult
from .peaks import find_peaks_raw, fit_peaks_raw, pseudo_voigt_components, snip_background, tch_fwhm
from .readers import read_pattern

__all__ = ["analyse_xrd", "check_result", "check_two_theta_axis"]


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
    check_two_theta_axis(x, pat.source)
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
    result = XRDResult(
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
    check_result(result)
    return result


def check_two_theta_axis(two_theta: np.ndarray, source: str = "array") -> None:
    """Refuse an x axis that cannot be a diffraction angle 2θ [deg].

    Bragg's law ``λ = 2 d sin θ`` needs ``0 < 2θ < 180 deg``. A Raman shift (typically
    100-3000 cm-1) or an axis in another unit read as 2θ falls outside that range, and every
    size computed from it would be meaningless (``cos θ < 0`` gives negative sizes).

    Raises
    ------
    ParsingError
        If any value is outside ``(0, 180)`` deg or not finite.
    """
    x = np.asarray(two_theta, dtype=float)
    lo, hi = float(np.min(x)), float(np.max(x))
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 or hi >= MAX_TWO_THETA:
        raise ParsingError(
            f"{source}: x axis spans {lo:.4g} to {hi:.4g}, but a diffraction angle 2θ lies "
            f"between 0 and {MAX_TWO_THETA:g} deg (a Raman shift or another unit?)"
        )


def check_result(result: XRDResult) -> None:
    """Refuse physically impossible numbers in ``result`` instead of reporting them.

    Peak positions must lie in ``(0, 180)`` deg 2θ, d-spacings, widths, crystallite sizes and
    the lattice constant must be positive and finite.

    Raises
    ------
    CalculationError
        Naming the first impossible value.
    """
    src = result.source
    for p in result.peaks:
        if not 0 < p.two_theta_deg < MAX_TWO_THETA:
            raise CalculationError(
                f"{src}: fitted peak at 2θ = {p.two_theta_deg:.4g} deg is impossible"
            )
        for name, v in (("d-spacing", p.d_A), ("FWHM", p.fwhm_deg)):
            if not (math.isfinite(v) and v > 0):
                raise CalculationError(
                    f"{src}: peak at 2θ = {p.two_theta_deg:.4g} deg has {name} {v:.4g}; must be > 0"
                )
    sizes = [s for s in result.scherrer_nm if s is not None]
    if result.scherrer_mean_nm is not None:
        sizes.append(result.scherrer_mean_nm)
    for s in sizes:
        if not (math.isfinite(s) and s > 0):
            raise CalculationError(f"{src}: Scherrer size {s:.4g} nm is impossible (must be > 0)")
    if result.lattice is not None and not (
        math.isfinite(result.lattice.a_A) and result.lattice.a_A > 0
    ):
        raise CalculationError(
            f"{src}: refined lattice constant {result.lattice.a_A:.4g} Å is impossible"
        )
