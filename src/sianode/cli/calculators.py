"""CLI commands for the hand calculations: ``synthesis``, ``design`` and ``pores``.

Each command runs on the bundled reference study by default and accepts a user TOML of the
same schema (docs/study-schema.md). Quantities may carry units ("2 mg", "0.127 mA/cm2").
Errors are :class:`sianode.errors.SianodeError` and are turned into one line + exit 2 by
:func:`sianode.cli.main`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ParameterError
from ._util import print_json

StudyArg = Annotated[
    Path | None,
    typer.Argument(help="Study TOML (default: the bundled reference study).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]

_CRATE = re.compile(r"^\s*(?:C\s*/\s*(?P<div>[0-9.]+)|(?P<mul>[0-9.eE+-]+)\s*C)\s*$", re.I)


def _load(path: Path | None) -> Any:
    from ..study import load_study

    return load_study(path)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _table(title: str, rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i in (1, 3) else "left", overflow="fold")
    for row in rows:
        table.add_row(*[_fmt(v) for v in row])
    Console().print(table)


def _echo(text: str) -> None:
    typer.echo(text)


# --------------------------------------------------------------------------------------------
# synthesis


def _parse_reagents(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"reagent: expected NAME=MASS (e.g. Mg2Si=382.9mg), got {item!r}")
        name, value = item.split("=", 1)
        name = name.strip()
        if not name:
            raise ParameterError(f"reagent: missing name in {item!r}")
        out[name] = value.strip()
    return out


def synthesis_command(
    study: StudyArg = None,
    reagent: Annotated[
        list[str] | None,
        typer.Option(
            "--reagent",
            "-r",
            help="NAME=MASS, repeatable (e.g. -r Mg2Si=382.9mg -r SiO2=300mg). "
            "Replaces the study's whole reagent table.",
        ),
    ] = None,
    reaction: Annotated[
        str | None, typer.Option(help="silicide | magnesiothermic (default: the study's).")
    ] = None,
    surplus_mg: Annotated[
        str | None,
        typer.Option(
            "--surplus-mg", help="Fate of surplus Mg: lost | mg2si (default: the study's)."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Solid-state reduction: yields, template porosity, pore volume and HCl to leach."""
    from ..synthesis import synthesis_from_study

    st = _load(study)
    reagents = _parse_reagents(reagent) if reagent else None
    res = synthesis_from_study(st, reagents=reagents, reaction=reaction, surplus_mg=surplus_mg)
    if json_out:
        print_json(res)
        return
    rows: list[tuple[Any, ...]] = []
    for name, mg in res.reagents_mg.items():
        rows.append((f"{name} charged", mg, "mg", res.reagents_mmol[name], "mmol"))
    rows += [
        ("limiting reagent", res.limiting_reagent, "", None, ""),
        ("reductant : SiO2 (stoich. units)", res.stoichiometric_ratio, "", None, ""),
        ("surplus Mg", res.mg_surplus_mmol, "mmol", None, ""),
        ("Si yield", res.si_yield_mg, "mg", res.si_yield_mmol, "mmol"),
        ("MgO", res.mgo_mg, "mg", res.mgo_mmol, "mmol"),
        ("Si yield / charge", res.yield_fraction_of_charge, "-", None, ""),
        ("template porosity (MgO vol. fraction)", res.template_porosity, "-", None, ""),
        ("pore volume", res.pore_volume_cm3_per_g, "cm3/g Si", None, ""),
        (
            "solid volume: charge -> product",
            res.reactant_volume_mm3,
            "mm3",
            res.product_volume_mm3,
            "mm3",
        ),
        ("HCl for MgO (stoichiometric)", res.hcl_mmol, "mmol", res.hcl_g, "g"),
        ("HCl for residual Mg / Mg2Si", res.hcl_residual_mmol, "mmol", None, ""),
    ]
    if res.hcl_volume_mL is not None:
        rows.append(
            (
                f"{res.hcl_concentration_mol_L:g} M HCl (stoichiometric)",
                res.hcl_volume_mL,
                "mL",
                None,
                "",
            )
        )
    for label, mg in (
        ("residual Mg2Si", res.residual_mg2si_mg),
        ("residual SiO2 (not leached by HCl)", res.residual_sio2_mg),
    ):
        if mg > 0:
            rows.append((label, mg, "mg", None, ""))
    _table(
        f"synthesis: {res.equation}; surplus Mg {res.surplus_mg} ({st.name})",
        rows,
        ("quantity", "value", "unit", "value", "unit"),
    )
    for note in res.notes:
        _echo(f"note: {note}")


