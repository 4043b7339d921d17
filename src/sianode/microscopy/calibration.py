"""Spatial calibration of a micrograph: unit strings, cross-checks, info bars and scale bars.

Microscope files write their pixel size in several places (the image's own axis
calibration, the scan's field of view, an acquisition pixel-size tag, a burned-in scale
bar) and in several spellings of the unit (``nm``, ``n_m``, ``µm``, ``m`` or nothing). This
module turns every one of them into nm per pixel and compares them with the one used, so
a disagreement is reported instead of silently picked.

Everything here is numpy and the standard library; the file reading is in
:mod:`sianode.microscopy.reader`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, ParsingError

__all__ = [
    "CalibrationCheck",
    "nm_per_unit",
    "parse_length_nm",
    "calibration_fields",
    "compare_fields",
    "find_info_bar",
    "measure_scale_bar",
]

#: nm per unit, keyed by the normalised unit string (lower case, no spaces or underscores).
_NM_PER_UNIT: dict[str, float] = {
    "m": 1e9,
    "meter": 1e9,
    "metre": 1e9,
    "mm": 1e6,
    "um": 1e3,
    "micron": 1e3,
    "micrometer": 1e3,
    "micrometre": 1e3,
    "nm": 1.0,
    "nanometer": 1.0,
    "nanometre": 1.0,
    "a": 0.1,
    "å": 0.1,
    "angstrom": 0.1,
    "pm": 1e-3,
}
_NO_UNIT = {"", "px", "pixel", "pixels", "<undefined>", "none", "au", "a.u."}


def _normalise_unit(unit: Any) -> str:
    if isinstance(unit, bytes):
        try:
            unit = unit.decode("utf-8")
        except UnicodeDecodeError:
            unit = unit.decode("latin-1")
    text = "" if unit is None else str(unit)
    text = text.strip().replace("µ", "u").replace("μ", "u").replace("Å", "å")
    text = text.replace("_", "").replace(" ", "").lower()
    return text[:-1] if text.endswith("s") and text[:-1] in _NM_PER_UNIT else text


def nm_per_unit(unit: Any) -> float | None:
    """nm per ``unit`` for a length unit as files write it, ``None`` for no unit.

    Accepts ``nm``, ``n_m`` (Berkeley EMD), ``µm``/``μm``/``um``, ``m``, ``mm``, ``Å``, ``pm``
    and spelled-out names; ``""``, ``px`` and ``None`` mean "no unit".

    Raises
    ------
    ParsingError
        For a reciprocal length (a diffraction pattern or FFT, not an image) or a unit that is
        not a length.
    """
    text = _normalise_unit(unit)
    if text in _NO_UNIT:
        return None
    if text in _NM_PER_UNIT:
        return _NM_PER_UNIT[text]
    if text.startswith("1/") or text.endswith("-1") or text.endswith("^-1"):
        raise ParsingError(
            f"axis unit {unit!r} is a reciprocal length: a diffraction pattern or FFT, not an image"
        )
    raise ParsingError(f"axis unit {unit!r} is not a length unit sianode knows")


_QTY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_length_nm(value: float | str, field: str = "pixel_size") -> float:
    """A length typed by a user (``0.0125``, ``"12.5 pm"``, ``"1.2 Å"``) in nm (bare numbers are nm)."""
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        m = _QTY.match(str(value))
        if not m:
            raise ParameterError(f"{field}: expected a length such as '0.0125 nm', got {value!r}")
        try:
            factor = nm_per_unit(m.group(2)) if m.group(2) else 1.0
        except ParsingError:
            raise ParameterError(f"{field}: {m.group(2)!r} is not a length unit") from None
        if factor is None:
            raise ParameterError(f"{field}: give a length unit (nm, pm, Å, um), got {value!r}")
        v = float(m.group(1)) * factor
    if not (math.isfinite(v) and v > 0):
        raise ParameterError(f"{field}: must be a positive length, got {value!r}")
    return v


@dataclass
class CalibrationCheck:
    """One calibration field of the file compared with the pixel size used."""

    field: str
    pixel_size_nm: float | None
    deviation_pct: float | None
    agrees: bool | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "pixel_size_nm": self.pixel_size_nm,
            "deviation_pct": self.deviation_pct,
            "agrees": self.agrees,
            "note": self.note,
        }


def _dig(tree: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(tree, dict) or k not in tree:
            return None
        tree = tree[k]
    return tree


def _num(x: Any) -> float | None:
    try:
        if isinstance(x, bytes):
            x = x.decode()
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _scaled(value: Any, unit: Any) -> float | None:
    v = _num(value)
    if v is None:
        return None
    try:
        f = nm_per_unit(unit)
    except ParsingError:
        return None
    return None if f is None else v * f


def calibration_fields(
    fmt: str, om: dict[str, Any], shape: tuple[int, int], extra: dict[str, float] | None = None
) -> list[tuple[str, float, str]]:
    """Every pixel-size field the file carries besides the axis calibration.

    Parameters
    ----------
    fmt : str
        Reader name (``digitalmicrograph``, ``tia``, ``emd``, ``tiff``, ``hspy``).
    om : dict
        RosettaSciIO ``original_metadata``.
    shape : (rows, cols)
        Shape of the image as stored (before any cropping).
    extra : dict, optional
        Further ``field -> nm per pixel`` found by the reader itself (e.g. EMD dim vectors).

    Returns
    -------
    list of (field, nm per pixel, what it describes)
    """
    rows, cols = shape
    out: list[tuple[str, float, str]] = []

    def add(name: str, v: float | None, what: str) -> None:
        if v is not None and v > 0:
            out.append((name, float(v), what))

    if fmt == "digitalmicrograph":
        images = _dig(om, "ImageList") or {}
        for gname, g in images.items():
            size = _num(_dig(g, "ImageData", "Data", "size"))
            if size is None or int(size) != rows * cols:
                continue  # a thumbnail
            dims = _dig(g, "ImageData", "Calibrations", "Dimension") or {}
            for i, (dname, d) in enumerate(sorted(dims.items())):
                add(
                    f"ImageList.{gname}.Calibrations.Dimension.{dname}.Scale",
                    _scaled(d.get("Scale"), d.get("Units")),
                    f"DigitalMicrograph calibration of axis {i}",
                )
            tags = _dig(g, "ImageTags") or {}
            fov = _num(_dig(tags, "Microscope Info", "Field of View (µm)"))
            width = _num(_dig(tags, "DigiScan", "Image Width"))
            if fov is not None and width is not None:
                add(
                    "Microscope Info.Field of View (µm) / DigiScan.Image Width",
                    fov * 1e3 / width,
                    f"the scan's field of view over its {int(width)} pixel width",
                )
            break
    elif fmt == "tia":
        hdr = om.get("ser_header_parameters", {})
        add(
            "ser CalibrationDeltaX", _scaled(hdr.get("CalibrationDeltaX"), "m"), "TIA x calibration"
        )
        add(
            "ser CalibrationDeltaY", _scaled(hdr.get("CalibrationDeltaY"), "m"), "TIA y calibration"
        )
    elif fmt == "emd":
        px = _dig(om, "BinaryResult", "PixelSize") or {}
        ux, uy = _dig(om, "BinaryResult", "PixelUnitX"), _dig(om, "BinaryResult", "PixelUnitY")
        add("Velox BinaryResult.PixelSize.width", _scaled(px.get("width"), ux), "Velox pixel width")
        add(
            "Velox BinaryResult.PixelSize.height",
            _scaled(px.get("height"), uy),
            "Velox pixel height",
        )
        fov = _num(_dig(om, "Optics", "FullScanFieldOfView", "x"))
        n = _num(_dig(om, "Scan", "ScanSize", "width"))
        if fov is not None and n is not None:
            add(
                "Velox Optics.FullScanFieldOfView.x / Scan.ScanSize.width",
                fov * 1e9 / n,
                "the full scan's field of view over its width in pixels",
            )
    elif fmt == "tiff":
        cz = om.get("CZ_SEM") or {}
        if cz:
            p = cz.get("ap_pixel_size")
            if isinstance(p, (tuple, list)) and len(p) >= 3:
                add("CZ_SEM ap_pixel_size", _scaled(p[1], p[2]), "Zeiss acquisition pixel size")
            w = cz.get("ap_width")
            if isinstance(w, (tuple, list)) and len(w) >= 3:
                v = _scaled(w[1], w[2])
                add(
                    "CZ_SEM ap_width / columns",
                    None if v is None else v / cols,
                    "Zeiss image width",
                )
            h = cz.get("ap_height")
            if isinstance(h, (tuple, list)) and len(h) >= 3:
                v = _scaled(h[1], h[2])
                add(
                    "CZ_SEM ap_height / rows", None if v is None else v / rows, "Zeiss image height"
                )
        for key in ("FEI_HELIOS", "FEI_SFEG"):
            scan = _dig(om, key, "Scan") or {}
            add(f"{key} Scan.PixelWidth", _scaled(scan.get("PixelWidth"), "m"), "FEI pixel width")
            add(
                f"{key} Scan.PixelHeight", _scaled(scan.get("PixelHeight"), "m"), "FEI pixel height"
            )
    for name, v in (extra or {}).items():
        add(name, v, "read from the file by sianode")
    return out


def _ratio_note(ratio: float) -> str:
    """Explain a disagreement that is an integer resampling factor."""
    for n in (2, 3, 4, 8):
        if abs(ratio - 1 / n) < 0.01 / n:
            return f" (exactly 1/{n}: the stored image was binned {n}x after acquisition)"
        if abs(ratio - n) < 0.01 * n:
            return (
                f" (exactly {n}x: the stored image was upsampled, or the field is per-binned-pixel)"
            )
    if abs(ratio - math.sqrt(2)) < 0.01 or abs(ratio - 1 / math.sqrt(2)) < 0.01:
        return " (a factor sqrt(2): the field may describe the scan diagonal or a rotated scan)"
    return ""


def compare_fields(
    fields: list[tuple[str, float, str]], used_nm: float | None, tol_pct: float = 1.0
) -> list[CalibrationCheck]:
    """Compare each field with the pixel size used; within ``tol_pct`` percent agrees."""
    out: list[CalibrationCheck] = []
    for name, v, what in fields:
        if used_nm is None:
            out.append(CalibrationCheck(name, v, None, None, f"{what}; not used (no axis unit)"))
            continue
        dev = 100.0 * (v / used_nm - 1.0)
        ok = abs(dev) <= tol_pct
        note = (
            f"{what}: agrees"
            if ok
            else f"{what}: differs by {dev:+.1f} %{_ratio_note(v / used_nm)}; the axis calibration "
            "was used because it belongs to the image as stored"
        )
        out.append(CalibrationCheck(name, v, dev, ok, note))
    return out


def find_info_bar(img: np.ndarray, min_rows: int = 8, flat: float = 0.45) -> int | None:
    """First row of an SEM information bar at the bottom of ``img``, or ``None``.

    An info bar is a block of rows whose pixels are mostly one exact value (the bar's flat
    background), unlike the noisy rows of a micrograph. Rows are scanned upwards from the
    bottom while the most common value covers at least ``flat`` of the row; the block counts
    when it is at least ``min_rows`` rows and at most 30 % of the image.
    """
    rows = img.shape[0]
    if rows < 4 * min_rows or not np.issubdtype(img.dtype, np.integer):
        return None

    def flat_fraction(row: np.ndarray) -> float:
        _, counts = np.unique(row, return_counts=True)
        return float(counts.max()) / row.size

    r = rows
    gap = 0
    while r > 0.7 * rows:
        if flat_fraction(img[r - 1]) >= flat:
            gap = 0
        else:
            gap += 1
            if gap > 3:  # a few inked rows (text) inside the bar are allowed
                break
        r -= 1
    top = r + gap
    # walk down past non-flat rows at the top edge
    while top < rows and flat_fraction(img[top]) < flat:
        top += 1
    return top if rows - top >= min_rows and top > 0.7 * rows else None


def _round_125(x: float) -> float:
    e = math.floor(math.log10(x))
    cands = [m * 10.0**k for k in (e - 1, e, e + 1) for m in (1, 2, 5)]
    return min(cands, key=lambda c: abs(math.log(x / c)))


def measure_scale_bar(bar: np.ndarray, pixel_size_nm: float | None) -> dict[str, Any] | None:
    """Length of a burned-in scale bar inside an info bar ``bar`` (2-D array).

    The bar is taken as the longest horizontal run of "ink" pixels (far from the bar's
    background value) that does not touch the bar's edges and spans less than half its
    width (frame lines do); text characters give short runs. Its length is the run's
    end-to-end distance between pixel centres (run length - 1), ±1 pixel. Its length in nm at the file's
    calibration is compared with the nearest 1-2-5 round value, since scale bars are drawn
    at round lengths. Without reading the bar's printed number this cannot detect an error
    by a whole factor of 2 or 5; it catches anything else.

    Returns ``None`` when no run of at least 10 pixels is found.
    """
    vals, counts = np.unique(bar, return_counts=True)
    bg = float(vals[np.argmax(counts)])
    span = float(bar.max()) - float(bar.min())
    if span <= 0:
        return None
    ink = np.abs(bar.astype(float) - bg) > 0.5 * span
    best, best_row, best_start = 0, -1, -1
    for r in range(ink.shape[0]):
        row = np.concatenate(([0], ink[r].astype(np.int8), [0]))
        d = np.diff(row)
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        if starts.size:
            lengths = ends - starts
            frame = (starts == 0) | (ends == ink.shape[1]) | (lengths > ink.shape[1] // 2)
            lengths = np.where(frame, 0, lengths)
            i = int(np.argmax(lengths))
            if lengths[i] > best:
                best, best_row, best_start = int(lengths[i]), r, int(starts[i])
    if best < 10:
        return None
    best -= 1  # pixel centre to pixel centre
    out: dict[str, Any] = {
        "length_px": best,
        "row_in_bar": best_row,
        "start_col": best_start,
        "length_nm": None,
        "round_value_nm": None,
        "deviation_pct": None,
    }
    if pixel_size_nm is not None:
        L = best * pixel_size_nm
        rv = _round_125(L)
        out.update(
            length_nm=L,
            round_value_nm=rv,
            deviation_pct=100.0 * (L / rv - 1.0),
            resolution_pct=100.0 / best,
        )
    return out
