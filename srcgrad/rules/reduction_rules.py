"""VJP rules for reductions and scans: var, std, the nan-reductions, ptp, median,
average, cumulative sums and products, diff, and the vector and matrix norms.

A reduction's cotangent gets its reduced axes back with `expand_reduced`, then
broadcasts against the input. Tied extremes split the cotangent equally (as
`np.max`'s rule does); `std` of a constant slice has gradient 0, not NaN.
Positional parameters named `out` in NumPy are `_out` here: `out` is the
primal result.
"""

from __future__ import annotations

import numpy as np

from ..runtime.core import expand_reduced, unbroadcast
from ..runtime.linalg import as_columns, eye_like, from_columns
from ..runtime.numeric import (
    cumprod_grad,
    cumprod_jvp,
    median_weights,
    prod_grad,
    reject,
    safe_div,
    select,
)
from ..runtime.shapes import merge_axes, split_axes, weights_like
from .numpy_rules import integer_dtype
from .registry import defvjp, lookup, nondifferentiable, refuse, vjp_rule


def _unsupported(ct, what, **options):  # type: ignore[no-untyped-def]
    given = [f"{name}=" for name, value in options.items() if value is not None]
    if given:
        refuse(ct, f"no derivative rule for {what} with {', '.join(given)}", "leave the option out")


def _slice_size(x, reduced):  # type: ignore[no-untyped-def]
    """How many elements of x went into each element of the reduced result."""
    return np.size(x) / np.size(reduced)


# --- moments ------------------------------------------------------------------------------


@vjp_rule(np.var)
def var_vjp(ct, out, x, axis=None, dtype=None, _out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):  # type: ignore[no-untyped-def]
    """2 (x - mean) / (N - ddof) per element."""
    _unsupported(ct, "np.var", where=where, mean=mean)
    ddof = ddof if correction is None else correction
    centred = x - np.mean(x, axis=axis, keepdims=True)
    return expand_reduced(ct, x, axis, keepdims) * centred * (2 / (_slice_size(x, out) - ddof))


@vjp_rule(np.std)
def std_vjp(ct, out, x, axis=None, dtype=None, _out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):  # type: ignore[no-untyped-def]
    """(x - mean) / ((N - ddof) std); 0 where the slice is constant (std = 0, x - mean = 0)."""
    _unsupported(ct, "np.std", where=where, mean=mean)
    ddof = ddof if correction is None else correction
    centred = x - np.mean(x, axis=axis, keepdims=True)
    scale = (_slice_size(x, out) - ddof) * expand_reduced(out, x, axis, keepdims)
    return safe_div(expand_reduced(ct, x, axis, keepdims) * centred, scale)


# --- NaN-skipping reductions: NaN elements get a zero cotangent -------------------------------


