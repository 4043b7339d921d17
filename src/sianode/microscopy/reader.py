"""Read a micrograph with its spatial calibration through RosettaSciIO.

One reader for Gatan DM3/DM4, FEI TIA ser/emi, Berkeley and Velox EMD, HyperSpy HDF5 and
SEM TIFF (Zeiss, FEI). RosettaSciIO (the HyperSpy project's format library) does the
parsing; this module picks the image out of the file, converts its axis calibration to nm
per pixel, records where that number came from (``calibration_source``), compares it with
every other calibration field the file carries (:mod:`sianode.microscopy.calibration`),
and crops an SEM information bar from the analysed area.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParsingError
from .calibration import (
    CalibrationCheck,
    calibration_fields,
    compare_fields,
    find_info_bar,
    measure_scale_bar,
    nm_per_unit,
    parse_length_nm,
)

__all__ = ["Micrograph", "read_micrograph", "READERS"]

#: File extension -> RosettaSciIO plugin.
READERS: dict[str, str] = {
    ".dm3": "digitalmicrograph",
    ".dm4": "digitalmicrograph",
    ".ser": "tia",
    ".emi": "tia",
    ".emd": "emd",
    ".hspy": "hspy",
    ".hdf5": "hspy",
    ".h5": "hspy",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".msa": "msa",
    ".ems": "msa",
}


@dataclass
class Micrograph:
    """An image with its calibration.

    Attributes
    ----------
    data : ndarray
        2-D float image of the analysed area (an SEM info bar cropped off).
    pixel_size_nm : float or None
        nm per pixel; ``None`` when the file has no spatial calibration.
    calibration_source : str
        Where ``pixel_size_nm`` came from.
    checks : list of CalibrationCheck
        Every other calibration field of the file against the one used.
    crop_rows : int or None
        Rows kept (from the top) when an info bar was cropped.
    scale_bar : dict or None
        Burned-in scale bar measured in the info bar (see
        :func:`~sianode.microscopy.calibration.measure_scale_bar`).
    """

    source: str
    fmt: str
    data: np.ndarray
    pixel_size_nm: float | None
    calibration_source: str
    raw_shape: tuple[int, int]
    title: str = ""
    signal: str = ""
    checks: list[CalibrationCheck] = field(default_factory=list)
    crop_rows: int | None = None
    scale_bar: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        """Length unit of results: ``nm`` when calibrated, else ``px``."""
        return "px" if self.pixel_size_nm is None else "nm"

    @property
    def scale(self) -> float:
        """Length per pixel in :attr:`unit`."""
        return 1.0 if self.pixel_size_nm is None else self.pixel_size_nm


def _defer_dask() -> None:
    """Keep RosettaSciIO's DM/EDAX readers from importing dask at import time.

    ``rsciio.digitalmicrograph`` imports ``memmap_distributed`` (lazy loading, which pulls in
    dask.array: about 0.4 s) at module level; sianode reads eagerly and never calls it. A
    stand-in module forwards to the real one on first use, so lazy loading still works for
    anyone who asks for it in the same process.
    """
    name = "rsciio.utils._distributed"
    if name in sys.modules:
        return

    def _real() -> Any:
        if isinstance(sys.modules.get(name), _Deferred):
            del sys.modules[name]
        return importlib.import_module(name)

    class _Deferred(types.ModuleType):
        def __getattr__(self, attr: str) -> Any:
            return getattr(_real(), attr)

    stub = _Deferred(name)

    def memmap_distributed(*args: Any, **kwargs: Any) -> Any:
        return _real().memmap_distributed(*args, **kwargs)

    stub.memmap_distributed = memmap_distributed  # type: ignore[attr-defined]
    sys.modules[name] = stub


def _load(path: Path, plugin: str) -> list[dict[str, Any]]:
    if plugin == "digitalmicrograph":
        _defer_dask()
    try:
        mod = importlib.import_module(f"rsciio.{plugin}")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ParsingError(
            f"{path}: reading {plugin} files needs RosettaSciIO (pip install 'sianode[micro]'): {exc}"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = mod.file_reader(str(path))
    except MemoryError:
        raise ParsingError(
            f"{path}: not a readable {plugin} file (header sizes are corrupt)"
        ) from None
    except Exception as exc:  # rsciio raises anything from struct.error to KeyError
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParsingError(
            f"{path}: not a readable {plugin} file, truncated or corrupt ({type(exc).__name__}: {msg[:120]})"
        ) from None
    if isinstance(out, dict):
        out = [out]
    return list(out or [])


def _pick_image(signals: list[dict[str, Any]], path: Path) -> tuple[dict[str, Any], list[str]]:
    """The first signal with two signal axes; a clear error for spectra and empty files."""
    notes: list[str] = []
    dims = []
    for s in signals:
        axes = s.get("axes") or []
        sig = [a for a in axes if not a.get("navigate", False)]
        dims.append(len(sig))
        if len(sig) == 2:
            if len(signals) > 1:
                notes.append(f"the file holds {len(signals)} signals; the first image was used")
            return s, notes
    if any(d == 1 for d in dims):
        raise ParsingError(f"{path}: holds a spectrum (1-D signal), not an image")
    if not signals:
        raise ParsingError(f"{path}: the file holds no data")
    raise ParsingError(f"{path}: holds no 2-D image (signal dimensions {dims})")


def _to_gray(data: Any) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype.names:  # RGB(A) structured
        chans = [n for n in ("R", "G", "B") if n in arr.dtype.names]
        arr = np.mean([arr[n].astype(float) for n in chans], axis=0)
    return arr


def _emd_dim_vectors(path: Path) -> dict[str, float]:
    """Berkeley EMD: pixel size from each dim vector's end points (a cross-check of rsciio's)."""
    out: dict[str, float] = {}
    try:
        import h5py

        with h5py.File(path, "r") as h:
            grp = h.get("data")
            if grp is None:
                return out
            for gname in grp:
                g = grp[gname]
                if not isinstance(g, h5py.Group) or "data" not in g:
                    continue
                for dn in ("dim1", "dim2"):
                    if dn not in g:
                        continue
                    v = np.asarray(g[dn][()], dtype=float)
                    if v.size < 2:
                        continue
                    f = nm_per_unit(g[dn].attrs.get("units", b""))
                    if f is not None:
                        out[f"EMD data/{gname}/{dn} (end points)"] = (
                            f * (v[-1] - v[0]) / (v.size - 1)
                        )
                break
    except (OSError, ParsingError, KeyError, ValueError):
        return {}
    return out


def read_micrograph(
    path: str | Path,
    pixel_size: float | str | None = None,
    crop_info_bar: bool = True,
) -> Micrograph:
    """Read the image in ``path`` with its pixel size in nm and where it came from.

    Parameters
    ----------
    path : str or Path
        Micrograph: ``.dm3``, ``.dm4``, ``.ser``/``.emi``, ``.emd``, ``.hspy``/``.hdf5``,
        ``.tif``.
    pixel_size : float or str, optional
        Pixel size typed in (bare numbers in nm, or text with a unit such as ``"12 pm"``);
        wins over the file's calibration, which is still cross-checked against it.
    crop_info_bar : bool
        Crop an SEM information bar from the bottom of the image (TIFF files).

    Raises
    ------
    ParsingError
        Unknown format, a truncated or corrupt file, a spectrum or a file without an image,
        an image with no contrast.
    """
    p = Path(path)
    if not p.is_file():
        raise ParsingError(f"{p}: no such file")
    plugin = READERS.get(p.suffix.lower())
    if plugin is None:
        raise ParsingError(
            f"{p}: not a micrograph format sianode reads (expected one of "
            f"{', '.join(sorted(set(READERS) - {'.msa', '.ems'}))})"
        )
    try:
        signals = _load(p, plugin)
    except ParsingError:
        if plugin != "hspy":
            raise
        # .h5/.hdf5 is also used by Berkeley EMD files
        try:
            signals, plugin = _load(p, "emd"), "emd"
        except ParsingError:
            raise ParsingError(
                f"{p}: neither a HyperSpy nor an EMD HDF5 file (truncated or corrupt?)"
            ) from None
    sig, notes = _pick_image(signals, p)
    axes = sig["axes"]
    idx = [i for i, a in enumerate(axes) if not a.get("navigate", False)]
    data = _to_gray(sig["data"])
    if data.ndim > 2:
        nav = tuple(0 for i in range(data.ndim) if i not in idx)
        data = data[nav]  # first frame of a stack
        notes.append("the file holds an image stack; the first frame was analysed")
    if data.ndim != 2 or min(data.shape) < 8:
        raise ParsingError(f"{p}: image too small to analyse (shape {data.shape})")
    ay, ax = axes[idx[0]], axes[idx[1]]
    om = sig.get("original_metadata") or {}
    md = sig.get("metadata") or {}
    raw_shape = (int(data.shape[0]), int(data.shape[1]))

    # the axis calibration
    def axis_nm(a: dict[str, Any]) -> tuple[float | None, str]:
        unit = a.get("units")
        try:
            f = nm_per_unit(unit)
        except ParsingError as exc:
            raise ParsingError(f"{p}: {exc}") from None
        scale = float(a.get("scale", 1.0) or 1.0)
        return (None if f is None else scale * f), ("" if unit is None else str(unit))

    (sy, _), (sx, ux) = axis_nm(ay), axis_nm(ax)
    extra: dict[str, float] = {}
    if sy is not None:
        extra["axis y scale"] = sy
    if plugin == "emd" and "BinaryResult" not in om:
        extra.update(_emd_dim_vectors(p))
    warn = list(notes)
    if sx is not None and sx > 0:
        file_nm: float | None = sx
        source = f"{plugin} axis calibration ({float(ax.get('scale', 1.0)):.6g} {ux})"
    elif ux == "" and float(ax.get("scale", 1.0) or 1.0) != 1.0:
        file_nm = float(ax["scale"])
        source = f"{plugin} axis scale {file_nm:.6g} without a unit (assumed nm)"
        warn.append(
            "the file's axis scale has no unit; it was taken as nm (HyperSpy TEM files use nm): "
            "check it with --crystal"
        )
        if "axis y scale" not in extra and ay.get("scale") not in (None, 1.0):
            extra["axis y scale (no unit)"] = float(ay["scale"])
    else:
        file_nm = None
        source = "none"
    if pixel_size is not None:
        used: float | None = parse_length_nm(pixel_size, "--pixel-size")
        source = f"--pixel-size (typed in: {used:.6g} nm)"
    else:
        used = file_nm
        if used is None:
            warn.append(
                f"{p.name} has no spatial calibration: lengths are in pixels "
                "(give --pixel-size for nm)"
            )
    if file_nm is not None and pixel_size is not None:
        extra = {"axis x scale": file_nm, **extra}
    fields = calibration_fields(plugin, om, raw_shape, extra)
    checks = compare_fields(fields, used)
    if sy is not None and sx is not None and abs(sy / sx - 1) > 0.001:
        warn.append(f"non-square pixels (x {sx:.4g} nm, y {sy:.4g} nm); x was used")
    for c in checks:
        if c.agrees is False:
            warn.append(f"calibration: {c.field} {c.note}")

    mg = Micrograph(
        source=str(p),
        fmt=plugin,
        data=data,
        pixel_size_nm=used,
        calibration_source=source,
        raw_shape=raw_shape,
        title=str((md.get("General") or {}).get("title", "") or ""),
        signal=str((md.get("Signal") or {}).get("signal_type", "") or ""),
        checks=checks,
        warnings=warn,
    )
    if crop_info_bar and plugin == "tiff":
        top = find_info_bar(data)
        if top is not None:
            mg.scale_bar = measure_scale_bar(data[top:], used)
            mg.crop_rows = top
            mg.data = data[:top]
            mg.warnings.append(
                f"an information bar ({raw_shape[0] - top} rows) was cropped from the bottom"
            )
            sb = mg.scale_bar
            if sb is not None and sb.get("deviation_pct") is not None:
                if abs(sb["deviation_pct"]) > max(3.0, 1.5 * sb["resolution_pct"]):
                    mg.warnings.append(
                        f"scale bar: {sb['length_px']} px = {sb['length_nm']:.4g} nm at the "
                        f"calibration used, not a round length (nearest {sb['round_value_nm']:g} nm)"
                    )
    if plugin == "digitalmicrograph" and _has_dm_scale_bar(om):
        mg.scale_bar = {
            "note": "DigitalMicrograph scale-bar annotation: drawn from the calibration itself, "
            "so not an independent check"
        }
    check_contrast(mg)
    return mg


def _has_dm_scale_bar(om: dict[str, Any]) -> bool:
    doc = om.get("DocumentObjectList") or {}
    for g in doc.values():
        for a in (g.get("AnnotationGroupList") or {}).values() if isinstance(g, dict) else []:
            if isinstance(a, dict) and a.get("AnnotationType") == 31:
                return True
    return False


def check_contrast(mg: Micrograph) -> None:
    """Raise :class:`ParsingError` for an image with no contrast; fill non-finite pixels.

    Non-finite pixels (NaN, inf: dead or saturated detector pixels in float files) are
    replaced by the mean of the finite ones, with a warning saying how many.
    """
    d = np.asarray(mg.data, dtype=float)
    finite = np.isfinite(d)
    if not finite.any():
        raise ParsingError(f"{mg.source}: image has no finite pixel values")
    if not finite.all():
        bad = int(d.size - finite.sum())
        d = np.where(finite, d, d[finite].mean())
        mg.warnings.append(f"{bad} non-finite pixels were set to the image mean")
    lo, hi = float(d.min()), float(d.max())
    if not hi > lo:
        raise ParsingError(
            f"{mg.source}: image has no contrast (every pixel equals {lo:g}); nothing to analyse"
        )
    mg.data = d
