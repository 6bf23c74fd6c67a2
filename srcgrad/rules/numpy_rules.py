"""VJP rules for NumPy functions: one entry per callee, written as the math.

`ct` is the output's cotangent, `out` the primal output; the other names
follow the formula. Rules run on `Sym`s, so `np.cos(x)` here builds IR.
"""

from __future__ import annotations

import numpy as np

from ..runtime.core import broadcast_like, expand_like, expand_reduced, unbroadcast, unbroadcast_to
from ..runtime.indexing import add_at, getitem_grad, getitem_grad_to
from ..runtime.linalg import dot_grad_x, dot_grad_y, matmul_grad_x, matmul_grad_y
from ..runtime.numeric import prod_grad, reject, safe_div, safe_log, safe_mul, select
from ..runtime.core import Symbolic
from ..runtime.shapes import concatenate_grad, linspace_fraction, reshape_grad, reshape_like, sequence_grad, unstack
from .registry import defvjp, nondifferentiable, refuse, vjp_rule, zero_vjp

# --- elementwise arithmetic --------------------------------------------------
defvjp(np.add, lambda ct, out, x, y: unbroadcast(ct, x), lambda ct, out, x, y: unbroadcast(ct, y))
defvjp(np.subtract, lambda ct, out, x, y: unbroadcast(ct, x), lambda ct, out, x, y: unbroadcast(-ct, y))
defvjp(np.multiply, lambda ct, out, x, y: unbroadcast(ct * y, x), lambda ct, out, x, y: unbroadcast(ct * x, y))
defvjp(
    np.divide,
    lambda ct, out, x, y: unbroadcast(safe_div(ct, y), x),
    lambda ct, out, x, y: unbroadcast(-safe_div(safe_div(ct, y) * x, y), y),  # finite where ct is 0
)
defvjp(np.negative, lambda ct, out, x: -ct)
defvjp(np.positive, lambda ct, out, x: ct)


def power_base(ct, out, x, y):  # type: ignore[no-untyped-def]
    """d(x ** y)/dx = y * x ** (y - 1); a constant exponent is folded, so x ** 2 stays finite in every order."""
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        if y == 0:
            return None
        if y == 1:
            return ct
        if y == 2:
            return unbroadcast(ct * 2 * x, x)
        if y > 1 and float(y).is_integer():
            return unbroadcast(ct * y * x ** (y - 1), x)
        return unbroadcast(safe_mul(ct, y * x ** (y - 1)), x)  # the slope is infinite at x = 0
    return unbroadcast(safe_mul(ct, y * x ** (y - 1)), x)


def power_exponent(ct, out, x, y):  # type: ignore[no-untyped-def]
    """d(x ** y)/dy = x ** y * log(x), taken as 0 where x <= 0 (as TensorFlow does)."""
    return unbroadcast(ct * out * safe_log(x), y)


defvjp(np.power, power_base, power_exponent)
defvjp(np.float_power, power_base, power_exponent)
defvjp(np.square, lambda ct, out, x: ct * 2 * x)
defvjp(np.sqrt, lambda ct, out, x: safe_div(ct, 2 * out))
defvjp(np.exp, lambda ct, out, x: ct * out)
defvjp(np.log, lambda ct, out, x: safe_div(ct, x))
defvjp(np.sin, lambda ct, out, x: ct * np.cos(x))
defvjp(np.cos, lambda ct, out, x: -ct * np.sin(x))
defvjp(np.tan, lambda ct, out, x: ct * (1 + out * out))
defvjp(np.tanh, lambda ct, out, x: ct * (1 - out * out))
defvjp(np.abs, lambda ct, out, x: ct * np.sign(x))  # abs'(0) = 0, as TensorFlow
defvjp(
    np.maximum,  # ties send the whole gradient to the first argument
    lambda ct, out, x, y: unbroadcast(select(x >= y, ct), x),
    lambda ct, out, x, y: unbroadcast(select(x < y, ct), y),
)
defvjp(
    np.minimum,
    lambda ct, out, x, y: unbroadcast(select(x <= y, ct), x),
    lambda ct, out, x, y: unbroadcast(select(x > y, ct), y),
)
defvjp(
    np.where,
    None,
    lambda ct, out, c, x, y: unbroadcast(select(c, ct), x),
    lambda ct, out, c, x, y: unbroadcast(reject(c, ct), y),
)

# --- reductions ---------------------------------------------------------------


