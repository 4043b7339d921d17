"""Neware BTS files: binary ``.nda``/``.ndax`` (through fastnda) and CSV exports.

* Binaries are parsed by `fastnda <https://pypi.org/project/fastnda/>`_ (maintained, used by
  cellpy and batterydf); we only rename and convert units (mA -> A, mAh -> Ah). The test time
  is fastnda's ``total_time_s`` (Unix time can jump backwards in some .ndax files). For
  ``.nda`` versions 26/29 :mod:`sianode.io.neware_nda` produces fastnda's exact columns with
  numpy (fastnda's fixed polars cost dominates small files), with the fastnda and polars
  versions it was checked against; otherwise fastnda reads the file.
* The flat CSV export has one row per record, ``Time`` (step time) and ``Cumulative Time`` as
  ``HH:MM:SS`` (hours may exceed 24) and capacities labelled ``(Ah)``; the labels are checked
  against the integral of the current (a known pitfall is mAh written under an Ah label).
* The "regular" CSV export interleaves three tables: cycle rows (``Cycle Index,Chg. Cap.(Ah),
  ...``), step rows (first field empty) and record rows (first two fields empty). The cycle
  rows, the instrument's own per-cycle capacities, are returned in
  ``metadata["instrument_cycles"]``.

Neware's current is negative on discharge, as in BDF.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _common as c
from . import neware_nda
from .checks import check_record_index

if TYPE_CHECKING:  # the text exports parse with pandas; a binary read never needs it
    import pandas as pd

_UNITS = {"time": "s", "voltage": "V", "current": "mA", "capacity": "mAh"}


def read_binary(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a Neware ``.nda``/``.ndax`` file with fastnda (or its checked numpy twin)."""
    raw = c.read_bytes(path, 8)
    if not raw:
        raise c.fail(path, "file is empty")
    try:
        import fastnda
    except ImportError as exc:  # pragma: no cover
        raise c.fail(path, "reading Neware binaries needs fastnda (pip install fastnda)") from exc
    if path.suffix.lower() == ".nda" and raw[:6] == b"NEWARE":
        # nda 26/29: own numpy reader with fastnda's exact output (None: fastnda reads it)
        full = c.read_bytes(path)
        cols = neware_nda.read(path, full)
        if cols is not None:
            meta = c.base_metadata(path, "neware_nda", "Neware BTS")
            names = cols["step_type"]  # object array, None where fastnda has null
            out, mapping, notes = _fastnda_columns(
                path,
                list(cols),
                len(cols["voltage_V"]),
                lambda name: np.asarray(cols[name], dtype=float),
                lambda: c.LazyColumn(
                    len(names), lambda: _text_array(names), bool(np.equal(names, None).all())
                ),
            )
            meta["column_mapping"] = mapping
            meta["warnings"].extend(notes)
            meta["units_found"] = dict(_UNITS)
            meta["parser"] = (
                f"sianode nda {full[14]} reader"
                f" (output checked equal to fastnda {neware_nda.CHECKED_FASTNDA[-1]})"
            )
            return out, meta
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            pl_df = fastnda.read(str(path))
    except Exception as exc:  # fastnda raises assorted errors on corrupt input
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise c.fail(path, f"not a readable Neware file (fastnda: {msg[:200]})") from exc
    fmt = "neware_ndax" if path.suffix.lower() == ".ndax" or raw[:2] == b"PK" else "neware_nda"
    meta = c.base_metadata(path, fmt, "Neware BTS")
    for line in buf.getvalue().splitlines():
        if line.strip():
            meta["warnings"].append(f"fastnda: {line.strip()}")
    out, mapping, notes = _fastnda_columns(
        path,
        pl_df.columns,
        pl_df.height,
        lambda name: _float_column(pl_df, name),
        lambda: c.LazyColumn(
            pl_df.height,
            lambda: _step_type_text(pl_df),
            pl_df.get_column("step_type").null_count() == pl_df.height,
        ),
    )
    meta["column_mapping"] = mapping
    meta["warnings"].extend(notes)
    meta["units_found"] = dict(_UNITS)
    meta["parser"] = f"fastnda {getattr(fastnda, '__version__', '?')}"
    return out, meta


def _float_column(pl_df: Any, name: str) -> np.ndarray:
    """A numeric polars column as float64 numpy (nulls -> NaN).

    Equals ``pl_df.to_pandas()[name].to_numpy(float)``: both take the column's own values
    (float32 -> float64 is exact) and turn nulls into NaN, without building the pandas frame.
    """
    return np.asarray(pl_df.get_column(name).to_numpy(), dtype=float)


def _text_array(values: Any) -> Any:
    """``values`` as a pandas ``str`` array (None stays missing)."""
    import pandas as pd

    return pd.array(values, dtype="str")


