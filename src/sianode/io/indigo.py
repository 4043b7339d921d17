"""Indigo cycler HDF5 files (pandas/PyTables store with a ``time_series_data`` table).

Columns: ``time_s``, ``cell_voltage_v``, ``cell_current_a`` (signed, positive on charge),
``cell_coulomb_count_c`` (coulombs, converted to A h), ``cycle_count``, ``half_cycle_count``,
``system_time_us`` (Unix time in microseconds), ``cell_temperature_c``.

The table is read in a forked process (a damaged file can crash the HDF5 library). The
metadata's ``records`` gives the span of record numbers the rows come from (a file may be a
sample of the instrument's records) and ``charge_totals`` which charge totals are right and
why: the coulomb counter's, against the integral of sparsely sampled current
(:func:`charge_totals`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c
from .counters import charge_increments

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


#: Seconds a (forked) HDF5 read may take before it is stopped.
HDF5_TIMEOUT_S = 30.0


def _load(path: Path) -> pd.DataFrame:
    """The ``time_series_data`` table (what runs in the isolated process)."""
    try:
        with pd.HDFStore(path, mode="r") as store:
            keys = store.keys()
            if "/time_series_data" not in keys:
                raise c.fail(path, f"no 'time_series_data' table (keys: {keys[:5]})")
            return store["/time_series_data"]
    except c.ParsingError:
        raise
    except Exception as exc:  # HDF5/PyTables raise many types on corrupt files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise c.fail(path, f"unreadable HDF5 file ({msg[:160]})") from exc


def _child(path: str, conn: Any) -> None:
    """Forked child: load the table and send it, or the ParsingError's message."""
    import os

    try:
        conn.send(("ok", _load(Path(path))))
    except c.ParsingError as exc:
        conn.send(("error", str(exc)))
    except BaseException as exc:  # anything else: reported by the parent as one line
        conn.send(("error", f"{Path(path).name}: unreadable HDF5 file ({type(exc).__name__})"))
    finally:
        conn.close()
        os._exit(0)  # no atexit handlers or buffers of the parent's in a forked child


