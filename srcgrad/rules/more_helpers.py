"""Run-time helpers for the ufunc, reduction, linalg and shape rules: the parts
of a gradient whose shape logic depends on run-time ranks or index kinds.

Each helper is plain NumPy at run time. Marked `@primitive`, a call on symbolic
values (the `Sym`s a rule runs on while it builds IR) records a call op instead
of running, so generated code calls the helper by name. Every helper has a rule
in the module that uses it, or is declared nondifferentiable there, so
gradients of gradients work.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..primitives import Symbolic, primitive
from .helpers import unbroadcast


def emit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)`, or, when called by a rule on symbolic values, a call op for it.

    For calls that do not dispatch on `Sym`s: a NumPy function given one symbolic tuple
    (`np.concatenate(ct)` would iterate it), or one of SciPy's Python functions.
    """
    for a in (*args, *kwargs.values()):
        if isinstance(a, Symbolic):
            return a.build(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def _float_dtype(*xs: Any) -> np.dtype:
    dtype = np.result_type(*xs)
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


# --- masks (nondifferentiable) ------------------------------------------------------


@primitive
def eye_like(x: Any, axis: int = -1) -> np.ndarray:
    """The n × n identity in x's float dtype, for n = x.shape[axis]."""
    return np.eye(np.shape(x)[axis], dtype=_float_dtype(x))


@primitive
def diagonal_mask(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> np.ndarray:
    """Ones on the `offset` diagonal of x's (axis1, axis2) planes, zeros elsewhere; broadcasts against x."""
    shape = list(np.shape(x))
    ndim = len(shape)
    a1, a2 = axis1 % ndim, axis2 % ndim
    mask = np.eye(shape[a1], shape[a2], k=offset, dtype=_float_dtype(x))
    if a1 > a2:
        mask = mask.T
    target = [1] * ndim
    target[a1], target[a2] = shape[a1], shape[a2]
    return np.reshape(mask, target)


@primitive
def any_condition(condlist: Any) -> np.ndarray:
    """Where any condition of `np.select(condlist, ...)` holds."""
    return np.logical_or.reduce(np.broadcast_arrays(*condlist)) if len(condlist) else np.False_


@primitive
def median_weights(x: Any, axis: int | None = None) -> np.ndarray:
    """Weights, shaped like x, that `np.median` puts on each element (1, or 1/2 each for two middles)."""
    x = np.asarray(x)
    moved = np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    order = np.argsort(moved, axis=-1, kind="stable")
    weights = np.zeros(moved.shape, dtype=_float_dtype(x))
    middle = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    for k in middle:
        np.put_along_axis(weights, order[..., k : k + 1], 1.0 / len(middle), axis=-1)
    return np.reshape(weights, x.shape) if axis is None else np.moveaxis(weights, -1, axis)


# --- rank adapters (linear: each one's rule is the other) ---------------------------


@primitive
def as_columns(v: Any, b: Any) -> Any:
    """`v` as a stack of column matrices when `b` (the right side of a solve) is a vector."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


@primitive
def from_columns(v: Any, b: Any) -> Any:
    """Undo `as_columns`."""
    return v[..., 0] if np.ndim(b) == 1 else v


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


# --- cumulative products --------------------------------------------------------------


@primitive
def cumprod_grad(ct: Any, x: Any, axis: int | None) -> Any:
    """The cotangent of x in `np.cumprod(x, axis)`, exact where x has zeros, in O(n).

    g_k = P_{k-1} · S_k, with P the exclusive running product and S_k = ct_k + x_{k+1} S_{k+1}.
    """
    x = np.asarray(x)
    xm = np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)
    ctm = np.asarray(ct) if axis is None else np.moveaxis(ct, axis, -1)
    n = xm.shape[-1]
    grad = np.zeros(np.broadcast_shapes(xm.shape, ctm.shape), dtype=_float_dtype(x, ct))
    if n:
        exclusive = np.cumprod(np.concatenate([np.ones_like(xm[..., :1]), xm[..., :-1]], axis=-1), axis=-1)
        s = ctm[..., n - 1]
        grad[..., n - 1] = exclusive[..., n - 1] * s
        for k in range(n - 2, -1, -1):
            s = ctm[..., k] + xm[..., k + 1] * s
            grad[..., k] = exclusive[..., k] * s
    return np.reshape(grad, x.shape) if axis is None else np.moveaxis(grad, -1, axis)


@primitive
def cumprod_jvp(v: Any, x: Any, axis: int | None) -> Any:
    """The change of `np.cumprod(x, axis)` along a direction v: D_j = D_{j-1} x_j + P_{j-1} v_j."""
    x = np.asarray(x)
    xm = np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)
    vm = np.ravel(v) if axis is None else np.moveaxis(v, axis, -1)
    n = xm.shape[-1]
    out = np.zeros(np.broadcast_shapes(xm.shape, vm.shape), dtype=_float_dtype(x, v))
    d = np.zeros(out.shape[:-1], dtype=out.dtype)
    p = np.ones(xm.shape[:-1], dtype=out.dtype)
    for j in range(n):
        d = d * xm[..., j] + p * vm[..., j]
        p = p * xm[..., j]
        out[..., j] = d
    return out if axis is None else np.moveaxis(out, -1, axis)


# --- contractions ---------------------------------------------------------------------


def _tensordot_axes(a_ndim: int, b_ndim: int, axes: Any) -> tuple[list[int], list[int]]:
    """Contracted axes of a and b; axes="inner" is np.inner's (the last of each, none for a scalar)."""
    if isinstance(axes, str):
        return ([a_ndim - 1], [b_ndim - 1]) if a_ndim and b_ndim else ([], [])
    if isinstance(axes, (int, np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    return [int(a) % a_ndim for a in a_axes], [int(b) % b_ndim for b in b_axes]


@primitive
def tensordot_grad_a(ct: Any, a: Any, b: Any, axes: Any) -> Any:
    """The cotangent of a in `np.tensordot(a, b, axes)` (axes="inner": in `np.inner(a, b)`)."""
    a_axes, b_axes = _tensordot_axes(np.ndim(a), np.ndim(b), axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    grad = np.tensordot(ct, b, axes=(list(range(len(a_free), np.ndim(ct))), b_free))
    order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    return np.transpose(grad, np.argsort(order)) if order else grad


@primitive
def tensordot_grad_b(ct: Any, a: Any, b: Any, axes: Any) -> Any:
    """The cotangent of b in `np.tensordot(a, b, axes)` (axes="inner": in `np.inner(a, b)`)."""
    a_axes, b_axes = _tensordot_axes(np.ndim(a), np.ndim(b), axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    grad = np.tensordot(a, ct, axes=(a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return np.transpose(grad, np.argsort(order)) if order else grad


def _kron_shapes(a: Any, b: Any) -> tuple[tuple, tuple, tuple]:
    nd = max(np.ndim(a), np.ndim(b))
    a_shape = (1,) * (nd - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (nd - np.ndim(b)) + np.shape(b)
    return a_shape, b_shape, tuple(s for pair in zip(a_shape, b_shape) for s in pair)


@primitive
def kron_grad_a(ct: Any, a: Any, b: Any) -> Any:
    """The cotangent of a in `np.kron(a, b)`."""
    a_shape, b_shape, blocks = _kron_shapes(a, b)
    nd = len(a_shape)
    grad = np.tensordot(np.reshape(ct, blocks), np.reshape(b, b_shape), axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
    return np.reshape(grad, np.shape(a))


@primitive
def kron_grad_b(ct: Any, a: Any, b: Any) -> Any:
    """The cotangent of b in `np.kron(a, b)`."""
    a_shape, b_shape, blocks = _kron_shapes(a, b)
    nd = len(a_shape)
    grad = np.tensordot(np.reshape(a, a_shape), np.reshape(ct, blocks), axes=(list(range(nd)), list(range(0, 2 * nd, 2))))
    return np.reshape(grad, np.shape(b))


# --- scatters: the transposes of gathers ------------------------------------------------


@primitive
def diagonal_grad(ct: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The cotangent of x in `np.diagonal(x, offset, axis1, axis2)`: ct written onto that diagonal."""
    grad = np.zeros(np.shape(x), dtype=_float_dtype(x, ct))
    planes = np.moveaxis(grad, (axis1, axis2), (-2, -1))  # a view: writes land in grad
    k = np.shape(ct)[-1]
    rows = np.arange(k) + max(-offset, 0)
    planes[..., rows, rows + offset] = ct
    return grad


@primitive
def diag_grad(ct: Any, v: Any, k: int = 0) -> Any:
    """The cotangent of v in `np.diag(v, k)` (a 1-D v builds a matrix, a 2-D v gives its diagonal)."""
    if np.ndim(v) == 1:
        return np.diag(ct, k)
    return diagonal_grad(ct, v, k)


@primitive
def tile_grad(ct: Any, x: Any, reps: Any) -> Any:
    """The cotangent of x in `np.tile(x, reps)`: the tiles summed."""
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    nd = max(np.ndim(x), len(reps))
    x_shape = (1,) * (nd - np.ndim(x)) + np.shape(x)
    reps = (1,) * (nd - len(reps)) + reps
    blocks = np.reshape(ct, tuple(s for pair in zip(reps, x_shape) for s in pair))
    return np.reshape(np.sum(blocks, axis=tuple(range(0, 2 * nd, 2))), np.shape(x))


def _scatter_add(ct: Any, x: Any, axis: int | None, index: Any) -> Any:
    """Add the slices of ct (taken along `axis` at positions `index`) into zeros shaped like x."""
    shape = (np.size(x),) if axis is None else np.shape(x)
    axis = 0 if axis is None else axis % len(shape)
    grad = np.zeros(shape, dtype=_float_dtype(x, ct))
    index = np.asarray(index)
    slices = np.moveaxis(ct, list(range(axis, axis + index.ndim)), list(range(index.ndim)))
    np.add.at(np.moveaxis(grad, axis, 0), index, slices)
    return np.reshape(grad, np.shape(x))


@primitive
def repeat_grad(ct: Any, x: Any, repeats: Any, axis: int | None = None) -> Any:
    """The cotangent of x in `np.repeat(x, repeats, axis)`: each element's copies summed."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    return _scatter_add(ct, x, axis, np.repeat(np.arange(n), repeats))


@primitive
def take_grad(ct: Any, x: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Any:
    """The cotangent of x in `np.take(x, indices, axis, mode=mode)`; repeated indices add up."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    index = np.asarray(indices)
    index = np.clip(index, 0, n - 1) if mode == "clip" else index % n
    return _scatter_add(ct, x, axis, index)


@primitive
def scatter_along_axis(ct: Any, x: Any, indices: Any, axis: int | None) -> Any:
    """The cotangent of x in `np.take_along_axis(x, indices, axis)`; repeated indices add up."""
    if axis is None:
        return take_grad(ct, x, indices, None)
    shape = np.shape(x)
    ct = np.asarray(ct)
    axis = axis % len(shape)
    index = []
    for d, n in enumerate(ct.shape):
        grid_shape = [1] * ct.ndim
        grid_shape[d] = n
        if d == axis:
            index.append(np.broadcast_to(np.asarray(indices) % shape[axis], ct.shape))
        else:
            grid = np.arange(n) if shape[d] == n else np.zeros(n, dtype=int)
            index.append(np.reshape(grid, grid_shape))
    grad = np.zeros(shape, dtype=_float_dtype(x, ct))
    np.add.at(grad, tuple(index), ct)
    return grad


@primitive
def delete_grad(ct: Any, x: Any, obj: Any, axis: int | None = None) -> Any:
    """The cotangent of x in `np.delete(x, obj, axis)`: ct where x was kept, zeros where deleted."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    return _scatter_add(ct, x, axis, np.delete(np.arange(n), obj))


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
    return _scatter_add(np.asarray(ct)[copied], x, None, padded[copied])


@primitive
def rollaxis_grad(ct: Any, x: Any, axis: int, start: int = 0) -> Any:
    """The cotangent of x in `np.rollaxis(x, axis, start)`: the axis moved back."""
    ndim = np.ndim(x)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    return np.moveaxis(ct, start - 1 if start > axis else start, axis)


# --- sequences of arrays --------------------------------------------------------------

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
def select_grad(ct: Any, condlist: Any, choicelist: Any) -> tuple:
    """The cotangents of the choices in `np.select(condlist, choicelist)`: the first true condition wins."""
    taken = np.zeros(np.shape(ct), dtype=bool)
    grads = []
    for condition, choice in zip(condlist, choicelist):
        chosen = np.logical_and(condition, np.logical_not(taken))
        grads.append(unbroadcast(np.where(chosen, ct, np.zeros_like(ct)), choice))
        taken = np.logical_or(taken, condition)
    return tuple(grads)


@primitive
def choose_grad(ct: Any, a: Any, choices: Any, mode: str = "raise") -> tuple:
    """The cotangents of the choices in `np.choose(a, choices, mode=mode)`."""
    n = len(choices)
    index = np.asarray(a)
    index = np.clip(index, 0, n - 1) if mode == "clip" else index % n
    return tuple(unbroadcast(np.where(index == i, ct, np.zeros_like(ct)), c) for i, c in enumerate(choices))


@primitive
def sequence_vjp(u: Any, xs: Any) -> Any:
    """The transpose of `sequence_grad(ct, xs)`: the items' cotangents stacked back into one array."""
    return np.asarray(u) if isinstance(xs, (list, tuple)) else u
