"""XRD: SRM 640d reference checks, synthetic round trip, bad input.

Reference values
----------------
- SRM 640d lattice parameter a = 5.43123 Å (22.5 °C): NIST SRM 640d certificate, as quoted in
  pyFAI's calibrant file ``Si_SRM640d.D`` (see ../shared/data/external/materials/README.md).
- The independent peak positions come from scipy ``curve_fit`` on a pseudo-Voigt coded here,
  separately from the package, on the raw (not background-subtracted) counts.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from sianode.characterisation import xrd
from sianode.errors import CalculationError, ParameterError, ParsingError

A_SRM640D = 5.43123  # Å, certified (NIST SRM 640d)
BRML = "materials/xrd/Si-Std_SRM640d_D8D_20-97_7_16hm.brml"
XY = "materials/xrd/Si-Std_SRM640d_D8D_20-97_7_16hm.xy"


@pytest.fixture(scope="module")
def srm(external_data):
    return xrd.analyse_xrd(external_data / BRML)


def test_brml_reader_wavelength_and_monochromator(external_data):
    pat = xrd.read_pattern(external_data / BRML)
    assert pat.wavelength == pytest.approx(1.5406)
    assert pat.kalpha2_ratio == 0.0  # Johansson monochromator: Kα1 only
    assert pat.two_theta.size == 9227
    assert pat.goniometer_radius == pytest.approx(217.5)


def test_xy_matches_brml(external_data):
    a = xrd.read_pattern(external_data / BRML)
    b = xrd.read_pattern(external_data / XY)
    assert b.wavelength == pytest.approx(1.5406)  # from the header line
    np.testing.assert_allclose(a.intensity, b.intensity)


def test_srm640d_indexes_to_diamond(srm):
    assert [p.hkl_label for p in srm.peaks] == ["111", "220", "311", "400", "331", "422", "511/333"]


def test_srm640d_lattice_constant_displacement(srm):
    lat = srm.lattice
    assert "displacement" in lat.correction
    assert abs(lat.a_A - A_SRM640D) < 0.0005
    assert 0 < lat.a_err_A < 0.0005


def test_srm640d_plain_refinements_bracket_certified(srm):
    tt = np.array([p.two_theta_deg for p in srm.peaks])
    s = np.array([p.s for p in srm.peaks])
    for corr in ("zero", "displacement", "none"):
        lat = xrd.refine_cubic_raw(tt, s, 1.5406, corr)
        assert abs(lat.a_A - A_SRM640D) < 0.0025, corr


def _pv_independent(x, area, x0, w, eta, b0, b1):
    # separately coded pseudo-Voigt + linear background (not the package's function)
    g = np.sqrt(4 * np.log(2) / np.pi) / w * np.exp(-4 * np.log(2) * ((x - x0) / w) ** 2)
    lor = (2 / (np.pi * w)) / (1 + 4 * ((x - x0) / w) ** 2)
    return area * (eta * lor + (1 - eta) * g) + b0 + b1 * (x - x0)


def test_srm640d_positions_match_independent_fit(external_data, srm):
    pat = xrd.read_pattern(external_data / BRML)
    x, y = pat.two_theta, pat.intensity
    for p in srm.peaks:
        m = (x > p.two_theta_deg - 6 * p.fwhm_deg) & (x < p.two_theta_deg + 6 * p.fwhm_deg)
        xx, yy = x[m], y[m]
        p0 = [yy.max() * p.fwhm_deg, xx[np.argmax(yy)], p.fwhm_deg, 0.5, yy.min(), 0.0]
        popt, _ = curve_fit(_pv_independent, xx, yy, p0=p0, maxfev=20000)
        assert abs(popt[1] - p.two_theta_deg) < 0.002, p.hkl_label


def _synthetic(a, size, ka2=False, seed=0):
    rng = np.random.default_rng(seed)
    lam = xrd.CU_KA1
    x = np.arange(20.0, 100.0, 0.01)
    y = 300.0 - 1.0 * (x - 20)
    for s in (3, 8, 11, 16, 19, 24, 27):
        c = 2 * np.degrees(np.arcsin(lam * np.sqrt(s) / (2 * a)))
        fw = np.degrees(0.9 * lam * 0.1 / (size * np.cos(np.radians(c / 2))))
        y = y + xrd.peaks._pv(x, 3000 * fw, c, fw, 0.4)
        if ka2:
            c2 = xrd.peaks._ka2_angle(c, xrd.CU_KA2 / lam)
            y = y + xrd.peaks._pv(x, 1500 * fw, c2, fw, 0.4)
    y = rng.poisson(y).astype(float)
    return xrd.XRDPattern(
        x, y, wavelength=lam, kalpha2=xrd.CU_KA2 if ka2 else None, kalpha2_ratio=0.5 if ka2 else 0.0
    )


@pytest.mark.parametrize("ka2", [False, True])
def test_synthetic_round_trip(ka2):
    a, size = 5.4400, 25.0
    res = xrd.analyse_xrd(_synthetic(a, size, ka2), correction="zero")
    assert res.lattice.a_A == pytest.approx(a, rel=0.01)
    assert res.scherrer_mean_nm == pytest.approx(size, rel=0.01)
    assert res.williamson_hall.size_nm == pytest.approx(size, rel=0.03)
    assert abs(res.williamson_hall.strain) < 2e-4


def test_instrument_subtraction_warns_on_standard(srm):
    # the standard against itself: every width equals the instrument's
    with pytest.warns(UserWarning, match="not resolvable"):
        res = xrd.analyse_xrd(xrd.read_pattern(srm.source), instrument=srm)
    assert res.instrument_subtracted
    assert not any(res.size_resolvable)


def test_instrument_subtraction_recovers_size(srm):
    # synthetic 25 nm sample convolved (approximately) with nothing; subtracting the SRM
    # instrument widths must make sizes larger, never smaller
    pat = _synthetic(5.431, 25.0)
    raw = xrd.analyse_xrd(pat, correction="zero")
    corr = xrd.analyse_xrd(pat, correction="zero", instrument=srm)
    assert corr.scherrer_mean_nm > raw.scherrer_mean_nm
    assert all(corr.size_resolvable)


def test_scherrer_and_components():
    # 0.9 * 0.15406 nm / (0.5° in rad * cos 15°)
    assert xrd.scherrer_raw(30.0, 0.5, 1.5406) == pytest.approx(
        0.9 * 0.15406 / (np.radians(0.5) * np.cos(np.radians(15)))
    )
    fg, fl = xrd.pseudo_voigt_components(0.1, 0.5)
    assert float(xrd.tch_fwhm(fg, fl)) == pytest.approx(0.1, rel=1e-6)


def test_allowed_reflections_diamond():
    assert list(xrd.allowed_reflections("diamond", 27)) == [3, 8, 11, 16, 19, 24, 27]


def test_bad_inputs(tmp_path):
    empty = tmp_path / "empty.xy"
    empty.write_text("")
    with pytest.raises(ParsingError, match="no numeric"):
        xrd.read_pattern(empty)
    one = tmp_path / "one.xy"
    one.write_text("\n".join(str(v) for v in range(50)))
    with pytest.raises(ParsingError, match="one numeric column"):
        xrd.read_pattern(one)
    two = tmp_path / "two.xy"
    x = np.arange(20, 40, 0.02)
    two.write_text("\n".join(f"{a} {100 + 1000 * np.exp(-(((a - 28.44) / 0.05) ** 2))}" for a in x))
    with pytest.raises(ParameterError, match="wavelength"):
        xrd.analyse_xrd(two)
    notzip = tmp_path / "bad.brml"
    notzip.write_text("hello")
    with pytest.raises(ParsingError, match="not a Bruker"):
        xrd.read_pattern(notzip)
    flat = tmp_path / "flat.xy"
    flat.write_text("\n".join(f"{a} 100" for a in x))
    with pytest.raises(CalculationError, match="no diffraction peaks"):
        xrd.analyse_xrd(flat, wavelength=1.5406)


def _raman_like(tmp_path):
    """A Raman-like spectrum: shift 100-1000 cm-1 with the Si band at 520 cm-1 (issue 16)."""
    x = np.arange(100.0, 1000.0, 1.0)
    y = 50 + 5000 * np.exp(-(((x - 520.0) / 3.0) ** 2))
    path = tmp_path / "raman_like.txt"
    path.write_text("\n".join(f"{a}\t{b}" for a, b in zip(x, y, strict=True)))
    return path


def test_axis_outside_two_theta_range_refused(tmp_path):
    # 2θ past 180 deg has cos θ < 0: the old code fitted 523 deg and reported a negative size
    with pytest.raises(ParsingError, match="between 0 and 180 deg"):
        xrd.analyse_xrd(_raman_like(tmp_path), wavelength=1.5406)


def test_scherrer_refuses_angle_past_180():
    # D = K λ / (β cos θ): at 2θ = 200 deg cos θ < 0, a negative size
    with pytest.raises(ParameterError, match="two_theta"):
        xrd.scherrer_raw(200.0, 0.5, 1.5406)


def test_impossible_result_refused(srm):
    import copy

    from sianode.characterisation.xrd.analysis import check_result

    check_result(srm)  # the SRM 640d result itself is possible
    bad = copy.deepcopy(srm)
    bad.scherrer_mean_nm = -8.19  # the size issue 16 saw reported with exit 0
    with pytest.raises(CalculationError, match="impossible"):
        check_result(bad)
    bad = copy.deepcopy(srm)
    bad.peaks[0].two_theta_deg = 523.1
    with pytest.raises(CalculationError, match="impossible"):
        check_result(bad)
