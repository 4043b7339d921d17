"""Arbin MITS Pro files: ``.res`` (MS Access/Jet database), CSV exports and Excel exports.

``.res`` is read through ``mdb-export`` from mdbtools (a system package: ``apt-get install
mdbtools`` on Debian/Ubuntu, ``brew install mdbtools`` on macOS); the table
``Channel_Normal_Table`` holds the records and ``Global_Table`` the test header (mass, schedule).

Arbin columns are in SI-like units (s, A, V, Ah, Wh) and the current is positive on charge,
as in BDF. ``Charge_Capacity``/``Discharge_Capacity`` are cumulative and reset at each new
``Cycle_Index``; they are kept as BDF ``Charging``/``Discharging Capacity / Ah``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c

# Arbin name (units stripped) -> BDF column.
_MAP = {
    "Test_Time": c.TIME,
    "Voltage": c.VOLTAGE,
    "Current": c.CURRENT,
    "Step_Time": c.STEP_TIME,
    "Step_Index": c.STEP_INDEX,
    "Cycle_Index": c.INST_CYCLE,
    "Charge_Capacity": c.CHG_CAP,
    "Discharge_Capacity": c.DCHG_CAP,
    "Charge_Energy": c.CHG_E,
    "Discharge_Energy": c.DCHG_E,
    "Internal_Resistance": "Internal Resistance / ohm",
    "Temperature": c.TEMP,
}
_UNITS = {
    c.TIME: c.TIME_UNITS,
    c.STEP_TIME: c.TIME_UNITS,
    c.CURRENT: c.CURRENT_UNITS,
    c.VOLTAGE: c.VOLTAGE_UNITS,
    c.CHG_CAP: c.CAPACITY_UNITS,
    c.DCHG_CAP: c.CAPACITY_UNITS,
    c.CHG_E: c.ENERGY_UNITS,
    c.DCHG_E: c.ENERGY_UNITS,
}


def _normalise(
    path: Path, src: pd.DataFrame, meta: dict[str, Any]
) -> tuple[c.Columns, dict[str, Any]]:
    out: dict[str, np.ndarray] = {}
    found: dict[str, str] = {}
    for col in src.columns:
        q, unit = c.split_label(col)
        q = q.replace(" ", "_")
        if q in _MAP and _MAP[q] not in found.values():
            bdf = _MAP[q]
            fac = 1.0
            if unit and bdf in _UNITS:
                fac = c.unit_factor(path, unit, _UNITS[bdf], bdf.split(" /")[0].lower())
                meta["units_found"][bdf] = unit
            out[bdf] = c.numeric(path, src, col, required=bdf in c.REQUIRED) * fac
            found[col] = bdf
        elif q in ("DateTime", "Date_Time"):
            s = src[col]
            if pd.api.types.is_numeric_dtype(s):
                v = s.to_numpy(float)
                # Arbin writes either Unix seconds or an OLE date (days since 1899-12-30)
                out[c.UNIX] = np.where(v < 1e6, (v - 25569.0) * 86400.0, v)
            else:
                out[c.UNIX] = c.to_unix(path, s)
            found[col] = c.UNIX
    for req in c.REQUIRED:
        if req not in out:
            raise c.fail(
                path, f"missing column for '{req}' (Arbin names Test_Time, Voltage, Current)"
            )
    meta["column_mapping"] = {v: k for k, v in found.items()}
    c.fix_capacity_unit(path, out, meta)
    return out, meta


def read_csv(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read an Arbin MITS Pro CSV export (``Data_Point,Test_Time,...``)."""
    _, data, enc = c.text_bytes(path, c.read_bytes(path))
    df = c.parse_csv_text(path, data, encoding=enc)
    meta = c.base_metadata(path, "arbin_csv", "Arbin (MITS Pro CSV)")
    for sib in (
        path.with_name(path.stem + "_Metadata.csv"),
        path.with_name(path.stem + "_metadata.csv"),
    ):
        if sib.is_file():
            meta["companion_metadata"] = str(sib)
    if "Cycle_Index" in df.columns and df["Cycle_Index"].isna().all():
        meta["warnings"].append("Cycle_Index is empty; cycles come from the current only")
    if "Step_Index" in df.columns and df["Step_Index"].isna().all():
        meta["warnings"].append("Step_Index is empty; steps come from the current only")
    return _normalise(path, df, meta)


