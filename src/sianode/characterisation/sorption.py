"""N2 physisorption through pyGAPS: BET, BJH/DH pore size, total pore volume, t-plot.

Nothing here re-implements adsorption science: reading, BET with the Rouquerol criteria,
mesopore PSDs and t-plots are pyGAPS calls (Iacomi & Llewellyn, Adsorption 25 (2019) 1533).
This module chooses defaults, converts pyGAPS errors into sianode's, and returns plain
dataclasses. Two tiers: :func:`bet_raw` (arrays) under :func:`analyse_isotherm` (a file or a
pyGAPS isotherm).

Total pore volume uses the Gurvich rule: the amount adsorbed at ``p/p0 = 0.95`` (or the
highest measured pressure below it) as liquid adsorbate, ``V = n M / ρ_liq``, with M and
ρ_liq from pyGAPS's adsorbate database.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CalculationError, ParameterError, ParsingError
from ._coolprop import FALLBACK_WARNING, coolprop_deferred, supply_properties

__all__ = ["BETResult", "SorptionResult", "read_isotherm", "bet_raw", "analyse_isotherm"]

#: N2 cross-section [nm2] (IUPAC 2015 value used by pyGAPS).
N2_CROSS_SECTION = 0.162
#: Smallest pore width [nm] a Kelvin-equation PSD (BJH, DH) describes: below it are micropores,
#: where the Kelvin equation fails (IUPAC: Thommes et al., Pure Appl. Chem. 87 (2015) 1051).
KELVIN_MIN_PORE_NM = 2.0


@dataclass
class BETResult:
    """BET fit (Rouquerol-selected range unless limits are given)."""

    area_m2_g: float
    c_const: float
    n_monolayer_mmol_g: float
    p_range: tuple[float, float]
    n_points: int
    corr_coef: float


@dataclass
class SorptionResult:
    """Everything :func:`analyse_isotherm` computes."""

    source: str
    material: str
    adsorbate: str
    temperature_K: float
    bet: BETResult
    pore_diameter_nm: float | None
    psd_model: str
    psd_branch: str
    pore_volume_cm3_g: float | None
    pore_volume_p_rel: float | None
    bjh_cumulative_volume_cm3_g: float | None
    t_plot: list[dict[str, float]]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the keys of the ``--json`` output."""
        return {
            "source": self.source,
            "material": self.material,
            "adsorbate": self.adsorbate,
            "temperature_K": self.temperature_K,
            "bet_area_m2_g": self.bet.area_m2_g,
            "bet_c": self.bet.c_const,
            "bet_pressure_range": list(self.bet.p_range),
            "bet_points": self.bet.n_points,
            "bet_corr_coef": self.bet.corr_coef,
            "n_monolayer_mmol_g": self.bet.n_monolayer_mmol_g,
            "pore_diameter_nm": self.pore_diameter_nm,
            "psd_model": self.psd_model,
            "psd_branch": self.psd_branch,
            "pore_volume_cm3_g": self.pore_volume_cm3_g,
            "pore_volume_p_rel": self.pore_volume_p_rel,
            "bjh_cumulative_volume_cm3_g": self.bjh_cumulative_volume_cm3_g,
            "t_plot": self.t_plot,
            "warnings": list(self.warnings),
        }


@contextlib.contextmanager
def _quiet_pygaps():
    """Collect pyGAPS log warnings instead of printing them."""
    log = logging.getLogger("pygaps")
    records: list[str] = []

    class _H(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                msg = record.getMessage().strip().splitlines()[0]
                # pyGAPS reading tabulated adsorbate properties (see _coolprop) is not news
                if not (msg.startswith(FALLBACK_WARNING) and coolprop_deferred()):
                    records.append(msg)

    h = _H()
    old_prop, old_handlers = log.propagate, list(log.handlers)
    for oh in old_handlers:
        log.removeHandler(oh)
    log.addHandler(h)
    log.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield records
    finally:
        log.removeHandler(h)
        for oh in old_handlers:
            log.addHandler(oh)
        log.propagate = old_prop


def _import_pygaps() -> None:
    """Import pyGAPS with its stdout logger off: at import it would announce a deferred
    CoolProp (see ``_coolprop``) as a missing package."""
    log = logging.getLogger("pygaps")
    was, log.disabled = log.disabled, True
    try:
        import pygaps  # noqa: F401
    finally:
        log.disabled = was


def _pg():
    try:
        if "pygaps" not in sys.modules:
            _import_pygaps()
        import pygaps.characterisation as pgc
        import pygaps.parsing as pgp
        from pygaps.utilities import exceptions as pge
    except ImportError:  # pragma: no cover - optional dependency
        raise ParameterError(
            "sorption analysis needs pyGAPS: pip install 'sianode[char]'"
        ) from None
    return pgc, pgp, pge


def _convert(exc: Exception, where: str) -> Exception:
    _, _, pge = _pg()
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pge.ParsingError):
        return ParsingError(f"{where}: {msg}")
    if isinstance(exc, pge.ParameterError):
        return ParameterError(f"{where}: {msg}")
    return CalculationError(f"{where}: {msg}")


