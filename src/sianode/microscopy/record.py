"""Micrograph results in the material record, and their consistency checks.

:func:`add_micrograph_values` writes into a :class:`~sianode.characterisation.material.Material`
(entries ``value, unit, source, method`` like every other key):

- from an SEM/TEM particle image (``sem``): ``particle_radius`` [um] (median
  area-equivalent radius; the simulator reads this key), ``particle_radius_p10`` and
  ``particle_radius_p90`` [um] (the distribution, for a prior on the radius);
- from a TEM/STEM image of the porous solid (``tem``): ``pore_width_micrograph`` [nm],
  ``wall_thickness_micrograph`` [nm] (median local thicknesses) and
  ``porosity_micrograph`` [1] (area fraction).

:func:`microscopy_checks` compares them with BJH pore size, BET wall thickness, XRD
crystallite size and Raman confinement length (agreement: within a factor of 2, the same
rule as the record's other size check). The keys' canonical units are in
:data:`sianode.characterisation.material.UNITS`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import ParameterError

__all__ = ["add_micrograph_values", "measured_radius_priors", "microscopy_checks"]


def _result(item: Any, what: str, **kw: Any) -> Any:
    from .analysis import MicrographResult, analyse_micrograph

    res = item if isinstance(item, MicrographResult) else analyse_micrograph(Path(item), **kw)
    if res.pixel_size_nm is None:
        raise ParameterError(
            f"--{what}: {res.source} has no spatial calibration; sizes need nm "
            "(analyse it with sianode micrograph --pixel-size first)"
        )
    return res


def _spread(lo_hi: list[float] | None, scale: float, unit: str) -> str:
    if not lo_hi:
        return ""
    return f"; thresholds give {lo_hi[0] * scale:.3g}-{lo_hi[1] * scale:.3g} {unit}"


def add_micrograph_values(mat: Any, tem: Any = None, sem: Any = None) -> None:
    """Add particle radius (from ``sem``) and pore/wall sizes (from ``tem``) to ``mat``.

    ``tem`` and ``sem`` are files or :class:`~sianode.microscopy.analysis.MicrographResult`
    objects (with ``pores`` / ``particles`` analysed).
    """
    if sem is not None:
        res = _result(sem, "sem", particles=True)
        p = res.particles
        if p is None:
            raise ParameterError(f"--sem: {res.source}: run the particle analysis (particles=True)")
        src = f"{res.source} (pixel size {res.pixel_size_nm:.5g} nm, {res.micrograph.calibration_source})"
        mat.set(
            "particle_radius",
            p.median_diameter / 2.0,
            src,
            f"median area-equivalent radius of {p.count} particles, {p.method}"
            + _spread(p.median_diameter_range, 0.5, "nm"),
            unit="nm",
        )
        mat.set(
            "particle_radius_p10", p.p10_diameter / 2.0, src, "10th percentile radius", unit="nm"
        )
        mat.set(
            "particle_radius_p90", p.p90_diameter / 2.0, src, "90th percentile radius", unit="nm"
        )
    if tem is not None:
        res = _result(tem, "tem", pores=True)
        q = res.pores
        if q is None:
            raise ParameterError(f"--tem: {res.source}: run the pore analysis (pores=True)")
        src = f"{res.source} (pixel size {res.pixel_size_nm:.5g} nm, {res.micrograph.calibration_source})"
        if q.median_pore_width is not None:
            mat.set(
                "pore_width_micrograph",
                q.median_pore_width,
                src,
                f"median local thickness of the pore phase, {q.method}"
                + _spread(q.median_pore_width_range, 1.0, "nm"),
                unit="nm",
            )
        if q.median_wall_width is not None:
            mat.set(
                "wall_thickness_micrograph",
                q.median_wall_width,
                src,
                f"median local thickness of the solid, {q.method}"
                + _spread(q.median_wall_width_range, 1.0, "nm"),
                unit="nm",
            )
        lo, hi = q.porosity_range
        mat.set(
            "porosity_micrograph",
            q.porosity,
            src,
            f"pore area fraction inside the solid's envelope, {q.method}; thresholds give "
            f"{lo:.3f}-{hi:.3f} (a 2-D section: equals the volume fraction for isotropic pores)",
        )


def microscopy_checks(mat: Any) -> list[Any]:
    """Consistency of the micrograph sizes with sorption, XRD and Raman (empty without them)."""
    from ..characterisation.material import ConsistencyCheck

    out: list[Any] = []
    g = mat.get
    pw, wt, r = g("pore_width_micrograph"), g("wall_thickness_micrograph"), g("particle_radius")
    if pw is not None:
        bjh = g("pore_diameter")
        vals = {"micrograph_pore_width_nm": pw, "bjh_pore_diameter_nm": bjh}
        if bjh is None:
            out.append(
                ConsistencyCheck(
                    "pore size", vals, None, "pore size: no BJH/DH pore size to compare"
                )
            )
        else:
            ok = max(pw, bjh) / min(pw, bjh) <= 2.0
            verdict = f"pore size: micrograph {pw:.3g} nm vs BJH {bjh:.3g} nm: " + (
                "agree within a factor of 2"
                if ok
                else "disagree by more than a factor of 2 (the image resolves pores above a "
                "few pixels; BJH sees 2-50 nm mesopores; or the section is not representative)"
            )
            out.append(ConsistencyCheck("pore size", vals, ok, verdict))
    if wt is not None:
        others = {
            "bet_wall_nm": g("wall_thickness"),
            "xrd_scherrer_nm": g("crystallite_size"),
            "raman_confinement_nm": g("confinement_length"),
        }
        have = {k: float(v) for k, v in others.items() if v is not None}
        vals = {"micrograph_wall_nm": wt, **others}
        if not have:
            out.append(
                ConsistencyCheck("wall thickness", vals, None, "wall thickness: nothing to compare")
            )
        else:
            bad = {k: v for k, v in have.items() if max(wt, v) / min(wt, v) > 2.0}
            parts = ", ".join(f"{k.replace('_nm', '')} {v:.3g} nm" for k, v in have.items())
            verdict = f"wall thickness: micrograph {wt:.3g} nm vs {parts}: " + (
                "agree within a factor of 2"
                if not bad
                else f"{', '.join(k.replace('_nm', '') for k in bad)} differ by more than a "
                "factor of 2 (walls may be polycrystalline, or the image sees a different scale)"
            )
            out.append(ConsistencyCheck("wall thickness", vals, not bad, verdict))
    if r is not None and g("crystallite_size") is not None:
        d_nm, xs = 2000.0 * float(r), float(g("crystallite_size"))
        ok = d_nm >= 0.5 * xs
        verdict = f"particle diameter {d_nm:.3g} nm vs XRD crystallite {xs:.3g} nm: " + (
            f"particles hold ~{(d_nm / xs) ** 3:.0f} crystallites (polycrystalline)"
            if d_nm > 2 * xs
            else "particles are single crystallites"
            if ok
            else "inconsistent: particles smaller than the crystallites (calibration or segmentation)"
        )
        out.append(
            ConsistencyCheck(
                "particle vs crystallite",
                {"particle_diameter_nm": d_nm, "xrd_scherrer_nm": xs},
                ok,
                verdict,
            )
        )
    return out


_Z90 = 1.2815515655446004  # standard normal 90 % quantile
_Z975 = 1.959963984540054  # standard normal 97.5 % quantile


def measured_radius_priors(priors: list[Any], record: Any, material: str) -> list[Any]:
    """The band's priors with ``material``'s particle radius taken from a measured distribution.

    The table's ``particle_radius`` prior for ``material`` (``data/priors.toml``, an
    estimate) is replaced by a lognormal whose 10 and 90 % quantiles are the record's
    ``particle_radius_p10`` and ``particle_radius_p90`` (from a micrograph,
    :func:`add_micrograph_values`). The model takes one representative radius; the spread
    of the measured particles bounds where that representative value can lie (number- vs
    volume-weighted means differ by about that much), so this is a wide, honest prior.
    Use: ``prediction_band(study, priors=measured_radius_priors(load_priors(), "m.json",
    "nanoporous"))``.

    Parameters
    ----------
    priors : list of Prior
        E.g. :func:`sianode.uncertainty.priors.load_priors`.
    record : path, dict or Material
        A material record with ``particle_radius_p10`` and ``particle_radius_p90``.
    material : str
        The study material the record describes.

    Raises
    ------
    ParameterError
        If the record has no measured distribution, or a ``particle_radius`` prior applies
        to every material (it cannot be replaced for one).
    """
    from dataclasses import replace

    from ..cell.materials import material_record
    from ..units import to_unit

    rec, origin = material_record(record)
    vals = rec["values"]
    for k in ("particle_radius_p10", "particle_radius_p90"):
        if k not in vals:
            raise ParameterError(
                f"{origin}: no {k}; build the record with a micrograph (material build --sem)"
            )

    def metres(k: str) -> float:
        e = vals[k]
        return to_unit(f"{float(e['value'])!r} {e.get('unit', 'um')}", "m", f"{origin}: {k}")

    lo, hi = metres("particle_radius_p10"), metres("particle_radius_p90")
    if not 0 < lo < hi:
        raise ParameterError(f"{origin}: particle_radius_p10 must be below p90 and positive")
    mu = 0.5 * (math.log(lo) + math.log(hi))
    s = (math.log(hi) - math.log(lo)) / (2 * _Z90)
    low95, high95 = math.exp(mu - _Z975 * s), math.exp(mu + _Z975 * s)
    keep = []
    template = None
    for p in priors:
        if p.key == "particle_radius" and p.applies_to(material):
            if not p.materials:
                raise ParameterError(
                    f"prior {p.name!r} sets particle_radius for every material; give it "
                    "'materials' to replace it for one"
                )
            template = p
            if p.materials != (material,):  # still applies to the others
                keep.append(replace(p, materials=tuple(m for m in p.materials if m != material)))
            continue
        keep.append(p)
    src = str(vals["particle_radius_p10"].get("source", origin))
    from ..uncertainty.priors import Prior

    new = Prior(
        name=f"{material} particle radius (measured)",
        key="particle_radius",
        distribution="lognormal",
        low=low95,
        high=high95,
        unit="um",
        si_unit="m",
        source=f"{src}: p10-p90 {lo * 1e6:.3g}-{hi * 1e6:.3g} um",
        note="lognormal through the measured 10 and 90 % radii"
        + (f"; replaces {template.name!r}" if template is not None else ""),
        materials=(material,),
        table_range=(low95 * 1e6, high95 * 1e6),
    )
    return keep + [new]
