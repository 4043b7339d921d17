"""The material record: measured descriptors with provenance, JSON I/O, consistency report.

JSON layout (read by :func:`read_material`; the simulator reads it through :func:`sianode.cell.materials.material_descriptors`,
passed as the ``record`` of :func:`sianode.cell.build_cell`)::

    {"name": "np-Si", "values": {
        "<key>": {"value": <float|bool>, "unit": "<pint unit>", "source": "typed in | <file>",
                  "method": "<how it was obtained>"}},
     "warnings": ["<analysis>: <source>: <warning>", ...]}

``warnings`` keeps every warning of the analyses the record was built from (XRD, Raman,
sorption) and of the build itself, so a saved record says what its values cannot be trusted for.

Keys the simulator uses: ``bet_area`` (m2/g), ``pore_diameter`` (nm), ``pore_volume``
(cm3/g), ``porosity`` (1), ``crystallite_size`` (nm), ``lattice_constant`` (nm),
``raman_peak`` (1/cm), ``confinement_length`` (nm), ``particle_radius`` (um),
``oxide_thickness`` (nm), ``density`` (g/cm3), ``usable_pore_fraction`` (1), ``crystalline``
(bool).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..constants import RHO_SI_G_CM3
from ..errors import ParameterError, ParsingError
from ..pores import pore_volume, porosity_from_bet, wall_thickness
from ..units import to_unit

__all__ = [
    "UNITS",
    "Value",
    "Material",
    "ConsistencyCheck",
    "build_material",
    "consistency_report",
    "read_material",
]

#: Canonical unit of each key (values are converted to these on the way in).
UNITS: dict[str, str] = {
    "bet_area": "m2/g",
    "pore_diameter": "nm",
    "pore_volume": "cm3/g",
    "porosity": "1",
    "template_porosity": "1",
    "crystallite_size": "nm",
    "lattice_constant": "nm",
    "raman_peak": "1/cm",
    "confinement_length": "nm",
    "particle_radius": "um",
    "oxide_thickness": "nm",
    "density": "g/cm3",
    "usable_pore_fraction": "1",
    "crystalline": "bool",
    "wall_thickness": "nm",
    # from micrographs (sianode.microscopy.record)
    "particle_radius_p10": "um",
    "particle_radius_p90": "um",
    "pore_width_micrograph": "nm",
    "wall_thickness_micrograph": "nm",
    "porosity_micrograph": "1",
}

#: Skeletal density of crystalline Si [g cm-3] (sianode.constants).
RHO_SI = RHO_SI_G_CM3


@dataclass
class Value:
    """One descriptor with its provenance."""

    value: float | bool
    unit: str
    source: str
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "method": self.method,
        }


@dataclass
class ConsistencyCheck:
    """One cross-check with a one-line verdict."""

    name: str
    values: dict[str, float | None]
    consistent: bool | None
    verdict: str


@dataclass
class Material:
    """A material: name plus descriptors keyed as in :data:`UNITS`."""

    name: str
    values: dict[str, Value] = field(default_factory=dict)
    checks: list[ConsistencyCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def set(self, key: str, value: Any, source: str, method: str, unit: str | None = None) -> None:
        """Store ``value`` (number, bool, or text with unit) under ``key`` in its canonical unit."""
        canon = UNITS.get(key, unit or "1")
        if isinstance(value, bool) or canon == "bool":
            self.values[key] = Value(bool(value), "bool", source, method)
            return
        if unit and unit != canon and canon != "1":
            v = to_unit(f"{value} {unit}", canon, key)
        elif isinstance(value, str):
            v = to_unit(value, canon, key) if canon != "1" else float(value)
        else:
            v = float(value)
        if not math.isfinite(v):
            raise ParameterError(f"{key}: value is not finite")
        self.values[key] = Value(v, canon, source, method)

    def get(self, key: str) -> float | None:
        e = self.values.get(key)
        return None if e is None else e.value  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout of the module docstring."""
        return {
            "name": self.name,
            "values": {k: v.to_dict() for k, v in self.values.items()},
            "warnings": list(self.warnings),
        }

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "dict") -> Material:
        if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
            raise ParsingError(f"{source}: material JSON needs a 'values' object")
        mat = cls(str(data.get("name", "material")))
        for key, e in data["values"].items():
            if not isinstance(e, dict) or "value" not in e:
                raise ParsingError(f"{source}: values.{key} needs a 'value'")
            mat.values[key] = Value(
                e["value"],
                str(e.get("unit", "1")),
                str(e.get("source", "")),
                str(e.get("method", "")),
            )
        notes = data.get("warnings", [])
        if not isinstance(notes, list):
            raise ParsingError(f"{source}: 'warnings' must be a list of strings")
        mat.warnings = [str(w) for w in notes]
        return mat


