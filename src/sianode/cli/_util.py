"""Small helpers shared by the CLI modules: JSON output and rich tables."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, dataclasses and paths into JSON-safe Python objects.

    NaN and infinities become ``None`` (JSON has no NaN).
    """
    import dataclasses
    from pathlib import Path

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


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
