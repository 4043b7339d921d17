"""Benchmark: ``sianode micrograph`` vs the same analysis written with hyperspy + scikit-image.

Run (needs the shared micrographs; the peer needs hyperspy, which sianode does not use at
runtime: ``pip install 'sianode[bench-micro]'`` or ``pip install hyperspy``)::

    SIANODE_EXTERNAL_DATA=../shared/data/external .venv/bin/python benchmarks/bench_microscopy.py

Two parts:

1. Warm, in one process (imports done), median of ``REPEAT`` runs, on the real files:

   - read + calibration: ``hs.load`` and the axis scale/units vs
     :func:`sianode.microscopy.read_micrograph` (which also cross-checks every calibration
     field and crops SEM info bars);
   - lattice (SrTiO3 [001], 1024 px): hyperspy ``Signal2D.fft(apodization=True)`` +
     ``skimage.feature.peak_local_max`` on the log power + the same four-quadrant
     repetition for the uncertainty, vs :func:`sianode.microscopy.lattice.analyse_lattice`;
   - particles (Zeiss SEM): Otsu + opening + hole filling + distance-transform watershed +
     ``regionprops`` (Feret) at four thresholds, vs
     :func:`sianode.microscopy.segmentation.analyse_particles`;
   - pores (HAADF section): thresholds + envelope + local thickness by the same
     scipy distance-transform loop porespy uses, vs
     :func:`sianode.microscopy.segmentation.analyse_pores`.

2. Whole process, cold (a fresh interpreter each run, median of ``REPEAT_PROC``):
   ``sianode micrograph <4.8 MB DM3> --json`` vs ``python -c`` loading the same file with
   hyperspy and printing its pixel size.

Prints Markdown tables; ratio = sianode / peer (< 1: sianode faster). The peer is skipped
with a message when hyperspy is not installed.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPEAT = 5
REPEAT_PROC = 7
ROOT = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "../shared/data/external"))
MICRO = ROOT / "materials" / "microscopy"
DM3 = MICRO / "example_Se_implanted_MoS2.dm3"
STO = MICRO / "16_STOimage_1.ser"
SEM = MICRO / "test_tiff_Zeiss_SEM_512pix.tif"
SECTION = MICRO / "After_HAADF_130mm.emi"
READ_FILES = [DM3, STO, MICRO / "Acquisition_18.emd", MICRO / "example_Au_nanoparticle.emd", SEM]


def timed(fn, repeat: int = REPEAT) -> float:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def have_hyperspy() -> bool:
    try:
        import hyperspy.api  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------ peers


def peer_read(path: Path) -> float:
    import hyperspy.api as hs

    s = hs.load(str(path))
    if isinstance(s, list):
        s = s[0]
    ax = s.axes_manager.signal_axes[0]
    return float(ax.scale)


def peer_lattice(path: Path) -> list[float]:
    import hyperspy.api as hs
    from skimage.feature import peak_local_max

    s = hs.load(str(path))
    n = min(s.data.shape)

    def spacings(sig) -> list[tuple[float, float]]:
        f = sig.fft(apodization=True, shift=True)
        p = np.log10(np.abs(f.data) ** 2 + 1e-30)
        c = p.shape[0] // 2
        yy, xx = np.indices(p.shape)
        p[np.hypot(yy - c, xx - c) < 4] = p.min()
        pk = peak_local_max(p, min_distance=2, num_peaks=16, exclude_border=True)
        kx = f.axes_manager.signal_axes[0]
        ky = f.axes_manager.signal_axes[1]
        out = []
        for y, x in pk:
            gx, gy = kx.index2value(int(x)), ky.index2value(int(y))
            g = math.hypot(gx, gy)
            if g > 0:
                out.append((1.0 / g, math.degrees(math.atan2(gy, gx))))
        return out

    main = spacings(s.isig[:n, :n])
    h = n // 2
    quads = [spacings(s.isig[x0 : x0 + h, y0 : y0 + h]) for x0 in (0, h) for y0 in (0, h)]
    sds = []
    for d, ang in main:
        ds = [min(q, key=lambda t: abs(t[0] - d) + abs(t[1] - ang) / 90)[0] for q in quads]
        sds.append(float(np.std(ds, ddof=1)))
    return [d for d, _ in main]


def peer_particles(path: Path) -> float:
    import hyperspy.api as hs
    from scipy import ndimage as ndi
    from skimage import filters, measure, morphology, segmentation
    from skimage.feature import peak_local_max

    s = hs.load(str(path))
    px = s.axes_manager.signal_axes[0].scale
    img = ndi.gaussian_filter(s.data[:351].astype(float), 1.0)  # info bar cropped by hand
    meds = []
    for th in (
        filters.threshold_otsu,
        filters.threshold_li,
        filters.threshold_isodata,
        filters.threshold_mean,
    ):
        m = img > th(img)
        m = ndi.binary_fill_holes(ndi.binary_opening(m))
        m = morphology.remove_small_objects(m, max_size=12)
        dist = ndi.distance_transform_edt(m)
        pk = peak_local_max(dist, min_distance=4, labels=ndi.label(m)[0])
        markers = np.zeros(m.shape, int)
        markers[tuple(pk.T)] = np.arange(1, len(pk) + 1)
        lab = segmentation.watershed(-dist, markers, mask=m)
        lab = segmentation.clear_border(lab)
        props = measure.regionprops(lab)
        eq = [p.equivalent_diameter_area * px for p in props]
        _ = [p.feret_diameter_max * px for p in props]
        meds.append(float(np.median(eq)) if eq else float("nan"))
    return meds[0]


def _local_thickness(mask: np.ndarray, n: int = 16) -> np.ndarray:
    from scipy import ndimage as ndi

    dt = ndi.distance_transform_edt(mask)
    lt = np.zeros(mask.shape)
    if dt.max() <= 1:
        return lt + mask
    for r in np.geomspace(1, dt.max(), n)[::-1]:
        cov = ndi.distance_transform_edt(~(dt >= r)) < r
        lt[cov & mask & (lt == 0)] = 2 * r
    return lt


def peer_pores(path: Path) -> float:
    import hyperspy.api as hs
    from scipy import ndimage as ndi
    from skimage import filters, morphology

    s = hs.load(str(path))
    s = s.rebin(scale=(2, 2))  # the same 512-px working size as sianode
    px = s.axes_manager.signal_axes[0].scale
    img = ndi.gaussian_filter(s.data.astype(float), 1.0)
    phis = []
    for th in (filters.threshold_otsu, filters.threshold_li, filters.threshold_mean):
        solid = morphology.remove_small_objects(ndi.binary_opening(img > th(img)), max_size=3)
        env = ndi.binary_fill_holes(
            ndi.binary_closing(np.pad(solid, 10), structure=morphology.disk(10))[10:-10, 10:-10]
        )
        pores = env & ~solid
        _ = np.median(_local_thickness(pores)[pores]) * px
        _ = np.median(_local_thickness(solid)[solid]) * px
        phis.append(pores.sum() / env.sum())
    return float(phis[0])


# ------------------------------------------------------------------------------ sianode


def ours_read(path: Path) -> float | None:
    from sianode.microscopy import read_micrograph

    return read_micrograph(path).pixel_size_nm


def ours_lattice(path: Path) -> list[float]:
    from sianode.microscopy import read_micrograph
    from sianode.microscopy.crystals import get_crystal
    from sianode.microscopy.lattice import analyse_lattice

    mg = read_micrograph(path)
    return [s.d for s in analyse_lattice(mg.data, mg.pixel_size_nm, get_crystal("SrTiO3")).spacings]


def ours_particles(path: Path) -> float | None:
    from sianode.microscopy import read_micrograph
    from sianode.microscopy.segmentation import analyse_particles

    mg = read_micrograph(path)
    return analyse_particles(mg.data, mg.pixel_size_nm).median_diameter


def ours_pores(path: Path) -> float:
    from sianode.microscopy import read_micrograph
    from sianode.microscopy.segmentation import analyse_pores

    mg = read_micrograph(path)
    return analyse_pores(mg.data, mg.pixel_size_nm).porosity


# ------------------------------------------------------------------------------ main


def whole_process(argv: list[str]) -> float:
    ts = []
    for _ in range(REPEAT_PROC + 1):
        t = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts[1:])  # the first run warms the disk cache


def main() -> int:
    if not MICRO.is_dir():
        print(f"no micrographs at {MICRO}: set SIANODE_EXTERNAL_DATA")
        return 1
    peer = have_hyperspy()
    if not peer:
        print("hyperspy is not installed: peer timings skipped (pip install hyperspy)")
    warnings.simplefilter("ignore")
    import logging

    logging.getLogger("hyperspy").setLevel(logging.ERROR)
    rows = []
    tasks = [(f"read + calibration: {p.name}", ours_read, peer_read, p) for p in READ_FILES]
    tasks += [
        (f"lattice (SrTiO3 [001]): {STO.name}", ours_lattice, peer_lattice, STO),
        (f"particles (4 thresholds): {SEM.name}", ours_particles, peer_particles, SEM),
        (f"pores (porosity + local thickness): {SECTION.name}", ours_pores, peer_pores, SECTION),
    ]
    for name, ours, theirs, path in tasks:
        ours(path)  # warm: imports and caches
        t_o = timed(lambda o=ours, p=path: o(p))
        t_p = None
        if peer:
            theirs(path)
            t_p = timed(lambda f=theirs, p=path: f(p))
        rows.append((name, t_o, t_p))
    print(f"| analysis (warm, median of {REPEAT}) | sianode [s] | hyperspy + skimage [s] | ratio |")
    print("|---|---:|---:|---:|")
    for name, t_o, t_p in rows:
        ratio = "-" if t_p is None else f"{t_o / t_p:.2f}"
        tp = "-" if t_p is None else f"{t_p:.3f}"
        print(f"| {name} | {t_o:.3f} | {tp} | {ratio} |")
    exe = Path(sys.executable).parent / "sianode"
    t_cli = whole_process([str(exe), "micrograph", str(DM3), "--json"])
    print()
    print(f"| whole process, cold (median of {REPEAT_PROC}) | wall [s] |")
    print("|---|---:|")
    print(f"| sianode micrograph {DM3.name} --json | {t_cli:.3f} |")
    if peer:
        code = (
            "import hyperspy.api as hs, sys; s = hs.load(sys.argv[1]); "
            "a = s.axes_manager.signal_axes[0]; print(a.scale, a.units)"
        )
        t_hs = whole_process([sys.executable, "-c", code, str(DM3)])
        print(f"| python -c 'hs.load(...)' + print pixel size | {t_hs:.3f} |")
        print(f"| ratio sianode / hyperspy | {t_cli / t_hs:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
