"""Shared helpers of the cycler readers: BDF names, unit handling, strict finishing.

Every reader returns a raw :class:`pandas.DataFrame` already in BDF names and units
(``Test Time / s``, ``Voltage / V``, ``Current / A`` with BDF's sign rule: positive current
charges the test object) plus a metadata dict. :func:`finish` then validates the table and
adds the derived counters (``Cycle Count / 1``, ``Step Count / 1``) by the documented rules
of :mod:`sianode.cycling`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParsingError

TIME = "Test Time / s"
VOLTAGE = "Voltage / V"
CURRENT = "Current / A"
CYCLE = "Cycle Count / 1"
STEP = "Step Count / 1"
UNIX = "Unix Time / s"
STEP_TIME = "Step Time / s"
STEP_INDEX = "Step Index / 1"
CHG_CAP = "Charging Capacity / Ah"
DCHG_CAP = "Discharging Capacity / Ah"
CHG_E = "Charging Energy / Wh"
DCHG_E = "Discharging Energy / Wh"
TEMP = "Temperature T1 / degC"
INST_CYCLE = "Instrument Cycle / 1"
INST_STEP = "Instrument Step / 1"
INST_HALF = "Instrument Half Cycle / 1"

REQUIRED = (TIME, VOLTAGE, CURRENT)

# Multipliers to the BDF unit of each quantity.
TIME_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "ms": 1e-3,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
}
CURRENT_UNITS = {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "na": 1e-9}
VOLTAGE_UNITS = {"v": 1.0, "mv": 1e-3, "uv": 1e-6, "µv": 1e-6}
CAPACITY_UNITS = {
    "ah": 1.0,
    "a.h": 1.0,
    "mah": 1e-3,
    "ma.h": 1e-3,
    "uah": 1e-6,
    "µah": 1e-6,
    "c": 1.0 / 3600.0,
    "mc": 1e-3 / 3600.0,
}
ENERGY_UNITS = {"wh": 1.0, "w.h": 1.0, "mwh": 1e-3, "mw.h": 1e-3, "j": 1.0 / 3600.0, "kwh": 1e3}


def fail(path: Any, reason: str) -> ParsingError:
    """Build the one-line :class:`ParsingError` every reader raises: ``<file>: <reason>``."""
    name = Path(str(path)).name if path is not None else "<data>"
    reason = " ".join(str(reason).split())
    return ParsingError(f"{name}: {reason}")


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """Read a file's bytes, turning OS errors into :class:`ParsingError`."""
    try:
        with open(path, "rb") as fh:
            return fh.read() if limit is None else fh.read(limit)
    except FileNotFoundError as exc:
        raise fail(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise fail(path, "is a directory, not a file") from exc
    except OSError as exc:
        raise fail(path, f"cannot read file ({exc.strerror})") from exc


def decode_text(path: Path, raw: bytes) -> str:
    """Decode text as UTF-8 (with BOM) or, failing that, Latin-1; reject binary content."""
    if not raw.strip():
        raise fail(path, "file is empty")
    if b"\x00" in raw[:65536]:
        raise fail(path, "binary content where a text export was expected")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def unit_factor(path: Path, unit: str, table: dict[str, float], what: str) -> float:
    """Multiplier from ``unit`` to the BDF unit of ``what``; ParsingError for unknown units."""
    key = unit.strip().lower().replace(" ", "").replace("·", ".")
    if key in table:
        return table[key]
    raise fail(path, f"unknown {what} unit '{unit}'")


def parse_csv_text(
    path: Path,
    text: str,
    sep: str = ",",
    decimal: str = ".",
    header: int | None = 0,
    names: list[str] | None = None,
) -> pd.DataFrame:
    """Parse delimited text with pandas' C engine; errors become ParsingError."""
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            decimal=decimal,
            header=header,
            names=names,
            low_memory=False,
            skipinitialspace=False,
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(path, f"malformed table ({first})") from exc


def numeric(path: Path, df: pd.DataFrame, col: str, *, required: bool = True) -> np.ndarray:
    """Column ``col`` as float64; ParsingError when missing or non-numeric."""
    if col not in df.columns:
        if required:
            raise fail(path, f"missing column '{col}'")
        return np.full(len(df), np.nan)
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s):
        s = pd.to_numeric(
            s.astype(str).str.strip().replace({"": None, "N/A": None}), errors="coerce"
        )
        if required and s.isna().mean() > 0.5:
            raise fail(path, f"column '{col}' is not numeric")
    try:
        return np.asarray(s, dtype=float)
    except (TypeError, ValueError) as exc:
        raise fail(path, f"column '{col}' is not numeric") from exc


