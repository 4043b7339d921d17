"""Physics functions against values derived by hand or taken from the sources in their
docstrings; each for scalar and array input."""

from __future__ import annotations

import numpy as np
import pytest

from sianode.models import degradation, electrolyte, hysteresis, kinetics, mechanics, ocp


@pytest.mark.parametrize(
    "s,u_lith,u_delith",
    # physics.md 3.4 table of the Mark2016 polynomials (derived there by script §8)
    [
        (0.1, 0.375, 0.737),
        (0.3, 0.252, 0.530),
        (0.5, 0.191, 0.426),
        (0.7, 0.123, 0.316),
        (0.9, 0.065, 0.250),
    ],
)
def test_mark2016_branches(s, u_lith, u_delith):
    assert ocp.mark2016_lithiation(s) == pytest.approx(u_lith, abs=1.5e-3)
    assert ocp.mark2016_delithiation(s) == pytest.approx(u_delith, abs=1.5e-3)
    arr = np.array([s, s])
    np.testing.assert_allclose(ocp.si_ocp_lithiation(arr), u_lith, atol=2e-3)


def test_hysteresis_mixing_and_wall():
    s = 0.5
    assert ocp.si_ocp(s, -1.0) == pytest.approx(ocp.si_ocp_lithiation(s))
    assert ocp.si_ocp(s, 1.0) == pytest.approx(ocp.si_ocp_delithiation(s))
    # wall: < 1 mV inside 0.04..0.96, pushes delithiation above 1.5 V at s = 0
    assert abs(ocp.ocp_wall(0.04)) < 1e-3 and abs(ocp.ocp_wall(0.96)) < 1e-3
    assert ocp.si_ocp_delithiation(0.0) > 1.5


def test_one_state_hysteresis():
    # exact solution: h = t + (h0 - t) exp(-K |ds|); hand: K = 20, ds = 0.05 -> e^-1
    assert hysteresis.one_state_update(1.0, 0.05, -1.0, 20.0) == pytest.approx(-1 + 2 * np.exp(-1))
    assert hysteresis.one_state_update(0.3, 0.0, -1.0, 20.0) == pytest.approx(0.3, abs=1e-15)
    np.testing.assert_allclose(
        hysteresis.one_state_update(np.array([1.0, 1.0]), np.array([0.05, 0.0]), -1.0, 20.0),
        [-1 + 2 * np.exp(-1), 1.0],
    )


def test_butler_volmer():
    # j = 2 i0 sinh(1) -> eta = 2RT/F = 52.25 mV at 303.15 K (hand derivation)
    eta = kinetics.butler_volmer_overpotential(2 * np.sinh(1.0), 1.0, 303.15)
    assert eta == pytest.approx(2 * 8.314462618 * 303.15 / 96485.33212, rel=1e-12)
    assert kinetics.exchange_current_density(0.5, 1.0, 0.0) == pytest.approx(0.5)
    np.testing.assert_allclose(kinetics.exchange_current_density(np.array([0.5]), 1.0, 0.0), [0.5])


def test_separator_resistance_physics_md():
    # physics.md 5.2: 542 um dense Li3PS4 at 3e-4 S/cm -> 181 ohm cm2
    asr = electrolyte.separator_resistance(542e-6, 0.03, 1.0, 1.5)
    assert asr * 1e4 == pytest.approx(180.7, rel=1e-3)
    # Arrhenius: 0.37 eV from 25 to 30 C multiplies sigma by 1.27 (physics.md 5.1)
    assert electrolyte.arrhenius_conductivity(1.0, 0.37, 303.15, 298.15) == pytest.approx(
        1.27, abs=0.01
    )


def test_volume_and_buffering():
    # physics.md 4.1/4.2: V/V0 = 3.808 at x = 3.75; phi = 0.42 absorbs up to x = 0.967
    assert mechanics.volume_ratio(3.75) == pytest.approx(3.809, abs=1e-3)
    assert mechanics.external_strain(3.75, 0.0, 1.0) == pytest.approx(2.809, abs=1e-3)
    x_full = mechanics.buffering_limit_x(0.42)
    assert x_full == pytest.approx(0.967, abs=1e-3)
    assert mechanics.external_strain(x_full * 0.99, 0.42, 1.0) == 0.0
    # 3000 mAh/g (x = 3.144): porous envelope +94 %, dense +235 % (physics.md 4.2)
    x = 3000 / 954.3
    assert mechanics.external_strain(x, 0.42, 1.0) == pytest.approx(0.946, abs=0.01)
    assert mechanics.external_strain(x, 0.0, 1.0) == pytest.approx(2.355, abs=0.01)
    np.testing.assert_allclose(
        mechanics.external_strain(np.array([x, x]), 0.42, 1.0), 0.946, atol=0.01
    )


def test_damage_and_side_reactions():
    assert degradation.damage_factor(0.5, 0.04, 2.0, 0.0) == pytest.approx(0.99)
    assert degradation.damage_factor(0.05, 1.0, 2.0, 0.1) == 1.0  # below threshold
    assert degradation.pressure_factor(75e6, 75e6, 0.5) == 1.0
    # physics.md 3.8: 0.5 nm oxide on 213 m2/g -> ~420 mAh/g Si
    q = degradation.oxide_charge(213.0, 0.5e-9) / 3.6  # mAh per g (area per g)
    assert q == pytest.approx(420, rel=0.05)


def test_pellet_relative_conductivity_physics_md_8_1():
    from sianode.models.electrolyte import pellet_relative_conductivity

    # a separator pressed like the measured pellet has the pellet's conductivity
    assert pellet_relative_conductivity(0.02, 0.9, 0.9, 1.5) == pytest.approx(0.02)
    # hand-derived: (0.504 / 0.9)^1.5 = 0.56^1.5 = 0.41907
    assert pellet_relative_conductivity(1.0, 0.504, 0.9, 1.5) == pytest.approx(0.41907, rel=1e-4)
    # 602 um separator at 2e-4 S/cm: 301 ohm cm2 (physics.md 5.2), v0.1 gave 353
    r_sep_ohm_cm2 = 602e-4 / (pellet_relative_conductivity(2e-4, 0.9, 0.9, 1.5))
    assert r_sep_ohm_cm2 == pytest.approx(301.0, rel=1e-3)


def test_skeleton_diffusivity_and_front_area_physics_md_8():
    from sianode.models.kinetics import shrinking_core_area_fraction, skeleton_diffusivity

    assert skeleton_diffusivity(1.0, 0.0) == 1.0
    assert skeleton_diffusivity(1.0, 0.42) == pytest.approx(0.58**1.5)  # 0.4417
    assert skeleton_diffusivity(1.67e-14, 0.42) == pytest.approx(7.377e-15, rel=1e-3)
    assert shrinking_core_area_fraction(1.0) == 1.0
    assert shrinking_core_area_fraction(0.125) == pytest.approx(0.25)  # core radius R/2
    assert shrinking_core_area_fraction(0.0) == 0.0


def test_oxide_charge_stoichiometry_physics_md_3_8():
    from sianode.models.degradation import oxide_charge

    # 0.5 nm on 213 m2/g per gram Si: 420 mAh/g at 4 Li per SiO2 (physics.md 3.8),
    # half of it on the Li4SiO4 route (Philippe et al. 2012)
    q4 = oxide_charge(213.0, 0.5e-9) / 3.6
    q2 = oxide_charge(213.0, 0.5e-9, 2.0) / 3.6
    assert q4 == pytest.approx(420.0, rel=0.01)
    assert q2 == pytest.approx(q4 / 2)
