"""Small helpers shared by the CLI modules: JSON output and rich tables."""

from __future__ import annotations

import json
from typing import Any

from ..report.writer import jsonable

__all__ = ["dumps", "jsonable", "print_json", "print_table"]


def dumps(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=2, allow_nan=False)


def print_json(obj: Any) -> None:
    import typer

    typer.echo(dumps(obj))


def print_table(title: str, rows: list[tuple[str, Any, str]]) -> None:
    """Print ``(name, value, unit)`` rows as a rich table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for name, value, unit in rows:
        if isinstance(value, float):
            text = f"{value:.4g}"
        else:
            text = str(value)
        table.add_row(name, text, unit)
    Console().print(table)
