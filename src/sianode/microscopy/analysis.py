"""One call for a micrograph: read with calibration, then lattice, particles and pores.

:func:`analyse_micrograph` is the API under ``sianode micrograph``; its
:class:`MicrographResult` ``to_dict()`` is the command's ``--json`` output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CalculationError, ParameterError
from .lattice import LatticeResult
from .reader import Micrograph, read_micrograph
from .segmentation import ParticleResult, PoreResult

__all__ = ["MicrographResult", "analyse_micrograph"]


@dataclass
class MicrographResult:
    """Everything :func:`analyse_micrograph` computes, lengths in nm (or px uncalibrated)."""

    micrograph: Micrograph
    lattice: LatticeResult | None = None
    particles: ParticleResult | None = None
    pores: PoreResult | None = None
    figures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return self.micrograph.source

    @property
    def pixel_size_nm(self) -> float | None:
        return self.micrograph.pixel_size_nm

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (keys of ``sianode micrograph --json``).

        Lengths carry their unit in the key: ``_nm`` when calibrated, ``_px`` otherwise;
        the documented keys (``lattice.spacings_nm``, ``particles.median_diameter_nm``,
        ``pores.median_width_nm``) are always present, ``null`` when uncalibrated.
        """
        m = self.micrograph
        out: dict[str, Any] = {
            "source": m.source,
            "format": m.fmt,
            "shape": list(m.raw_shape),
            "analysed_shape": list(m.data.shape),
            "pixel_size_nm": m.pixel_size_nm,
            "calibration_source": m.calibration_source,
            "unit": m.unit,
            "calibration_checks": [c.to_dict() for c in m.checks],
            "scale_bar": m.scale_bar,
            "info_bar_cropped_rows": None if m.crop_rows is None else m.raw_shape[0] - m.crop_rows,
            "title": m.title,
            "signal": m.signal,
            "warnings": list(self.warnings),
            "figures": list(self.figures),
            "lattice": None,
            "particles": None,
            "pores": None,
        }
        if self.lattice is not None:
            d = self.lattice.to_dict()
            d.setdefault("spacings_nm", None)
            out["lattice"] = d
        if self.particles is not None:
            d = self.particles.to_dict()
            d.setdefault("median_diameter_nm", None)
            out["particles"] = d
        if self.pores is not None:
            d = self.pores.to_dict()
            d.setdefault("median_width_nm", None)
            out["pores"] = d
        return out


def analyse_micrograph(
    source: str | Path | Micrograph,
    lattice: bool = False,
    particles: bool = False,
    pores: bool = False,
    crystal: str | None = None,
    lattice_constant: float | str | None = None,
    pixel_size: float | str | None = None,
    particle_method: str = "auto",
    bright: bool | None = None,
    out_dir: str | Path | None = None,
) -> MicrographResult:
    """Read ``source`` and run the chosen analyses.

    Parameters
    ----------
    source : path or Micrograph
        File (see :func:`~sianode.microscopy.reader.read_micrograph`) or an image already read.
    lattice, particles, pores : bool
        Which analyses to run (none: calibration only). ``crystal`` or
        ``lattice_constant`` imply ``lattice``.
    crystal : str, optional
        Crystal to index against (:data:`~sianode.microscopy.crystals.CRYSTALS`).
    lattice_constant : float or str, optional
        Cubic lattice constant (nm, or text with a unit) instead of a named crystal.
    pixel_size : float or str, optional
        Pixel size typed in (nm, or text with a unit); wins over the file's.
    particle_method : {"auto", "threshold", "edges"}
        Segmentation of particles (:func:`~sianode.microscopy.segmentation.analyse_particles`).
    bright : bool, optional
        Particles brighter than the background (``None``: from the histogram).
    out_dir : path, optional
        Write overlay and histogram figures (PNG) there.

    Raises
    ------
    CalculationError
        When the one analysis asked for cannot be done (no fringes, no particles). With
        several asked for, a failing one is ``None`` in the result with a warning.
    """
    if crystal is not None and lattice_constant is not None:
        raise ParameterError("give --crystal or --lattice-constant, not both")
    mg = (
        source if isinstance(source, Micrograph) else read_micrograph(source, pixel_size=pixel_size)
    )
    res = MicrographResult(mg, warnings=list(mg.warnings))
    if crystal is not None or lattice_constant is not None:
        lattice = True
    several = sum((lattice, particles, pores)) > 1

    def attempt(name: str, fn: Any) -> Any:
        """Run one analysis; with several requested, a failure becomes a warning."""
        try:
            out = fn()
        except CalculationError as exc:
            if not several:
                raise
            res.warnings.append(f"{name}: not measured: {exc}")
            return None
        res.warnings.extend(f"{name}: {w}" for w in out.warnings)
        return out

    if lattice:
        from .calibration import parse_length_nm
        from .crystals import get_crystal
        from .lattice import analyse_lattice

        cr = None
        if crystal is not None or lattice_constant is not None:
            a = (
                None
                if lattice_constant is None
                else parse_length_nm(lattice_constant, "--lattice-constant")
            )
            cr = get_crystal(crystal, a)
        res.lattice = attempt("lattice", lambda: analyse_lattice(mg.data, mg.pixel_size_nm, cr))
    if particles:
        from .segmentation import analyse_particles

        res.particles = attempt(
            "particles",
            lambda: analyse_particles(mg.data, mg.pixel_size_nm, particle_method, bright),
        )
    if pores:
        from .segmentation import analyse_pores

        res.pores = attempt("pores", lambda: analyse_pores(mg.data, mg.pixel_size_nm))
    if out_dir is not None and (lattice or particles or pores):
        from .figures import write_figures

        res.figures = write_figures(res, out_dir)
    return res
