"""Small helpers shared by the CLI modules: JSON output and rich tables."""

from __future__ import annotations

import json
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
