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


@pytest.fixture(scope="session", autouse=True)
def _band_cache(tmp_path_factory):
    """The prior band's chunk cache (sianode.uncertainty) goes to a session folder, not to
    the user's ~/.cache, unless SIANODE_CACHE_DIR is set; runs within the session share it."""
    if os.environ.get("SIANODE_CACHE_DIR"):
        yield
        return
    os.environ["SIANODE_CACHE_DIR"] = str(tmp_path_factory.mktemp("sianode-cache"))
    yield
    os.environ.pop("SIANODE_CACHE_DIR", None)
