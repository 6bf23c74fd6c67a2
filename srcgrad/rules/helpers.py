"""Run-time helpers that derivative rules emit into generated code.

Each is small, plain NumPy. Those whose behaviour depends on run-time ranks
(`dot`, `matmul`) or index kinds live here rather than in a rule, so that the
rule stays one readable line and the helper stays correct for every rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitives import primitive, unbroadcast, unbroadcast_to

__all__ = [
    "unbroadcast",
    "unbroadcast_to",
    "expand_like",
    "linspace_fraction",
    "safe_div",
    "safe_mul",
    "safe_log",
    "select",
    "reject",
    "getitem_grad",
    "getitem_grad_to",
    "add_at",
    "written_grad",
    "written_grad_to",
    "written_grad_vjp",
    "dot_grad_x",
    "dot_grad_y",
    "matmul_grad_x",
    "matmul_grad_y",
    "concatenate_grad",
    "unstack",
    "sequence_grad",
    "prod_grad",
    "expand_reduced",
    "astype_like",
    "builtin_sum_grad",
    "gather_sum",
    "add_seq",
]


@primitive
def expand_like(ct: Any, like: Any) -> Any:
    """`ct` broadcast to the shape of `like`, as a new array (the cotangent of a reduction's input)."""
    shape = np.shape(like)
    ct_shape = np.shape(ct)
    if ct_shape == shape:
        return ct
    if not ct_shape:  # a scalar: one fill
        return np.full(shape, ct, dtype=np.result_type(ct, like))
    out = np.empty(shape, dtype=np.result_type(ct, like))
    out[...] = ct
    return out


@primitive
def linspace_fraction(out: Any, endpoint: bool = True, axis: int = 0) -> Any:
    """Where each point of `np.linspace(start, stop, ...)`'s result lies from start (0) to stop (1),
    shaped to broadcast against the result."""
    n = np.shape(out)[axis]
    t = np.arange(n) / max(n - 1 if endpoint else n, 1)
    shape = [1] * np.ndim(out)
    shape[axis] = n
    return np.reshape(t, shape)


@primitive
def safe_div(ct: Any, d: Any) -> Any:
    """`ct / d`, but exactly 0 where `ct` is 0: a zero cotangent wins over an infinite slope."""
    if type(d) in (int, float) and d != 0:
        return ct / d
    if d.all() if isinstance(d, np.ndarray) else np.all(d != 0):  # no zero divisor: plain division
        return ct / d
    with np.errstate(divide="ignore", invalid="ignore"):
        q = ct / d
    return np.where(ct == 0, np.zeros_like(q), q)


@primitive
def safe_mul(ct: Any, d: Any) -> Any:
    """`ct * d`, but exactly 0 where `ct` is 0, even where `d` is infinite."""
    with np.errstate(invalid="ignore"):
        product = ct * d
    if np.all(np.isfinite(d)):
        return product
    return np.where(ct == 0, np.zeros_like(product), product)


@primitive
def safe_log(x: Any) -> Any:
    """log(x) where x > 0, else 0 (the exponent's partial of x ** y, as TensorFlow takes it)."""
    positive = x > 0
    return np.log(np.where(positive, x, np.ones_like(x))) * positive


@primitive
def select(condition: Any, ct: Any) -> Any:
    """`ct` where `condition` holds, exact zeros elsewhere."""
    return np.where(condition, ct, np.zeros_like(ct))


@primitive
def reject(condition: Any, ct: Any) -> Any:
    """`ct` where `condition` does not hold, exact zeros elsewhere."""
    return np.where(condition, np.zeros_like(ct), ct)


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
        grads_of = {key: np.zeros_like(value) for key, value in x.items()}
        grads_of[index] = ct
        return grads_of
    if isinstance(x, (tuple, list)):
        grads = [np.zeros_like(item) for item in x]
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
    if not isinstance(acc, np.ndarray) or acc.dtype != np.result_type(acc, value):
        return acc + getitem_grad(value, acc, index)
    if _is_basic_index(index):
        acc[index] += value
    else:
        np.add.at(acc, index, value)
    return acc


@primitive
def dot_grad_x(ct: Any, x: Any, y: Any) -> Any:
    """The cotangent of `x` in `np.dot(x, y)`, for every rank of `x` and `y` up to 2-D `y`."""
    x_ndim, y_ndim = np.ndim(x), np.ndim(y)
    if x_ndim == 0 or y_ndim == 0:
        return unbroadcast(ct * y, x)
    if y_ndim == 1:
        return np.multiply.outer(ct, y) if x_ndim > 1 else ct * y
    if y_ndim == 2:
        return np.dot(ct, np.transpose(y))
    raise NotImplementedError("the gradient of np.dot with a second operand of rank > 2; use np.matmul or np.einsum")


@primitive
def dot_grad_y(ct: Any, x: Any, y: Any) -> Any:
    """The cotangent of `y` in `np.dot(x, y)`, for every rank of `x` and `y` up to 2-D `y`."""
    x_ndim, y_ndim = np.ndim(x), np.ndim(y)
    if x_ndim == 0 or y_ndim == 0:
        return unbroadcast(ct * x, y)
    if y_ndim > 2:
        raise NotImplementedError("the gradient of np.dot with a second operand of rank > 2; use np.matmul or np.einsum")
    if x_ndim == 1:
        return ct * x if y_ndim == 1 else np.multiply.outer(x, ct)
    leading = list(range(x_ndim - 1))
    return np.tensordot(x, ct, axes=(leading, leading))


@primitive
def matmul_grad_x(ct: Any, x: Any, y: Any) -> Any:
    """The cotangent of `x` in `x @ y` (NumPy's matmul rules for 1-D operands and batches)."""
    x_ndim = x.ndim if isinstance(x, np.ndarray) else np.ndim(x)
    y_ndim = y.ndim if isinstance(y, np.ndarray) else np.ndim(y)
    if x_ndim == 2 and y_ndim == 2:
        return ct @ y.T
    if y_ndim == 1:
        grad = np.multiply.outer(ct, y) if x_ndim > 1 else ct * y
        return unbroadcast(grad, x)
    if x_ndim == 1:
        return unbroadcast(np.expand_dims(ct, -2) @ np.swapaxes(y, -1, -2), np.expand_dims(x, 0))[0]
    return unbroadcast(ct @ np.swapaxes(y, -1, -2), x)


@primitive
def matmul_grad_y(ct: Any, x: Any, y: Any) -> Any:
    """The cotangent of `y` in `x @ y`."""
    x_ndim = x.ndim if isinstance(x, np.ndarray) else np.ndim(x)
    y_ndim = y.ndim if isinstance(y, np.ndarray) else np.ndim(y)
    if x_ndim == 2 and y_ndim == 2:
        return x.T @ ct
    if x_ndim == 1:
        grad = np.multiply.outer(x, ct) if y_ndim > 1 else ct * x
        if y_ndim > 2:
            grad = np.moveaxis(grad, 0, -2)
        return unbroadcast(grad, y)
    if y_ndim == 1:
        return unbroadcast(np.swapaxes(x, -1, -2) @ np.expand_dims(ct, -1), np.expand_dims(y, -1))[..., 0]
    return unbroadcast(np.swapaxes(x, -1, -2) @ ct, y)


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


@primitive
def sequence_grad(ct: Any, xs: Any) -> Any:
    """The cotangents of the items of a (nested) list given to `np.array`."""
    if not isinstance(xs, (list, tuple)):
        return ct  # np.asarray(an_array): the identity
    grads = [ct[i] for i in range(len(xs))]
    return tuple(grads) if isinstance(xs, tuple) else grads


@primitive
def expand_reduced(ct: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduction's cotangent back the reduced axes, so it broadcasts against `x`."""
    if axis is None or keepdims:
        return ct
    return np.expand_dims(ct, axis)


@primitive
def prod_grad(ct: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The cotangent of `x` in `np.prod(x, axis)`: the product of the other factors,
    computed from exclusive cumulative products so zeros in `x` are handled exactly."""
    x = np.asarray(x)
    ct = expand_reduced(ct, x, axis, keepdims)
    if axis is None:
        flat = np.ravel(x)
        others = _exclusive_products(flat, 0)
        return np.broadcast_to(ct, x.shape) * np.reshape(others, x.shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(a % x.ndim for a in axes)
    moved = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim))
    merged = np.reshape(moved, moved.shape[: x.ndim - len(axes)] + (-1,))
    others = np.reshape(_exclusive_products(merged, -1), moved.shape)
    others = np.moveaxis(others, range(x.ndim - len(axes), x.ndim), axes)
    return ct * others


def _exclusive_products(x: np.ndarray, axis: int) -> np.ndarray:
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(np.concatenate([ones, x], axis=axis), axis=axis)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(x, axis=axis)], axis=axis), axis=axis), axis=axis)
    n = x.shape[axis]
    return np.take(left, range(n), axis=axis) * np.take(right, range(1, n + 1), axis=axis)


@primitive
def astype_like(ct: Any, x: Any) -> Any:
    """A cotangent cast back to the dtype of the value it belongs to."""
    dtype = np.result_type(x)
    if isinstance(x, float):
        return ct
    return np.asarray(ct).astype(dtype, copy=False)


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
def builtin_sum_grad(ct: Any, xs: Any) -> Any:
    """The cotangents of the items of `sum(xs)` (a list of values, or an array summed over axis 0)."""
    if isinstance(xs, (list, tuple)):
        grads = [unbroadcast(ct, x) for x in xs]
        return tuple(grads) if isinstance(xs, tuple) else grads
    return np.broadcast_to(ct, np.shape(xs))


@primitive
def add_seq(a: Any, b: Any) -> Any:
    """Add two cotangents that may be lists, tuples or dicts (item by item) or arrays."""
    if isinstance(a, dict):
        return {key: add_seq(a[key], b[key]) for key in a}
    if isinstance(a, (list, tuple)):
        items = [add_seq(x, y) for x, y in zip(a, b)]
        return tuple(items) if isinstance(a, tuple) else items
    return a + b
