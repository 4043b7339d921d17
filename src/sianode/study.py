"""The study file: recipe, materials, cell build, protocol and reported numbers, as TOML.

The reference study ships inside the package (``sianode/data/reference_study.toml``);
every command runs on it by default and accepts a user file of the same schema.
"""

from __future__ import annotations

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

__all__ = ["Study", "load_study", "reference_study_path"]

_REQUIRED = ("cell", "protocol")


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


def load_study(path: str | Path | None = None) -> Study:
    """Read a study TOML (the bundled reference study when ``path`` is None).

    Raises
    ------
    ParsingError
        If the file is missing or is not valid TOML.
    ParameterError
        If a required section ([cell], [protocol]) is missing.
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
    study = Study(raw=raw, path=p)
    for sec in _REQUIRED:
        study.section(sec)
    return study
