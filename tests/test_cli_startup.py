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
