"""Reading every shared micrograph with the right pixel size, and the calibration cross-checks.

Expected pixel sizes are the files' own calibration fields, read independently of
RosettaSciIO's axis (listed per file below), and cross-checked where the file offers a
second field. File descriptions: shared ``materials/README.md``, section ``microscopy/``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sianode.errors import ParameterError, ParsingError
from sianode.microscopy.calibration import nm_per_unit, parse_length_nm
from sianode.microscopy.reader import read_micrograph

# file -> (pixel size [nm], where that number is written in the file)
EXPECTED = {
    # TIA .ser header CalibrationDeltaX = 1.0012704e-11 m
    "16_STOimage_1.ser": (0.010012704, "ser CalibrationDeltaX"),
    "16_STOimage.emi": (0.010012704, "ser CalibrationDeltaX (the .emi opens its _1.ser)"),
    # Berkeley EMD dim vectors data/single/dim1, dim2 step 0.0122465 in 'n_m'
    "Acquisition_18.emd": (0.012246525, "EMD dim vectors"),
    # TIA ser CalibrationDeltaX = 3.27036e-9 m
    "After_HAADF_130mm_1.ser": (3.270361189, "ser CalibrationDeltaX"),
    "After_HAADF_130mm.emi": (3.270361189, "ser CalibrationDeltaX"),
    # DM4 ImageData.Calibrations.Dimension Scale 0.0152775 'nm'
    "Test_TEM_image.dm4": (0.015277457, "DM Calibrations.Dimension"),
    # HyperSpy axis scale 0.0093263 with no unit (nm: the SrTiO3 lattice confirms it, see
    # test_micro_lattice.py::test_srtio3_110_confirms_nm)
    "atomap_test_ADF_cropped_SrTiO3_110.hdf5": (0.009326270, "hspy axis scale"),
    # Velox BinaryResult.PixelSize.width = 7.4984e-12 m; FullScanFieldOfView 1.53567e-8 m / 2048
    "example_Au_nanoparticle.emd": (0.007498401, "Velox PixelSize"),
    # DM3 Calibrations.Dimension Scale 0.0126953125 nm (1024 px = 13 nm, as the file's
    # QuickSaved shorttext '13nm' says)
    "example_Se_implanted_MoS2.dm3": (0.0126953125, "DM Calibrations.Dimension"),
    # Zeiss CZ_SEM ap_width 5.965 um over 512 columns (ap_pixel_size 5.825 nm is that of the
    # 1024-px acquisition: the shared file is the 512-px version)
    "test_tiff_Zeiss_SEM_512pix.tif": (11.649976, "CZ_SEM ap_width / columns"),
    # no spatial calibration (README: "carries no spatial calibration")
    "graphene_flower_raw.dm3": (None, "none"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_file_reads_with_its_pixel_size(micro, name):
    mg = read_micrograph(micro / name)
    want, _where = EXPECTED[name]
    assert mg.data.ndim == 2 and np.isfinite(mg.data).all()
    if want is None:
        assert mg.pixel_size_nm is None and mg.unit == "px"
        assert any("no spatial calibration" in w for w in mg.warnings)
    else:
        assert mg.pixel_size_nm == pytest.approx(want, rel=1e-6)
        assert mg.unit == "nm"
        assert mg.calibration_source
    # every other field the file carries agrees, except the documented exceptions
    bad = {c.field for c in mg.checks if c.agrees is False}
    if name == "test_tiff_Zeiss_SEM_512pix.tif":
        assert bad == {"CZ_SEM ap_pixel_size"}
    elif name == "Test_TEM_image.dm4":
        # 'Field of View (µm)' 0.0111247 over the 512-px DigiScan width = 0.02173 nm: the
        # scan's, not the aligned 477 x 489 sum's; reported, not used
        assert bad == {"Microscope Info.Field of View (µm) / DigiScan.Image Width"}
    else:
        assert bad == set()


def test_sem_info_bar_and_scale_bar(micro):
    mg = read_micrograph(micro / "test_tiff_Zeiss_SEM_512pix.tif")
    # the Zeiss data bar: rows 351-383 of the 384-row file (looked at in the image)
    assert mg.raw_shape == (384, 512)
    assert mg.data.shape == (351, 512)
    sb = mg.scale_bar
    # the bar under '200 nm' spans 17 px between its end ticks: 17 x 11.65 = 198 nm
    assert sb["length_px"] == 17
    assert sb["round_value_nm"] == 200
    assert abs(sb["deviation_pct"]) < sb["resolution_pct"]
    ap = next(c for c in mg.checks if c.field == "CZ_SEM ap_pixel_size")
    assert ap.deviation_pct == pytest.approx(-50.0, abs=0.01)
    assert "binned 2x" in ap.note


def test_pixel_size_override_keeps_file_check(micro):
    mg = read_micrograph(micro / "graphene_flower_raw.dm3", pixel_size="22 pm")
    assert mg.pixel_size_nm == pytest.approx(0.022)
    assert mg.calibration_source.startswith("--pixel-size")
    assert not any("no spatial calibration" in w for w in mg.warnings)
    mg2 = read_micrograph(micro / "example_Se_implanted_MoS2.dm3", pixel_size=0.0130)
    # the file's own 0.0126953 nm is still compared: -2.34 %
    c = next(c for c in mg2.checks if c.field == "axis x scale")
    assert c.deviation_pct == pytest.approx(100 * (0.0126953125 / 0.0130 - 1), abs=1e-6)


@pytest.mark.parametrize(
    "unit, nm",
    [
        ("nm", 1.0),
        ("n_m", 1.0),
        ("µm", 1e3),
        ("μm", 1e3),
        ("um", 1e3),
        ("m", 1e9),
        ("Å", 0.1),
        ("pm", 1e-3),
    ],
)
def test_unit_normalisation(unit, nm):
    assert nm_per_unit(unit) == nm
    assert nm_per_unit(unit.encode("utf-8")) == nm


def test_no_unit_and_reciprocal_units():
    assert nm_per_unit("") is None and nm_per_unit(None) is None and nm_per_unit("px") is None
    with pytest.raises(ParsingError, match="reciprocal"):
        nm_per_unit("1/nm")
    assert parse_length_nm("12.5 pm") == pytest.approx(0.0125)
    assert parse_length_nm("0.1") == pytest.approx(0.1)
    with pytest.raises(ParameterError):
        parse_length_nm("-1 nm")
    with pytest.raises(ParameterError):
        parse_length_nm("3 kg")


def test_dm_reading_does_not_import_dask(micro):
    # RosettaSciIO's DM reader imports dask.array (~0.4 s) for lazy loading only; sianode
    # reads eagerly and defers it (part of the <= 1 s budget of `sianode micrograph`)
    import subprocess
    import sys

    code = (
        "import sys; from sianode.microscopy import read_micrograph; "
        f"read_micrograph({str(micro / 'example_Se_implanted_MoS2.dm3')!r}); "
        "print('dask.array' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
