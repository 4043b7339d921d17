"""Start-up shortcuts of the command line (issue 17): the same commands, less set-up.

A user meets the whole process, and two costs of typer (0.29) come before any work:

- on every call typer builds every registered command's parameters from its signature
  (``inspect.signature`` and ``typing.get_type_hints`` of ~20 functions): ~15-20 ms CPU.
  :func:`app_for` returns an app holding only the command the arguments name, with the
  same root callback and settings, so only that command is built;
- typer converts each parameter's value with a pydantic ``TypeAdapter``, built on first
  use, also for an option that was not given: importing pydantic and building the adapters
  costs ~80 ms CPU. :class:`PlainCommand` converts the values that need no validation
  itself, with typer's own rules: a missing value stays None, a text value of a ``str``
  parameter stays that text, and a ``Path`` parameter's text becomes ``Path(text)`` (what
  pydantic's Path validation gives) before typer's own path checks
  (``typer._param_types.coerce_cli_path``: exists, readable, ... as declared). For an
  ``int``, ``float`` or ``bool`` parameter without bounds or a custom parser, a value that
  already has that type (a flag, a default) is returned as it is, and a text value in plain
  decimal form (``50``, ``-3``, ``0.01``, ``1e-3``) becomes ``int(text)`` or ``float(text)``,
  which is what pydantic returns for those texts. Any other value or type (``1_000``,
  `` 5``, ``inf``, a bad value and its error message) goes to typer's own conversion.
  Without those typer internals (another typer version) nothing is changed.

``tests/test_cli_startup.py`` checks that ``--help`` of every command is unchanged and
that ``sianode cycles FILE --json`` imports neither pydantic nor pandas.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer's own path checks, which take a Path without pydantic
    from typer._param_types import coerce_cli_path as _coerce_cli_path
except ImportError:  # pragma: no cover - another typer version: typer converts paths
    _coerce_cli_path = None


#: Texts whose int / float value Python and pydantic read alike (anything else: typer's own).
_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")


class _PlainValue:
    """Stands in for typer's runtime coercion of one parameter (``coerce(value, param,
    ctx)``) and hands every case it does not cover to typer's own."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None  # as typer's RuntimeParam.coerce
        desc = param.type_descriptor
        ann, info = desc.annotation, desc.parameter_info
        if not multi and isinstance(value, str) and info.parser is None:
            if ann is str:
                return value  # typer's str adapter returns a text value as it is
            if ann is Path and _coerce_cli_path is not None:
                return _coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        plain_number = (
            not multi
            and info.parser is None
            and getattr(info, "click_type", None) is None
            and info.min is None
            and info.max is None
        )
        if plain_number and ann in (int, float, bool) and type(value) is ann:
            return value  # a flag or a default of the declared type, as pydantic returns it
        if plain_number and isinstance(value, str):
            if ann is int and _INT_TEXT.match(value):
                return int(value)
            if ann is float and _FLOAT_TEXT.match(value):
                return float(value)
        param._runtime_param = None  # typer's own conversion, from now on
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def _plain(params: list[Any]) -> list[Any]:
    """``params`` with :class:`_PlainValue` as the coercion of each typer parameter that
    has none yet (typer builds its own on first use)."""
    for p in params:
        if getattr(p, "type_descriptor", None) is not None and (
            getattr(p, "_runtime_param", 0) is None
        ):
            p._runtime_param = _PlainValue()
    return params


class PlainCommand(TyperCommand):
    """A typer command whose plain values are converted without pydantic (module doc)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class PlainGroup(TyperGroup):
    """The root group of :func:`app_for`: its ``--version`` and ``--help`` likewise."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


def app_for(app: typer.Typer, args: list[str], settings: dict[str, Any]) -> typer.Typer:
    """``app`` reduced to the command that ``args`` names (its first word that is not an
    option), or ``app`` itself for ``--help``, an unknown name or a command group.

    ``settings`` are the keyword arguments ``app`` was made with.
    """
    name = next((a for a in args if not a.startswith("-")), None)
    info = next((c for c in app.registered_commands if name and c.name == name), None)
    if info is None:
        return app
    one = copy.copy(info)
    if one.cls in (None, TyperCommand):
        one.cls = PlainCommand
    small = typer.Typer(**settings, cls=PlainGroup)
    small.registered_callback = app.registered_callback
    small.registered_commands = [one]
    return small
