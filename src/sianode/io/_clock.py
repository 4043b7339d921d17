"""Times and dates of the cycler readers: ``[Dd ]HH:MM:SS`` durations and date-times.

Fast paths (fixed-width bytes with numpy, pyarrow's RE2 and strptime) are used only where
they provably give pandas' result; otherwise pandas parses.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import fail

if TYPE_CHECKING:  # pandas is imported by the text paths that parse with it
    import pandas as pd

_HMS = r"^(?:(\d+)\s*d\s*)?(\d+):(\d{1,2}):(\d+(?:\.\d*)?)$"
_HMS_NAMED = r"^(?:(?P<d>\d+)\s*d\s*)?(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d+(?:\.\d*)?)$"


def _hms_arrow(s: pd.Series) -> np.ndarray | None:
    """Fast path of :func:`hms_to_seconds` with pyarrow's RE2 and string-to-double cast.

    None (use the pandas path) unless every value matches; RE2's ``\\d`` and ``\\s`` are
    ASCII-only, so a value it matches is matched the same way by Python's ``re``, and the
    cast parses decimal digits to the correctly rounded double as ``float()`` does.
    """
    arr = _arrow_strings(s)
    if arr is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        parts = pc.extract_regex(arr, _HMS_NAMED)
        if parts.null_count:
            return None
        days_s = parts.field("d")
        if len(days_s) and pc.max(pc.utf8_length(days_s)).as_py() > 15:
            return None
        cols = [pc.if_else(pc.equal(days_s, ""), "0", days_s)]
        cols += [parts.field(k) for k in ("h", "m", "s")]
        d, h, m, sec = (
            pc.cast(x, pa.float64()).to_numpy(zero_copy_only=False).astype(float) for x in cols
        )
    except (pa.ArrowException, ValueError, TypeError):
        return None
    return d * 86400.0 + h * 3600.0 + m * 60.0 + sec


def _arrow_strings(values: Any) -> Any:
    """``values`` as one pyarrow (large) string array without nulls, or None."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover
        return None
    try:
        arr = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(arr, pa.ChunkedArray):  # pragma: no cover - pandas gives one chunk here
        arr = arr.combine_chunks()
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr


# _HMS with spaces (the only whitespace taken here) where it has \s, and around the value.
_HMS_CHECK = r"^ *(?:\d+ *d *)?\d+:\d{1,2}:\d+(?:\.\d*)? *$"


def _hms_split(values: Any) -> np.ndarray | None:
    """Fast path of :func:`hms_to_seconds` without regex captures (slow in RE2).

    Every raw value must match :data:`_HMS_CHECK` (RE2: ASCII digits). Such a value,
    stripped by ``str.strip``, matches :data:`_HMS` with the same digit groups: removing its
    spaces and reading ``d`` as ``:`` leaves ``[days:]h:m:s``, split at ``:`` into exactly
    those groups. They are cast to float64 by
    pyarrow and combined as :func:`_hms_arrow` does, so the result is the same array.
    None (use the other paths) for anything else, or when only some values have days.
    """
    arr = _arrow_strings(values)
    if arr is None or len(arr) == 0:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if not pc.all(pc.match_substring_regex(arr, _HMS_CHECK)).as_py():
            return None
        parts = pc.split_pattern(
            pc.replace_substring(pc.replace_substring(arr, " ", ""), "d", ":"), ":"
        )
        n_parts = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
        width = int(n_parts[0])
        if np.any(n_parts != width):
            return None
        flat = parts.flatten()
        if width == 4:
            if pc.max(pc.utf8_length(flat[::4])).as_py() > 15:  # as _hms_arrow
                return None
        nums = pc.cast(flat, pa.float64()).to_numpy(zero_copy_only=False).reshape(-1, width)
    except (pa.ArrowException, ValueError, TypeError):
        return None
    d = nums[:, 0] if width == 4 else np.zeros(len(nums))
    h, m, sec = (np.ascontiguousarray(nums[:, j]) for j in range(width - 3, width))
    return d * 86400.0 + h * 3600.0 + m * 60.0 + sec


def _hms_fixed(values: Any) -> np.ndarray | None:
    """Fast path of :func:`hms_to_seconds` for fixed-width ``H..H:MM:SS`` text.

    When every value is ``h:mm:ss`` of one width, digits only (1-8 hour digits), the other
    paths match every value and return ``0 * 86400 + h * 3600 + m * 60 + s`` from the same
    integers, all exact in float64; the integer sum here is that number. Otherwise None.
    """
    b = fixed_width_bytes(values)
    if b is None or not 7 <= b.shape[1] <= 14:
        return None
    w = b.shape[1]
    colon = np.zeros(w, dtype=bool)
    colon[[w - 6, w - 3]] = True
    if not (np.all(b[:, colon] == ord(":")) and np.all(b[:, ~colon] - ord("0") <= 9)):
        return None  # uint8: bytes below "0" wrap round to > 9
    h = ascii_integers(b[:, : w - 6])
    m = ascii_integers(b[:, w - 5 : w - 3])
    sec = ascii_integers(b[:, w - 2 :])
    return (h * 3600 + m * 60 + sec).astype(float)


