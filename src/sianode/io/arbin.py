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


def _normalise(path: Path, src: pd.DataFrame, meta: dict[str, Any]) -> tuple[pd.DataFrame, dict]:
    out = pd.DataFrame(index=src.index)
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
        if req not in out.columns:
            raise c.fail(
                path, f"missing column for '{req}' (Arbin names Test_Time, Voltage, Current)"
            )
    meta["column_mapping"] = {v: k for k, v in found.items()}
    c.fix_capacity_unit(path, out, meta)
    return out, meta


def read_csv(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Arbin MITS Pro CSV export (``Data_Point,Test_Time,...``)."""
    raw = c.read_bytes(path)
    text = c.decode_text(path, raw)
    df = c.parse_csv_text(path, text)
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


def read_xlsx(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Arbin Excel export (data in ``Channel_*`` sheets, concatenated in order)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise c.fail(path, "reading .xlsx needs openpyxl (pip install openpyxl)") from exc
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types on corrupt zips
        raise c.fail(path, f"not a readable Excel workbook ({type(exc).__name__})") from exc
    chans = [k for k in sheets if str(k).lower().startswith("channel")]
    if not chans:
        raise c.fail(path, "no 'Channel_*' sheet (not an Arbin Excel export)")
    df = pd.concat([sheets[k] for k in chans], ignore_index=True)
    meta = c.base_metadata(path, "arbin_xlsx", "Arbin (Excel export)")
    meta["sheets"] = chans
    return _normalise(path, df, meta)


def _mdb_export(path: Path, table: str) -> str:
    exe = shutil.which("mdb-export")
    if exe is None:
        raise c.fail(
            path,
            "reading Arbin .res needs mdb-export from mdbtools; install it with"
            " 'apt-get install mdbtools' (Debian/Ubuntu) or 'brew install"
            " mdbtools' (macOS)",
        )
    try:
        res = subprocess.run([exe, str(path), table], capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise c.fail(path, f"mdb-export failed ({exc})") from exc
    if res.returncode != 0 or not res.stdout.strip():
        msg = res.stderr.decode("latin-1", errors="replace").strip().splitlines()
        raise c.fail(
            path,
            f"not a readable Arbin .res database (mdb-export: {msg[0] if msg else 'no output'})",
        )
    return res.stdout.decode("latin-1")


def read_res(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Arbin ``.res`` file via mdbtools' ``mdb-export``."""
    raw = c.read_bytes(path, 32)
    if len(raw) < 32 or raw[4:19] not in (b"Standard Jet DB", b"Standard ACE DB"):
        raise c.fail(path, "not an MS Access/Jet database (Arbin .res)")
    text = _mdb_export(path, "Channel_Normal_Table")
    try:
        df = pd.read_csv(io.StringIO(text), engine="pyarrow")
    except Exception:
        df = c.parse_csv_text(path, text)
    meta = c.base_metadata(path, "arbin_res", "Arbin (MITS Pro .res)")
    try:
        glob = pd.read_csv(io.StringIO(_mdb_export(path, "Global_Table")))
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
