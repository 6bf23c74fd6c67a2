"""Run-time helpers for shapes and sequences of arrays: splitting a cotangent back among the inputs of
concatenate / stack / tile / repeat / pad, moving and merging axes, and the items of lists and sums."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .core import primitive, unbroadcast
from .indexing import scatter_add


@primitive
def concatenate_grad(ct: Any, xs: Any, axis: int | None = 0) -> tuple:
    """Split the cotangent of `np.concatenate(xs, axis)` back into one piece per input."""
    if axis is None:
        sizes = [np.size(x) for x in xs]
        pieces = np.split(np.ravel(ct), np.cumsum(sizes)[:-1])
        return tuple(np.reshape(p, np.shape(x)) for p, x in zip(pieces, xs))
    sizes = [np.shape(x)[axis] for x in xs]
    pieces = np.split(ct, np.cumsum(sizes)[:-1], axis=axis)
    return tuple(pieces)


@primitive
def unstack(ct: Any, xs: Any, axis: int = 0) -> tuple:
    """The cotangents of the inputs of `np.stack(xs, axis)`."""
    return tuple(np.take(ct, i, axis=axis) for i in range(len(xs)))


_STACK_ADAPTERS: dict[str, Callable[[Any], Any]] = {
    "vstack": np.atleast_2d,
    "row_stack": np.atleast_2d,
    "hstack": np.atleast_1d,
    "dstack": np.atleast_3d,
    "column_stack": lambda x: np.reshape(x, (-1, 1)) if np.ndim(x) < 2 else x,
}


@primitive
def stack_grad(ct: Any, xs: Any, kind: str) -> tuple:
    """The cotangents of the arrays in `np.vstack(xs)` (kind "vstack"; or hstack, dstack, column_stack)."""
    parts = [_STACK_ADAPTERS[kind](x) for x in xs]
    axis = {"vstack": 0, "row_stack": 0, "dstack": 2, "column_stack": 1}.get(kind, 0 if np.ndim(parts[0]) == 1 else 1)
    sizes = [np.shape(p)[axis] for p in parts]
    pieces = np.split(ct, np.cumsum(sizes)[:-1], axis=axis)
    return tuple(np.reshape(piece, np.shape(x)) for piece, x in zip(pieces, xs))


@primitive
def sequence_grad(ct: Any, xs: Any) -> Any:
    """The cotangents of the items of a (nested) list given to `np.array`."""
    if not isinstance(xs, (list, tuple)):
        return ct  # np.asarray(an_array): the identity
    grads = [ct[i] for i in range(len(xs))]
    return tuple(grads) if isinstance(xs, tuple) else grads


@primitive
def sequence_vjp(u: Any, xs: Any) -> Any:
    """The transpose of `sequence_grad(ct, xs)`: the items' cotangents stacked back into one array."""
    return np.asarray(u) if isinstance(xs, (list, tuple)) else u


@primitive
def builtin_sum_grad(ct: Any, xs: Any) -> Any:
    """The cotangents of the items of `sum(xs)` (a list of values, or an array summed over axis 0)."""
    if isinstance(xs, (list, tuple)):
        grads = [unbroadcast(ct, x) for x in xs]
        return tuple(grads) if isinstance(xs, tuple) else grads
    return np.broadcast_to(ct, np.shape(xs))


@primitive
def gather_sum(grads: Any, like: Any) -> Any:
    """The reverse of `builtin_sum_grad`: the items' cotangents summed back to the sum's shape."""
    if isinstance(grads, (list, tuple)):
        total = 0.0
        for g in grads:
            total = total + g
        return unbroadcast(total, like)
    return unbroadcast(grads, like)


@primitive
def tile_grad(ct: Any, x: Any, reps: Any) -> Any:
    """The cotangent of x in `np.tile(x, reps)`: the tiles summed."""
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    nd = max(np.ndim(x), len(reps))
    x_shape = (1,) * (nd - np.ndim(x)) + np.shape(x)
    reps = (1,) * (nd - len(reps)) + reps
    blocks = np.reshape(ct, tuple(s for pair in zip(reps, x_shape) for s in pair))
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * nd, 2))), np.shape(x))


