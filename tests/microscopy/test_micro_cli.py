"""``sianode micrograph``: the JSON keys of issue 18, figures, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sianode.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_json_keys_lattice_with_crystal(capsys, micro):
    d = _json(
        capsys, ["micrograph", str(micro / "16_STOimage.emi"), "--crystal", "SrTiO3", "--json"]
    )
    assert d["pixel_size_nm"] == pytest.approx(0.010012704)  # ser CalibrationDeltaX
    assert d["calibration_source"].startswith("tia axis calibration")
    assert isinstance(d["warnings"], list)
    sp = d["lattice"]["spacings_nm"]
    assert {"d_nm", "angle_deg", "sd_nm"} <= set(sp[0])
    strengths = [s["strength"] for s in sp]
    assert strengths == sorted(strengths, reverse=True)  # strongest first
    assert d["lattice"]["scale_error_pct"] is not None
    assert d["particles"] is None and d["pores"] is None


def test_json_uncalibrated_graphene(capsys, micro):
    d = _json(capsys, ["micrograph", str(micro / "graphene_flower_raw.dm3"), "--lattice", "--json"])
    assert d["pixel_size_nm"] is None and d["unit"] == "px"
    assert any("no spatial calibration" in w for w in d["warnings"])
    assert d["lattice"]["spacings_nm"] is None and d["lattice"]["spacings_px"]
    assert d["lattice"]["symmetry"] == "hexagonal"
    # with --pixel-size the same spacings come out in nm
    d2 = _json(
        capsys,
        [
            "micrograph",
            str(micro / "graphene_flower_raw.dm3"),
            "--lattice",
            "--pixel-size",
            "0.022 nm",
            "--json",
        ],
    )
    assert d2["lattice"]["spacings_nm"][0]["d_nm"] == pytest.approx(
        0.022 * d["lattice"]["spacings_px"][0]["d_px"], rel=1e-9
    )


def test_json_particles_pores_and_figures(capsys, micro, tmp_path):
    d = _json(
        capsys,
        [
            "micrograph",
            str(micro / "test_tiff_Zeiss_SEM_512pix.tif"),
            "--particles",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert d["particles"]["count"] >= 20
    assert d["particles"]["median_diameter_nm"] > 0
    assert d["info_bar_cropped_rows"] == 33
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "test_tiff_Zeiss_SEM_512pix_particles.png",
        "test_tiff_Zeiss_SEM_512pix_particles_hist.png",
    ]


def test_human_output(capsys, micro):
    assert main(["micrograph", str(micro / "test_tiff_Zeiss_SEM_512pix.tif")]) == 0
    out = capsys.readouterr().out
    assert "pixel size: 11.65 nm" in out
    assert "scale bar: 17 px" in out
    assert "binned 2x" in out


def _bad_files(micro, tmp_path):
    trunc = tmp_path / "truncated.dm3"
    trunc.write_bytes((micro / "example_Se_implanted_MoS2.dm3").read_bytes()[:300_000])
    # an EMSA/MAS spectrum (ISO 22029 text format): a spectrum, not an image
    msa = tmp_path / "eds.msa"
    head = [
        "#FORMAT      : EMSA/MAS Spectral Data File",
        "#VERSION     : 1.0",
        "#TITLE       : EDS",
        "#NPOINTS     : 20",
        "#NCOLUMNS    : 1",
        "#XUNITS      : keV",
        "#YUNITS      : counts",
        "#DATATYPE    : XY",
        "#XPERCHAN    : 0.01",
        "#OFFSET      : 0.0",
        "#SPECTRUM    :",
    ]
    msa.write_text(
        "\n".join(head + [f"{0.01 * i:.2f}, {i * i % 7}" for i in range(20)] + ["#ENDOFDATA   :"])
        + "\n"
    )
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n")
    fake_tif = tmp_path / "not_really.tif"
    fake_tif.write_text("this is not a TIFF\n")
    from rsciio.tiff import file_writer

    flat = tmp_path / "flat.tif"
    axes = [
        {"name": n, "scale": 1.0, "offset": 0.0, "units": "nm", "size": 64, "navigate": False}
        for n in ("y", "x")
    ]
    file_writer(
        str(flat),
        {
            "data": np.full((64, 64), 7, np.uint16),
            "axes": axes,
            "metadata": {},
            "original_metadata": {},
        },
    )
    return {
        "truncated": (trunc, "truncated or corrupt"),
        "spectrum": (msa, "spectrum"),
        "non-image": (text, "not a micrograph format"),
        "fake tiff": (fake_tif, "not a readable tiff file"),
        "no contrast": (flat, "no contrast"),
        "missing": (tmp_path / "nope.dm3", "no such file"),
    }


def test_bad_input_one_line_exit_2(capsys, micro, tmp_path):
    for what, (path, msg) in _bad_files(micro, tmp_path).items():
        assert main(["micrograph", str(path), "--particles"]) == 2, what
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: "), (what, err)
        assert msg in err, (what, err)


def test_bad_options_exit_2(capsys, micro):
    f = str(micro / "16_STOimage.emi")
    for argv in (
        ["micrograph", f, "--crystal", "kryptonite"],
        ["micrograph", f, "--crystal", "Si", "--lattice-constant", "0.5 nm"],
        ["micrograph", f, "--pixel-size", "-3 nm"],
    ):
        assert main(argv) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_one_failing_analysis_of_several_is_a_warning(capsys, micro):
    # the porous section (3.27 nm pixels) has no lattice fringes: alone that is an error...
    f = str(micro / "After_HAADF_130mm.emi")
    assert main(["micrograph", f, "--lattice"]) == 2
    assert "no lattice fringes" in capsys.readouterr().err
    # ...next to another analysis it is a warning and the other result is kept
    d = _json(capsys, ["micrograph", f, "--lattice", "--particles", "--json"])
    assert d["lattice"] is None and d["particles"]["count"] > 0
    assert any(w.startswith("lattice: not measured") for w in d["warnings"])
