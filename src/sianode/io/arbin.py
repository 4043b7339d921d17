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
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c
from .checks import check_record_index

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


# Arbin names (units stripped) of the date-time column.
_DATE_NAMES = ("DateTime", "Date_Time")


def _field(col: str) -> tuple[str, str | None]:
    """Arbin quantity name (spaces as ``_``) and unit of a column label."""
    q, unit = c.split_label(col)
    return q.replace(" ", "_"), unit


def _normalise(
    path: Path, src: pd.DataFrame | Mapping[str, Any], meta: dict[str, Any]
) -> tuple[c.Columns, dict[str, Any]]:
    """BDF columns from Arbin-named columns (a DataFrame or a dict of arrays/Series)."""
    out: dict[str, np.ndarray] = {}
    found: dict[str, str] = {}
    for col in src.keys():  # a DataFrame's keys are its columns
        q, unit = _field(col)
        if q in _MAP and _MAP[q] not in found.values():
            bdf = _MAP[q]
            fac = 1.0
            if unit and bdf in _UNITS:
                fac = c.unit_factor(path, unit, _UNITS[bdf], bdf.split(" /")[0].lower())
                meta["units_found"][bdf] = unit
            out[bdf] = c.numeric(path, src, col, required=bdf in c.REQUIRED) * fac
            found[col] = bdf
        elif q in _DATE_NAMES:
            s = src[col]
            if isinstance(s, np.ndarray) and s.dtype == "datetime64[us]":  # xlsx fast path
                out[c.UNIX] = _unix_seconds(path, s)
            elif pd.api.types.is_numeric_dtype(s):
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
    if "Data_Point" in src.keys():
        note = check_record_index(c.numeric(path, src, "Data_Point"), "Data_Point")
        if note:
            meta["warnings"].append(note)
    c.fix_capacity_unit(path, out, meta)
    return out, meta


def _unix_seconds(path: Path, t: np.ndarray) -> np.ndarray:
    """Unix seconds of naive datetime64[us] values, equal to ``c.to_unix(path, pd.Series(t))``.

    ``to_unix`` formats the values as text and parses them back, which gives the same
    datetime64[us] values; it then takes pandas' ``total_seconds`` of the difference to
    1970-01-01, as done here without the text round trip. NaT takes the ``to_unix`` path.
    """
    if np.isnat(t).any():
        return c.to_unix(path, pd.Series(t))
    epoch = pd.Timestamp("1970-01-01")
    return (pd.Series(t) - epoch).dt.total_seconds().to_numpy(dtype=float)


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


def _value_cells(xml: str, j: int) -> list[tuple[str, str]]:
    """(row number, raw ``<v>`` text) of the plain value cells of column ``j`` below row 1."""
    import re

    col = _column_letters(j)
    cells = re.findall(rf'<c r="{col}(\d+)"(?: [^>]*)?><v>([^<]*)</v></c>', xml)
    return [cell for cell in cells if cell[0] != "1"]  # row 1 is the header


def _serials(cells: list[tuple[str, str]]) -> np.ndarray | None:
    """The numbers of ``_value_cells`` that fill rows 2, 3, ... without a gap; else None."""
    rows = np.array([int(r) for r, _ in cells])
    if not np.array_equal(rows, np.arange(2, len(cells) + 2)):
        return None
    try:
        return np.array([float(v) for _, v in cells])
    except ValueError:
        return None


def _exact_datetimes(cal: np.ndarray, serial: np.ndarray | None) -> np.ndarray | None:
    """A date-time column (datetime64[us]) from its raw Excel serials (see ``_serials``).

    ``cal`` is calamine's reading of the data rows (below the header row). The serials are
    rounded to the millisecond as openpyxl does; None when they cannot be matched to the
    rows (a cell without a plain ``<v>``, a gap, a non-number, a value out of range, or one
    more than 1 ms from calamine's).
    """
    if serial is None or len(serial) != len(cal):
        return None
    if not (np.all(np.isfinite(serial)) and serial.min() >= 61.0 and serial.max() < 2.9e6):
        return None
    exact = _excel_datetimes(serial)
    if np.isnat(cal).any() or np.abs(exact - cal).max() > np.timedelta64(1, "ms"):
        return None
    return exact


