"""Material descriptors of a study's Si, with provenance: the one owner of porosity.

A material's descriptors come from, later sources winning key by key:

1. the values typed into the study (``[materials.<name>]``);
2. the measurement files it lists (``[materials.<name>.files]``: xrd, raman, sorption, tem,
   sem),
   analysed by :mod:`sianode.characterisation` with the commands' defaults;
3. a material record (``sianode material build``: a JSON path, a dict or a
   :class:`~sianode.characterisation.material.Material`), passed in as data;
4. overrides (a sweep design, a band sample, a what-if, ``build_cell(porosity=...)``).

Then everything that follows from them is derived here, once: porosity from BET area and
pore size when not given (:func:`porosity_descriptor`, via
:func:`sianode.pores.porosity_from_bet`), the wall size and surface area the simulator takes
(:func:`wall_and_surface`), and the buffering limit (:func:`buffering_limit_x`). Units of
the descriptor entries: :data:`DESCRIPTOR_UNITS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..constants import OMEGA_RATIO, RHO_SI_G_CM3
from ..errors import ParameterError
from ..pores import PORE_MODELS, pore_volume, porosity_from_bet, wall_thickness
from ..study import Study
from ..units import to_unit
from .capacity import theoretical_capacity

__all__ = [
    "DESCRIPTOR_UNITS",
    "MEASUREMENT_KINDS",
    "entry",
    "material_record",
    "material_descriptors",
    "material_porosity",
    "porosity_descriptor",
    "porosity_bounds",
    "wall_and_surface",
    "buffering_limit_x",
    "buffering_limit_capacity",
]

#: Unit of each numeric descriptor entry (numbers typed without a unit are taken in it).
DESCRIPTOR_UNITS: dict[str, str] = {
    "bet_area": "m2/g",
    "pore_diameter": "nm",
    "crystallite_size": "nm",
    "lattice_constant": "nm",
    "particle_radius": "um",
    "oxide_thickness": "nm",
    "porosity": "",
    "usable_pore_fraction": "",
}

#: Measurement files a study may list per material, analysed by sianode.characterisation.
MEASUREMENT_KINDS = ("xrd", "raman", "sorption", "tem", "sem")

# Keys of a material record passed through besides DESCRIPTOR_UNITS (reported, not used);
# particle_radius_p10/p90 [um]: the measured size distribution (sem micrograph), a prior
# for particle_radius
_RECORD_PASSED = (
    "crystalline",
    "density",
    "pore_volume",
    "particle_radius_p10",
    "particle_radius_p90",
)


def entry(value: Any, unit: str, source: str, method: str) -> dict[str, Any]:
    """One descriptor with its provenance (the layout of the material JSON's values)."""
    return {"value": value, "unit": unit, "source": source, "method": method}


# ------------------------------------------------------------------------------ inputs


def _measured_record(study: Study, name: str, files: Mapping[str, Any]) -> dict[str, Any]:
    """Analyse the measurement files a study lists for a material (paths relative to the
    study file) with the characterisation commands' defaults."""
    unknown = set(files) - set(MEASUREMENT_KINDS)
    if unknown:
        raise ParameterError(
            f"materials.{name}.files: unknown kind(s) {sorted(unknown)}; "
            f"use {', '.join(MEASUREMENT_KINDS)}"
        )
    try:
        from ..characterisation.material import build_material
    except ImportError as exc:  # pragma: no cover - the [char] extra is missing
        raise ParameterError(
            f"materials.{name}.files: analysing measurement files needs the 'char' extra ({exc})"
        ) from None
    base = study.path.parent if study.path else Path(".")
    paths = {}
    for kind in MEASUREMENT_KINDS:
        if kind in files:
            p = Path(str(files[kind]))
            paths[kind] = p if p.is_absolute() else base / p
    return build_material(name, **paths).to_dict()


def material_record(record: Any) -> tuple[dict[str, Any], str]:
    """A material record as ``(dict in the material-JSON layout, origin)``.

    ``record`` is a path to a JSON file (``sianode material build``), a dict in that layout,
    or an object with ``to_dict()`` (:class:`~sianode.characterisation.material.Material`).
    """
    if isinstance(record, (str, Path)):
        from ..characterisation.material import read_material

        return read_material(record).to_dict(), str(record)
    if hasattr(record, "to_dict"):
        data = record.to_dict()
        return data, f"material record {data.get('name', '')}".strip()
    if isinstance(record, Mapping) and isinstance(record.get("values"), Mapping):
        return dict(record), f"material record {record.get('name', '')}".strip()
    raise ParameterError(
        f"material record: expected a JSON path, a dict with 'values' or a Material, got {record!r}"
    )


def _convert(key: str, value: Any, unit: str | None, where: str) -> float:
    if isinstance(value, bool):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    target = DESCRIPTOR_UNITS.get(key, unit or "")
    if target:
        if unit and isinstance(value, (int, float)) and unit != target:
            value = f"{value} {unit}"
        return to_unit(value, target, where)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{where}: expected a number, got {value!r}") from None


def _inputs(
    study: Study,
    name: str,
    record: Any = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The descriptor inputs (typed in, measured, record, overrides) before any derivation,
    and the study's section for the material."""
    where = f"materials.{name}"
    if study.has(where):
        mat = dict(study.section(where))
    elif record is not None:
        mat = {}
    else:
        raise ParameterError(
            f"material: {name!r} not in the study; choose one of {', '.join(study.material_names)}"
        )
    src = f"study file {study.path.name if study.path else ''} [{where}]"
    out: dict[str, dict[str, Any]] = {}
    for key, unit in DESCRIPTOR_UNITS.items():
        if key in mat:
            out[key] = entry(
                _convert(key, mat[key], None, f"{where}.{key}"), unit or "1", src, "typed in"
            )
    records: list[tuple[dict[str, Any], str]] = []
    if mat.get("files"):
        records.append((_measured_record(study, name, mat["files"]), "measurement files"))
    if record is not None:
        records.append(material_record(record))
    for rec, origin in records:
        for key, e in rec["values"].items():
            if key not in DESCRIPTOR_UNITS and key not in _RECORD_PASSED:
                continue  # kept only in the record (raman_peak, template_porosity ...)
            source, method = str(e.get("source", origin)), str(e.get("method", ""))
            if isinstance(e.get("value"), bool):
                out[key] = entry(e["value"], "bool", source, method)
                continue
            unit = DESCRIPTOR_UNITS.get(key, e.get("unit", ""))
            text = f"{e['value']} {e.get('unit', '')}".strip()
            val = to_unit(text, unit, f"{origin}: {key}") if unit else float(e["value"])
            out[key] = entry(val, unit or "1", source, method)
    for key, value in (overrides or {}).items():
        if key == "pore_model":
            continue
        if value is None:  # an override of None removes the descriptor (e.g. no BET area)
            out.pop(key, None)
            continue
        if key == "crystalline":
            out[key] = entry(bool(value), "bool", "override", "override")
            continue
        if key not in DESCRIPTOR_UNITS:
            raise ParameterError(
                f"material override {key!r}: not a descriptor; known: {', '.join(DESCRIPTOR_UNITS)}"
            )
        unit = DESCRIPTOR_UNITS[key]
        out[key] = entry(
            _convert(key, value, None, f"override {key}"), unit or "1", "override", "override"
        )
    # a porosity derived from the BET area and pore size follows them when they are changed
    pore_inputs_changed = {"bet_area", "pore_diameter", "pore_model"} & set(overrides or {})
    if (
        pore_inputs_changed
        and "porosity" not in (overrides or {})
        and out.get("porosity", {}).get("method") != "typed in"
    ):
        out.pop("porosity", None)
    return out, mat


# ------------------------------------------------------------------------------ derivations


def porosity_descriptor(
    inputs: Mapping[str, Mapping[str, Any]], pore_model: str = "cylinder", where: str = "material"
) -> dict[str, Any]:
    """The porosity entry of a material: the one place a study material's porosity is decided.

    Given (typed in, measured or overridden) if present; otherwise derived from BET area and
    pore diameter with ``pore_model`` (:func:`sianode.pores.porosity_from_bet`, skeletal
    density of Si); otherwise 0 (dense).

    Raises
    ------
    ParameterError
        If the porosity is not in [0, 1).
    """
    if "porosity" in inputs:
        out = dict(inputs["porosity"])
    elif "bet_area" in inputs and "pore_diameter" in inputs:
        s, d = inputs["bet_area"]["value"], inputs["pore_diameter"]["value"]
        vp = pore_volume(s, d, pore_model)
        phi = float(porosity_from_bet(s, d, pore_model, RHO_SI_G_CM3))
        out = entry(
            phi,
            "1",
            "derived",
            f"{pore_model} pores from BET area and pore diameter (sianode.pores): V_p = {vp:.3f} cm3/g",
        )
    else:
        out = entry(0.0, "1", "default", "no pore data: dense")
    phi = out["value"]
    if not 0 <= phi < 1:
        raise ParameterError(f"{where}.porosity: must be in [0, 1), got {phi}")
    return out


def wall_and_surface(
    inputs: Mapping[str, Mapping[str, Any]], radius_um: float
) -> dict[str, dict[str, Any]]:
    """Surface area [m2/g] and smallest solid dimension [nm] the simulator takes.

    With a BET area: that area, and plate walls ``t = 2 / (rho S)``
    (:func:`sianode.pores.wall_thickness`). Without: the external area of dense spheres
    ``3 / (rho R)`` and the particle diameter.
    """
    if "bet_area" in inputs:
        s = inputs["bet_area"]["value"]
        return {
            "surface_area": entry(s, "m2/g", inputs["bet_area"]["source"], "BET area"),
            "wall_size": entry(
                float(wall_thickness(s, "plate", RHO_SI_G_CM3)),
                "nm",
                "derived",
                "plate walls t = 2/(rho S) (sianode.pores)",
            ),
        }
    # 3 / (rho R): rho in g/m3, R in m -> m2/g
    area = 3.0 / (RHO_SI_G_CM3 * 1e6 * radius_um * 1e-6)
    return {
        "surface_area": entry(area, "m2/g", "derived", "external area of dense spheres 3/(rho R)"),
        "wall_size": entry(2e3 * radius_um, "nm", "derived", "particle diameter"),
    }


def material_descriptors(
    study: Study,
    name: str,
    record: Any = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Descriptors of material ``name`` with provenance.

    Keys: porosity [1], particle_radius [um], surface_area [m2/g], wall_size [nm],
    oxide_thickness [nm], usable_pore_fraction [1], crystalline [bool], plus the measured
    descriptors (bet_area, pore_diameter, crystallite_size, lattice_constant) when present.

    Parameters
    ----------
    study : Study
        The study (``[materials.<name>]``).
    name : str
        Material name.
    record : path, dict or Material, optional
        Material record overriding the study's values key by key (module docstring).
    overrides : mapping, optional
        Descriptor values (numbers in :data:`DESCRIPTOR_UNITS` or strings with units; None
        removes a descriptor; ``pore_model`` a pore shape); they win over everything, and
        what is derived from them is re-derived.
    """
    where = f"materials.{name}"
    inputs, mat = _inputs(study, name, record, overrides)
    model = str((overrides or {}).get("pore_model") or mat.get("pore_model", "cylinder"))
    if model not in PORE_MODELS:
        raise ParameterError(f"{where}.pore_model: one of {', '.join(PORE_MODELS)}, got {model!r}")
    out = dict(inputs)
    out["porosity"] = porosity_descriptor(inputs, model, where)
    if "particle_radius" not in out:
        raise ParameterError(f"{where}.particle_radius: needed by the simulator (e.g. '1 um')")
    radius_um = out["particle_radius"]["value"]
    if radius_um <= 0:
        raise ParameterError(f"{where}.particle_radius: must be > 0, got {radius_um} um")
    out.update(wall_and_surface(inputs, radius_um))
    out.setdefault(
        "oxide_thickness", entry(0.5, "nm", "default", "native oxide 0.3-1 nm (physics.md 3.8)")
    )
    out.setdefault("usable_pore_fraction", entry(1.0, "1", "default", "all pore volume usable"))
    cryst = bool(mat.get("crystalline", True))
    out.setdefault(
        "crystalline",
        entry(
            cryst,
            "bool",
            f"study file {study.path.name if study.path else ''} [{where}]"
            if "crystalline" in mat
            else "default",
            "XRD: crystalline Si",
        ),
    )
    return out


def material_porosity(
    study: Study, name: str, record: Any = None, overrides: Mapping[str, Any] | None = None
) -> float:
    """Intra-particle porosity [-] of a study material (:func:`porosity_descriptor`).

    Unlike :func:`material_descriptors` it needs no particle radius, so cell-design
    calculations work on a study that gives none.
    """
    inputs, mat = _inputs(study, name, record, overrides)
    model = str((overrides or {}).get("pore_model") or mat.get("pore_model", "cylinder"))
    return float(porosity_descriptor(inputs, model, f"materials.{name}")["value"])


def porosity_bounds(study: Study, name: str, record: Any = None) -> list[tuple[float, str]]:
    """The porosities bounding a material's uncertain porosity, each with its reason.

    - lower: BET area and pore diameter read with sphere pores, the shape with the least pore
      volume per area (:data:`sianode.pores.PORE_MODELS`);
    - upper: the template porosity of the study's synthesis (MgO volume fraction,
      :func:`sianode.synthesis.synthesis_from_study`): the skeleton cannot keep more pore
      volume than its template; without a ``[synthesis]`` section, slit pores (the most
      pore volume per area).

    Empty when the material has no BET area and pore diameter (a dense powder). Reference
    study, nanoporous Si: 0.328 (spheres) and 0.483 (template).
    """
    inputs, _mat = _inputs(study, name, record)
    if "bet_area" not in inputs or "pore_diameter" not in inputs:
        return []
    s, d = inputs["bet_area"]["value"], inputs["pore_diameter"]["value"]
    low_model = min(PORE_MODELS, key=PORE_MODELS.__getitem__)
    out = [(float(porosity_from_bet(s, d, low_model)), f"{low_model} pores from BET")]
    if study.has("synthesis"):
        from ..synthesis import synthesis_from_study

        out.append(
            (float(synthesis_from_study(study).template_porosity), "synthesis template porosity")
        )
    else:
        high_model = max(PORE_MODELS, key=PORE_MODELS.__getitem__)
        out.append((float(porosity_from_bet(s, d, high_model)), f"{high_model} pores from BET"))
    return out


def buffering_limit_x(porosity: float, usable_pore_fraction: float = 1.0) -> float:
    """Li per Si up to which the pores absorb all growth [-]: ``eta phi / ((1 - phi) Omega)``.

    Omega = :data:`sianode.constants.OMEGA_RATIO` (0.749, physics.md 4.1-4.2).
    phi = 0.42 -> x = 0.967 (923 mAh/g).
    """
    return usable_pore_fraction * porosity / ((1.0 - porosity) * OMEGA_RATIO)


def buffering_limit_capacity(porosity: float, usable_pore_fraction: float = 1.0) -> float:
    """Lithiation capacity [mAh per g Si] up to which the pores absorb all growth:
    :func:`buffering_limit_x` times the capacity of one Li per Si (954.3 mAh/g)."""
    return buffering_limit_x(porosity, usable_pore_fraction) * float(theoretical_capacity(1.0))
