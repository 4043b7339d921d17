"""Global sensitivity of the band: the Saltelli design the priors are sampled on and the
Sobol indices computed from the same runs (SALib; Saltelli et al., Global Sensitivity
Analysis: The Primer, 2008)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .priors import Prior

__all__ = ["saltelli_design", "sobol_indices"]


def sobol_indices(
    labels: list[str], Y: np.ndarray, seed: int = 0, num_resamples: int = 200
) -> list[dict[str, Any]]:
    """First and total Sobol indices of ``Y`` on a Saltelli design over ``labels``
    (SALib ``sobol.analyze``, no second order; 95 % bootstrap half-widths), largest total
    index first. The bootstrap is seeded, so the half-widths repeat from run to run."""
    from SALib.analyze import sobol

    problem = {"num_vars": len(labels), "names": list(labels), "bounds": [[0, 1]] * len(labels)}
    if np.nanstd(Y) == 0:
        zeros = np.zeros(len(labels))
        si = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
    else:
        with warnings.catch_warnings():  # constant subsets (e.g. all failed) are expected
            warnings.filterwarnings("ignore", "Constant values encountered", UserWarning)
            # SALib seeds its bootstrap only for a truthy seed (``if seed:``): 0 left it
            # unseeded and the half-widths changed between identical runs
            si = sobol.analyze(
                problem, Y, calc_second_order=False, num_resamples=num_resamples, seed=seed + 1
            )
    rows = [
        {
            "input": lab,
            "S1": float(si["S1"][i]),
            "S1_conf": float(si["S1_conf"][i]),
            "ST": float(si["ST"][i]),
            "ST_conf": float(si["ST_conf"][i]),
        }
        for i, lab in enumerate(labels)
    ]
    return sorted(rows, key=lambda r: -r["ST"])


def saltelli_design(priors: list[Prior], n_samples: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """Unit-cube Saltelli design (SALib) with at least ``n_samples`` rows: N (a power of
    2) x (D + 2) rows for D priors. Returns (U, N)."""
    from SALib.sample import sobol as sobol_sample

    d = len(priors)
    N = 1
    while N * (d + 2) < n_samples:
        N *= 2
    problem = {"num_vars": d, "names": [p.label for p in priors], "bounds": [[0, 1]] * d}
    U = sobol_sample.sample(problem, N, calc_second_order=False, scramble=True, seed=seed)
    return U, N