# --------------------------------------------------------------------------------------------
# design


def _reported(study: Any) -> dict[str, Any]:
    return study.raw.get("reported", {}) if isinstance(study.raw.get("reported"), dict) else {}


def _current_conversion(text: str, area_cm2: float, areal_capacity: float) -> dict[str, float]:
    from ..design import (
        c_rate_from_density,
        current_density,
        density_from_c_rate,
        hours_per_half_cycle,
    )
    from ..units import to_unit

    m = _CRATE.match(text)
    if m:
        rate = 1.0 / float(m.group("div")) if m.group("div") else float(m.group("mul"))
        j = float(density_from_c_rate(rate, areal_capacity))
    else:
        try:
            j = to_unit(text, "mA/cm2", "current")
        except ParameterError:
            try:
                j = float(current_density(to_unit(text, "mA", "current"), area_cm2))
            except ParameterError:
                raise ParameterError(
                    f"current: cannot read {text!r} (give mA, mA/cm2 or a C-rate such as C/13)"
                ) from None
        rate = float(c_rate_from_density(j, areal_capacity))
    if not rate > 0:
        raise ParameterError(f"current: must be > 0, got {text!r}")
    return {
        "current_mA": j * area_cm2,
        "current_density_mA_cm2": j,
        "c_rate": rate,
        "hours_per_half_cycle": float(hours_per_half_cycle(rate)),
    }


