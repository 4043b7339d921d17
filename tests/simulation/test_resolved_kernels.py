"""The resolved model's linear-algebra kernels give the same bits as the forms they replaced.

Speed work on the resolved model (issue 17) must not change a result (1e-9 relative is the
limit; these rewrites keep every floating-point operation, so they are exact):

- ``solve_dense_transposed`` against the row-major Gaussian elimination of commit 8a3ee45
  (:func:`reference_solve_dense`, copied from there), on bordered systems shaped like the
  Newton Jacobian ``[[Mo + diag(d), 1], [1, 0]]``, with and without row swaps;
- ``diffusion_solve_nodes`` against ``particle.diffusion_solve`` node by node;
- ``borrowed`` views share the owner's data.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sianode.simulation import ModelOptions, cell_from_study
from sianode.simulation.borrowed import borrowed
from sianode.simulation.particle import (
    diffusion_factor,
    diffusion_solve,
    effective_diffusivity,
    radial_grid,
)
from sianode.simulation.resolved_newton import diffusion_solve_nodes, solve_dense_transposed


@njit(cache=False)
def reference_solve_dense(A, b, x):
    """``resolved_newton.solve_dense`` at commit 8a3ee45 (row-major, partial pivoting)."""
    n = b.size
    for c in range(n):
        piv = c
        big = abs(A[c, c])
        for r in range(c + 1, n):
            if abs(A[r, c]) > big:
                big = abs(A[r, c])
                piv = r
        if piv != c:
            for k in range(n):
                tmp = A[c, k]
                A[c, k] = A[piv, k]
                A[piv, k] = tmp
            tmp = b[c]
            b[c] = b[piv]
            b[piv] = tmp
        d = A[c, c]
        if d == 0.0:
            d = 1e-300
        for r in range(c + 1, n):
            m = A[r, c] / d
            if m != 0.0:
                for k in range(c, n):
                    A[r, k] -= m * A[c, k]
                b[r] -= m * b[c]
    for r in range(n - 1, -1, -1):
        s = b[r]
        for k in range(r + 1, n):
            s -= A[r, k] * x[k]
        d = A[r, r]
        if d == 0.0:
            d = 1e-300
        x[r] = s / d


def bordered_system(n: int, scale: float, rng: np.random.Generator, sparse: bool):
    """A Newton-Jacobian-like system: ohmic matrix (positive, the min-type structure of a
    resistor chain plus noise) + diagonal, bordered by ones; right side of mV residuals."""
    idx = np.arange(n)
    mo = scale * (np.minimum.outer(idx, idx) + 1.0 + rng.uniform(0, 0.5, (n, n)))
    if sparse:
        mo[rng.uniform(size=(n, n)) < 0.3] = 0.0  # zero multipliers take the skip branch
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = mo + np.diag(rng.uniform(0.1, 10.0, n) * scale)
    a[:n, n] = 1.0
    a[n, :n] = 1.0
    b = np.append(rng.normal(0.0, 1e-3, n), 0.0)
    return a, b


@pytest.mark.parametrize("n", [1, 2, 6, 20, 33])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
@pytest.mark.parametrize("sparse", [False, True])
def test_transposed_elimination_is_bit_identical(n, scale, sparse):
    rng = np.random.default_rng(n * 1000 + int(np.log10(scale)) + 7 * sparse)
    for _ in range(20):
        a, b = bordered_system(n, scale, rng, sparse)
        x_ref = np.zeros(n + 1)
        reference_solve_dense(a.copy(), b.copy(), x_ref)
        x = np.zeros(n + 1)
        solve_dense_transposed(np.ascontiguousarray(a.T), b.copy(), x, np.zeros(n + 1))
        np.testing.assert_array_equal(x, x_ref)
        # and it is a solution
        np.testing.assert_allclose(a @ x, b, rtol=0, atol=1e-9 * max(1.0, np.abs(a).max()))


def test_transposed_elimination_swaps_rows_like_the_reference():
    """With a tiny ohmic block the ones row is the largest pivot: rows are swapped."""
    a = np.array([[1e-4, 2e-4, 1.0], [3e-4, 1e-4, 1.0], [1.0, 1.0, 0.0]])
    b = np.array([1e-3, -2e-3, 0.0])
    x_ref = np.zeros(3)
    reference_solve_dense(a.copy(), b.copy(), x_ref)
    x = np.zeros(3)
    solve_dense_transposed(np.ascontiguousarray(a.T), b.copy(), x, np.zeros(3))
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_allclose(a @ x, b, atol=1e-15)


@pytest.mark.parametrize("dt", [1e-3, 0.7, 45.0, 3.0e3])
@pytest.mark.parametrize("n_nodes", [1, 3, 20])
def test_nodes_diffusion_solve_is_bit_identical(dt, n_nodes):
    cell, _ = cell_from_study(material="dense", beta=0.0045833)
    p = cell.to_vector()
    vol, area_f, dr = radial_grid(p, ModelOptions(diffusion="radial").codes())
    ns = vol.size
    assert ns > 1
    fm, fb, fc = np.zeros(ns), np.zeros(ns), np.zeros(ns)
    diffusion_factor(vol, area_f, dr, effective_diffusivity(p), dt, fm, fb, fc)
    rng = np.random.default_rng(n_nodes)
    prof0 = np.sort(rng.uniform(0.0, 3.75, (n_nodes, ns)), axis=1)
    prof0[0, 0] = -0.0  # a signed zero stays what the single-node solve makes of it
    out = np.zeros((n_nodes, ns))
    diffusion_solve_nodes(prof0, vol, dt, fm, fb, fc, np.zeros((ns, n_nodes)), out)
    for j in range(n_nodes):
        ref = np.zeros(ns)
        diffusion_solve(prof0[j], vol, dt, 0.0, fm, fb, fc, ref)
        np.testing.assert_array_equal(out[j], ref)
        assert np.signbit(out[j]).tolist() == np.signbit(ref).tolist()


@njit(cache=False)
def _write_through_borrowed(a):
    v = borrowed(a)
    row = v[1]
    row[2] = 7.5
    return v.shape[0], v.shape[1], v.strides[0]


def test_borrowed_view_shares_the_owners_data():
    a = np.zeros((3, 4))
    rows, cols, stride = _write_through_borrowed(a)
    assert (rows, cols, stride) == (3, 4, 32)
    assert a[1, 2] == 7.5
    assert np.count_nonzero(a) == 1
