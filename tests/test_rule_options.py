"""Options that change what a call computes (order=, mode=, where=, initial=, dtype=, ddof=, axes
given by position, ...): each is either honoured by its derivative rule, checked here against
central differences in float64 and float32 (and optimize=False agreeing), or refused with a
located `UnsupportedOptionError`, never dropped silently.

The memory layouts that order='A' and 'K' read are made inside the functions (x.T, x[::-1],
np.asfortranarray), so that finite differences see the same layouts; arrays of every layout are
also passed in directly, against gradients computed from NumPy's own ravel.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check, second_derivative_check
try:
    from scipy import special
except ImportError:  # SciPy is optional: its cases drop out, as in tests/test_rules.py
    special = None

import srcgrad
from srcgrad.rules.registry import UnsupportedOptionError
from srcgrad.runtime.shapes import memory_positions

W6 = np.arange(6.0)
W24 = np.linspace(-1.0, 2.0, 24)


# --- order= of reshape, ravel and flatten --------------------------------------------------------


def reshape_method_f(x):
    return np.sum(x.reshape(2, 3, order="F") * W6.reshape(2, 3))


def reshape_function_f(x):
    return np.sum(np.reshape(x, (2, 3), order="F") ** 2 * W6.reshape(2, 3))


def reshape_positional_f(x):
    return np.sum(np.reshape(x, (3, 2), "F") * W6.reshape(3, 2))


def reshape_lowercase_f(x):
    return np.sum(np.reshape(x, (3, 2), order="f") * W6.reshape(3, 2))


def reshape_a_fortran(x):
    return np.sum(x.T.reshape(6, order="A") ** 2 * W6)  # x.T is Fortran-contiguous: read as F


def reshape_a_c(x):
    return np.sum(x.reshape(3, 2, order="A") * W6.reshape(3, 2))


def reshape_a_neither(x):
    return np.sum(x.T[::-1].reshape(6, order="A") * W6)  # neither contiguous: read as C


def ravel_f(x):
    return np.sum(np.ravel(x, order="F") * W6)


def ravel_method_f(x):
    return np.sum(x.ravel(order="F") * W6)


def flatten_f(x):
    return np.sum(x.flatten(order="F") * W6)


def flatten_a(x):
    return np.sum(np.asfortranarray(x).flatten("A") * W6)


def ravel_c(x):
    return np.sum(np.ravel(x, "C") * W6)


def ravel_k_transposed(x):
    return np.sum(np.ravel(x.T, order="K") * W6)


def ravel_k_reversed(x):
    return np.sum(x[::-1, ::-1].T.ravel(order="K") ** 2 * W6)


def ravel_k_sliced(x):
    return np.sum(np.ravel(x.transpose(2, 0, 1)[::-1, :, ::2], order="K") ** 2 * W24[:16])


def flatten_k_fortran(x):
    return np.sum(np.asfortranarray(x).flatten("K") * W24)


def ravel_f_then_reshape_f(x):
    return np.sum(np.reshape(np.ravel(x.T, order="F"), (3, 2), order="F") ** 2 * W6.reshape(3, 2))


ORDER_CASES = [
    (reshape_method_f, (6,)), (reshape_function_f, (6,)), (reshape_positional_f, (6,)), (reshape_lowercase_f, (6,)),
    (reshape_a_fortran, (3, 2)), (reshape_a_c, (6,)), (reshape_a_neither, (2, 3)), (ravel_f, (2, 3)),
    (ravel_method_f, (3, 2)), (flatten_f, (2, 3)), (flatten_a, (2, 3)), (ravel_c, (2, 3)),
    (ravel_k_transposed, (3, 2)), (ravel_k_reversed, (2, 3)), (ravel_k_sliced, (2, 3, 4)),
    (flatten_k_fortran, (2, 3, 4)), (ravel_f_then_reshape_f, (3, 2)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,shape", ORDER_CASES, ids=[fn.__name__ for fn, _ in ORDER_CASES])
def test_order(fn, shape, dtype):
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    check(fn, (x,))


def test_the_reported_case():
    np.testing.assert_array_equal(srcgrad.grad(reshape_method_f)(np.ones(6)), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0])


@pytest.mark.parametrize("fn", [reshape_a_fortran, ravel_k_reversed, ravel_k_sliced, ravel_f_then_reshape_f])
def test_order_second_derivative(fn):
    shape = next(s for f, s in ORDER_CASES if f is fn)
    second_derivative_check(fn, np.random.default_rng(4).standard_normal(shape))


def ravel_k_of_input(x):
    return np.sum(np.ravel(x, order="K") * np.arange(np.size(x)))


def ravel_a_of_input(x):
    return np.sum(np.ravel(x, order="A") * np.arange(np.size(x)))


def flatten_k_of_input(x):
    return np.sum(x.flatten("K") * np.arange(np.size(x)))


def _layouts():
    base = np.random.default_rng(5).permutation(60).astype(np.float64).reshape(3, 4, 5)
    return {
        "C": base, "F": np.asfortranarray(base), "transposed": base.T, "reversed": base[::-1, :, ::-1],
        "sliced": base[:, 1::2, ::-2], "moved": base.transpose(1, 0, 2)[::-1, :, 1:],
        "fortran sliced": np.asfortranarray(base)[:, :3], "vector reversed": base[0, 0, ::-1],
    }  # fmt: skip


@pytest.mark.parametrize("fn,order", [(ravel_k_of_input, "K"), (ravel_a_of_input, "A"), (flatten_k_of_input, "K")])
@pytest.mark.parametrize("layout", list(_layouts()))
def test_order_of_inputs_of_every_layout(fn, order, layout):
    """Each element's gradient is the weight of its position in NumPy's own ravel(x, order)."""
    x = _layouts()[layout]
    expected = np.zeros(x.shape)
    for position, value in enumerate(np.ravel(x, order=order)):
        expected[x == value] = position  # x's values are distinct
    np.testing.assert_array_equal(srcgrad.grad(fn)(x), expected)
    np.testing.assert_array_equal(srcgrad.grad(fn, optimize=False)(x), expected)


def test_memory_positions_of_broadcast_arrays():
    x = np.broadcast_to(np.arange(3.0)[:, None], (3, 4)).T
    np.testing.assert_array_equal(np.ravel(x)[memory_positions(x)], np.ravel(x, order="K"))
    with pytest.raises(ValueError, match="share memory"):
        memory_positions(np.broadcast_to(np.arange(3.0)[::-1], (4, 3)))


# --- options honoured, against finite differences -----------------------------------------------

A23 = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
MASK = np.array([True, False, True])


def sum_where(x):
    return np.sum(np.sum(x, axis=1, where=x > 0.0) ** 2)


def sum_where_broadcast(x):
    return np.sum(x ** 2, where=MASK)


def sum_initial_positional_keepdims(x):
    return np.sum(np.sum(x ** 2, 0, None, None, True, 2.0) * x)


def sum_dtype(x):
    return np.sum(np.sum(x, axis=-1, dtype=np.float64) ** 2)


def method_sum_positional(x):
    return np.sum(x.sum(1, None, None, True) * x)


def mean_where(x):
    return np.sum(np.mean(x, axis=0, where=MASK | (x > 0.0)) ** 2)


def mean_positional_keepdims(x):
    return np.sum(np.mean(x, 1, None, None, True) * x)


def max_initial(x):
    return np.sum(np.max(x, axis=1, initial=0.5) ** 2)


def min_where(x):
    return np.sum(np.min(x, axis=0, initial=9.0, where=MASK) ** 2)


def max_positional_keepdims(x):
    return np.sum(np.max(x, 1, None, True) * x)


def amax_method(x):
    return np.sum(x.max(axis=0, keepdims=True) * x)


def prod_initial(x):
    return np.prod(x, axis=1, initial=3.0).sum()


def prod_where(x):
    return np.sum(np.prod(x, axis=-1, where=MASK) ** 2)


def std_ddof_positional(x):
    return np.sum(np.std(x, 1, None, None, 1, True) * x)


def var_correction(x):
    return np.sum(np.var(x, axis=0, correction=1) ** 2)


def std_method_ddof(x):
    return np.sum(x.std(axis=1, ddof=1) ** 2)


def nansum_initial(x):
    return np.nansum(x ** 2, axis=0, initial=1.0).sum()


def cumsum_dtype(x):
    return np.sum(np.cumsum(x, axis=1, dtype=np.float64) ** 2)


def cumprod_method(x):
    return np.sum(x.cumprod(0) ** 2)


def take_clip(x):
    return np.sum(np.take(x, [0, 5, -9, 2], mode="clip") ** 2)


def take_wrap_axis(x):
    return np.sum(np.take(x, [0, 4, -1], axis=1, mode="wrap") ** 2)


def take_method(x):
    return np.sum(x.take([2, 0], 1) ** 2)


def choose_wrap(x):
    return np.sum(np.choose(np.array([0, 3, 1]), (x[0], x[1]), mode="wrap") ** 2)


def choose_clip(x):
    return np.sum(np.choose(np.array([2, -1, 1]), (x[0], x[1]), mode="clip") ** 2)


def pad_edge(x):
    return np.sum(np.pad(x, ((1, 2), (0, 1)), mode="edge") ** 2 * 1.5)


def pad_reflect(x):
    return np.sum(np.pad(x, 2, "reflect") ** 3)


def pad_symmetric(x):
    return np.sum(np.pad(x, ((1, 1), (2, 0)), mode="symmetric") ** 3)


def pad_wrap(x):
    return np.sum(np.pad(x, (1, 2), mode="wrap") ** 3)


def trace_offset_axes(x):
    return np.sum(np.trace(x, 1, 2, 0) ** 2)


def trace_negative_axes(x):
    return np.sum(np.trace(x, offset=-1, axis1=-1, axis2=0) ** 2)


def diagonal_offset_axes(x):
    return np.sum(np.diagonal(x, -1, 2, 1) ** 2)


def rot90_k_axes(x):
    return np.sum(np.rot90(x, 3, (2, 0)) * W24.reshape(4, 3, 2))


def diff_n_axis(x):
    return np.sum(np.diff(x, 2, 0) ** 2)


def round_decimals(x):
    return np.sum(np.round(x, 2) * x)


def sort_axis_none(x):
    return np.sum(np.sort(x, axis=None, kind="stable") * W24)


def take_along_axis_none(x):
    return np.sum(np.take_along_axis(x, np.array([3, 0, 7]), axis=None) ** 2)


def cross_axis(x):
    return np.sum(np.cross(x, x[::-1] * 2.0 + 1.0, axis=0) ** 2)


def average_weights_returned(x):
    avg, total = np.average(x, 1, np.array([1.0, 2.0, 3.0]), True)
    return np.sum(avg ** 2) + np.sum(total * x[:, 0])


def average_keepdims(x):
    return np.sum(np.average(x, 0, x ** 2, keepdims=True) * x)


def norm_ord_positional(x):
    return np.linalg.norm(x, 3, 1).sum() + np.linalg.norm(x, np.inf) + np.linalg.norm(x, "nuc")


def norm_ord_keepdims(x):
    return np.sum(np.linalg.norm(x, ord=1, axis=0, keepdims=True) * x)


def eigh_upper(x):
    w, v = np.linalg.eigh(x + x.T * 0.5 + np.diag([0.0, 3.0, 6.0]), UPLO="U")
    return np.sum(w ** 2) + np.sum(v[0] ** 2 * v[1])


def eigvalsh_upper(x):
    return np.sum(np.linalg.eigvalsh(x + np.diag([0.0, 3.0, 6.0]), "U") ** 2)


def svd_values_only(x):
    return np.sum(np.linalg.svd(x, compute_uv=False) ** 3)


def svd_reduced(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(s ** 2) + np.sum((u[:, 0] * u[:, 0]) * x[:, 0]) + np.sum(vh[0] ** 2 * x[0])


def qr_complete_square(x):
    q, r = np.linalg.qr(x[:, :2] @ x[:2, :] + np.eye(3) * 3.0, mode="complete")
    return np.sum(r ** 2) + np.sum(q[0] * x[0])


def linspace_axis_endpoint(x):
    return np.sum(np.linspace(x[0], x[1], 4, False, axis=1) ** 2)


def clip_min_max(x):
    return np.sum(np.clip(x, min=-0.5, max=0.7) ** 2)


def meshgrid_sparse(x):
    a, b = np.meshgrid(x[0], x[1] * 2.0, sparse=True, indexing="ij")
    return np.sum((a * b) ** 2)


def logsumexp_b(x):
    return np.sum(special.logsumexp(x, axis=1, b=np.array([0.5, 1.0, 2.0]), keepdims=True) * x)


def einsum_optimize(x):
    return np.sum(np.einsum("ij,kj->ik", x, x * 2.0, optimize=True) ** 2)


def maximum_broadcast(x):
    return np.sum(np.maximum(x, np.array([0.1, -0.2, 0.3])) ** 2)


def builtin_sum_start(x):
    return np.sum(sum([x[0], x[1]], x[1] * 2.0) ** 2)


def item_index(x):
    return x.item(4) * 3.0 + x.item(0, 1) ** 2


R23 = (2, 3)
R234 = (2, 3, 4)
R33 = (3, 3)
HONOURED = [
    (sum_where, R23), (sum_where_broadcast, R23), (sum_initial_positional_keepdims, R23), (sum_dtype, R23),
    (method_sum_positional, R23), (mean_where, R23), (mean_positional_keepdims, R23), (max_initial, R23),
    (min_where, R23), (max_positional_keepdims, R23), (amax_method, R23), (prod_initial, R23), (prod_where, R23),
    (std_ddof_positional, R23), (var_correction, R23), (std_method_ddof, R23), (nansum_initial, R23),
    (cumsum_dtype, R23), (cumprod_method, R23), (take_clip, R23), (take_wrap_axis, R23), (take_method, R23),
    (choose_wrap, R23), (choose_clip, R23), (pad_edge, R23), (pad_reflect, (4,)), (pad_symmetric, R23),
    (pad_wrap, (3,)), (trace_offset_axes, R234), (trace_negative_axes, (3, 2, 3)), (diagonal_offset_axes, R234),
    (rot90_k_axes, R234), (diff_n_axis, (4, 3)), (round_decimals, R23), (sort_axis_none, R234),
    (take_along_axis_none, R234), (cross_axis, (3, 2)), (average_weights_returned, R23), (average_keepdims, R23),
    (norm_ord_positional, R23), (norm_ord_keepdims, R23), (eigh_upper, R33), (eigvalsh_upper, R33),
    (svd_values_only, (4, 3)), (svd_reduced, (4, 3)), (qr_complete_square, R33), (linspace_axis_endpoint, R23),
    (clip_min_max, R23), (meshgrid_sparse, R23), *([(logsumexp_b, R23)] if special else []), (einsum_optimize, R23),
    (maximum_broadcast, R23), (builtin_sum_start, R23), (item_index, R23),
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,shape", HONOURED, ids=[fn.__name__ for fn, _ in HONOURED])
def test_honoured(fn, shape, dtype):
    x = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    check(fn, (x,))


# --- an integer dtype= truncates: no gradient flows through it ---------------------------------------


def sum_int(x):
    return np.sum(x, dtype=np.int64) * 1.0 + np.sum(x)


def cumsum_int(x):
    return np.sum(np.cumsum(x * 10.0, dtype=np.int32)) * 1.0 + np.sum(x)


def array_int(x):
    return np.sum(np.array([x[0], x[1]], dtype=np.int64)) * 1.0 + np.sum(x)


def trace_int(x):
    return np.trace(x * 10.0, dtype=np.int64) * 1.0 + np.sum(x)


def full_int(x):
    return np.sum(np.full(3, x[0, 0] * 10.0, np.int64)) * 1.0 + np.sum(x)


def linspace_int(x):
    return np.sum(np.linspace(x[0, 0] * 10.0, 50.0, 5, dtype=np.int64)) * 1.0 + np.sum(x)


def hstack_int(x):
    return np.sum(np.hstack((x[0] * 10.0, x[1]), dtype=np.int64, casting="unsafe")) * 1.0 + np.sum(x)


@pytest.mark.parametrize("fn", [sum_int, cumsum_int, array_int, trace_int, full_int, linspace_int, hstack_int])
def test_integer_dtype_has_no_gradient(fn):
    x = np.random.default_rng(8).standard_normal((3, 3)) + 2.0
    for optimize in (True, False):
        np.testing.assert_array_equal(srcgrad.grad(fn, optimize=optimize)(x), np.ones((3, 3)))


# --- options refused, with a located error ----------------------------------------------------------


def ufunc_where(x):
    return np.sum(np.exp(x, where=x > 0.0))


def ufunc_dtype(x):
    return np.sum(np.add(x, x, dtype=np.float32))


def clip_where(x):
    return np.sum(np.clip(x, -1.0, 1.0, where=x > 0.0))


def var_where(x):
    return np.sum(np.var(x, axis=0, where=x > 0.0))


def nanmax_initial(x):
    return np.sum(np.nanmax(x, axis=0, initial=0.0))


def diff_prepend(x):
    return np.sum(np.diff(x, prepend=0.0) ** 2)


def pad_odd(x):
    return np.sum(np.pad(x, 2, mode="reflect", reflect_type="odd") ** 2)


def pad_maximum(x):
    return np.sum(np.pad(x, 2, mode="maximum") ** 2)


def cross_axisa(x):
    return np.sum(np.cross(x, x * 2.0 + 1.0, axisa=0, axisb=0) ** 2)


def qr_r(x):
    return np.sum(np.linalg.qr(x, mode="r") ** 2)


def svd_hermitian(x):
    return np.sum(np.linalg.svd(x @ x.T, compute_uv=False, hermitian=True))


def linspace_retstep(x):
    samples, step = np.linspace(0.0, x[0, 0], 5, retstep=True)
    return np.sum(samples) + step


def einsum_dtype(x):
    return np.sum(np.einsum("ij->i", x, dtype=np.float32))


def matvec_axes(x):
    return np.sum(np.matvec(x, x[0], axes=[(0, 1), (0,), (0,)]))


def vecdot_axes(x):
    return np.sum(np.vecdot(x, x, axes=[(0,), (0,), ()]))


def logsumexp_sign(x):
    value, sign = special.logsumexp(x, return_sign=True)
    return value * sign


def norm_ord_minus_one_vector(x):
    return np.linalg.norm(x[0], -1)


def sum_out_positional(x):
    y = np.zeros(3)
    return np.sum(np.sum(x, 0, None, y))


REFUSED = [
    (ufunc_where, "np.exp with where="), (ufunc_dtype, "np.add with dtype="), (clip_where, "np.clip with where="),
    (var_where, "np.var with where="), (nanmax_initial, "np.nanmax with initial="),
    (diff_prepend, "np.diff with prepend="), (pad_odd, "np.pad with reflect_type='odd'"),
    (pad_maximum, "np.pad with mode='maximum'"), (cross_axisa, "np.cross with separate axisa="),
    (qr_r, "np.linalg.qr with mode='r'"), (svd_hermitian, "np.linalg.svd with hermitian=True"),
    (linspace_retstep, "np.linspace with retstep=True"), (einsum_dtype, "np.einsum with dtype="),
    (matvec_axes, "np.matvec with axes="), (vecdot_axes, "np.vecdot with axes="),
    *([(logsumexp_sign, "logsumexp with return_sign=True")] if special else []),
    (norm_ord_minus_one_vector, "ord=-1) without axis"),
    (sum_out_positional, "np.sum with an out array"),
]  # fmt: skip


@pytest.mark.parametrize("fn,message", REFUSED, ids=[fn.__name__ for fn, _ in REFUSED])
def test_refused(fn, message):
    x = np.random.default_rng(9).standard_normal((3, 3)) + 2.0
    with pytest.raises(UnsupportedOptionError) as raised:
        srcgrad.grad(fn)(x)
    error = raised.value
    assert isinstance(error, srcgrad.SrcgradError) and isinstance(error, NotImplementedError)
    assert message in error.message, error.message
    assert error.loc is not None and error.loc.file == __file__, str(error)
    assert f"{__file__}:{error.loc.line}:" in str(error) and "^" in str(error)
