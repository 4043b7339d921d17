"""Maccor text exports (tab-separated, one or more header lines before ``Rec#``).

Header variants seen in the wild: ``Today's Date ... Date of Test:`` on one line, or spread
over several lines; the test time as ``Test (Sec)``, ``Test (Min)`` (minutes!) or
``TestTime`` written as ``Dd HH:MM:SS[.fff]``. ``Amps`` is unsigned in some exports and signed
in others; the sign is taken from ``State`` (``C`` charge: +, ``D`` discharge: -), and a
signed value that contradicts the state is reported. ``Amp-hr`` is the charge of the current
step (it resets every step); it is kept as ``Charging``/``Discharging Capacity / Ah`` by state.
``Cyc#`` (often 0 throughout) is kept as ``Instrument Cycle / 1``.

Multi-part tests (``.001``, ``.002``, ...) are read by passing all parts to
:func:`read_parts` (or a list of paths to :func:`sianode.io.read`); a part whose test time
restarts is shifted to continue after the previous part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _common as c


def _header_index(path: Path, lines: list[str]) -> int:
    for k, line in enumerate(lines[:50]):
        if line.lstrip().startswith("Rec#"):
            return k
    raise c.fail(path, "no 'Rec#' column header in the first 50 lines (not a Maccor export)")


# Columns read by name below (besides the test and step time).
_USED = ("Volts", "Amps", "State", "Amp-hr", "Watt-hr", "Cyc#", "Step", "DPt Time")
_ASCII_WS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _blank(body: str | bytes, encoding: str) -> bool:
    """``not text.strip()`` for the text of ``body`` (str, or bytes in ``encoding``)."""
    if isinstance(body, str):
        return not body.strip()
    rest = body.lstrip(_ASCII_WS)  # what str.strip() removes among ASCII characters
    if rest and rest[0] < 0x80:
        return False  # an ASCII non-space character
    return not body.decode(encoding).strip()


def read(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read one Maccor text export.

    Returns
    -------
    (pandas.DataFrame, dict)
        BDF table and metadata (header text, time unit found).
    """
    src = c.TextLines(path, c.read_bytes(path))
    lines = src.head(50)
    k = _header_index(path, lines)
    names = [h.strip() for h in lines[k].split("\t")]
    body = src.rest(k + 1)
    if _blank(body, src.encoding):
        raise c.fail(path, "no data rows after the header")
    # duplicate names (e.g. 'Units' after every Aux column) get suffixes
    seen: dict[str, int] = {}
    uniq = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        uniq.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    tcol = next(
        (n for n in uniq if n.replace(" ", "").lower().startswith(("test(", "testtime"))), None
    )
    scol = next(
        (n for n in uniq if n.replace(" ", "").lower().startswith(("step(", "steptime"))), None
    )
    df = None
    if isinstance(body, bytes) and len(set(uniq)) == len(uniq):
        # only the columns read below (the same values: see parse_csv_subset)
        want = [uniq.index(n) for n in (tcol, scol, *_USED) if n in uniq]
        sub = c.parse_csv_subset(path, body, "\t", want, src.encoding, len(names), k + 2)
        if sub is not None:
            df, n_fields = sub
            if n_fields < len(names):
                raise c.fail(path, f"rows have {n_fields} fields, header has {len(names)}")
            df = df[[j for j in df.columns if j < len(names)]]
            df.columns = [uniq[j] for j in df.columns]
    if df is None:
        df = c.parse_csv_text(
            path,
            body,
            sep="\t",
            header=None,
            encoding=src.encoding,
            fields=len(names),
            first_line=k + 2,
        )
        if df.shape[1] < len(names):
            raise c.fail(path, f"rows have {df.shape[1]} fields, header has {len(names)}")
        df = df.iloc[:, : len(names)]
        df.columns = uniq
    meta = c.base_metadata(path, "maccor", "Maccor (text export)")
    meta["header"] = "\n".join(lines[:k])[:4000]
    out: dict[str, np.ndarray] = {}
    mapping = meta["column_mapping"]
    if tcol is None:
        raise c.fail(path, "missing test-time column (Test (Sec), Test (Min) or TestTime)")
    unit = c.split_label(tcol)[1]
    if unit:
        fac = c.unit_factor(path, unit, c.TIME_UNITS, "time")
        out[c.TIME] = c.numeric(path, df, tcol) * fac
        meta["units_found"]["time"] = unit
    elif pd.api.types.is_numeric_dtype(df[tcol]):
        out[c.TIME] = df[tcol].to_numpy(float)
        meta["units_found"]["time"] = "s (assumed)"
        meta["warnings"].append(f"{tcol} has no unit; seconds assumed")
    else:
        out[c.TIME] = c.hms_to_seconds(path, df[tcol], tcol)
        meta["units_found"]["time"] = "Dd HH:MM:SS"
    mapping[c.TIME] = tcol
    if scol is not None:
        sunit = c.split_label(scol)[1]
        if sunit:
            out[c.STEP_TIME] = c.numeric(path, df, scol) * c.unit_factor(
                path, sunit, c.TIME_UNITS, "time"
            )
        elif not pd.api.types.is_numeric_dtype(df[scol]):
            out[c.STEP_TIME] = c.hms_to_seconds(path, df[scol], scol)
        mapping[c.STEP_TIME] = scol
    for need in ("Volts", "Amps", "State"):
        if need not in df.columns:
            raise c.fail(path, f"missing column '{need}'")
    out[c.VOLTAGE] = c.numeric(path, df, "Volts")
    amps = c.numeric(path, df, "Amps")
    state = df["State"].astype(str).str.strip().str.upper().to_numpy()
    is_c = state == "C"
    is_d = state == "D"
    if np.any((amps < 0) & is_c) or np.any((amps > 0) & is_d & (amps.min() < 0)):
        meta["warnings"].append("signed Amps contradict State in some rows; State used")
    cur = np.where(is_c, np.abs(amps), np.where(is_d, -np.abs(amps), amps))
    out[c.CURRENT] = cur
    mapping[c.VOLTAGE] = "Volts"
    mapping[c.CURRENT] = "Amps signed by State (C +, D -)"
    meta["units_found"].update({"voltage": "V", "current": "A", "capacity": "Ah"})
    if "Amp-hr" in df.columns:
        ah = np.abs(c.numeric(path, df, "Amp-hr"))
        out[c.CHG_CAP] = np.where(is_c, ah, 0.0)
        out[c.DCHG_CAP] = np.where(is_d, ah, 0.0)
        mapping[c.CHG_CAP] = "Amp-hr where State C"
        mapping[c.DCHG_CAP] = "Amp-hr where State D"
    if "Watt-hr" in df.columns:
        wh = np.abs(c.numeric(path, df, "Watt-hr"))
        out[c.CHG_E] = np.where(is_c, wh, 0.0)
        out[c.DCHG_E] = np.where(is_d, wh, 0.0)
    if "Cyc#" in df.columns:
        out[c.INST_CYCLE] = c.numeric(path, df, "Cyc#")
        mapping[c.INST_CYCLE] = "Cyc#"
        if np.nanmax(out[c.INST_CYCLE]) == 0:
            meta["warnings"].append("Cyc# is 0 in every row; cycles come from the current")
    if "Step" in df.columns:
        out[c.STEP_INDEX] = c.numeric(path, df, "Step")
        mapping[c.STEP_INDEX] = "Step"
    out["Instrument State"] = state
    if "DPt Time" in df.columns:
        unix = c.to_unix(path, df["DPt Time"], "%m/%d/%Y %H:%M:%S")
        if np.isfinite(unix).mean() > 0.9:
            out[c.UNIX] = unix
            mapping[c.UNIX] = "DPt Time"
        else:
            meta["warnings"].append("DPt Time is not a full date-time; Unix Time not filled")
    c.fix_capacity_unit(path, out, meta)
    return out, meta


def read_parts(paths: list[Path]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read the parts of a multi-part Maccor test (``.001``, ``.002``, ...) as one table."""
    frames = []
    metas = []
    offset = 0.0
    for p in paths:
        cols, m = read(Path(p))
        t = np.asarray(cols[c.TIME], dtype=float)
        if frames and t.size and t[0] < offset:
            cols[c.TIME] = t = t + offset
            m["warnings"].append(f"test time restarts; shifted by {offset:g} s")
        offset = float(t[-1]) if t.size else offset
        frames.append(pd.DataFrame(cols))
        metas.append(m)
    meta = dict(metas[0])
    meta["source_file"] = [str(p) for p in paths]
    meta["warnings"] = [w for m in metas for w in m["warnings"]]
    return pd.concat(frames, ignore_index=True), meta
