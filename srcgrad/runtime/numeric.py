"""Run-time helpers for NaN-safe arithmetic and products: a zero cotangent wins over an infinite
slope (`safe_div`, `safe_mul`, `select`/`reject`), exact gradients of products with zeros in them,
and the weights of median-like reductions. See docs/nan-policy.md."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import expand_reduced, float_dtype, primitive


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
def cumprod_grad(ct: Any, x: Any, axis: int | None) -> Any:
    """The cotangent of x in `np.cumprod(x, axis)`, exact where x has zeros, in O(n).

    g_k = P_{k-1} · S_k, with P the exclusive running product and S_k = ct_k + x_{k+1} S_{k+1}.
    """
    x = np.asarray(x)
    xm = np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)
    ctm = np.asarray(ct) if axis is None else np.moveaxis(ct, axis, -1)
    n = xm.shape[-1]
    grad = np.zeros(np.broadcast_shapes(xm.shape, ctm.shape), dtype=float_dtype(x, ct))
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
    out = np.zeros(np.broadcast_shapes(xm.shape, vm.shape), dtype=float_dtype(x, v))
    d = np.zeros(out.shape[:-1], dtype=out.dtype)
    p = np.ones(xm.shape[:-1], dtype=out.dtype)
    for j in range(n):
        d = d * xm[..., j] + p * vm[..., j]
        p = p * xm[..., j]
        out[..., j] = d
    return out if axis is None else np.moveaxis(out, -1, axis)


@primitive
def median_weights(x: Any, axis: int | None = None) -> np.ndarray:
    """Weights, shaped like x, that `np.median` puts on each element (1, or 1/2 each for two middles)."""
    x = np.asarray(x)
    moved = np.ravel(x) if axis is None else np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    order = np.argsort(moved, axis=-1, kind="stable")
    weights = np.zeros(moved.shape, dtype=float_dtype(x))
    middle = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    for k in middle:
        np.put_along_axis(weights, order[..., k : k + 1], 1.0 / len(middle), axis=-1)
    return np.reshape(weights, x.shape) if axis is None else np.moveaxis(weights, -1, axis)
