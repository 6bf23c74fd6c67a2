"""Item writes as the gradient sees them: `y[i] = v`, augmented, fancy (repeated indices), masked,
column and slice writes, in and out of loops, and writes seen through a second name.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from gradcheck import X32 as _X32
from gradcheck import X43 as _X43
from gradcheck import V as _V
from gradcheck import check
from gradcheck import f32 as _f32
from gradcheck import rng as _rng

import srcgrad

# --- item assignment --------------------------------------------------------------------------


def aug_item_in_loop(x):
    y = np.zeros(4)
    for i in range(4):
        y[i] += x[i] * x[(i + 1) % 4]
        y[(i + 2) % 4] += x[i]
    return np.sum(y * y)


def aug_item_on_param(x, w):
    x = x * 1.0
    for i in range(3):
        x[i] *= w[i]
        x[i + 1] -= x[i] * w[i]
    return np.sum(x * x)


def mask_aug(x):
    y = x * 1.0
    y[x > 0] += x[x > 0] ** 2
    y[y < 0] = 0.0
    return np.sum(y * x)


def mask_assign_value(x, v):
    y = x * 1.0
    y[x > 0] = v
    return np.sum(y * y)


def mask_2d_aug(X, a):
    Y = X * 1.0
    Y[X > 0] *= a
    Y[:, 0] += a
    return np.sum(Y * Y)


def repeated_fancy_read(x):
    idx = np.array([1, 1, 0, 3, 1])
    return np.sum(x[idx] ** 2)


def slice_rows_in_loop(x):
    y = np.zeros((3, 4))
    for i in range(3):
        y[i, :] = x[i] * x[2 - i]
        y[i, 1:3] *= 2.0
    return np.sum(y ** 2)


def column_assign(A, v):
    B = A * 1.0
    B[:, 1] = v
    B[0] += v[0]
    return np.sum(B * A)


def scatter_rows_in_loop(X):
    Y = np.zeros_like(X)
    for t in range(X.shape[0]):
        Y[t] = X[t] * X[(t + 1) % X.shape[0]]
        Y[t - 1] += X[t]
    return np.sum(Y * Y)


def negative_rows_in_loop(X):
    Y = np.zeros_like(X)
    for i in range(1, X.shape[0] + 1):
        Y[-i] += X[i - 1] * X[-i]
        Y[-i, 0] -= X[-i, 1]
    return np.sum(Y ** 2)


def recurrence_in_place(x):
    y = x * 1.0
    for i in range(1, 4):
        y[i] = y[i - 1] * y[i] + 0.1
    return y[-1] + y[1]


def slice_assign_scalar(x, a):
    y = x * 1.0
    y[1:3] = a
    y[0] *= a
    return np.sum(y * x)


def fancy_rows_assign(X, r):
    Y = X * 1.0
    Y[np.array([0, 2])] = r
    return np.sum(Y * X)


def ellipsis_assign(X, v):
    Y = X * 1.0
    Y[..., 1] = v
    return np.sum(Y * X)


def rows_recurrence_2d(X):
    Y = X * 1.0
    for i in range(1, X.shape[0]):
        Y[i, :] = Y[i - 1, :] * 0.5 + X[i, :]
    return np.sum(Y * Y)


# --- regression tests of bugs found and fixed -------------------------------------------------


def repeated_index_assign(x):
    idx = np.array([0, 0, 2])
    y = np.zeros(3)
    y[idx] = x[:3]
    return np.sum(y)


def repeated_index_aug_assign(x):
    idx = np.array([0, 0, 2, 2, 2])
    y = np.zeros(3)
    y[idx] += x[idx] * 2.0
    return np.sum(y * x)


def alias_then_setitem(x):
    y = x * 1.0
    z = y
    z[0] = 0.0
    return np.sum(y * x)


def alias_then_iadd(x, b):
    y = x * 1.0
    h = y
    h += b
    return np.sum(h * y)


def alias_list_append(x):
    a = [x * 1.0, x * 2.0]
    b = a
    b.append(x * 3.0)
    return np.sum(a[-1])


_X3 = np.array([0.3, -0.4, 0.9])


def test_bug_repeated_fancy_index_assign() -> None:
    np.testing.assert_allclose(srcgrad.grad(repeated_index_assign)(_X3), [0.0, 1.0, 1.0])


def test_bug_repeated_fancy_index_aug_assign() -> None:
    check(repeated_index_aug_assign, (_X3,))


def test_bug_alias_then_setitem() -> None:
    value, grad = srcgrad.value_and_grad(alias_then_setitem)(_X3.copy())
    assert value == pytest.approx(alias_then_setitem(_X3.copy()))
    np.testing.assert_allclose(grad, [0.0, 2 * _X3[1], 2 * _X3[2]])


def test_bug_alias_then_inplace_add() -> None:
    b = np.array([1.0, 2.0, 3.0])
    value, grad = srcgrad.value_and_grad(alias_then_iadd)(np.array([0.5, -0.2, 0.9]), b)
    assert value == pytest.approx(alias_then_iadd(np.array([0.5, -0.2, 0.9]), b))
    np.testing.assert_allclose(grad, 2 * (np.array([0.5, -0.2, 0.9]) + b))


def test_bug_alias_list_append() -> None:
    value, grad = srcgrad.value_and_grad(alias_list_append)(_X3)
    assert value == pytest.approx(alias_list_append(_X3))
    np.testing.assert_allclose(grad, [3.0, 3.0, 3.0])


# --- the parametrised finite-difference cases --------------------------------------------------

FD_CASES: list[tuple[str, Callable[..., Any], tuple, tuple[int, ...]]] = [
    ("aug_item_in_loop", aug_item_in_loop, (_V,), (0,)),
    ("aug_item_in_loop-float32", aug_item_in_loop, (_f32(_V),), (0,)),
    ("aug_item_on_param", aug_item_on_param, (_V, _rng(1).standard_normal(3)), (0, 1)),
    ("mask_aug", mask_aug, (_V,), (0,)),
    ("mask_aug-float32", mask_aug, (_f32(_V),), (0,)),
    ("mask_assign_value-float", mask_assign_value, (_V, 0.7), (0, 1)),
    ("mask_assign_value-np_float64", mask_assign_value, (_V, np.float64(0.7)), (0, 1)),
    ("mask_2d_aug", mask_2d_aug, (_X32, 0.6), (0, 1)),
    ("repeated_fancy_read", repeated_fancy_read, (_V,), (0,)),
    ("slice_rows_in_loop", slice_rows_in_loop, (_rng(1).standard_normal((3, 4)),), (0,)),
    ("column_assign", column_assign, (_rng(1).standard_normal((3, 3)), _rng(2).standard_normal(3)), (0, 1)),
    ("column_assign-float32", column_assign, (_f32(_rng(1).standard_normal((3, 3))), _f32(_rng(2).standard_normal(3))), (0, 1)),
    ("scatter_rows_in_loop", scatter_rows_in_loop, (_X43,), (0,)),
    ("negative_rows_in_loop", negative_rows_in_loop, (_X32,), (0,)),
    ("recurrence_in_place", recurrence_in_place, (_V,), (0,)),
    ("slice_assign_scalar", slice_assign_scalar, (_V, 0.6), (0, 1)),
    ("slice_assign_scalar-0d", slice_assign_scalar, (_V, np.array(0.6)), (0, 1)),
    ("slice_assign_scalar-float32", slice_assign_scalar, (_f32(_V), np.float32(0.6)), (0, 1)),
    ("fancy_rows_assign-row", fancy_rows_assign, (_X32, np.array([0.4, -0.2])), (0, 1)),
    ("fancy_rows_assign-column", fancy_rows_assign, (_X32, np.array([[0.3], [0.5]])), (0, 1)),
    ("ellipsis_assign", ellipsis_assign, (_X32, 0.4), (0, 1)),
    ("rows_recurrence_2d", rows_recurrence_2d, (_X43,), (0,)),
]


@pytest.mark.parametrize(("fn", "args", "wrt"), [pytest.param(f, a, w, id=i) for i, f, a, w in FD_CASES])
def test_matches_finite_differences(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...]) -> None:
    check(fn, args, wrt)


# --- evaluation order: Python reads y[i] (and h) of `y[i] -= g(y)` before g runs -----------------


def halve(a):
    a *= 0.5
    return 1.5


def element_read_before_the_right_side(x):
    y = x * 1.0
    y[0] -= halve(y)  # y[0] is read (a number) before halve halves y
    return y


def slice_read_before_the_right_side(x):
    y = x * 1.0
    y[1:] -= halve(y)  # y[1:] is a view: it sees the halving
    return y


def name_written_by_the_right_side(x):
    y = x * 1.0
    y -= halve(y)
    return y


@pytest.mark.parametrize("fn", [element_read_before_the_right_side, slice_read_before_the_right_side,
                                name_written_by_the_right_side], ids=lambda f: f.__name__)
def test_an_augmented_write_reads_its_target_where_python_does(fn):
    x = np.array([1.0, 2.0, 3.0])
    value, _ = srcgrad.value_and_grad(fn)(x.copy())
    np.testing.assert_array_equal(value, fn(x.copy()))
    check(fn, (x,))
