"""``sianode simulate`` and ``sianode calibrate``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from ..errors import ParameterError
from ._util import print_json, print_table, request_quick_exit

#: Runs of more cycles than this show a progress bar.
PROGRESS_MIN_CYCLES = 200


@contextmanager
def _cycle_progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (cycles done of total) and its callback, or None."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]simulate"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cycles"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    task = bar.add_task("simulate", total=None)

    def callback(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield callback


def simulate_command(
    config: Path | None = typer.Argument(None, help="Study TOML (default: the bundled study)."),
    material: str = typer.Option(
        "dense", help="Material section of the study: dense | nanoporous | ..."
    ),
    material_file: Path | None = typer.Option(
        None, help="Material JSON from 'sianode material build'."
    ),
    cell_file: Path | None = typer.Option(
        None, help="Calibrated cell JSON from 'sianode calibrate'."
    ),
    cycles: int | None = typer.Option(None, help="Number of cycles (default: the protocol's)."),
    beta: float | None = typer.Option(
        None, help="Strain-damage coefficient (default: calibrated on the dense cell)."
    ),
    protocol: str | None = typer.Option(None, help="Protocol text (lines separated by ';')."),
    out: Path | None = typer.Option(None, help="Folder for Parquet/CSV tables and a PNG figure."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    dead_below: float = typer.Option(
        0.01,
        help="End of life: stop when a cycle's lithiation capacity falls below this "
        "fraction of cycle 1's (0 = run every cycle).",
    ),
) -> None:
    """Simulate the half cell (reduced model) on the study's protocol.

    Runs of more than 200 cycles show a progress bar on stderr; a run stops when the cell is
    dead (see --dead-below) and says so in its status."""
    import json

    from ..calibration_cache import cached_calibrate_dense
    from ..cell import CellParameters, build_cell
    from ..simulation import simulate as run
    from ..study import load_study

    study = load_study(config)
    label = material
    if cell_file is not None:
        label = f"cell file {Path(cell_file).name}"
        try:
            cell = CellParameters(**json.loads(Path(cell_file).read_text())["cell"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ParameterError(
                f"cell-file {cell_file}: not a sianode cell file ({exc})"
            ) from None
    else:
        if beta is None:
            # stored and reused: keyed by the study and the model version
            beta = cached_calibrate_dense(study)[0]["value"]
        cell, _ = build_cell(study, material, material_file, beta=beta)
        if material_file is not None:
            from ..characterisation.material import read_material

            label = read_material(material_file).name
    text = protocol.replace(";", "\n") if protocol else study.section("protocol")["text"]
    comp = cell.si_mass * 1e3 / float(study.section("cell").get("composition", {}).get("Si", 1.0))
    with _cycle_progress(cycles is not None and cycles > PROGRESS_MIN_CYCLES) as progress:
        res = run(
            cell,
            text,
            n_cycles=cycles,
            record=out is not None,  # the time series is only written with --out
            composite_mass_g=comp,
            dead_fraction=dead_below,
            progress=progress,
        )
    if out is not None:
        from ..report.writer import AtomicDir

        with AtomicDir(out) as tmp:
            res.timeseries.to_parquet(tmp / "timeseries.bdf.parquet")
            res.cycles.to_parquet(tmp / "cycles.parquet")
            res.cycles.to_csv(tmp / "cycles.csv", index=False)
            fig = res.plot()
            fig.savefig(tmp / "simulation.png", dpi=120)
    summary = {
        "material": label,
        "material_file": None if material_file is None else str(material_file),
        "status": res.status,
        "completed": res.completed,
        "retention_pct": res.retention_pct,
        "beta": cell.beta,
        "cycles": res.cycle_records(),  # no pandas on this path (issue 17)
    }
    if json_out:
        print_json(summary)
        request_quick_exit()
        return
    c = res.cycle_columns
    spec = c["Specific Lithiation Capacity / mAh/g"]
    print_table(
        f"sianode simulate: {label} ({res.status})",
        [
            ("cycles run", len(spec), ""),
            ("cycle-1 lithiation", float(spec[0]), "mAh/g Si"),
            ("first-cycle efficiency", float(c["Coulombic Efficiency / 1"][0]), ""),
            ("last-cycle lithiation", float(spec[-1]), "mAh/g Si"),
            ("retention (vs cycle-1 lithiation)", res.retention_pct, "%"),
            ("connected Si at the end", float(c["Connected Fraction / 1"][-1]), ""),
            ("beta", cell.beta, ""),
        ],
    )
    if out is not None:
        typer.echo(
            f"wrote {out}/timeseries.bdf.parquet, cycles.parquet, cycles.csv, simulation.png"
        )


def calibrate_command(
    files: list[Path] = typer.Argument(
        ..., help="Cycler files of one cell (any format sianode reads)."
    ),
    config: Path | None = typer.Option(None, "--study", help="Study TOML describing the cell."),
    material: str = typer.Option("dense", help="Material section of the study."),
    fit: str = typer.Option("beta", help="Comma-separated cell parameters to fit (e.g. beta,k0)."),
    protocol: str | None = typer.Option(
        None,
        help="Protocol text run on the cell (';' between lines); default: the one the files"
        " themselves record (currents, cut-offs, rests).",
    ),
    cycles: int | None = typer.Option(None, help="Use only the first N measured cycles."),
    out: Path | None = typer.Option(
        None, help="Write the calibrated cell JSON here (for 'simulate --cell-file')."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the fit as JSON."),
) -> None:
    """Fit cell parameters to measured per-cycle lithiation capacity (least squares).

    Exit code 1 when the fit fails (optimiser failure, a parameter at its bound, R2 < 0 or a
    numerical overflow), with the reasons; no cell file is written then.
    """
    import dataclasses
    import json

    from ..calibration import fit_to_cycles
    from ..cell import build_cell
    from ..measured import read_measured_cell
    from ..study import load_study

    study = load_study(config)
    cell, _ = build_cell(study, material)
    measured = read_measured_cell(files, cell.si_mass * 1e3, cell.area * 1e4, cycles)
    text = protocol.replace(";", "\n") if protocol else measured.protocol
    names = [n.strip() for n in fit.split(",") if n.strip()]
    res = fit_to_cycles(measured.cycles, cell, text, names)
    summary = res.as_dict()
    summary["files"] = [str(f) for f in files]
    summary["protocol"] = text
    summary["protocol_source"] = "--protocol" if protocol else "recorded in the files"
    if out is not None and res.success:
        from ..report.writer import AtomicDir

        cell_dict = {k: v for k, v in dataclasses.asdict(res.cell).items() if k != "extra"}
        with AtomicDir(out.parent if str(out.parent) else Path(".")) as tmp:
            (tmp / out.name).write_text(json.dumps({"cell": cell_dict, "fit": summary}, indent=2))
        summary["out"] = str(out)
    if json_out:
        print_json(summary)
    else:
        _print_fit(res, summary["protocol_source"])
    if not res.success:
        typer.echo(f"error: calibration failed: {'; '.join(res.problems)}", err=True)
        if out is not None:
            typer.echo(f"(no cell file written to {out})", err=True)
        raise typer.Exit(1)


def _print_fit(res: Any, protocol_source: str) -> None:
    rows = [
        (f"{n} (95 % CI {lo:.3g}-{hi:.3g})", float(v), "")
        for n, v, (lo, hi) in zip(res.names, res.values, res.ci95)
    ]
    rows += [
        ("RMSE", 1e3 * res.rmse_Ah, "mAh"),
        ("R2", res.r_squared, ""),
        ("cycles fitted", res.n_points, ""),
        ("protocol", protocol_source, ""),
    ]
    print_table("sianode calibrate" + ("" if res.success else " (FAILED)"), rows)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``calibrate`` to ``app``."""
    app.command("simulate")(simulate_command)
    app.command("calibrate")(calibrate_command)
