"""Small helpers shared by the CLI modules: JSON output and rich tables."""

from __future__ import annotations

import json
import math
from typing import Any

from ..report.writer import jsonable

__all__ = ["dumps", "jsonable", "print_json", "print_table"]


def dumps(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=2, allow_nan=False)


def print_json(obj: Any) -> None:
    import typer

    typer.echo(dumps(obj))


def print_table(title: str, rows: list[tuple[str, Any, str]]) -> None:
    """Print ``(name, value, unit)`` rows as a rich table.

    A value that was not determined (None or NaN) prints as ``-``; long text wraps (never
    cut off with an ellipsis), whatever the terminal's width.
    """
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("quantity", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    table.add_column("unit", overflow="fold")
    for name, value, unit in rows:
        table.add_row(name, format_value(value), unit)
    Console().print(table)


def format_value(value: Any, digits: int = 4) -> str:
    """A table cell: floats to ``digits`` significant digits, None and NaN as ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)
