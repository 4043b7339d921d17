"""Solid-state reduction recipes for porous Si (physics.md section 1).

Two reactions are supported:

- ``"silicide"``: Mg2Si + SiO2 -> 2 Si + 2 MgO, the reference study's route. Any extra Mg
  metal in the charge acts as a reductant for leftover SiO2 (2 Mg + SiO2 -> Si + 2 MgO).
- ``"magnesiothermic"``: 2 Mg + SiO2 -> Si + 2 MgO, the classic route.

The reactions are taken to run to completion in that order (silicide first, then Mg metal on
whatever SiO2 is left). Mg that is left once all O is bound as MgO (the *surplus*) either

- ``"lost"``: evaporates in the vacuum furnace or is leached as Mg metal; the Si yield is
  unaffected (upper bound, 280.4 mg for the reference recipe), or
- ``"mg2si"``: re-forms Mg2Si with product Si (2 Mg + Si -> Mg2Si), which HCl later leaches
  as SiH4 (pyrophoric: a safety note); the Si yield drops (273.5 mg for the reference recipe).

After leaching with HCl (MgO + 2 HCl -> MgCl2 + H2O) the MgO leaves its volume behind as
pores. If the Si skeleton does not collapse, the porosity of the Si particle is the MgO
volume fraction of the Si/MgO composite (:func:`template_porosity`, 0.483 for the study).
HCl does not dissolve SiO2: any unreacted silica stays in the product.

References
----------
Molar masses: IUPAC standard atomic weights via ``periodictable``. Densities:
:data:`sianode.constants.DENSITY_G_CM3` (sources listed there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .constants import density, molar_mass
from .errors import ParameterError
from .units import to_unit

__all__ = [
    "REACTIONS",
    "SURPLUS_MG_MODES",
    "SynthesisResult",
    "reduce_recipe",
    "template_porosity",
    "synthesis_from_study",
]

#: Reagents each reaction accepts, and its balanced equation (for display).
REACTIONS: dict[str, dict[str, Any]] = {
    "silicide": {
        "equation": "Mg2Si + SiO2 -> 2 Si + 2 MgO (extra Mg: 2 Mg + SiO2 -> Si + 2 MgO)",
        "reagents": ("Mg2Si", "SiO2", "Mg"),
        "required": ("Mg2Si", "SiO2"),
        # stoichiometric coefficients of the main reaction (limiting reagent test)
        "coefficients": {"Mg2Si": 1.0, "SiO2": 1.0},
    },
    "magnesiothermic": {
        "equation": "2 Mg + SiO2 -> Si + 2 MgO",
        "reagents": ("Mg", "SiO2"),
        "required": ("Mg", "SiO2"),
        "coefficients": {"Mg": 2.0, "SiO2": 1.0},
    },
}

#: What happens to Mg left over once every O atom is bound as MgO.
SURPLUS_MG_MODES = ("lost", "mg2si")

#: HCl consumed per formula unit when leaching [mol HCl / mol].
HCL_PER_MOL = {"MgO": 2.0, "Mg": 2.0, "Mg2Si": 4.0}


@dataclass
class SynthesisResult:
    """Outcome of a solid-state reduction recipe (complete reaction assumed).

    Attributes
    ----------
    reaction : str
        ``"silicide"`` or ``"magnesiothermic"``.
    equation : str
        The balanced equation used.
    surplus_mg : str
        ``"lost"`` or ``"mg2si"``.
    reagents_mg : dict
        Mass of each reagent [mg].
    reagents_mmol : dict
        Amount of each reagent [mmol].
    limiting_reagent : str
        Reagent of the main reaction that runs out first.
    excess_mmol : dict
        Amount of each other reagent left over by the main reaction [mmol] (Mg metal is all
        excess in the silicide route).
    stoichiometric_ratio : float
        Ratio of the two main reagents in units of their coefficients [-] (1 = exact).
    mg_surplus_mmol : float
        Mg left over once all O is bound as MgO [mmol] (0.497 for the study).
    si_yield_mg : float
        Theoretical Si after leaching [mg] (280.4 lost / 273.5 mg2si for the study).
    si_yield_mmol : float
        The same in [mmol].
    mgo_mg : float
        MgO formed [mg] (402.5 for the study).
    mgo_mmol : float
        MgO formed [mmol].
    residual_mg2si_mg : float
        Mg2Si in the reduced product (unreacted, or re-formed from surplus Mg) [mg].
    residual_mg_mg : float
        Surplus Mg metal, if it stays in the product ("lost" counts it here as the worst
        case for leaching; it may evaporate instead) [mg].
    residual_sio2_mg : float
        Unreduced SiO2 (Mg-deficient charge) [mg]; HCl does not remove it.
    yield_fraction_of_charge : float
        Si yield over total charge mass [-] (0.403 for the study).
    template_porosity : float
        MgO volume fraction of the Si/MgO composite [-] (0.483 for the study).
    pore_volume_cm3_per_g : float
        MgO volume per gram of Si [cm3 g-1] (0.401 for the study).
    reactant_volume_mm3, product_volume_mm3 : float
        Solid volume of the charge and of the reduced product (Si, MgO, residual Mg2Si and
        SiO2; surplus Mg metal, molten at 700 C, is left out) [mm3], dense phases. The
        shrinkage (328.8 -> 232.8 mm3 without the extra Mg, physics.md 1.4) opens extra
        meso/macro pores or cracks before leaching.
    hcl_mmol : float
        HCl to leach the MgO, stoichiometric [mmol] (19.97 for the study).
    hcl_residual_mmol : float
        Extra HCl the residual Mg / Mg2Si would take [mmol] (0.99 for the study).
    hcl_total_mmol : float
        Sum of the two [mmol].
    hcl_g : float
        Mass of HCl for ``hcl_mmol`` [g].
    hcl_volume_mL : float or None
        Volume of acid at ``hcl_concentration_mol_L`` for ``hcl_mmol`` [mL].
    hcl_concentration_mol_L : float or None
        Acid concentration used for the volume [mol L-1].
    notes : list of str
        Assumptions and warnings (Mg-deficient charge, SiH4 from Mg2Si, ...).
    """

    reaction: str
    equation: str
    surplus_mg: str
    reagents_mg: dict[str, float]
    reagents_mmol: dict[str, float]
    limiting_reagent: str
    excess_mmol: dict[str, float]
    stoichiometric_ratio: float
    mg_surplus_mmol: float
    si_yield_mg: float
    si_yield_mmol: float
    mgo_mg: float
    mgo_mmol: float
    residual_mg2si_mg: float
    residual_mg_mg: float
    residual_sio2_mg: float
    yield_fraction_of_charge: float
    template_porosity: float
    pore_volume_cm3_per_g: float
    reactant_volume_mm3: float
    product_volume_mm3: float
    hcl_mmol: float
    hcl_residual_mmol: float
    hcl_total_mmol: float
    hcl_g: float
    hcl_volume_mL: float | None = None
    hcl_concentration_mol_L: float | None = None
    notes: list[str] = field(default_factory=list)


def template_porosity(si_mg: Any, mgo_mg: Any) -> Any:
    """MgO volume fraction of a Si/MgO composite [-].

    This is the porosity the Si skeleton keeps after the MgO is leached, if it does not
    collapse: ``phi = V_MgO / (V_MgO + V_Si)`` with dense-phase densities.

    Parameters
    ----------
    si_mg : float or array
        Mass of Si [mg] (any mass unit, the same for both).
    mgo_mg : float or array
        Mass of MgO [mg].

    Returns
    -------
    float or array
        Template porosity [-]; 280.4 mg Si + 402.5 mg MgO -> 0.483 (physics.md 1.4).

    Raises
    ------
    ParameterError
        If a mass is negative or both are zero.
    """
    si = np.asarray(si_mg, dtype=float)
    mgo = np.asarray(mgo_mg, dtype=float)
    if np.any(si < 0):
        raise ParameterError("si_mg: mass must be >= 0")
    if np.any(mgo < 0):
        raise ParameterError("mgo_mg: mass must be >= 0")
    v_si = si / density("Si")
    v_mgo = mgo / density("MgO")
    total = v_si + v_mgo
    if np.any(total <= 0):
        raise ParameterError("template_porosity: Si and MgO masses are both zero")
    out = v_mgo / total
    return float(out) if out.ndim == 0 else out


def _check_reagents(reagents: dict[str, Any], reaction: str) -> dict[str, float]:
    if reaction not in REACTIONS:
        raise ParameterError(
            f"reaction: unknown reaction {reaction!r}; choose one of {', '.join(REACTIONS)}"
        )
    spec = REACTIONS[reaction]
    masses: dict[str, float] = {}
    for name, value in reagents.items():
        if name not in spec["reagents"]:
            raise ParameterError(
                f"reagent: unknown reagent {name!r} for the {reaction} reaction; "
                f"known: {', '.join(spec['reagents'])}"
            )
        mass = to_unit(value, "mg", f"reagent {name}")
        if not np.isfinite(mass):
            raise ParameterError(f"reagent {name}: mass must be finite")
        if mass < 0:
            raise ParameterError(f"reagent {name}: mass must be >= 0 mg, got {mass:g} mg")
        masses[name] = mass
    for name in spec["required"]:
        if masses.get(name, 0.0) <= 0:
            raise ParameterError(
                f"reagent {name}: the {reaction} reaction needs a positive mass of {name}"
            )
    return masses


def reduce_recipe(
    reagents: dict[str, Any],
    reaction: str = "silicide",
    surplus_mg: str = "lost",
    hcl_concentration_mol_L: float | None = None,
) -> SynthesisResult:
    """Mass balance of a solid-state reduction, run to completion.

    Parameters
    ----------
    reagents : dict
        Reagent formula -> mass [mg] (numbers, or strings with units such as ``"382.9 mg"``).
        Silicide route: ``Mg2Si``, ``SiO2`` and optionally ``Mg``; magnesiothermic route:
        ``Mg`` and ``SiO2``.
    reaction : {"silicide", "magnesiothermic"}
        Main reaction (see module docstring).
    surplus_mg : {"lost", "mg2si"}
        Fate of the Mg left once all O is bound as MgO.
    hcl_concentration_mol_L : float, optional
        Acid concentration [mol L-1] used to express ``hcl_mmol`` as a volume.

    Returns
    -------
    SynthesisResult
        For the reference recipe (Mg2Si 382.9, SiO2 300.0, Mg 12.1 mg): Si 280.4 mg,
        MgO 402.5 mg, template porosity 0.483, 0.401 cm3/g, HCl 19.97 mmol (physics.md 1.2-1.5).

    Raises
    ------
    ParameterError
        Unknown reaction, reagent or surplus mode; negative mass; missing main reagent.
    """
    if surplus_mg not in SURPLUS_MG_MODES:
        raise ParameterError(
            f"surplus_mg: unknown mode {surplus_mg!r}; choose one of {', '.join(SURPLUS_MG_MODES)}"
        )
    masses = _check_reagents(reagents, reaction)
    spec = REACTIONS[reaction]
    mmol = {name: masses[name] / molar_mass(name) for name in masses}
    notes: list[str] = []

    n_mg2si = mmol.get("Mg2Si", 0.0)
    n_sio2 = mmol.get("SiO2", 0.0)
    n_mg = mmol.get("Mg", 0.0)

    # limiting reagent of the main reaction (amounts in units of the coefficients)
    coef = spec["coefficients"]
    scaled = {name: mmol[name] / c for name, c in coef.items()}
    limiting = min(scaled, key=lambda k: scaled[k])
    first, second = coef  # ratio of the reductant to SiO2, in coefficient units
    ratio = scaled[first] / scaled[second]
    extent = scaled[limiting]
    excess = {k: mmol[k] - coef[k] * extent for k in coef if k != limiting}
    for k in mmol:
        if k not in coef:
            excess[k] = mmol[k]

    # complete reaction: silicide step, then Mg metal on the SiO2 left
    if reaction == "silicide":
        x1 = min(n_mg2si, n_sio2)
        mg2si_left = n_mg2si - x1
        sio2_left = n_sio2 - x1
        si = 2.0 * x1
        mgo = 2.0 * x1
        mg_left = n_mg
    else:
        mg2si_left = 0.0
        sio2_left = n_sio2
        si = mgo = 0.0
        mg_left = n_mg
    x2 = min(mg_left / 2.0, sio2_left)
    si += x2
    mgo += 2.0 * x2
    mg_left -= 2.0 * x2
    sio2_left -= x2

    # surplus Mg once every O is in MgO (Mg metal plus Mg in unreacted Mg2Si)
    mg_surplus = mg_left + 2.0 * mg2si_left
    mg_metal = mg_left
    if surplus_mg == "mg2si" and mg_left > 0:
        reform = min(mg_left / 2.0, si)
        si -= reform
        mg2si_left += reform
        mg_metal = mg_left - 2.0 * reform
        notes.append(
            f"surplus Mg re-forms {reform:.3f} mmol Mg2Si with product Si; HCl turns it into "
            "SiH4 (pyrophoric): leach in a ventilated hood"
        )
    elif mg_left > 0:
        notes.append(
            f"{mg_left:.3f} mmol surplus Mg assumed lost (evaporated in vacuum or leached as Mg "
            "metal, evolving H2); the Si yield is an upper bound"
        )
    if mg2si_left > 0 and surplus_mg != "mg2si":
        notes.append(
            f"{mg2si_left:.3f} mmol Mg2Si left unreacted; HCl turns it into SiH4 (pyrophoric)"
        )
    if sio2_left > 1e-6:
        notes.append(
            f"Mg-deficient charge: {sio2_left:.3f} mmol SiO2 stays unreduced; HCl does not "
            "remove it (HF would), and it consumes Li irreversibly in the cell"
        )

    si_mg = si * molar_mass("Si")
    mgo_mg = mgo * molar_mass("MgO")
    mg2si_mg = mg2si_left * molar_mass("Mg2Si")
    mg_mg = mg_metal * molar_mass("Mg")
    sio2_mg = sio2_left * molar_mass("SiO2")

    phi = template_porosity(si_mg, mgo_mg) if si_mg + mgo_mg > 0 else 0.0
    # mg -> g and mm3 -> cm3 cancel: (mg / (g/cm3)) / mg = cm3/g
    pore_vol = (mgo_mg / density("MgO")) / si_mg if si_mg > 0 else float("nan")
    reactant_vol = sum(masses[k] / density(k) for k in masses)
    product_vol = (
        si_mg / density("Si")
        + mgo_mg / density("MgO")
        + mg2si_mg / density("Mg2Si")
        + sio2_mg / density("SiO2")
    )

    hcl = HCL_PER_MOL["MgO"] * mgo
    hcl_res = HCL_PER_MOL["Mg"] * mg_metal + HCL_PER_MOL["Mg2Si"] * mg2si_left
    charge = sum(masses.values())
    volume_mL = None
    if hcl_concentration_mol_L is not None:
        if not hcl_concentration_mol_L > 0:
            raise ParameterError("hcl_concentration: must be > 0 mol/L")
        volume_mL = hcl / hcl_concentration_mol_L  # mmol / (mol/L) = mL

    return SynthesisResult(
        reaction=reaction,
        equation=spec["equation"],
        surplus_mg=surplus_mg,
        reagents_mg=masses,
        reagents_mmol=mmol,
        limiting_reagent=limiting,
        excess_mmol=excess,
        stoichiometric_ratio=ratio,
        mg_surplus_mmol=mg_surplus,
        si_yield_mg=si_mg,
        si_yield_mmol=si,
        mgo_mg=mgo_mg,
        mgo_mmol=mgo,
        residual_mg2si_mg=mg2si_mg,
        residual_mg_mg=mg_mg,
        residual_sio2_mg=sio2_mg,
        yield_fraction_of_charge=si_mg / charge if charge > 0 else 0.0,
        template_porosity=phi,
        pore_volume_cm3_per_g=pore_vol,
        reactant_volume_mm3=reactant_vol,
        product_volume_mm3=product_vol,
        hcl_mmol=hcl,
        hcl_residual_mmol=hcl_res,
        hcl_total_mmol=hcl + hcl_res,
        hcl_g=hcl * molar_mass("HCl") / 1000.0,
        hcl_volume_mL=volume_mL,
        hcl_concentration_mol_L=hcl_concentration_mol_L,
        notes=notes,
    )


def synthesis_from_study(
    study: Any,
    reagents: dict[str, Any] | None = None,
    reaction: str | None = None,
    surplus_mg: str | None = None,
) -> SynthesisResult:
    """Run :func:`reduce_recipe` on a study's ``[synthesis]`` section.

    Parameters
    ----------
    study : sianode.Study
        Parsed study file.
    reagents, reaction, surplus_mg : optional
        Override the study's values (``reagents`` replaces the whole reagent table).

    Returns
    -------
    SynthesisResult
    """
    sec = study.section("synthesis")
    if reagents is None:
        reagents = dict(study.section("synthesis.reagents"))
    conc = sec.get("hcl_concentration")
    conc_mol_L = to_unit(conc, "mol/L", "synthesis.hcl_concentration") if conc is not None else None
    return reduce_recipe(
        reagents,
        reaction=reaction or str(sec.get("reaction", "silicide")),
        surplus_mg=surplus_mg or str(sec.get("surplus_mg", "lost")),
        hcl_concentration_mol_L=conc_mol_L,
    )
