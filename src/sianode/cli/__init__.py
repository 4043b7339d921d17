"""The ``sianode`` command line: a thin layer over the Python API.

One module per command group in this package; each defines its commands as module-level
functions that wrap a public function a notebook user can call, and a ``register(app)`` that
adds them to ``app``. Errors a user can cause (:class:`sianode.errors.SianodeError`)
are printed as one line and exit with code 2.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from ..errors import SianodeError

_SETTINGS: dict = {
    "name": "sianode",
    "help": "Silicon-anode solid-state battery toolkit: design, characterise, simulate, analyse.",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    # plain help: Rich markup would eat "[cm-1]" and show "<bool>" for every flag
    "rich_markup_mode": None,
}
app = typer.Typer(**_SETTINGS)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"sianode {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False,
        "--version",
        help="Print the sianode version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Silicon-anode solid-state battery toolkit: design, characterise, simulate, analyse."""


@app.command()
def version(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Print the sianode version."""
    from .. import __version__

    if json_out:
        from ._util import print_json

        print_json({"version": __version__})
        return
    typer.echo(__version__)


# Modules that add commands to ``app``; each defines ``register(app)``.
_COMMAND_MODULES = (
    "sianode.cli.calculators",
    "sianode.cli.simulation",
    "sianode.cli.io",
    "sianode.cli.characterisation",
    "sianode.cli.microscopy",
    "sianode.cli.report",
    "sianode.cli.sweep",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _interrupted(exc: BaseException) -> bool:
    """True if Ctrl-C is anywhere in ``exc``'s chain: a SIGINT that arrives while numba's
    compiled code runs surfaces as a SystemError caused by the KeyboardInterrupt."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        if isinstance(node, KeyboardInterrupt):
            return True
        seen.add(id(node))
        node = node.__cause__ or node.__context__
    return False


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script. Returns the exit code."""
    if argv is None:
        from ._util import set_program

        set_program()
        # No command multiplies large matrices, but OpenBLAS starts a thread pool in numpy's
        # and in scipy's copy at import, which spins on the other core: 0.1-0.2 s of CPU per
        # process (issue 17; results unchanged, checked on the JSON of simulate, xrd, raman,
        # sorption and micrograph). A user's own setting wins.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from ._startup import app_for

    # only the command named is built, its plain values converted without pydantic
    run = app_for(app, list(sys.argv[1:] if argv is None else argv), _SETTINGS)
    try:
        rv = run(args=argv, standalone_mode=False)
    except SianodeError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        typer.echo(f"error: {msg}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except typer.Exit as exc:  # pragma: no cover - raised by typer for --help etc.
        return int(exc.exit_code or 0)
    except typer.Abort:  # click turns Ctrl-C into Abort when not in standalone mode
        typer.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # click usage errors (typer vendors its own click)
        if _interrupted(exc):
            typer.echo("interrupted", err=True)
            return 130
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return int(exc.exit_code or 2)
        raise
    # with standalone_mode=False click returns a command's typer.Exit code instead of raising
    code = rv if isinstance(rv, int) else 0
    if argv is None and code == 0:
        _quick_exit_if_requested()
    return code


def _quick_exit_if_requested() -> None:
    """End the console-script process now if the command asked for it (see
    :func:`sianode.cli._util.request_quick_exit`): flush, then ``os._exit(0)``."""
    from ._util import quick_exit_requested

    if not quick_exit_requested():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # closed pipe: leave it to the normal exit path
        return
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
