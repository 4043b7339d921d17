"""Which measurement narrows the band: conditioning, and the cell resistance it uses."""

from __future__ import annotations

import numpy as np
import pytest

from sianode.simulation.cells import cell_from_study
from sianode.uncertainty.measurements import (
    Measurement,
    cell_resistance,
    rank_measurements,
    weighted_quantiles,
)


def test_precise_measurement_of_the_driving_input_narrows_the_band():
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, 4000)  # the input that drives the prediction
    z = rng.uniform(1.0, 2.0, 4000)  # an input that does not
    pred = 10 * x + rng.normal(0, 0.1, x.size)
    obs = {"x": x, "z": z}
    ms = (
        Measurement("x, precise", "x", 0.005, True, "test"),
        Measurement("x, rough", "x", 0.2, True, "test"),
        Measurement("z, precise", "z", 0.005, True, "test"),
    )
    rows = {r["measurement"]: r for r in rank_measurements(pred, obs, ms, n_draws=40)}
    assert rows["x, precise"]["band_width_reduction_pct"] > 80
    assert (
        0
        < rows["x, rough"]["band_width_reduction_pct"]
        < rows["x, precise"]["band_width_reduction_pct"]
    )
    assert abs(rows["z, precise"]["band_width_reduction_pct"]) < 10
    ranked = rank_measurements(pred, obs, ms, n_draws=40)
    assert ranked[0]["measurement"] == "x, precise"


def test_weighted_quantiles_equal_weights_and_point_mass():
    v = np.arange(1.0, 101.0)
    assert weighted_quantiles(v, np.ones(100), [0.5])[0] == pytest.approx(50.5)
    w = np.zeros(100)
    w[41] = 1.0
    assert weighted_quantiles(v, w, [0.05, 0.95]) == pytest.approx([42.0, 42.0])


def test_cell_resistance_by_hand(study):
    """The study's dense cell: the separator alone is 602 um / (0.02 S/m 0.9^1.5) =
    353 ohm cm2 (issue 14 item 2); the other terms by hand from CellParameters."""
    c, _ = cell_from_study(study, "dense")
    r_sep = c.separator_thickness / (c.conductivity * c.separator_se_fraction**1.5)
    assert r_sep * 1e4 == pytest.approx(353, rel=0.01)
    r_comp = c.electrode_thickness / (3 * c.conductivity * c.electrode_se_fraction**1.5)
    a_c = c.contact_coverage * 3 * c.si_mass / 2329.0 / c.particle_radius
    i0 = c.k0 * np.sqrt((0.5 + 0.01) * (0.5 + 0.01))
    rt_f = 8.314462618 * c.temperature / 96485.33212
    expected = r_sep + r_comp + rt_f / (i0 * a_c) * c.area + rt_f / c.counter_i0
    assert float(cell_resistance(c)) == pytest.approx(expected, rel=1e-9)
    # half the Si connected: composite and charge-transfer terms double
    half = float(cell_resistance(c, 0.5))
    assert half - expected == pytest.approx(r_comp + rt_f / (i0 * a_c) * c.area, rel=1e-9)
