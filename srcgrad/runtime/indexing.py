"""Run-time helpers for indexing: the cotangents of reads (`x[i]`, take, choose, select) scattered
back into zeros, and of writes (`x[i] = v`), where a repeated position keeps only its last write."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import add_seq, float_dtype, primitive, unbroadcast, zeros_like_items


def _is_basic_index(index: Any) -> bool:
    if isinstance(index, tuple):
        return all(_is_basic_index(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (int, np.integer, slice))


@primitive
def getitem_grad_to(ct: Any, shape: tuple, index: Any) -> Any:
    """`getitem_grad` for an array known only by its shape (what a loop tapes when the
    reverse sweep needs nothing else of it)."""
    grad = np.zeros(shape, dtype=np.result_type(ct))
    if _is_basic_index(index):
        grad[index] = ct
    else:
        np.add.at(grad, index, ct)
    return grad


@primitive
def getitem_grad(ct: Any, x: Any, index: Any) -> Any:
    """The cotangent of `x` from `x[index]`: `ct` scattered into zeros (repeated indices add up)."""
    if isinstance(x, dict):  # a dict of parameters: a dict of cotangents
        grads_of = {key: zeros_like_items(value) for key, value in x.items()}
        grads_of[index] = ct
        return grads_of
    if isinstance(x, (tuple, list)):  # items may be lists, tuples or dicts themselves (a parameter tree)
        grads = [zeros_like_items(item) for item in x]
        grads[index] = ct
        return tuple(grads) if isinstance(x, tuple) else grads
    grad = np.zeros_like(x, dtype=np.result_type(x, ct))
    if _is_basic_index(index):
        grad[index] = ct
    else:
        np.add.at(grad, index, ct)
    return grad


def _landed(shape: tuple, index: Any) -> Any:
    """For `x[index] = value` (x of this shape) with an advanced index: which written elements
    land (a repeated position keeps only its last write, as NumPy assigns)."""
    size = int(np.prod(shape))
    positions = np.arange(size).reshape(shape)[index]
    flat = np.ravel(positions)
    order = np.arange(flat.size)
    last = np.full(size, -1)
    last[flat] = order
    return (last[flat] == order).reshape(np.shape(positions))


@primitive
def written_grad(ct: Any, x: Any, index: Any) -> Any:
    """The cotangent of the value written by `x[index] = value`: `ct` where it landed, 0 where a
    later write to the same position overwrote it."""
    return written_grad_to(ct, None if _is_basic_index(index) else np.shape(x), index)


@primitive
def written_grad_to(ct: Any, shape: tuple | None, index: Any) -> Any:
    """`written_grad` for an array known only by its shape (None: a basic index, no shape needed)."""
    if _is_basic_index(index):
        return ct[index]
    return np.where(_landed(shape, index), ct[index], np.zeros_like(ct[index]))


@primitive
def written_grad_vjp(g: Any, ct: Any, shape: tuple | None, index: Any) -> Any:
    """The reverse of `written_grad_to`: `g` put back at the positions whose write landed."""
    out = np.zeros_like(ct, dtype=np.result_type(ct, g))
    if _is_basic_index(index):
        out[index] = g
    else:
        out[index] = np.where(_landed(shape, index), g, np.zeros_like(g))
    return out


@primitive
def add_at(acc: Any, index: Any, value: Any) -> Any:
    """`acc[index] += value` in place (repeated indices add up, as np.add.at); returns `acc`.
    Only ever given an accumulator that nothing else holds (see transforms/write_in_place.py)."""
    if isinstance(acc, (list, tuple, dict)):
        return add_seq(acc, getitem_grad(value, acc, index))
    if not isinstance(acc, np.ndarray) or acc.dtype != np.result_type(acc, value):
        return acc + getitem_grad(value, acc, index)
    if _is_basic_index(index):
        acc[index] += value
    else:
        np.add.at(acc, index, value)
    return acc


def scatter_add(ct: Any, x: Any, axis: int | None, index: Any) -> Any:
    """Add the slices of ct (taken along `axis` at positions `index`) into zeros shaped like x."""
    shape = (np.size(x),) if axis is None else np.shape(x)
    axis = 0 if axis is None else axis % len(shape)
    grad = np.zeros(shape, dtype=float_dtype(x, ct))
    index = np.asarray(index)
    slices = np.moveaxis(ct, list(range(axis, axis + index.ndim)), list(range(index.ndim)))
    np.add.at(np.moveaxis(grad, axis, 0), index, slices)
    return np.reshape(grad, np.shape(x))


@primitive
def take_grad(ct: Any, x: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Any:
    """The cotangent of x in `np.take(x, indices, axis, mode=mode)`; repeated indices add up."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    index = np.asarray(indices)
    index = np.clip(index, 0, n - 1) if mode == "clip" else index % n
    return scatter_add(ct, x, axis, index)


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
    grad = np.zeros(shape, dtype=float_dtype(x, ct))
    np.add.at(grad, tuple(index), ct)
    return grad


@primitive
def delete_grad(ct: Any, x: Any, obj: Any, axis: int | None = None) -> Any:
    """The cotangent of x in `np.delete(x, obj, axis)`: ct where x was kept, zeros where deleted."""
    n = np.size(x) if axis is None else np.shape(x)[axis]
    return scatter_add(ct, x, axis, np.delete(np.arange(n), obj))


@primitive
def choose_grad(ct: Any, a: Any, choices: Any, mode: str = "raise") -> tuple:
    """The cotangents of the choices in `np.choose(a, choices, mode=mode)`."""
    n = len(choices)
    index = np.asarray(a)
    index = np.clip(index, 0, n - 1) if mode == "clip" else index % n
    return tuple(unbroadcast(np.where(index == i, ct, np.zeros_like(ct)), c) for i, c in enumerate(choices))


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
def any_condition(condlist: Any) -> np.ndarray:
    """Where any condition of `np.select(condlist, ...)` holds."""
    return np.logical_or.reduce(np.broadcast_arrays(*condlist)) if len(condlist) else np.False_
