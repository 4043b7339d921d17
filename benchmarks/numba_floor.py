"""The start-up floor of any process that runs a cached numba kernel (issue 17).

One trivial ``@numba.njit(cache=True)`` function, called once from its on-disk cache, then
``os._exit(0)`` as sianode's console script ends. Time it as a whole process beside
``sianode simulate --json`` (run it once first to fill the cache)::

    .venv/bin/python benchmarks/numba_floor.py          # fills the cache
    /usr/bin/time -f "%e %U %S" env OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/numba_floor.py
"""

import os

import numba
import numpy as np


@numba.njit(cache=True)
def _one(x):  # noqa: ANN001, ANN202
    return x[0] + 1.0


_one(np.zeros(1))
os._exit(0)
