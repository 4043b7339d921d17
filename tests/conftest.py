"""Shared fixtures: the bundled study and the external instrument data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def external_data() -> Path:
    """Folder of real instrument files (``SIANODE_EXTERNAL_DATA``); skip when unset."""
    root = os.environ.get("SIANODE_EXTERNAL_DATA")
    if not root:
        pytest.skip("SIANODE_EXTERNAL_DATA is not set (.ci/run sets it to ../shared/data/external)")
    path = Path(root)
    if not path.is_dir():
        pytest.skip(f"SIANODE_EXTERNAL_DATA={root} is not a folder")
    return path


@pytest.fixture(scope="session")
def study():
    from sianode import load_study

    return load_study()
