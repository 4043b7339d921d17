"""Helpers shared by the reader tests: a tolerance comparison and the byte-mutation fuzz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from sianode.errors import ParsingError
from sianode.io import read


def rel_close(ours, ref, rtol: float = 5e-3, floor: float = 1e-2) -> None:
    """Assert ``ours`` and ``ref`` agree within ``rtol`` wherever the reference is not tiny
    (below ``floor`` x its largest value, e.g. an empty last cycle or a 1e-11 Ah offset)."""
    a = np.asarray(ours, dtype=float)
    b = np.asarray(ref, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    big = max(float(np.nanmax(np.abs(b))), 1e-30)
    ok = np.abs(b) > floor * big
    assert ok.any()
    rel = np.abs(a[ok] - b[ok]) / np.abs(b[ok])
    assert float(rel.max()) <= rtol, f"max relative deviation {rel.max():.4%}"


def byte_edits(raw: bytes, first: int = 0) -> st.SearchStrategy:
    """Up to 8 (position, new byte) edits, positions in ``raw`` (some from ``first`` on),
    and an optional cut-off length."""
    pos = st.integers(0, len(raw) - 1)
    if first:
        pos = st.one_of(pos, st.integers(first, len(raw) - 1))
    edits = st.lists(st.tuples(pos, st.integers(0, 255)), min_size=1, max_size=8)
    return st.tuples(edits, st.one_of(st.none(), st.integers(1, len(raw))))


def write_mutated(raw: bytes, edits: list[tuple[int, int]], cut: int | None, path: Path) -> bytes:
    """Apply the edits and the cut to ``raw``, write the result to ``path`` and return it."""
    b = bytearray(raw)
    for pos, val in edits:
        b[pos] = val
    if cut is not None:
        b = b[:cut]
    path.write_bytes(bytes(b))
    return bytes(b)


def read_or_parsing_error(path: Path) -> None:
    """Read ``path``: it reads, or raises a ParsingError naming the file, nothing else."""
    try:
        read(path)
    except ParsingError as exc:
        assert path.name in str(exc)