def hms_to_seconds(path: Path, values: pd.Series, what: str) -> np.ndarray:
    """Parse ``[Dd ]HH:MM:SS[.fff]`` durations (hours may exceed 24) to seconds, vectorised."""
    for fast_path in (_hms_fixed, _hms_split):
        fast = fast_path(values)
        if fast is not None:
            return fast
    s = values.astype(str).str.strip()
    fast = _hms_arrow(s)
    if fast is not None:
        return fast
    pat = _HMS
    parts = s.str.extract(pat)
    if parts[1].isna().any():
        bad = s[parts[1].isna()].iloc[0]
        raise fail(path, f"cannot parse {what} '{bad}' as [Dd ]HH:MM:SS")
    import pandas as pd

    days = pd.to_numeric(parts[0], errors="coerce").fillna(0.0).to_numpy(float)
    h = parts[1].astype(float).to_numpy()
    m = parts[2].astype(float).to_numpy()
    sec = parts[3].astype(float).to_numpy()
    return days * 86400.0 + h * 3600.0 + m * 60.0 + sec


_STRPTIME_FIELDS = {
    "%Y": ("Y", r"\d{4}"),
    "%m": ("m", r"\d{2}"),
    "%d": ("d", r"\d{2}"),
    "%H": ("H", r"\d{2}"),
    "%I": ("I", r"\d{2}"),
    "%M": ("M", r"\d{2}"),
    "%S": ("S", r"\d{2}"),
    "%p": ("p", r"AM|PM"),
}


def _unix_arrow(s: pd.Series, fmt: str) -> np.ndarray | None:
    """Fast path of :func:`to_unix` for an explicit whole-second format, with pyarrow.

    Used only when every value is in the canonical zero-padded form of ``fmt`` and the
    parsed instant has exactly the fields written in the text (no roll-over of an invalid
    day or time), where pandas' strptime gives the same instant. Otherwise None, and pandas
    parses.
    """
    pattern = ""
    fields: list[str] = []
    k = 0
    while k < len(fmt):
        tok = fmt[k : k + 2]
        if tok in _STRPTIME_FIELDS:
            name, rx = _STRPTIME_FIELDS[tok]
            if name in fields:
                return None
            pattern += f"(?P<{name}>{rx})"
            fields.append(name)
            k += 2
        elif fmt[k] == "%":
            return None
        else:
            pattern += re.escape(fmt[k])
            k += 1
    if not {"Y", "m", "d", "M", "S"} <= set(fields) or ("H" in fields) == ("I" in fields):
        return None
    if ("I" in fields) != ("p" in fields):
        return None
    arr = _arrow_strings(s)
    if arr is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        parts = pc.extract_regex(arr, "^" + pattern + "$")
        if parts.null_count:
            return None
        ts = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        if ts.null_count:
            return None

        def num(name: str) -> np.ndarray:
            return pc.cast(parts.field(name), pa.int64()).to_numpy(zero_copy_only=False)

        if "I" in fields:
            pm = pc.equal(parts.field("p"), "PM").to_numpy(zero_copy_only=False)
            hour = num("I") % 12 + np.where(pm, 12, 0)
            if np.any(num("I") < 1) or np.any(num("I") > 12):
                return None
        else:
            hour = num("H")
        for got, want in (
            (pc.year(ts), num("Y")),
            (pc.month(ts), num("m")),
            (pc.day(ts), num("d")),
            (pc.hour(ts), hour),
            (pc.minute(ts), num("M")),
            (pc.second(ts), num("S")),
        ):
            if not np.array_equal(got.to_numpy(zero_copy_only=False), want):
                return None
        return ts.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(float)
    except (pa.ArrowException, ValueError, TypeError):
        return None


def fixed_width_bytes(values: Any) -> np.ndarray | None:
    """The UTF-8 bytes of string values as an ``(n, width)`` uint8 matrix, or None.

    None unless every value is a string (no missing value) of the same byte width; the
    matrix is a view of the pyarrow buffer, no per-value Python work.
    """
    arr = _arrow_strings(values)
    if arr is None or len(arr) == 0:
        return None
    import pyarrow as pa

    off_type: Any = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    off = np.frombuffer(
        bufs[1], dtype=off_type, count=len(arr) + 1, offset=arr.offset * np.dtype(off_type).itemsize
    )
    width = int(off[1] - off[0])
    if width == 0 or int(off[-1] - off[0]) != width * len(arr) or np.any(np.diff(off) != width):
        return None
    data = np.frombuffer(bufs[2], dtype=np.uint8, count=int(off[-1] - off[0]), offset=int(off[0]))
    return data.reshape(len(arr), width)


def ascii_integers(b: np.ndarray) -> np.ndarray:
    """Integer value of each row of a uint8 matrix of ASCII digits (at most 18 of them)."""
    out = np.zeros(b.shape[0], dtype=np.int64)
    for k in range(b.shape[1]):
        out = out * 10 + (b[:, k].astype(np.int64) - 48)
    return out


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_FIXED_FIELDS = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%I": 2, "%M": 2, "%S": 2, "%p": 2}