def read_material(path: str | Path) -> Material:
    """Read a material JSON written by :meth:`Material.to_json`."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParsingError(f"{p}: no such material file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParsingError(f"{p}: not a material JSON file ({str(exc).splitlines()[0]})") from None
    return Material.from_dict(data, str(p))


def _synthesis_porosity(recipe: str | Path) -> tuple[float, str]:
    """Template porosity from a study TOML's [synthesis] section (``"study"`` = bundled)."""
    try:
        from .. import synthesis as syn
        from ..study import load_study
    except ImportError:  # pragma: no cover - the synthesis module is optional
        raise ParameterError(
            "synthesis: sianode.synthesis is not available; pass --synthesis-porosity"
        ) from None
    study = load_study(None if str(recipe) == "study" else recipe)
    res = syn.synthesis_from_study(study)
    return float(res.template_porosity), str(study.path or recipe)


def build_material(
    name: str = "material",
    xrd: Any = None,
    raman: Any = None,
    sorption: Any = None,
    synthesis: str | Path | None = None,
    synthesis_porosity: float | None = None,
    typed: dict[str, Any] | None = None,
    pore_model: str = "cylinder",
    density: float = RHO_SI,
    tem: Any = None,
    sem: Any = None,
) -> Material:
    """Assemble a :class:`Material` from analysis results (or files) and typed-in values.

    Parameters
    ----------
    xrd, raman, sorption : result object or path, optional
        :class:`~sianode.characterisation.xrd.XRDResult`,
        :class:`~sianode.characterisation.raman.RamanResult`,
        :class:`~sianode.characterisation.sorption.SorptionResult`, or files to analyse with
        the defaults.
    synthesis : path or "study", optional
        Study TOML whose ``[synthesis]`` recipe gives the template porosity.
    synthesis_porosity : float, optional
        Template porosity [-] typed in (wins over ``synthesis``).
    typed : dict, optional
        ``key -> value`` (number, bool or text with a unit, e.g. ``"1.5 um"``), provenance
        "typed in"; typed values override measured ones.
    pore_model : {"cylinder", "slit", "sphere"}
        Pore shape for the BET-derived pore volume (:func:`sianode.pores.pore_volume`).
    density : float
        Skeletal density [g cm-3].
    tem, sem : MicrographResult or path, optional
        Micrographs: ``tem`` of the porous solid gives pore width, wall thickness and
        porosity; ``sem`` of the particles gives the particle radius and its distribution
        (:mod:`sianode.microscopy.record`).
    """
    mat = Material(name)
    mat.set(
        "density",
        density,
        "typed in" if density != RHO_SI else "default",
        "skeletal density of crystalline Si" if density == RHO_SI else "typed in",
    )
    if xrd is not None:
        from .xrd import XRDResult, analyse_xrd

        res = xrd if isinstance(xrd, XRDResult) else analyse_xrd(xrd)
        src = res.source
        mat.warnings += [f"xrd: {src}: {w}" for w in res.warnings]
        if res.lattice is not None:
            mat.set(
                "lattice_constant",
                res.lattice.a_A / 10.0,
                src,
                f"least-squares cubic refinement ({res.lattice.correction} correction), "
                f"± {res.lattice.a_err_A / 10:.1e} nm",
            )
        if res.scherrer_mean_nm is not None:
            mat.set(
                "crystallite_size",
                res.scherrer_mean_nm,
                src,
                f"Scherrer K={res.K} FWHM, mean of {sum(s is not None for s in res.scherrer_nm)} peaks"
                + (
                    ", instrument-corrected"
                    if res.instrument_subtracted
                    else ", not instrument-corrected"
                ),
            )
        mat.set("crystalline", bool(res.peaks), src, "indexed Bragg peaks present")
    if raman is not None:
        from .raman import RamanResult, analyse_raman

        res_r = raman if isinstance(raman, RamanResult) else analyse_raman(raman)
        mat.warnings += [f"raman: {res_r.source}: {w}" for w in res_r.warnings]
        mat.set(
            "raman_peak",
            res_r.fit.peak_cm1,
            res_r.source,
            f"{res_r.fit.model} fit of the Si TO band",
        )
        L = res_r.fit.confinement_length_nm or res_r.confinement.length_from_shift_nm
        if L is not None:
            mat.set(
                "confinement_length",
                L,
                res_r.source,
                f"phonon confinement ({res_r.confinement.model} {res_r.confinement.shape}) from the red shift",
            )
    if sorption is not None:
        from .sorption import KELVIN_MIN_PORE_NM, SorptionResult, analyse_isotherm

        res_s = sorption if isinstance(sorption, SorptionResult) else analyse_isotherm(sorption)
        src = res_s.source
        mat.warnings += [f"sorption: {src}: {w}" for w in res_s.warnings]
        lo, hi = res_s.bet.p_range
        mat.set(
            "bet_area",
            res_s.bet.area_m2_g,
            src,
            f"BET (pyGAPS, Rouquerol) p/p0 {lo:.3f}-{hi:.3f}, C = {res_s.bet.c_const:.0f}",
        )
        d_psd = res_s.pore_diameter_nm
        if d_psd is not None and d_psd < KELVIN_MIN_PORE_NM:
            # a Kelvin-equation PSD peak in the micropore range is outside the model's
            # validity: keep it out of the record, so no porosity is derived from it
            mat.warnings.append(
                f"sorption: {src}: {res_s.psd_model} pore-size peak {d_psd:.2f} nm is below "
                f"{KELVIN_MIN_PORE_NM:g} nm, outside the Kelvin equation's validity: pore_diameter "
                "not recorded and no porosity derived from it (type one with --set pore_diameter=...)"
            )
        elif d_psd is not None:
            mat.set(
                "pore_diameter",
                res_s.pore_diameter_nm,
                src,
                f"{res_s.psd_model} ({res_s.psd_branch}) PSD peak (pyGAPS)",
            )
        if res_s.pore_volume_cm3_g is not None:
            mat.set(
                "pore_volume",
                res_s.pore_volume_cm3_g,
                src,
                f"Gurvich total pore volume at p/p0 = {res_s.pore_volume_p_rel:.3f} (pyGAPS)",
            )
    if tem is not None or sem is not None:
        from ..microscopy.record import add_micrograph_values

        add_micrograph_values(mat, tem=tem, sem=sem)
    for key, val in (typed or {}).items():
        mat.set(key, val, "typed in", "typed in")
    # porosity from BET area and pore diameter (pores.py), unless typed in
    S, d = mat.get("bet_area"), mat.get("pore_diameter")
    if S is not None and d is not None and "porosity" not in (typed or {}):
        vp = float(pore_volume(S, d, pore_model))
        phi = float(porosity_from_bet(S, d, pore_model, float(mat.get("density") or density)))
        src = mat.values["bet_area"].source
        mat.set(
            "porosity",
            phi,
            src,
            f"{pore_model} pore model from BET area and pore diameter (V_p = {vp:.3f} cm3/g)",
        )
        if "pore_volume" not in mat.values:
            mat.set(
                "pore_volume", vp, src, f"{pore_model} pore model from BET area and pore diameter"
            )
        mat.set(
            "wall_thickness",
            float(wall_thickness(S, "plate", float(mat.get("density") or density))),
            src,
            "plate walls t = 2/(rho S) from BET area",
        )
    # synthesis template porosity
    if synthesis_porosity is not None:
        if not 0 <= synthesis_porosity < 1:
            raise ParameterError("synthesis_porosity: must be in [0, 1)")
        mat.set("template_porosity", synthesis_porosity, "typed in", "synthesis template")
    elif synthesis is not None:
        phi_t, src = _synthesis_porosity(synthesis)
        mat.set(
            "template_porosity",
            phi_t,
            src,
            "synthesis template (MgO volume fraction, sianode.synthesis)",
        )
    mat.checks = consistency_report(mat)
    return mat


