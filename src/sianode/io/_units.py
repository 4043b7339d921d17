"""Units of the cycler readers: label parsing, unit tables, the mAh-as-Ah check."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import CHG_CAP, CURRENT, DCHG_CAP, TIME
from ._files import fail
from ._tables import n_rows

if TYPE_CHECKING:
    import pandas as pd

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


def quantity_column(columns: Any, quantity: str) -> str | None:
    """The first column labelled ``quantity`` with any unit (``'Voltage (mV)'`` for
    ``'voltage'``; case-insensitive), or None."""
    want = quantity.lower()
    return next((k for k in columns if split_label(k)[0].lower() == want), None)


def unit_factor(path: Path, unit: str, table: dict[str, float], what: str) -> float:
    """Multiplier from ``unit`` to the BDF unit of ``what``; ParsingError for unknown units."""
    key = unit.strip().lower().replace(" ", "").replace("·", ".")
    if key in table:
        return table[key]
    raise fail(path, f"unknown {what} unit '{unit}'")


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
    path: Path,
    df: pd.DataFrame | MutableMapping[str, Any],
    meta: dict[str, Any],
    cols: tuple[str, ...] = (CHG_CAP, DCHG_CAP),
) -> None:
    """Check capacity counters against the integral of current; fix a x1000 mislabel.

    Vendors' labels are not trusted blindly: the largest capacity counter is compared with
    the largest charge passed in one direction (trapezoid integral of the current over time,
    within one instrument step if known). A ratio near 1000 or 1/1000 means mAh were labelled
    Ah (or the reverse); the column is rescaled and a warning recorded.
    """
    present = [c for c in cols if c in df and np.isfinite(np.asarray(df[c], dtype=float)).any()]
    if not present or n_rows(df) < 3:
        return
    t = np.asarray(df[TIME], dtype=float)
    i = np.asarray(df[CURRENT], dtype=float)
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
        top = float(np.nanmax(np.abs(np.asarray(df[c], dtype=float))))
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
