"""From a study file (and optionally a material JSON) to simulator parameters, with provenance.

Each value that enters :class:`CellParameters` from the study is recorded with where it came
from: typed in the study file, derived (by which relation), or a documented default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..characterisation.material import read_material
from ..design import (
    capacity_basis,
    electrode_geometry,
    reference_potential,
    separator_geometry,
)
from ..errors import ParameterError
from ..pores import pore_volume, porosity_from_pore_volume, wall_thickness
from ..study import Study, load_study
from ..units import to_unit
from .parameters import CellParameters

__all__ = ["cell_from_study", "cell_from_pybamm_parameters", "material_descriptors"]

RHO_SI = 2.329  # g/cm3


def _measured_record(study: Study, name: str, files: dict[str, Any]) -> dict[str, Any]:
    """Analyse the measurement files a study lists for a material (``[materials.X.files]``,
    paths relative to the study file) with the characterisation commands' defaults."""
    try:
        from ..characterisation.material import build_material
    except ImportError as exc:  # pragma: no cover - the [char] extra is missing
        raise ParameterError(
            f"materials.{name}.files: analysing measurement files needs the 'char' extra ({exc})"
        ) from None
    base = study.path.parent if study.path else Path(".")
    paths = {}
    for kind in ("xrd", "raman", "sorption", "tem", "sem"):
        if kind in files:
            p = Path(str(files[kind]))
            paths[kind] = p if p.is_absolute() else base / p
    unknown = set(files) - {"xrd", "raman", "sorption", "tem", "sem"}
    if unknown:
        raise ParameterError(
            f"materials.{name}.files: unknown kind(s) {sorted(unknown)}; "
            "use xrd, raman, sorption, tem, sem"
        )
    return build_material(name, **paths).to_dict()


def _entry(value: float, unit: str, source: str, method: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source, "method": method}


def material_descriptors(
    study: Study, name: str, material_file: str | Path | None = None
) -> dict[str, dict[str, Any]]:
    """Descriptors of material ``name`` with provenance.

    Keys: porosity [1], particle_radius [um], surface_area [m2/g], wall_size [nm],
    oxide_thickness [nm], usable_pore_fraction [1], crystalline [bool], plus the measured
    descriptors (bet_area, pore_diameter, crystallite_size, lattice_constant) when present.
    Measurement files listed in ``[materials.<name>.files]`` (xrd, raman, sorption) are
    analysed and override typed-in values; a material JSON (``sianode material build``)
    overrides both, key by key.
    """
    where = f"materials.{name}"
    if not study.has(where):
        raise ParameterError(
            f"material: {name!r} not in the study; choose one of {', '.join(study.material_names)}"
        )
    mat = dict(study.section(where))
    src = f"study file {study.path.name if study.path else ''} [{where}]"
    out: dict[str, dict[str, Any]] = {}
    units = {
        "bet_area": "m2/g",
        "pore_diameter": "nm",
        "crystallite_size": "nm",
        "lattice_constant": "nm",
        "particle_radius": "um",
        "particle_radius_p10": "um",  # measured size distribution (sem micrograph)
        "particle_radius_p90": "um",
        "oxide_thickness": "nm",
        "porosity": "",
        "usable_pore_fraction": "",
    }
    for key, unit in units.items():
        if key in mat:
            val = to_unit(mat[key], unit, f"{where}.{key}") if unit else float(mat[key])
            out[key] = _entry(val, unit or "1", src, "typed in")
    records: list[tuple[dict[str, Any], str]] = []
    files = mat.get("files")
    if files:
        records.append((_measured_record(study, name, files), "measurement files"))
    if material_file is not None:
        records.append((read_material(material_file).to_dict(), str(material_file)))
    for rec, origin in records:
        for key, e in rec["values"].items():
            if key not in units and key not in ("crystalline", "density", "pore_volume"):
                continue
            if isinstance(e.get("value"), bool):
                out[key] = _entry(
                    e["value"], "bool", str(e.get("source", origin)), str(e.get("method", ""))
                )
                continue
            unit = units.get(key, e.get("unit", ""))
            text = f"{e['value']} {e.get('unit', '')}".strip()
            val = to_unit(text, unit, f"{origin}: {key}") if unit else float(e["value"])
            out[key] = _entry(
                val, unit or "1", str(e.get("source", origin)), str(e.get("method", ""))
            )
    # porosity: typed in, or derived from BET area and pore size
    if "porosity" not in out:
        if "bet_area" in out and "pore_diameter" in out:
            model = str(mat.get("pore_model", "cylinder"))
            vp = pore_volume(out["bet_area"]["value"], out["pore_diameter"]["value"], model)
            phi = float(porosity_from_pore_volume(vp, RHO_SI))
            out["porosity"] = _entry(
                phi,
                "1",
                "derived",
                f"{model} pores from BET area and pore diameter (sianode.pores): V_p = {vp:.3f} cm3/g",
            )
        else:
            out["porosity"] = _entry(0.0, "1", "default", "no pore data: dense")
    phi = out["porosity"]["value"]
    if not 0 <= phi < 1:
        raise ParameterError(f"{where}.porosity: must be in [0, 1), got {phi}")
    if "particle_radius" not in out:
        raise ParameterError(f"{where}.particle_radius: needed by the simulator (e.g. '1 um')")
    radius_um = out["particle_radius"]["value"]
    if radius_um <= 0:
        raise ParameterError(f"{where}.particle_radius: must be > 0, got {radius_um} um")
    if "bet_area" in out:
        out["surface_area"] = _entry(
            out["bet_area"]["value"], "m2/g", out["bet_area"]["source"], "BET area"
        )
        wall = float(wall_thickness(out["bet_area"]["value"], "plate", RHO_SI))
        out["wall_size"] = _entry(
            wall, "nm", "derived", "plate walls t = 2/(rho S) (sianode.pores)"
        )
    else:
        # 3 / (rho R): rho in g/m3, R in m -> m2/g
        area = 3.0 / (RHO_SI * 1e6 * radius_um * 1e-6)
        out["surface_area"] = _entry(
            area, "m2/g", "derived", "external area of dense spheres 3/(rho R)"
        )
        out["wall_size"] = _entry(2e3 * radius_um, "nm", "derived", "particle diameter")
    out.setdefault(
        "oxide_thickness", _entry(0.5, "nm", "default", "native oxide 0.3-1 nm (physics.md 3.8)")
    )
    out.setdefault("usable_pore_fraction", _entry(1.0, "1", "default", "all pore volume usable"))
    cryst = bool(mat.get("crystalline", True))
    out.setdefault(
        "crystalline",
        _entry(cryst, "bool", src if "crystalline" in mat else "default", "XRD: crystalline Si"),
    )
    return out


