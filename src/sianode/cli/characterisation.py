"""CLI commands for characterisation: ``xrd``, ``raman``, ``sorption`` and ``material build``.

Each prints a short table, or with ``--json`` the result's ``to_dict()``. User errors are
:class:`sianode.errors.SianodeError` and become one line + exit code 2 in
:func:`sianode.cli.main`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ParameterError
from ._util import print_json, print_table, request_quick_exit, running_as_program

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
FileArg = Annotated[Path, typer.Argument(help="Instrument file.", show_default=False)]


def _f(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _parse_typed(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(
                f"--set: expected KEY=VALUE (e.g. particle_radius='1 um'), got {item!r}"
            )
        k, v = item.split("=", 1)
        v = v.strip()
        out[k.strip()] = {"true": True, "false": False}.get(v.lower(), v)  # type: ignore[assignment]
    return out


def xrd_command(
    file: FileArg,
    wavelength: Annotated[
        float | None,
        typer.Option(help="Wavelength [Å] when the file has none (Cu Kα1 = 1.5406)."),
    ] = None,
    kalpha2_ratio: Annotated[
        float | None,
        typer.Option(help="I(Kα2)/I(Kα1): 0 for a monochromatic beam, 0.5 for unfiltered Cu."),
    ] = None,
    correction: Annotated[
        str,
        typer.Option(
            help="Peak-shift correction: displacement+axial, displacement, zero, zero+axial, none."
        ),
    ] = "displacement+axial",
    standard: Annotated[
        Path | None,
        typer.Option(help="Instrument standard pattern (e.g. SRM 640d) for width correction."),
    ] = None,
    structure: Annotated[
        str, typer.Option(help="Cubic structure: diamond, fcc, bcc, sc.")
    ] = "diamond",
    json_out: JsonOpt = False,
) -> None:
    """Fit, index and refine a cubic powder pattern; Scherrer (K=0.9, FWHM) and Williamson-Hall."""
    import warnings

    from ..characterisation.xrd import analyse_xrd, read_pattern

    pat = read_pattern(file, wavelength, kalpha2_ratio)
    inst = read_pattern(standard, wavelength) if standard is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same text is in result.warnings
        res = analyse_xrd(pat, wavelength, structure, correction, inst)
    if json_out:
        print_json(res.to_dict())
        request_quick_exit()
        return
    d = res.to_dict()
    rows: list[tuple[str, Any, str]] = [
        ("wavelength", d["wavelength_A"], "Å"),
        ("lattice constant", _f(d["lattice_constant_A"], ".5f"), "Å"),
        ("  standard error", _f(d["lattice_constant_err_A"], ".5f"), "Å"),
    ]
    for p in d["peaks"]:
        rows.append(
            (f"({p['hkl']}) 2θ / FWHM", f"{p['two_theta_deg']:.4f} / {p['fwhm_deg']:.4f}", "deg")
        )
    rows.append(("Scherrer mean (K=0.9, FWHM)", d["scherrer_nm"], "nm"))
    if d["williamson_hall"]:
        rows.append(("Williamson-Hall size", d["williamson_hall"]["size_nm"], "nm"))
        rows.append(("Williamson-Hall strain", d["williamson_hall"]["strain"], "1"))
    print_table(f"XRD {file.name}", rows)
    for w in d["warnings"]:
        typer.echo(f"note: {w}")


def raman_command(
    file: FileArg,
    model: Annotated[
        str, typer.Option(help="Band shape: lorentzian, voigt, confinement.")
    ] = "lorentzian",
    calibrate: Annotated[
        float | None, typer.Option(help="Shift the axis so the band sits here (520.7 for c-Si).")
    ] = None,
    omega0: Annotated[float, typer.Option(help="Bulk c-Si frequency [cm-1].")] = 520.7,
    gamma0: Annotated[
        float, typer.Option(help="Bulk line width [cm-1] for the confinement model.")
    ] = 3.5,
    confinement_model: Annotated[str, typer.Option(help="CF (Campbell-Fauchet) or RWL.")] = "CF",
    json_out: JsonOpt = False,
) -> None:
    """Fit the Si TO band and convert its shift/width to a phonon-confinement length."""
    from ..characterisation.raman import analyse_raman

    res = analyse_raman(
        file,
        model,
        calibrate=calibrate,
        omega0=omega0,
        gamma0=gamma0,
        confinement_model=confinement_model,
    )
    d = res.to_dict()
    if json_out:
        print_json(d)
        request_quick_exit()
        return
    print_table(
        f"Raman {file.name}",
        [
            ("peak", d["peak_cm1"], "cm-1"),
            ("FWHM", d["fwhm_cm1"], "cm-1"),
            ("calibration offset", d["calibration_offset_cm1"], "cm-1"),
            ("shift below bulk", d["shift_from_bulk_cm1"], "cm-1"),
            ("confinement length", d["confinement_length_nm"], "nm"),
        ],
    )
    typer.echo(d["confinement_note"])
    for w in d["warnings"]:
        typer.echo(f"note: {w}")


def sorption_command(
    file: FileArg,
    psd_model: Annotated[str, typer.Option(help="BJH, DH or pygaps-DH.")] = "BJH",
    branch: Annotated[str, typer.Option(help="PSD branch: des or ads.")] = "des",
    manufacturer: Annotated[
        str | None, typer.Option(help="Instrument file via pyGAPS: mic, bel, 3p, qnt.")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option(help="Instrument file format (xl, dat, txt...).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """BET (Rouquerol), pore size peak, total pore volume and t-plot via pyGAPS."""
    if running_as_program():  # a process of its own: pyGAPS without CoolProp where possible
        from ..characterisation._coolprop import defer_coolprop

        defer_coolprop()
    from ..characterisation.sorption import analyse_isotherm

    res = analyse_isotherm(file, psd_model, branch, manufacturer=manufacturer, fmt=fmt)
    d = res.to_dict()
    if json_out:
        print_json(d)
        request_quick_exit()
        return
    lo, hi = d["bet_pressure_range"]
    print_table(
        f"N2 sorption {file.name} ({d['material']})",
        [
            ("BET area", d["bet_area_m2_g"], "m2/g"),
            ("BET C", d["bet_c"], "1"),
            ("BET range p/p0", f"{lo:.3f}-{hi:.3f} ({d['bet_points']} points)", ""),
            (f"pore diameter ({psd_model} {branch} peak)", d["pore_diameter_nm"], "nm"),
            ("total pore volume (Gurvich)", d["pore_volume_cm3_g"], "cm3/g"),
        ],
    )
    for w in d["warnings"]:
        typer.echo(f"note: {w}")


def material_build_command(
    out: Annotated[Path, typer.Option("--out", help="Material JSON to write.")],
    xrd: Annotated[Path | None, typer.Option("--xrd", help="XRD pattern.")] = None,
    raman: Annotated[Path | None, typer.Option("--raman", help="Raman spectrum.")] = None,
    sorption: Annotated[Path | None, typer.Option("--sorption", help="N2 isotherm.")] = None,
    tem: Annotated[
        Path | None, typer.Option("--tem", help="TEM/STEM micrograph: pore and wall widths.")
    ] = None,
    sem: Annotated[
        Path | None, typer.Option("--sem", help="SEM/TEM micrograph: particle-size distribution.")
    ] = None,
    synthesis: Annotated[
        str | None,
        typer.Option(
            "--synthesis", help="Study TOML with a [synthesis] recipe, or 'study' (bundled)."
        ),
    ] = None,
    synthesis_porosity: Annotated[
        float | None, typer.Option("--synthesis-porosity", help="Template porosity [-], typed in.")
    ] = None,
    wavelength: Annotated[
        float | None, typer.Option(help="XRD wavelength [Å] if not in the file.")
    ] = None,
    xrd_standard: Annotated[
        Path | None, typer.Option(help="XRD instrument standard pattern.")
    ] = None,
    name: Annotated[str, typer.Option(help="Material name.")] = "material",
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Typed-in value KEY=VALUE, e.g. particle_radius='1.5 um' (repeatable)."
        ),
    ] = None,
    pore_model: Annotated[str, typer.Option(help="cylinder, slit or sphere.")] = "cylinder",
    json_out: JsonOpt = False,
) -> None:
    """Build a material record (values + provenance) for the simulator, with a consistency report."""
    import warnings

    from ..characterisation.material import build_material

    if sorption is not None and running_as_program():
        from ..characterisation._coolprop import defer_coolprop

        defer_coolprop()
    xrd_res = None
    if xrd is not None:
        from ..characterisation.xrd import analyse_xrd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xrd_res = analyse_xrd(xrd, wavelength=wavelength, instrument=xrd_standard)
    mat = build_material(
        name,
        xrd=xrd_res,
        raman=raman,
        sorption=sorption,
        synthesis=synthesis,
        synthesis_porosity=synthesis_porosity,
        typed=_parse_typed(set_),
        pore_model=pore_model,
        tem=tem,
        sem=sem,
    )
    mat.to_json(out)
    checks = [
        {"name": c.name, "consistent": c.consistent, "verdict": c.verdict, "values": c.values}
        for c in mat.checks
    ]
    if json_out:
        print_json({"out": str(out), **mat.to_dict(), "consistency": checks})
        return
    print_table(
        f"material {name} -> {out}",
        [(k, v.value, v.unit) for k, v in mat.values.items()],
    )
    for c in mat.checks:
        typer.echo(c.verdict)
    for w in mat.warnings:
        typer.echo(f"note: {w}")


def register(app: typer.Typer) -> None:
    """Add ``xrd``, ``raman``, ``sorption`` and ``material build`` to ``app``."""
    app.command("xrd")(xrd_command)
    app.command("raman")(raman_command)
    app.command("sorption")(sorption_command)
    material = typer.Typer(
        help="Material records for the simulator.", no_args_is_help=True, rich_markup_mode=None
    )
    material.command("build")(material_build_command)
    app.add_typer(material, name="material")
