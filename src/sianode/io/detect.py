"""Format detection from a file's content (the extension is only a tie-breaker).

:func:`detect` reads the first 64 KiB and returns one of :data:`FORMATS`, or raises
:class:`~sianode.errors.ParsingError` naming the file when nothing matches.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from . import _common as c

FORMATS = (
    "biologic_mpr",
    "biologic_text",
    "arbin_res",
    "arbin_csv",
    "arbin_xlsx",
    "maccor",
    "neware_nda",
    "neware_ndax",
    "neware_csv",
    "neware_regular",
    "pec",
    "novonix",
    "indigo",
    "batterydata",
    "bdf",
    "generic",
)


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = [n.lower() for n in z.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # a damaged directory can name an unknown zip version (NotImplementedError) or end
        # early; such a file is not recognised as a zip container
        return None
    if any(n.startswith("xl/") for n in names):
        return "arbin_xlsx"
    if any(n.endswith((".ndc", "step.xml", "testinfo.xml")) for n in names):
        return "neware_ndax"
    return None


def detect(path: Path | str) -> str:
    """Detect a cycler file's format from its content.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    str
        One of :data:`FORMATS`.
    """
    p = Path(path)
    head = c.read_bytes(p, 4096)  # enough for every binary signature
    if not head:
        raise c.fail(p, "file is empty")
    if head.startswith(b"BIO-LOGIC MODULAR FILE"):
        return "biologic_mpr"
    if head[4:19] in (b"Standard Jet DB", b"Standard ACE DB"):
        return "arbin_res"
    if head.startswith(b"NEWARE"):
        return "neware_nda"
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(p)
        if kind:
            return kind
        if p.suffix.lower() == ".ndax":
            return "neware_ndax"
        if p.suffix.lower() == ".xlsx":
            return "arbin_xlsx"
        raise c.fail(p, "zip archive that is neither an Excel workbook nor a Neware .ndax")
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "indigo"
    if head.startswith(b"PAR1"):
        return "bdf"
    if head[:2] == b"\x1f\x8b":
        return "bdf"
    if b"\x00" in head:
        raise c.fail(p, "unrecognised binary file (not a known cycler format)")
    if len(head) == 4096:
        head = c.read_bytes(p, 65536)  # a text file: its first 64 KiB
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    top = "\n".join(lines[:60])
    if first.startswith(("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")):
        return "biologic_text"
    if (
        "time/s" in first
        and ("Ewe/V" in first or "Ecell/V" in first)
        and ("mode" in first or "ox/red" in first)
    ):
        return "biologic_text"
    if "[Summary]" in first and "[Data]" in text or "Novonix" in top and "[Summary]" in top:
        return "novonix"
    if any(line.lstrip().startswith("Rec#") for line in lines[:50]):
        return "maccor"
    if first.startswith("Cycle Index,") and len(lines) > 2 and lines[1].startswith(",Step Index"):
        return "neware_regular"
    if "DataPoint" in first and ("Chg. Cap." in first or "Cumulative Time" in first):
        return "neware_csv"
    if first.startswith(("Request Year:", "Test,Cell,Rack")) or "\nTest,Cell,Rack," in top:
        return "pec"
    if "Data_Point" in first and "Test_Time" in first:
        return "arbin_csv"
    if "Cycle_Index" in first and "Time_s" in first and "Current_A" in first:
        return "batterydata"
    if " / " in first and "Voltage / " in first and ("Current / " in first or "Time / " in first):
        return "bdf"
    if "test_time_second" in first and "voltage_volt" in first:
        return "bdf"
    return "generic"
