"""Small sweep specs shared by the sweep tests (few designs, few cycles)."""

from __future__ import annotations

import pytest

SMALL = """
[sweep]
name = "small"
material = "nanoporous"
cycles = 6

[fixed]
beta = 0.005
stack_pressure = "60 MPa"

[parameters.porosity]
values = [0.0, 0.35, 0.7]

[parameters.particle_radius]
values = ["0.5 um", "1 um"]

[parameters.lithiation_capacity_limit]
values = ["1200 mAh/g", "3000 mAh/g"]

[parameters.current_density]
values = ["0.3 mA/cm2", "1 mA/cm2"]

[outputs]
retention_at = [6]
capacity_at = [1, 6]
coulombic_efficiency_at = [3]
"""

#: Slower designs (radial diffusion) so that a run can be interrupted mid-way.
SLOW = """
[sweep]
name = "slow"
material = "dense"
cycles = {cycles}

[fixed]
beta = 0.005

[options]
diffusion = "radial"

[parameters.porosity]
values = [0.0, 0.2, 0.4, 0.6]

[parameters.particle_radius]
values = ["0.3 um", "0.5 um", "1 um"]

[parameters.conductivity]
values = ["0.2 mS/cm", "0.4 mS/cm"]

[outputs]
retention_at = [{cycles}]
capacity_at = [1]
"""


@pytest.fixture
def small_spec():
    from sianode.sweep.spec import parse_spec

    return parse_spec(SMALL)


@pytest.fixture
def slow_spec_text():
    return SLOW
