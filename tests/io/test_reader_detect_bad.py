"""Format detection, generic CSV, BDF round trip, and bad files (one ParsingError each)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sianode.cycling import cycle_table
from sianode.errors import ParameterError, ParsingError
from sianode.io import detect, read, write_bdf

EXPECTED = {
    "cellpy/biol.mpr": "biologic_mpr",
    "yadg/gcpl.issue_149.mpt": "biologic_text",
    "beep/test_loopsnewoutput_MB_CE1_short10k.csv": "biologic_text",
    "cellpy/20160805_test001_45_cc_01.res": "arbin_res",
    "battery-data-toolkit/arbin_example.csv": "arbin_csv",
    "navani/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx": "arbin_xlsx",
    "cellpy/maccor_001.txt": "maccor",
    "beep/PredictionDiagnostics_000151_test.052": "maccor",
    "battery-data-toolkit/maccor_example.002": "maccor",
    "navani/test.nda": "neware_nda",
    "navani/test.ndax": "neware_ndax",
    "cellpy/neware_uio.csv": "neware_csv",
    "cellpy/nw_regular_export_ife_example.csv": "neware_regular",
    "cellpy/pec.csv": "pec",
    "beep/test_Nova_Form-CH01-01_short.csv": "novonix",
    "beep/indigo_test_sample.h5": "indigo",
    "battery-data-toolkit/p492-13-raw.csv": "batterydata",
    "cellpy/batmo_bdf.csv": "bdf",
}


@pytest.mark.parametrize("name,fmt", sorted(EXPECTED.items()))
def test_detect_from_content(cycler, name, fmt, tmp_path):
    assert detect(cycler / name) == fmt
    # content, not extension: the same bytes under a misleading name
    fake = tmp_path / "data.bin"
    fake.write_bytes((cycler / name).read_bytes())
    assert detect(fake) == fmt


def _synthetic(n=400):
    t = np.arange(n, dtype=float) * 10.0
    i = np.where((t // 1000) % 2 == 0, -1e-3, 1e-3)
    v = 0.5 + 0.2 * np.sin(t / 700.0)
    return t, v, i


def test_generic_with_column_map(tmp_path):
    t, v, i = _synthetic()
    p = tmp_path / "bts2004.txt"
    pd.DataFrame({"Time(h)": t / 3600, "Vol(V)": v, "Cur(mA)": i * 1e3}).to_csv(
        p, sep=";", index=False
    )
    data, meta = read(
        p,
        column_map={"Test Time / s": "Time(h)", "Voltage / V": "Vol(V)", "Current / A": "Cur(mA)"},
    )
    assert meta["format"] == "generic"
    np.testing.assert_allclose(data["Test Time / s"], t, atol=1e-6)
    np.testing.assert_allclose(data["Current / A"], i)
    assert data["Cycle Count / 1"].max() == 2


def test_generic_negated_current(tmp_path):
    t, v, i = _synthetic()
    p = tmp_path / "pybamm.csv"
    pd.DataFrame({"Time [s]": t, "Voltage [V]": v, "Current [A]": -i}).to_csv(p, index=False)
    data, _ = read(
        p,
        column_map={
            "Test Time / s": "Time [s]",
            "Voltage / V": "Voltage [V]",
            "Current / A": "-Current [A]",
        },
    )
    np.testing.assert_allclose(data["Current / A"], i)


def test_bdf_roundtrip(tmp_path):
    t, v, i = _synthetic()
    p = tmp_path / "in.csv"
    pd.DataFrame({"Test Time / s": t, "Voltage / V": v, "Current / A": i}).to_csv(p, index=False)
    data, meta = read(p)
    assert meta["format"] == "bdf_csv"
    for fmt in ("csv", "parquet"):
        out, side = write_bdf(data, tmp_path / "cell", meta, fmt=fmt)
        assert out.name == f"cell.bdf.{fmt}" and side.name == "cell.metadata.json"
        back, _ = read(out)
        np.testing.assert_allclose(back["Current / A"], data["Current / A"])
        np.testing.assert_array_equal(back["Cycle Count / 1"], data["Cycle Count / 1"])


def test_unknown_format_name(tmp_path):
    with pytest.raises(ParameterError):
        read(tmp_path / "x.csv", format="nope")


BAD = {
    "empty.mpr": b"",
    "empty.csv": b"",
    "random.res": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
    "random.csv": bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)),
    "missing_cols.csv": b"a,b,c\n1,2,3\n4,5,6\n",
    "header_only.csv": b"Test Time / s,Voltage / V,Current / A\n",
    "text_as_mpr.mpr": b"hello world\n",
    "zip.ndax": b"PK\x03\x04" + b"\x00" * 100,
    "hdf.h5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 100,
    "jet.res": b"\x00\x01\x00\x00Standard Jet DB\x00" + b"\x00" * 200,
    "nonnumeric.csv": b"Test Time / s,Voltage / V,Current / A\nx,y,z\nq,r,s\n",
    "nan_current.csv": b"Test Time / s,Voltage / V,Current / A\n0,3.0,nan\n1,3.1,inf\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_one_parsing_error(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(BAD[name])
    with pytest.raises(ParsingError) as exc:
        read(p)
    msg = str(exc.value)
    assert name in msg and "\n" not in msg


def _bdf_csv(tmp_path, rows):
    p = tmp_path / "cell.csv"
    lines = ["Test Time / s,Voltage / V,Current / A"] + [",".join(map(str, r)) for r in rows]
    p.write_text("\n".join(lines) + "\n")
    return p


def test_non_finite_values_are_reported(tmp_path):
    """NaN or infinite time, voltage or current is counted in one warning per column, and the
    current's bad points carry no charge (they are rests; the trapezoid next to them is 0)."""
    # 1 mA for 3600 s between samples: 1 mAh per interval where both ends are good
    rows = [(k * 3600, 0.5 - 0.01 * k, -1e-3) for k in range(10)]
    rows[3] = (rows[3][0], "nan", "inf")
    rows[6] = (rows[6][0], rows[6][1], "nan")
    data, meta = read(_bdf_csv(tmp_path, rows))
    msgs = [w for w in meta["warnings"] if "NaN or infinite" in w]
    assert msgs == [
        "column 'Voltage / V': 1 of 10 values are NaN or infinite; kept as NaN; mean voltages,"
        " energies and dQ/dV leave them out",
        "column 'Current / A': 2 of 10 values are NaN or infinite; those points count as rests"
        " and carry no charge",
    ]
    # 9 intervals, 4 of them touch sample 3 or 6: 5 mAh of discharge is left
    assert set(data["Cycle Count / 1"]) == {1}
    t = cycle_table(data)
    assert t["Cycle Discharging Capacity / mAh"].iloc[0] == pytest.approx(5.0)


