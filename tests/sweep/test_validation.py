"""Spec validation before anything runs (issue 16, "Sweeps" and "Study files"): each bad
spec is exit 2 with one line naming the key, and no sweep folder is created."""

from __future__ import annotations

import json

import pytest

from sianode.errors import ParameterError
from sianode.sweep.spec import parse_spec

GOOD = """
[sweep]
material = "nanoporous"
cycles = 3
[fixed]
beta = 0.005
[parameters.porosity]
values = [0.0, 0.4]
"""


def _run_cli(tmp_path, text, capsys):
    from sianode.cli import main

    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    code = main(["sweep", str(spec), "--out", str(out), "--quiet", "--no-report"])
    err = capsys.readouterr().err.strip()
    return code, err, out


@pytest.mark.parametrize(
    "text, words",
    [
        # misspelt material: ran as a new, empty material before (runner setdefault)
        (GOOD.replace('"nanoporous"', '"nanoporus"'), ["sweep.material", "'nanoporous'"]),
        # an empty spec ran one design
        ("", ["empty"]),
        ("# only a comment\n", ["empty"]),
        # porosity 1.2 gave invalid designs and exit 0
        (GOOD.replace("[0.0, 0.4]", "[0.0, 1.2]"), ["parameters.porosity", "1.2"]),
        # unknown keys in known sections were ignored (or listed without a suggestion)
        (GOOD.replace("cycles = 3", "cycles = 3\nmaterail = 'dense'"), ["materail", "'material'"]),
        (GOOD.replace("values =", "valeus ="), ["valeus", "'values'"]),
        (GOOD + "[outputs]\nretention_a = [3]\n", ["retention_a", "'retention_at'"]),
        (GOOD + "[sampling]\nmethd = 'lhs'\n", ["methd", "'method'"]),
        (GOOD + "[table]\ncolumns = ['beta']\nrow = [[0.1]]\n", ["row", "'rows'"]),
        (GOOD + "[protocol]\ntxt = 'Rest for 1 s'\n", ["txt", "'text'"]),
        (
            GOOD
            + "[table]\ncolumns = ['damage_exponent']\nrows = [[2.0]]\nunits = {damage_exponet = '1'}\n",
            ["damage_exponet", "'damage_exponent'"],
        ),
        (
            GOOD.replace("beta = 0.005", "oxide_thicknes = '2 nm'"),
            ["oxide_thicknes", "'oxide_thickness'"],
        ),
        (GOOD + "[options]\ndifusion = 'radial'\n", ["difusion", "'diffusion'"]),
        (GOOD + "[parametres.x]\nvalues = [1]\n", ["parametres", "'parameters'"]),
        (GOOD.replace("cycles = 3", "cycles = 3\nstudy = 'nope.toml'"), ["sweep.study", "nope"]),
        # a value with no static range that still builds no cell (conductivity < 0)
        (
            GOOD + "[parameters.conductivity]\nvalues = [0.2, -1.0]\n",
            ["parameters.conductivity", "-1"],
        ),
    ],
)
def test_bad_spec_is_one_line_exit_2_before_anything_runs(tmp_path, capsys, text, words):
    code, err, out = _run_cli(tmp_path, text, capsys)
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists(), "a sweep folder was created for an invalid spec"


def test_nothing_to_sweep_is_an_error():
    with pytest.raises(ParameterError, match="nothing to sweep"):
        parse_spec("[sweep]\ncycles = 3\n[fixed]\nbeta = 0.005\n")


def test_physical_ranges_at_parse_time():
    for block, key in [
        ("[parameters.porosity]\nmin = 0.1\nmax = 1.2\nn = 3", "parameters.porosity.max"),
        ("[parameters.particle_radius]\nvalues = ['-1 um']", "parameters.particle_radius"),
        ("[fixed]\nporosity = 1.0\n[parameters.beta]\nvalues = [0.1]", "fixed.porosity"),
        ("[table]\ncolumns = ['current_density']\nrows = [[0.0]]", "table.current_density"),
    ]:
        with pytest.raises(ParameterError, match=key.replace(".", r"\.")):
            parse_spec("[sweep]\ncycles = 3\n" + block)


def test_meta_is_free_form_stored_and_not_identity(tmp_path):
    from sianode.sweep.engines import run_sweep

    meta = (
        '[meta]\nauthor = "A. Researcher"\nbatch = 7\nnotes = { oven = "B", anything = [1, 2] }\n'
    )
    a = parse_spec(meta + GOOD)
    b = parse_spec(GOOD)
    assert a.meta["notes"]["oven"] == "B" and a.meta["batch"] == 7
    assert a.fingerprint() == b.fingerprint()  # metadata does not make it another sweep
    run_sweep(a, tmp_path / "o", limit=1)
    stored = json.loads((tmp_path / "o" / "sweep.json").read_text())
    assert stored["meta"]["author"] == "A. Researcher"
    run_sweep(b, tmp_path / "o")  # same sweep without the metadata: resumes, not refused


def test_validation_does_not_run_designs(monkeypatch):
    """validate_spec builds cells and protocols only; the simulator is never called."""
    from sianode.sweep import runner
    from sianode.sweep.validate import validate_spec

    def boom(*a, **k):
        raise AssertionError("simulated during validation")

    monkeypatch.setattr(runner, "simulate_batch", boom)
    validate_spec(parse_spec(GOOD))
