"""Raman: c-Si band fit vs an independent Lorentzian, confinement model round trip, study check.

Reference values
----------------
- Independent fit: scipy ``curve_fit`` of a Lorentzian + line coded here, on the raw counts of
  the LabSpec c-Si file (../shared/data/external/materials/raman, 532 nm LabRAM HR).
- Campbell & Fauchet, Solid State Commun. 58 (1986) 739: confinement weight
  exp(-q² L² / 16π²); with the Tubino et al. (1972) dispersion a 3-4 nm sphere is red-shifted
  by a few cm-1 and a > 30 nm one by < 0.2 cm-1 (Paillard et al., J. Appl. Phys. 86 (1999) 1921).
- Study (../shared/reference/study.md): Raman peak 496 cm-1, Scherrer size 39.8 nm.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from sianode.characterisation import raman
from sianode.errors import CalculationError, ParameterError, ParsingError

SPEC = "materials/raman/532nm-191216-Si_200mu.txt"


def _lorentz_line(x, h, x0, w, b0, b1):
    return h / (1 + 4 * ((x - x0) / w) ** 2) + b0 + b1 * (x - 520)


def test_reader_latin1_labspec(external_data):
    sp = raman.read_spectrum(external_data / SPEC)
    assert sp.shift.size == 1024
    assert sp.metadata["Instrument"] == "LabRAM HR Evol"
    assert "Detector temperature (°C)" in sp.metadata


def test_csi_position_matches_independent_lorentzian(external_data):
    res = raman.analyse_raman(external_data / SPEC, model="lorentzian")
    sp = raman.read_spectrum(external_data / SPEC)
    m = (sp.shift > 440) & (sp.shift < 560)
    popt, _ = curve_fit(_lorentz_line, sp.shift[m], sp.intensity[m], p0=[15000, 523, 5, 100, 0])
    assert abs(res.fit.peak_cm1 - popt[1]) < 0.1
    assert res.fit.fwhm_cm1 == pytest.approx(abs(popt[2]), rel=0.05)
    # README: raw maximum at 522.6 cm-1, axis not calibrated
    assert 522.0 < res.fit.peak_cm1 < 524.0


def test_calibration_to_520_7(external_data):
    res = raman.analyse_raman(external_data / SPEC, calibrate=520.7)
    assert res.fit.peak_cm1 == pytest.approx(520.7, abs=0.01)
    assert res.calibration_offset_cm1 == pytest.approx(520.7 - 523.16, abs=0.2)
    assert res.confinement.length_from_shift_nm is None  # bulk: no confinement


@pytest.mark.parametrize("L", [2.5, 4.0, 8.0])
def test_confinement_round_trip(L):
    rng = np.random.default_rng(3)
    x = np.linspace(440, 540, 300)
    y = rng.poisson(2000 * raman.confinement_lineshape(x, L) + 100).astype(float) - 100
    fit = raman.fit_band_raw(x, y, "confinement", (440, 540))
    assert fit.confinement_length_nm == pytest.approx(L, rel=0.10)


def test_confinement_limits_and_monotonic():
    Ls, sh, fw = raman.confinement_table()
    assert np.all(np.diff(sh) < 0)  # smaller crystals shift more
    big, _ = raman.expected_shift(200.0)
    assert big < 0.05
    s4, w4 = raman.expected_shift(4.0)
    assert 3.0 < s4 < 9.0 and w4 > 10.0
    # RWL weight (alpha = 2) confines less than CF
    assert raman.expected_shift(4.0, model="RWL")[0] < s4


def test_study_496_vs_scherrer():
    L496 = raman.confinement_length_from_shift(496.0, omega0=520.7)
    assert 1.5 < L496 < 2.2  # CF sphere: ~1.8 nm
    shift_398, _ = raman.expected_shift(39.8)
    assert shift_398 < 0.3  # 39.8 nm crystallites would sit within 0.3 cm-1 of 520.7
    assert raman.confinement_length_from_shift(496.0, model="RWL") is None


def test_bad_inputs(tmp_path):
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    with pytest.raises(ParsingError):
        raman.read_spectrum(empty)
    one = tmp_path / "one.txt"
    one.write_text("\n".join(str(v) for v in range(100)))
    with pytest.raises(ParsingError, match="one numeric column"):
        raman.read_spectrum(one)
    far = tmp_path / "far.txt"
    far.write_text("\n".join(f"{v} 10" for v in range(1000, 1100)))
    with pytest.raises(CalculationError):
        raman.analyse_raman(far)
    with pytest.raises(ParameterError):
        raman.confinement_lineshape(np.array([500.0]), -1.0)


def test_gauss_legendre_runs_on_one_blas_thread(monkeypatch):
    # issue 17: leggauss's eigenproblem on OpenBLAS's threads cost 1.3 s CPU on the busy 2-core
    # machine for one confinement inversion (0.05 s on one thread); the nodes are identical
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from sianode.characterisation import raman

    seen = []
    real = np.polynomial.legendre.leggauss

    def spy(n):
        seen.append(
            [d["num_threads"] for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas"]
        )
        return real(n)

    monkeypatch.setattr(np.polynomial.legendre, "leggauss", spy)
    raman._gauss_legendre.cache_clear()
    try:
        t, w = raman._gauss_legendre(137)
    finally:
        raman._gauss_legendre.cache_clear()
    assert seen and all(n == 1 for n in seen[0])
    t0, w0 = real(137)
    assert np.array_equal(t, t0) and np.array_equal(w, w0)
