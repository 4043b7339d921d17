"""The dense calibration, stored and reused: keyed by the study and the model version.

:func:`sianode.calibration.calibrate_dense` runs a dozen simulations and imports scipy; its
answer depends only on the study's content and on sianode's code. ``sianode simulate`` used
to repeat it on every call (about 0.3 s of a 2.4 s command, issue 17).
:func:`cached_calibrate_dense` stores the result as JSON in the user's cache folder and reads
it back when the key matches, without importing the calibration machinery.

Key: SHA-256 of the study's parsed TOML (canonical JSON), the material, the damage exponent
and the *model version* (``sianode.__version__`` plus a SHA-256 of every ``.py`` file of the
installed package, so any code change misses the cache). Studies that name measurement files
(``[materials.X.files]``) are never cached: their result also depends on those files.

Folder: ``$SIANODE_CACHE_DIR``, else ``$XDG_CACHE_HOME/sianode``, else the platform's user
cache folder (``~/.cache/sianode``, ``~/Library/Caches/sianode``, ``%LOCALAPPDATA%\\sianode\\Cache``).
Files are written atomically (temporary file in the same folder, then ``os.replace``); a
missing, unreadable or corrupt entry is recomputed, an unwritable folder only costs the reuse.
Set ``SIANODE_NO_CACHE=1`` to bypass it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "model_version", "calibration_key", "cached_calibrate_dense"]

_FORMAT = "sianode-dense-calibration/1"
_PKG = Path(__file__).resolve().parent


def cache_dir() -> Path:
    """The user cache folder of sianode (not created here)."""
    env = os.environ.get("SIANODE_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "sianode"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "sianode" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "sianode"
    return Path.home() / ".cache" / "sianode"


@functools.lru_cache(maxsize=1)
def model_version() -> str:
    """``<sianode version>+<sha256 of the package's .py sources, 16 hex digits>``."""
    from . import __version__

    digest = hashlib.sha256()
    for src in sorted(_PKG.rglob("*.py")):
        digest.update(src.relative_to(_PKG).as_posix().encode())
        digest.update(src.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _names_files(study: Any) -> bool:
    mats = study.raw.get("materials", {})
    return isinstance(mats, dict) and any(
        isinstance(m, dict) and m.get("files") for m in mats.values()
    )


def calibration_key(
    study: Any, material: str = "dense", damage_exponent: float = 2.0
) -> str | None:
    """Cache key of a dense calibration, or ``None`` when it must not be cached."""
    if _names_files(study):
        return None
    blob = json.dumps(
        {
            "format": _FORMAT,
            "model": model_version(),
            "study": study.raw,
            "material": material,
            "damage_exponent": float(damage_exponent),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _read(path: Path, key: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    value = data.get("result", {}).get("value")
    if not isinstance(value, float) or not math.isfinite(value):
        return None
    return data["result"]


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=1, allow_nan=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, ValueError):
        pass  # read-only or full disk: the result is still returned, only not reused


def cached_calibrate_dense(
    study: Any = None, material: str = "dense", damage_exponent: float = 2.0
) -> tuple[dict[str, Any], bool]:
    """:func:`sianode.calibration.calibrate_dense` with its result stored and reused.

    Parameters
    ----------
    study : Study, optional
        Default: the bundled reference study.
    material, damage_exponent
        As in :func:`~sianode.calibration.calibrate_dense` (model options: the defaults).

    Returns
    -------
    result : dict
        ``Calibration.as_dict()``: ``value`` is ``beta`` [-], bit-identical to a fresh run.
    cached : bool
        True when read from the cache.
    """
    from .study import load_study

    study = study or load_study()
    key = (
        None
        if os.environ.get("SIANODE_NO_CACHE")
        else calibration_key(study, material, damage_exponent)
    )
    path = cache_dir() / "calibration" / f"{key}.json" if key else None
    if path is not None:
        hit = _read(path, key)  # type: ignore[arg-type]
        if hit is not None:
            return hit, True
    from .calibration import calibrate_dense

    result = calibrate_dense(study, damage_exponent=damage_exponent, material=material).as_dict()
    if path is not None:
        _write_atomic(
            path,
            {
                "key": key,
                "model": model_version(),
                "study": study.name,
                "study_path": str(study.path) if study.path else None,
                "result": result,
            },
        )
    return result, False
