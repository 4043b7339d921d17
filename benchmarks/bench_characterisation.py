"""Benchmark: sianode characterisation vs the peer pipeline a user would otherwise script.

Run (needs the external instrument files)::

    SIANODE_EXTERNAL_DATA=../shared/data/external .venv/bin/python benchmarks/bench_characterisation.py

Each analysis is timed warm (imports done, median of ``REPEAT`` runs) on the real files, next to
a peer pipeline written here with the same libraries a user would reach for:

- XRD: ``scipy.signal.find_peaks`` + lmfit ``PseudoVoigtModel + LinearModel`` per peak +
  ``scipy.optimize.least_squares`` for a with a displacement term (no indexing, no Kα2,
  no sizes).
- Raman: ``numpy.loadtxt`` (Latin-1) + lmfit ``LorentzianModel + LinearModel``.
- Sorption: pyGAPS's own calls (``isotherm_from_json``, ``area_BET``, ``psd_mesoporous``,
  ``t_plot``).
- Confinement inversion: a direct script (trapezoid q integral on 2000 points, brentq on the
  peak position), as one would write from the Campbell-Fauchet paper.

Prints a Markdown table (ratio = sianode / peer; < 1 means sianode is faster) and the
one-off import and table-building costs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPEAT = 7
ROOT = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "../shared/data/external")) / "materials"
XRD = ROOT / "xrd" / "Si-Std_SRM640d_D8D_20-97_7_16hm.brml"
RAMAN = ROOT / "raman" / "532nm-191216-Si_200mu.txt"
ISO = sorted((ROOT / "isotherms").glob("*.json"))


def timed(fn, repeat: int = REPEAT) -> float:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


# ------------------------------------------------------------------------------ peers


def peer_xrd() -> float:
    from lmfit.models import LinearModel, PseudoVoigtModel
    from scipy.optimize import least_squares
    from scipy.signal import find_peaks

    from sianode.characterisation.xrd import read_brml

    pat = read_brml(XRD)
    x, y = pat.two_theta, pat.intensity
    idx, _ = find_peaks(y, prominence=0.02 * y.max(), distance=50)
    s = np.array([3, 8, 11, 16, 19, 24, 27])
    lam = 1.5406
    nominal = 2 * np.degrees(np.arcsin(lam * np.sqrt(s) / (2 * 5.431)))
    # keep the peaks next to the nominal Si lines (the user knows the phase)
    idx = np.array([idx[np.argmin(np.abs(x[idx] - n))] for n in nominal])
    centres = []
    for i in idx:
        m = (x > x[i] - 0.4) & (x < x[i] + 0.4)
        mod = PseudoVoigtModel() + LinearModel()
        pars = mod.make_params(
            amplitude=y[i] * 0.05,
            center=x[i],
            sigma=0.03,
            fraction=0.5,
            slope=0.0,
            intercept=float(y[m].min()),
        )
        centres.append(mod.fit(y[m], pars, x=x[m]).params["center"].value)
    tt = np.array(centres)

    def res(p):
        calc = 2 * np.degrees(np.arcsin(lam * np.sqrt(s) / (2 * p[0])))
        return calc - np.degrees(2 * p[1] * np.cos(np.radians(tt / 2))) - tt

    return least_squares(res, [5.43, 0.0]).x[0]


def peer_raman() -> float:
    from lmfit.models import LinearModel, LorentzianModel

    d = np.loadtxt(RAMAN, comments="#", encoding="latin-1")
    x, y = d[:, 0], d[:, 1]
    m = (x > 440) & (x < 560)
    mod = LorentzianModel() + LinearModel()
    pars = mod.make_params(amplitude=1e5, center=520, sigma=3, slope=0, intercept=100)
    return mod.fit(y[m], pars, x=x[m]).params["center"].value


def peer_sorption(path: Path) -> float:
    import pygaps.characterisation as pgc
    import pygaps.parsing as pgp

    iso = pgp.isotherm_from_json(path.read_text())
    area = pgc.area_BET(iso)["area"]
    try:
        pgc.psd_mesoporous(iso, psd_model="BJH", branch="des")
    except Exception:
        pass
    try:
        pgc.t_plot(iso)
    except Exception:
        pass
    return area


def peer_confinement(peak: float = 496.0, omega0: float = 520.7) -> float:
    from scipy.optimize import brentq

    a = 0.5431
    q = np.linspace(0, 2 * np.pi / a, 2000)
    w = np.linspace(400, 530, 1301)

    def peak_of(L):
        wt = np.exp(-(q**2) * L**2 / (16 * np.pi**2)) * 4 * np.pi * q**2
        om = np.sqrt(omega0**2 - 1e5 + 1e5 * np.cos(np.pi * q * a / (2 * np.pi) / 2))
        prof = np.trapezoid(wt / ((w[:, None] - om) ** 2 + 1.75**2), q, axis=1)
        return w[np.argmax(prof)]

    return brentq(lambda L: peak_of(L) - peak, 1.0, 20.0, xtol=1e-3)


# ------------------------------------------------------------------------------ main


def main() -> int:
    if not XRD.is_file():
        print(f"external data not found under {ROOT}; set SIANODE_EXTERNAL_DATA", file=sys.stderr)
        return 1
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    import lmfit  # noqa: F401

    t_lmfit = time.perf_counter() - t
    t = time.perf_counter()
    import pygaps  # noqa: F401
    import pygaps.characterisation  # noqa: F401

    t_pygaps = time.perf_counter() - t
    import logging

    from sianode.characterisation import raman, sorption, xrd

    logging.getLogger("pygaps").setLevel(logging.ERROR)
    t = time.perf_counter()
    raman.confinement_table()
    t_table = time.perf_counter() - t

    def ours_confinement():
        raman.confinement_length_from_shift.cache_clear()  # cold: no cached result
        return raman.confinement_length_from_shift(496.0)

    rows = []
    ours = timed(lambda: xrd.analyse_xrd(XRD))
    peer = timed(peer_xrd)
    rows.append(
        (
            "XRD SRM 640d (.brml): read, fit 7 peaks, index, refine a, sizes",
            ours,
            peer,
            "find_peaks + lmfit PseudoVoigt+Linear + least_squares",
        )
    )
    ours = timed(
        lambda: (raman.confinement_length_from_width.cache_clear(), raman.analyse_raman(RAMAN))
    )
    peer = timed(peer_raman)
    rows.append(
        (
            "Raman c-Si: read, baseline, Lorentzian, confinement estimate",
            ours,
            peer,
            "loadtxt + lmfit Lorentzian+Linear",
        )
    )
    ours = timed(ours_confinement)
    peer = timed(peer_confinement, repeat=3)
    rows.append(
        ("Confinement length for 496 cm-1 (CF sphere)", ours, peer, "direct q-integral + brentq")
    )
    for path in ISO:
        ours = timed(lambda p=path: sorption.analyse_isotherm(p))
        peer = timed(lambda p=path: peer_sorption(p))
        rows.append(
            (
                f"N2 {path.stem.replace('pygaps_', '')}: BET + BJH + Gurvich + t-plot",
                ours,
                peer,
                "pyGAPS area_BET + psd_mesoporous + t_plot",
            )
        )

    print("| analysis | sianode [s] | peer [s] | ratio | peer pipeline | < 0.2 s |")
    print("|---|---:|---:|---:|---|---|")
    for name, o, p, what in rows:
        print(
            f"| {name} | {o:.4f} | {p:.4f} | {o / p:.2f} | {what} | {'yes' if o < 0.2 else 'NO'} |"
        )
    print()
    print(
        f"One-off costs: import lmfit {t_lmfit:.2f} s, import pyGAPS {t_pygaps:.2f} s, "
        f"full 60-size confinement table (plots only, not used by the analyses) {t_table:.2f} s."
    )
    print(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, lmfit {lmfit.__version__}, "
        f"pyGAPS {pygaps.__version__}; median of {REPEAT} warm runs."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
