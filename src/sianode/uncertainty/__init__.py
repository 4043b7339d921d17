"""Uncertainty of the prediction: priors of the assumed inputs, the prior-based band,
Sobol indices and which measurement would narrow the band most (issue 14 B, C)."""

from .band import (
    BLIND_LABEL_NEW,
    BLIND_LABEL_REVIEWED,
    BandResult,
    prediction_band,
)
from .measurements import MEASUREMENTS, Measurement, cell_resistance, rank_measurements
from .priors import Prior, collapse, load_priors, priors_markdown
from .sensitivity import saltelli_design, sobol_indices

__all__ = [
    "BLIND_LABEL_NEW",
    "BLIND_LABEL_REVIEWED",
    "BandResult",
    "prediction_band",
    "saltelli_design",
    "sobol_indices",
    "MEASUREMENTS",
    "Measurement",
    "cell_resistance",
    "rank_measurements",
    "Prior",
    "collapse",
    "load_priors",
    "priors_markdown",
]
