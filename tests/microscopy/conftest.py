"""Fixtures: the shared micrographs (materials/microscopy under SIANODE_EXTERNAL_DATA).

What each file shows, its source and licence: ``materials/README.md`` of the shared data
folder, section ``microscopy/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("rsciio", reason="microscopy needs the 'micro' extra (rosettasciio)")
pytest.importorskip("skimage", reason="microscopy needs the 'micro' extra (scikit-image)")


@pytest.fixture(scope="session")
def micro(external_data: Path) -> Path:
    path = external_data / "materials" / "microscopy"
    if not path.is_dir():
        pytest.skip(f"{path} missing (shared micrographs not present)")
    return path
