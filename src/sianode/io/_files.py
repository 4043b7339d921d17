"""File access for the cycler readers: reading bytes, decoding text, splitting lines.

Every problem is a one-line :class:`~sianode.errors.ParsingError` built by :func:`fail`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ParsingError


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