def test_finite_file_has_no_non_finite_warning(tmp_path):
    rows = [(k * 10, 0.5 - 0.01 * k, -1e-3) for k in range(10)]
    _, meta = read(_bdf_csv(tmp_path, rows))
    assert not [w for w in meta["warnings"] if "NaN or infinite" in w]


def test_missing_file(tmp_path):
    with pytest.raises(ParsingError, match="not found"):
        read(tmp_path / "nope.mpr")


@pytest.mark.parametrize(
    "name",
    [
        "yadg/gcpl.issue_211.mpr",
        "cellpy/maccor_001.txt",
        "cellpy/nw_regular_export_ife_example.csv",
        "navani/test.ndax",
        "cellpy/pec.csv",
        "beep/test_Nova_Form-CH01-01_short.csv",
    ],
)
@pytest.mark.parametrize("frac", [0.0005, 0.003])
def test_truncated_real_files(cycler, tmp_path, name, frac):
    raw = (cycler / name).read_bytes()
    p = tmp_path / (cycler / name).name
    p.write_bytes(raw[: max(1, int(len(raw) * frac))])
    try:
        read(p)
    except ParsingError as exc:
        assert p.name in str(exc)


def test_wrong_extension(cycler, tmp_path):
    p = tmp_path / "really_maccor.mpr"
    p.write_bytes((cycler / "cellpy" / "maccor_001.txt").read_bytes())
    data, meta = read(p)  # detected from content
    assert meta["format"] == "maccor"
    with pytest.raises(ParsingError, match="really_maccor.mpr"):
        read(p, format="biologic_mpr")
