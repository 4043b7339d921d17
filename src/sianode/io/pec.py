"""PEC (SBT) tester CSV exports: a ``Key:,value`` header block, optional ``#RESULTS CHECK``
section, then the data table starting with ``Test,Cell,Rack,...``.

Units are in the column labels (``Voltage (mV)``, ``Current (mA)``, ``Charge Capacity (mAh)``,
``Total Time (Seconds)``) and are converted explicitly. PEC's current is negative on
discharge, as in BDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import _common as c

_UNIT_ALIASES = {"seconds": "s", "second": "s", "minutes": "min", "hours": "h"}


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a PEC CSV export."""
    src = c.TextLines(path, c.read_bytes(path))
    lines = src.head(200)
    k = next((n for n, line in enumerate(lines) if line.startswith("Test,Cell,")), None)
    if k is None:
        raise c.fail(path, "no 'Test,Cell,...' data header in the first 200 lines (not a PEC file)")
    meta = c.base_metadata(path, "pec", "PEC (SBT)")
    info: dict[str, str] = {}
    for line in lines[:k]:
        if line.startswith("#"):
            break
        key, _, val = line.partition(",")
        if key.endswith(":"):
            info[key[:-1].strip()] = val.strip().strip(",")
    meta["header"] = info
    df = c.parse_csv_text(path, src.rest(k), encoding=src.encoding, first_line=k + 1)
    if len(df) == 0:
        raise c.fail(path, "no data rows")
    out: dict[str, np.ndarray] = {}
    mapping = meta["column_mapping"]

    def find(q: str) -> str:
        col = c.quantity_column(df.columns, q)
        if col is None:
            raise c.fail(path, f"missing column '{q} (unit)'")
        return col

    for bdf, q, table in (
        (c.TIME, "Total Time", c.TIME_UNITS),
        (c.VOLTAGE, "Voltage", c.VOLTAGE_UNITS),
        (c.CURRENT, "Current", c.CURRENT_UNITS),
        (c.STEP_TIME, "Step Time", c.TIME_UNITS),
    ):
        col = find(q)
        unit = c.split_label(col)[1] or ""
        unit = _UNIT_ALIASES.get(unit.lower(), unit)
        out[bdf] = c.numeric(path, df, col) * c.unit_factor(path, unit, table, q.lower())
        mapping[bdf] = col
        meta["units_found"][bdf] = unit
    for bdf, label in (
        (c.CHG_CAP, "Charge Capacity (mAh)"),
        (c.DCHG_CAP, "Discharge Capacity (mAh)"),
        (c.CHG_E, "Charge Capacity (mWh)"),
        (c.DCHG_E, "Discharge Capacity (mWh)"),
    ):
        if label in df.columns:
            unit = c.split_label(label)[1]
            table = c.CAPACITY_UNITS if unit.lower().endswith("ah") else c.ENERGY_UNITS
            out[bdf] = np.abs(c.numeric(path, df, label)) * c.unit_factor(path, unit, table, bdf)
            mapping[bdf] = label
    if "Cycle" in df.columns:
        out[c.INST_CYCLE] = c.numeric(path, df, "Cycle")
        mapping[c.INST_CYCLE] = "Cycle"
    if "Step" in df.columns:
        out[c.STEP_INDEX] = c.numeric(path, df, "Step")
        mapping[c.STEP_INDEX] = "Step"
    if "Real Time" in df.columns:
        out[c.UNIX] = c.to_unix(path, df["Real Time"], "%m/%d/%Y %H:%M:%S")
    c.fix_capacity_unit(path, out, meta)
    return out, meta
