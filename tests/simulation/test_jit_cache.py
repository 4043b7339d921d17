"""numba's on-disk cache: keyed on the whole compiled layer, never deleted at run time."""

from __future__ import annotations

from pathlib import Path

from sianode.models import _jit
from sianode.simulation import kernel


def _tree(root: Path) -> None:
    for sub in _jit.COMPILED_PACKAGES:
        (root / sub).mkdir(parents=True)
        (root / sub / "a.py").write_text(f"X = 1  # {sub}\n")
    for name in _jit.COMPILED_FILES:
        (root / name).write_text("C = 1\n")


def test_stamp_changes_with_any_compiled_source(tmp_path, monkeypatch):
    """A constant edited in one file changes the stamp of every compiled function, so numba
    recompiles callers whose machine code holds that constant (its own check only looks at
    the file that defines a function)."""
    _tree(tmp_path)
    monkeypatch.setattr(_jit, "_PKG", tmp_path)
    stamp = _jit.compiled_layer_stamp.__wrapped__
    before = stamp()
    assert stamp() == before
    (tmp_path / "cell" / "a.py").write_text("X = 2  # cell\n")
    assert stamp() != before
    (tmp_path / "cell" / "a.py").write_text("X = 1  # cell\n")
    assert stamp() == before


def test_solvers_use_the_layer_stamp_and_nothing_is_deleted():
    if _jit._cache_class() is None:  # another numba: plain per-file cache
        return
    locator = kernel.run_kernel._cache._impl.locator
    assert locator.get_source_stamp() == _jit.compiled_layer_stamp()
    assert not hasattr(_jit, "_refresh_cache")  # the old stamp check deleted *.nbi/*.nbc