def read_isotherm(path: str | Path, manufacturer: str | None = None, fmt: str | None = None) -> Any:
    """Read an isotherm with pyGAPS's parsers.

    ``.json`` (pyGAPS JSON), ``.aif`` (adsorption information file), ``.csv``, ``.xls/.xlsx``
    (pyGAPS Excel); with ``manufacturer``/``fmt`` (e.g. ``"mic"``/``"xl"``, ``"bel"``/``"dat"``,
    ``"3p"``/``"xl"``) instrument files via ``isotherm_from_commercial``.

    Returns
    -------
    pygaps.PointIsotherm
    """
    _, pgp, pge = _pg()
    p = Path(path)
    if not p.is_file():
        raise ParsingError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise ParsingError(f"{p}: empty file")
    ext = p.suffix.lower()
    try:
        with _quiet_pygaps():
            if manufacturer:
                return pgp.isotherm_from_commercial(str(p), manufacturer, fmt or ext.lstrip("."))
            if ext == ".json":
                return pgp.isotherm_from_json(p.read_text(encoding="utf-8"))
            if ext == ".aif":
                return pgp.isotherm_from_aif(str(p))
            if ext == ".csv":
                return pgp.isotherm_from_csv(str(p))
            if ext in (".xls", ".xlsx"):
                return pgp.isotherm_from_xl(str(p))
    except pge.pgError as exc:
        raise _convert(exc, str(p)) from None
    except Exception as exc:  # malformed JSON, missing keys, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParsingError(f"{p}: pyGAPS could not read it ({first})") from None
    raise ParsingError(
        f"{p}: unknown isotherm format {ext!r}; use .json, .aif, .csv, .xlsx or --manufacturer"
    )


def bet_raw(
    p_rel: np.ndarray,
    loading_mmol_g: np.ndarray,
    cross_section_nm2: float = N2_CROSS_SECTION,
    p_limits: tuple[float, float] | None = None,
) -> BETResult:
    """BET area from arrays via ``pygaps.characterisation.area_bet.area_BET_raw``.

    Parameters
    ----------
    p_rel : ndarray
        Relative pressure p/p0 [-], adsorption branch.
    loading_mmol_g : ndarray
        Amount adsorbed [mmol g-1].
    cross_section_nm2 : float
        Adsorbate cross-section [nm2] (N2: 0.162).
    p_limits : (float, float), optional
        Fixed p/p0 range; default: Rouquerol criteria (pyGAPS).

    Raises
    ------
    CalculationError
        Fewer than 3 points in the BET range, or no valid range.
    """
    _pg()
    from pygaps.characterisation.area_bet import area_BET_raw

    p = np.asarray(p_rel, dtype=float)
    n = np.asarray(loading_mmol_g, dtype=float) / 1000.0  # mol/g
    if p.size != n.size:
        raise ParameterError("isotherm: pressure and loading arrays differ in length")
    try:
        with _quiet_pygaps():
            (area, c, n_mono, _p_mono, _slope, _icpt, minimum, maximum, corr) = area_BET_raw(
                p, n, cross_section_nm2, p_limits=p_limits
            )
    except Exception as exc:
        raise _convert(exc, "BET") from None
    return BETResult(
        area_m2_g=float(area),
        c_const=float(c),
        n_monolayer_mmol_g=float(n_mono) * 1000.0,
        p_range=(float(p[minimum]), float(p[maximum])),
        n_points=int(maximum - minimum + 1),
        corr_coef=float(corr),
    )


