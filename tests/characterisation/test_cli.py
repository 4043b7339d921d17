"""CLI: --json keys named in issue 6, material build writes the record, one-line errors."""

from __future__ import annotations

import json

import pytest

from sianode.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_xrd_json(capsys, external_data):
    f = external_data / "materials/xrd/Si-Std_SRM640d_D8D_20-97_7_16hm.xy"
    d = _json(capsys, ["xrd", str(f), "--wavelength", "1.5406", "--json"])
    for k in (
        "lattice_constant_A",
        "lattice_constant_err_A",
        "peaks",
        "scherrer_nm",
        "williamson_hall",
    ):
        assert k in d
    assert {"hkl", "two_theta_deg", "fwhm_deg"} <= set(d["peaks"][0])


def test_raman_json(capsys, external_data):
    f = external_data / "materials/raman/532nm-191216-Si_200mu.txt"
    d = _json(capsys, ["raman", str(f), "--json"])
    for k in ("peak_cm1", "fwhm_cm1", "confinement_length_nm"):
        assert k in d


def test_sorption_json(capsys, external_data):
    f = external_data / "materials/isotherms/pygaps_MCM-41_N2_77K.json"
    d = _json(capsys, ["sorption", str(f), "--json"])
    for k in ("bet_area_m2_g", "bet_pressure_range", "pore_diameter_nm", "pore_volume_cm3_g"):
        assert k in d


def test_material_build(capsys, tmp_path, external_data):
    root = external_data / "materials"
    out = tmp_path / "material.json"
    d = _json(
        capsys,
        [
            "material",
            "build",
            "--xrd",
            str(root / "xrd/Si-Std_SRM640d_D8D_20-97_7_16hm.brml"),
            "--raman",
            str(root / "raman/532nm-191216-Si_200mu.txt"),
            "--sorption",
            str(root / "isotherms/pygaps_SiO2_N2_77K.json"),
            "--synthesis-porosity",
            "0.48",
            "--set",
            "particle_radius=1.5 um",
            "--out",
            str(out),
            "--json",
        ],
    )
    rec = json.loads(out.read_text())
    assert set(rec) == {"name", "values", "warnings"}
    # issue 16: the saved record keeps the analyses' warnings; SiO2's BJH peak (1.97 nm) is
    # below 2 nm, so it gives neither a pore diameter nor a porosity
    assert any("below 2 nm" in w and "pore_diameter not recorded" in w for w in rec["warnings"])
    assert any(w.startswith("xrd: ") for w in rec["warnings"])
    assert "pore_diameter" not in rec["values"] and "porosity" not in rec["values"]
    assert d["warnings"] == rec["warnings"]
    assert rec["values"]["particle_radius"]["value"] == pytest.approx(1.5)
    assert len(d["consistency"]) == 2


def test_one_line_errors(capsys, tmp_path):
    empty = tmp_path / "e.xy"
    empty.write_text("")
    assert main(["xrd", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    two = tmp_path / "p.csv"
    two.write_text(
        "\n".join(f"{20 + i * 0.02},{100 + (1000 if 420 < i < 424 else 0)}" for i in range(1000))
    )
    assert main(["xrd", str(two)]) == 2
    assert "wavelength" in capsys.readouterr().err


def test_xrd_on_raman_spectrum_is_refused(capsys, external_data):
    # issue 16: 2θ 523 deg and a size of -8.19 nm with exit 0
    f = external_data / "materials/raman/532nm-191216-Si_200mu.txt"
    assert main(["xrd", str(f), "--wavelength", "1.5406"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert "2θ" in err and "180" in err
    assert "523" not in captured.out
