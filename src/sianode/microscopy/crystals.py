"""A small crystal table and the lattice-plane spacings (d-spacings) it allows.

Used to index lattice fringes (:mod:`sianode.microscopy.lattice`) and to measure the scale
error of a microscope's calibration against a crystal of known lattice constant.

Lattice constants (room temperature) and their sources are in :data:`CRYSTALS`. Spacings:

- cubic: ``d = a / sqrt(h² + k² + l²)`` with the reflection conditions of the lattice
  (P: all; F: h, k, l all even or all odd; I: h + k + l even; diamond: F and, when all
  are even, h + k + l = 4n);
- hexagonal: ``1/d² = 4 (h² + hk + k²) / (3 a²) + l² / c²`` (two-dimensional crystals
  have only hk0), with the P6₃/mmc condition l even for hh(-2h)l and 000l.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ParameterError

__all__ = ["Crystal", "CRYSTALS", "get_crystal", "reflections"]


@dataclass(frozen=True)
class Crystal:
    """A crystal: lattice type, constants [nm] and where they come from."""

    name: str
    lattice: str  #: "P", "F", "I", "diamond" (cubic) or "hex" / "hex2d"
    a_nm: float
    c_nm: float | None = None
    reference: str = ""


#: Crystals sianode can index against (key: lower-case name).
CRYSTALS: dict[str, Crystal] = {
    "si": Crystal(
        "Si",
        "diamond",
        0.5431020511,
        reference="CODATA 2018 lattice parameter of Si, a = 543.1020511 pm (22.5 °C)",
    ),
    "srtio3": Crystal(
        "SrTiO3",
        "P",
        0.3905,
        reference="cubic perovskite Pm-3m, a = 0.3905 nm (room temperature; e.g. Schmidbauer "
        "et al., Acta Cryst. B 68 (2012) 8)",
    ),
    "au": Crystal(
        "Au", "F", 0.40782, reference="fcc, a = 0.40782 nm (Wyckoff, Crystal Structures 1, 1963)"
    ),
    "mgo": Crystal(
        "MgO",
        "F",
        0.4212,
        reference="rock salt, a = 0.4212 nm (Wyckoff, Crystal Structures 1, 1963)",
    ),
    "mos2": Crystal(
        "MoS2",
        "hex2d",
        0.3160,
        1.2294,
        reference="MoS2 in plan view (hk0 only, as a monolayer or along c), a = 0.3160 nm "
        "(2H-MoS2, Wildervanck & Jellinek, Z. Anorg. Allg. Chem. 328 (1964) 309)",
    ),
    "graphene": Crystal(
        "graphene",
        "hex2d",
        0.246,
        reference="graphene / graphite in-plane a = 0.246 nm (Bernal, Proc. R. Soc. A 106 (1924) 749)",
    ),
}


def get_crystal(name: str | None = None, lattice_constant_nm: float | None = None) -> Crystal:
    """A crystal from the table by name, or a primitive cubic one from a lattice constant."""
    if lattice_constant_nm is not None:
        if not (math.isfinite(lattice_constant_nm) and lattice_constant_nm > 0):
            raise ParameterError("--lattice-constant: must be a positive length")
        return Crystal(
            f"cubic a = {lattice_constant_nm:g} nm",
            "P",
            float(lattice_constant_nm),
            reference="typed in (primitive cubic, all hkl allowed)",
        )
    key = (name or "").strip().lower().replace("-", "").replace("_", "")
    if key not in CRYSTALS:
        raise ParameterError(
            f"--crystal: {name!r} is not in the table; choose one of "
            f"{', '.join(c.name for c in CRYSTALS.values())} or give --lattice-constant"
        )
    return CRYSTALS[key]


def _cubic_allowed(lat: str, h: int, k: int, l: int) -> bool:
    if lat == "P":
        return True
    if lat == "I":
        return (h + k + l) % 2 == 0
    same = h % 2 == k % 2 == l % 2
    if lat == "F":
        return same
    if lat == "diamond":
        if not same:
            return False
        return (h % 2 == 1) or (h + k + l) % 4 == 0
    raise ParameterError(f"unknown cubic lattice {lat!r}")


def reflections(crystal: Crystal, max_index: int = 6) -> list[tuple[str, float]]:
    """Allowed reflection families ``(label, d [nm])``, largest spacing first.

    Families with equal spacing (e.g. 221 and 300) share one entry, labelled ``"221/300"``.
    """
    by_d: dict[float, list[str]] = {}
    if crystal.lattice in ("P", "F", "I", "diamond"):
        for h in range(max_index + 1):
            for k in range(h + 1):
                for l in range(k + 1):
                    n = h * h + k * k + l * l
                    if n == 0 or not _cubic_allowed(crystal.lattice, h, k, l):
                        continue
                    d = round(crystal.a_nm / math.sqrt(n), 9)
                    by_d.setdefault(d, []).append(f"{h}{k}{l}")
    else:
        lmax = 0 if crystal.lattice == "hex2d" or crystal.c_nm is None else max_index
        for h in range(max_index + 1):
            for k in range(h + 1):
                for l in range(lmax + 1):
                    m = h * h + h * k + k * k
                    if m == 0 and l == 0:
                        continue
                    if (h == k or m == 0) and l % 2 == 1:
                        continue  # P6_3/mmc: hh(-2h)l and 000l need l even
                    inv = 4.0 * m / (3.0 * crystal.a_nm**2)
                    if l:
                        inv += (l / crystal.c_nm) ** 2  # type: ignore[operator]
                    d = round(1.0 / math.sqrt(inv), 9)
                    by_d.setdefault(d, []).append(f"{h}{k}{l}" if lmax else f"{h}{k}0")
    return [("/".join(v), d) for d, v in sorted(by_d.items(), reverse=True)]
