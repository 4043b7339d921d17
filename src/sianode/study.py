"""The study file: recipe, materials, cell build, protocol and reported numbers, as TOML.

The reference study ships inside the package (``sianode/data/reference_study.toml``);
every command runs on it by default and accepts a user file of the same schema.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ParameterError, ParsingError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Measurement files a study may list per material (``[materials.<name>.files]``), analysed
#: by sianode.characterisation and sianode.microscopy when the cell is built
#: (:mod:`sianode.cell.materials`, which takes this tuple).
MEASUREMENT_KINDS = ("xrd", "raman", "sorption", "tem", "sem")

__all__ = ["STUDY_SCHEMA", "Study", "load_study", "reference_study_path", "validate_study"]

_REQUIRED = ("cell", "protocol")

#: Keys each section of a study file accepts (docs/study-schema.md). A ``*`` in a section path
#: stands for any material name; ``None`` means the names are free (reagents, composition
#: components, material names, ``[metadata]``) and are checked by the code that reads them.
#: A key not listed is an error naming the closest valid one, so a typo such as
#: ``oxide_thicknes`` cannot silently fall back to a default.
STUDY_SCHEMA: dict[str, frozenset[str] | None] = {
    "": frozenset(
        {
            "study",
            "synthesis",
            "materials",
            "cell",
            "parameters",
            "protocol",
            "reported",
            "prediction_record",
            "metadata",
        }
    ),
    "study": frozenset({"name", "source", "calibration_material", "prediction_material"}),
    "synthesis": frozenset({"reaction", "surplus_mg", "hcl_concentration", "reagents"}),
    "synthesis.reagents": None,
    "materials": None,
    "materials.*": frozenset(
        {
            "description",
            "crystalline",
            "porosity",
            "bet_area",
            "pore_diameter",
            "pore_model",
            "crystallite_size",
            "lattice_constant",
            "raman_peak",
            "particle_radius",
            "oxide_thickness",
            "usable_pore_fraction",
            "files",
        }
    ),
    "materials.*.files": frozenset(MEASUREMENT_KINDS),
    "cell": frozenset(
        {
            "composite_mass",
            "pellet_diameter",
            "separator_mass",
            "separator_material",
            "composite_relative_density",
            "separator_relative_density",
            "pressing_pressure",
            "stack_pressure",
            "counter_electrode",
            "temperature",
            "capacity_basis",
            "composition",
        }
    ),
    "cell.composition": None,
    "protocol": frozenset({"text", "instrument"}),
    "reported": frozenset(
        {
            "si_mass",
            "area",
            "si_loading",
            "c_rate_cycles_1_3",
            "c_rate_cycles_4_on",
            "cutoff_low_vs_counter",
            "cutoff_high_vs_counter",
            "cutoff_low_vs_li",
            "cutoff_high_vs_li",
            "xrd_lattice_constant",
            "xrd_scherrer_size",
            "raman_peak",
            "bet_area",
            "pore_diameter",
        }
    ),
    "reported.*": frozenset({"retention_cycle", "retention", "retention_definition"}),
    # an earlier blind prediction of the study, kept unchanged (docs/study-schema.md)
    "prediction_record": frozenset(
        {"material", "retention_pct", "retention_band_pct", "date", "commit", "note"}
    ),
    "metadata": None,
    # model-parameter overrides: CellParameters field names, checked by sianode.cell.build
    "parameters": None,
}
# ``[reported]`` also takes ``areal_capacity_<basis>`` and one table per material.
_REPORTED_PATTERN = re.compile(r"^areal_capacity_\w+$")


def reference_study_path() -> Path:
    """Path of the bundled reference-study TOML."""
    return Path(str(resources.files("sianode") / "data" / "reference_study.toml"))


@dataclass
class Study:
    """A study file, parsed.

    Attributes
    ----------
    raw : dict
        The TOML content as nested dictionaries (quantities still strings with units).
    path : pathlib.Path or None
        Where it was read from.
    """

    raw: dict[str, Any]
    path: Path | None = None
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = str(
            self.raw.get("study", {}).get("name", self.path.stem if self.path else "study")
        )

    def section(self, name: str) -> dict[str, Any]:
        """Return section ``name``; raise :class:`ParameterError` if the file has none."""
        node: Any = self.raw
        for part in name.split("."):
            if not isinstance(node, dict) or part not in node:
                where = str(self.path) if self.path else "study file"
                raise ParameterError(f"{where}: missing section [{name}]")
            node = node[part]
        return node

    def has(self, name: str) -> bool:
        try:
            self.section(name)
        except ParameterError:
            return False
        return True

    @property
    def material_names(self) -> list[str]:
        return list(self.raw.get("materials", {}))

    @property
    def calibration_material(self) -> str:
        """The material whose reported retention calibrates the damage coefficient
        (``[study] calibration_material``, default ``"dense"``)."""
        return self._material_role("calibration_material", "dense")

    def prediction_record(self, material: str) -> dict[str, Any] | None:
        """The blind prediction of ``material`` made earlier and kept unchanged
        (``[prediction_record]``), or None. A study that holds one has been reviewed against
        it since, so later predictions of that material are not blind."""
        rec = self.raw.get("prediction_record")
        if not rec or rec.get("material") != material:
            return None
        where = f"{self.path or 'study'}: [prediction_record]"
        missing = {"retention_pct", "date", "commit"} - set(rec)
        if missing:
            raise ParameterError(f"{where} needs {sorted(missing)}")

        def percent(v: Any) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100

        if not percent(rec["retention_pct"]):
            raise ParameterError(
                f"{where} retention_pct: a number in [0, 100], got {rec['retention_pct']!r}"
            )
        band = rec.get("retention_band_pct")
        if band is not None and not (
            isinstance(band, list) and len(band) == 2 and all(percent(v) for v in band)
        ):
            raise ParameterError(f"{where} retention_band_pct: [low, high] in %, got {band!r}")
        return {k: v for k, v in rec.items() if k != "material"}

    @property
    def prediction_material(self) -> str:
        """The material ``reproduce`` predicts blind (``[study] prediction_material``,
        default ``"nanoporous"``)."""
        return self._material_role("prediction_material", "nanoporous")

    def _material_role(self, key: str, default: str) -> str:
        name = str(self.raw.get("study", {}).get(key, default))
        if name not in self.material_names:
            where = str(self.path) if self.path else "study file"
            raise ParameterError(
                f"{where}: [study] {key} = {name!r} is not a [materials.<name>] of the study"
                f" (it has {', '.join(self.material_names) or 'none'})"
                + ("" if key in self.raw.get("study", {}) else f"; set {key} in [study]")
            )
        return name


def load_study(path: str | Path | None = None) -> Study:
    """Read a study TOML (the bundled reference study when ``path`` is None).

    Raises
    ------
    ParsingError
        If the file is missing or is not valid TOML.
    ParameterError
        If a required section ([cell], [protocol]) is missing, or a section has a key the
        schema does not know (:func:`validate_study`).
    """
    p = reference_study_path() if path is None else Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParsingError(f"{p}: no such study file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParsingError(f"{p}: cannot read study file ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParsingError(f"{p}: not valid TOML ({exc})") from None
    validate_study(raw, str(p))
    study = Study(raw=raw, path=p)
    for sec in _REQUIRED:
        study.section(sec)
    return study


def _section_key(path: tuple[str, ...]) -> str | None:
    """The :data:`STUDY_SCHEMA` entry of the section at ``path``, or None if it has none."""
    key = ".".join(path)
    if key in STUDY_SCHEMA:
        return key
    if len(path) >= 2 and path[0] in ("materials", "reported"):
        star = ".".join((path[0], "*", *path[2:]))
        if star in STUDY_SCHEMA:
            return star
    return None


def validate_study(raw: dict[str, Any], where: str = "study file") -> None:
    """Check every key of a parsed study file against :data:`STUDY_SCHEMA`.

    Raises
    ------
    ParameterError
        On the first key a section does not accept, naming the section, the key and the
        closest valid key (free-form notes belong in ``[metadata]``).
    """
    materials = raw.get("materials", {})
    material_names = set(materials) if isinstance(materials, dict) else set()

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        allowed = STUDY_SCHEMA[_section_key(path) or ""]
        if allowed is not None:
            if path == ("reported",):
                allowed = allowed | {k for k in node if _REPORTED_PATTERN.match(k)}
                allowed = allowed | (material_names & set(node))
            for key in node:
                if key not in allowed:
                    valid = sorted(allowed)
                    import difflib  # only on an error: its import is not free

                    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
                    hint = (
                        f"did you mean '{close[0]}'?"
                        if close
                        else f"valid keys: {', '.join(valid)}"
                    )
                    section = f"[{'.'.join(path)}]" if path else "the top level"
                    raise ParameterError(
                        f"{where}: unknown key '{key}' in {section}; {hint}"
                        " (free-form notes go in [metadata])"
                    )
        for key, value in node.items():
            child = (*path, key)
            # free tables (reagents, composition, [metadata]) are not walked further
            if isinstance(value, dict) and _section_key(child) is not None:
                walk(value, child)

    walk(raw, ())