def _fix_calamine_dates(z: Any, part: str, df: pd.DataFrame) -> bool:
    """Give ``df``'s date-time columns openpyxl's values, from the raw serials in ``part``.

    calamine rounds ``serial * 86400000`` to the millisecond, which differs from openpyxl
    (and from the exact value) by 1 ms for times that end in .5 ms. Returns False when the
    raw serials cannot be matched to the rows, so that the caller falls back to openpyxl.
    """
    dt_cols = [j for j, dt in enumerate(df.dtypes) if dt.kind == "M"]
    if not dt_cols:
        return True
    xml = z.read(part).decode("utf-8")
    for j in dt_cols:
        cal = df.iloc[:, j].to_numpy("datetime64[us]")
        exact = _exact_datetimes(cal, _serials(_value_cells(xml, j)))
        if exact is None:
            return False
        df.isetitem(j, pd.Series(exact, index=df.index, name=df.columns[j]))
    return True


def _channel_parts(path: Path, names: list[str]) -> tuple[list[str], dict[str, str] | None]:
    """The ``Channel_*`` sheet names in workbook order and their XML parts (see
    ``_sheet_parts``; None when they cannot be matched)."""
    chans = [k for k in names if str(k).lower().startswith("channel")]
    return chans, (_sheet_parts(path, chans) if chans else {})


def _read_channel_sheets_calamine(path: Path) -> tuple[list[str], list[pd.DataFrame]] | None:
    """Channel sheets read with python-calamine (Rust); None to fall back to openpyxl."""
    import zipfile

    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as wb:
        chans, parts = _channel_parts(path, wb.sheet_names)
    if not chans:
        return chans, []
    if parts is None:
        return None
    frames = pd.read_excel(path, sheet_name=chans, engine="calamine")
    with zipfile.ZipFile(path) as z:
        for k in chans:
            if not _fix_calamine_dates(z, parts[k], frames[k]):
                return None
    return chans, [frames[k] for k in chans]


class _Decline(Exception):
    """The direct calamine path cannot vouch for pandas' result: read with pandas instead."""


_TEMPORAL = (date, time, timedelta)  # datetime is a subclass of date


def _float_cells(cells: tuple[Any, ...], kinds: set[type]) -> np.ndarray:
    """Numeric cells as pandas' ``read_excel`` + ``numeric`` make them; else ``_Decline``.

    Only columns of floats and empty cells (``''``) are taken. pandas turns integral floats
    into Python ints and then infers int64 (no empty cell) or float64, and ``''`` into NaN;
    ``numeric`` converts back to float64. That round trip is exact for ``|v| < 2**53`` except
    that ``-0.0`` becomes ``0.0``, which ``+ 0.0`` reproduces (and changes nothing else).
    """
    if kinds == {float}:
        v = np.array(cells, dtype=float)
    elif kinds <= {float, str} and {x for x in cells if type(x) is str} == {""}:
        v = np.array([np.nan if type(x) is str else x for x in cells], dtype=float)
    else:
        raise _Decline
    v = v + 0.0
    if (np.abs(v) >= 2.0**53).any():  # ints beyond float precision, inf: leave to pandas
        raise _Decline
    return v


class _SheetXml:
    """A worksheet part unzipped and decoded in a background thread.

    Started just before calamine parses the same sheet: calamine and zlib release the GIL,
    so on a second core the raw date serials cost little wall time. Column A's serials
    (where Arbin writes ``Date_Time``) are extracted there too. ``get`` re-raises the
    thread's error, if any.
    """

    def __init__(self, path: Path, part: str) -> None:
        import threading

        self._xml: str | None = None
        self._serials_a: np.ndarray | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, part), daemon=True)
        self._thread.start()

    def _run(self, path: Path, part: str) -> None:
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                self._xml = z.read(part).decode("utf-8")
            self._serials_a = _serials(_value_cells(self._xml, 0))
        except BaseException as exc:  # handed to the reading thread by get()
            self._error = exc

    def join(self) -> None:
        """Wait for the thread."""
        self._thread.join()

    def serials(self, j: int) -> np.ndarray | None:
        """``_serials(_value_cells(xml, j))`` of the sheet XML."""
        self.join()
        if self._error is not None:
            raise self._error
        assert self._xml is not None
        return self._serials_a if j == 0 else _serials(_value_cells(self._xml, j))


