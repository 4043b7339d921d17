"""One porosity, one cell: a study file, a sweep design, a band sample and a what-if agree.

Before sianode.cell, the band and the what-ifs overwrote ``CellParameters.porosity`` and kept
the electrode geometry of the study's porosity (18.17 um instead of 19.10 um), while a study
file and a sweep design re-derived it. Here the same nanoporous Si at porosity 0.45 with
5.9 nm cylindrical pores (BET area from :func:`sianode.pores.bet_area_from_porosity`) is
reached four ways; thickness, volume fractions and the 50-cycle retention must agree.
"""

from __future__ import annotations

import pytest

from sianode.calibration import Calibration, predict, sensitivity_band
from sianode.cell import ModelOptions, build_cell
from sianode.pores import bet_area_from_porosity
from sianode.report.reproduce import _whatifs, porosity_whatif_cells
from sianode.study import load_study, reference_study_path
from sianode.sweep.engines import run_sweep
from sianode.sweep.runner import DesignRunner
from sianode.sweep.spec import column_name, parse_spec
from sianode.sweep.store import read_results

PHI = 0.45  # on the what-if grid (0, 0.05, ..., 0.7)
D_NM = 5.9  # the reference study's pore diameter
BETA = 0.005
CYCLES = 50
S_M2_G = float(bet_area_from_porosity(PHI, D_NM, "cylinder"))
CAL = Calibration("beta", BETA, 0.17, 0.17, CYCLES, "dense", 2.0, 0, "fixed for this test")


def _study_file(tmp_path, name, extra=""):
    text = reference_study_path().read_text(encoding="utf-8")
    assert 'bet_area = "213 m2/g"' in text
    # the first bet_area line is the material's; [reported] has one too (shown, never used)
    text = text.replace('bet_area = "213 m2/g"', f'bet_area = "{S_M2_G!r} m2/g"{extra}', 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_study(path)


@pytest.fixture(scope="module")
def four_ways(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("porosity")
    out = {}
    # 1. a study file: BET area and pore size typed in, porosity derived (cylinders) = PHI
    study_a = _study_file(tmp, "a.toml")
    res = predict(CAL, study_a, "nanoporous", ModelOptions(), CYCLES, record=False)
    out["study file"] = (res.cell, res.retention_at(CYCLES))
    # 2. a sweep design on the reference study
    spec = parse_spec(
        f"""
[sweep]
material = "nanoporous"
cycles = {CYCLES}
[fixed]
beta = {BETA}
[table]
columns = ["porosity", "bet_area"]
rows = [[{PHI}, {S_M2_G!r}]]
"""
    )
    summary = run_sweep(spec, tmp / "sweep", engine="batch")
    assert summary.complete
    row = read_results(tmp / "sweep").iloc[0]
    assert row[column_name("porosity")] == PHI
    cell = DesignRunner(spec.payload()).cell_for({"porosity": PHI, "bet_area": S_M2_G})
    out["sweep design"] = (cell, float(row[f"retention_c{CYCLES} / 1"]))
    # 3. a band sample on a study whose typed porosity (0.30) is not PHI
    study_b = _study_file(tmp, "b.toml", "\nporosity = 0.30")
    assert build_cell(study_b, "nanoporous")[0].porosity == 0.30
    band = sensitivity_band(CAL, study_b, "nanoporous", (PHI,), (), (), ModelOptions())
    assert band.rows[1]["variation"] == f"porosity {PHI:.3f}"
    cell = predict(CAL, study_b, "nanoporous", None, 1, record=False, porosity=PHI).cell
    out["band sample"] = (cell, band.rows[1]["retention"])
    # 4. the what-if of the report (retention vs porosity at fixed pore size)
    ref = load_study()
    w = _whatifs(ref, BETA, 2.0, CYCLES, ModelOptions())
    i = w["porosity"]["porosity"].index(PHI)
    cell = porosity_whatif_cells(ref, [PHI], beta=BETA, damage_exponent=2.0)[0]
    out["what-if"] = (cell, w["porosity"]["retention"][i])
    return out


def test_same_porosity_same_geometry(four_ways):
    ref_cell, _ = four_ways["study file"]
    assert ref_cell.porosity == pytest.approx(PHI, rel=1e-12)
    # not the study's own porosity (0.4225): the geometry really had to be re-derived
    study_cell, _ = build_cell(load_study(), "nanoporous")
    assert ref_cell.electrode_thickness > study_cell.electrode_thickness * 1.01
    for way, (cell, _ret) in four_ways.items():
        for name in (
            "porosity",
            "electrode_thickness",
            "envelope_fraction",
            "electrode_se_fraction",
            "surface_area",
            "contact_area",
        ):
            assert getattr(cell, name) == pytest.approx(getattr(ref_cell, name), rel=1e-12), (
                way,
                name,
            )


def test_same_porosity_same_retention(four_ways):
    _cell, ref_ret = four_ways["study file"]
    assert 0.05 < ref_ret < 1.0
    for way, (_cell, ret) in four_ways.items():
        # the sweep runs the batch engine: equal to the single run to 1e-9, not bit for bit
        assert ret == pytest.approx(ref_ret, rel=1e-9), way
