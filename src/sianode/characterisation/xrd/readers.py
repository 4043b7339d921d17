"""XRD file readers: Bruker ``.brml`` and two-column text (``.xy``, ``.csv``, ``.txt``, ``.dat``).

Readers turn bytes into an :class:`~.pattern.XRDPattern` and do nothing else; every fit and
derived quantity lives in :mod:`.peaks`, :mod:`.lattice` and :mod:`.analysis`, which never read
files (the split pyGAPS makes between ``pygaps.parsing`` and its science core).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from ...errors import ParameterError, ParsingError
from .._io import read_text, two_columns
from .pattern import CU_KA2, XRDPattern

__all__ = ["read_xy", "read_brml", "read_pattern"]


def read_xy(path: str | Path, wavelength: float | None = None) -> XRDPattern:
    """Read a two-column (2θ [deg], counts) text file: .xy, .csv, .txt, .dat.

    Parameters
    ----------
    path : str or Path
        File name.
    wavelength : float, optional
        Wavelength [Å]; text files rarely state it.
    """
    x, y, header = two_columns(read_text(path), str(path))
    if x.size < 10:
        raise ParsingError(f"{path}: only {x.size} data rows; a powder pattern needs more")
    if wavelength is None:
        # a header such as "# wavelength = 1.5406 A" or "(Cu K-alpha1 = 1.5406 A)"
        for line in header:
            m = re.search(r"(?:wavelength|lambda|alpha1)\s*[=:]?\s*([0-9]*\.[0-9]+)", line, re.I)
            if m:
                wavelength = float(m.group(1))
                break
    return XRDPattern(x, y, wavelength=wavelength, source=str(path), metadata={"header": header})


def _xml_value(text: str, tag: str) -> float | None:
    m = re.search(rf"<{tag}\b[^>]*Value=\"([0-9.eE+-]+)\"", text)
    return float(m.group(1)) if m else None


def read_brml(path: str | Path, wavelength: float | None = None) -> XRDPattern:
    """Read a Bruker DIFFRAC .brml file (a zip of XML documents).

    The scan is taken from ``Experiment0/RawData0.xml``: each ``<Datum>`` holds
    ``time, ?, 2θ, counts``. The Kα1/Kα2 wavelengths and ratio come from the tube record;
    a primary Johansson monochromator in the optics sets the Kα2 ratio to 0.

    Parameters
    ----------
    path : str or Path
        File name.
    wavelength : float, optional
        Overrides the wavelength in the file [Å].
    """
    p = Path(path)
    if not p.is_file():
        raise ParsingError(f"{p}: no such file")
    try:
        with zipfile.ZipFile(p) as zf:
            names = [n for n in zf.namelist() if re.search(r"RawData\d*\.xml$", n)]
            if not names:
                raise ParsingError(f"{p}: no RawData*.xml inside the .brml archive")
            text = zf.read(sorted(names)[0]).decode("utf-8", errors="replace")
    except zipfile.BadZipFile:
        raise ParsingError(f"{p}: not a Bruker .brml file (not a zip archive)") from None
    rows = re.findall(r"<Datum>([^<]*)</Datum>", text)
    if not rows:
        raise ParsingError(f"{p}: no <Datum> rows in the raw data")
    nfield = rows[0].count(",") + 1
    if nfield < 4:
        raise ParsingError(f"{p}: <Datum> rows have {nfield} fields, expected 4")
    try:
        arr = np.array(",".join(rows).split(","), dtype=float).reshape(len(rows), nfield)
    except ValueError:
        raise ParsingError(f"{p}: non-numeric or ragged <Datum> rows") from None
    tt, counts = arr[:, 2], arr[:, 3]
    ka1 = _xml_value(text, "WaveLengthAlpha1")
    ka2 = _xml_value(text, "WaveLengthAlpha2")
    ratio = _xml_value(text, "WaveLengthRatio") or 0.0
    mono = "Monochromator/Johansson" in text or "Johansson" in text
    if mono:
        ratio = 0.0
    radii = [float(v) for v in re.findall(r"<Radius Unit=\"mm\" Value=\"([0-9.]+)\"", text)]
    meta = {"monochromator": "Johansson" if mono else None, "radii_mm": radii}
    return XRDPattern(
        tt,
        counts,
        wavelength=wavelength if wavelength is not None else ka1,
        kalpha2=None if ratio == 0 else ka2,
        kalpha2_ratio=ratio,
        goniometer_radius=radii[-1] if radii else None,
        source=str(p),
        metadata=meta,
    )


def read_pattern(
    path: str | Path,
    wavelength: float | None = None,
    kalpha2_ratio: float | None = None,
) -> XRDPattern:
    """Read any supported pattern file (.brml, or two-column .xy/.csv/.txt/.dat).

    Parameters
    ----------
    wavelength : float, optional
        [Å]; overrides the file. Text files without one stay ``None`` (see :func:`analyse_xrd`).
    kalpha2_ratio : float, optional
        Force the Kα2/Kα1 intensity ratio (0 = monochromatic; 0.5 = unfiltered Cu).
    """
    p = Path(path)
    if p.suffix.lower() == ".brml":
        pat = read_brml(p, wavelength)
    else:
        pat = read_xy(p, wavelength)
    if kalpha2_ratio is not None:
        if kalpha2_ratio < 0 or kalpha2_ratio > 1:
            raise ParameterError("kalpha2_ratio: must be in [0, 1]")
        pat.kalpha2_ratio = float(kalpha2_ratio)
        if kalpha2_ratio > 0 and pat.kalpha2 is None:
            pat.kalpha2 = CU_KA2
    return pat
