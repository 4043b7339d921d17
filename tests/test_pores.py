"""Pore geometry from BET area and pore size (physics.md section 2)."""

from __future__ import annotations

import numpy as np
import pytest

from sianode.errors import ParameterError
from sianode.pores import (
    pore_volume,
    pore_volume_from_porosity,
    porosity_from_pore_volume,
    wall_thickness,
)

S_BET, D_PORE = 213.0, 5.9  # study.md: 213 m2/g, 5.9 nm


@pytest.mark.parametrize(
    "model, vp, phi",
    [
        ("cylinder", 0.314, 0.423),  # physics.md §2.2 (hand derivation: S d / 4)
        ("sphere", 0.209, 0.328),  # physics.md §2.2 (S d / 6)
        ("slit", 0.628, 0.594),  # physics.md §2.2 (S d / 2)
    ],
)
def test_pore_models(model, vp, phi):
    v = pore_volume(S_BET, D_PORE, model)
    assert v == pytest.approx(vp, abs=1e-3)
    assert porosity_from_pore_volume(v, 2.329) == pytest.approx(phi, abs=1e-3)


def test_cylinder_reference_numbers():
    # task: pore volume 0.314 cm3/g and porosity 0.42 for cylinders at 213 m2/g, 5.9 nm
    v = pore_volume(S_BET, D_PORE)
    assert v == pytest.approx(0.314, abs=5e-4)
    assert porosity_from_pore_volume(v) == pytest.approx(0.42, abs=5e-3)


def test_pore_volume_array_input():
    s = np.array([213.0, 106.5])
    v = pore_volume(s, D_PORE)
    np.testing.assert_allclose(v, [0.3142, 0.1571], atol=1e-4)  # linear in S
    np.testing.assert_allclose(porosity_from_pore_volume(v), [0.4225, 0.2679], atol=1e-4)
    assert isinstance(pore_volume(S_BET, D_PORE), float)


@pytest.mark.parametrize(
    "shape, t",
    [("plate", 4.0), ("rod", 8.1), ("sphere", 12.1)],  # physics.md §2.2 (k / (rho S))
)
def test_wall_thickness(shape, t):
    assert wall_thickness(S_BET, shape) == pytest.approx(t, abs=0.05)


def test_wall_thickness_array():
    np.testing.assert_allclose(wall_thickness(np.array([213.0, 426.0])), [4.03, 2.02], atol=0.01)


def test_template_round_trip():
    # physics.md §1.4: template porosity 0.483 <-> 0.401 cm3/g
    assert pore_volume_from_porosity(0.483) == pytest.approx(0.401, abs=1e-3)
    np.testing.assert_allclose(
        porosity_from_pore_volume(pore_volume_from_porosity(np.array([0.0, 0.42, 0.483]))),
        [0.0, 0.42, 0.483],
    )


@pytest.mark.parametrize("phi", [-0.01, 1.0, 2.0])
def test_porosity_out_of_range(phi):
    with pytest.raises(ParameterError, match="porosity"):
        pore_volume_from_porosity(phi)


def test_bad_input():
    with pytest.raises(ParameterError, match="pore_model"):
        pore_volume(S_BET, D_PORE, "hexagon")
    with pytest.raises(ParameterError, match="bet_area"):
        pore_volume(-1.0, D_PORE)
    with pytest.raises(ParameterError, match="pore_diameter"):
        pore_volume(S_BET, 0.0)
    with pytest.raises(ParameterError, match="bet_area"):
        wall_thickness(0.0)


def test_porosity_from_bet_and_its_inverse():
    # 213 m2/g, 5.9 nm cylinders: V_p = 213 * 5.9 / 4 * 1e-3 = 0.314175 cm3/g,
    # phi = V_p / (V_p + 1/2.329) = 0.42254 (physics.md 2.2: 0.423)
    from sianode.pores import bet_area_from_porosity, porosity_from_bet

    phi = porosity_from_bet(213, 5.9)
    assert phi == pytest.approx(0.314175 / (0.314175 + 1 / 2.329), rel=1e-12)
    assert porosity_from_bet(213, 5.9, "sphere") == pytest.approx(0.32787, abs=1e-5)
    for model in ("cylinder", "slit", "sphere"):
        back = bet_area_from_porosity(porosity_from_bet(213, 5.9, model), 5.9, model)
        assert back == pytest.approx(213, rel=1e-12)
    with pytest.raises(ParameterError, match="pore_diameter"):
        bet_area_from_porosity(0.4, 0.0)
