"""N2 sorption through pyGAPS.

Reference values
----------------
- "pyGAPS's own automatic results": ``pygaps.characterisation.area_BET(isotherm)`` with its
  defaults, computed here in the test, and ``psd_mesoporous(..., psd_model="BJH", branch="des")``.
- The published numbers asserted by pyGAPS's test suite (tests/characterisation/conftest.py @
  34279c1, quoted in ../shared/data/external/materials/README.md): BET 350 (MCM-41), 200 (SiO2),
  700 (NaY), 1075 (Takeda 5A), 1250 (UiO-66) m2/g within 10 %; MCM-41 BJH desorption peak
  3.3 nm within 5 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from sianode.characterisation import sorption
from sianode.errors import CalculationError, ParsingError

pygaps = pytest.importorskip("pygaps")

FILES = {
    "MCM-41": ("pygaps_MCM-41_N2_77K.json", 350),
    "SiO2": ("pygaps_SiO2_N2_77K.json", 200),
    "NaY": ("pygaps_NaY_N2_77K.json", 700),
    "Takeda 5A": ("pygaps_Takeda_5A_N2_77K.json", 1075),
    "UiO-66": ("pygaps_UiO-66_Zr_N2_77K.json", 1250),
}


def _path(root, name):
    return root / "materials" / "isotherms" / FILES[name][0]


@pytest.mark.parametrize("name", list(FILES))
def test_bet_matches_pygaps_automatic(external_data, name):
    import pygaps.characterisation as pgc
    import pygaps.parsing as pgp

    path = _path(external_data, name)
    ours = sorption.analyse_isotherm(path)
    iso = pgp.isotherm_from_json(path.read_text())
    ref = pgc.area_BET(iso)
    assert ours.bet.area_m2_g == pytest.approx(ref["area"], rel=0.01)
    assert ours.bet.c_const == pytest.approx(ref["c_const"], rel=0.01)
    assert ours.bet.area_m2_g == pytest.approx(FILES[name][1], rel=0.10)
    lo, hi = ours.bet.p_range
    assert 0 < lo < hi < 0.4
    assert ours.bet.n_points >= 3


def test_mcm41_pore_size(external_data):
    import pygaps.characterisation as pgc
    import pygaps.parsing as pgp

    path = _path(external_data, "MCM-41")
    ours = sorption.analyse_isotherm(path)
    iso = pgp.isotherm_from_json(path.read_text())
    psd = pgc.psd_mesoporous(iso, psd_model="BJH", branch="des")
    ref = psd["pore_widths"][np.argmax(psd["pore_distribution"])]
    assert ours.pore_diameter_nm == pytest.approx(ref, rel=0.05)
    assert ours.pore_diameter_nm == pytest.approx(3.3, rel=0.05)
    assert 0.3 < ours.pore_volume_cm3_g < 0.5
    assert ours.t_plot and ours.t_plot[0]["area_m2_g"] == pytest.approx(340, rel=0.1)


def test_micropore_psd_flagged(external_data):
    res = sorption.analyse_isotherm(_path(external_data, "Takeda 5A"))
    assert any("micropore" in w for w in res.warnings)


def test_bet_raw_needs_three_points():
    with pytest.raises(CalculationError, match="at least 3"):
        sorption.bet_raw(np.array([0.05, 0.1]), np.array([1.0, 1.2]))


def test_isotherm_with_too_few_points(tmp_path, external_data):
    import json

    data = json.loads(_path(external_data, "MCM-41").read_text())
    # adsorption branch with only 2 points in the classical BET range p/p0 = 0.05-0.30
    pts = [r for r in data["isotherm_data"] if r["pressure"] < 0.6]
    mid = [r for r in pts if 0.05 <= r["pressure"] <= 0.3][:2]
    data["isotherm_data"] = (
        [r for r in pts if r["pressure"] < 0.05] + mid + [r for r in pts if r["pressure"] > 0.3]
    )
    bad = tmp_path / "two.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(CalculationError, match="at least 3"):
        sorption.analyse_isotherm(bad, p_limits=(0.05, 0.3))


def test_bad_files(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    with pytest.raises(ParsingError, match="empty"):
        sorption.read_isotherm(empty)
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(ParsingError):
        sorption.read_isotherm(junk)
    other = tmp_path / "iso.foo"
    other.write_text("1 2")
    with pytest.raises(ParsingError, match="unknown isotherm format"):
        sorption.read_isotherm(other)


_DEFERRED = """
import json, sys
from sianode.characterisation import _coolprop
assert _coolprop.defer_coolprop()
from sianode.characterisation.sorption import analyse_isotherm
out = {f: analyse_isotherm(f).to_dict() for f in sys.argv[1:]}
print(json.dumps({"coolprop_loaded": sys.modules.get("CoolProp") is not None, "results": out}))
"""


def _run_deferred(*paths):
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _DEFERRED, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)  # stdout is the JSON alone: pyGAPS printed nothing there


def test_coolprop_deferred_gives_identical_numbers(external_data):
    # issue 17: importing CoolProp (through pyGAPS) was 2.4 s of the 4.4 s sorption command.
    # With CoolProp deferred, the N2 77.355 K values CoolProp gives are supplied from
    # _coolprop.NITROGEN_77K; every number must equal the CoolProp run's (exact equality).
    paths = [_path(external_data, n) for n in FILES]
    got = _run_deferred(*paths)
    assert got["coolprop_loaded"] is False
    for p in paths:
        assert got["results"][str(p)] == sorption.analyse_isotherm(p).to_dict(), p.name


def test_coolprop_loaded_when_not_tabulated(external_data, tmp_path):
    import json

    data = json.loads(_path(external_data, "SiO2").read_text())
    data["temperature"] = 80.0  # not in the table: CoolProp must be imported after all
    path = tmp_path / "SiO2_80K.json"
    path.write_text(json.dumps(data))
    got = _run_deferred(path)
    assert got["coolprop_loaded"] is True
    assert got["results"][str(path)] == sorption.analyse_isotherm(path).to_dict()


def test_table_matches_coolprop():
    # the tabulated values are what pyGAPS computes with CoolProp at 77.355 K
    pytest.importorskip("CoolProp")
    from sianode.characterisation._coolprop import NITROGEN_77K, T_TABLE

    ad = pygaps.Adsorbate.find("nitrogen")
    assert ad.saturation_pressure(T_TABLE) == NITROGEN_77K["saturation_pressure"]
    assert ad.liquid_density(T_TABLE) == NITROGEN_77K["liquid_density"]
    assert ad.surface_tension(T_TABLE) == NITROGEN_77K["surface_tension"]
    assert ad.liquid_molar_density(T_TABLE) == NITROGEN_77K["liquid_molar_density"]
    assert ad.gas_density(T_TABLE) == NITROGEN_77K["gas_density"]
    assert ad.molar_mass() == NITROGEN_77K["molar_mass"]