def _unix_fixed(values: Any, fmt: str) -> np.ndarray | None:
    """Fast path of :func:`to_unix` for fixed-width values, from the bytes with numpy.

    Used only when every value is the canonical zero-padded form of ``fmt`` (digits where
    fields are, ``AM``/``PM`` for ``%p``, the format's literal characters elsewhere, no
    surrounding space) and a real date and time (month, day, hour, minute, second in range;
    year 1900-2200). Such values are exactly those :func:`_unix_arrow` accepts (its pattern
    matches, strptime needs no roll-over), and its result is the epoch second of the naive
    date-time, the integer computed here from the civil-date day count. Otherwise None.
    """
    pos: dict[str, int] = {}
    lit: dict[int, int] = {}
    k = w = 0
    while k < len(fmt):
        tok = fmt[k : k + 2]
        if tok in _FIXED_FIELDS:
            if tok in pos:
                return None
            pos[tok] = w
            w += _FIXED_FIELDS[tok]
            k += 2
        elif fmt[k] == "%" or not fmt[k].isascii():
            return None
        else:
            lit[w] = ord(fmt[k])
            w += 1
            k += 1
    if not {"%Y", "%m", "%d", "%M", "%S"} <= set(pos) or ("%H" in pos) == ("%I" in pos):
        return None
    if ("%I" in pos) != ("%p" in pos):
        return None
    b = fixed_width_bytes(values)
    if b is None or b.shape[1] != w:
        return None
    digit = np.ones(w, dtype=bool)
    digit[list(lit)] = False
    if "%p" in pos:
        digit[pos["%p"] : pos["%p"] + 2] = False
    if any(np.any(b[:, j] != ch) for j, ch in lit.items()):
        return None
    if np.any(b[:, digit] - ord("0") > 9):  # uint8: bytes below "0" wrap round to > 9
        return None

    def field(tok: str) -> np.ndarray:
        j = pos[tok]
        return ascii_integers(b[:, j : j + _FIXED_FIELDS[tok]])

    y, mo, d, mi, ss = (field(t) for t in ("%Y", "%m", "%d", "%M", "%S"))
    if "%I" in pos:
        j = pos["%p"]
        am = (b[:, j] == ord("A")) & (b[:, j + 1] == ord("M"))
        pm = (b[:, j] == ord("P")) & (b[:, j + 1] == ord("M"))
        hi = field("%I")
        if not np.all(am | pm) or np.any(hi < 1) or np.any(hi > 12):
            return None
        hh = hi % 12 + np.where(pm, 12, 0)
    else:
        hh = field("%H")
    secs = epoch_seconds(y, mo, d, hh, mi, ss)
    return None if secs is None else secs.astype(float)


def epoch_seconds(
    y: np.ndarray,
    mo: np.ndarray,
    d: np.ndarray,
    hh: np.ndarray,
    mi: np.ndarray,
    ss: np.ndarray,
    years: tuple[int, int] = (1900, 2200),
) -> np.ndarray | None:
    """Seconds since 1970-01-01 00:00 of naive date-times given as integer fields.

    Parameters
    ----------
    y, mo, d, hh, mi, ss : numpy.ndarray of int
        Year, month, day, hour, minute, second.
    years : (int, int)
        Accepted range of years (inclusive).

    Returns
    -------
    numpy.ndarray of int64, or None
        None unless every row is a real date and time (month, day, hour, minute and second
        in range, February 29 only in leap years) within ``years``.
    """
    y, mo, d, hh, mi, ss = (np.asarray(x, dtype=np.int64) for x in (y, mo, d, hh, mi, ss))
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    mo_c = np.clip(mo, 0, 12)
    dim = _DAYS_IN_MONTH[mo_c] + ((mo_c == 2) & leap)
    valid = (
        (y >= years[0])
        & (y <= years[1])
        & (mo >= 1)
        & (mo <= 12)
        & (d >= 1)
        & (d <= dim)
        & (hh >= 0)
        & (hh <= 23)
        & (mi >= 0)
        & (mi <= 59)
        & (ss >= 0)
        & (ss <= 59)
    )
    if not np.all(valid):
        return None
    # days since 1970-01-01 of the proleptic Gregorian date (March-based computing year)
    yy = y - (mo <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * ((mo + 9) % 12) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return days * 86400 + hh * 3600 + mi * 60 + ss


def to_unix(path: Path, values: pd.Series, fmt: str | None = None) -> np.ndarray:
    """Parse date-time strings to Unix seconds (naive times taken as UTC); NaN on failure."""
    import warnings

    import pandas as pd

    if fmt is not None and len(values):
        fast = _unix_fixed(values, fmt)
        if fast is not None:
            return fast
    try:
        s = values.astype(str).str.strip()
        fast = _unix_arrow(s, fmt) if fmt is not None and len(s) else None
        if fast is not None:
            return fast
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ts = pd.to_datetime(s, format=fmt, errors="coerce")
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