def cell_from_study(
    study: Study | str | Path | None = None,
    material: str = "dense",
    material_file: str | Path | None = None,
    **overrides: Any,
) -> tuple[CellParameters, dict[str, dict[str, Any]]]:
    """Simulator parameters for the study's cell built with ``material``.

    Parameters
    ----------
    study : Study or path, optional
        The study (default: the bundled reference study).
    material : str
        Name of a ``[materials.<name>]`` section ("dense", "nanoporous").
    material_file : path, optional
        Material JSON from ``sianode material build`` (overrides the study's descriptors).
    **overrides
        Any :class:`CellParameters` field (SI), e.g. ``beta=0.01``.

    Returns
    -------
    (CellParameters, provenance)
    """
    if not isinstance(study, Study):
        study = load_study(study)
    cell = study.section("cell")
    desc = material_descriptors(study, material, material_file)
    phi = desc["porosity"]["value"]
    try:
        comp_mass = to_unit(cell["composite_mass"], "mg", "cell.composite_mass")
        diameter = to_unit(cell["pellet_diameter"], "mm", "cell.pellet_diameter")
        sep_mass = to_unit(cell["separator_mass"], "mg", "cell.separator_mass")
    except KeyError as exc:
        raise ParameterError(f"cell.{exc.args[0]}: missing in the study file") from None
    fractions = dict(cell.get("composition", {}))
    rel = float(cell.get("composite_relative_density", 1.0))
    geo = electrode_geometry(comp_mass, fractions, diameter, rel, si_porosity=phi)
    sep = separator_geometry(
        sep_mass,
        diameter,
        float(cell.get("separator_relative_density", 1.0)),
        material=str(cell.get("separator_material", "Li3PS4")),
    )
    se_key = next((k for k in geo.volume_fractions if k in ("Li3PS4", "LPS", "SE")), None)
    if se_key is None:
        raise ParameterError("cell.composition: needs a solid-electrolyte component (Li3PS4)")
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
    params.update(overrides)
    prov = dict(desc)
    prov["electrode_thickness"] = _entry(
        float(geo.thickness_um),
        "um",
        "derived",
        f"composite mass, densities, relative density {rel}",
    )
    prov["separator_thickness"] = _entry(
        float(sep.thickness_um), "um", "derived", "separator mass, Li3PS4 density, relative density"
    )
    try:
        return CellParameters(**params), prov
    except TypeError as exc:
        raise ParameterError(f"unknown cell parameter: {exc}") from None


def cell_from_pybamm_parameters(
    params: dict[str, Any], electrode_thickness: float | None = None
) -> CellParameters:
    """The cell of a PyBaMM-style description (volume fractions, c_max), for cross-checks.

    Reads the keys of ``tests/data/pybamm/params.json`` (SI): ``area_m2``,
    ``electrode_thickness_m``, ``si_volume_fraction``, ``se_volume_fraction_electrode``,
    ``separator_thickness_m``, ``se_volume_fraction_separator``, ``bruggeman``,
    ``particle_radius_m``, ``c_max_mol_m3`` (Li per Si at s = 1 is 3.75), ``initial_stoichiometry``,
    ``k0_A_m2``, ``diffusivity_m2_s``, ``conductivity_S_m``, ``temperature_K``,
    ``counter_i0_A_m2``. PyBaMM's conventions are kept: full contact coverage (a = 3 eps/R),
    i0 = k0 sqrt(s(1-s)) without regularisation, Li counter at 0 V, constant conductivity,
    amorphous Si.
    """
    p = params
    thickness = p["electrode_thickness_m"] if electrode_thickness is None else electrode_thickness
    n_si = p["si_volume_fraction"] * thickness * p["area_m2"] * p["c_max_mol_m3"] / 3.75
    return CellParameters(
        area=p["area_m2"],
        si_mass=n_si * 28.0855e-3,
        electrode_thickness=thickness,
        electrode_se_fraction=p["se_volume_fraction_electrode"],
        envelope_fraction=p["si_volume_fraction"],
        separator_thickness=p["separator_thickness_m"],
        separator_se_fraction=p["se_volume_fraction_separator"],
        temperature=p["temperature_K"],
        conductivity=p["conductivity_S_m"],
        conductivity_reference_temperature=p["temperature_K"],
        activation_energy=0.0,
        bruggeman=p["bruggeman"],
        x_init=p["initial_stoichiometry"] * 3.75,
        crystalline_fraction=0.0,
        particle_radius=p["particle_radius_m"],
        wall_size=2.0 * p["particle_radius_m"],
        diffusivity=p["diffusivity_m2_s"],
        k0=p["k0_A_m2"],
        i0_regularisation=0.0,
        contact_coverage=1.0,
        counter_potential=0.0,
        counter_i0=p["counter_i0_A_m2"],
    )
