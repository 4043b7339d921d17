"""Design sweeps: thousands of cell designs from a TOML spec, in-process, on local processes or
on a dask.distributed cluster, into resumable partitioned Parquet, with analysis and plots.

>>> from sianode.sweep import load_spec, run_sweep, analyse      # doctest: +SKIP
>>> spec = load_spec("sweep.toml")                                 # doctest: +SKIP
>>> summary = run_sweep(spec, "out", engine="batch")               # doctest: +SKIP
>>> analyse("out").ranking()                                       # doctest: +SKIP

Names are imported lazily so that ``sianode --help`` does not load the simulator.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SweepSpec": "model",
    "load_spec": "parse",
    "parse_spec": "parse",
    "example_spec_path": "parse",
    "validate_spec": "validate",
    "PARAMETERS": "spec",
    "NoWorkersError": "engines",
    "StoreWriteError": "store",
    "run_sweep": "engines",
    "SweepSummary": "engines",
    "Progress": "engines",
    "DesignRunner": "runner",
    "SweepStore": "store",
    "read_results": "store",
    "analyse": "analysis",
    "write_report": "analysis",
    "Analysis": "analysis",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'sianode.sweep' has no attribute {name!r}")