def _ratio_verdict(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b))


def consistency_report(mat: Material) -> list[ConsistencyCheck]:
    """Cross-checks between synthesis, sorption, XRD and Raman; one verdict line each.

    1. Template porosity (synthesis) vs BET-derived porosity: consistent within 25 % relative.
    2. XRD Scherrer size vs Raman confinement length vs BET plate-wall thickness: sizes agree
       when within a factor of 2.
    """
    out: list[ConsistencyCheck] = []
    phi_t, phi_b = mat.get("template_porosity"), mat.get("porosity")
    if phi_t is not None and phi_b is not None:
        ok = _ratio_verdict(float(phi_t), float(phi_b), 0.25)
        verdict = f"template porosity {phi_t:.2f} vs BET-derived {phi_b:.2f}: " + (
            "consistent, the skeleton kept most of the template's pores"
            if ok and phi_b <= phi_t
            else "consistent within 25 %"
            if ok
            else "inconsistent: pores collapsed/closed, or the pore model or BET area is off"
            if phi_b < phi_t
            else "inconsistent: more porosity than the template can explain"
        )
        out.append(
            ConsistencyCheck("porosity", {"template": phi_t, "bet_derived": phi_b}, ok, verdict)
        )
    else:
        out.append(
            ConsistencyCheck(
                "porosity",
                {"template": phi_t, "bet_derived": phi_b},
                None,
                "porosity: needs both a synthesis recipe and BET area + pore size",
            )
        )
    xs, rl, wt = (
        mat.get("crystallite_size"),
        mat.get("confinement_length"),
        mat.get("wall_thickness"),
    )
    sizes = {"xrd_scherrer_nm": xs, "raman_confinement_nm": rl, "bet_wall_nm": wt}
    have = {k: float(v) for k, v in sizes.items() if v is not None}
    if len(have) >= 2:
        lo, hi = min(have.values()), max(have.values())
        ok = hi / lo <= 2.0
        parts = ", ".join(f"{k.replace('_nm', '')} {v:.3g} nm" for k, v in have.items())
        if ok:
            verdict = f"sizes agree within a factor of 2 ({parts})"
        elif xs is not None and rl is not None and rl < xs / 2:
            verdict = (
                f"sizes disagree ({parts}): the Raman shift implies far smaller coherent domains than "
                "XRD; the shift is not size alone (strain, heating, amorphous/oxide phase, or "
                "few-nm ligaments inside larger XRD domains)"
            )
        else:
            verdict = f"sizes disagree by more than a factor of 2 ({parts})"
        out.append(ConsistencyCheck("sizes", sizes, ok, verdict))
    else:
        out.append(
            ConsistencyCheck("sizes", sizes, None, "sizes: need at least two of XRD, Raman, BET")
        )
    if any(k.endswith("_micrograph") or k.startswith("particle_radius_p") for k in mat.values):
        from ..microscopy.record import microscopy_checks

        out += microscopy_checks(mat)
    return out
