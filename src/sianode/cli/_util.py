"""Small helpers shared by the CLI modules: JSON output and rich tables."""

from __future__ import annotations

import json
import math
from typing import Any

from ..report.writer import jsonable

__all__ = ["dumps", "jsonable", "print_json", "print_table", "request_quick_exit"]

_quick_exit = False
_program = False


def set_program() -> None:
    """Mark this process as the ``sianode`` program (console script), not a Python session
    that calls ``main([...])``; process-wide shortcuts (:func:`request_quick_exit`, deferring
    CoolProp) are taken only then."""
    global _program
    _program = True


def running_as_program() -> bool:
    return _program


def request_quick_exit() -> None:
    """Let :func:`sianode.cli.main` end the process with ``os._exit`` once this command has
    succeeded and its output is flushed.

    Interpreter shutdown after numba, pandas and scipy are loaded takes 0.3-0.6 s (module
    teardown, garbage collection), longer than the work of ``simulate`` (issue 17). Only the
    console script acts on it (``main()`` called without arguments), never an in-process
    ``main([...])`` call, and only on the success path; a command asks for it only after
    everything it writes is closed (files, caches) and no thread or child process is left.
    """
    global _quick_exit
    _quick_exit = True


def quick_exit_requested() -> bool:
    return _quick_exit


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