def hms_to_seconds(path: Path, values: pd.Series, what: str) -> np.ndarray:
    """Parse ``[Dd ]HH:MM:SS[.fff]`` durations (hours may exceed 24) to seconds, vectorised."""
    s = values.astype(str).str.strip()
    pat = r"^(?:(\d+)\s*d\s*)?(\d+):(\d{1,2}):(\d+(?:\.\d*)?)$"
    parts = s.str.extract(pat)
    if parts[1].isna().any():
        bad = s[parts[1].isna()].iloc[0]
        raise fail(path, f"cannot parse {what} '{bad}' as [Dd ]HH:MM:SS")
    days = pd.to_numeric(parts[0], errors="coerce").fillna(0.0).to_numpy(float)
    h = parts[1].astype(float).to_numpy()
    m = parts[2].astype(float).to_numpy()
    sec = parts[3].astype(float).to_numpy()
    return days * 86400.0 + h * 3600.0 + m * 60.0 + sec


def to_unix(path: Path, values: pd.Series, fmt: str | None = None) -> np.ndarray:
    """Parse date-time strings to Unix seconds (naive times taken as UTC); NaN on failure."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ts = pd.to_datetime(values.astype(str).str.strip(), format=fmt, errors="coerce")
    except (ValueError, TypeError):
        return np.full(len(values), np.nan)
    out = np.full(len(values), np.nan)
    ok = ts.notna().to_numpy()
    if ok.any():
        ts_ok = ts[ok]
        if getattr(ts_ok.dt, "tz", None) is not None:
            ts_ok = ts_ok.dt.tz_convert(None)
        out[ok] = (ts_ok - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
    return out


def base_metadata(path: Path | None, fmt: str, instrument: str) -> dict[str, Any]:
    """Empty metadata dict with the keys every reader fills."""
    return {
        "format": fmt,
        "source_file": str(path) if path is not None else None,
        "instrument": instrument,
        "units_found": {},
        "column_mapping": {},
        "warnings": [],
    }


_LABEL = re.compile(
    r"^\s*(?P<q>.*?)\s*(?:\((?P<u1>[^()]*)\)|\[(?P<u2>[^\[\]]*)\]|/\s*(?P<u3>.+))\s*$"
)


def split_label(label: str) -> tuple[str, str | None]:
    """Split ``'Current(mA)'``, ``'Current [A]'`` or ``'Current / A'`` into quantity and unit."""
    m = _LABEL.match(str(label))
    if not m:
        return str(label).strip(), None
    unit = m.group("u1") or m.group("u2") or m.group("u3")
    return m.group("q").strip(), unit.strip() if unit else None


def fix_capacity_unit(
    path: Path, df: pd.DataFrame, meta: dict[str, Any], cols: tuple[str, ...] = (CHG_CAP, DCHG_CAP)
) -> None:
    """Check capacity counters against the integral of current; fix a x1000 mislabel.

    Vendors' labels are not trusted blindly: the largest capacity counter is compared with
    the largest charge passed in one direction (trapezoid integral of the current over time,
    within one instrument step if known). A ratio near 1000 or 1/1000 means mAh were labelled
    Ah (or the reverse); the column is rescaled and a warning recorded.
    """
    present = [c for c in cols if c in df.columns and np.isfinite(df[c]).any()]
    if not present or len(df) < 3:
        return
    t = df[TIME].to_numpy(float)
    i = df[CURRENT].to_numpy(float)
    dt = np.diff(t)
    dt[~np.isfinite(dt)] = 0.0
    mid = 0.5 * (i[1:] + i[:-1])
    ok = np.isfinite(mid)
    q_pos = float(np.sum(np.where(ok & (mid > 0), mid * dt, 0.0))) / 3600.0
    q_neg = float(np.sum(np.where(ok & (mid < 0), -mid * dt, 0.0))) / 3600.0
    ref = max(q_pos, q_neg)
    if ref <= 0:
        return
    for c in present:
        top = float(np.nanmax(np.abs(df[c].to_numpy(float))))
        if top <= 0:
            continue
        # counters reset per cycle/step: top must lie below the total throughput
        ratio = top / ref
        # A counter may reset per step or cycle, so it can only be far *below* the
        # throughput legitimately; ~1000x above it is the mAh-as-Ah mislabel.
        if 200.0 < ratio < 5000.0:
            df[c] = df[c] * 1e-3
            meta["warnings"].append(
                f"{c}: values are {ratio:.3g} x the integral of current; treated as mAh"
                " labelled as Ah and rescaled by 1e-3"
            )