def integer_dtype(dtype):  # type: ignore[no-untyped-def]
    """Whether a static `dtype=` makes the result integer: truncated, so no gradient flows."""
    return dtype is not None and not isinstance(dtype, Symbolic) and not np.issubdtype(np.dtype(dtype), np.inexact)


def _reduced(ct, axis, keepdims):  # type: ignore[no-untyped-def]
    return np.expand_dims(ct, axis) if axis is not None and not keepdims else ct


@vjp_rule(np.sum)
def sum_vjp(ct, out, x, axis=None, dtype=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """Every summed element gets the cotangent of its sum (`initial` adds a constant; elements
    `where` leaves out get none)."""
    if integer_dtype(dtype):
        return None
    grad = expand_like(_reduced(ct, axis, keepdims), x)
    return grad if where is None else select(where, grad)  # where broadcasts against x


@vjp_rule(np.mean)
def mean_vjp(ct, out, x, axis=None, dtype=None, _out=None, keepdims=False, *, where=None):  # type: ignore[no-untyped-def]
    """Like sum, divided by the number of elements averaged (per slice, with `where`)."""
    if integer_dtype(dtype):
        return None
    ct = _reduced(ct, axis, keepdims)
    if where is None:
        return expand_like(ct * (np.size(out) / np.size(x)), x)
    count = np.sum(select(where, np.ones_like(x)), axis=axis, keepdims=True)  # in x's dtype, as float32 needs
    return select(where, expand_like(safe_div(ct, count), x))


def _extremum_vjp(ct, out, x, axis=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """Tied extreme elements share the cotangent equally (TensorFlow, JAX, autograd); none of it
    goes to elements `where` leaves out, nor to x when `initial` is the extreme."""
    if axis is not None and not keepdims:
        out, ct = np.expand_dims(out, axis), np.expand_dims(ct, axis)
    hits = x == out
    if initial is None and where is None:
        return ct * hits / np.sum(hits, axis=axis, keepdims=True)
    if where is not None:
        hits = hits & where
    hits = select(hits, np.ones_like(x))
    return safe_div(ct * hits, np.sum(hits, axis=axis, keepdims=True))


for _extremum in (np.max, np.min, np.amax, np.amin) if np.amax is not np.max else (np.max, np.min):
    vjp_rule(_extremum)(_extremum_vjp)


@vjp_rule(np.prod)
def prod_vjp(ct, out, x, axis=None, dtype=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """The product of the other factors (exact where x has zeros), times `initial`; elements
    `where` leaves out count as ones and get no cotangent."""
    if integer_dtype(dtype):
        return None
    if initial is not None:
        ct = ct * initial
    if where is None:
        return prod_grad(ct, x, axis, keepdims)
    return select(where, prod_grad(ct, np.where(where, x, np.ones_like(x)), axis, keepdims))


# --- linear algebra -----------------------------------------------------------
defvjp(np.dot, lambda ct, out, x, y: dot_grad_x(ct, x, y), lambda ct, out, x, y: dot_grad_y(ct, x, y))
defvjp(np.matmul, lambda ct, out, x, y: matmul_grad_x(ct, x, y), lambda ct, out, x, y: matmul_grad_y(ct, x, y))

# --- shapes -------------------------------------------------------------------


@vjp_rule(np.transpose)
def transpose_vjp(ct, out, x, axes=None):  # type: ignore[no-untyped-def]
    """Transpose back with the inverse permutation."""
    if axes is None:
        return np.transpose(ct)
    return np.transpose(ct, tuple(int(i) for i in np.argsort(axes)))


def reorder_grad(ct, x, order):  # type: ignore[no-untyped-def]
    """The cotangent of x in `np.reshape(x, shape, order)` or `np.ravel(x, order)`: ct put back in
    the order x was read ('A' and 'K' depend on x's layout, known at run time)."""
    if order is None or order in ("C", "c"):
        return np.reshape(ct, np.shape(x))
    if order in ("F", "f"):
        return np.reshape(ct, np.shape(x), order="F")
    return reshape_grad(ct, x, order)


defvjp(np.reshape, lambda ct, out, x, shape=None, order="C", *, copy=None: reorder_grad(ct, x, order))
defvjp(np.expand_dims, lambda ct, out, x, axis: np.reshape(ct, np.shape(x)))
defvjp(np.squeeze, lambda ct, out, x, axis=None: np.reshape(ct, np.shape(x)))
defvjp(np.ravel, lambda ct, out, x, order="C": reorder_grad(ct, x, order))
defvjp(np.copy, lambda ct, out, x, *args, **kwargs: ct)
defvjp(np.broadcast_to, lambda ct, out, x, shape: unbroadcast(ct, x))
defvjp(np.concatenate, lambda ct, out, xs, axis=0: concatenate_grad(ct, xs, axis))
defvjp(np.stack, lambda ct, out, xs, axis=0: unstack(ct, xs, axis))
defvjp(np.array, lambda ct, out, xs, dtype=None: None if integer_dtype(dtype) else sequence_grad(ct, xs))
defvjp(np.asarray, lambda ct, out, xs, dtype=None: None if integer_dtype(dtype) else sequence_grad(ct, xs))


# --- helpers that rules emit (so that gradients of gradients work) -------------
defvjp(unbroadcast, lambda ct, out, g, like: np.broadcast_to(ct, np.shape(g)))
defvjp(unbroadcast_to, lambda ct, out, g, shape: np.broadcast_to(ct, np.shape(g)))
defvjp(broadcast_like, lambda ct, out, t, like: unbroadcast(ct, t), None)
defvjp(select, None, lambda ct, out, c, g: select(c, ct))
defvjp(reject, None, lambda ct, out, c, g: reject(c, ct))
defvjp(
    safe_mul,
    lambda ct, out, a, d: unbroadcast(safe_mul(ct, d), a),
    lambda ct, out, a, d: unbroadcast(safe_mul(ct, a), d),
)
defvjp(
    safe_div,
    lambda ct, out, a, d: unbroadcast(safe_div(ct, d), a),
    lambda ct, out, a, d: unbroadcast(-safe_mul(safe_div(ct, d), out), d),
)
defvjp(expand_like, lambda ct, out, g, like: unbroadcast(ct, g))
defvjp(getitem_grad, lambda ct, out, g, x, index: ct[index])
defvjp(getitem_grad_to, lambda ct, out, g, shape, index: ct[index], None, None)
defvjp(add_at, lambda ct, out, acc, index, value: ct, None, lambda ct, out, acc, index, value: unbroadcast(ct[index], value))
defvjp(expand_reduced, lambda ct, out, g, x, axis, keepdims: np.reshape(ct, np.shape(g)))
defvjp(reshape_grad, lambda ct, out, g, x, order="C": reshape_like(ct, g, x, order), None, None)
defvjp(reshape_like, lambda ct, out, v, like, x, order="C": reshape_grad(ct, x, order), None, None, None)

# --- constructors whose values come from differentiable arguments ----------------------------
defvjp(
    np.full,
    None,
    lambda ct, out, shape, fill_value, dtype=None, order="C", **kwargs:
        None if integer_dtype(dtype) else unbroadcast(ct, fill_value),
)
defvjp(
    np.full_like,
    None,
    lambda ct, out, x, fill_value, dtype=None, order="K", subok=True, shape=None, **kwargs:
        None if integer_dtype(dtype) else unbroadcast(ct, fill_value),
)


def _linspace_vjp(ct, out, start, stop, num, endpoint, retstep, dtype, axis, weight):  # type: ignore[no-untyped-def]
    if retstep:
        refuse(ct, "no derivative rule for np.linspace with retstep=True", "compute the step as (stop - start) / (num - 1)")
    if integer_dtype(dtype):
        return None
    return np.sum(ct * weight(linspace_fraction(out, endpoint, axis)), axis=axis)


defvjp(
    np.linspace,  # out = start + (stop - start) * t, with t evenly spaced in [0, 1] along `axis`
    lambda ct, out, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None:
        _unbroadcast_some(_linspace_vjp(ct, out, start, stop, num, endpoint, retstep, dtype, axis, lambda t: 1 - t), start),
    lambda ct, out, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None:
        _unbroadcast_some(_linspace_vjp(ct, out, start, stop, num, endpoint, retstep, dtype, axis, lambda t: t), stop),
)


def _unbroadcast_some(ct, like):  # type: ignore[no-untyped-def]
    return None if ct is None else unbroadcast(ct, like)

# --- functions with no derivative -----------------------------------------------
nondifferentiable(linspace_fraction)
zero_vjp(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc)
defvjp(safe_log, lambda ct, out, x: select(x > 0, safe_div(ct, x)))  # log's slope where it is taken, else 0
nondifferentiable(
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort,
    np.isnan, np.isinf, np.isfinite,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not,
    np.zeros_like, np.ones_like, np.empty_like, np.zeros, np.ones, np.arange, np.eye,
    np.result_type, np.broadcast_shapes,
)  # fmt: skip
