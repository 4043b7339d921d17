"""Novonix HPC CSV: ``[Summary]`` ... ``[End Summary]``, ``[Protocol]`` ... ``[End Protocol]``,
then ``[Data]`` with a header and rows each wrapped in double quotes. Times are in hours.

``Capacity (Ah)`` is the unsigned charge of the current step; its direction is taken from the
sign of the current (Novonix: positive on charge, as in BDF).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a Novonix HPC CSV export."""
    text, data, enc = c.text_bytes(path, c.read_bytes(path))
    pos = text.find("[Data]")
    if pos < 0:
        raise c.fail(path, "no '[Data]' section (not a Novonix file or truncated)")
    meta = c.base_metadata(path, "novonix", "Novonix HPC")
    summary: dict[str, str] = {}
    m = re.search(r"\[Summary\](.*?)\[End Summary\]", text[:pos], re.S)
    if m:
        for line in m.group(1).splitlines():
            key, sep, val = line.partition(":")
            if sep:
                summary[key.strip()] = val.strip()
    meta["summary"] = summary
    # the same characters as text[pos + 6:].lstrip("\r\n").replace('"', ""), as bytes (an
    # ASCII pattern is found at the same character in UTF-8 or Latin-1 bytes)
    body = data[data.find(b"[Data]") + len(b"[Data]") :].lstrip(b"\r\n").replace(b'"', b"")
    df = c.parse_csv_text(path, body, encoding=enc)
    if len(df) == 0:
        raise c.fail(path, "no data rows")
    out: dict[str, np.ndarray] = {}
    mapping = meta["column_mapping"]

    def col(q: str) -> str:
        name = c.quantity_column(df.columns, q)
        if name is None:
            raise c.fail(path, f"missing column '{q}'")
        return name

    for bdf, q, table in (
        (c.TIME, "Run Time", c.TIME_UNITS),
        (c.STEP_TIME, "Step Time", c.TIME_UNITS),
        (c.VOLTAGE, "Potential", c.VOLTAGE_UNITS),
        (c.CURRENT, "Current", c.CURRENT_UNITS),
    ):
        name = col(q)
        unit = c.split_label(name)[1] or ""
        out[bdf] = c.numeric(path, df, name) * c.unit_factor(path, unit, table, q.lower())
        mapping[bdf] = name
        meta["units_found"][bdf] = unit
    cap_name = col("Capacity")
    cap = np.abs(c.numeric(path, df, cap_name)) * c.unit_factor(
        path, c.split_label(cap_name)[1] or "Ah", c.CAPACITY_UNITS, "capacity"
    )
    i = out[c.CURRENT]
    step = c.numeric(path, df, "Step Number", required=False)
    # direction of each step from the sign of its mean current
    s = pd.Series(i).groupby(pd.Series(step).fillna(-1).to_numpy()).transform("mean").to_numpy()
    out[c.CHG_CAP] = np.where(s > 0, cap, 0.0)
    out[c.DCHG_CAP] = np.where(s < 0, cap, 0.0)
    mapping[c.CHG_CAP] = f"{cap_name} in steps with I > 0"
    mapping[c.DCHG_CAP] = f"{cap_name} in steps with I < 0"
    out[c.STEP_INDEX] = step
    if "Cycle Number" in df.columns:
        out[c.INST_CYCLE] = c.numeric(path, df, "Cycle Number")
    for name in df.columns:
        if name.startswith("Temperature"):
            out[c.TEMP] = c.numeric(path, df, name)
            break
    if "Date and Time" in df.columns:
        out[c.UNIX] = c.to_unix(path, df["Date and Time"], "%Y-%m-%d %I:%M:%S %p")
    c.fix_capacity_unit(path, out, meta)
    return out, meta
