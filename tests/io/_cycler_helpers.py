"""Comparison helper shared by the reader tests."""

from __future__ import annotations

import numpy as np


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
