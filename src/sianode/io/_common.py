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
from collections.abc import Mapping, MutableMapping
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

#: What a reader returns before :func:`sianode.io.finish`: BDF column name -> 1-D array
#: (numpy or pandas extension array), all of one length. The DataFrame is built once, by
#: ``finish``.
Columns = dict[str, Any]

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
    # bytes.isspace() tests the same ASCII whitespace as bytes.strip() strips, without a copy
    if not raw or raw.isspace():
        raise fail(path, "file is empty")
    if b"\x00" in raw[:65536]:
        raise fail(path, "binary content where a text export was expected")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def text_bytes(path: Path, raw: bytes) -> tuple[str, bytes, str]:
    """:func:`decode_text`, plus the text's bytes for :func:`parse_csv_text` and their codec.

    The bytes are ``raw`` without a UTF-8 BOM (UTF-8) or ``raw`` itself (Latin-1): parsing
    them with that encoding gives the table of the decoded text, without pandas encoding a
    text buffer back to bytes.
    """
    text = decode_text(path, raw)
    # a UTF-8 decode of non-ASCII bytes is shorter than they are, a Latin-1 one is not
    if len(text) != len(raw) or raw.isascii():
        return text, raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw, "utf-8"
    return text, raw, "latin-1"


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


def parse_csv_text(
    path: Path,
    text: str | bytes,
    sep: str = ",",
    decimal: str = ".",
    header: int | None = 0,
    names: list[str] | None = None,
    encoding: str = "utf-8",
    usecols: list[int] | None = None,
) -> pd.DataFrame:
    """Parse delimited text with pandas' C engine; errors become ParsingError.

    ``text`` may be the encoded bytes (``encoding``, no BOM). pandas' C parser turns a text
    buffer into UTF-8 bytes before tokenising, so text is handed to it as its UTF-8 bytes at
    once: the same table, ~35 % faster than through a text buffer. ``usecols`` (column
    positions) is passed to pandas as it is.
    """
    if isinstance(text, str):
        text, encoding = text.encode("utf-8"), "utf-8"
    try:
        return pd.read_csv(
            io.BytesIO(text),
            sep=sep,
            decimal=decimal,
            header=header,
            names=names,
            low_memory=False,
            skipinitialspace=False,
            encoding=encoding,
            usecols=usecols,
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(path, f"malformed table ({first})") from exc


def parse_csv_subset(
    path: Path, data: bytes, sep: str, usecols: list[int], encoding: str
) -> tuple[pd.DataFrame, int] | None:
    """Columns ``usecols`` of a headerless table, when provably as in the full parse.

    pandas parses the columns of a table independently, so a column read alone has the
    values and dtype it has in the full table, with one catch: with ``usecols`` pandas no
    longer rejects rows with more fields than the first row. So the last column of the first
    row is read too, and the table is accepted only when that column has no missing value
    (every row has at least ``n`` fields) and the separator count is exactly ``rows * (n -
    1)`` (so none has more): then the full parse would succeed with the same rows. Without
    quote characters, every separator byte separates two fields of one row.

    Returns
    -------
    (pandas.DataFrame, int) or None
        The columns (labelled by position, as with ``header=None``) and the row width ``n``;
        None when the check fails or does not apply (the caller parses the whole table).
    """
    sep_b = sep.encode()
    if len(sep_b) != 1 or b'"' in data:
        return None
    m = _BREAK.search(data)
    first = data[: m.start()] if m else data
    if not first:
        return None
    n = first.count(sep_b) + 1
    df = parse_csv_text(
        path,
        data,
        sep=sep,
        header=None,
        encoding=encoding,
        usecols=sorted({j for j in usecols if j < n} | {n - 1}),
    )
    if list(df.columns)[-1] != n - 1 or df[n - 1].isna().any():
        return None
    if data.count(sep_b) != len(df) * (n - 1):
        return None
    return df, n


# Bytes of the line breaks of str.splitlines() that pandas' tokenizer does not break lines at
# (\v, \f, \x1c-\x1e, NEL as Latin-1 or UTF-8 \xc2\x85, LS and PS as UTF-8 \xe2\x80\xa8/9).
# \x85 also occurs inside other UTF-8 characters: such a file merely takes the exact path.
# (One `in` per byte is memchr-fast; a regex scan of a few MB is 10-40x slower.)
_ODD_BREAK_BYTES = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x85")
_BREAK = re.compile(rb"\r\n|\r|\n")


def _has_odd_break(raw: bytes) -> bool:
    if any(b in raw for b in _ODD_BREAK_BYTES):
        return True
    # a 3-byte needle is searched ~20x slower than one byte: look for the lead byte first
    return b"\xe2" in raw and (b"\xe2\x80\xa8" in raw or b"\xe2\x80\xa9" in raw)


class TextLines:
    """A text export split into lines exactly as ``decode_text(...).splitlines()`` does.

    Readers that find a header line and hand the lines after it to pandas used to split the
    whole file and join the table back (``"\\n".join(lines[k:])``). When the file has no line
    break other than ``\\r``, ``\\n`` and ``\\r\\n`` (the ones pandas' tokenizer also breaks
    at), the table is instead the file's own bytes from line ``k`` on: the same rows and
    fields, since a UTF-8 or Latin-1 ``\\r``/``\\n`` byte is always that character. Only the
    first lines are then split and decoded. Otherwise everything is done as before.

    Parameters
    ----------
    path : pathlib.Path
        The file (for error messages).
    raw : bytes
        Its content; the checks of :func:`decode_text` apply.
    """

    def __init__(self, path: Path, raw: bytes) -> None:
        self.path = path
        self.raw = raw
        self.text, body, self.encoding = text_bytes(path, raw)
        self.bom = len(raw) - len(body)  # 3 for a UTF-8 BOM, else 0
        self.fast = not _has_odd_break(raw)
        self._lines: list[str] | None = None if self.fast else self.text.splitlines()
        self._starts: list[int] = [self.bom]  # byte offset of each line start found so far
        self._scan = self.bom
        self._done = False

    def _find(self, n: int) -> None:
        """Record the starts of the first ``n`` lines (fewer when the file is shorter)."""
        while len(self._starts) < n + 1 and not self._done:
            m = _BREAK.search(self.raw, self._scan)
            if m is None:
                self._done = True
                break
            self._scan = m.end()
            if self._scan < len(self.raw):
                self._starts.append(self._scan)
            else:
                self._done = True

    def head(self, n: int) -> list[str]:
        """The first ``n`` lines (``splitlines()[:n]``)."""
        if self._lines is not None:
            return self._lines[:n]
        self._find(n)
        if len(self._starts) > n:
            end = self._starts[n]
        else:
            end = len(self.raw)
        return self.raw[self.bom : end].decode(self.encoding).splitlines()[:n]

    def rest(self, k: int) -> str | bytes:
        """Lines ``k`` onwards for :func:`parse_csv_text` (``encoding=self.encoding``).

        The bytes of the file from line ``k`` on, or ``"\\n".join(lines[k:])`` on the exact
        path; ``k`` must be a line that :meth:`head` returned.
        """
        if self._lines is not None:
            return "\n".join(self._lines[k:])
        self._find(k)
        body = self.raw[self._starts[k] :] if k < len(self._starts) else b""
        if b"\r" in body and b'"' in body:
            # a quoted field may hold a \r\n, which the joined lines turn into \n
            return "\n".join(self.text.splitlines()[k:])
        return body


def column_values(s: Any) -> Any:
    """A column's values without an index: a numpy array, or the extension array (a text
    column stays pyarrow-backed instead of becoming an object array); others as given."""
    if isinstance(s, pd.Series):
        return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array
    return s


def n_rows(df: pd.DataFrame | Mapping[str, Any]) -> int:
    """Number of rows of a DataFrame or of a dict of equal-length columns."""
    if isinstance(df, pd.DataFrame):
        return len(df)
    return len(next(iter(df.values()))) if len(df) else 0


def numeric(
    path: Path, df: pd.DataFrame | Mapping[str, Any], col: str, *, required: bool = True
) -> np.ndarray:
    """Column ``col`` as float64; ParsingError when missing or non-numeric.

    ``df`` is a DataFrame or a dict of columns (numpy arrays or Series).
    """
    if col not in df:
        if required:
            raise fail(path, f"missing column '{col}'")
        return np.full(n_rows(df), np.nan)
    s = df[col]
    if isinstance(s, np.ndarray) and s.dtype.kind in "fiub":
        return np.asarray(s, dtype=float)
    if not pd.api.types.is_numeric_dtype(s):
        s = pd.Series(s) if isinstance(s, np.ndarray) else s
        s = pd.to_numeric(
            s.astype(str).str.strip().replace({"": None, "N/A": None}), errors="coerce"
        )
        if required and s.isna().mean() > 0.5:
            raise fail(path, f"column '{col}' is not numeric")
    try:
        return np.asarray(s, dtype=float)
    except (TypeError, ValueError) as exc:
        raise fail(path, f"column '{col}' is not numeric") from exc


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
