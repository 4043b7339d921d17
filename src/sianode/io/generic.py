"""Generic delimited text with a user column map (e.g. BTS-2004 exports, PyBaMM/cellpy CSVs).

``column_map`` maps BDF names to the file's column names, e.g. ``{"Test Time / s": "Time(h)",
"Voltage / V": "Vol(V)", "Current / A": "Cur(mA)"}``. The unit is taken from the *source*
label when it has one (``Time(h)`` -> hours), else from the BDF name. Prefix the source name
with ``-`` to negate a column (a current that is positive on discharge, as in PyBaMM).
Without a map, common spellings are recognised (``Time [s]``, ``test_time``, ``Voltage(V)``).
Delimiter (``,``, ``;``, tab) and decimal comma are detected.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c
from .bdf import _QUANTITIES

_ALIASES = {
    c.TIME: ("test time", "test_time", "time", "total time", "testtime", "time [s]"),
    c.VOLTAGE: ("voltage", "volts", "potential", "ewe", "ecell", "vol"),
    c.CURRENT: ("current", "amps", "cur", "i"),
    c.INST_CYCLE: ("cycle", "cycle index", "cycle_index", "cycle number", "cycle count"),
    c.CHG_CAP: ("charge_capacity", "charge capacity", "chg. cap."),
    c.DCHG_CAP: ("discharge_capacity", "discharge capacity", "dchg. cap."),
}
_DEFAULT_UNIT = {c.TIME: "s", c.VOLTAGE: "V", c.CURRENT: "A", c.CHG_CAP: "Ah", c.DCHG_CAP: "Ah"}
_TABLES = {
    c.TIME: c.TIME_UNITS,
    c.VOLTAGE: c.VOLTAGE_UNITS,
    c.CURRENT: c.CURRENT_UNITS,
    c.CHG_CAP: c.CAPACITY_UNITS,
    c.DCHG_CAP: c.CAPACITY_UNITS,
    c.UNIX: c.TIME_UNITS,
    c.STEP_TIME: c.TIME_UNITS,
}


def _table_for(bdf: str) -> dict[str, float] | None:
    if bdf in _TABLES:
        return _TABLES[bdf]
    q = c.split_label(bdf)[0].lower()
    return _QUANTITIES[q][1] if q in _QUANTITIES else None


def read(path: Path, column_map: dict[str, str] | None = None) -> tuple[c.Columns, dict[str, Any]]:
    """Read delimited text with a column map (see module doc)."""
    raw = c.read_bytes(path)
    text = c.decode_text(path, raw)
    lines = text.splitlines()
    sample = "\n".join(lines[:20])
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    decimal = "," if sep != "," and re.search(r"\d,\d", "\n".join(lines[1:20])) else "."
    df = c.parse_csv_text(path, text, sep=sep, decimal=decimal)
    df.columns = [str(x).strip() for x in df.columns]
    meta = c.base_metadata(path, "generic", "unknown (generic delimited text)")
    cmap: dict[str, str] = dict(column_map or {})
    if not column_map:
        for bdf, names in _ALIASES.items():
            for col in df.columns:
                q, _ = c.split_label(col)
                if q.lower() in names or col.lower() in names:
                    cmap[bdf] = col
                    break
    missing = [r for r in c.REQUIRED if r not in cmap]
    if missing:
        raise c.fail(
            path,
            f"cannot map {missing}; pass column_map={{BDF name: column}}"
            f" (columns: {list(df.columns)[:12]})",
        )
    out: dict[str, np.ndarray] = {}
    for bdf, src in cmap.items():
        neg = src.startswith("-") and src not in df.columns
        name = src[1:] if neg else src
        if name not in df.columns:
            raise c.fail(path, f"column_map: column '{name}' not in file")
        unit = c.split_label(name)[1] or c.split_label(bdf)[1] or _DEFAULT_UNIT.get(bdf)
        table = _table_for(bdf)
        fac = c.unit_factor(path, unit, table, bdf) if (table and unit) else 1.0
        if bdf == c.TIME and not pd.api.types.is_numeric_dtype(df[name]):
            vals = c.hms_to_seconds(path, df[name], name)
        else:
            vals = c.numeric(path, df, name, required=bdf in c.REQUIRED) * fac
        out[bdf] = -vals if neg else vals
        meta["column_mapping"][bdf] = src
        if unit:
            meta["units_found"][bdf] = unit
    c.fix_capacity_unit(path, out, meta)
    return out, meta
