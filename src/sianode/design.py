"""Cell design numbers of a study: currents, C-rates and the design of its cell and protocol.

Pure functions (physics.md sections 3.2, 5.3) plus one orchestration function,
:func:`design_from_study`, that applies them to a study file:

- C-rate, current and current density conversions, hours per half cycle (here);
- capacity bases (:mod:`sianode.cell.capacity`), composite electrode and separator geometry
  (:mod:`sianode.cell.geometry`) and reference-electrode potentials
  (:mod:`sianode.cell.potentials`), re-exported here so existing imports work.

Units follow the lab: masses [mg], areas [cm2], currents [mA], current densities [mA cm-2],
capacities [mAh g-1] and [mAh cm-2], thicknesses [um], potentials [V].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cell._values import _as, _number, _out, _positive
from .cell.build import study_geometry
from .cell.capacity import (
    LITHIATED_PHASES,
    NOMINAL_CAPACITY,
    areal_capacity,
    capacity_basis,
    capacity_basis_name,
    theoretical_capacity,
)
from .cell.geometry import (
    ElectrodeGeometry,
    SeparatorGeometry,
    electrode_geometry,
    pellet_area,
    separator_geometry,
)
from .cell.materials import material_porosity
from .cell.potentials import (
    REFERENCE_ELECTRODES,
    convert_potential,
    reference_potential,
    register_reference,
)
from .errors import ParameterError

__all__ = [
    "LITHIATED_PHASES",
    "NOMINAL_CAPACITY",
    "REFERENCE_ELECTRODES",
    "theoretical_capacity",
    "capacity_basis",
    "capacity_basis_name",
    "pellet_area",
    "ElectrodeGeometry",
    "electrode_geometry",
    "SeparatorGeometry",
    "separator_geometry",
    "areal_capacity",
    "c_rate",
    "current_from_c_rate",
    "current_density",
    "current_from_density",
    "c_rate_from_density",
    "density_from_c_rate",
    "hours_per_half_cycle",
    "register_reference",
    "reference_potential",
    "convert_potential",
    "DesignStep",
    "CellDesign",
    "design_from_study",
    "material_porosity",
]

# --------------------------------------------------------------------------------------------
# currents


def c_rate(current_A: Any, capacity_Ah: Any) -> Any:
    """C-rate [h-1] = current / nominal capacity (any consistent units: A and Ah, mA and mAh)."""
    return _out(_as(current_A, "current") / _positive(capacity_Ah, "capacity"))


def current_from_c_rate(c_rate: Any, capacity_Ah: Any) -> Any:
    """Current [A] (or [mA] for a capacity in [mAh]) = C-rate [h-1] x capacity."""
    return _out(_as(c_rate, "c_rate") * _positive(capacity_Ah, "capacity"))


def current_density(current_mA: Any, area_cm2: Any) -> Any:
    """Current density [mA cm-2] from current [mA] and electrode area [cm2]."""
    return _out(_as(current_mA, "current") / _positive(area_cm2, "area"))


def current_from_density(current_density_mA_cm2: Any, area_cm2: Any) -> Any:
    """Current [mA] from current density [mA cm-2] and area [cm2]."""
    return _out(_as(current_density_mA_cm2, "current_density") * _positive(area_cm2, "area"))


def c_rate_from_density(current_density_mA_cm2: Any, areal_capacity_mAh_cm2: Any) -> Any:
    """C-rate [h-1] from current density [mA cm-2] and areal capacity [mAh cm-2].

    0.127 and 0.300 mA/cm2 at 3.85 mAh/cm2 (4200 basis) -> 0.0330 C and 0.0779 C.
    """
    return _out(
        _as(current_density_mA_cm2, "current_density")
        / _positive(areal_capacity_mAh_cm2, "areal_capacity")
    )


def density_from_c_rate(c_rate: Any, areal_capacity_mAh_cm2: Any) -> Any:
    """Current density [mA cm-2] from C-rate [h-1] and areal capacity [mAh cm-2]."""
    return _out(_as(c_rate, "c_rate") * _positive(areal_capacity_mAh_cm2, "areal_capacity"))


def hours_per_half_cycle(c_rate: Any, utilisation: Any = 1.0) -> Any:
    """Duration of one lithiation or delithiation [h] = utilisation / C-rate.

    Parameters
    ----------
    c_rate : float or array
        C-rate [h-1] on the nominal capacity.
    utilisation : float or array
        Fraction of the nominal capacity passed [-] (1 = full).
    """
    u = _as(utilisation, "utilisation")
    if np.any(u < 0):
        raise ParameterError("utilisation: must be >= 0")
    return _out(u / _positive(c_rate, "c_rate"))


# --------------------------------------------------------------------------------------------
# the study's cell


@dataclass
class DesignStep:
    """One distinct protocol step, with its current in every unit.

    Supports ``step["c_rate"]`` as well as ``step.c_rate``.

    Attributes
    ----------
    text : str
        The protocol line.
    kind : str
        ``"lithiate"``, ``"delithiate"`` or ``"rest"``.
    cycles : str
        Cycles the step runs in, e.g. ``"1-3"``.
    current_mA : float
        Current magnitude [mA].
    current_density_mA_cm2 : float
        Current density [mA cm-2].
    c_rate : float
        C-rate on the design's capacity basis [h-1].
    cutoff_vs_li_V, cutoff_vs_counter_V : float or None
        Voltage limit [V vs Li+/Li] and [V vs counter electrode].
    hours : float or None
        Duration at full utilisation of the nominal capacity (or the time limit, if shorter)
        [h].
    """

    text: str
    kind: str
    cycles: str
    current_mA: float
    current_density_mA_cm2: float
    c_rate: float
    cutoff_vs_li_V: float | None
    cutoff_vs_counter_V: float | None
    hours: float | None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


@dataclass
class CellDesign:
    """Design numbers of a study's cell.

    Attributes
    ----------
    study : str
        Study name.
    material : str
        Si material used for the composite geometry (a key of ``[materials]``).
    si_porosity : float
        Its intra-particle porosity [-].
    basis : str
        Capacity basis name (``"Li22Si5"``, ``"Li15Si4"`` or ``"<n> mAh/g"``).
    capacity_mAh_g : float
        Specific capacity of the basis [mAh g-1].
    si_mass_mg, area_cm2, si_loading_mg_cm2 : float
        Si mass [mg], electrode area [cm2], Si loading [mg cm-2].
    areal_capacity_mAh_cm2 : float
        Nominal areal capacity [mAh cm-2].
    capacity_mAh : float
        Nominal capacity of the electrode [mAh].
    counter_electrode : str
        Counter electrode name.
    counter_potential_V : float
        Its potential [V vs Li+/Li].
    steps : list of DesignStep
        Each distinct protocol step.
    cutoffs_vs_li_V, cutoffs_vs_counter_V : list of float
        Distinct cut-off voltages, ascending [V].
    n_cycles : int
        Cycles in the protocol as written.
    protocol_hours : float
        Duration of the whole protocol at full utilisation [h].
    composite : ElectrodeGeometry
        Composite electrode geometry.
    separator : SeparatorGeometry or None
        Separator geometry (None when the study gives no separator mass).
    """

    study: str
    material: str
    si_porosity: float
    basis: str
    capacity_mAh_g: float
    si_mass_mg: float
    area_cm2: float
    si_loading_mg_cm2: float
    areal_capacity_mAh_cm2: float
    capacity_mAh: float
    counter_electrode: str
    counter_potential_V: float
    steps: list[DesignStep] = field(default_factory=list)
    cutoffs_vs_li_V: list[float] = field(default_factory=list)
    cutoffs_vs_counter_V: list[float] = field(default_factory=list)
    n_cycles: int = 0
    protocol_hours: float = 0.0
    composite: ElectrodeGeometry | None = None
    separator: SeparatorGeometry | None = None


def _block_cycles(protocol: Any) -> list[str]:
    from .protocol import LITHIATE

    labels: list[str] = []
    done = 0
    for block, n in protocol.blocks:
        per = sum(s.kind == LITHIATE for s in block) * n
        label = f"{done + 1}-{done + per}" if per > 1 else f"{done + 1}" if per else "-"
        labels.extend([label] * len(block))
        done += per
    return labels


def design_from_study(
    study: Any,
    basis: Any = None,
    *,
    material: str | None = None,
    composite_mass: Any = None,
    diameter: Any = None,
    separator_mass: Any = None,
    composite_relative_density: Any = None,
    separator_relative_density: Any = None,
    si_porosity: Any = None,
    counter_electrode: str | None = None,
    protocol_text: str | None = None,
) -> CellDesign:
    """Design numbers for a study's cell and protocol.

    Parameters
    ----------
    study : sianode.Study
        Parsed study file (sections ``[cell]``, ``[cell.composition]``, ``[protocol]``,
        optionally ``[materials.*]``).
    basis : str or float, optional
        Capacity basis (:func:`capacity_basis`); default the study's ``cell.capacity_basis``
        (``"Li22Si5"``, 4200 mAh/g, for the reference study).
    material : str, optional
        Which ``[materials]`` entry fills the composite (default: the first one).
    composite_mass, diameter, separator_mass : float or str, optional
        Overrides [mg], [mm], [mg] (strings with units accepted).
    composite_relative_density, separator_relative_density, si_porosity : float, optional
        Overrides [-].
    counter_electrode : str, optional
        Override of ``cell.counter_electrode``.
    protocol_text : str, optional
        Protocol in text form replacing ``protocol.text``.

    Returns
    -------
    CellDesign
        Reference study: Si 0.72 mg, 0.7854 cm2, 0.917 mg/cm2, 3.85 mAh/cm2 (Li22Si5),
        steps at 0.0330 C and 0.0779 C, cut-offs 0.04/1.50 V vs Li = -0.58/+0.88 V vs Li-In.
    """
    from .protocol import DELITHIATE, LITHIATE, parse_protocol

    cell = study.section("cell")
    study.section("cell.composition")  # required here: its absence is a clear error
    basis_value = basis if basis is not None else cell.get("capacity_basis", "Li22Si5")
    q = capacity_basis(basis_value)
    materials = list(study.raw.get("materials", {}))
    if material is None:
        material = materials[0] if materials else "Si"
    elif material not in materials:
        raise ParameterError(
            f"material: unknown {material!r}; the study has {', '.join(materials) or 'none'}"
        )
    if si_porosity is None:
        phi = material_porosity(study, material) if material in materials else 0.0
    else:
        phi = _number(si_porosity, "si_porosity")
    inputs = {
        "composite_mass": composite_mass,
        "pellet_diameter": diameter,
        "separator_mass": separator_mass,
        "composite_relative_density": composite_relative_density,
        "separator_relative_density": separator_relative_density,
    }
    geo, sep = study_geometry(
        study,
        phi,
        require_separator=False,
        **{k: v for k, v in inputs.items() if v is not None},
    )

    counter = counter_electrode or str(cell.get("counter_electrode", "Li"))
    e_counter = reference_potential(counter)
    area = float(geo.area_cm2)
    loading = float(geo.si_loading_mg_cm2)
    q_areal = float(areal_capacity(loading, q))
    cap_mAh = q_areal * area

    text = protocol_text if protocol_text is not None else study.section("protocol").get("text", "")
    proto = parse_protocol(str(text))
    area_m2 = area * 1e-4
    cap_Ah = cap_mAh * 1e-3
    steps: list[DesignStep] = []
    names = {LITHIATE: "lithiate", DELITHIATE: "delithiate"}
    for step, cycles in zip(proto.steps, _block_cycles(proto), strict=True):
        kind = names.get(step.kind, "rest")
        if kind == "rest":
            steps.append(
                DesignStep(
                    step.text, kind, cycles, 0.0, 0.0, 0.0, None, None, step.duration_s / 3600
                )
            )
            continue
        i_mA = step.current_A(area_m2, cap_Ah) * 1e3
        rate = float(c_rate(i_mA, cap_mAh))
        hours = float(hours_per_half_cycle(rate))
        if step.duration_s is not None:
            hours = min(hours, step.duration_s / 3600)
        steps.append(
            DesignStep(
                text=step.text,
                kind=kind,
                cycles=cycles,
                current_mA=i_mA,
                current_density_mA_cm2=float(current_density(i_mA, area)),
                c_rate=rate,
                cutoff_vs_li_V=step.cutoff_vs_li(e_counter),
                cutoff_vs_counter_V=step.cutoff_vs_counter(e_counter),
                hours=hours,
            )
        )
    total_h = 0.0
    for step in proto.expand():
        if step.kind == LITHIATE or step.kind == DELITHIATE:
            h = cap_Ah / step.current_A(area_m2, cap_Ah)
            total_h += min(h, step.duration_s / 3600) if step.duration_s else h
        else:
            total_h += (step.duration_s or 0.0) / 3600
    vs_li = sorted({round(s.cutoff_vs_li_V, 9) for s in steps if s.cutoff_vs_li_V is not None})
    vs_counter = sorted(
        {round(s.cutoff_vs_counter_V, 9) for s in steps if s.cutoff_vs_counter_V is not None}
    )
    return CellDesign(
        study=study.name,
        material=material,
        si_porosity=float(phi),
        basis=capacity_basis_name(basis_value),
        capacity_mAh_g=q,
        si_mass_mg=float(geo.si_mass_mg),
        area_cm2=area,
        si_loading_mg_cm2=loading,
        areal_capacity_mAh_cm2=q_areal,
        capacity_mAh=cap_mAh,
        counter_electrode=counter,
        counter_potential_V=e_counter,
        steps=steps,
        cutoffs_vs_li_V=vs_li,
        cutoffs_vs_counter_V=vs_counter,
        n_cycles=proto.n_cycles,
        protocol_hours=total_h,
        composite=geo,
        separator=sep,
    )