def analyse_isotherm(
    isotherm: Any,
    psd_model: str = "BJH",
    psd_branch: str = "des",
    p_limits: tuple[float, float] | None = None,
    gurvich_p: float = 0.95,
    manufacturer: str | None = None,
    fmt: str | None = None,
) -> SorptionResult:
    """BET (Rouquerol), mesopore PSD peak, Gurvich pore volume and t-plot of one isotherm.

    Parameters
    ----------
    isotherm : path or pygaps.PointIsotherm
        The measurement.
    psd_model : {"BJH", "DH", "pygaps-DH"}
        pyGAPS ``psd_mesoporous`` model; cylindrical pores, Harkins-Jura thickness, Kelvin.
    psd_branch : {"des", "ads"}
        Branch for the PSD (IUPAC recommends checking both; desorption is pyGAPS's default).
    p_limits : (float, float), optional
        Fixed BET range in p/p0.
    gurvich_p : float
        p/p0 of the total pore volume [-].
    """
    pgc, _, pge = _pg()
    iso = (
        read_isotherm(isotherm, manufacturer, fmt)
        if isinstance(isotherm, (str, Path))
        else isotherm
    )
    source = str(isotherm) if isinstance(isotherm, (str, Path)) else "isotherm"
    notes: list[str] = []
    with _quiet_pygaps() as logs:
        try:
            supply_properties(iso.adsorbate, iso.temperature)
            p_rel = iso.pressure(pressure_mode="relative", branch="ads")
            n_ads = iso.loading(
                loading_unit="mmol",
                loading_basis="molar",
                material_unit="g",
                material_basis="mass",
                branch="ads",
            )
            ad = iso.adsorbate
            cross = float(ad.get_prop("cross_sectional_area"))
        except pge.pgError as exc:
            raise _convert(exc, source) from None
    notes += [f"isotherm: {m}" for m in logs]
    if len(p_rel) < 3:
        raise CalculationError(f"{source}: {len(p_rel)} adsorption points; BET needs at least 3")
    bet = bet_raw(p_rel, n_ads, cross, p_limits)
    if bet.c_const < 0:
        notes.append("BET C is negative: the BET model does not describe this isotherm")
    # PSD
    d_peak = cum = None
    with _quiet_pygaps() as logs:
        try:
            psd = pgc.psd_mesoporous(iso, psd_model=psd_model, branch=psd_branch)
            dist = np.asarray(psd["pore_distribution"])
            if dist.size and np.isfinite(dist).any():
                d_peak = float(np.asarray(psd["pore_widths"])[int(np.nanargmax(dist))])
                cum = float(np.asarray(psd["pore_volume_cumulative"])[-1])
        except pge.pgError as exc:
            notes.append(f"PSD ({psd_model}, {psd_branch}): {str(exc).splitlines()[0]}")
    notes += [f"PSD: {m}" for m in logs]
    if d_peak is not None and d_peak < KELVIN_MIN_PORE_NM:
        notes.append(
            f"PSD peak {d_peak:.2f} nm is a micropore: Kelvin-based {psd_model} is not valid "
            f"below {KELVIN_MIN_PORE_NM:g} nm"
        )
    # Gurvich total pore volume
    order = np.argsort(p_rel)
    pr, nr = np.asarray(p_rel)[order], np.asarray(n_ads)[order]
    p_use = min(gurvich_p, float(pr.max()))
    if p_use < 0.9:
        notes.append(f"highest p/p0 is {pr.max():.3f}: total pore volume not reported")
        vtot = None
        p_use_out = None
    else:
        n_at = float(np.interp(p_use, pr, nr))  # mmol/g
        with _quiet_pygaps() as logs:
            rho = float(ad.liquid_density(iso.temperature))  # g/cm3
            vtot = n_at / 1000.0 * float(ad.molar_mass()) / rho
        notes += [f"pore volume: {m}" for m in logs]
        p_use_out = p_use
    # t-plot
    tp_out: list[dict[str, float]] = []
    with _quiet_pygaps() as logs:
        try:
            tp = pgc.t_plot(iso)
            for r in tp["results"]:
                tp_out.append(
                    {
                        "area_m2_g": float(r["area"]),
                        "adsorbed_volume_cm3_g": float(r["adsorbed_volume"]),
                        "corr_coef": float(r["corr_coef"]),
                    }
                )
        except pge.pgError as exc:
            notes.append(f"t-plot: {str(exc).splitlines()[0]}")
    notes += [f"t-plot: {m}" for m in logs]
    return SorptionResult(
        source=source,
        material=str(iso.material),
        adsorbate=str(ad),
        temperature_K=float(iso.temperature),
        bet=bet,
        pore_diameter_nm=d_peak,
        psd_model=psd_model,
        psd_branch=psd_branch,
        pore_volume_cm3_g=vtot,
        pore_volume_p_rel=p_use_out,
        bjh_cumulative_volume_cm3_g=cum,
        t_plot=tp_out,
        warnings=notes,
    )