def _sheet_columns(wb: Any, name: str, sheet_xml: _SheetXml) -> dict[str, Any] | None:
    """One Channel sheet's columns straight from calamine's cells, as the pandas path gives.

    Returns None when a date-time column's raw serials cannot be matched (the pandas path
    then falls back to openpyxl too); raises ``_Decline`` for any sheet the pandas path may
    read differently: a header that is not distinct non-empty text (pandas renames such
    labels) or starts with a BOM, no data row, a used column with other than floats and empty cells, or
    date/time cells in a column that is not all ``datetime``. Columns ``_normalise`` does
    not use are kept as raw cells (object arrays), as they are never looked at.
    """
    rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if len(rows) < 2:
        raise _Decline
    header = rows[0]
    if not all(type(h) is str and h.strip() for h in header) or len(set(header)) < len(header):
        raise _Decline
    if header[0].startswith("\ufeff"):  # pandas strips a leading BOM from the first label
        raise _Decline
    if set(map(len, rows)) != {len(header)}:
        raise _Decline
    out: dict[str, Any] = {}
    for j, (col, cells) in enumerate(zip(header, zip(*rows[1:]), strict=True)):
        kinds = set(map(type, cells))
        q = _field(col)[0]
        if any(issubclass(k, _TEMPORAL) for k in kinds):
            # pandas infers datetime64[us] from all-datetime cells; the pandas path then
            # replaces them by the raw serials' values, as done here with the same check.
            if kinds != {datetime} or q in _MAP:
                raise _Decline
            cal = pd.DatetimeIndex(cells).to_numpy().astype("datetime64[us]")
            exact = _exact_datetimes(cal, sheet_xml.serials(j))
            if exact is None:
                return None
            out[col] = exact
        elif q in _MAP:
            out[col] = _float_cells(cells, kinds)
        elif q in _DATE_NAMES:  # a text or numeric date column: pandas' own inference
            raise _Decline
        else:
            out[col] = np.array(cells, dtype=object)
    return out


def _read_channel_columns_calamine(
    path: Path,
) -> tuple[list[str], dict[str, Any] | list[pd.DataFrame]] | None:
    """Channel sheets read with python-calamine: columns built from calamine's cells.

    This skips ``pd.read_excel`` (a Python conversion of every cell and pandas' type
    inference): only the columns ``_normalise`` uses are converted, and only when their
    cells are of kinds whose pandas result is known exactly (see ``_sheet_columns``);
    otherwise the sheets are read through pandas as before. Sheets with the same header
    are joined column by column (what ``pd.concat`` does for them). None to fall back to
    openpyxl, exactly when the pandas path would.
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    with CalamineWorkbook.from_path(str(path)) as wb:
        chans, parts = _channel_parts(path, wb.sheet_names)
        worksheets = {m.name for m in wb.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet}
        try:
            # no channel sheet, unmatched parts: the pandas path answers those cases
            if not chans or parts is None or not worksheets.issuperset(chans):
                raise _Decline
            sheets = []
            for k in chans:
                sheet_xml = _SheetXml(path, parts[k])
                try:
                    sheets.append(_sheet_columns(wb, k, sheet_xml))
                finally:
                    sheet_xml.join()
            if any(sh is None for sh in sheets):
                return None
            if any(list(sh) != list(sheets[0]) for sh in sheets):
                raise _Decline
        except _Decline:
            sheets = None
    if sheets is None:
        return _read_channel_sheets_calamine(path)
    return chans, {k: np.concatenate([sh[k] for sh in sheets]) for k in sheets[0]}


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
    times ending in .5 ms). Columns are built from calamine's cells directly when their kinds
    make pandas' result certain, else through ``pd.read_excel``. Without calamine, or when
    the raw serials cannot be matched to the rows, openpyxl reads the sheets.
    """
    result = None
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        python_calamine = None
    if python_calamine is not None:
        try:
            result = _read_channel_columns_calamine(path)
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
    df = frames if isinstance(frames, dict) else pd.concat(frames, ignore_index=True)
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


def _mdb_timeout(path: Path) -> float:
    """Seconds ``mdb-export`` may take: 3 s plus 2 s per MB, 6 s for the 1.6 MB shared file
    (it exports the whole of that file in ~0.1 s; a damaged database can make it loop)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return 3.0 + 2.0 * size / 1e6


def _mdb_finish(path: Path, proc: subprocess.Popen | c.ParsingError) -> str:
    """Wait for an ``mdb-export`` started by :func:`_mdb_start` and return its CSV text."""
    if isinstance(proc, c.ParsingError):
        raise proc
    try:
        out, err = proc.communicate(timeout=_mdb_timeout(path))
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
        # the test with the most records (a damaged Test_ID in the first row must not
        # leave a one-row table)
        ids = df["Test_ID"].value_counts(sort=True)
        main = ids.index[0]
        meta["warnings"].append(
            f"several Test_IDs; only Test_ID {main} read ({int(ids.iloc[0])} of {len(df)}"
            f" records; Test_IDs {', '.join(str(k) for k in ids.index[1:6])} dropped)"
        )
        df = df[df["Test_ID"] == main].reset_index(drop=True)
    if "Data_Point" in df.columns:
        if not df["Data_Point"].is_monotonic_increasing:
            df = df.sort_values("Data_Point", kind="stable").reset_index(drop=True)
    return _normalise(path, df, meta)
