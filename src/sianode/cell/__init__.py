"""Everything between a study (or a measured material record) and the parameters a solver takes.

- :mod:`~sianode.cell.parameters`: :class:`CellParameters` (SI, with sources),
  :class:`ModelOptions`, :data:`OVERRIDE_UNITS` (the unit users type each field in);
- :mod:`~sianode.cell.materials`: material descriptors with provenance, the one owner of
  porosity, wall size, surface area, the porosity bounds and the buffering limit;
- :mod:`~sianode.cell.geometry`: composite electrode and separator geometry;
- :mod:`~sianode.cell.capacity`, :mod:`~sianode.cell.potentials`: capacity bases and
  reference-electrode potentials;
- :mod:`~sianode.cell.build`: :func:`build_cell`, the one public entry from a study to a
  :class:`CellParameters` (overrides of descriptors re-derive what follows from them).
"""

from .build import BUILD_INPUTS, FIELD_DESCRIPTORS, build_cell, cell_from_study, study_geometry
from .capacity import areal_capacity, capacity_basis, theoretical_capacity
from .geometry import ElectrodeGeometry, SeparatorGeometry, electrode_geometry, separator_geometry
from .materials import (
    DESCRIPTOR_UNITS,
    buffering_limit_capacity,
    buffering_limit_x,
    material_descriptors,
    material_porosity,
    porosity_bounds,
)
from .parameters import OPTION_CHOICES, OVERRIDE_UNITS, PARAM_NAMES, CellParameters, ModelOptions
from .potentials import reference_potential

__all__ = [
    "BUILD_INPUTS",
    "DESCRIPTOR_UNITS",
    "FIELD_DESCRIPTORS",
    "OPTION_CHOICES",
    "OVERRIDE_UNITS",
    "PARAM_NAMES",
    "CellParameters",
    "ElectrodeGeometry",
    "ModelOptions",
    "SeparatorGeometry",
    "areal_capacity",
    "buffering_limit_capacity",
    "buffering_limit_x",
    "build_cell",
    "capacity_basis",
    "cell_from_study",
    "electrode_geometry",
    "material_descriptors",
    "material_porosity",
    "porosity_bounds",
    "reference_potential",
    "separator_geometry",
    "study_geometry",
    "theoretical_capacity",
]
