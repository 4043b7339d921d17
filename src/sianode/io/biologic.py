"""BioLogic EC-Lab / BT-Lab files: binary ``.mpr`` and ASCII exports (``.mpt``, ``.txt``, ``.csv``).

The ``.mpr`` reader is our own (galvani and yadg are GPL), written from public descriptions of
the format and checked against EC-Lab's own ``.mpt`` exports of the same runs:

* a 52-byte file header ``BIO-LOGIC MODULAR FILE\\x1a`` padded with blanks and 4 zero bytes;
* modules, each starting ``MODULE`` + short name (10 bytes) + long name (25 bytes), then either
  ``length u4, version u4, date 8s`` (old layout) or ``0xFFFFFFFF, length u4, 0 u4, version u4,
  date 8s`` (EC-Lab >= 11.50);
* the ``VMP data`` module: ``n_points u4``, ``n_columns`` (u1 in versions 2/3, u2 from
  version 10), the column ids (u2 each), zero padding up to a fixed offset (405 bytes in
  version 2, 406 in version 3, 1007 in versions 10/11), then ``n_points`` packed
  little-endian records. Column ids 1, 2, 3, 21, 31 and 65 are bit fields of one flag byte.

The record size implied by the known column types must equal the data length exactly; any
unknown column id or size mismatch is a :class:`~sianode.errors.ParsingError` (never a guess).

Sign: BioLogic's current is positive for oxidation of the working electrode, which charges a
cell whose positive side is the working electrode: the same as BDF's rule. GCPL files often
store no current, only ``dq/mA.h`` per interval; the current is then ``dq / dt`` (an interval
mean, so capacities use the hold rule, see :mod:`sianode.io.counters`).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _common as c

if TYPE_CHECKING:  # the text exports are parsed with pandas; an .mpr read never needs it
    import pandas as pd

FILE_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a"

# Flag bits packed in one byte (column id -> (name, mask)).
_FLAGS = {
    1: ("mode", 0x03),
    2: ("ox/red", 0x04),
    3: ("error", 0x08),
    21: ("control changes", 0x10),
    31: ("Ns changes", 0x20),
    65: ("counter inc.", 0x80),
}

# Column id -> (name, numpy dtype). Sizes verified by the record-length check.
_COLUMNS: dict[int, tuple[str, str]] = {
    4: ("time/s", "<f8"),
    5: ("control/V/mA", "<f4"),
    6: ("Ewe/V", "<f4"),
    7: ("dq/mA.h", "<f8"),
    8: ("I/mA", "<f4"),
    9: ("Ece/V", "<f4"),
    11: ("<I>/mA", "<f8"),
    13: ("(Q-Qo)/mA.h", "<f8"),
    16: ("Analog IN 1/V", "<f4"),
    19: ("control/V", "<f4"),
    20: ("control/mA", "<f4"),
    23: ("dQ/mA.h", "<f8"),
    24: ("cycle number", "<f8"),
    26: ("Rapp/Ohm", "<f4"),
    27: ("Ewe-Ece/V", "<f4"),
    32: ("freq/Hz", "<f4"),
    33: ("|Ewe|/V", "<f4"),
    34: ("|I|/A", "<f4"),
    35: ("Phase(Z)/deg", "<f4"),
    36: ("|Z|/Ohm", "<f4"),
    37: ("Re(Z)/Ohm", "<f4"),
    38: ("-Im(Z)/Ohm", "<f4"),
    39: ("I Range", "<u2"),
    69: ("R/Ohm", "<f4"),
    70: ("P/W", "<f4"),
    74: ("Energy/W.h", "<f8"),
    75: ("Analog OUT/V", "<f4"),
    76: ("<I>/mA", "<f4"),
    77: ("<Ewe>/V", "<f4"),
    78: ("Cs-2/uF-2", "<f4"),
    96: ("|Ece|/V", "<f4"),
    98: ("Phase(Zce)/deg", "<f4"),
    99: ("|Zce|/Ohm", "<f4"),
    100: ("Re(Zce)/Ohm", "<f4"),
    101: ("-Im(Zce)/Ohm", "<f4"),
    123: ("Energy charge/W.h", "<f8"),
    124: ("Energy discharge/W.h", "<f8"),
    125: ("Capacitance charge/uF", "<f8"),
    126: ("Capacitance discharge/uF", "<f8"),
    131: ("Ns", "<u2"),
    163: ("|Estack|/V", "<f4"),
    168: ("Rcmp/Ohm", "<f4"),
    169: ("Cs/uF", "<f4"),
    172: ("Cp/uF", "<f4"),
    173: ("Cp-2/uF-2", "<f4"),
    174: ("<Ewe>/V", "<f4"),
    178: ("(Q-Qo)/C", "<f4"),
    179: ("dQ/C", "<f4"),
    211: ("Q charge/discharge/mA.h", "<f8"),
    212: ("half cycle", "<u4"),
    213: ("z cycle", "<u4"),
    430: ("id430", "<f4"),
    431: ("id431", "<f4"),
    432: ("id432", "<f4"),
    433: ("id433", "<f4"),
    434: ("(Q-Qo)/C", "<f4"),
    435: ("dQ/C", "<f4"),
    438: ("step time/s", "<f8"),
    441: ("<Ecv>/V", "<f4"),
    462: ("Temperature/degC", "<f4"),
    467: ("Q charge/discharge/mA.h", "<f8"),
    468: ("half cycle", "<u4"),
    469: ("z cycle", "<u4"),
    471: ("<Ece>/V", "<f4"),
}

_DATA_OFFSET = {2: 405, 3: 406, 10: 1007, 11: 1007}


def _modules(path: Path, raw: bytes) -> dict[str, tuple[int, memoryview]]:
    """Split an .mpr into modules: short name -> (version, payload)."""
    if not raw:
        raise c.fail(path, "file is empty")
    if not raw.startswith(FILE_MAGIC):
        raise c.fail(path, "not a BioLogic .mpr file (missing 'BIO-LOGIC MODULAR FILE' header)")
    pos = 52
    view = memoryview(raw)  # module payloads are zero-copy slices of the file's bytes
    out: dict[str, tuple[int, memoryview]] = {}
    while pos < len(raw):
        if raw[pos : pos + 6] != b"MODULE":
            raise c.fail(path, f"corrupt module header at byte {pos}")
        hdr = raw[pos + 6 : pos + 41]
        if len(hdr) < 35:
            raise c.fail(path, "truncated module header")
        short = hdr[:10].decode("latin-1").strip()
        rest = raw[pos + 41 : pos + 65]
        if rest[:4] == b"\xff\xff\xff\xff":
            if len(rest) < 24:
                raise c.fail(path, "truncated module header")
            length, version = struct.unpack("<I4xI", rest[4:16])
            start = pos + 41 + 24
        else:
            if len(rest) < 16:
                raise c.fail(path, "truncated module header")
            length, version = struct.unpack("<II", rest[:8])
            start = pos + 41 + 16
        end = start + length
        if end > len(raw):
            raise c.fail(
                path, f"file is truncated (module '{short}' needs {end} bytes, file has {len(raw)})"
            )
        out.setdefault(short, (version, view[start:end]))
        pos = end
    return out


def _data_module(
    path: Path, version: int, d: bytes | memoryview
) -> tuple[dict[str, np.ndarray], list[int]]:
    if version not in _DATA_OFFSET:
        raise c.fail(path, f"unsupported 'VMP data' module version {version}")
    if len(d) < 8:
        raise c.fail(path, "truncated 'VMP data' module")
    n = struct.unpack("<I", d[:4])[0]
    if version >= 10:
        ncol = struct.unpack("<H", d[4:6])[0]
        id_at = 6
    else:
        ncol = d[4]
        id_at = 5
    if ncol == 0 or id_at + 2 * ncol > len(d):
        raise c.fail(path, "corrupt column list in 'VMP data' module")
    ids = np.frombuffer(d, "<u2", count=ncol, offset=id_at).tolist()
    fields: list[tuple[str, str]] = []
    flag_ids: list[int] = []
    names_seen: set[str] = set()
    for cid in ids:
        if cid in _FLAGS:
            if not flag_ids:
                fields.append(("flags", "u1"))
            flag_ids.append(cid)
            continue
        if cid not in _COLUMNS:
            raise c.fail(path, f"unknown BioLogic column id {cid} (cannot decode records)")
        name, dt = _COLUMNS[cid]
        key = name if name not in names_seen else f"{name}#{cid}"
        names_seen.add(key)
        fields.append((key, dt))
    dtype = np.dtype(fields)
    off = _DATA_OFFSET[version]
    if len(d) != off + n * dtype.itemsize:
        raise c.fail(
            path,
            f"data length {len(d) - off} bytes does not match {n} records of"
            f" {dtype.itemsize} bytes (truncated or unknown layout)",
        )
    rec = np.frombuffer(d, dtype=dtype, count=n, offset=off)
    # Views into the record array, in the file's own types: only the columns mapped to BDF
    # are converted (to float, by `_normalise`), and the bit-packed flag columns (mode,
    # ox/red, error, ...) are not decoded, since no BDF column comes from them.
    cols: dict[str, np.ndarray] = {name: rec[name] for name in dtype.names or () if name != "flags"}
    return cols, ids


def _settings_meta(payload: bytes | memoryview) -> dict[str, Any]:
    out: dict[str, Any] = {}
    text = bytes(payload[:400]).decode("latin-1")  # Latin-1: one character per byte
    m = re.search(r"[A-Za-z][ -~]{3,}", text)
    if m:
        out["comment"] = m.group(0).strip()
    return out


def read_mpr(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read a BioLogic ``.mpr`` file into BDF columns.

    Parameters
    ----------
    path : pathlib.Path
        The ``.mpr`` file.

    Returns
    -------
    (pandas.DataFrame, dict)
        Table in BDF names/units and metadata.
    """
    raw = c.read_bytes(path)
    mods = _modules(path, raw)
    if "VMP data" not in mods:
        raise c.fail(path, "no 'VMP data' module")
    version, payload = mods["VMP data"]
    cols, ids = _data_module(path, version, payload)
    meta = c.base_metadata(path, "biologic_mpr", "BioLogic (EC-Lab)")
    meta["mpr_data_version"] = version
    meta["mpr_column_ids"] = ids
    if "VMP Set" in mods:
        meta.update(_settings_meta(mods["VMP Set"][1]))
    return _normalise(path, cols, meta)