@vjp_rule(np.nansum)
def nansum_vjp(ct, out, x, axis=None, dtype=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """Like sum, skipping NaNs (`initial` adds a constant)."""
    _unsupported(ct, "np.nansum", where=where)
    if integer_dtype(dtype):
        return None
    return reject(np.isnan(x), np.broadcast_to(expand_reduced(ct, x, axis, keepdims), np.shape(x)))


def _not_nan_count(x, axis):  # type: ignore[no-untyped-def]
    """How many elements of each slice are not NaN, in x's dtype (an integer count would promote float32)."""
    return np.sum(reject(np.isnan(x), np.ones_like(x)), axis=axis, keepdims=True)


@vjp_rule(np.nanmean)
def nanmean_vjp(ct, out, x, axis=None, dtype=None, _out=None, keepdims=False, *, where=None):  # type: ignore[no-untyped-def]
    """Like mean, over the elements that are not NaN."""
    _unsupported(ct, "np.nanmean", where=where)
    ct = expand_reduced(ct, x, axis, keepdims)
    return reject(np.isnan(x), np.broadcast_to(ct / _not_nan_count(x, axis), np.shape(x)))


@vjp_rule(np.nanvar)
def nanvar_vjp(ct, out, x, axis=None, dtype=None, _out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):  # type: ignore[no-untyped-def]
    """Like var, over the elements that are not NaN."""
    _unsupported(ct, "np.nanvar", where=where, mean=mean)
    ddof = ddof if correction is None else correction
    centred = reject(np.isnan(x), x) - np.nanmean(x, axis=axis, keepdims=True)  # finite everywhere
    grad = expand_reduced(ct, x, axis, keepdims) * centred * 2 / (_not_nan_count(x, axis) - ddof)
    return reject(np.isnan(x), grad)


@vjp_rule(np.nanstd)
def nanstd_vjp(ct, out, x, axis=None, dtype=None, _out=None, ddof=0, keepdims=False, *, where=None, mean=None, correction=None):  # type: ignore[no-untyped-def]
    """Like std, over the elements that are not NaN."""
    _unsupported(ct, "np.nanstd", where=where, mean=mean)
    ddof = ddof if correction is None else correction
    centred = reject(np.isnan(x), x) - np.nanmean(x, axis=axis, keepdims=True)  # finite everywhere
    scale = (_not_nan_count(x, axis) - ddof) * expand_reduced(out, x, axis, keepdims)
    return reject(np.isnan(x), safe_div(expand_reduced(ct, x, axis, keepdims) * centred, scale))


@vjp_rule(np.nanprod)
def nanprod_vjp(ct, out, x, axis=None, dtype=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """Like prod with NaNs counted as ones; NaNs get no cotangent."""
    _unsupported(ct, "np.nanprod", initial=initial, where=where)
    if integer_dtype(dtype):
        return None
    nan = np.isnan(x)
    return reject(nan, prod_grad(ct, np.where(nan, np.ones_like(x), x), axis, keepdims))


def share_among_ties(ct, x, extreme, axis):  # type: ignore[no-untyped-def]
    """ct split equally among the elements equal to the (kept-dims) extreme of their slice."""
    hits = select(x == extreme, np.ones_like(x))  # 1 at a tie, in x's dtype
    return safe_div(ct * hits, np.sum(hits, axis=axis, keepdims=True))


@vjp_rule(np.nanmax)
def nanmax_vjp(ct, out, x, axis=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """Tied maxima share the cotangent; NaNs get none."""
    _unsupported(ct, "np.nanmax", initial=initial, where=where)
    extreme = expand_reduced(out, x, axis, keepdims)
    return share_among_ties(expand_reduced(ct, x, axis, keepdims), x, extreme, axis)


@vjp_rule(np.nanmin)
def nanmin_vjp(ct, out, x, axis=None, _out=None, keepdims=False, initial=None, where=None):  # type: ignore[no-untyped-def]
    """Tied minima share the cotangent; NaNs get none."""
    _unsupported(ct, "np.nanmin", initial=initial, where=where)
    extreme = expand_reduced(out, x, axis, keepdims)
    return share_among_ties(expand_reduced(ct, x, axis, keepdims), x, extreme, axis)


@vjp_rule(np.ptp)
def ptp_vjp(ct, out, x, axis=None, _out=None, keepdims=False):  # type: ignore[no-untyped-def]
    """max - min: tied maxima share +ct, tied minima share -ct."""
    ct = expand_reduced(ct, x, axis, keepdims)
    highest = share_among_ties(ct, x, np.max(x, axis=axis, keepdims=True), axis)
    lowest = share_among_ties(ct, x, np.min(x, axis=axis, keepdims=True), axis)
    return highest - lowest


@vjp_rule(np.median)
def median_vjp(ct, out, x, axis=None, _out=None, overwrite_input=False, keepdims=False):  # type: ignore[no-untyped-def]
    """The middle element (or the two middle ones, half each) gets the cotangent."""
    if axis is not None and not isinstance(axis, int):
        refuse(ct, "no derivative rule for np.median over several axes", "move the axes together and reshape them into one first")
    return expand_reduced(ct, x, axis, keepdims) * median_weights(x, axis)


# --- weighted average -----------------------------------------------------------------------


def _average_parts(ct, out, returned):  # type: ignore[no-untyped-def]
    """(cotangent of the average, the average, cotangent of the weight sum or None)."""
    return (ct[0], out[0], ct[1]) if returned else (ct, out, None)


@vjp_rule(np.average, argnum=0)
def average_vjp_a(ct, out, a, axis=None, weights=None, returned=False, *, keepdims=False):  # type: ignore[no-untyped-def]
    """w / sum(w) per element (1 / N without weights)."""
    ct_avg, avg, _ = _average_parts(ct, out, returned)
    ct_avg = expand_reduced(ct_avg, a, axis, keepdims)
    if weights is None:
        return np.broadcast_to(ct_avg * (np.size(avg) / np.size(a)), np.shape(a))
    w = weights_like(weights, a, axis)
    return np.broadcast_to(ct_avg * w / np.sum(w, axis=axis, keepdims=True), np.shape(a))


@vjp_rule(np.average, argnum=2)
def average_vjp_weights(ct, out, a, axis=None, weights=None, returned=False, *, keepdims=False):  # type: ignore[no-untyped-def]
    """(a - average) / sum(w) per weight, plus the weight sum's own cotangent."""
    ct_avg, avg, ct_sum = _average_parts(ct, out, returned)
    w = weights_like(weights, a, axis)
    centred = a - expand_reduced(avg, a, axis, keepdims)
    grad = expand_reduced(ct_avg, a, axis, keepdims) * centred / np.sum(w, axis=axis, keepdims=True)
    if ct_sum is not None:
        grad = grad + expand_reduced(ct_sum, a, axis, keepdims)
    return np.reshape(unbroadcast(np.broadcast_to(grad, np.shape(a)), w), np.shape(weights))


# --- scans --------------------------------------------------------------------------------------


def _reverse_cumsum(ct, axis):  # type: ignore[no-untyped-def]
    return np.flip(np.cumsum(np.flip(ct, axis), axis), axis)


@vjp_rule(np.cumsum)
def cumsum_vjp(ct, out, x, axis=None, dtype=None, _out=None):  # type: ignore[no-untyped-def]
    """Each element reaches every later partial sum: a reversed cumulative sum."""
    if integer_dtype(dtype):
        return None
    if axis is None:
        return np.reshape(_reverse_cumsum(ct, 0), np.shape(x))
    return _reverse_cumsum(ct, axis)


@vjp_rule(np.nancumsum)
def nancumsum_vjp(ct, out, x, axis=None, dtype=None, _out=None):  # type: ignore[no-untyped-def]
    """Like cumsum; NaNs (counted as zeros) get no cotangent."""
    return None if integer_dtype(dtype) else reject(np.isnan(x), cumsum_vjp(ct, out, x, axis))


@vjp_rule(np.cumulative_sum)
def cumulative_sum_vjp(ct, out, x, *, axis=None, dtype=None, out_=None, include_initial=False):  # type: ignore[no-untyped-def]
    """cumsum's rule; the leading initial zero (include_initial) has no input."""
    if integer_dtype(dtype):
        return None
    axis = 0 if axis is None else axis
    if include_initial:
        ct = np.delete(ct, 0, axis=axis)
    return _reverse_cumsum(ct, axis)


@vjp_rule(np.cumprod)
def cumprod_vjp(ct, out, x, axis=None, dtype=None, _out=None):  # type: ignore[no-untyped-def]
    """Each element reaches every later partial product (exact where x has zeros)."""
    if integer_dtype(dtype):
        return None
    return cumprod_grad(ct, x, axis)


@vjp_rule(np.nancumprod)
def nancumprod_vjp(ct, out, x, axis=None, dtype=None, _out=None):  # type: ignore[no-untyped-def]
    """Like cumprod with NaNs counted as ones; NaNs get no cotangent."""
    if integer_dtype(dtype):
        return None
    nan = np.isnan(x)
    return reject(nan, cumprod_grad(ct, np.where(nan, np.ones_like(x), x), axis))


@vjp_rule(np.cumulative_prod)
def cumulative_prod_vjp(ct, out, x, *, axis=None, dtype=None, out_=None, include_initial=False):  # type: ignore[no-untyped-def]
    """cumprod's rule; the leading initial one (include_initial) has no input."""
    if integer_dtype(dtype):
        return None
    axis = 0 if axis is None else axis
    if include_initial:
        ct = np.delete(ct, 0, axis=axis)
    return cumprod_grad(ct, x, axis)


@vjp_rule(np.diff)
def diff_vjp(ct, out, a, n=1, axis=-1, prepend=None, append=None):  # type: ignore[no-untyped-def]
    """Each difference a[i+1] - a[i] sends +ct to a[i+1] and -ct to a[i], n times over."""
    _unsupported(ct, "np.diff", prepend=prepend, append=append)
    for _ in range(n):
        edge = np.zeros_like(np.take(ct, (0,), axis=axis))
        ct = -np.diff(np.concatenate((edge, ct, edge), axis=axis), axis=axis)
    return ct


# --- norms -----------------------------------------------------------------------------------------


def _vector_norm_grad(ct, out, x, ord, axis, keepdims):  # type: ignore[no-untyped-def]
    ct, out = expand_reduced(ct, x, axis, keepdims), expand_reduced(out, x, axis, keepdims)
    if ord is None or ord == 2:
        return safe_div(ct * x, out)  # 0 at the zero vector
    if ord in (np.inf, -np.inf):
        return np.sign(x) * share_among_ties(ct, np.abs(x), out, axis)
    if ord == 0:
        return np.zeros_like(x)
    if ord == 1:
        return ct * np.sign(x)
    return reject(x == 0, ct * np.sign(x) * safe_div(np.abs(x) ** (ord - 1), out ** (ord - 1)))


def _matrix_norm_grad(ct, out, x, ord, axis, keepdims):  # type: ignore[no-untyped-def]
    rows, cols = axis
    ct, out = expand_reduced(ct, x, axis, keepdims), expand_reduced(out, x, axis, keepdims)
    if ord is None or ord == "fro":
        return safe_div(ct * x, out)
    if ord in ("nuc", 2, -2):
        usv = np.linalg.svd(np.moveaxis(x, (rows, cols), (-2, -1)), full_matrices=False)
        u, vh = usv[0], usv[2]
        if ord == 2:
            u, vh = u[..., :, :1], vh[..., :1, :]
        elif ord == -2:
            u, vh = u[..., :, -1:], vh[..., -1:, :]
        return ct * np.moveaxis(np.matmul(u, vh), (-2, -1), (rows, cols))
    if ord in (1, -1):  # the largest (smallest) column sum of |x|
        sums = np.sum(np.abs(x), axis=rows, keepdims=True)
        return np.sign(x) * share_among_ties(ct, sums, out, cols)
    if ord in (np.inf, -np.inf):  # the largest (smallest) row sum of |x|
        sums = np.sum(np.abs(x), axis=cols, keepdims=True)
        return np.sign(x) * share_among_ties(ct, sums, out, rows)
    raise ValueError(f"invalid norm order {ord!r} for matrices")


@vjp_rule(np.linalg.norm)
def norm_vjp(ct, out, x, ord=None, axis=None, keepdims=False):  # type: ignore[no-untyped-def]
    """Vector norms over one axis (or all, for ord=None), matrix norms over two."""
    if isinstance(axis, (int, np.integer)) or (isinstance(axis, tuple) and len(axis) == 1):
        return _vector_norm_grad(ct, out, x, ord, axis, keepdims)
    if axis is not None or ord in ("fro", "nuc"):
        return _matrix_norm_grad(ct, out, x, ord, (-2, -1) if axis is None else tuple(axis), keepdims)
    if ord is None or ord not in (1, -1, 2, -2, np.inf, -np.inf):
        return _vector_norm_grad(ct, out, x, ord, None, keepdims)
    if ord in (-1, -2):
        refuse(ct, f"no derivative rule for np.linalg.norm(x, ord={ord}) without axis", "pass axis=0 or axis=(0, 1)")
    # ord 1, 2, inf, -inf of a vector equals the same matrix norm of it as one column
    column = as_columns(x, x)
    grad = _matrix_norm_grad(np.reshape(ct, ()), np.reshape(out, ()), column, ord, (-2, -1), False)
    return from_columns(grad, x)


defvjp(
    np.linalg.vector_norm,
    lambda ct, out, x, axis=None, keepdims=False, ord=2: _vector_norm_grad(ct, out, x, ord, axis, keepdims),
)
defvjp(
    np.linalg.matrix_norm,
    lambda ct, out, x, keepdims=False, ord="fro": _matrix_norm_grad(ct, out, x, ord, (-2, -1), keepdims),
)
# --- rules of the helpers these rules emit (gradients of gradients) -----------------------------


def _without_one_factor(x):  # type: ignore[no-untyped-def]
    """X2[..., k, i] = x_i for i != k and 1 for i = k, for x of shape (..., n)."""
    eye = eye_like(x)
    return x[..., None, :] * (1 - eye) + eye, eye


def _cumprod_second(u, ct, x, axis):  # type: ignore[no-untyped-def]
    """d/dx <u, cumprod_grad(ct, x, axis)>, from cumprod_grad_k = sum_{j >= k} ct_j prod_{i <= j, i != k} x_i."""
    xm, ctm, um = merge_axes(x, axis), merge_axes(ct, axis), merge_axes(u, axis)
    others, eye = _without_one_factor(xm)
    weights = um[..., :, None] * ctm[..., None, :] * np.triu(np.ones_like(eye))
    return split_axes(np.sum(cumprod_grad(weights, others, -1) * (1 - eye), axis=-2), x, axis)


defvjp(
    cumprod_grad,
    lambda ct, out, g, x, axis: cumprod_jvp(ct, x, axis),
    lambda ct, out, g, x, axis: _cumprod_second(ct, g, x, axis),
    None,
)
defvjp(
    cumprod_jvp,
    lambda ct, out, v, x, axis: cumprod_grad(ct, x, axis),
    lambda ct, out, v, x, axis: _cumprod_second(v, ct, x, axis),
    None,
)


def _prod_second(u, ct, x, axis, keepdims):  # type: ignore[no-untyped-def]
    """d/dx <u, prod_grad(ct, x, axis)>, from prod_grad_k = ct * prod_{i != k} x_i."""
    weights = merge_axes(u * expand_reduced(ct, x, axis, keepdims), axis)
    others, eye = _without_one_factor(merge_axes(x, axis))
    return split_axes(np.sum(prod_grad(weights, others, -1) * (1 - eye), axis=-2), x, axis)


if lookup(prod_grad) is None:  # numpy_rules' np.prod emits it
    defvjp(
        prod_grad,
        lambda ct, out, g, x, axis=None, keepdims=False: np.sum(
            ct * prod_grad(np.ones_like(g), x, axis, keepdims), axis=axis, keepdims=keepdims
        ),
        lambda ct, out, g, x, axis=None, keepdims=False: _prod_second(ct, g, x, axis, keepdims),
    )
defvjp(merge_axes, lambda ct, out, x, axis: split_axes(ct, x, axis), None)
defvjp(split_axes, lambda ct, out, v, x, axis: merge_axes(ct, axis), None, None)
defvjp(weights_like, lambda ct, out, w, a, axis: np.reshape(ct, np.shape(w)), None, None)
nondifferentiable(eye_like, median_weights)
