"""CLI command ``sianode micrograph``: calibration, lattice fringes, particles and pores.

A thin layer over :func:`sianode.microscopy.analyse_micrograph`. Heavy libraries
(RosettaSciIO, scikit-image, matplotlib) are imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def _f(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def micrograph_command(
    file: Annotated[Path, typer.Argument(help="Micrograph: dm3, dm4, ser/emi, emd, hspy, tif.")],
    lattice: Annotated[
        bool, typer.Option("--lattice", help="Lattice spacings from the windowed FFT.")
    ] = False,
    particles: Annotated[
        bool, typer.Option("--particles", help="Particle-size distribution.")
    ] = False,
    pores: Annotated[bool, typer.Option("--pores", help="Porosity and pore/wall widths.")] = False,
    crystal: Annotated[
        str | None,
        typer.Option(
            help="Index against: Si, SrTiO3, Au, MgO, MoS2, graphene (implies --lattice)."
        ),
    ] = None,
    lattice_constant: Annotated[
        str | None,
        typer.Option(help="Cubic lattice constant, e.g. '0.3905 nm' (implies --lattice)."),
    ] = None,
    pixel_size: Annotated[
        str | None,
        typer.Option(help="Pixel size, e.g. '0.0125 nm' or '12.5 pm'; overrides the file's."),
    ] = None,
    method: Annotated[
        str, typer.Option(help="Particle segmentation: auto, threshold, edges.")
    ] = "auto",
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for overlay and histogram PNGs.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")] = False,
) -> None:
    """Read a micrograph with its calibration; measure lattice spacings, particles and pores."""
    from ..microscopy.analysis import analyse_micrograph

    res = analyse_micrograph(
        file,
        lattice=lattice,
        particles=particles,
        pores=pores,
        crystal=crystal,
        lattice_constant=lattice_constant,
        pixel_size=pixel_size,
        particle_method=method,
        out_dir=out,
    )
    d = res.to_dict()
    if json_out:
        from ._util import print_json

        print_json(d)
        return
    _print_human(d)


def _print_human(d: dict[str, Any]) -> None:
    echo = typer.echo
    u = d["unit"]
    echo(f"{Path(d['source']).name}: {d['format']}, {d['shape'][0]} x {d['shape'][1]} px")
    echo(f"  pixel size: {_f(d['pixel_size_nm'], '.6g')} nm  ({d['calibration_source']})")
    for c in d["calibration_checks"]:
        dev = "" if c["deviation_pct"] is None else f" {c['deviation_pct']:+.2f} %"
        echo(f"  check {c['field']}: {_f(c['pixel_size_nm'], '.6g')} nm{dev}")
    sb = d["scale_bar"]
    if sb and sb.get("length_px"):
        echo(
            f"  scale bar: {sb['length_px']} px = {_f(sb['length_nm'])} nm (nearest round "
            f"length {_f(sb['round_value_nm'], 'g')} nm, {_f(sb['deviation_pct'], '+.1f')} %, "
            f"± {_f(sb['resolution_pct'], '.1f')} % from ±1 px)"
        )
    elif sb:
        echo(f"  scale bar: {sb['note']}")
    lat = d["lattice"]
    if lat is not None:
        echo(f"lattice ({lat['symmetry']}: {lat['symmetry_note']})")
        for s in lat[f"spacings_{u}"]:
            hkl = f"  ({s['hkl']})" if s["hkl"] else ""
            echo(
                f"  d = {s[f'd_{u}']:.4f} ± {_f(s[f'sd_{u}'], '.4f')} {u}  "
                f"angle {s['angle_deg']:6.1f} deg{hkl}"
            )
        if lat["crystal"]:
            parts = []
            if lat["scale_error_pct"] is not None:
                dist = lat["distortion_pct"]
                parts.append(
                    f"scale error {lat['scale_error_pct']:+.2f} % "
                    f"(± {_f(lat['scale_error_sd_pct'], '.2f')}"
                    + (f"; directions differ by {dist:.1f} %)" if dist and dist > 0.5 else ")")
                )
            if lat["max_ratio_residual_pct"] is not None:
                parts.append(f"family ratios within {lat['max_ratio_residual_pct']:.2f} %")
            parts.append(
                f"pixel size from lattice {_f(lat['pixel_size_from_lattice_nm'], '.5g')} nm"
            )
            echo(f"  {lat['crystal']}: " + ", ".join(parts))
    pa = d["particles"]
    if pa is not None:
        lo_hi = pa[f"median_diameter_range_{u}"]
        echo(
            f"particles: {pa['count']} ({pa['excluded_at_edge']} at the edge left out), "
            f"median diameter {_f(pa[f'median_diameter_{u}'])} {u} "
            f"(thresholds {_f(lo_hi[0])}-{_f(lo_hi[1])}), p10-p90 "
            f"{_f(pa[f'p10_diameter_{u}'])}-{_f(pa[f'p90_diameter_{u}'])} {u}; {pa['method']}"
        )
    po = d["pores"]
    if po is not None:
        lo, hi = po["porosity_range"]
        echo(
            f"pores: porosity {po['porosity']:.3f} (thresholds {lo:.3f}-{hi:.3f}), median pore "
            f"width {_f(po[f'median_width_{u}'])} {u}, wall {_f(po[f'median_wall_width_{u}'])} {u}"
        )
    for f in d["figures"]:
        echo(f"figure: {f}")
    for w in d["warnings"]:
        echo(f"note: {w}")


def register(app: typer.Typer) -> None:
    """Add ``micrograph`` to ``app``."""
    app.command("micrograph")(micrograph_command)