def _sheet_parts(path: Path, names: list[str]) -> dict[str, str] | None:
    """Worksheet XML part of each sheet name, from the workbook and its relationships.

    None when the workbook uses the 1904 date system or a part cannot be resolved.
    """
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    pr = book.find(f"{ns_main}workbookPr")
    if pr is not None and pr.get("date1904", "0").lower() in ("1", "true"):
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out: dict[str, str] = {}
    for sh in book.iter(f"{ns_main}sheet"):
        name = sh.get("name")
        if name in names:
            target = targets.get(sh.get(f"{ns_rel}id"), "")
            if not target:
                return None
            out[name] = (
                target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            )
    return out if len(out) == len(names) else None


def _column_letters(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _excel_datetimes(serial: np.ndarray) -> np.ndarray:
    """Excel serials (1900 system, >= 61) to datetime64[us], rounded to the millisecond
    exactly as openpyxl's ``from_excel`` does (``round(fraction * 86400 * 1000)`` ms)."""
    day = np.floor(serial)
    ms = np.round((serial - day) * 86400.0 * 1000.0)
    out = np.datetime64("1899-12-30T00:00:00", "ms") + (
        day.astype(np.int64) * 86_400_000 + ms.astype(np.int64)
    ).astype("timedelta64[ms]")
    return out.astype("datetime64[us]")


def _fix_calamine_dates(z: Any, part: str, df: pd.DataFrame) -> bool:
    """Give ``df``'s date-time columns openpyxl's values, from the raw serials in ``part``.

    calamine rounds ``serial * 86400000`` to the millisecond, which differs from openpyxl
    (and from the exact value) by 1 ms for times that end in .5 ms. Returns False when the
    raw serials cannot be matched to the rows, so that the caller falls back to openpyxl.
    """
    import re

    dt_cols = [j for j, dt in enumerate(df.dtypes) if dt.kind == "M"]
    if not dt_cols:
        return True
    xml = z.read(part).decode("utf-8")
    for j in dt_cols:
        col = _column_letters(j)
        cells = re.findall(rf'<c r="{col}(\d+)"(?: [^>]*)?><v>([^<]*)</v></c>', xml)
        cells = [cell for cell in cells if cell[0] != "1"]  # row 1 is the header
        if len(cells) != len(df):
            return False
        rows = np.array([int(r) for r, _ in cells])
        if not np.array_equal(rows, np.arange(2, len(df) + 2)):
            return False
        try:
            serial = np.array([float(v) for _, v in cells])
        except ValueError:
            return False
        if not (np.all(np.isfinite(serial)) and serial.min() >= 61.0 and serial.max() < 2.9e6):
            return False
        exact = _excel_datetimes(serial)
        cal = df.iloc[:, j].to_numpy("datetime64[us]")
        if np.isnat(cal).any() or np.abs(exact - cal).max() > np.timedelta64(1, "ms"):
            return False
        df.isetitem(j, pd.Series(exact, index=df.index, name=df.columns[j]))
    return True


def _read_channel_sheets_calamine(path: Path) -> tuple[list[str], list[pd.DataFrame]] | None:
    """Channel sheets read with python-calamine (Rust); None to fall back to openpyxl."""
    import zipfile

    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as wb:
        names = list(wb.sheet_names)
    chans = [k for k in names if str(k).lower().startswith("channel")]
    if not chans:
        return chans, []
    parts = _sheet_parts(path, chans)
    if parts is None:
        return None
    frames = pd.read_excel(path, sheet_name=chans, engine="calamine")
    with zipfile.ZipFile(path) as z:
        for k in chans:
            if not _fix_calamine_dates(z, parts[k], frames[k]):
                return None
    return chans, [frames[k] for k in chans]


def _read_channel_sheets_openpyxl(path: Path) -> tuple[list[str], list[pd.DataFrame]]:
    with pd.ExcelFile(path, engine="openpyxl") as xl:
        chans = [k for k in xl.sheet_names if str(k).lower().startswith("channel")]
        sheets = pd.read_excel(xl, sheet_name=chans) if chans else {}
        return chans, [sheets[k] for k in chans]


def read_xlsx(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read an Arbin Excel export (data in ``Channel_*`` sheets, concatenated in order).

    Only the ``Channel_*`` sheets are parsed. With python-calamine installed they are read by
    calamine (Rust, about 10x faster than openpyxl); date-time cells are then recomputed from
    the raw Excel serials with openpyxl's millisecond rounding (calamine's differs by 1 ms on
    times ending in .5 ms). Without calamine, or when the raw serials cannot be matched to the
    rows, openpyxl reads the sheets.
    """
    result = None
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        python_calamine = None
    if python_calamine is not None:
        try:
            result = _read_channel_sheets_calamine(path)
        except Exception as exc:  # calamine raises its own error types on corrupt zips
            raise c.fail(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
        except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
            if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            raise c.fail(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    if result is None:
        try:
            import openpyxl  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise c.fail(path, "reading .xlsx needs openpyxl (pip install openpyxl)") from exc
        try:
            result = _read_channel_sheets_openpyxl(path)
        except Exception as exc:  # openpyxl raises many types on corrupt zips
            raise c.fail(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    chans, frames = result
    if not chans:
        raise c.fail(path, "no 'Channel_*' sheet (not an Arbin Excel export)")
    df = pd.concat(frames, ignore_index=True)
    meta = c.base_metadata(path, "arbin_xlsx", "Arbin (Excel export)")
    meta["sheets"] = chans
    return _normalise(path, df, meta)


def _mdb_exe(path: Path) -> str:
    exe = shutil.which("mdb-export")
    if exe is None:
        raise c.fail(
            path,
            "reading Arbin .res needs mdb-export from mdbtools; install it with"
            " 'apt-get install mdbtools' (Debian/Ubuntu) or 'brew install"
            " mdbtools' (macOS)",
        )
    return exe


def _mdb_start(path: Path, table: str) -> subprocess.Popen | c.ParsingError:
    """Start ``mdb-export path table``; the error to raise when it cannot start."""
    exe = _mdb_exe(path)
    try:
        return subprocess.Popen(
            [exe, str(path), table], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        return c.fail(path, f"mdb-export failed ({exc})")


def _mdb_finish(path: Path, proc: subprocess.Popen | c.ParsingError) -> str:
    """Wait for an ``mdb-export`` started by :func:`_mdb_start` and return its CSV text."""
    if isinstance(proc, c.ParsingError):
        raise proc
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise c.fail(path, f"mdb-export failed ({exc})") from exc
    if proc.returncode != 0 or not out.strip():
        msg = err.decode("latin-1", errors="replace").strip().splitlines()
        raise c.fail(
            path,
            f"not a readable Arbin .res database (mdb-export: {msg[0] if msg else 'no output'})",
        )
    return out.decode("latin-1")


def read_res(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read an Arbin ``.res`` file via mdbtools' ``mdb-export``."""
    raw = c.read_bytes(path, 32)
    if len(raw) < 32 or raw[4:19] not in (b"Standard Jet DB", b"Standard ACE DB"):
        raise c.fail(path, "not an MS Access/Jet database (Arbin .res)")
    # both tables are exported at once (two processes); the header table is optional
    data_proc = _mdb_start(path, "Channel_Normal_Table")
    glob_proc = _mdb_start(path, "Global_Table")
    glob_text: str | c.ParsingError
    try:
        text = _mdb_finish(path, data_proc)
    finally:
        try:
            glob_text = _mdb_finish(path, glob_proc)
        except c.ParsingError as exc:
            glob_text = exc
    try:
        df = pd.read_csv(io.StringIO(text), engine="pyarrow")
    except Exception:
        df = c.parse_csv_text(path, text)
    meta = c.base_metadata(path, "arbin_res", "Arbin (MITS Pro .res)")
    try:
        if isinstance(glob_text, c.ParsingError):
            raise glob_text
        glob = pd.read_csv(io.StringIO(glob_text))
        if len(glob):
            row = glob.iloc[0]
            for key in (
                "Test_Name",
                "Schedule_File_Name",
                "Creator",
                "Comments",
                "Software_Version",
                "MASS",
                "Specific_Capacity",
                "Capacity",
            ):
                if key in glob.columns and pd.notna(row[key]):
                    val = row[key]
                    meta[key.lower()] = val.item() if hasattr(val, "item") else val
            if "MASS" in glob.columns and pd.notna(row["MASS"]) and float(row["MASS"]) > 0:
                meta["active_mass_g"] = float(row["MASS"])
    except Exception as exc:  # header table is optional
        meta["warnings"].append(f"Global_Table not read: {type(exc).__name__}")
    if "Test_ID" in df.columns and df["Test_ID"].nunique() > 1:
        first = df["Test_ID"].iloc[0]
        meta["warnings"].append(f"several Test_IDs; only Test_ID {first} read")
        df = df[df["Test_ID"] == first].reset_index(drop=True)
    if "Data_Point" in df.columns:
        df = df.sort_values("Data_Point", kind="stable").reset_index(drop=True)
    return _normalise(path, df, meta)
