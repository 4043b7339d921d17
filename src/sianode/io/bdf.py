"""Battery Data Format (BDF) files: ``.bdf.csv``/``.csv``, ``.bdf.parquet``/``.parquet``
(and gzip-compressed CSV), reading and writing.

Input labels may be BDF's preferred ``Quantity / unit`` labels with any unit of the right
dimension (``Test Time / h`` is converted to seconds), BDF machine names
(``test_time_second``), or common non-standard spellings (``Charge Capacity / Ah`` for
``Charging Capacity / Ah``). A file's own ``Cycle Count`` and ``Step Count`` are kept as
``Instrument Cycle / 1`` and ``Instrument Step / 1``; sianode recomputes the counters by its
documented rule (BDF requires converters not to renumber cycles, so :func:`write` writes the
file's own numbering back when it has one).
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c

PARQUET_MAGIC = b"PAR1"

# quantity (lower case) -> (BDF column, unit table or None)
_QUANTITIES: dict[str, tuple[str, dict[str, float] | None]] = {
    "test time": (c.TIME, c.TIME_UNITS),
    "time": (c.TIME, c.TIME_UNITS),
    "voltage": (c.VOLTAGE, c.VOLTAGE_UNITS),
    "current": (c.CURRENT, c.CURRENT_UNITS),
    "unix time": (c.UNIX, c.TIME_UNITS),
    "step time": (c.STEP_TIME, c.TIME_UNITS),
    "cycle count": (c.INST_CYCLE, None),
    "step count": (c.INST_STEP, None),
    "step index": (c.STEP_INDEX, None),
    "charging capacity": (c.CHG_CAP, c.CAPACITY_UNITS),
    "charge capacity": (c.CHG_CAP, c.CAPACITY_UNITS),
    "discharging capacity": (c.DCHG_CAP, c.CAPACITY_UNITS),
    "discharge capacity": (c.DCHG_CAP, c.CAPACITY_UNITS),
    "charging energy": (c.CHG_E, c.ENERGY_UNITS),
    "charge energy": (c.CHG_E, c.ENERGY_UNITS),
    "discharging energy": (c.DCHG_E, c.ENERGY_UNITS),
    "discharge energy": (c.DCHG_E, c.ENERGY_UNITS),
    "ambient temperature": ("Ambient Temperature / degC", None),
}
_MACHINE = {
    "test_time_second": c.TIME,
    "voltage_volt": c.VOLTAGE,
    "current_ampere": c.CURRENT,
    "unix_time_second": c.UNIX,
    "cycle_count": c.INST_CYCLE,
    "step_count": c.INST_STEP,
    "step_index": c.STEP_INDEX,
    "step_time_second": c.STEP_TIME,
    "charging_capacity_ah": c.CHG_CAP,
    "discharging_capacity_ah": c.DCHG_CAP,
    "ambient_temperature_celsius": "Ambient Temperature / degC",
}


def normalise(path: Path, df: pd.DataFrame, meta: dict[str, Any]) -> c.Columns:
    """Map BDF-style labels to sianode's BDF columns with unit conversion."""
    out: dict[str, Any] = {}
    mapping = meta["column_mapping"]
    for col in df.columns:
        name = str(col)
        if name.lower() in _MACHINE:
            target, fac = _MACHINE[name.lower()], 1.0
        else:
            q, unit = c.split_label(name)
            if q.lower() not in _QUANTITIES:
                if name not in out:
                    out[name] = c.column_values(df[col])
                continue
            target, table = _QUANTITIES[q.lower()]
            fac = 1.0
            if table is not None:
                if not unit:
                    raise c.fail(path, f"column '{name}' has no unit")
                fac = c.unit_factor(path, unit, table, q.lower())
                meta["units_found"][target] = unit
        if target in out:
            continue
        out[target] = c.numeric(path, df, col, required=target in c.REQUIRED) * fac
        mapping[target] = name
    for req in c.REQUIRED:
        if req not in out:
            raise c.fail(path, f"missing BDF column '{req}'")
    return out


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a BDF CSV (optionally gzip) or Parquet file."""
    raw = c.read_bytes(path)
    meta = c.base_metadata(path, "bdf", "Battery Data Format")
    if raw[:4] == PARQUET_MAGIC:
        try:
            df = pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises assorted errors on corrupt input
            raise c.fail(path, f"unreadable Parquet file ({type(exc).__name__})") from exc
        meta["format"] = "bdf_parquet"
    else:
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise c.fail(path, "corrupt gzip stream") from exc
        _, body, encoding = c.text_bytes(path, raw)
        try:
            df = pd.read_csv(io.BytesIO(body), engine="pyarrow", encoding=encoding)
        except Exception:
            df = c.parse_csv_text(path, body, encoding=encoding)
        meta["format"] = "bdf_csv"
    if len(df) == 0:
        raise c.fail(path, "no data rows")
    side = Path(
        str(path).removesuffix(".gz").removesuffix(".csv").removesuffix(".parquet")
        + ".metadata.json"
    )
    if side.is_file():
        try:
            meta["sidecar"] = json.loads(side.read_text())
        except (OSError, ValueError):
            meta["warnings"].append(f"sidecar {side.name} is not valid JSON")
    return normalise(path, df, meta), meta


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


EXTENSION_COLUMNS = {
    c.INST_CYCLE: "cycle counter as written by the instrument (not renumbered)",
    c.INST_STEP: "step counter as written by the instrument",
    c.INST_HALF: "half-cycle counter as written by the instrument",
    "Instrument State": "instrument's state letter/label",
    "Step Type": "instrument's step type label",
}


def write(
    data: pd.DataFrame,
    path: Path | str,
    metadata: dict[str, Any] | None = None,
    fmt: str | None = None,
) -> tuple[Path, Path]:
    """Write a table in BDF names as ``.bdf.csv`` or ``.bdf.parquet`` plus a JSON sidecar.

    Parameters
    ----------
    data : pandas.DataFrame
        Table from :func:`sianode.io.read`.
    path : path-like
        Output file; ``.bdf.csv`` or ``.bdf.parquet`` is appended when missing.
    metadata : dict, optional
        Metadata from the reader; stored in ``<name>.metadata.json``.
    fmt : {"csv", "parquet"}, optional
        Output format; default from the extension (CSV when unclear).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        Data file and sidecar.
    """
    from ..errors import ParameterError

    p = Path(path)
    name = p.name
    if fmt is None:
        fmt = "parquet" if name.endswith(".parquet") else "csv"
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"fmt: expected 'csv' or 'parquet', got {fmt!r}")
    for suf in (".bdf.csv", ".bdf.parquet", ".csv", ".parquet"):
        if name.endswith(suf):
            name = name[: -len(suf)]
            break
    data_path = p.with_name(f"{name}.bdf.{fmt}")
    side_path = p.with_name(f"{name}.metadata.json")
    for req in c.REQUIRED:
        if req not in data.columns:
            raise ParameterError(f"data: missing BDF column '{req}'")
    out = data.copy()
    first = [
        col for col in (c.TIME, c.VOLTAGE, c.CURRENT, c.UNIX, c.CYCLE, c.STEP) if col in out.columns
    ]
    out = out[first + [col for col in out.columns if col not in first]]
    data_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        out.to_csv(data_path, index=False)
    else:
        out.to_parquet(data_path, index=False)
    side = {
        "bdf_version": "ontology 1.3.0 labels",
        "sign_convention": "positive current charges the test object",
        "cycle_rule": f"{c.CYCLE} from the current by the documented rule of"
        f" sianode.io.counters; the instrument's numbering is in {c.INST_CYCLE}",
        "extension_columns": {k: v for k, v in EXTENSION_COLUMNS.items() if k in out.columns},
        "source_metadata": _json_safe(metadata or {}),
    }
    side_path.write_text(json.dumps(side, indent=2))
    return data_path, side_path
