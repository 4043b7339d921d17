"""Honest command-line output (issue 16): --version, help texts printed as written, no
``<bool>`` type on flags, no ``None`` in tables, nothing cut off at 80 columns."""

from __future__ import annotations

import pytest

from sianode import __version__
from sianode.cli import app, main
from sianode.cli._util import print_table


def _commands() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    out = []
    for name, cmd in group.commands.items():
        sub = getattr(cmd, "commands", None)
        if sub:
            out += [[name, s] for s in sub]
        else:
            out.append([name])
    return out


def test_version_option(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sianode {__version__}"


def test_units_in_brackets_survive_in_help(capsys):
    assert main(["raman", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Bulk c-Si frequency [cm-1]." in out
    assert "Bulk line width [cm-1]" in out


@pytest.mark.parametrize("argv", [[], *_commands()], ids=lambda a: " ".join(a) or "sianode")
def test_no_bool_type_on_flags(argv, capsys):
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--help" in out
    assert "<bool>" not in out


def test_tables_print_a_dash_for_missing_values(capsys):
    print_table("t", [("confinement length", None, "nm"), ("size", float("nan"), "nm")])
    out = capsys.readouterr().out
    assert "None" not in out and "nan" not in out
    assert out.count(" - ") == 2


def test_sweep_parameters_whole_at_80_columns(monkeypatch, capsys):
    from sianode.sweep.spec import PARAMETERS

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["sweep-parameters"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    names = {line.split("│")[1].strip() for line in out.splitlines() if line.count("│") > 2}
    assert set(PARAMETERS) <= names  # every name printed whole on its own row
