"""Voltage-capacity curves and differential capacity (dQ/dV) of each half cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..columns import CURRENT, CYCLE, VOLTAGE
from ..errors import ParameterError
from ..io.counters import active_threshold, detect_cycles, half_cycle_labels
from .table import _array, _increments, _require

if TYPE_CHECKING:  # imported where the curves are built (not by sianode.cycling itself)
    import pandas as pd

    from .table import TimeSeries


def _half_cycles(data: TimeSeries, method: str | None) -> pd.DataFrame:
    import pandas as pd

    _require(data)
    dq = _increments(data, method)
    labels, signs = half_cycle_labels(_array(data[CURRENT], float), dq)
    cyc = _array(data[CYCLE]) if CYCLE in data else detect_cycles(_array(data[CURRENT], float), dq)
    frame = pd.DataFrame(
        {
            "half": labels,
            CYCLE: cyc,
            VOLTAGE: _array(data[VOLTAGE], float),
            "dq": dq,
            CURRENT: _array(data[CURRENT], float),
        }
    )
    sign_of = signs[labels] if signs.size else np.zeros(labels.size, dtype=int)
    frame["direction"] = np.where(sign_of > 0, "charge", np.where(sign_of < 0, "discharge", "rest"))
    return frame


def voltage_capacity(data: TimeSeries, method: str | None = None) -> pd.DataFrame:
    """Voltage against the charge passed within each half cycle.

    Parameters
    ----------
    data : pandas.DataFrame or sianode.io.ColumnTable
        Time series in BDF names.
    method : {"trapezoid", "hold"}, optional
        Integration rule (see :func:`charge_increments`).

    Returns
    -------
    pandas.DataFrame
        Columns ``Cycle Count / 1``, ``Half Cycle / 1`` (0-based), ``Direction``
        (``charge``/``discharge`` in BDF sense), ``Capacity / Ah`` (>= 0, restarting at 0 in
        every half cycle) and ``Voltage / V``; only active points.
    """
    import pandas as pd

    f = _half_cycles(data, method)
    thr = active_threshold(f[CURRENT].to_numpy())
    cap = f.groupby("half")["dq"].cumsum().abs().to_numpy()
    out = pd.DataFrame(
        {
            CYCLE: f[CYCLE].to_numpy(),
            "Half Cycle / 1": f["half"].to_numpy(),
            "Direction": f["direction"].to_numpy(),
            "Capacity / Ah": cap,
            VOLTAGE: f[VOLTAGE].to_numpy(),
        }
    )
    keep = np.abs(f[CURRENT].to_numpy()) > thr
    return out[keep].reset_index(drop=True)


def dqdv(
    data: TimeSeries,
    dv_V: float = 0.005,
    window: int = 9,
    method: str | None = None,
    min_points: int = 10,
) -> pd.DataFrame:
    """Differential capacity dQ/dV of each half cycle, smoothed.

    Method: for each half cycle, the charge passed (>= 0) is averaged in voltage bins of
    width ``dv_V`` (this tolerates noisy, non-monotonic voltage), empty bins are filled by
    linear interpolation, the derivative is taken by central differences, and smoothed with a
    Savitzky-Golay filter (``window`` bins, polynomial order 2). Half cycles with fewer than
    ``min_points`` active points or spanning fewer than 5 bins are skipped.

    Parameters
    ----------
    data : pandas.DataFrame or sianode.io.ColumnTable
        Time series in BDF names.
    dv_V : float
        Voltage bin width [V].
    window : int
        Savitzky-Golay window [bins]; odd, >= 3.
    method : {"trapezoid", "hold"}, optional
        Integration rule.
    min_points : int
        Minimum number of active points per half cycle.

    Returns
    -------
    pandas.DataFrame
        Columns ``Cycle Count / 1``, ``Half Cycle / 1``, ``Direction``, ``Voltage / V``
        (bin centres) and ``dQ/dV / Ah/V`` (>= 0 for both directions).
    """
    import pandas as pd
    from scipy.signal import savgol_filter

    if not (np.isfinite(dv_V) and dv_V > 0):
        raise ParameterError(f"dv_V: must be > 0 V, got {dv_V}")
    if window < 3 or window % 2 == 0:
        raise ParameterError(f"window: must be odd and >= 3, got {window}")
    vc = voltage_capacity(data, method)
    rows = []
    for (half, cyc, direction), g in vc.groupby(["Half Cycle / 1", CYCLE, "Direction"], sort=True):
        if direction == "rest" or len(g) < min_points:
            continue
        v = g[VOLTAGE].to_numpy()
        q = g["Capacity / Ah"].to_numpy()
        ok = np.isfinite(v) & np.isfinite(q)
        v, q = v[ok], q[ok]
        if v.size < min_points:
            continue
        lo, hi = float(v.min()), float(v.max())
        nb = int(np.floor((hi - lo) / dv_V)) + 1
        if nb < 5:
            continue
        idx = np.minimum(((v - lo) / dv_V).astype(int), nb - 1)
        cnt = np.bincount(idx, minlength=nb)
        qs = np.bincount(idx, weights=q, minlength=nb)
        centres = lo + (np.arange(nb) + 0.5) * dv_V
        has = cnt > 0
        qbin = np.interp(centres, centres[has], qs[has] / cnt[has])
        d = np.abs(np.gradient(qbin, dv_V))
        w = min(window, nb if nb % 2 else nb - 1)
        if w >= 3:
            d = savgol_filter(d, w, min(2, w - 1))
        rows.append(
            pd.DataFrame(
                {
                    CYCLE: cyc,
                    "Half Cycle / 1": half,
                    "Direction": direction,
                    VOLTAGE: centres,
                    "dQ/dV / Ah/V": np.clip(d, 0.0, None),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=[CYCLE, "Half Cycle / 1", "Direction", VOLTAGE, "dQ/dV / Ah/V"])
    return pd.concat(rows, ignore_index=True)
