"""Borrowed array views for the resolved model's inner loops (no reference counting).

numba counts references to every array: each view (``prof[j]``), each array passed into an
inlined function and each tuple unpacked in a loop increments and decrements the owner's
count with an atomic instruction. In the resolved model's Newton loop that is about 90 atomic
operations per node and iteration, about a fifth of its run time (``perf``; benchmarks/README.md,
"Resolved model vs PyBaMM DFN").

:func:`borrowed` returns a view of an array that holds no reference (null ``meminfo``), so
views taken from it, and the arrays passed on, skip the counting (numba's increment and
decrement return at once on a null ``meminfo``). The data and layout are those of the array:
only the bookkeeping differs, so the arithmetic, and every result, is unchanged.

Rule: a borrowed view must not outlive its owner. The resolved model borrows arrays that the
same compiled call owns (or holds as arguments) for that call only, and never returns one.
"""

from __future__ import annotations

from numba import types
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array

__all__ = ["borrowed"]


@intrinsic
def borrowed(typingctx, arr):  # noqa: ARG001 - numba's intrinsic signature
    """View of ``arr`` (same data, shape, strides and type) that holds no reference.

    Callable from compiled code only. The caller keeps ``arr`` (its owner) alive for as
    long as the view and anything taken from it is used."""
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, signature, args):
        src = make_array(arr)(context, builder, value=args[0])
        view = make_array(arr)(context, builder)
        populate_array(
            view,
            data=src.data,
            shape=src.shape,
            strides=src.strides,
            itemsize=src.itemsize,
            meminfo=None,
            parent=None,
        )
        return view._getvalue()

    return arr(arr), codegen
