"""The priors table: schema, sources, units, inverse CDFs and the generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sianode.errors import ParameterError
from sianode.simulation.parameters import PARAM_NAMES
from sianode.uncertainty.priors import (
    DERIVED_KEYS,
    DISTRIBUTIONS,
    Prior,
    collapse,
    load_priors,
    priors_markdown,
)

ROOT = Path(__file__).resolve().parents[2]

# issue 14 B: the assumed inputs that must carry a prior
REQUIRED_KEYS = {
    "conductivity",
    "activation_energy",
    "bruggeman",
    "k0",
    "diffusivity",
    "particle_radius",
    "oxide_thickness",
    "oxide_li_per_sio2",
    "breathing_factor",
    "interphase_conductivity",
    "usable_pore_fraction",
    "damage_exponent",
    "strain_threshold",
    "c_si_plateau",
    "counter_potential",
    "counter_i0",
    "composite_relative_density",
}


def test_table_schema_and_sources():
    priors = load_priors()
    assert REQUIRED_KEYS <= {p.key for p in priors}
    radius = [p for p in priors if p.key == "particle_radius"]
    assert {m for p in radius for m in p.materials} == {"dense", "nanoporous"}
    for p in priors:
        assert p.distribution in DISTRIBUTIONS
        assert p.low <= p.high
        # a citation (a year), a physics.md section, or an honest "estimate"
        assert re.search(r"(19|20)\d\d|physics\.md|estimate", p.source), p.name
        assert p.pending == (p.key not in PARAM_NAMES and p.key not in DERIVED_KEYS)
    # the interphase growth prior includes no growth at all (issue 14 item 5)
    assert next(p for p in priors if p.key == "breathing_factor").low == 0.0


def test_units_are_converted_to_si():
    by = {p.label: p for p in load_priors()}
    assert by["conductivity"].low == pytest.approx(0.01)  # 1e-4 S/cm = 0.01 S/m
    assert by["particle_radius[dense]"].high == pytest.approx(2.5e-6)
    assert by["oxide_thickness"].low == pytest.approx(0.3e-9)


def test_inverse_cdfs():
    u = np.array([0.0, 0.025, 0.5, 0.975, 1.0])
    uni = Prior("a", "k0", "uniform", 1.0, 3.0, "1", "1", "estimate")
    assert uni.ppf(u)[[2]] == pytest.approx([2.0])
    logu = Prior("a", "k0", "loguniform", 0.1, 10.0, "1", "1", "estimate")
    assert logu.median == pytest.approx(1.0)  # geometric mean
    norm = Prior("a", "k0", "normal", 1.0, 3.0, "1", "1", "estimate")
    assert norm.ppf(u)[1:4] == pytest.approx([1.0, 2.0, 3.0])  # range = central 95 %
    logn = Prior("a", "k0", "lognormal", 1.0, 100.0, "1", "1", "estimate")
    assert logn.ppf(u)[1:4] == pytest.approx([1.0, 10.0, 100.0])
    tri = Prior("a", "k0", "triangular", 0.0, 2.0, "1", "1", "estimate", mode=1.0)
    assert tri.ppf(np.array([0.125, 0.5, 0.875])) == pytest.approx([0.5, 1.0, 1.5])
    assert np.all(np.isfinite(norm.ppf(u)))


def test_bad_entries_raise_one_line(tmp_path):
    with pytest.raises(ParameterError, match="loguniform range must be > 0"):
        Prior("a", "k0", "loguniform", 0.0, 1.0, "1", "1", "estimate")
    with pytest.raises(ParameterError, match="needs a source"):
        Prior("a", "k0", "uniform", 0.0, 1.0, "1", "1", " ")
    f = tmp_path / "p.toml"
    f.write_text('[[prior]]\nname = "x"\nkey = "k0"\ndistribution = "uniform"\nrange = [0, 1]\n')
    with pytest.raises(ParameterError, match="field 'unit' is missing"):
        load_priors(f)
    f.write_text(
        '[[prior]]\nname = "x"\nkey = "k0"\ndistribution = "weibull"\nrange = [0, 1]\n'
        'unit = "1"\nsi_unit = "1"\nsource = "estimate"\n'
    )
    with pytest.raises(ParameterError, match="weibull"):
        load_priors(f)


def test_pending_key_is_detected():
    p = Prior("future", "not_a_cell_parameter_yet", "uniform", 0.0, 1.0, "1", "1", "estimate")
    assert p.pending
    assert not Prior("x", "k0", "uniform", 0.1, 1.0, "1", "1", "estimate").pending


def test_collapse_gives_points():
    c = collapse(load_priors(), {"k0": 0.5})
    by = {p.label: p for p in c}
    assert by["k0"].low == by["k0"].high == 0.5
    assert np.all(by["bruggeman"].ppf(np.linspace(0, 1, 5)) == by["bruggeman"].low)


def test_docs_match_the_table():
    """docs/priors.md is generated from the table (python -m sianode.uncertainty.priors)."""
    assert (ROOT / "docs" / "priors.md").read_text() == priors_markdown()
