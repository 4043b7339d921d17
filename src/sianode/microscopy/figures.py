"""Figures of a micrograph analysis: overlays and size histograms (PNG, matplotlib Agg).

Each figure is written to a temporary name and renamed, so a failure leaves no half-written
file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import MicrographResult

__all__ = ["write_figures"]


def _block(img: np.ndarray, f: int) -> np.ndarray:
    if f <= 1:
        return img
    h, w = (img.shape[0] // f) * f, (img.shape[1] // f) * f
    return img[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def _save(fig: Any, path: Path) -> str:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fig.savefig(tmp, dpi=110, format="png")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return str(path)


def _gray(ax: Any, img: np.ndarray, title: str) -> None:
    lo, hi = np.percentile(img, [0.5, 99.5])
    ax.imshow(img, cmap="gray", vmin=lo, vmax=hi)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def write_figures(res: MicrographResult, out_dir: str | Path) -> list[str]:
    """Write the figures of ``res`` into ``out_dir``; returns their paths."""
    from matplotlib.figure import Figure
    from skimage.segmentation import find_boundaries

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"--out: cannot create {out} ({exc.strerror})") from None
    mg = res.micrograph
    stem = Path(mg.source).stem
    u = mg.unit
    paths: list[str] = []
    if res.lattice is not None:
        from .lattice import power_spectrum

        fig = Figure(figsize=(10, 5))
        a1, a2 = fig.subplots(1, 2)
        _gray(a1, mg.data, f"{Path(mg.source).name}")
        p = np.log10(power_spectrum(mg.data) + 1e-30)
        n = p.shape[0]
        c = n // 2
        gmax = max(np.hypot(*s.g_px) for s in res.lattice.spacings) * 1.3
        half = int(min(c, max(16, gmax * n)))
        lo, hi = np.percentile(p, [50, 99.99])
        a2.imshow(p[c - half : c + half, c - half : c + half], cmap="magma", vmin=lo, vmax=hi)
        for s in res.lattice.spacings:
            for sign in (1, -1):
                x = half + sign * s.g_px[0] * n
                y = half - sign * s.g_px[1] * n
                a2.plot(x, y, "o", mfc="none", mec="cyan", ms=10)
            lab = f"{s.d:.4g} {u}" + (f" ({s.hkl})" if s.hkl else "")
            a2.annotate(lab, (half + s.g_px[0] * n, half - s.g_px[1] * n), color="cyan", fontsize=7)
        a2.set_title(f"power spectrum: {res.lattice.symmetry}", fontsize=9)
        a2.set_axis_off()
        paths.append(_save(fig, out / f"{stem}_lattice.png"))
    if res.particles is not None and res.particles.labels is not None:
        pr = res.particles
        img = _block(mg.data, pr.block)
        fig = Figure(figsize=(6, 6))
        ax = fig.subplots()
        _gray(ax, img, f"{pr.count} particles ({pr.method})")
        b = find_boundaries(pr.labels, mode="outer")
        ax.imshow(np.ma.masked_where(~b, b), cmap="autumn", alpha=0.9)
        paths.append(_save(fig, out / f"{stem}_particles.png"))
        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        ax.hist(pr.diameters, bins=max(5, min(40, pr.count // 3)), color="0.5", edgecolor="k")
        if pr.median_diameter is not None:
            ax.axvline(pr.median_diameter, color="r", label=f"median {pr.median_diameter:.3g} {u}")
            ax.legend()
        ax.set_xlabel(f"equivalent diameter [{u}]")
        ax.set_ylabel("particles")
        fig.tight_layout()
        paths.append(_save(fig, out / f"{stem}_particles_hist.png"))
    if res.pores is not None and res.pores.pores is not None:
        po = res.pores
        img = _block(mg.data, po.block)
        fig = Figure(figsize=(6, 6))
        ax = fig.subplots()
        _gray(
            ax,
            img,
            f"porosity {po.porosity:.3f} ({po.porosity_range[0]:.3f}-{po.porosity_range[1]:.3f})",
        )
        ax.imshow(np.ma.masked_where(~po.pores, po.pores), cmap="cool", alpha=0.5)
        env = find_boundaries(po.envelope.astype(np.uint8), mode="inner")
        ax.imshow(np.ma.masked_where(~env, env), cmap="autumn", alpha=0.9)
        paths.append(_save(fig, out / f"{stem}_pores.png"))
        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        from .segmentation import local_thickness

        scale = po.block * (mg.pixel_size_nm or 1.0)
        for phase, lab in ((po.pores, "pores"), (po.solid, "walls")):
            vals = local_thickness(phase)[phase] * scale if phase is not None else np.array([])
            if vals.size:
                ax.hist(
                    vals,
                    bins=30,
                    histtype="step",
                    density=True,
                    label=f"{lab} (16-bin map; median {np.median(vals):.3g} {u})",
                )
        ax.set_xlabel(f"local thickness [{u}]")
        ax.set_ylabel("area fraction density")
        ax.legend()
        fig.tight_layout()
        paths.append(_save(fig, out / f"{stem}_pores_hist.png"))
    return paths
