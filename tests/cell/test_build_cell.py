"""build_cell and the material descriptors: overrides re-derive what follows from them.

Expected values are worked by hand from the relations cited (sianode.pores, physics.md 4.2),
with the reference study's numbers (213 m2/g, 5.9 nm, Si 2.329 g/cm3, 2.5 um and 1 um radii).
"""

from __future__ import annotations

import pytest

from sianode.cell import (
    buffering_limit_capacity,
    buffering_limit_x,
    build_cell,
    material_porosity,
    porosity_bounds,
)
from sianode.errors import ParameterError
from sianode.study import Study, load_study


@pytest.fixture(scope="module")
def study():
    return load_study()


def _with(study, **mat):
    raw = {k: v for k, v in study.raw.items()}
    raw["materials"] = {k: dict(v) for k, v in study.raw["materials"].items()}
    raw["materials"]["nanoporous"].update(mat)
    return Study(raw=raw, path=study.path)


def test_porosity_bounds_from_the_study(study):
    # sphere pores: V_p = 213 * 5.9 / 6 * 1e-3 = 0.20945 cm3/g; phi = V_p / (V_p + 1/2.329)
    (low, why_low), (high, why_high) = porosity_bounds(study, "nanoporous")
    assert low == pytest.approx(0.20945 / (0.20945 + 1 / 2.329), rel=1e-4)
    assert "sphere" in why_low
    assert high == pytest.approx(0.483, abs=5e-4) and "template" in why_high  # README
    assert porosity_bounds(study, "dense") == []
    # without a synthesis section: slit pores (V_p = 213 * 5.9 / 2 * 1e-3 = 0.62835 cm3/g)
    raw = {k: v for k, v in study.raw.items() if k != "synthesis"}
    (_, _), (high2, why2) = porosity_bounds(Study(raw=raw, path=study.path), "nanoporous")
    assert high2 == pytest.approx(0.62835 / (0.62835 + 1 / 2.329), rel=1e-4) and "slit" in why2


def test_buffering_limit():
    # eta phi / ((1 - phi) 0.749) = 0.42 / (0.58 * 0.749) = 0.96681; x F / (3.6 M_Si)
    assert buffering_limit_x(0.42) == pytest.approx(0.96681, rel=1e-5)
    assert buffering_limit_x(0.42, 0.5) == pytest.approx(0.96681 / 2, rel=1e-5)
    assert buffering_limit_capacity(0.42) == pytest.approx(
        0.96681 * 96485.33212 / (3.6 * 28.0855), rel=1e-4
    )
    assert buffering_limit_capacity(0.0) == 0.0


def test_porosity_override_rebuilds_geometry(study):
    base, _ = build_cell(study, "nanoporous")
    cell, prov = build_cell(study, "nanoporous", porosity=0.483)
    # issue 15: 18.17 um at the BET porosity 0.4225, 19.10 um at 0.483 (the Si envelope
    # m / (rho (1 - phi)) grows, the rest of the composite does not)
    assert base.electrode_thickness == pytest.approx(18.17e-6, abs=0.005e-6)
    assert cell.electrode_thickness == pytest.approx(19.10e-6, abs=0.005e-6)
    assert cell.envelope_fraction > base.envelope_fraction
    assert cell.electrode_se_fraction < base.electrode_se_fraction
    assert cell.porosity == 0.483 and prov["porosity"]["source"] == "override"
    # the measured BET area and its walls stay: porosity alone does not change them
    assert cell.surface_area == base.surface_area and cell.wall_size == base.wall_size


def test_bet_override_rederives_a_derived_porosity(study):
    # cylinders: V_p = 150 * 5.9 / 4 * 1e-3 = 0.22125 cm3/g -> phi = 0.34006
    cell, _ = build_cell(study, "nanoporous", bet_area=150)
    assert cell.porosity == pytest.approx(0.22125 / (0.22125 + 1 / 2.329), rel=1e-9)
    assert cell.surface_area == pytest.approx(150e3)
    assert cell.wall_size == pytest.approx(2 / (2.329 * 150) * 1e-6, rel=1e-9)  # 2/(rho S)
    assert material_porosity(study, "nanoporous", overrides={"bet_area": 150}) == cell.porosity
    # a porosity typed into the study is a measurement: a BET override leaves it alone
    typed = _with(study, porosity=0.3)
    assert build_cell(typed, "nanoporous", bet_area=150)[0].porosity == 0.3
    # None removes a descriptor: no BET area -> no pores, external area of 2.5 um spheres
    none, _ = build_cell(study, "nanoporous", bet_area=None)
    assert none.porosity == 0.0
    assert none.surface_area == pytest.approx(3 / (2329 * 2.5e-6), rel=1e-12)


def test_particle_radius_override_rederives_dense_surface(study):
    cell, prov = build_cell(study, "dense", particle_radius=2e-6)
    assert cell.particle_radius == 2e-6
    assert cell.surface_area == pytest.approx(3 / (2329 * 2e-6), rel=1e-12)  # 3/(rho R)
    assert cell.wall_size == pytest.approx(4e-6, rel=1e-12)
    assert prov["particle_radius"]["value"] == pytest.approx(2.0)
    # a string with a unit is a descriptor value, converted
    assert build_cell(study, "dense", particle_radius="2 um")[0].surface_area == cell.surface_area


def test_cell_input_override_and_direct_field(study):
    cell, prov = build_cell(study, "dense", composite_mass="3 mg")
    assert cell.si_mass == pytest.approx(3 * 0.36 * 1e-6)
    assert prov["composite_mass"]["value"] == 3.0
    base, _ = build_cell(study, "dense")
    assert cell.electrode_thickness == pytest.approx(1.5 * base.electrode_thickness)
    # a derived field set directly is taken as given
    assert build_cell(study, "dense", electrode_thickness=20e-6)[0].electrode_thickness == 20e-6


def test_material_record_as_data(study):
    record = {
        "name": "np-record",
        "values": {
            "bet_area": {"value": 213.0, "unit": "m2/g", "source": "test", "method": "BET"},
            "pore_diameter": {"value": 5.9, "unit": "nm", "source": "test", "method": "PSD"},
            "particle_radius": {"value": 2.5, "unit": "um", "source": "test", "method": "typed"},
        },
    }
    cell, prov = build_cell(study, record)
    ref, _ = build_cell(study, "nanoporous")
    assert cell.porosity == ref.porosity
    assert cell.electrode_thickness == ref.electrode_thickness
    assert prov["bet_area"]["source"] == "test"


def test_bad_overrides(study):
    with pytest.raises(ParameterError, match="unknown cell parameter 'porsity'"):
        build_cell(study, "dense", porsity=0.3)
    with pytest.raises(ParameterError, match="porosity"):
        build_cell(study, "nanoporous", porosity=1.2)
    with pytest.raises(ParameterError, match="graphite"):
        build_cell(study, "graphite")


def test_contact_area(study):
    from sianode.cell.geometry import contact_area

    # 0.5 * 3 * (0.72e-6 kg / 2329 kg/m3) / 1e-6 m = 4.637e-4 m2
    assert contact_area(0.72e-6, 0.0, 1e-6, 0.5) == pytest.approx(4.637e-4, rel=1e-3)
    dense, _ = build_cell(study, "dense")
    assert dense.contact_area == contact_area(
        dense.si_mass, 0.0, dense.particle_radius, dense.contact_coverage
    )
    # porous particles of the same mass have a larger envelope: 1 / (1 - phi) more area
    porous, _ = build_cell(study, "dense", porosity=0.5)
    assert porous.contact_area == pytest.approx(2 * dense.contact_area, rel=1e-12)
