"""From a study (and a measured material record) to the parameters a solver takes.

:func:`build_cell` is the one public entry: calibration, the prediction band, the what-ifs,
the sweep, the CLI and the report all build their cells with it. An override of a material
descriptor (porosity, particle radius, BET area ...) or of a cell-build input (composite
mass, pellet diameter ...) is applied *before* the derivation, so everything that follows
from it (electrode thickness, volume fractions, wall size, surface area, contact area) is
re-derived the same way wherever the override comes from. Each value that enters
:class:`CellParameters` from the study is recorded with where it came from: typed in the
study file, derived (by which relation), or a documented default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..study import Study, load_study
from ..units import to_unit
from ._values import _number
from .capacity import capacity_basis
from .geometry import ElectrodeGeometry, SeparatorGeometry, electrode_geometry, separator_geometry
from .materials import DESCRIPTOR_UNITS, entry, material_descriptors, material_record
from .parameters import OVERRIDE_UNITS, PARAM_NAMES, CellParameters
from .potentials import reference_potential

__all__ = [
    "BUILD_INPUTS",
    "FIELD_DESCRIPTORS",
    "build_cell",
    "cell_from_study",
    "study_geometry",
]

#: Cell-build inputs (``[cell]`` of the study) an override may change, with the unit numbers
#: are taken in (strings with units are converted).
BUILD_INPUTS: dict[str, str] = {
    "composite_mass": "mg",
    "pellet_diameter": "mm",
    "separator_mass": "mg",
    "composite_relative_density": "1",
    "separator_relative_density": "1",
}

#: CellParameters fields that are material descriptors: an override of the field (SI) is
#: applied to the descriptor (factor: SI -> descriptor unit) so what follows is re-derived.
FIELD_DESCRIPTORS: dict[str, tuple[str, float]] = {
    "porosity": ("porosity", 1.0),
    "particle_radius": ("particle_radius", 1e6),
    "usable_pore_fraction": ("usable_pore_fraction", 1.0),
    "oxide_thickness": ("oxide_thickness", 1e9),
}

# Descriptor inputs that are not CellParameters fields (numbers in DESCRIPTOR_UNITS).
_DESCRIPTOR_ONLY = ("bet_area", "pore_diameter", "pore_model", "crystalline")


def _build_value(cell: Mapping[str, Any], key: str, overrides: Mapping[str, Any]) -> Any:
    return overrides[key] if overrides.get(key) is not None else cell.get(key)


def _or_one(value: Any) -> Any:
    return 1.0 if value is None else value


def study_geometry(
    study: Study,
    porosity: float,
    require_separator: bool = True,
    **inputs: Any,
) -> tuple[ElectrodeGeometry, SeparatorGeometry | None]:
    """Composite-electrode and separator geometry of the study's cell for Si of ``porosity``.

    Parameters
    ----------
    study : Study
        ``[cell]`` (composite_mass, pellet_diameter, separator_mass, relative densities,
        separator_material) and ``[cell.composition]`` (weight fractions).
    porosity : float
        Intra-particle porosity of the Si [-] (the Si envelope, and so the thickness and the
        volume fractions, grow with it).
    require_separator : bool
        Raise when the study gives no separator mass (the simulator needs it); otherwise the
        separator is None.
    **inputs
        Overrides of :data:`BUILD_INPUTS` (numbers in their unit, or strings with units).
    """
    for key in inputs:
        if key not in BUILD_INPUTS:
            raise ParameterError(f"cell input {key!r}: known: {', '.join(BUILD_INPUTS)}")
    cell = study.section("cell")
    for key in ("composite_mass", "pellet_diameter"):
        if _build_value(cell, key, inputs) is None:
            raise ParameterError(f"cell.{key}: missing in the study file")
    comp_mass = to_unit(_build_value(cell, "composite_mass", inputs), "mg", "composite_mass")
    diameter = to_unit(_build_value(cell, "pellet_diameter", inputs), "mm", "pellet_diameter")
    rel = _number(
        _or_one(_build_value(cell, "composite_relative_density", inputs)),
        "composite_relative_density",
    )
    fractions = dict(cell.get("composition", {}))
    geo = electrode_geometry(comp_mass, fractions, diameter, rel, si_porosity=porosity)
    sep_mass = _build_value(cell, "separator_mass", inputs)
    if sep_mass is None:
        if require_separator:
            raise ParameterError("cell.separator_mass: missing in the study file")
        return geo, None
    sep = separator_geometry(
        to_unit(sep_mass, "mg", "separator_mass"),
        diameter,
        _number(
            _or_one(_build_value(cell, "separator_relative_density", inputs)),
            "separator_relative_density",
        ),
        material=str(cell.get("separator_material", "Li3PS4")),
    )
    return geo, sep


def _split_overrides(
    overrides: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(descriptor overrides in descriptor units, cell-build inputs, CellParameters fields)."""
    desc: dict[str, Any] = {}
    build: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in FIELD_DESCRIPTORS:
            name, factor = FIELD_DESCRIPTORS[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                desc[name] = value * factor if factor != 1.0 else value
                fields[key] = value  # the field itself exactly as given
            else:
                desc[name] = value  # a string with a unit, or None
        elif key in _DESCRIPTOR_ONLY or key in DESCRIPTOR_UNITS:
            desc[key] = value
        elif key in BUILD_INPUTS:
            build[key] = value
        elif key in PARAM_NAMES:
            fields[key] = value
        else:
            raise ParameterError(
                f"unknown cell parameter {key!r}: use a CellParameters field (SI), a material "
                f"descriptor ({', '.join(sorted(DESCRIPTOR_UNITS))}, pore_model) or a cell "
                f"input ({', '.join(BUILD_INPUTS)})"
            )
    return desc, build, fields


def study_parameters(study: Study) -> dict[str, float]:
    """The study's ``[parameters]`` table as :class:`CellParameters` fields in SI.

    Keys are field names; a quantity is a string with its unit (``bruggeman = 3``,
    ``conductivity = "0.1 mS/cm"``, ``k0 = "0.3 A/m2"``); a bare number is accepted only for
    a dimensionless field. Material descriptors belong in ``[materials.<name>]``.

    Raises
    ------
    ParameterError
        Naming the key: unknown (with the closest field), a descriptor, or a value without
        its unit.
    """
    import difflib

    if not study.has("parameters"):
        return {}
    out: dict[str, float] = {}
    for key, value in study.section("parameters").items():
        where = f"parameters.{key}"
        if key in FIELD_DESCRIPTORS or key in DESCRIPTOR_UNITS:
            raise ParameterError(f"{where}: a material descriptor; set it in [materials.<name>]")
        if key not in PARAM_NAMES or key == "beta":
            close = difflib.get_close_matches(key, PARAM_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            why = "calibrated, not set" if key == "beta" else "not a cell parameter"
            raise ParameterError(f"{where}: {why}{hint}")
        if key in OVERRIDE_UNITS:
            unit, factor = OVERRIDE_UNITS[key]
            if not isinstance(value, str):
                raise ParameterError(f"{where}: give a unit, e.g. '{value} {unit}'")
            out[key] = to_unit(value, unit, where) * factor
        else:
            out[key] = float(_number(value, where))
    return out


def build_cell(
    study: Study | str | Path | None = None,
    material: Any = "dense",
    record: Any = None,
    **overrides: Any,
) -> tuple[CellParameters, dict[str, dict[str, Any]]]:
    """Simulator parameters for the study's cell built with ``material``.

    Parameters
    ----------
    study : Study or path, optional
        The study (default: the bundled reference study).
    material : str or material record
        Name of a ``[materials.<name>]`` section ("dense", "nanoporous"), or a measured
        material record (:class:`~sianode.characterisation.material.Material` or its dict),
        whose name selects the study section it refines (if there is one).
    record : path, dict or Material, optional
        Material record (``sianode material build``) overriding the study's descriptors key
        by key.
    **overrides
        - material descriptors (:data:`sianode.cell.materials.DESCRIPTOR_UNITS`, e.g.
          ``bet_area=213`` [m2/g], ``pore_diameter=5.9`` [nm], ``pore_model="sphere"``;
          None removes one) and cell-build inputs (:data:`BUILD_INPUTS`, e.g.
          ``composite_mass=2.5`` [mg]): applied before the derivation;
        - :class:`CellParameters` fields in SI, e.g. ``beta=0.01``. The fields that are
          descriptors (:data:`FIELD_DESCRIPTORS`: porosity, particle_radius,
          usable_pore_fraction, oxide_thickness) are applied to the descriptor too, so the
          geometry, wall size and surface area follow; any other field is set as given
          (a derived field such as ``electrode_thickness`` set directly is taken as is).

    Returns
    -------
    (CellParameters, provenance)
        Provenance: descriptor entries (value, unit, source, method) plus the derived
        electrode and separator thickness and one entry per override.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    if isinstance(material, str):
        name = material
    else:
        data, _origin = material_record(material)
        name = str(data.get("name", "material"))
        if record is not None:
            raise ParameterError("build_cell: give the material record once (material or record)")
        record = data
    desc_over, build_over, fields = _split_overrides(overrides)
    desc = material_descriptors(study, name, record, desc_over)
    phi = desc["porosity"]["value"]
    geo, sep = study_geometry(study, phi, **build_over)
    assert sep is not None
    se_key = next((k for k in geo.volume_fractions if k in ("Li3PS4", "LPS", "SE")), None)
    if se_key is None:
        raise ParameterError("cell.composition: needs a solid-electrolyte component (Li3PS4)")
    cell = study.section("cell")
    temperature = to_unit(cell.get("temperature", "30 degC"), "K", "cell.temperature")
    counter = str(cell.get("counter_electrode", "Li-In"))
    basis = capacity_basis(cell.get("capacity_basis", "Li22Si5"))
    params: dict[str, Any] = dict(
        area=float(geo.area_cm2) * 1e-4,
        si_mass=float(geo.si_mass_mg) * 1e-6,
        electrode_thickness=float(geo.thickness_um) * 1e-6,
        electrode_se_fraction=float(geo.volume_fractions[se_key]),
        envelope_fraction=float(geo.si_envelope_fraction),
        separator_thickness=float(sep.thickness_um) * 1e-6,
        separator_se_fraction=float(sep.se_fraction),
        temperature=temperature,
        particle_radius=desc["particle_radius"]["value"] * 1e-6,
        porosity=phi,
        usable_pore_fraction=desc["usable_pore_fraction"]["value"],
        wall_size=desc["wall_size"]["value"] * 1e-9,
        surface_area=desc["surface_area"]["value"] * 1e3,
        oxide_thickness=desc["oxide_thickness"]["value"] * 1e-9,
        crystalline_fraction=1.0 if desc["crystalline"]["value"] else 0.0,
        counter_potential=reference_potential(counter),
        nominal_specific_capacity=basis * 3.6,
    )
    stack = cell.get("stack_pressure")
    if stack is not None:
        params["stack_pressure"] = to_unit(stack, "Pa", "cell.stack_pressure")
        params["reference_pressure"] = params["stack_pressure"]
    from_study = study_parameters(study)
    params.update(from_study)
    params.update(fields)
    prov = dict(desc)
    for key, value in from_study.items():
        prov[key] = entry(value, "SI", "study", "[parameters] of the study file")
    prov["electrode_thickness"] = entry(
        float(geo.thickness_um),
        "um",
        "derived",
        f"composite mass, densities, relative density {float(geo.relative_density)}",
    )
    prov["separator_thickness"] = entry(
        float(sep.thickness_um), "um", "derived", "separator mass, Li3PS4 density, relative density"
    )
    for key, value in build_over.items():
        unit = BUILD_INPUTS[key]
        val = float(value) if unit == "1" else to_unit(value, unit, key)
        prov[key] = entry(val, unit, "override", "override")
    return CellParameters(**params), prov


def cell_from_study(
    study: Study | str | Path | None = None,
    material: str = "dense",
    material_file: str | Path | None = None,
    **overrides: Any,
) -> tuple[CellParameters, dict[str, dict[str, Any]]]:
    """:func:`build_cell` under its former name (``material_file``: the material record)."""
    return build_cell(study, material, material_file, **overrides)