_SLASH_DATE = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}(?:\.\d+)?\s*$")


def _slash_fixed(values: pd.Series) -> dict[str, np.ndarray] | None:
    """The candidates of :func:`_slash_datetimes` for zero-padded fixed-width values.

    ``NN/NN/YYYY HH:MM:SS`` plus 1-6 fraction digits, parsed from the bytes with numpy.
    pandas parses such text to datetime64[us] and ``total_seconds`` divides the integer
    microseconds by 10**6; the same integer and the same division here give the same
    floats. None (use pandas) for any other form.
    """
    b = c.fixed_width_bytes(values)
    if b is None or not (b.shape[1] == 19 or 21 <= b.shape[1] <= 26):
        return None
    w = b.shape[1]
    seps = {2: "/", 5: "/", 10: " ", 13: ":", 16: ":", 19: "."}
    digit = np.ones(w, dtype=bool)
    for j, ch in seps.items():
        if j < w:
            digit[j] = False
            if np.any(b[:, j] != ord(ch)):
                return None
    if np.any(b[:, digit] - ord("0") > 9):  # uint8: bytes below "0" wrap round to > 9
        return None

    def num(lo: int, hi: int) -> np.ndarray:
        return c.ascii_integers(b[:, lo:hi])

    first, second, y, hh, mi, ss = (
        num(0, 2),
        num(3, 5),
        num(6, 10),
        num(11, 13),
        num(14, 16),
        num(17, 19),
    )
    frac_us = num(20, w) * 10 ** (26 - w) if w > 19 else 0
    fits: dict[str, np.ndarray] = {}
    for order, (mo, d) in (("month first", (first, second)), ("day first", (second, first))):
        secs = c.epoch_seconds(y, mo, d, hh, mi, ss)
        if secs is None:
            continue
        us = secs * 1_000_000 + frac_us
        if np.all(np.diff(us) >= 0):
            fits[order] = us / 1_000_000
    return fits


