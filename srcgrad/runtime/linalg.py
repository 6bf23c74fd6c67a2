"""Run-time helpers for products and matrices: dot, matmul, tensordot and kron cotangents for every
rank NumPy accepts, diagonals, identities, and the rank adapters of `solve`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import float_dtype, primitive, run_time_check, unbroadcast


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
    if x_ndim == 1 and y_ndim == 2:
        return y @ ct  # a vector times a matrix (the common case, without the batch machinery below)
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
    if x_ndim == 2 and y_ndim == 1:
        return ct @ x  # a matrix times a vector (the common case, without the batch machinery below)
    if x_ndim == 1:
        grad = np.multiply.outer(x, ct) if y_ndim > 1 else ct * x
        if y_ndim > 2:
            grad = np.moveaxis(grad, 0, -2)
        return unbroadcast(grad, y)
    if y_ndim == 1:
        return unbroadcast(np.swapaxes(x, -1, -2) @ np.expand_dims(ct, -1), np.expand_dims(y, -1))[..., 0]
    return unbroadcast(np.swapaxes(x, -1, -2) @ ct, y)


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


@primitive
def diagonal_grad(ct: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The cotangent of x in `np.diagonal(x, offset, axis1, axis2)`: ct written onto that diagonal."""
    grad = np.zeros(np.shape(x), dtype=float_dtype(x, ct))
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
def diagonal_mask(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> np.ndarray:
    """Ones on the `offset` diagonal of x's (axis1, axis2) planes, zeros elsewhere; broadcasts against x."""
    shape = list(np.shape(x))
    ndim = len(shape)
    a1, a2 = axis1 % ndim, axis2 % ndim
    mask = np.eye(shape[a1], shape[a2], k=offset, dtype=float_dtype(x))
    if a1 > a2:
        mask = mask.T
    target = [1] * ndim
    target[a1], target[a2] = shape[a1], shape[a2]
    return np.reshape(mask, target)


@primitive
def eye_like(x: Any, axis: int = -1) -> np.ndarray:
    """The n × n identity in x's float dtype, for n = x.shape[axis]."""
    return np.eye(np.shape(x)[axis], dtype=float_dtype(x))


@primitive
def as_columns(v: Any, b: Any) -> Any:
    """`v` as a stack of column matrices when `b` (the right side of a solve) is a vector."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


@primitive
def from_columns(v: Any, b: Any) -> Any:
    """Undo `as_columns`."""
    return v[..., 0] if np.ndim(b) == 1 else v


def _all_but_one_products(s: np.ndarray) -> np.ndarray:
    """p_i = prod_{j != i} s_j along the last axis, without dividing (exact at zeros)."""
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., : n - 1]], axis=-1), axis=-1) if n else s
    after = np.cumprod(np.concatenate([ones, s[..., : 0 : -1]], axis=-1), axis=-1)[..., ::-1] if n else s
    return before * after


@primitive
def cofactor(a: Any) -> np.ndarray:
    """The cofactor matrix of each matrix in a stack: adj(A)^T, the derivative of det(A).

    It exists everywhere (a polynomial in A), singular matrices included, and is computed without
    inverting: for A = U S V^T, adj(A)^T = det(U) det(V) U diag(prod_{j != i} s_j) V^T.
    """
    a = np.asarray(a)
    dtype = float_dtype(a)
    n = a.shape[-1]
    if n == 0:
        return np.zeros(a.shape, dtype=dtype)
    if n == 1:
        return np.ones(a.shape, dtype=dtype)
    u, s, vh = np.linalg.svd(a.astype(dtype, copy=False))
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return (sign[..., None, None] * (u * _all_but_one_products(s)[..., None, :]) @ vh).astype(dtype, copy=False)


def _minor_indices(n: int) -> np.ndarray:
    """idx[i, k] = the k-th index of 0..n-1 other than i (shape n × n-1)."""
    return np.array([[j for j in range(n) if j != i] for i in range(n)], dtype=np.intp).reshape(n, max(n - 1, 0))


@primitive
def minors(a: Any) -> np.ndarray:
    """m[..., i, j, :, :] = a[..., :, :] without row i and column j (shape (..., n, n, n-1, n-1))."""
    a = np.asarray(a)
    idx = _minor_indices(a.shape[-1])
    rows = idx[:, None, :, None]  # (n, 1, n-1, 1)
    cols = idx[None, :, None, :]  # (1, n, 1, n-1)
    return a[..., rows, cols]


@primitive
def minors_grad(ct: Any, a: Any) -> np.ndarray:
    """The cotangent of `a` in `minors(a)`: each minor's cotangent added back where it was read."""
    shape = np.shape(a)
    n = shape[-1]
    grad = np.zeros(shape, dtype=float_dtype(a, ct))
    idx = _minor_indices(n)
    for i in range(n):
        for j in range(n):
            grad[..., idx[i][:, None], idx[j][None, :]] += ct[..., i, j, :, :]
    return grad


def _cofactor_signs(n: int, dtype: Any) -> np.ndarray:
    return np.array([[(-1.0) ** (i + j) for j in range(n)] for i in range(n)], dtype=dtype).reshape(n, n)


@primitive
def cofactor_signs(a: Any) -> np.ndarray:
    """(-1)^(i+j), n × n, in a's float dtype."""
    return _cofactor_signs(np.shape(a)[-1], float_dtype(a))


@primitive
def inverse_transpose(a: Any) -> np.ndarray:
    """A^-T for each matrix in a stack; where A is singular, the SVD's 1/s is inf (no LinAlgError)."""
    a = np.asarray(a)
    try:
        return np.swapaxes(np.linalg.inv(a), -1, -2)
    except np.linalg.LinAlgError:
        u, s, vh = np.linalg.svd(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (u * (1.0 / s)[..., None, :]) @ vh


@primitive
def reduced_svd_parts(u: Any, vh: Any, ct_u: Any, ct_vh: Any) -> tuple:
    """`np.linalg.svd(a, full_matrices=True)` of an m x n matrix, m != n: its U and Vh cut to the
    min(m, n) singular vectors the reduced SVD has, with their cotangents. The completing vectors
    span a subspace that any orthonormal basis could fill, so no gradient flows through them: a
    cotangent that reaches them is refused."""
    k = min(np.shape(u)[-1], np.shape(vh)[-2])
    extra_u, extra_vh = ct_u[..., :, k:], ct_vh[..., k:, :]
    if np.any(extra_u != 0) or np.any(extra_vh != 0):
        from ..errors import UnsupportedValueError
        raise UnsupportedValueError(
            "srcgrad: the gradient of np.linalg.svd(a, full_matrices=True) of a non-square matrix through the "
            "completing singular vectors (U or Vh beyond min(m, n)) is not defined: they are any orthonormal "
            "completion. Use full_matrices=False, or use only the first min(m, n) columns of U / rows of Vh")
    return u[..., :, :k], vh[..., :k, :], ct_u[..., :, :k], ct_vh[..., :k, :]


@run_time_check
@primitive
def check_tall(a: Any, what: str) -> None:
    """Refuse a gradient that the rule computes only for m >= n (a wide matrix: m < n)."""
    m, n = np.shape(a)[-2:]
    if m < n:
        from ..errors import UnsupportedValueError
        raise UnsupportedValueError(f"srcgrad: the gradient of {what} of a wide {m} x {n} matrix is not implemented "
                                    "(only m >= n): differentiate the QR of its transpose instead")


@primitive
def fill_leading(g: Any, like: Any) -> Any:
    """Zeros shaped like `like` with `g` in its leading block (the cotangent of a leading slice)."""
    out = np.zeros(np.shape(like), dtype=np.result_type(g, like))
    out[..., : np.shape(g)[-2], : np.shape(g)[-1]] = g
    return out


@primitive
def leading_block(x: Any, like: Any) -> Any:
    """The leading block of `x` shaped like `like` (the transpose of `fill_leading`)."""
    return x[..., : np.shape(like)[-2], : np.shape(like)[-1]]
