"""Whole-process start-up shortcuts of the console script (issue 17).

Checked from outside, in fresh processes: ``python -X importtime`` lists every module a run
imported, so a test can assert what a command did *not* import.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from sianode.cli import main

_PROGRAM = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('ATEXIT-RAN', file=sys.stderr))\n"
    "from sianode.cli import main\n"
    "sys.argv = ['sianode'] + sys.argv[1:]\n"
    "sys.exit(main())\n"
)


def _program(*args, env=None):
    """Run the CLI as the console script does (main() without arguments)."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROGRAM, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
    )


def _imported(stderr: str) -> set[str]:
    return set(re.findall(r"^import time:.*\|\s+(\S+)\s*$", stderr, flags=re.M))


def test_simulate_reuses_calibration_and_exits_quickly(tmp_path, monkeypatch, capsys):
    import os

    env = dict(os.environ, SIANODE_CACHE_DIR=str(tmp_path))
    args = ["simulate", "--material", "dense", "--cycles", "5", "--json"]
    first = _program(*args, env=env)
    assert first.returncode == 0, first.stderr[-500:]
    assert "sianode.calibration" in _imported(first.stderr)  # computed and stored
    second = _program(*args, env=env)
    assert second.returncode == 0
    mods = _imported(second.stderr)
    assert "sianode.calibration" not in mods and "scipy.optimize" not in mods  # read back
    assert "pint" not in mods
    assert "pandas" not in mods  # the JSON is built from numpy columns (issue 17)
    assert "ATEXIT-RAN" not in second.stderr  # os._exit after the JSON was flushed
    assert json.loads(second.stdout) == json.loads(first.stdout)
    # the same numbers as an in-process call, which neither caches nor exits
    monkeypatch.setenv("SIANODE_NO_CACHE", "1")
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(second.stdout)


def test_error_path_exits_normally(tmp_path):
    bad = _program("simulate", "--material", "nope", "--json")
    assert bad.returncode == 2
    assert "ATEXIT-RAN" in bad.stderr  # no shortcut on failure


def test_sorption_program_does_not_import_coolprop(external_data, capsys):
    pytest.importorskip("pygaps")
    f = external_data / "materials" / "isotherms" / "pygaps_SiO2_N2_77K.json"
    run = _program("sorption", f, "--json")
    assert run.returncode == 0, run.stderr[-500:]
    mods = _imported(run.stderr)
    # the refused `import CoolProp` is listed too, but none of its modules is loaded
    assert "pygaps" in mods and "CoolProp.CoolProp" not in mods
    assert not any(m.startswith("CoolProp.") for m in mods)
    assert main(["sorption", str(f), "--json"]) == 0  # in process: CoolProp as usual
    assert json.loads(run.stdout) == json.loads(capsys.readouterr().out)


def _command_names() -> list[str]:
    from sianode.cli import app

    return [c.name for c in app.registered_commands if c.name]


@pytest.mark.parametrize("name", _command_names())
def test_one_command_app_prints_the_same_help(name, capsys):
    """main() builds only the command it runs (issue 17: typer built all 17 on each call,
    ~15-20 ms): the reduced app shows the same help as the full one."""
    from sianode.cli import _SETTINGS, app
    from sianode.cli._startup import app_for

    small = app_for(app, [name, "--help"], _SETTINGS)
    assert small is not app and [c.name for c in small.registered_commands] == [name]
    helps = []
    for a in (app, small):
        a(args=[name, "--help"], standalone_mode=False)
        helps.append(capsys.readouterr().out)
    assert helps[0] == helps[1]
    assert name in helps[0]
    assert app_for(app, ["--help"], _SETTINGS) is app
    assert app_for(app, ["no-such-command"], _SETTINGS) is app


@pytest.mark.parametrize("value", [None, "abc", "", " 0.72 mg ", "a/b/", "./x//y.mpr", "-"])
def test_plain_values_are_typer_own(value, tmp_path):
    """What the pydantic-free conversion returns for text and path parameters is what
    typer's own (pydantic) conversion returns, parameter by parameter."""
    import typer

    from sianode.cli import _SETTINGS, app
    from sianode.cli._startup import _PlainValue, app_for

    cmd = typer.main.get_command(app_for(app, ["cycles"], _SETTINGS)).commands["cycles"]
    ctx = cmd.make_context("cycles", [str(tmp_path)], resilient_parsing=True)
    checked = 0
    for p in cmd.get_params(ctx):
        desc = getattr(p, "type_descriptor", None)
        if desc is None or desc.annotation is bool:
            continue
        assert isinstance(p._runtime_param, _PlainValue)
        got = p._runtime_param.coerce(value, param=p, ctx=ctx)
        p._runtime_param = None  # typer's own
        want = p.get_runtime_param().coerce(value, param=p, ctx=ctx)
        assert got == want and type(got) is type(want), (p.name, value)
        p._runtime_param = _PlainValue()
        checked += 1
    assert checked == 8  # file, 6 text options, --out


@pytest.mark.parametrize(
    "value",
    [
        None,
        "50",
        "-3",
        "+7",
        "0",
        "0.01",
        "1e-3",
        ".5",
        "5.",
        "2E+2",
        "1_000",
        " 5",
        "inf",
        "nan",
        "abc",
        "",
        "0x10",
        True,
        False,
        0.01,
        7,
    ],
)
def test_plain_numbers_and_flags_are_typer_own(value):
    """``simulate``'s int, float and bool parameters (``--cycles``, ``--beta``,
    ``--dead-below``, ``--json``): the pydantic-free conversion returns what typer's own
    returns, or both fail with the same message."""
    import typer

    from sianode.cli import _SETTINGS, app
    from sianode.cli._startup import _PlainValue, app_for

    cmd = typer.main.get_command(app_for(app, ["simulate"], _SETTINGS)).commands["simulate"]
    ctx = cmd.make_context("simulate", [], resilient_parsing=True)

    def convert(p):  # noqa: ANN001, ANN202
        try:
            got = p._runtime_param.coerce(value, param=p, ctx=ctx)
            return type(got), got
        except Exception as exc:  # noqa: BLE001 - compared, not handled
            return "error", type(exc).__name__, str(exc)

    checked = set()
    for p in cmd.get_params(ctx):
        desc = getattr(p, "type_descriptor", None)
        if desc is None or desc.annotation not in (int, float, bool):
            continue
        assert isinstance(p._runtime_param, _PlainValue)
        got = convert(p)
        p._runtime_param = None
        p._runtime_param = p.get_runtime_param()  # typer's own (pydantic)
        want = convert(p)
        same = got == want or (repr(got) == repr(want) and "nan" in repr(got))
        assert same, (p.name, value, got, want)
        p._runtime_param = _PlainValue()
        checked.add(p.name)
    assert {"cycles", "beta", "json_out", "dead_below"} <= checked


def test_program_runs_blas_single_threaded_unless_told():
    """The console script sets OPENBLAS_NUM_THREADS=1 before numpy loads (its thread pools
    spun 0.1-0.2 s of CPU per process, issue 17); a user's own value is kept, and an
    in-process ``main([...])`` call leaves the environment alone."""
    import os

    code = (
        "import io, os, sys, contextlib\n"
        "sys.argv = ['sianode', 'version']\n"
        "from sianode.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "1", run.stderr[-300:]
    env["OPENBLAS_NUM_THREADS"] = "2"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "2"
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    assert main(["version"]) == 0
    assert os.environ.get("OPENBLAS_NUM_THREADS") == before
