"""Inputs of the Si half-cell simulator: mechanism options and cell parameters (SI units).

Every parameter has its source next to it. Only the damage coefficient ``beta`` is
calibrated (on the dense cell); everything else is fixed here before any run.
:data:`OVERRIDE_UNITS` gives the unit users type each field in (sweep specs, the CLI).
Build a study's cell with :func:`sianode.cell.build_cell`, not by filling fields by hand:
geometry fields follow from the material descriptors there.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import M_SI_KG
from ..errors import ParameterError

__all__ = ["ModelOptions", "CellParameters", "PARAM_NAMES", "OPTION_CHOICES", "OVERRIDE_UNITS"]

#: Allowed values of each mechanism switch; every combination is a valid model.
OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "hysteresis": ("none", "current-sign", "one-state"),
    "diffusion": ("none", "radial"),
    "crystalline": ("none", "plateau", "shrinking-core"),
    "li15si4": ("none", "plateau"),
    "mechanics": ("none", "swelling", "buffered"),
    "damage": ("none", "strain"),
    "side_reactions": ("none", "oxide", "oxide+interphase"),
    "strain_measure": ("volumetric", "linear"),
    "interphase_growth": ("none", "breathing"),
}


@dataclass(frozen=True)
class ModelOptions:
    """Mechanism switches, each with an explicit ``"none"`` (PyBaMM-style null submodels).

    Attributes
    ----------
    hysteresis : {"none", "current-sign", "one-state"}
        OCP hysteresis model (default one-state, Axen et al. 2022).
    diffusion : {"none", "radial"}
        Radial solid diffusion in the amorphous phase (finite volumes).
    crystalline : {"none", "plateau", "shrinking-core"}
        First lithiation of crystalline Si: a two-phase plateau; "shrinking-core" (default)
        adds the overpotential of the inward-moving c-Si/a-Li_xSi front, whose area shrinks
        with the crystalline core, so the first lithiation ends at the cut-off
        (physics.md 8.4).
    li15si4 : {"none", "plateau"}
        c-Li15Si4 formation below 50 mV (only for particles larger than
        ``li15si4_min_size``), delithiated on a 0.43 V plateau.
    mechanics : {"none", "swelling", "buffered"}
        Volume change; "buffered" lets porous particles swell into their pores first.
    damage : {"none", "strain"}
        Contact loss driven by the unbuffered strain amplitude.
    side_reactions : {"none", "oxide", "oxide+interphase"}
        Irreversible surface reactions.
    strain_measure : {"volumetric", "linear"}
        Strain fed to the damage law.
    interphase_growth : {"none", "breathing"}
        Interphase renewed each cycle on contact exposed by swelling ("breathing", rate
        ``breathing_factor``); "none" (default): the interphase passivates after its first
        formation (Tan et al., Science 373 (2021) 1494; physics.md 8.5).
    """

    hysteresis: str = "one-state"
    diffusion: str = "none"
    crystalline: str = "shrinking-core"
    li15si4: str = "none"
    mechanics: str = "buffered"
    damage: str = "strain"
    side_reactions: str = "oxide+interphase"
    strain_measure: str = "volumetric"
    interphase_growth: str = "none"

    def __post_init__(self) -> None:
        for name, choices in OPTION_CHOICES.items():
            value = getattr(self, name)
            if value not in choices:
                raise ParameterError(f"option {name}: {value!r} is not one of {', '.join(choices)}")

    def codes(self) -> np.ndarray:
        """Integer codes (index into :data:`OPTION_CHOICES`) for the compiled kernel."""
        return np.array(
            [OPTION_CHOICES[n].index(getattr(self, n)) for n in OPTION_CHOICES], dtype=np.int64
        )

    @classmethod
    def all_off(cls) -> ModelOptions:
        """Every mechanism off except the single average OCP (a plain SPM-like model)."""
        return cls(
            hysteresis="none",
            diffusion="none",
            crystalline="none",
            li15si4="none",
            mechanics="none",
            damage="none",
            side_reactions="none",
        )


@dataclass
class CellParameters:
    """Parameters of a Si working electrode in a solid-electrolyte half cell (SI units).

    Geometry and composition come from the study's cell build; materials from their
    descriptors; transport/kinetic values from physics.md section 7.5 with sources there.
    """

    # --- cell build (study.md) ---
    area: float = math.pi * 0.005**2  #: electrode area [m2] (10 mm pellet)
    si_mass: float = 0.72e-6  #: Si mass [kg] (2 mg x 36 %)
    electrode_thickness: float = 14.8e-6  #: composite thickness [m] (design, rel. density 0.85)
    electrode_se_fraction: float = 0.504  #: Li3PS4 volume fraction in the composite [-]
    envelope_fraction: float = 0.266  #: Si particle-envelope volume fraction [-]
    separator_thickness: float = 602e-6  #: [m] 80 mg Li3PS4 at 1.88 g/cm3, rel. density 0.9
    separator_se_fraction: float = 0.9  #: [-]
    temperature: float = 303.15  #: [K] (30 C, study.md)
    # --- Si material ---
    x_max: float = 3.75  #: Li per Si at s = 1 (Li15Si4)
    x_init: float = 0.0  #: initial Li per Si [-]
    crystalline_fraction: float = 1.0  #: initially crystalline fraction of Si [-]
    x_amorphous: float = 3.5  #: Li per Si of a-Li_xSi formed from c-Si (physics.md 3.3)
    particle_radius: float = 1.0e-6  #: particle (or porous secondary particle) radius [m]
    porosity: float = 0.0  #: intra-particle porosity [-]
    usable_pore_fraction: float = 1.0  #: eta: pore fraction Li_xSi can grow into [-]
    wall_size: float = 2.0e-6  #: smallest solid dimension [m] (dense: diameter; porous: wall)
    surface_area: float = 1288.0  #: specific surface area for the oxide [m2 kg-1]
    oxide_thickness: float = 0.5e-9  #: native SiO2 [m] (0.3-1 nm, physics.md 3.8) [unverified]
    diffusivity: float = 1.67e-14  #: Li in Li_xSi [m2 s-1] (PyBaMM Chen2020_composite)
    # --- kinetics and hysteresis ---
    k0: float = 1.0  #: i0 prefactor [A m-2], contact-area basis (top of physics.md 3.7 range 0.1-1)
    i0_regularisation: float = 0.01  #: epsilon in i0 = k0 sqrt((s+e)(1-s+e)) [-] (models.kinetics)
    contact_coverage: float = 0.5  #: Si/Li3PS4 contact coverage theta_c [-] (0.2-0.8)
    hysteresis_rate: float = 20.0  #: K [-] one-state decay constant (10-50, physics.md 3.4)
    # --- solid electrolyte ---
    conductivity: float = 0.02  #: Li3PS4 at the reference temperature [S m-1] (2e-4 S/cm)
    conductivity_reference_temperature: float = 303.15  #: [K]
    activation_energy: float = 0.37  #: [eV] (0.35-0.40, physics.md 5.1)
    bruggeman: float = 1.5  #: tortuosity exponent [-] (1.5-3)
    connectivity_exponent: float = 1.0  #: composite resistance ~ 1/f^q [-] (modelling choice)
    # --- counter electrode ---
    counter_potential: float = 0.62  #: [V vs Li+/Li] Li-In (Santhosha 2019)
    counter_i0: float = 10.0  #: [A m-2] (~1 mA/cm2, physics.md 5.4) [unverified]
    # --- degradation ---
    beta: float = 0.0  #: strain-damage coefficient [-] (calibrated on the dense cell only)
    damage_exponent: float = 2.0  #: m [-] (PyBaMM LAM exponent 2; range 1.5-3)
    strain_threshold: float = 0.0  #: e0 [-]: no damage below it
    stack_pressure: float = 75e6  #: [Pa] (study.md)
    reference_pressure: float = 75e6  #: [Pa] pressure at which beta is calibrated
    pressure_exponent: float = 0.5  #: n_P [-] (0.5-1, physics.md 5.5) [unverified]
    interphase_first_thickness: float = 10e-9  #: Li2S/Li3P on first contact [m] [unverified]
    #: fresh interphase per cycle = factor x linear strain [-], with interphase_growth =
    #: "breathing" only (prior 0-1, zero included: physics.md 8.5) [estimate]
    breathing_factor: float = 1.0
    interphase_conductivity: float = 1e-6  #: [S m-1] (1e-8 S/cm, physics.md 7.5) [unverified]
    li15si4_min_size: float = 100e-9  #: smallest dimension above which Li15Si4 forms [m]
    c_si_plateau: float = 0.12  #: c-Si first-lithiation plateau [V vs Li] (models.ocp)
    li15si4_formation_potential: float = 0.05  #: [V vs Li] (Obrovac & Krause 2007)
    li15si4_delithiation_potential: float = 0.43  #: [V vs Li] (Obrovac & Krause 2007)
    #: electrolyte volume fraction of the pellet the conductivity was measured on [-]: the
    #: conductivity is a cold-pressed-pellet value (physics.md 8.1) [estimate, 0.8-0.95]
    conductivity_reference_fraction: float = 0.9
    #: Li per SiO2 of the native oxide [-]: 2 for 2 SiO2 + 4 Li -> Li4SiO4 + Si (Philippe
    #: et al., Chem. Mater. 24 (2012) 1107); 4 (Si + 2 Li2O) is the upper bound (physics.md 8.3)
    oxide_li_per_sio2: float = 2.0
    #: potential at which the native oxide is lithiated [V vs Li] (physics.md 8.3) [estimate]
    oxide_potential: float = 0.25
    #: potential at which Li3PS4 is reduced at the Si contact [V vs Li] (1.71 V, Zhu, He and
    #: Mo, ACS AMI 7 (2015) 23685; physics.md 3.8)
    interphase_potential: float = 1.7
    # --- nominal capacity for C-rates ---
    nominal_specific_capacity: float = 4200.0 * 3.6  #: [C g-1 ... stored as mAh/g * 3.6 = C/g]
    extra: dict = field(default_factory=dict)  #: free-form provenance notes

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first physically impossible value."""
        positive = (
            "area si_mass electrode_thickness separator_thickness temperature x_max x_amorphous "
            "particle_radius wall_size k0 conductivity conductivity_reference_temperature "
            "counter_i0 diffusivity stack_pressure reference_pressure interphase_conductivity "
            "nominal_specific_capacity"
        ).split()
        for name in positive:
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ParameterError(f"{name}: must be a finite number > 0, got {v!r}")
        fractions = (
            "electrode_se_fraction envelope_fraction separator_se_fraction contact_coverage "
            "conductivity_reference_fraction"
        ).split()
        for name in fractions:
            v = getattr(self, name)
            if not (math.isfinite(v) and 0 < v <= 1):
                raise ParameterError(f"{name}: must be in (0, 1], got {v!r}")
        if not (0 <= self.porosity < 1):
            raise ParameterError(f"porosity: must be in [0, 1), got {self.porosity!r}")
        for name in ("usable_pore_fraction", "crystalline_fraction"):
            v = getattr(self, name)
            if not (0 <= v <= 1):
                raise ParameterError(f"{name}: must be in [0, 1], got {v!r}")
        nonneg = (
            "x_init i0_regularisation surface_area oxide_thickness hysteresis_rate activation_energy bruggeman "
            "connectivity_exponent beta damage_exponent strain_threshold pressure_exponent "
            "interphase_first_thickness breathing_factor li15si4_min_size"
        ).split()
        for name in nonneg:
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ParameterError(f"{name}: must be a finite number >= 0, got {v!r}")
        if self.x_init >= self.x_max:
            raise ParameterError(f"x_init: must be below x_max={self.x_max}, got {self.x_init}")
        # initial Li sits in amorphous Li_xSi: at most x_amorphous per converted c-Si
        # (physics.md 8.7)
        x_room = (
            self.crystalline_fraction * self.x_amorphous
            + (1.0 - self.crystalline_fraction) * self.x_max
        )
        if self.x_init > x_room:
            raise ParameterError(
                f"x_init: {self.x_init} Li per Si cannot be held by Si that is "
                f"{self.crystalline_fraction:.0%} crystalline (at most {x_room:.3g}: c-Si takes "
                "Li only by turning amorphous at x_amorphous)"
            )
        if not (0.0 < self.oxide_li_per_sio2 <= 4.0):
            raise ParameterError(
                f"oxide_li_per_sio2: must be in (0, 4] (4: SiO2 + 4 Li -> Si + 2 Li2O), "
                f"got {self.oxide_li_per_sio2!r}"
            )
        for name in ("oxide_potential", "interphase_potential"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 < v < 3.0):
                raise ParameterError(f"{name}: must be in (0, 3) V vs Li, got {v!r}")
        if not (math.isfinite(self.counter_potential)):
            raise ParameterError("counter_potential: must be finite")

    # ----------------------------------------------------------------- derived
    @property
    def n_si(self) -> float:
        """Moles of Si [mol]."""
        return self.si_mass / M_SI_KG

    @property
    def nominal_capacity_Ah(self) -> float:
        """Nominal capacity for C-rates [A h] (mass x basis)."""
        return self.si_mass * 1e3 * self.nominal_specific_capacity / 3.6 / 1e3

    @property
    def contact_area(self) -> float:
        """Si/Li3PS4 contact area of the pristine electrode [m2]: theta_c 3 V_env / R."""
        from .geometry import contact_area

        return contact_area(
            self.si_mass, self.porosity, self.particle_radius, self.contact_coverage
        )

    def replace(self, **changes: float) -> CellParameters:
        """A copy with ``changes`` applied (validated)."""
        return dataclasses.replace(self, **changes)

    def to_vector(self) -> np.ndarray:
        """Flat float64 vector in :data:`PARAM_NAMES` order, for the compiled kernel."""
        return np.array([float(getattr(self, n)) for n in PARAM_NAMES], dtype=np.float64)


