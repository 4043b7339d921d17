"""Cells for the simulator that do not come from a study, and the study entry re-exported.

A study's cell is built in :mod:`sianode.cell` (:func:`sianode.cell.build_cell`); the names
:func:`cell_from_study` and :func:`material_descriptors` stay here so existing imports work.
This module imports nothing from :mod:`sianode.characterisation`: a measured material record
is built there and passed in as data.
"""

from __future__ import annotations

from typing import Any

from ..cell.build import build_cell, cell_from_study
from ..cell.materials import material_descriptors
from ..cell.parameters import CellParameters
from ..constants import M_SI_KG

__all__ = ["build_cell", "cell_from_study", "cell_from_pybamm_parameters", "material_descriptors"]


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
    amorphous Si, and PyBaMM's intrinsic electrolyte conductivity with Bruggeman's factor
    in the separator too (``conductivity_reference_fraction = 1``: referred to a dense
    electrolyte, not to a pressed pellet).
    """
    p = params
    thickness = p["electrode_thickness_m"] if electrode_thickness is None else electrode_thickness
    n_si = p["si_volume_fraction"] * thickness * p["area_m2"] * p["c_max_mol_m3"] / 3.75
    return CellParameters(
        area=p["area_m2"],
        si_mass=n_si * M_SI_KG,
        electrode_thickness=thickness,
        electrode_se_fraction=p["se_volume_fraction_electrode"],
        envelope_fraction=p["si_volume_fraction"],
        separator_thickness=p["separator_thickness_m"],
        separator_se_fraction=p["se_volume_fraction_separator"],
        temperature=p["temperature_K"],
        conductivity=p["conductivity_S_m"],
        conductivity_reference_fraction=1.0,
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