@primitive
def repeat_grad(ct: Any, x: Any, repeats: Any, axis: int | None = None) -> Any:
    """The cotangent of x in `np.repeat(x, repeats, axis)`: each element's copies summed."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    return scatter_add(ct, x, axis, np.repeat(np.arange(n), repeats))


PAD_MODES = ("constant", "empty", "edge", "reflect", "symmetric", "wrap")
"""The `np.pad` modes that copy elements (the others compute statistics)."""


@primitive
def pad_grad(ct: Any, x: Any, pad_width: Any, mode: str = "constant") -> Any:
    """The cotangent of x in `np.pad(x, pad_width, mode)`: every copy of an element adds to it."""
    positions = np.reshape(np.arange(np.size(x)), np.shape(x))
    if mode in ("constant", "empty"):
        padded = np.pad(positions, pad_width, mode="constant", constant_values=-1)
    else:
        padded = np.pad(positions, pad_width, mode=mode)
    copied = padded >= 0
    return scatter_add(np.asarray(ct)[copied], x, None, padded[copied])


def read_order(x: Any, order: Any) -> str:
    """How `np.reshape(x, ..., order)` and `np.ravel(x, order)` read x, as 'C', 'F' or 'K' (memory order).

    'A' is 'F' for an array that is Fortran-contiguous and not C-contiguous, else 'C' (NumPy's
    PyArray_ISFORTRAN); None is 'C'; NumPy takes the letters in either case.
    """
    order = "C" if order is None else str(order).upper()
    if order == "A":
        flags = np.asarray(x).flags
        return "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    return order


def memory_positions(x: Any) -> Any:
    """For each element of `np.ravel(x, order='K')`, its C-order flat index in x.

    An index array given x's strides (in absolute value: 'K' reads a reversed axis forwards) is
    laid out as x is, so NumPy's own ravel('K') of it orders the indices exactly as it orders x.
    """
    x = np.asarray(x)
    if x.size == 0:
        return np.zeros(0, dtype=np.intp)
    c_index = np.reshape(np.arange(x.size), x.shape)
    unit = int(np.gcd.reduce([x.itemsize, *x.strides]))  # strides in units that keep every offset whole
    steps = [abs(s) // unit for s in x.strides]
    span = 1 + sum((n - 1) * step for n, step in zip(x.shape, steps))
    itemsize = np.dtype(np.intp).itemsize
    proxy = as_strided(np.zeros(span, dtype=np.intp), x.shape, [step * itemsize for step in steps])
    proxy[...] = c_index
    if np.array_equal(proxy, c_index):  # no two elements of x share memory
        return np.ravel(proxy, order="K")
    if any(s < 0 for s in x.strides):
        raise ValueError(
            "the gradient of np.ravel(x, order='K') where elements of x share memory (np.broadcast_to) "
            "and an axis is reversed; copy x first (np.copy(x)) or use order='C'"
        )
    # Elements share memory (a broadcast axis): the iterator itself gives the order. Without
    # reversed axes its 'K' order is ravel's (it would walk a reversed axis backwards).
    walk = np.nditer(x, flags=["c_index", "refs_ok"], order="K")
    return np.array([walk.index for _ in walk], dtype=np.intp)


@primitive
def reshape_grad(ct: Any, x: Any, order: Any = "C") -> Any:
    """The cotangent of x in `np.reshape(x, shape, order)` or `np.ravel(x, order)`: ct put back
    where each of its elements was read from."""
    order = read_order(x, order)
    if order != "K":
        return np.reshape(ct, np.shape(x), order=order)
    grad = np.empty(np.size(x), dtype=np.result_type(ct))
    grad[memory_positions(x)] = np.ravel(ct)
    return np.reshape(grad, np.shape(x))


@primitive
def reshape_like(v: Any, like: Any, x: Any, order: Any = "C") -> Any:
    """`v`, shaped like x, read as `np.reshape(x, np.shape(like), order)` reads x: the transpose of
    `reshape_grad(., x, order)`."""
    order = read_order(x, order)
    if order != "K":
        return np.reshape(v, np.shape(like), order=order)
    return np.reshape(np.ravel(v)[memory_positions(x)], np.shape(like))


@primitive
def rollaxis_grad(ct: Any, x: Any, axis: int, start: int = 0) -> Any:
    """The cotangent of x in `np.rollaxis(x, axis, start)`: the axis moved back."""
    ndim = np.ndim(x)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    return np.moveaxis(ct, start - 1 if start > axis else start, axis)


def _axes(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


@primitive
def merge_axes(x: Any, axis: Any) -> Any:
    """x with the axes `axis` (None: all) moved last and merged into one."""
    axes = _axes(axis, np.ndim(x))
    kept = len(np.shape(x)) - len(axes)
    moved = np.moveaxis(x, axes, range(kept, np.ndim(x)))
    return np.reshape(moved, np.shape(moved)[:kept] + (-1,))


@primitive
def split_axes(v: Any, x: Any, axis: Any) -> Any:
    """Undo `merge_axes(x, axis)` on a value `v` shaped like its result."""
    axes = _axes(axis, np.ndim(x))
    kept = np.ndim(x) - len(axes)
    moved_shape = tuple(s for i, s in enumerate(np.shape(x)) if i not in axes) + tuple(np.shape(x)[a] for a in axes)
    return np.moveaxis(np.reshape(v, moved_shape), range(kept, np.ndim(x)), axes)


@primitive
def weights_like(w: Any, a: Any, axis: Any) -> Any:
    """`np.average`'s weights reshaped to broadcast against `a` (1-D weights along `axis`)."""
    if np.ndim(w) == np.ndim(a):
        return w
    shape = [1] * np.ndim(a)
    for ax, n in zip(_axes(axis, np.ndim(a)), np.shape(w)):
        shape[ax] = n
    return np.reshape(w, shape)


@primitive
def linspace_fraction(out: Any, endpoint: bool = True, axis: int = 0) -> Any:
    """Where each point of `np.linspace(start, stop, ...)`'s result lies from start (0) to stop (1),
    shaped to broadcast against the result."""
    n = np.shape(out)[axis]
    t = np.arange(n) / max(n - 1 if endpoint else n, 1)
    shape = [1] * np.ndim(out)
    shape[axis] = n
    return np.reshape(t, shape)
