"""Indigo cycler HDF5 files (pandas/PyTables store with a ``time_series_data`` table).

Columns: ``time_s``, ``cell_voltage_v``, ``cell_current_a`` (signed, positive on charge),
``cell_coulomb_count_c`` (coulombs, converted to A h), ``cycle_count``, ``half_cycle_count``,
``system_time_us`` (Unix time in microseconds), ``cell_temperature_c``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read an Indigo HDF5 file."""
    raw = c.read_bytes(path, 8)
    if raw != HDF5_MAGIC:
        raise c.fail(path, "not an HDF5 file")
    try:
        import tables  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise c.fail(path, "reading Indigo HDF5 needs PyTables (pip install tables)") from exc
    try:
        with pd.HDFStore(path, mode="r") as store:
            keys = store.keys()
            key = "/time_series_data" if "/time_series_data" in keys else None
            if key is None:
                raise c.fail(path, f"no 'time_series_data' table (keys: {keys[:5]})")
            df = store[key]
    except c.ParsingError:
        raise
    except Exception as exc:  # HDF5/PyTables raise many types on corrupt files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise c.fail(path, f"unreadable HDF5 file ({msg[:160]})") from exc
    meta = c.base_metadata(path, "indigo", "Indigo (HDF5)")
    for need in ("time_s", "cell_voltage_v", "cell_current_a"):
        if need not in df.columns:
            raise c.fail(path, f"missing column '{need}'")
    df = df.sort_values("time_s", kind="stable") if not df["time_s"].is_monotonic_increasing else df
    df = df.reset_index(drop=True)
    out: dict[str, np.ndarray] = {
        c.TIME: df["time_s"].to_numpy(float),
        c.VOLTAGE: df["cell_voltage_v"].to_numpy(float),
        c.CURRENT: df["cell_current_a"].to_numpy(float),
    }
    mapping = {c.TIME: "time_s", c.VOLTAGE: "cell_voltage_v", c.CURRENT: "cell_current_a"}
    if "system_time_us" in df:
        out[c.UNIX] = df["system_time_us"].to_numpy(float) * 1e-6
    if "cycle_count" in df:
        out[c.INST_CYCLE] = df["cycle_count"].to_numpy(float)
        mapping[c.INST_CYCLE] = "cycle_count"
    if "half_cycle_count" in df:
        out[c.INST_HALF] = df["half_cycle_count"].to_numpy(float)
    if "cell_coulomb_count_c" in df:
        out["Net Capacity / Ah"] = df["cell_coulomb_count_c"].to_numpy(float) / 3600.0
        mapping["Net Capacity / Ah"] = "cell_coulomb_count_c / 3600"
    if "cell_temperature_c" in df:
        out[c.TEMP] = df["cell_temperature_c"].to_numpy(float)
    if "cell_energy_j" in df:
        out["Net Energy / Wh"] = df["cell_energy_j"].to_numpy(float) / 3600.0
    meta["column_mapping"] = mapping
    meta["units_found"] = {"time": "s", "voltage": "V", "current": "A", "charge": "C"}
    if not np.all(np.diff(df["time_s"].to_numpy(float)) >= 0):  # pragma: no cover
        meta["warnings"].append("time_s not monotonic")
    return out, meta
