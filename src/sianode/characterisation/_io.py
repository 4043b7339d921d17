"""Shared text-file helpers for the characterisation readers (two numeric columns)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import ParsingError

_SPLIT = re.compile(r"[\s,;]+")


def read_text(path: str | Path) -> str:
    """Read a text file, tolerating Latin-1 bytes (LabSpec writes Latin-1)."""
    p = Path(path)
    if not p.is_file():
        raise ParsingError(f"{p}: no such file")
    raw = p.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def two_columns(text: str, source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Parse the first two numeric columns of a text table.

    Lines that do not start with a number (``#`` comments, headers) are returned as header
    lines. Comma, semicolon, tab and space are accepted as separators.

    Returns
    -------
    x, y : ndarray
        First and second column.
    header : list of str
        Non-numeric lines, in order.

    Raises
    ------
    ParsingError
        If the file has no numeric rows or fewer than two columns.
    """
    xs: list[float] = []
    ys: list[float] = []
    header: list[str] = []
    one_col = 0
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        parts = [t for t in _SPLIT.split(s) if t]
        try:
            vals = [float(t) for t in parts[:2]]
        except ValueError:
            header.append(s)
            continue
        if len(vals) < 2:
            one_col += 1
            continue
        xs.append(vals[0])
        ys.append(vals[1])
    if not xs:
        if one_col:
            raise ParsingError(f"{source}: only one numeric column found; expected x and y columns")
        raise ParsingError(f"{source}: no numeric data rows found (empty file?)")
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ParsingError(f"{source}: non-finite values in the data columns")
    order = np.argsort(x, kind="stable")
    return x[order], y[order], header
