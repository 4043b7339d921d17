"""``sianode reproduce``."""

from __future__ import annotations

from pathlib import Path

import typer


def reproduce_command(
    config: Path | None = typer.Argument(None, help="Study TOML (default: the bundled study)."),
    out: Path = typer.Option(Path("sianode-report"), help="Output folder."),
    no_band: bool = typer.Option(
        False, "--no-band", help="Skip the sensitivity band and the prior band."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
    band_samples: int = typer.Option(
        1000, "--band-samples", min=1, help="At least this many prior samples for the band."
    ),
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

        band_task = None

        def band_tick(done: int, total: int) -> None:  # prior band samples (issue 14)
            nonlocal band_task
            if band_task is None:
                band_task = prog.add_task("prior band samples", total=total)
            prog.update(band_task, completed=done)

        summary = run(
            config,
            out,
            tick,
            with_band=not no_band,
            band_samples=band_samples,
            band_progress=band_tick,
        )
        prog.update(task, description="done", completed=len(STAGES))
    if json_out:
        print_json(summary)
        return
    c = summary["calibration"]
    cal_mat, pred_mat = c["material"], summary["prediction_material"]
    d, n = summary[cal_mat], summary[pred_mat]
    band = n.get("retention_band_pct")
    typer.echo(
        f"{cal_mat.capitalize()} Si: calibrated beta = {c['value']:.5g} -> retention {d['retention_pct']:.1f} % at "
        f"cycle {c['cycle']} (target {100 * c['target']:.0f} %)"
    )
    from ..report.reproduce import prediction_label

    head = f"{pred_mat.capitalize()} Si ({prediction_label(summary)}): "
    if "band_samples" in n:  # the prior band ran (issue 14)
        line = (
            f"median {n['retention_pct']:.1f} % at cycle {c['cycle']}, 5-95 % band "
            f"{band[0]:.1f}-{band[1]:.1f} % ({n['band_samples']} samples, "
            f"{100 * n['band_failed_fraction']:.0f} % failed)"
        )
    else:
        line = f"retention {n['retention_pct']:.1f} % at cycle {c['cycle']}" + (
            f", band {band[0]:.1f}-{band[1]:.1f} %" if band else ""
        )
    if "blind_record" in summary:
        line += f"; blind (v0.1): {summary['blind_record']['retention_pct']} %"
    typer.echo(head + line)
    typer.echo(f"Report: {Path(out) / 'report.html'} ({summary['runtime_s']} s)")


def register(app: typer.Typer) -> None:
    """Add ``reproduce`` to ``app``."""
    app.command("reproduce")(reproduce_command)