#: Order of parameters in the kernel vector.
PARAM_NAMES: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(CellParameters) if f.name != "extra"
)


#: Unit a user types each :class:`CellParameters` field in, and the factor to SI:
#: ``(unit, factor)`` with ``SI value = value_in_unit * factor``. Fields not listed are
#: typed in SI (mostly dimensionless). Used by sweep specs and ``--set`` options.
OVERRIDE_UNITS: dict[str, tuple[str, float]] = {
    "area": ("cm2", 1e-4),
    "si_mass": ("mg", 1e-6),
    "electrode_thickness": ("um", 1e-6),
    "separator_thickness": ("um", 1e-6),
    "temperature": ("K", 1.0),
    "wall_size": ("nm", 1e-9),
    "surface_area": ("m2/g", 1e3),
    "oxide_thickness": ("nm", 1e-9),
    "diffusivity": ("m2/s", 1.0),
    "k0": ("A/m2", 1.0),
    "conductivity": ("mS/cm", 0.1),
    "conductivity_reference_temperature": ("K", 1.0),
    "activation_energy": ("eV", 1.0),
    "counter_potential": ("V", 1.0),
    "counter_i0": ("mA/cm2", 10.0),
    "stack_pressure": ("MPa", 1e6),
    "reference_pressure": ("MPa", 1e6),
    "interphase_first_thickness": ("nm", 1e-9),
    "interphase_conductivity": ("S/m", 1.0),
    "li15si4_min_size": ("nm", 1e-9),
    "c_si_plateau": ("V", 1.0),
    "li15si4_formation_potential": ("V", 1.0),
    "li15si4_delithiation_potential": ("V", 1.0),
    "oxide_potential": ("V", 1.0),
    "interphase_potential": ("V", 1.0),
    "nominal_specific_capacity": ("mAh/g", 3.6),
}
