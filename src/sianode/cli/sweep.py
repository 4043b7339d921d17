"""CLI: ``sianode sweep SPEC.toml --out DIR`` and ``sianode sweep-report DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._util import print_json

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON summary.")]


def _progress_bar(enabled: bool) -> tuple[Any, Any]:
    """A rich progress bar with rate and ETA, and the callback that drives it."""
    if not enabled:
        return None, None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8} designs/s"),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=False,
    )
    state: dict[str, Any] = {}

    def callback(p: Any) -> None:
        if "task" not in state:
            state["task"] = bar.add_task("sweep", total=p.total, rate="-", failed=0)
        bar.update(state["task"], completed=p.done, rate=f"{p.rate:.1f}", failed=p.failed)

    return bar, callback


def sweep_command(
    spec: Annotated[
        str,
        typer.Argument(help="Sweep spec TOML, or 'example' for the bundled example spec."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder (re-use to resume).")],
    engine: Annotated[
        str, typer.Option("--engine", help="batch (in-process, default) | processes | dask")
    ] = "batch",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Existing dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (processes / local dask).")
    ] = None,
    threads_per_worker: Annotated[
        int, typer.Option("--threads-per-worker", help="Numba threads per worker process.")
    ] = 1,
    chunk_size: Annotated[
        int | None, typer.Option("--chunk-size", help="Designs per chunk (one Parquet file each).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Run at most this many missing designs.")
    ] = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write plots and index.html at the end.")
    ] = True,
    map_params: Annotated[
        str | None,
        typer.Option(
            "--map", help="Two parameters for the retention map, e.g. porosity,particle_radius."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the sweep already in --out (an error if there is none there). "
            "Re-running into the same folder always computes only what is missing.",
        ),
    ] = False,
    worker_timeout: Annotated[
        float,
        typer.Option("--worker-timeout", help="dask: stop after this many seconds with no worker."),
    ] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run a design sweep (resumable: re-running into the same --out computes only what is missing)."""
    from ..errors import ParameterError
    from ..sweep.engines import run_sweep
    from ..sweep.parse import example_spec_path, load_spec

    path = example_spec_path() if spec == "example" else Path(spec)
    sp = load_spec(path)
    if resume and not (out / "sweep.json").is_file():
        raise ParameterError(f"--resume: {out} holds no sweep to continue (no sweep.json)")
    if engine == "dask" and scheduler is None and workers is None:
        workers = None
    bar, cb = _progress_bar(not quiet and not json_out)
    if bar is not None:
        bar.start()
    try:
        summary = run_sweep(
            sp,
            out,
            engine=engine,
            chunk_size=chunk_size,
            workers=workers,
            threads_per_worker=threads_per_worker,
            scheduler=scheduler,
            progress=cb,
            limit=limit,
            worker_timeout=worker_timeout,
        )
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
            bar = None
        typer.echo(
            f"interrupted: finished chunks are saved in {out}; run the same command again to "
            "resume",
            err=True,
        )
        raise
    finally:
        if bar is not None:
            bar.stop()
    report_path = None
    from ..sweep.analysis import analyse, write_report

    mp = tuple(m.strip() for m in map_params.split(",")) if map_params else None
    a = analyse(out, map_params=mp)
    if report:
        report_path = write_report(out, map_params=mp, analysis=a)
    failures = a.failures
    if json_out:
        import dataclasses

        d = dataclasses.asdict(summary)
        d["complete"] = summary.complete
        d["report"] = str(report_path) if report_path else None
        d["failures"] = failures.to_dict("records")
        print_json(d)
    else:
        _print_summary(summary, report_path)
        _print_failures(failures)
    if summary.lost:
        from ..errors import CalculationError

        raise CalculationError(
            f"{summary.lost} designs were lost to worker failures; run the same command again "
            "to compute them"
        )


def _print_summary(s: Any, report_path: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"sweep summary ({s.engine})")
    t.add_column("quantity", overflow="fold")
    t.add_column("value", justify="right", overflow="fold")
    t.add_row("designs in spec", str(s.n_designs))
    t.add_row("already in folder", str(s.already_done))
    t.add_row("computed now", str(s.computed))
    if s.lost:
        t.add_row("lost to worker failures (re-run)", str(s.lost))
    t.add_row("wall time", f"{s.wall_s:.1f} s")
    t.add_row("rate", f"{s.rate:.1f} designs/s" if s.rate == s.rate else "-")
    for k, v in sorted(s.status_counts.items()):
        t.add_row(f"status {k}", str(v))
    if s.missing:
        t.add_row("still missing", str(s.missing))
    t.add_row("complete", "yes" if s.complete else "no")
    if report_path:
        t.add_row("report", str(report_path))
    Console().print(t)
    for note in s.notes:
        typer.echo(f"note: {note}")


def _print_failures(failures: Any) -> None:
    """One line per reason designs did not complete: count, status, reason, where."""
    for r in failures.itertuples(index=False):
        typer.echo(f"{r.count} designs {r.status}: {r.error or '-'} [{r.where}]")


def sweep_report_command(
    folder: Annotated[Path, typer.Argument(help="Sweep results folder.")],
    map_params: Annotated[
        str | None,
        typer.Option(
            "--map", help="Two parameters for the retention map, e.g. porosity,particle_radius."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the sweep's plots (retention map, Pareto front, sensitivity) and index.html."""
    from ..sweep.analysis import analyse, write_report

    mp = tuple(m.strip() for m in map_params.split(",")) if map_params else None
    a = analyse(folder, map_params=mp)
    path = write_report(folder, map_params=mp, analysis=a)
    for part, reason in a.skipped:
        typer.echo(
            f"warning: {folder / part}: unreadable results file left out ({reason}); "
            "re-running the sweep recomputes its designs",
            err=True,
        )
    if json_out:
        print_json({"report": str(path), **a.to_json()})
        return
    typer.echo(
        f"{len(a.results)} of {a.meta.get('n_designs', '?')} designs; {a.n_failed} did not complete"
    )
    _print_failures(a.failures)
    typer.echo(f"report: {path}")


def sweep_parameters_command(json_out: JsonOpt = False) -> None:
    """List the parameters a sweep spec may fix or sweep, with their units and where they act."""
    from ..sweep.spec import PARAMETERS

    rows = [
        {"name": p.name, "unit": p.unit, "acts_on": p.target, "description": p.description}
        for p in PARAMETERS.values()
    ]
    if json_out:
        print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="sweep parameters (values accepted with any compatible unit)")
    # names are what a spec must spell: never cut; the description wraps instead
    t.add_column("name", no_wrap=True, min_width=max(len(r["name"]) for r in rows))
    t.add_column("unit", no_wrap=True)
    t.add_column("acts on", no_wrap=True)
    t.add_column("description", overflow="fold")
    for r in rows:
        t.add_row(r["name"], r["unit"], r["acts_on"], r["description"])
    Console().print(t)


def register(app: typer.Typer) -> None:
    """Add ``sweep``, ``sweep-report`` and ``sweep-parameters`` to ``app``."""
    app.command("sweep")(sweep_command)
    app.command("sweep-report")(sweep_report_command)
    app.command("sweep-parameters")(sweep_parameters_command)