def design_command(
    study: StudyArg = None,
    basis: Annotated[
        str | None,
        typer.Option(
            help="Capacity basis: Li22Si5 | Li15Si4 | '<n> mAh/g' (default: the study's)."
        ),
    ] = None,
    material: Annotated[
        str | None, typer.Option(help="Si material of the composite (a [materials] key).")
    ] = None,
    composite_mass: Annotated[str | None, typer.Option(help="Composite mass, e.g. '2 mg'.")] = None,
    diameter: Annotated[str | None, typer.Option(help="Pellet diameter, e.g. '10 mm'.")] = None,
    separator_mass: Annotated[
        str | None, typer.Option(help="Separator mass, e.g. '80 mg'.")
    ] = None,
    relative_density: Annotated[
        float | None, typer.Option(help="Composite relative density (0, 1].")
    ] = None,
    separator_relative_density: Annotated[
        float | None, typer.Option(help="Separator relative density (0, 1].")
    ] = None,
    si_porosity: Annotated[
        float | None, typer.Option(help="Intra-particle Si porosity [0, 1).")
    ] = None,
    counter: Annotated[
        str | None, typer.Option(help="Counter electrode: Li | Li-In (default: the study's).")
    ] = None,
    current: Annotated[
        str | None,
        typer.Option(help="Convert a current: '0.127 mA/cm2', '0.1 mA', 'C/13' or '0.077C'."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Cell design: Si mass and loading, areal capacity, C-rates, cut-offs and thicknesses."""
    from ..design import design_from_study
    from ..units import to_unit

    st = _load(study)
    d = design_from_study(
        st,
        basis,
        material=material,
        composite_mass=composite_mass,
        diameter=diameter,
        separator_mass=separator_mass,
        composite_relative_density=relative_density,
        separator_relative_density=separator_relative_density,
        si_porosity=si_porosity,
        counter_electrode=counter,
    )
    conversion = (
        _current_conversion(current, d.area_cm2, d.areal_capacity_mAh_cm2) if current else None
    )
    if json_out:
        from ._util import jsonable

        out = jsonable(d)
        if conversion is not None:
            out["conversion"] = {"input": current, **conversion}
        print_json(out)
        return

    rep = _reported(st)

    def r(key: str, unit: str) -> Any:
        if key not in rep:
            return None
        try:
            return to_unit(rep[key], unit, f"reported.{key}")
        except ParameterError:
            return rep[key]

    rows: list[tuple[Any, ...]] = [
        ("capacity basis", f"{d.basis} ({d.capacity_mAh_g:.0f} mAh/g)", "", None),
        ("Si mass", d.si_mass_mg, "mg", r("si_mass", "mg")),
        ("electrode area", d.area_cm2, "cm2", r("area", "cm2")),
        ("Si loading", d.si_loading_mg_cm2, "mg/cm2", r("si_loading", "mg/cm2")),
        (
            "areal capacity",
            d.areal_capacity_mAh_cm2,
            "mAh/cm2",
            r(f"areal_capacity_{d.basis}", "mAh/cm2"),
        ),
        ("electrode capacity", d.capacity_mAh, "mAh", None),
        (f"counter electrode {d.counter_electrode}", d.counter_potential_V, "V vs Li", None),
    ]
    # the study reports one C-rate for cycles 1-3 and one for cycles 4 on
    c_rate_keys = ["c_rate_cycles_1_3", "c_rate_cycles_4_on"]
    blocks = list(dict.fromkeys(s.cycles for s in d.steps if s.kind != "rest"))
    for s in d.steps:
        reported = None
        if len(blocks) == 2 and s.kind != "rest":
            reported = rep.get(c_rate_keys[blocks.index(s.cycles)])
        rows.append((f"{s.kind} cycles {s.cycles}: current", s.current_mA, "mA", None))
        rows.append(("  current density", s.current_density_mA_cm2, "mA/cm2", None))
        rows.append(("  C-rate", s.c_rate, "1/h", reported))
        rows.append(("  hours (full utilisation)", s.hours, "h", None))
        rows.append(("  cut-off", s.cutoff_vs_li_V, "V vs Li", None))
        rows.append(("  cut-off", s.cutoff_vs_counter_V, f"V vs {d.counter_electrode}", None))
    rows.append(
        ("protocol length (full utilisation)", d.protocol_hours, f"h, {d.n_cycles} cycles", None)
    )
    g = d.composite
    if g is not None:
        rows.append(
            (
                f"composite thickness ({d.material} Si, porosity {d.si_porosity:.2f}, "
                f"rel. density {g.relative_density:g})",
                g.thickness_um,
                "um",
                None,
            )
        )
        for name, frac in g.volume_fractions.items():
            rows.append((f"  volume fraction {name}", frac, "-", None))
        rows.append(("  Si envelope fraction", g.si_envelope_fraction, "-", None))
    if d.separator is not None:
        sp = d.separator
        rows.append(
            (
                f"separator thickness ({sp.material}, rel. density {sp.relative_density:g})",
                sp.thickness_um,
                "um",
                None,
            )
        )
    if conversion is not None:
        rows.append((f"--current {current}: current", conversion["current_mA"], "mA", None))
        rows.append(("  current density", conversion["current_density_mA_cm2"], "mA/cm2", None))
        rows.append(("  C-rate", conversion["c_rate"], "1/h", None))
        rows.append(("  hours per half cycle", conversion["hours_per_half_cycle"], "h", None))
    _table(
        f"cell design ({st.name})",
        rows,
        ("quantity", "sianode", "unit", "study reports"),
    )


# --------------------------------------------------------------------------------------------
# pores


def _porous_material(study: Any, material: str | None) -> tuple[str | None, dict[str, Any]]:
    mats = study.raw.get("materials", {})
    if material is not None:
        if material not in mats:
            raise ParameterError(
                f"material: unknown {material!r}; the study has {', '.join(mats) or 'none'}"
            )
        return material, mats[material]
    for name, mat in mats.items():
        if isinstance(mat, dict) and "bet_area" in mat:
            return name, mat
    return None, {}


def pores_command(
    study: StudyArg = None,
    bet_area: Annotated[
        str | None, typer.Option(help="BET surface area, e.g. '213 m2/g' (default: the study's).")
    ] = None,
    pore_diameter: Annotated[
        str | None, typer.Option(help="Pore diameter, e.g. '5.9 nm' (default: the study's).")
    ] = None,
    template_porosity: Annotated[
        float | None,
        typer.Option(help="Template porosity [0, 1) (default: from the study's synthesis)."),
    ] = None,
    material: Annotated[str | None, typer.Option(help="Material of the study to use.")] = None,
    pore_model: Annotated[
        str | None,
        typer.Option(help="Pore shape compared with the template: cylinder | slit | sphere."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Pore volume, porosity and wall thickness from BET area and pore size."""
    from ..constants import density
    from ..pores import (
        PORE_MODELS,
        WALL_MODELS,
        pore_volume,
        pore_volume_from_porosity,
        porosity_from_bet,
        wall_thickness,
    )
    from ..units import to_unit

    st = _load(study)
    name, mat = _porous_material(st, material)
    s_text = bet_area if bet_area is not None else mat.get("bet_area")
    d_text = pore_diameter if pore_diameter is not None else mat.get("pore_diameter")
    if s_text is None or d_text is None:
        raise ParameterError(
            "bet_area/pore_diameter: not in the study; give --bet-area and --pore-diameter"
        )
    s = to_unit(s_text, "m2/g", "bet_area")
    dp = to_unit(d_text, "nm", "pore_diameter")
    model = pore_model or str(mat.get("pore_model", "cylinder"))
    if model not in PORE_MODELS:
        raise ParameterError(
            f"pore_model: unknown {model!r}; choose one of {', '.join(PORE_MODELS)}"
        )
    rho = density("Si")
    if template_porosity is None and st.has("synthesis"):
        from ..synthesis import synthesis_from_study

        phi_t: float | None = synthesis_from_study(st).template_porosity
    else:
        phi_t = template_porosity
    if phi_t is not None and not 0.0 <= phi_t < 1.0:
        raise ParameterError(f"template_porosity: porosity must be in [0, 1), got {phi_t:g}")

    models = {}
    for m in PORE_MODELS:
        models[m] = {
            "pore_volume_cm3_per_g": pore_volume(s, dp, m),
            "porosity": porosity_from_bet(s, dp, m, rho),
        }
    walls = {shape: wall_thickness(s, shape, rho) for shape in WALL_MODELS}
    out: dict[str, Any] = {
        "material": name,
        "bet_area_m2_g": s,
        "pore_diameter_nm": dp,
        "pore_model": model,
        "models": models,
        "wall_thickness_nm": walls,
        "porosity": models[model]["porosity"],
        "pore_volume_cm3_per_g": models[model]["pore_volume_cm3_per_g"],
        "template_porosity": phi_t,
        "template_pore_volume_cm3_per_g": None,
        "kept_fraction": None,
        "summary": None,
    }
    if phi_t is not None:
        out["template_pore_volume_cm3_per_g"] = pore_volume_from_porosity(phi_t, rho)
        if phi_t > 0:
            kept = models[model]["porosity"] / phi_t
            out["kept_fraction"] = kept
            out["summary"] = (
                f"the material kept {100 * kept:.0f} % of its template porosity "
                f"({model} pores: {models[model]['porosity']:.3f} vs template {phi_t:.3f})"
            )
    if json_out:
        print_json(out)
        return
    rows: list[tuple[Any, ...]] = []
    for m, v in models.items():
        rows.append((f"{m} pores", v["pore_volume_cm3_per_g"], "cm3/g", v["porosity"], "-"))
    for shape, t in walls.items():
        rows.append((f"wall thickness ({shape})", t, "nm", None, ""))
    if phi_t is not None:
        rows.append(("MgO template", out["template_pore_volume_cm3_per_g"], "cm3/g", phi_t, "-"))
    _table(
        f"pore geometry: {s:g} m2/g, {dp:g} nm ({name or 'command line'})",
        rows,
        ("quantity", "pore volume", "unit", "porosity", "unit"),
    )
    if out["summary"]:
        _echo(out["summary"])


def register(app: typer.Typer) -> None:
    """Add ``synthesis``, ``design`` and ``pores`` to ``app``."""
    app.command("synthesis")(synthesis_command)
    app.command("design")(design_command)
    app.command("pores")(pores_command)
