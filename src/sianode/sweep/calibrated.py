"""Fixed values resolved when a sweep runs: ``beta = "calibrated"``.

Parsing a spec never calibrates (:mod:`sianode.sweep.parse` keeps the word as a marker in
:attr:`~sianode.sweep.model.SweepSpec.deferred`). When the sweep runs, :func:`resolve_deferred`
calls :func:`sianode.calibration.calibrate_dense` on the dense cell of the spec's study, with
the spec's model options and damage exponent, once: the result is cached in memory for the
process and in the sweep folder's ``sweep.json`` (key: study file digest, options, damage
exponent), so a resumed sweep reuses it instead of calibrating again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import ParameterError
from .model import SweepSpec, _study_digest

__all__ = ["resolve_deferred", "calibration_key"]

#: In-process cache: calibration key -> beta.
_CACHE: dict[str, float] = {}


def calibration_key(spec: SweepSpec) -> str:
    """What the calibrated beta depends on, as a short hash (16 hex characters)."""
    text = json.dumps(
        {
            "study": _study_digest(spec.study_path),
            "options": dict(sorted(spec.options.items())),
            "damage_exponent": spec.fixed.get("damage_exponent"),
        },
        sort_keys=True,
    )
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _calibrate_beta(spec: SweepSpec) -> float:
    try:
        from ..calibration import calibrate_dense
    except ImportError:  # pragma: no cover - calibration is part of the package
        raise ParameterError(
            "fixed.beta: 'calibrated' needs sianode.calibration.calibrate_dense; give beta as "
            "a number"
        ) from None
    from ..cell.parameters import ModelOptions
    from ..study import load_study

    kwargs: dict[str, Any] = {"options": ModelOptions(**spec.options)}
    if "damage_exponent" in spec.fixed:
        kwargs["damage_exponent"] = spec.fixed["damage_exponent"]
    res = calibrate_dense(load_study(spec.study_path), **kwargs)
    return float(getattr(res, "value", getattr(res, "beta", res)))


def resolve_deferred(
    spec: SweepSpec, stored: dict[str, Any] | None = None
) -> tuple[dict[str, float], dict[str, Any]]:
    """Values of the spec's deferred fixed values (``beta = "calibrated"``).

    Parameters
    ----------
    spec : SweepSpec
    stored : dict, optional
        The ``"calibrated"`` entry of an existing ``sweep.json`` (a cache from an earlier
        run into the same folder).

    Returns
    -------
    (values, record)
        ``values`` by name (canonical units); ``record`` to store in ``sweep.json``
        (``{"key": ..., "beta": ...}``, empty when nothing was deferred).
    """
    if not spec.deferred:
        return {}, {}
    key = calibration_key(spec)
    if stored and stored.get("key") == key and "beta" in stored:
        beta = float(stored["beta"])  # calibrated by an earlier run into this folder
    elif key in _CACHE:
        beta = _CACHE[key]
    else:
        beta = _calibrate_beta(spec)
    _CACHE[key] = beta
    # the same text however it was obtained: sweep.json is not rewritten on a resume
    note = (
        f"beta = {beta:.6g} from sianode.calibration.calibrate_dense (dense cell only, same "
        "model options and damage exponent as the sweep)"
    )
    if note not in spec.notes:
        spec.notes.append(note)
    return {"beta": beta}, {"key": key, "beta": beta}
