"""batterydata.energy.gov time-series CSV (``Cycle_Index,Step,Time_s,...,Current_A,Voltage_V``).

Units are in the names (``_s``, ``_A``, ``_V``, ``_Ah``, ``_Wh``); the current is positive on
charge. The provider's per-cycle summary (``*-summary.csv``, ``Q_chg``/``Q_dis``) is read by
:func:`read_summary` for cross-checks. EIS rows (``Frequency_Hz`` set) are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c

_MAP = {
    "Time_s": c.TIME,
    "Voltage_V": c.VOLTAGE,
    "Current_A": c.CURRENT,
    "Charge_Capacity_Ah": c.CHG_CAP,
    "Discharge_Capacity_Ah": c.DCHG_CAP,
    "Charge_Energy_Wh": c.CHG_E,
    "Discharge_Energy_Wh": c.DCHG_E,
    "Cycle_Index": c.INST_CYCLE,
    "Step": c.STEP_INDEX,
    "Cell_Temperature_C": c.TEMP,
    "Frequency_Hz": c.FREQUENCY,
    "Z_Real_Ohm": "Real Impedance / ohm",
    "Z_Imag_Ohm": "Imaginary Impedance / ohm",
    "Power_W": "Power / W",
}


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a batterydata.energy.gov time-series CSV."""
    _, data, enc = c.text_bytes(path, c.read_bytes(path))
    df = c.parse_csv_text(path, data, encoding=enc)
    meta = c.base_metadata(path, "batterydata", "batterydata.energy.gov (time series)")
    out: dict[str, np.ndarray] = {}
    for src, bdf in _MAP.items():
        if src in df.columns:
            out[bdf] = c.numeric(path, df, src, required=bdf in c.REQUIRED)
            meta["column_mapping"][bdf] = src
    for req in c.REQUIRED:
        if req not in out:
            raise c.fail(path, f"missing column for '{req}' (Time_s, Voltage_V, Current_A)")
    if "Datenum_d" in df.columns:
        dn = c.numeric(path, df, "Datenum_d", required=False)
        out[c.UNIX] = (dn - 719529.0) * 86400.0  # MATLAB datenum -> Unix seconds
    meta["units_found"] = {"time": "s", "voltage": "V", "current": "A", "capacity": "Ah"}
    sib = path.with_name(path.name.replace("-raw.csv", "-summary.csv"))
    if sib != path and sib.is_file():
        meta["provider_summary"] = str(sib)
    c.fix_capacity_unit(path, out, meta)
    return out, meta


def read_summary(path: Path) -> pd.DataFrame:
    """The provider's per-cycle summary: ``Cycle_Index``, ``Q_chg``, ``Q_dis`` [A h], ``CE``."""
    raw = c.read_bytes(path)
    df = c.parse_csv_text(path, c.decode_text(path, raw))
    for need in ("Cycle_Index", "Q_chg", "Q_dis"):
        if need not in df.columns:
            raise c.fail(path, f"missing column '{need}'")
    return df
