"""Item writes: functional in the IR, in place in generated code where nothing can see the
difference, and a clear error where Python's aliasing would make the two differ."""

from __future__ import annotations

import re

import numpy as np
import pytest
from gradcheck import check

import srcgrad


def live_view(x):
    y = x * 1.0
    r = y[0:2]
    y[1] = 5.0
    return np.sum(r * r) + np.sum(y)


def copy_not_view(x):
    y = x * 1.0
    r = y[[0, 1]]  # advanced indexing copies: the write below does not reach r
    y[1] = 5.0
    return np.sum(r * r) + np.sum(y)


def dead_view(x):
    y = x * 1.0
    r = y[0:2]
    s = np.sum(r)
    y[1] = 5.0
    return s * np.sum(y)


def soft_min_table(D):
    n, m = D.shape
    R = np.full((n + 1, m + 1), 1e10)
    R[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = -np.logaddexp(np.logaddexp(-R[i - 1, j], -R[i, j - 1]), -R[i - 1, j - 1])
            R[i, j] = D[i - 1, j - 1] + best
    return R[n, m]


def test_a_live_view_of_a_written_array_sees_the_write():
    x = np.array([1.0, 2.0, 3.0])
    value, grad = srcgrad.value_and_grad(live_view)(x.copy())
    assert value == live_view(x.copy())
    np.testing.assert_allclose(grad, [2 * x[0] + 1.0, 0.0, 1.0])  # r = [x0, 5]: d/dx (x0^2 + 25 + x0 + 5 + x2)


def test_copies_and_dead_views_are_fine():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(srcgrad.grad(copy_not_view)(x), [3.0, 4.0, 1.0])
    np.testing.assert_allclose(srcgrad.grad(dead_view)(x), [12.0, 9.0, 3.0])  # d/dx (x0 + x1) * (x0 + 5 + x2)


def test_a_table_filled_in_a_loop_is_written_in_place_and_right():
    D = np.random.default_rng(0).random((4, 5))
    source = srcgrad.show(soft_min_table)
    assert "R_1[items" in source or "R[items" in source
    assert "np.copy(" not in source.split("def ")[1].split("seed(")[0]  # the forward writes in place
    g = srcgrad.grad(soft_min_table)(D)
    rng = np.random.default_rng(1)
    v = rng.standard_normal(D.shape)
    eps = 1e-6
    fd = (soft_min_table(D + eps * v) - soft_min_table(D - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.vdot(g, v), fd, rtol=1e-6)


def taped_then_written(x):
    R = np.zeros(3)
    for i in range(3):
        s = np.sum(R * x)  # the reverse sweep needs R's values here, from a tape
        R[i] = s + x[i]
    return np.sum(R * R)


def test_a_taped_array_is_not_written_in_place():
    x = np.array([0.5, -1.0, 2.0])
    g = srcgrad.grad(taped_then_written)(x)
    v = np.array([0.3, 0.2, -0.7])
    eps = 1e-6
    fd = (taped_then_written(x + eps * v) - taped_then_written(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.vdot(g, v), fd, rtol=1e-7)


def recurrence(x):
    R = np.zeros(5)
    R[0] = x[0]
    s = 0.0
    for i in range(1, 5):
        R[i] = np.tanh(R[i - 1] * x[1] + x[2])
        s = s + R[i] * R[i]
    return s + np.sum(R)


def branch_writes(x):
    R = np.ones((3, 2))
    for i in range(3):
        if x[i] > 0:
            R[i] = x[i] * R[i - 1]
        else:
            R[i, 0] = x[i]
    return np.sum(R ** 2)


def copy_then_write(x):
    R = x * 2.0
    S = R.copy()
    S[0] = 1.0
    return np.sum(S * R)


def fancy_writes(x):
    R = np.zeros(4)
    R[np.array([0, 2, 0])] = x[:3]
    R[1:3] += x[1:3] * 2.0
    return np.sum(R * x)


def rows_written(X):
    Y = np.zeros_like(X)
    for t in range(X.shape[0]):
        Y[t] = np.sin(X[t]) * (t + 1)
        Y[t, 0] += np.sum(Y[t])
    return np.sum(Y * Y)


@pytest.mark.parametrize("fn, x", [
    (recurrence, np.array([0.3, 0.8, -0.2])),
    (branch_writes, np.array([0.5, -0.7, 1.2])),
    (copy_then_write, np.array([0.5, -0.7, 1.2])),
    (fancy_writes, np.array([0.5, -0.7, 1.2, 0.4])),
    (rows_written, np.array([[0.5, -0.7], [1.2, 0.4], [-0.3, 0.9]])),
], ids=lambda v: getattr(v, "__name__", ""))  # fmt: skip
def test_in_place_writes_give_the_same_gradients(fn, x):
    optimized = srcgrad.grad(fn)(x)
    raw = srcgrad.grad(fn, optimize=False)(x)  # no in-place writes at all
    np.testing.assert_allclose(optimized, raw, rtol=1e-12)
    v = np.random.default_rng(2).standard_normal(x.shape)
    eps = 1e-6
    fd = (fn(x + eps * v) - fn(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.vdot(optimized, v), fd, rtol=1e-6)


# --- bugs: in-place mutation that srcgrad does not see (silently wrong) -----------------------


def view_slice_iadd(x):
    y = x * 1.0
    z = y[1:]
    z *= 3.0
    return np.sum(y * x)


def view_reshape_setitem(x):
    y = x * 1.0
    z = y.reshape(-1)
    z[0] = 5.0
    return np.sum(y * x)


def view_row_iadd(x):
    y = x * 1.0
    r = y[0]
    r += 1.0
    return np.sum(y ** 2)


def rows_iadd_in_loop(x):
    y = np.zeros((2, 2))
    for row in y:
        row += x
    return np.sum(y * x)


def method_sort(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(3.0))


def method_fill(x):
    y = x * 2.0
    y.fill(1.0)
    return np.sum(y * x)


def ufunc_add_at(x):
    y = x.copy()
    np.add.at(y, [0, 0], 1.0)
    return np.sum(y * x)


def ufunc_out(x):
    y = x * 1.0
    np.negative(y, out=y)
    return np.sum(y * x)


def method_clip_out(x):
    y = x * 1.0
    y.clip(0.0, 1.5, out=y)
    return np.sum(y * x)


def fill_diagonal(x):
    y = x * 1.0
    np.fill_diagonal(y, 0.0)
    return np.sum(y * x)


def out_multiply(x):
    y = np.zeros_like(x)
    np.multiply(x, x, out=y)
    return np.sum(y)


def copyto(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y ** 2)


MUTATIONS = [
    (view_slice_iadd, np.array([1.0, 2.0, 3.0]), "z = y[1:]; z *= 3 (y = x*1): value 14 not 40, gradient ignores z"),
    (view_reshape_setitem, np.array([[1.0, 2.0]]), "z = y.reshape(-1); z[0] = 5: value 5 not 9"),
    (view_row_iadd, np.array([[1.0, 2.0], [3.0, 4.0]]), "r = y[0]; r += 1: value 30 not 38"),
    (rows_iadd_in_loop, np.array([1.0, 2.0]), "for row in y: row += x: value 0 not 10, gradient 0"),
    (method_sort, np.array([3.0, 1.0, 2.0]), "y.sort(): gradient [0,1,2] not [2,0,1]"),
    (method_fill, np.array([1.0, 2.0, 3.0]), "y.fill(1.0): gradient 2y+... [3,5,7] not [1,1,1]"),
    (ufunc_add_at, np.array([1.0, 2.0, 3.0]), "np.add.at(y, [0, 0], 1.0) is dropped: value 14 not 16"),
    (ufunc_out, np.array([1.0, 2.0]), "np.negative(y, out=y): value 5 not -5"),
    (method_clip_out, np.array([1.0, 2.0]), "y.clip(0, 1.5, out=y): value 5 not 4"),
    (fill_diagonal, np.ones((2, 2)), "np.fill_diagonal(y, 0): value 4 not 2"),
    (out_multiply, np.array([1.0, 2.0, 3.0]), "np.multiply(x, x, out=y): value 0 not 14, gradient None"),
    (copyto, np.array([1.0, 2.0, 3.0]), "np.copyto(y, x): value 0 not 14, gradient None"),
]


@pytest.mark.parametrize("fn,x", [
    pytest.param(f, x, id=f.__name__) for f, x, _ in MUTATIONS])
def test_bug_untracked_inplace_mutation(fn, x):
    """Either a correct value and gradient, or a clear SrcgradError; never silently wrong numbers."""
    try:
        value, grad = srcgrad.value_and_grad(fn)(x.copy())
    except srcgrad.SrcgradError:
        return
    assert value == pytest.approx(fn(x.copy()))
    check(fn, (x.copy(),), (0,))


# -- augmented assignments (`b -= y`) written in place again ------------------------------------


def fortran_ordered_update(x, y):
    b = np.copy(x.T)  # Fortran-ordered, as x.T is (np.copy keeps the layout): certainly an array
    b *= 2.0
    b -= y  # Python keeps b's layout; a later sum adds in that order
    return b.sum()


def fancy_indexed_update(x, y):
    b = x[:, [2, 0, 1, 3]]  # a copy, laid out as NumPy's advanced indexing lays it out
    b -= y
    b += 0.5
    return b.sum()


def update_whose_old_value_is_needed(x, y):
    b = np.copy(x.T)
    b *= y  # the gradient of y needs b from before the update: this stays `b_1 = b * y`
    return b.sum()


def update_of_a_float32_array(x, y):
    b = np.array(x, dtype=np.float32)
    b -= y  # stays float32, as in Python (`b - y` would be float64)
    return b.sum()


def update_of_a_number(x, y):
    s = np.sum(x) * 1.0
    s -= np.sum(y)
    return s * s


@pytest.mark.parametrize("fn", [fortran_ordered_update, fancy_indexed_update, update_whose_old_value_is_needed,
                                update_of_a_number])
def test_augmented_updates_give_the_right_gradient(fn):
    rng = np.random.default_rng(3)
    check(fn, (rng.standard_normal((4, 4)), rng.standard_normal((4, 4))), wrt=(0, 1))


def test_an_update_of_a_float32_array_passes_its_cotangent_back_to_each_dtype():
    gx, gy = srcgrad.grad(update_of_a_float32_array, wrt=(0, 1))(np.ones((2, 2)), np.ones((2, 2)))
    assert gx.dtype == gy.dtype == np.float64
    assert np.array_equal(gx, np.ones((2, 2))) and np.array_equal(gy, -np.ones((2, 2)))


@pytest.mark.parametrize("fn", [fortran_ordered_update, fancy_indexed_update, update_of_a_float32_array,
                                update_of_a_number])
def test_an_update_written_in_place_computes_pythons_value_bit_for_bit(fn):
    # The order of a sum's additions shows in the last bits on most inputs. (A functional update,
    # `b_1 = b * y` or optimize=False, is C-ordered: summed in C order, it may differ in the last bit.)
    rng = np.random.default_rng(4)
    for _ in range(5):
        x, y = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
        value, _ = srcgrad.value_and_grad(fn, wrt=(0, 1))(x, y)
        assert value == fn(x.copy(), y)


@pytest.mark.parametrize("fn, written", [(fortran_ordered_update, ["b *= 2.0", "b -= y"]),
                                         (fancy_indexed_update, ["b -= y", "b += 0.5"]),
                                         (update_of_a_float32_array, ["b -= y"])])
def test_an_update_nothing_else_sees_is_written_as_the_user_wrote_it(fn, written):
    source = srcgrad.show(fn, wrt=(0, 1))
    for line in written:
        assert f"    {line}\n" in source
    assert "written_as" not in source


def test_an_update_whose_old_value_the_gradient_needs_stays_functional():
    source = srcgrad.show(update_whose_old_value_is_needed, wrt=(0, 1))
    assert "    b *= y\n" not in source and re.search(r"\n    \w+ = \w+ \* y\n", source)


def parameter_updated(x, y):
    x -= y  # the caller's array: the adjoint never writes it
    return np.sum(x * x)


def test_a_parameter_is_never_updated_in_place_by_the_adjoint():
    x, y = np.ones(3), np.arange(3.0)
    srcgrad.grad(parameter_updated)(x, y)
    assert np.array_equal(x, np.ones(3))
    assert "    x -= y\n" not in srcgrad.show(parameter_updated)


def updated_then_rebound_in_a_loop(x):
    x = 0.5 * x
    for i in range(3):
        x -= 0.3 * np.sum(x) + i  # written in place: x's array is the function's own, dead after
        x = x * x  # the loop's carried name gets the product; the updated array is still read after it
    return x


def test_an_update_written_in_place_keeps_its_own_name_where_the_operands_is_shared():
    x, v = np.array([[0.85, 0.14, 1.12]]), np.array([[0.3, -0.2, 0.5]])
    check(updated_then_rebound_in_a_loop, (x,))
    value, tangent = srcgrad.jvp(updated_then_rebound_in_a_loop, (x,), (v,))
    _, plain = srcgrad.jvp(updated_then_rebound_in_a_loop, (x,), (v,), optimize=False)
    assert np.array_equal(value, updated_then_rebound_in_a_loop(x))
    np.testing.assert_allclose(tangent, plain, rtol=1e-12)
    assert "    x_1 -= " in srcgrad.show(updated_then_rebound_in_a_loop, mode="forward")


def number_updated_by_an_array(x, y):
    b = np.sum(x) * 2.0  # a number: `b -= y` rebinds b to an array shaped like y
    b -= y
    return np.sum(b * b)


def test_a_number_updated_by_an_array_is_not_written_in_place():
    # (this stop's review: the in-place form rebound b, and the gradient read b's new shape)
    rng = np.random.default_rng(6)
    check(number_updated_by_an_array, (rng.standard_normal(3), rng.standard_normal(3)), wrt=(0, 1))
    check(number_updated_by_an_array, (0.7, rng.standard_normal(3)), wrt=(0, 1))
    assert "    b -= y\n" not in srcgrad.show(number_updated_by_an_array, wrt=(0, 1))


def float32_updated_in_a_branch(x, y, c):
    b = x.astype(np.float32) * 2.0
    if c > 0:
        b -= y  # b stays float32, as in Python, though y is float64
    return b.sum()


def widened_by_its_update(x, y):
    b = x * 2.0
    b -= y  # y (2, 3) would widen b (3,): Python raises
    return b.sum()


def test_an_augmented_update_keeps_the_arrays_dtype_and_shape_as_python_does():
    # (this stop's review: `b - y` promoted a float32 b in a branch, and broadcast a b it could not write)
    x, y = np.arange(3.0), np.array([0.1, 0.2, 0.3])
    for optimize in (True, False):
        value, _ = srcgrad.value_and_grad(float32_updated_in_a_branch, optimize=optimize)(x, y, 1.0)
        assert value == float32_updated_in_a_branch(x, y, 1.0) and value.dtype == np.float32
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        widened_by_its_update(x, np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        srcgrad.grad(widened_by_its_update)(x, np.ones((2, 3)))
