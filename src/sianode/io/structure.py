"""Structure checks of delimited text before it reaches pandas.

pandas' tokenizer sizes its buffers by what it finds: one line of a million separators
makes it allocate for a million fields (several GB for a few-MB file), and a line with more
fields than the header is silently accepted when only some columns are read (``usecols``).
:func:`check_fields` counts the separators of every line with numpy (a few ms per MB) and
rejects a table whose lines have more fields than its header allows, or are far longer
than the header, with one :class:`~sianode.errors.ParsingError` naming the line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ._files import fail

#: More fields than this in a header is not a cycler export (real ones have < 200).
MAX_FIELDS = 4096
#: A line may be this many times longer than the header line (and at least this long).
LINE_FACTOR = 64
MIN_LINE_LIMIT = 65536


def allowed_fields(n: int) -> int:
    """Largest field count a data line may have against a header of ``n`` fields.

    A few more than the header: exports end rows with separators, and readers cut the
    table to the header's width afterwards.
    """
    return n + 2 + n // 8


def line_field_counts(data: bytes, sep: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Separators, start offset and byte length of each line of ``data``.

    Lines break at ``\n``, ``\r\n`` and a lone ``\r``; a break ending the data starts no
    new line. One comparison per byte and one ``np.add.reduceat`` (~0.5 ms per MB).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Separator count, start [byte] and length [bytes, without the break] of each line.
    """
    a = np.frombuffer(data, dtype=np.uint8)
    brk = a == 10
    if b"\r" in data:
        cr = a == 13
        cr[:-1] &= a[1:] != 10  # the \r of a \r\n is part of its line
        brk |= cr
    starts = np.flatnonzero(brk)
    starts += 1
    starts = np.concatenate(([0], starts[starts < a.size]))
    counts = np.add.reduceat((a == sep[0]).view(np.uint8), starts, dtype=np.int64)
    lengths = np.empty(starts.size, dtype=np.int64)
    lengths[:-1] = starts[1:] - starts[:-1] - 1
    lengths[-1] = a.size - starts[-1] - (1 if brk[-1] else 0)
    return counts, starts, lengths


def _quoted_fields(line: bytes, sep: str) -> int:
    """Fields of one line as the csv module splits it (quotes respected)."""
    rows = list(csv.reader(io.StringIO(line.decode("latin-1")), delimiter=sep))
    return max((len(r) for r in rows), default=0)


def check_fields(
    path: Path | str | None,
    data: bytes,
    sep: str,
    n_fields: int | None = None,
    header_bytes: int | None = None,
    first_line: int = 1,
) -> None:
    """Reject delimited text whose lines do not fit its header, before pandas parses it.

    Parameters
    ----------
    path : path-like or None
        The file (for the message).
    data : bytes
        The table's text (UTF-8 or Latin-1; separator and line breaks are ASCII).
    sep : str
        One-character field separator; other separators are not checked.
    n_fields : int, optional
        Fields of the table's header; default: those of the first line of ``data``.
    header_bytes : int, optional
        Length of the header line [bytes]; default: that of the first line of ``data``.
    first_line : int
        Line number of ``data``'s first line in the file (1-based), for messages.

    Raises
    ------
    ParsingError
        The header has more than :data:`MAX_FIELDS` fields, a line has more than
        :func:`allowed_fields` (separators inside quotes are not counted), or a line is
        longer than ``LINE_FACTOR`` times the header (at least ``MIN_LINE_LIMIT`` bytes).
    """
    sep_b = sep.encode()
    if len(sep_b) != 1 or not data:
        return
    counts, starts, lengths = line_field_counts(data, sep_b)
    if n_fields is None:
        n_fields = int(counts[0]) + 1
    if header_bytes is None:
        header_bytes = int(lengths[0])
    if n_fields > MAX_FIELDS:
        raise fail(path, f"header has {n_fields} fields (more than {MAX_FIELDS}: not a data table)")
    limit = max(LINE_FACTOR * header_bytes, MIN_LINE_LIMIT)
    long = np.flatnonzero(lengths > limit)
    if long.size:
        k = int(long[0])
        raise fail(
            path,
            f"line {first_line + k} is {int(lengths[k])} bytes long, over {LINE_FACTOR} times"
            f" the header's {header_bytes} (corrupt file)",
        )
    most = allowed_fields(n_fields)
    over = np.flatnonzero(counts >= most)  # counts are separators: fields - 1
    if over.size == 0:
        return
    quoted = b'"' in data
    for k in over[:1000].tolist():
        fields = int(counts[k]) + 1
        if quoted:
            s = int(starts[k])
            fields = _quoted_fields(data[s : s + int(lengths[k])], sep)
            if fields <= most:
                continue
        raise fail(
            path,
            f"line {first_line + k} has {fields} fields, the header has {n_fields} (corrupt file)",
        )
