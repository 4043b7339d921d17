"""``sianode reproduce``."""

from __future__ import annotations

from pathlib import Path

import typer


def reproduce_command(
    config: Path | None = typer.Argument(None, help="Study TOML (default: the bundled study)."),
    out: Path = typer.Option(Path("sianode-report"), help="Output folder."),
    no_band: bool = typer.Option(False, "--no-band", help="Skip the sensitivity band."),
    json_out: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
) -> None:
    """Run the whole reference study: synthesis, design, calibration, blind prediction, report."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..report.reproduce import STAGES
    from ..report.reproduce import reproduce as run
    from ._util import print_json

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        transient=json_out,
        disable=json_out,
    ) as prog:
        task = prog.add_task("starting", total=len(STAGES))

        def tick(stage: str) -> None:
            prog.update(task, description=stage, completed=STAGES.index(stage))

        summary = run(config, out, tick, with_band=not no_band)
        prog.update(task, description="done", completed=len(STAGES))
    if json_out:
        print_json(summary)
        return
    d, n, c = summary["dense"], summary["nanoporous"], summary["calibration"]
    band = n.get("retention_band_pct")
    typer.echo(
        f"Dense Si: calibrated beta = {c['value']:.5g} -> retention {d['retention_pct']:.1f} % at "
        f"cycle {c['cycle']} (target {100 * c['target']:.0f} %)"
    )
    typer.echo(
        f"Nanoporous Si (blind prediction): retention {n['retention_pct']:.1f} % at cycle {c['cycle']}"
        + (f", band {band[0]:.1f}-{band[1]:.1f} %" if band else "")
    )
    typer.echo(f"Report: {Path(out) / 'report.html'} ({summary['runtime_s']} s)")


def register(app: typer.Typer) -> None:
    """Add ``reproduce`` to ``app``."""
    app.command("reproduce")(reproduce_command)
