"""Microscopy: TEM/STEM/SEM micrographs with their calibration, lattice fringes, particles and pores.

Python API (the ``sianode micrograph`` command is a thin layer over it):

- :func:`read_micrograph` -> :class:`Micrograph` (image, pixel size in nm, where it came from,
  cross-checks of every calibration field);
- :func:`analyse_micrograph` -> :class:`MicrographResult` (lattice spacings, particle-size
  distribution, porosity and pore/wall widths, each with its uncertainty);
- the concept modules :mod:`.calibration`, :mod:`.lattice`, :mod:`.crystals`,
  :mod:`.segmentation`, :mod:`.figures`.

RosettaSciIO, scikit-image and matplotlib are imported on first use, not here.
"""

from __future__ import annotations

from .analysis import MicrographResult, analyse_micrograph
from .reader import Micrograph, read_micrograph

__all__ = ["Micrograph", "MicrographResult", "analyse_micrograph", "read_micrograph"]
