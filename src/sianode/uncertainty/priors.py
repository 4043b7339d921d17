"""Priors of the simulator's assumed inputs: one table (``data/priors.toml``), read here.

Each :class:`Prior` names the override it sets, its distribution and range (converted to
SI with pint at load), its unit and its source. :func:`load_priors` reads the table;
:meth:`Prior.ppf` maps a uniform number in (0, 1) to a value (inverse CDF), which is how
the band turns a Sobol/Saltelli design on the unit cube into parameter samples.

A prior whose key the cell does not accept yet is *pending* (:attr:`Prior.pending`): it
stays in the table and the docs, and the band skips it with one logged note.

``python -m sianode.uncertainty.priors`` prints ``docs/priors.md``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..cell import PARAM_NAMES
from ..errors import ParameterError
from ..units import to_unit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "Prior",
    "DISTRIBUTIONS",
    "DERIVED_KEYS",
    "load_priors",
    "priors_markdown",
    "collapse",
]

#: Distributions a prior may have.
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "lognormal", "triangular")

#: Keys that are not CellParameters fields but that the band knows how to apply (the
#: cell's geometry and the material's derived descriptors follow them).
DERIVED_KEYS = ("composite_relative_density", "porosity", "particle_radius")

_Z975 = 1.959963984540054  # standard normal 97.5 % quantile


@dataclass(frozen=True)
class Prior:
    """One assumed input with its distribution.

    Attributes
    ----------
    name : str
        What it is, in words.
    key : str
        The override it sets (a :class:`~sianode.simulation.CellParameters` field or one
        of :data:`DERIVED_KEYS`).
    distribution : str
        One of :data:`DISTRIBUTIONS`.
    low, high : float
        Range in SI (:attr:`si_unit`): the support of uniform, loguniform and triangular
        priors, the central 95 % interval of normal and lognormal ones.
    unit, si_unit : str
        Unit the table states the range in, unit of the override.
    source, note : str
        Where the range comes from ("estimate" where nothing does), and what it means.
    materials : tuple of str, optional
        Materials it applies to; empty = every material.
    mode : float, optional
        Most likely value of a triangular prior (SI).
    table_range : tuple of float
        The range as typed in the table (in :attr:`unit`), for display.
    """

    name: str
    key: str
    distribution: str
    low: float
    high: float
    unit: str
    si_unit: str
    source: str
    note: str = ""
    materials: tuple[str, ...] = ()
    mode: float | None = None
    table_range: tuple[float, float] = (math.nan, math.nan)

    def __post_init__(self) -> None:
        where = f"prior {self.name!r}"
        if self.distribution not in DISTRIBUTIONS:
            raise ParameterError(
                f"{where}: distribution {self.distribution!r} is not one of {', '.join(DISTRIBUTIONS)}"
            )
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low <= self.high):
            raise ParameterError(f"{where}: range must be finite with low <= high")
        if self.distribution in ("loguniform", "lognormal") and self.low <= 0:
            raise ParameterError(f"{where}: a {self.distribution} range must be > 0")
        if self.distribution == "triangular":
            if self.mode is None or not (self.low <= self.mode <= self.high):
                raise ParameterError(f"{where}: a triangular prior needs low <= mode <= high")
        if not self.source.strip():
            raise ParameterError(f"{where}: needs a source (write 'estimate' if there is none)")

    @property
    def pending(self) -> bool:
        """True when the cell does not accept :attr:`key` yet (skipped in sampling)."""
        return self.key not in PARAM_NAMES and self.key not in DERIVED_KEYS

    @property
    def label(self) -> str:
        """Short unique label: ``key`` or ``key[material]``."""
        return f"{self.key}[{','.join(self.materials)}]" if self.materials else self.key

    def applies_to(self, material: str) -> bool:
        return not self.materials or material in self.materials

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values [SI] at cumulative probabilities ``u`` in (0, 1) (inverse CDF)."""
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1.0 - 1e-12)
        lo, hi = self.low, self.high
        if self.distribution == "uniform":
            return lo + u * (hi - lo)
        if self.distribution == "loguniform":
            return np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        from scipy.stats import norm

        if self.distribution == "normal":
            return 0.5 * (lo + hi) + (hi - lo) / (2 * _Z975) * norm.ppf(u)
        if self.distribution == "lognormal":
            mu, s = 0.5 * (np.log(lo) + np.log(hi)), (np.log(hi) - np.log(lo)) / (2 * _Z975)
            return np.exp(mu + s * norm.ppf(u))
        # triangular
        if hi == lo:
            return np.full_like(u, lo)
        c = (self.mode - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (self.mode - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - self.mode))
        return np.where(u < c, left, right)

    @property
    def median(self) -> float:
        return float(self.ppf(np.array([0.5]))[0])