def _step_type_text(pl_df: Any) -> Any:
    """fastnda's categorical ``step_type`` as a pandas ``str`` array (nulls stay missing).

    Same values and dtype as ``to_pandas()["step_type"].astype(str)``, which goes through
    one Python object per row: here Arrow decodes the dictionary and pandas wraps the result.
    """
    import pyarrow as pa

    arr = pl_df.get_column("step_type").to_arrow()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.large_string())
    return _text_array(arr)


def _fastnda_columns(
    path: Path,
    names: list[str],
    height: int,
    col: Callable[[str], np.ndarray],
    step_type: Callable[[], Any],
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """BDF columns, their mapping and warnings (record numbers not consecutive) from
    fastnda's columns.

    ``names`` are fastnda's column names, ``height`` its number of rows, ``col(name)`` a
    numeric column as float64 and ``step_type()`` the step type names (a
    :class:`~sianode.io.LazyColumn` of a pandas ``str`` array); from fastnda's
    polars frame or from :mod:`.neware_nda`.
    """
    for n in ("voltage_V", "current_mA", "total_time_s"):
        if n not in names:
            raise c.fail(path, f"fastnda output lacks '{n}'")
    if height == 0:
        raise c.fail(path, "no data records")
    notes: list[str] = []
    if "index" in names:
        note = check_record_index(col("index"), "record index")
        if note:
            notes.append(note)
    out: dict[str, Any] = {
        c.TIME: col("total_time_s"),
        c.VOLTAGE: col("voltage_V"),
        c.CURRENT: col("current_mA") * 1e-3,
    }
    mapping = {c.TIME: "total_time_s", c.VOLTAGE: "voltage_V", c.CURRENT: "current_mA / 1000"}
    if "unix_time_s" in names:
        out[c.UNIX] = col("unix_time_s")
    if "step_time_s" in names:
        out[c.STEP_TIME] = col("step_time_s")
    if "cycle_count" in names:
        out[c.INST_CYCLE] = col("cycle_count")
        mapping[c.INST_CYCLE] = "cycle_count"
    if "step_count" in names:
        out[c.INST_STEP] = col("step_count")
    if "step_index" in names:
        out[c.STEP_INDEX] = col("step_index")
    if "step_type" in names:
        out["Step Type"] = step_type()
    if "capacity_mAh" in names:
        cap = col("capacity_mAh") * 1e-3
        out[c.CHG_CAP] = np.clip(cap, 0.0, None)
        out[c.DCHG_CAP] = np.clip(-cap, 0.0, None)
        mapping[c.CHG_CAP] = "capacity_mAh > 0"
        mapping[c.DCHG_CAP] = "-capacity_mAh (< 0)"
    if "energy_mWh" in names:
        e = col("energy_mWh") * 1e-3
        out[c.CHG_E] = np.clip(e, 0.0, None)
        out[c.DCHG_E] = np.clip(-e, 0.0, None)
    for name in names:
        if "temperature_degC" in name:
            out[c.TEMP] = col(name)
            break
    return out, mapping, notes


_DATE_FMT = "%Y-%m-%d %H:%M:%S"


def _flat_common(
    path: Path, df: pd.DataFrame, meta: dict[str, Any], time_col: str, cap_cols: dict[str, str]
) -> dict[str, np.ndarray]:
    import pandas as pd

    out: dict[str, np.ndarray] = {}
    mapping = meta["column_mapping"]
    tt = df[time_col]
    out[c.TIME] = (
        c.numeric(path, df, time_col)
        if pd.api.types.is_numeric_dtype(tt)
        else c.hms_to_seconds(path, tt, time_col)
    )
    mapping[c.TIME] = time_col
    vcol = next((k for k in df.columns if c.split_label(k)[0] == "Voltage"), None)
    icol = next((k for k in df.columns if c.split_label(k)[0] == "Current"), None)
    if vcol is None or icol is None:
        raise c.fail(path, "missing 'Voltage(V)' or 'Current(A)' column")
    out[c.VOLTAGE] = c.numeric(path, df, vcol) * c.unit_factor(
        path, c.split_label(vcol)[1] or "V", c.VOLTAGE_UNITS, "voltage"
    )
    out[c.CURRENT] = c.numeric(path, df, icol) * c.unit_factor(
        path, c.split_label(icol)[1] or "A", c.CURRENT_UNITS, "current"
    )
    mapping[c.VOLTAGE] = vcol
    mapping[c.CURRENT] = icol
    meta["units_found"].update(
        {"voltage": c.split_label(vcol)[1], "current": c.split_label(icol)[1]}
    )
    for bdf, src in cap_cols.items():
        if src in df.columns:
            unit = c.split_label(src)[1] or "Ah"
            table = c.CAPACITY_UNITS if "Cap" in src else c.ENERGY_UNITS
            out[bdf] = np.abs(c.numeric(path, df, src)) * c.unit_factor(path, unit, table, bdf)
            mapping[bdf] = src
            meta["units_found"][bdf] = unit
    if "Date" in df.columns:
        out[c.UNIX] = c.to_unix(path, df["Date"], _DATE_FMT)
    return out


def read_csv(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a Neware flat CSV export (``DataPoint,Cycle Index,Step Index,...``)."""
    raw = c.read_bytes(path)
    text = c.decode_text(path, raw)
    df = c.parse_csv_text(path, text)
    meta = c.base_metadata(path, "neware_csv", "Neware BTS (CSV export)")
    tcol = next(
        (k for k in ("Cumulative Time", "Total Time", "Test Time") if k in df.columns), None
    )
    if tcol is None:
        raise c.fail(path, "missing 'Cumulative Time'/'Total Time' column")
    out = _flat_common(
        path,
        df,
        meta,
        tcol,
        {
            c.CHG_CAP: "Chg. Cap.(Ah)",
            c.DCHG_CAP: "DChg. Cap.(Ah)",
            c.CHG_E: "Chg. Energy(Wh)",
            c.DCHG_E: "DChg. Energy(Wh)",
        },
    )
    if "Cycle Index" in df.columns:
        out[c.INST_CYCLE] = c.numeric(path, df, "Cycle Index")
    if "Step Index" in df.columns:
        out[c.STEP_INDEX] = c.numeric(path, df, "Step Index")
    if "Step Type" in df.columns:
        out["Step Type"] = df["Step Type"].astype(str).to_numpy()
    c.fix_capacity_unit(path, out, meta)
    return out, meta


# Kinds of body lines of the regular export
_BLANK, _CYC, _STEP, _REC = 0, 1, 2, 3


def read_regular(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a Neware "regular" CSV export (interleaved cycle, step and record rows)."""
    import pandas as pd

    raw = c.read_bytes(path)
    text = c.decode_text(path, raw)
    lines = text.splitlines()
    if len(lines) < 4:
        raise c.fail(path, "file is truncated (fewer than 4 lines)")
    h_cyc = [x.strip() for x in lines[0].split(",")]
    h_step = [x.strip() for x in lines[1].split(",")]
    h_rec = [x.strip() for x in lines[2].split(",")]
    if not (
        h_cyc[0] == "Cycle Index"
        and h_step[:2] == ["", "Step Index"]
        and h_rec[:3] == ["", "", "DataPoint"]
    ):
        raise c.fail(path, "not a Neware regular export (three header lines expected)")
    # Each body line is a record (",,..."), a step (",...") or a cycle row; blank lines are
    # skipped. Records take the number of step rows and the last cycle number above them:
    # counted with cumulative sums over the line kinds instead of a loop over the lines.
    body = lines[3:]
    kind = np.array(
        [
            (_REC if ln.startswith(",,") else _STEP)
            if ln.startswith(",")
            else (_CYC if ln.strip() else _BLANK)
            for ln in body
        ],
        dtype=np.int8,
    )
    is_rec = kind == _REC
    is_step = kind == _STEP
    is_cyc = kind == _CYC
    cyc_rows = list(compress(body, is_cyc))
    cyc_vals: list[int] = [0]  # cycle number before the first cycle row
    for line in cyc_rows:
        head = line.split(",", 1)[0]
        try:
            cyc_vals.append(int(head))
        except ValueError as exc:
            raise c.fail(path, f"bad cycle row '{line[:40]}'") from exc
    # A cycle row may carry a step row after its own fields (the IFE export's first line
    # "1,<7 cycle values>,1,1,Rest,..." is cycle 1 and its first step): that step counts.
    n_cyc_fields = len(h_cyc)
    has_step = is_step.copy()
    embedded: dict[int, str] = {}
    for k in np.flatnonzero(is_cyc):
        extra = body[k].split(",")[n_cyc_fields:]
        if any(x.strip() for x in extra):
            has_step[k] = True
            embedded[int(k)] = ",".join(extra)
    rec_rows = [ln[2:] for ln in compress(body, is_rec)]
    step_rows = [embedded.get(int(k)) or body[k][1:] for k in np.flatnonzero(has_step)]
    rec_step = np.cumsum(has_step)[is_rec]
    rec_cycle = np.array(cyc_vals, dtype=object)[np.cumsum(is_cyc)[is_rec]]
    if not rec_rows:
        raise c.fail(path, "no record rows")
    recs = c.parse_csv_text(path, "\n".join(rec_rows), header=None, fields=len(h_rec) - 2)
    names = h_rec[2:]
    recs = recs.iloc[:, : len(names)]
    recs.columns = names[: recs.shape[1]]
    meta = c.base_metadata(path, "neware_regular", "Neware BTS (regular CSV export)")
    tcol = "Total Time" if "Total Time" in recs.columns else None
    if tcol is None:
        raise c.fail(path, "missing 'Total Time' column in record rows")
    out = _flat_common(path, recs, meta, tcol, {})
    # 'Capacity(Ah)' and 'Energy(Wh)' are per step and unsigned; direction from current
    steps = c.parse_csv_text(path, "\n".join(step_rows), header=None, fields=len(h_step) - 1)
    steps = steps.iloc[:, : len(h_step) - 1]
    steps.columns = h_step[1 : steps.shape[1] + 1]
    step_no = rec_step - 1
    if "Step Type" in steps.columns and step_no.size:
        types = steps["Step Type"].astype(str).to_numpy()
        out["Step Type"] = types[np.clip(step_no, 0, len(types) - 1)]
    if "Step Index" in steps.columns:
        out[c.STEP_INDEX] = steps["Step Index"].to_numpy(float)[np.clip(step_no, 0, len(steps) - 1)]
    out[c.INST_CYCLE] = np.asarray(rec_cycle, dtype=float)
    capcol = next((k for k in recs.columns if c.split_label(k)[0] == "Capacity"), None)
    if capcol is not None:
        cap = np.abs(c.numeric(path, recs, capcol)) * c.unit_factor(
            path, c.split_label(capcol)[1] or "Ah", c.CAPACITY_UNITS, "capacity"
        )
        stype = pd.Series(out["Step Type"]).astype(str).str.lower() if "Step Type" in out else None
        if stype is not None:
            is_d = stype.str.contains("dchg").to_numpy()
            is_c = stype.str.contains("chg").to_numpy() & ~is_d
        else:
            i = out[c.CURRENT]
            is_c, is_d = i > 0, i < 0
        out[c.CHG_CAP] = np.where(is_c, cap, 0.0)
        out[c.DCHG_CAP] = np.where(is_d, cap, 0.0)
        meta["column_mapping"][c.CHG_CAP] = f"{capcol} in charge steps"
        meta["column_mapping"][c.DCHG_CAP] = f"{capcol} in discharge steps"
    # a cycle row may carry a step row after its own fields (see above)
    width = len(h_cyc) + len(h_step) - 1
    cyc = c.parse_csv_text(path, "\n".join(cyc_rows), header=None, fields=width)
    cyc = cyc.iloc[:, : len(h_cyc)]
    cyc.columns = h_cyc[: cyc.shape[1]]
    meta["instrument_cycles"] = _cycle_summary(cyc)
    c.fix_capacity_unit(path, out, meta)
    return out, meta


_CYCLE_KEYS = (
    ("Chg. Cap.(Ah)", "charge_Ah"),
    ("DChg. Cap.(Ah)", "discharge_Ah"),
    ("Chg.-DChg. Eff(%)", "efficiency_percent"),
)


def _cycle_summary(cyc: pd.DataFrame) -> list[dict[str, Any]]:
    """The regular export's cycle rows as ``[{"cycle": n, "charge_Ah": ..., ...}]``.

    ``DataFrame.iterrows`` builds each row from ``DataFrame.values``; taking the cells from
    that same array gives the same values without a Series per row. With duplicate column
    names (where a row lookup returns several cells) the rows are walked as before.
    """
    import pandas as pd

    summary: list[dict[str, Any]] = []
    if not cyc.columns.is_unique:
        for _, row in cyc.iterrows():
            entry = {"cycle": int(row["Cycle Index"])}
            for key, name in _CYCLE_KEYS:
                if key in cyc.columns:
                    entry[name] = float(pd.to_numeric(row[key], errors="coerce"))
            summary.append(entry)
        return summary
    values = cyc.values
    cols = list(cyc.columns)
    i_cycle = cols.index("Cycle Index")
    found = [(cols.index(key), name) for key, name in _CYCLE_KEYS if key in cols]
    for row in values:
        entry = {"cycle": int(row[i_cycle])}
        for j, name in found:
            entry[name] = float(pd.to_numeric(row[j], errors="coerce"))
        summary.append(entry)
    return summary


def is_ndax(raw: bytes, path: Path) -> bool:
    """True for a zip whose members look like a Neware .ndax."""
    if raw[:2] != b"PK":
        return False
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        return path.suffix.lower() == ".ndax"
    return any(n.lower().endswith((".ndc", "step.xml", "testinfo.xml")) for n in names)