def _load_isolated(path: Path) -> pd.DataFrame:
    """:func:`_load` in a forked process, so that a crash of the HDF5 C library on a damaged
    file (a segmentation fault, seen when mutating ``indigo_test_sample.h5``) is a
    :class:`ParsingError`, not the end of the caller's process (a notebook's kernel).

    Forking shares the loaded libraries (a few ms); where ``fork`` is not available the
    table is read in this process, without that protection.
    """
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():  # pragma: no cover - Windows
        return _load(path)
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(str(path), send), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(HDF5_TIMEOUT_S):
            proc.kill()
            raise c.fail(path, f"HDF5 read did not finish in {HDF5_TIMEOUT_S:g} s (damaged file?)")
        try:
            status, payload = receive.recv()
        except EOFError:
            proc.join(5)
            raise c.fail(
                path,
                f"the HDF5 library crashed reading this file (exit code {proc.exitcode});"
                " the file is damaged",
            ) from None
    finally:
        receive.close()
        proc.join(5)
    if status != "ok":
        raise c.ParsingError(payload)
    return payload


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read an Indigo HDF5 file (in a forked process, see :func:`_load_isolated`)."""
    raw = c.read_bytes(path, 8)
    if raw != HDF5_MAGIC:
        raise c.fail(path, "not an HDF5 file")
    try:
        import tables  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise c.fail(path, "reading Indigo HDF5 needs PyTables (pip install tables)") from exc
    df = _load_isolated(path)
    meta = c.base_metadata(path, "indigo", "Indigo (HDF5)")
    for need in ("time_s", "cell_voltage_v", "cell_current_a"):
        if need not in df.columns:
            raise c.fail(path, f"missing column '{need}'")
    meta["records"] = _record_span(df.index)
    if not df.index.is_monotonic_increasing:
        meta["warnings"].append(
            "record numbers (the table's index) are not increasing; the file may be damaged"
        )
    t = df["time_s"].to_numpy(float)
    if not df["time_s"].is_monotonic_increasing:
        back = int(np.count_nonzero(np.diff(t) < 0))
        meta["warnings"].append(
            f"time_s decreases {back} times; rows sorted by time_s (the file may be damaged)"
        )
        df = df.sort_values("time_s", kind="stable")
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
    if "Net Capacity / Ah" in out and c.INST_HALF in out:
        meta["charge_totals"] = charge_totals(
            out[c.TIME], out[c.CURRENT], out["Net Capacity / Ah"], out[c.INST_HALF], meta["records"]
        )
    return out, meta


def _record_span(index: pd.Index) -> dict[str, int] | None:
    """Rows in the file and the span of record numbers they come from (the index)."""
    if len(index) == 0 or index.dtype.kind not in "iu":
        return None
    lo, hi = int(index.min()), int(index.max())
    return {"rows": len(index), "first_record": lo, "last_record": hi, "span": hi - lo + 1}


def charge_totals(
    time_s: np.ndarray,
    current_A: np.ndarray,
    counter_Ah: np.ndarray,
    half_cycle: np.ndarray,
    records: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Which charge totals of an Indigo file are right, and why (stored in the metadata).

    Indigo files may hold a sample of the instrument's records (``indigo_test_sample.h5``:
    20,000 rows whose record numbers span 5,028,331 records, 17 s apart at the median and up
    to 270 s) of a current that changes often. Two totals can be formed:

    * the integral of the sampled current over time (sianode's cycle capacities, trapezoid
      rule). Between samples the current is unknown, so the total depends on the rule; the
      spread between trapezoid, left-hold (``I[k-1] dt``) and right-hold (``I[k] dt``) is
      its uncertainty from the sampling;
    * the instrument's coulomb counter (``cell_coulomb_count_c``), which integrates every
      record, restarting at each half cycle: its last value in a half cycle is that half
      cycle's net charge, with no sampling error.

    The counter's totals are the right net charges; the integral's are estimates uncertain
    by the spread (and count charge and discharge within a half cycle separately).

    Parameters
    ----------
    time_s, current_A : numpy.ndarray
        Test time [s] and current [A] (BDF sign).
    counter_Ah : numpy.ndarray
        The coulomb counter [A h].
    half_cycle : numpy.ndarray
        The instrument's half-cycle number of each row.
    records : dict, optional
        Rows and record-number span (from the file's index).

    Returns
    -------
    dict
        Totals [A h] and the reasoning as text (``verdict``).
    """
    t = np.asarray(time_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    q = np.asarray(counter_Ah, dtype=float)
    hc = np.asarray(half_cycle, dtype=float)
    dt = np.diff(t)
    # left hold: the hold rule applied to the current shifted by one sample
    shifted = np.r_[np.nan, i[:-1]]
    totals: dict[str, tuple[float, float]] = {}
    for rule, dq in (
        ("trapezoid", charge_increments(t, i, "trapezoid")),
        ("left_hold", charge_increments(t, shifted, "hold")),
        ("right_hold", charge_increments(t, i, "hold")),
    ):
        totals[rule] = (float(dq[dq > 0].sum()), float(-dq[dq < 0].sum()))
    # the counter's last value in each half cycle: that half cycle's net charge
    ok = np.isfinite(hc) & np.isfinite(q)
    last = np.r_[hc[ok][1:] != hc[ok][:-1], True] if ok.any() else np.zeros(0, dtype=bool)
    net = q[ok][last]
    counter = (float(net[net > 0].sum()), float(-net[net < 0].sum()))
    # the same net charges from the sampled current (trapezoid), for a like-for-like look
    trap = charge_increments(t, i, "trapezoid")[ok]
    first = np.r_[True, last[:-1]] if last.size else last  # a half cycle's first row
    inet = np.add.reduceat(trap, np.flatnonzero(first)) if trap.size else trap
    integral_net = (float(inet[net > 0].sum()), float(-inet[net < 0].sum()))
    chg = [v[0] for v in totals.values()]
    dchg = [v[1] for v in totals.values()]
    spread = 100.0 * max(
        (max(chg) - min(chg)) / max(max(chg), 1e-300),
        (max(dchg) - min(dchg)) / max(max(dchg), 1e-300),
    )
    pos = dt[np.isfinite(dt) & (dt > 0)]
    sampled = ""
    if records and records["span"] > records["rows"]:
        sampled = (
            f"the file holds {records['rows']} of the {records['span']} records its record"
            " numbers span, "
        )
    flips = int(np.count_nonzero(np.diff(np.sign(i[np.isfinite(i) & (i != 0)])) != 0))
    verdict = (
        f"Right: the coulomb counter totals ({counter[0]:.6g} Ah charge, {counter[1]:.6g} Ah"
        " discharge, net per half cycle): the instrument integrates every record. Estimates:"
        f" the integral of the sampled current ({totals['trapezoid'][0]:.6g} /"
        f" {totals['trapezoid'][1]:.6g} Ah by the trapezoid rule, sianode's cycle"
        f" capacities; net per half cycle {integral_net[0]:.6g} / {integral_net[1]:.6g} Ah),"
        f" uncertain by {spread:.2g} % (the spread between trapezoid, left-hold"
        " and right-hold rules), because "
        + sampled
        + (
            f"samples are {float(np.median(pos)):.3g} s apart at the median and up to"
            f" {float(pos.max()):.3g} s, and the current changes sign {flips} times"
            if pos.size
            else "the samples are too few"
        )
        + "; the integral also counts charge and discharge within a half cycle separately."
    )
    return {
        "counter_charge_Ah": counter[0],
        "counter_discharge_Ah": counter[1],
        "integral_charge_Ah": totals["trapezoid"][0],
        "integral_discharge_Ah": totals["trapezoid"][1],
        "integral_net_charge_Ah": integral_net[0],
        "integral_net_discharge_Ah": integral_net[1],
        "integral_rules_Ah": {k: list(v) for k, v in totals.items()},
        "integral_spread_percent": spread,
        "median_interval_s": float(np.median(pos)) if pos.size else None,
        "max_interval_s": float(pos.max()) if pos.size else None,
        "verdict": verdict,
    }