def _default_path() -> Path:
    return Path(str(resources.files("sianode") / "data" / "priors.toml"))


def load_priors(path: str | Path | None = None) -> list[Prior]:
    """Read a priors table (default: the bundled ``data/priors.toml``).

    Raises
    ------
    ParameterError
        One line naming the entry and the field that is missing or wrong.
    """
    path = Path(path) if path is not None else _default_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"{path}: cannot read the priors table ({exc})") from None
    out: list[Prior] = []
    for i, e in enumerate(raw.get("prior", [])):
        where = f"{path.name}: prior {i + 1} ({e.get('name', 'no name')})"
        for f in ("name", "key", "distribution", "range", "unit", "si_unit", "source"):
            if f not in e:
                raise ParameterError(f"{where}: field {f!r} is missing")
        rng = e["range"]
        if not (isinstance(rng, list) and len(rng) == 2):
            raise ParameterError(f"{where}: range must be [low, high]")

        def si(v: float, e: dict[str, Any] = e, where: str = where) -> float:
            if e["unit"] == e["si_unit"] or e["unit"] == "1":
                return float(v)
            return to_unit(f"{float(v)!r} {e['unit']}", e["si_unit"], where)

        mode = e.get("mode")
        out.append(
            Prior(
                name=str(e["name"]),
                key=str(e["key"]),
                distribution=str(e["distribution"]),
                low=si(rng[0]),
                high=si(rng[1]),
                unit=str(e["unit"]),
                si_unit=str(e["si_unit"]),
                source=str(e["source"]),
                note=str(e.get("note", "")),
                materials=tuple(e.get("materials", ())),
                mode=None if mode is None else si(mode),
                table_range=(float(rng[0]), float(rng[1])),
            )
        )
    labels = [p.label for p in out]
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        raise ParameterError(f"{path.name}: more than one prior for {sorted(dup)}")
    if not out:
        raise ParameterError(f"{path.name}: no [[prior]] entries")
    return out


def collapse(priors: list[Prior], values: dict[str, float] | None = None) -> list[Prior]:
    """The same priors, each collapsed to one point (SI): ``values[label]`` or its median.

    With every prior a point, the band must equal a single calibration and prediction."""
    values = values or {}
    out = []
    for p in priors:
        v = float(values.get(p.label, p.median))
        out.append(replace(p, distribution="uniform", low=v, high=v, mode=None))
    return out


def priors_markdown(priors: list[Prior] | None = None) -> str:
    """The priors table as Markdown (the content of ``docs/priors.md``)."""
    priors = priors if priors is not None else load_priors()
    lines = [
        "# Priors of the assumed inputs",
        "",
        "Generated from `src/sianode/data/priors.toml` by "
        "`python -m sianode.uncertainty.priors > docs/priors.md`; a test checks that the two "
        "agree. Every input of the simulator that the study does not measure has a prior here; "
        "`sianode reproduce` samples them all (Sobol/Saltelli design), re-calibrates the damage "
        "coefficient on the dense cell for every sample and reports the nanoporous prediction's "
        "median, 5-95 % band and Sobol indices.",
        "",
        "Range: the support of uniform, loguniform and triangular priors; the central 95 % of "
        "normal and lognormal ones. *pending*: the simulator has no such parameter yet; the "
        "prior is kept and skipped in sampling until it does.",
        "",
        "| input | key | applies to | distribution | range | unit | source | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in priors:
        lo, hi = p.table_range
        key = f"`{p.key}`" + (" *pending*" if p.pending else "")
        lines.append(
            f"| {p.name} | {key} | {', '.join(p.materials) or 'all'} | {p.distribution} | "
            f"{lo:g} - {hi:g} | {p.unit} | {p.source} | {p.note} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(priors_markdown())
