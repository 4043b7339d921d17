"""CLI commands of the cycler-data module: ``sianode cycles`` and ``sianode convert``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ParameterError


def _quantity(text: str | None, unit: str, name: str, example: str) -> float | None:
    """Parse ``0.72mg`` / ``0.785cm2`` into ``unit``; a number without a unit is an error.

    A bare ``0.72`` could be grams or milligrams (a factor of 1000 in every specific
    capacity), so the unit is required.
    """
    if text is None:
        return None
    try:
        float(text.strip())
    except ValueError:
        pass
    else:
        raise ParameterError(
            f"{name}: '{text}' has no unit; give one, e.g. {text.strip()}{example}"
        )
    from ..units import to_unit

    val = to_unit(text, unit, name)
    if not (math.isfinite(val) and val > 0):
        raise ParameterError(f"{name}: must be > 0, got '{text}'")
    return val


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


def cycles_command(
    file: Annotated[Path, typer.Argument(help="Cycler file (format detected from content)")],
    active_mass: Annotated[
        str | None, typer.Option("--active-mass", help="Active (Si) mass, e.g. 0.72mg")
    ] = None,
    composite_mass: Annotated[
        str | None, typer.Option("--composite-mass", help="Composite mass, e.g. 1.1mg")
    ] = None,
    area: Annotated[
        str | None, typer.Option("--area", help="Electrode area, e.g. 0.785cm2")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="anode or cathode")] = None,
    cycle_rule: Annotated[
        str, typer.Option("--cycles", help="current (sianode's rule) or instrument")
    ] = "current",
    opening: Annotated[
        str | None,
        typer.Option(
            "--opening",
            help="Direction that opens each cycle: charge, discharge, lithiation or"
            " delithiation (default: the first half cycle's); earlier half cycles are"
            " cycle 0",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for CSV and PNG plots")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Per-cycle capacities, CE and retention of a cycler file."""
    # numpy columns all the way (read_columns, cycle_table_columns): pandas is imported
    # only to write --out, or by a text reader; the DataFrames there are the same tables
    from ..columns import CYCLE, INST_CYCLE, TIME
    from ..cycling import COMPLETE, OPENINGS, cycle_table_columns, renumber_cycles, suggest_role
    from ..io import read_columns

    if role is not None and role not in ("anode", "cathode"):
        raise ParameterError(f"--role: expected anode or cathode, got '{role}'")
    if opening is not None:
        if opening not in OPENINGS:
            raise ParameterError(
                f"--opening: expected one of {', '.join(sorted(OPENINGS))}, got '{opening}'"
            )
        if cycle_rule != "current":
            raise ParameterError("--opening applies to --cycles current only")
    am = _quantity(active_mass, "g", "--active-mass", "mg")
    cm = _quantity(composite_mass, "g", "--composite-mass", "mg")
    ar = _quantity(area, "cm2", "--area", "cm2")
    data, meta = read_columns(file)
    if opening is not None:
        data = renumber_cycles(data, opening)
    table = cycle_table_columns(
        data, role=role, active_mass_g=am, composite_mass_g=cm, area_cm2=ar, cycles=cycle_rule
    )
    suggested = suggest_role(data)
    rows = []
    for j in range(table.n_rows):
        r = {k: v[j] for k, v in table.items()}
        row = {
            "cycle": int(r[CYCLE]),
            "complete": bool(r[COMPLETE]),
            "charge_mAh": _clean(r["Cycle Charging Capacity / mAh"]),
            "discharge_mAh": _clean(r["Cycle Discharging Capacity / mAh"]),
        }
        for key, col in (
            ("charge_mAh_per_g", "Specific Charging Capacity / mAh/g"),
            ("discharge_mAh_per_g", "Specific Discharging Capacity / mAh/g"),
            ("charge_mAh_per_g_composite", "Composite Charging Capacity / mAh/g"),
            ("discharge_mAh_per_g_composite", "Composite Discharging Capacity / mAh/g"),
            ("charge_mAh_per_cm2", "Areal Charging Capacity / mAh/cm2"),
            ("discharge_mAh_per_cm2", "Areal Discharging Capacity / mAh/cm2"),
        ):
            if col in table:
                row[key] = _clean(r[col])
        if role is not None:
            row.update(
                {
                    "lithiation_mAh": _clean(r["Lithiation Capacity / mAh"]),
                    "delithiation_mAh": _clean(r["Delithiation Capacity / mAh"]),
                    "coulombic_efficiency": _clean(r["Coulombic Efficiency / 1"]),
                    "retention": _clean(r["Retention vs Cycle 1 Lithiation / 1"]),
                }
            )
            for key, col in (
                ("lithiation_mAh_per_g", "Specific Lithiation Capacity / mAh/g"),
                ("delithiation_mAh_per_g", "Specific Delithiation Capacity / mAh/g"),
                ("lithiation_mAh_per_cm2", "Areal Lithiation Capacity / mAh/cm2"),
                ("hysteresis_V", "Voltage Hysteresis / V"),
            ):
                if col in table:
                    row[key] = _clean(r[col])
        rows.append(row)
    written: list[str] = []
    if out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..cycling import plot_capacity, plot_dqdv, plot_voltage_capacity

        out.mkdir(parents=True, exist_ok=True)
        table, data = table.to_frame(), data.to_frame()  # cycle_table's and read's tables
        stem = file.name.replace(".", "_")
        csv_path = out / f"{stem}_cycles.csv"
        table.to_csv(csv_path, index=False)
        written.append(str(csv_path))
        # an incomplete last cycle is left out of the plots (listed in the table and CSV)
        gone = table.loc[~table[COMPLETE].to_numpy(bool), CYCLE].to_numpy()
        grouping = data[CYCLE] if cycle_rule == "current" else data[INST_CYCLE]
        shown = data[~grouping.isin(gone).to_numpy()] if gone.size else data
        for tag, fig in (
            ("capacity", plot_capacity(table)),
            ("voltage_capacity", plot_voltage_capacity(shown, active_mass_g=am)),
            ("dqdv", plot_dqdv(shown, active_mass_g=am)),
        ):
            png = out / f"{stem}_{tag}.png"
            fig.savefig(png, dpi=120)
            matplotlib.pyplot.close(fig)
            written.append(str(png))
    result = {
        "format": meta["format"],
        "n_points": int(len(data[TIME])),
        "suggested_role": suggested,
        "role": role,
        "opening": opening,
        "cycles": rows,
        "warnings": list(meta["warnings"]) + list(table.attrs.get("warnings", [])),
        "files": written,
    }
    if as_json:
        typer.echo(json.dumps(result))
        if out is None:  # nothing left open: skip the interpreter's teardown (polars)
            from ._util import request_quick_exit

            request_quick_exit()
        return
    typer.echo(
        f"{file.name}: {meta['format']}, {result['n_points']} points, {len(rows)} cycles,"
        f" suggested role: {suggested}"
    )
    if role is None:
        typer.echo(
            "(no --role given: capacities in BDF sense; pass --role anode for a Si half cell)"
        )

    def cap(row: dict[str, Any], what: str) -> str:
        """``what`` capacity in mAh, and in mAh/g when a mass was given."""
        x = row.get(f"{what}_mAh")
        if x is None:
            return "-"
        per_g = row.get(f"{what}_mAh_per_g")
        if per_g is not None:
            return f"{x:.4g} mAh ({per_g:.4g} mAh/g)"
        composite = row.get(f"{what}_mAh_per_g_composite")
        if composite is not None:
            return f"{x:.4g} mAh ({composite:.4g} mAh/g composite)"
        return f"{x:.4g} mAh"

    for row in rows:
        extra = ""
        if role is not None:  # None: cycle 0, outside the role metrics
            ce = row["coulombic_efficiency"]
            extra = (
                f"  lith {cap(row, 'lithiation')}  delith {cap(row, 'delithiation')}  CE "
                f"{'-' if ce is None else f'{100 * ce:.2f} %'}"
            )
        flag = "" if row["complete"] else "  (incomplete: not in CE, retention or plots)"
        typer.echo(
            f"cycle {row['cycle']:4d}: charge {cap(row, 'charge')}  discharge"
            f" {cap(row, 'discharge')}{extra}{flag}"
        )
    for w in result["warnings"]:
        typer.echo(f"warning: {w}")


def convert_command(
    file: Annotated[Path, typer.Argument(help="Cycler file to convert")],
    to: Annotated[str, typer.Option("--to", help="Target format: bdf")] = "bdf",
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: the working directory)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Convert a cycler file to BDF (.bdf.csv/.bdf.parquet + .metadata.json)."""
    from ..io import read, write_bdf

    if to != "bdf":
        raise ParameterError(f"--to: only 'bdf' is supported, got '{to}'")
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"--format: expected csv or parquet, got '{fmt}'")
    data, meta = read(file)
    folder = out if out is not None else Path.cwd()  # never next to the raw data
    folder.mkdir(parents=True, exist_ok=True)
    data_path, side = write_bdf(data, folder / file.name.replace(".", "_"), meta, fmt=fmt)
    result = {
        "format": meta["format"],
        "n_points": int(len(data)),
        "bdf": str(data_path),
        "metadata": str(side),
        "warnings": meta["warnings"],
    }
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(f"wrote {data_path} and {side}")
        for w in result["warnings"]:
            typer.echo(f"warning: {w}")


def register(app: typer.Typer) -> None:
    """Add ``cycles`` and ``convert`` to ``app``."""
    app.command("cycles")(cycles_command)
    app.command("convert")(convert_command)
