"""Helpers for the reader tests: locate real files, compare per-cycle capacities."""

from __future__ import annotations

from pathlib import Path

import pytest

CYCLER = "cycler"


@pytest.fixture(scope="session")
def cycler(external_data: Path) -> Path:
    """Folder of real cycler files (``$SIANODE_EXTERNAL_DATA/cycler``)."""
    path = external_data / CYCLER
    if not path.is_dir():
        pytest.skip(f"{path} missing")
    return path