def _slash_datetimes(path: Path, values: pd.Series, meta: dict[str, Any]) -> np.ndarray | None:
    """Unix seconds of ``NN/NN/YYYY HH:MM:SS[.fff]`` date-times with the day/month order decided.

    EC-Lab/BT-Lab write dates in the Windows locale's order, month first (US) or day first;
    the file does not say which. Both orders are tried on every value: an order that fails
    on some value (a "month" above 12) or runs backwards in time is ruled out. When both
    remain and give different instants, the one with the shorter largest step between two
    samples is taken (a test that crosses midnight read in the wrong order jumps by a
    month), month first (EC-Lab's default) when that does not decide; a warning says so.
    None when the values are not all of this form.
    """
    fits = _slash_fixed(values)
    if fits is None:
        import pandas as pd

        s = values.astype(str)
        if len(s) == 0 or not s.str.match(_SLASH_DATE).all():
            return None
        fits = {}
        for order, fmt in (
            ("month first", "%m/%d/%Y %H:%M:%S.%f"),
            ("day first", "%d/%m/%Y %H:%M:%S.%f"),
        ):
            ts = pd.to_datetime(s.str.strip(), format=fmt, errors="coerce")
            if ts.isna().any():
                # whole seconds without a fraction
                ts = pd.to_datetime(s.str.strip(), format=fmt.removesuffix(".%f"), errors="coerce")
            if ts.isna().any():
                continue
            unix = (ts - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
            if np.all(np.diff(unix) >= 0):
                fits[order] = unix
    if not fits:
        return None
    order = "month first" if "month first" in fits else "day first"
    if len(fits) == 2 and not np.array_equal(fits["month first"], fits["day first"]):
        mf, df = fits["month first"], fits["day first"]
        if np.array_equal(mf - mf[0], df - df[0]):
            meta["warnings"].append(
                "time/s dates could be month first or day first; read month first (EC-Lab's"
                " default): Unix Time depends on it, Test Time does not"
            )
        else:
            # the test crosses a day boundary: the order without the longer jump between
            # two samples (a day, not a month) is the plausible one
            gap = {k: float(np.max(np.diff(v))) for k, v in fits.items()}
            order = min(gap, key=lambda k: (gap[k], k != "month first"))
            meta["warnings"].append(
                f"time/s dates could be month first or day first; read {order}, whose largest"
                f" step between samples is {gap[order]:.0f} s (the other order's is"
                f" {max(gap.values()):.0f} s)"
            )
    meta["date_order"] = order
    return fits[order]


def _normalise(
    path: Path, src: pd.DataFrame | dict[str, np.ndarray], meta: dict[str, Any]
) -> tuple[c.Columns, dict[str, Any]]:
    """Map BioLogic column names (same in .mpr and .mpt) to BDF.

    ``src`` is the parsed table or, for ``.mpr``, a dict of column arrays; the BDF table is
    built once from a dict of arrays.
    """
    mapping = meta["column_mapping"]
    out: dict[str, np.ndarray] = {}
    if "time/s" not in src:
        raise c.fail(path, "missing column 'time/s'")
    t = src["time/s"]
    numeric_time = t.dtype.kind in "fiub" if isinstance(t, np.ndarray) else None
    if numeric_time is None:
        import pandas as pd

        numeric_time = pd.api.types.is_numeric_dtype(t)
    if not numeric_time:
        # BT-Lab exports may write the time as a date-time
        unix = _slash_datetimes(path, t, meta)
        if unix is None:
            unix = c.to_unix(path, t)
        if np.isnan(unix).mean() > 0.5:
            raise c.fail(path, "column 'time/s' is neither numeric nor a date-time")
        out[c.TIME] = unix - np.nanmin(unix)
        out[c.UNIX] = unix
        meta["warnings"].append("time/s holds date-times; Test Time counted from the first one")
    else:
        out[c.TIME] = c.numeric(path, src, "time/s")
    mapping[c.TIME] = "time/s"
    vcol = next((k for k in ("Ewe/V", "Ecell/V", "<Ewe>/V", "Ewe-Ece/V") if k in src), None)
    if vcol is None:
        raise c.fail(path, "missing voltage column (Ewe/V or Ecell/V)")
    out[c.VOLTAGE] = c.numeric(path, src, vcol)
    mapping[c.VOLTAGE] = vcol
    kind = "instantaneous"
    if "I/mA" in src:
        out[c.CURRENT] = c.numeric(path, src, "I/mA") * 1e-3
        mapping[c.CURRENT] = "I/mA"
    elif "<I>/mA" in src:
        out[c.CURRENT] = c.numeric(path, src, "<I>/mA") * 1e-3
        mapping[c.CURRENT] = "<I>/mA"
        kind = "interval_mean"
    elif "dq/mA.h" in src:
        dq = c.numeric(path, src, "dq/mA.h")
        tt = out[c.TIME]
        dt = np.empty_like(tt)
        dt[0] = np.nan
        np.subtract(tt[1:], tt[:-1], out=dt[1:])
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            cur = dq * 3.6 / dt  # mA h / s * 3600 -> mA; / 1000 -> A
        good = np.isfinite(cur)
        good &= dt > 0
        np.copyto(cur, 0.0, where=~good)
        out[c.CURRENT] = cur
        mapping[c.CURRENT] = "dq/mA.h / dt"
        kind = "interval_mean"
        meta["warnings"].append("no current column: current derived from dq/mA.h and time")
    else:
        raise c.fail(path, "missing current column (I/mA, <I>/mA or dq/mA.h)")
    meta["current_kind"] = kind
    meta["units_found"] = {"time": "s", "voltage": "V", "current": "mA", "capacity": "mA.h"}
    if "Ns" in src:
        out[c.STEP_INDEX] = c.numeric(path, src, "Ns")
        mapping[c.STEP_INDEX] = "Ns"
    if "cycle number" in src:
        out[c.INST_CYCLE] = c.numeric(path, src, "cycle number")
        mapping[c.INST_CYCLE] = "cycle number"
    if "half cycle" in src:
        out[c.INST_HALF] = c.numeric(path, src, "half cycle")
        mapping[c.INST_HALF] = "half cycle"
    if "Q charge/mA.h" in src and "Q discharge/mA.h" in src:
        out[c.CHG_CAP] = c.numeric(path, src, "Q charge/mA.h") * 1e-3
        out[c.DCHG_CAP] = c.numeric(path, src, "Q discharge/mA.h") * 1e-3
        mapping[c.CHG_CAP] = "Q charge/mA.h"
        mapping[c.DCHG_CAP] = "Q discharge/mA.h"
    elif "Q charge/discharge/mA.h" in src:
        q = c.numeric(path, src, "Q charge/discharge/mA.h") * 1e-3
        out[c.CHG_CAP] = np.maximum(q, 0.0)
        out[c.DCHG_CAP] = np.maximum(-q, 0.0)
        mapping[c.CHG_CAP] = "Q charge/discharge/mA.h (> 0)"
        mapping[c.DCHG_CAP] = "-Q charge/discharge/mA.h (< 0)"
    for src_name, bdf in (("Energy charge/W.h", c.CHG_E), ("Energy discharge/W.h", c.DCHG_E)):
        if src_name in src:
            out[bdf] = c.numeric(path, src, src_name)
            mapping[bdf] = src_name
    for src_name, bdf in (("freq/Hz", c.FREQUENCY), ("Re(Z)/Ohm", "Real Impedance / ohm")):
        if src_name in src:
            out[bdf] = c.numeric(path, src, src_name)
            mapping[bdf] = src_name
    if "-Im(Z)/Ohm" in src:
        out["Imaginary Impedance / ohm"] = -c.numeric(path, src, "-Im(Z)/Ohm")
        mapping["Imaginary Impedance / ohm"] = "-(-Im(Z)/Ohm)"
    if "Ece/V" in src:
        out["Counter Electrode Voltage / V"] = c.numeric(path, src, "Ece/V")
    return out, meta


_HEADER_LINES = re.compile(r"Nb header lines\s*:\s*(\d+)")


def read_text(path: Path) -> tuple[c.Columns, dict[str, Any]]:
    """Read an EC-Lab/BT-Lab ASCII export (``.mpt``, or a tab/semicolon ``.txt``/``.csv``).

    Handles the ``Nb header lines`` preamble, decimal commas and Latin-1 text.
    """
    raw = c.read_bytes(path)
    text = c.decode_text(path, raw)
    lines = text.splitlines()
    skip = 0
    head = "\n".join(lines[:3])
    m = _HEADER_LINES.search(head)
    if m:
        skip = int(m.group(1)) - 1
        if skip >= len(lines):
            raise c.fail(path, "file is truncated (header only, no data table)")
    header = lines[skip] if skip < len(lines) else ""
    sep = "\t" if header.count("\t") >= header.count(";") else ";"
    body_lines = lines[skip + 1 : skip + 200]
    sample = "\n".join(body_lines)
    decimal = "," if re.search(r"\d,\d", sample) and sep != "," else "."
    names = [h.strip() for h in header.split(sep)]
    while names and names[-1] == "":
        names.pop()
    if "time/s" not in names:
        raise c.fail(path, "no BioLogic column header with 'time/s' found")
    body = "\n".join(lines[skip + 1 :])
    if not body.strip():
        raise c.fail(path, "no data rows")
    df = c.parse_csv_text(
        path,
        body,
        sep=sep,
        decimal=decimal,
        header=None,
        fields=len(names),
        first_line=skip + 2,
    )
    df = df.iloc[:, : len(names)]
    if df.shape[1] < len(names):
        raise c.fail(path, f"rows have {df.shape[1]} fields, header has {len(names)}")
    df.columns = names
    meta = c.base_metadata(path, "biologic_text", "BioLogic (EC-Lab/BT-Lab ASCII export)")
    meta["decimal"] = decimal
    meta["separator"] = "tab" if sep == "\t" else sep
    if m:
        meta["header"] = "\n".join(lines[:skip])[:4000]
    return _normalise(path, df, meta)
