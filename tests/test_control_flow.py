"""Control flow through the gradient: nested loops with early exits inside ifs, `while` on
differentiated conditions, `break`/`continue`/`return` anywhere, names defined in one branch, and
loop-carried tuples and lists. Each case is checked against central finite differences
(`gradcheck.check`), in float64 and float32, with optimize=False agreeing.
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

# --- control flow -----------------------------------------------------------------------------


def nested_break_continue(x, n):
    s = 0.0
    for i in range(n):
        for j in range(n):
            if j > i:
                break
            s = s + x[i] * x[j]
        if i == 2:
            continue
        s = s * 1.1
    return s


def nested_return_data(x):
    s = x[0]
    for i in range(4):
        for j in range(3):
            s = s * 0.9 + x[j] * x[i]
            if s > 5.0:
                return s * 2.0
    return s - 1.0


def while_data_condition(x):
    y = x
    k = 0
    while np.sum(y * y) < 50.0:
        y = y * 1.5 + 0.1
        k = k + 1
    return np.sum(y) * k


def while_scalar_condition(a):
    while a < 10.0:
        a = a * a + 0.5
    return a


def while_break_data(x):
    y = x
    i = 0
    while i < 10:
        y = y * 1.3 - 0.1
        if np.max(y) > 3.0:
            break
        i += 1
    return np.sum(y * y)


def while_continue(x):
    s = 0.0
    i = 0
    while i < 6:
        i += 1
        if i % 2 == 0:
            continue
        s = s + x[i % 3] * s + x[0]
    return s


def while_and_condition(x):
    y = x
    n = 0
    while n < 8 and np.sum(y) < 4.0:
        y = y * 1.2 + 0.05
        n += 1
    return np.sum(y * y)


def while_not_or_condition(x):
    y = x
    n = 0
    while not (np.sum(y) > 3.0 or n >= 8):
        y = y + y * y * 0.1
        n += 1
    return np.sum(y)


def for_while_return(x):
    for r in range(3):
        t = x[r]
        while t < 2.0:
            t = t * 1.5 + 0.2
            if t > 1.5:
                return t * x[0]
    return x[1]


def nested_while_for_continue(x):
    s = x[0]
    i = 0
    while i < 3:
        for j in range(3):
            if j == i:
                continue
            s = s * 0.8 + x[j] * x[i]
        i += 1
    return s


def rows_nested_return(X):
    acc = 0.0
    for r, row in enumerate(X):
        for v in row:
            acc = acc + v * (r + 1)
            if acc > 2.5:
                return acc * v
    return acc


def range_negative_step_nested(x):
    s = 0.0
    for i in range(3, -1, -1):
        for j in range(i, 4, 2):
            s = s + x[i] * x[j]
        if i == 1:
            break
    return s


def defined_in_one_branch(x):
    if np.sum(x) > 0:
        t = x * 2.0
    else:
        t = x * x
    u = t + 1.0
    return np.sum(u * t)


def assigned_only_if_flag(x, flag):
    y = x
    if flag:
        z = x * 3.0
        y = y + z
    return np.sum(y * x)


def defined_in_loop_only(x):
    for i in range(3):
        last = x[i] * 2.0
        if i == 1:
            mid = last * x[0]
    return last * mid


def branch_temp_in_loop(x):
    acc = x[0]
    for i in range(4):
        if x[i] > 0:
            t = x[i] * acc
        else:
            t = acc - x[i]
        acc = t * 0.5 + acc
    return acc


def ifexp_carried(x):
    m = x[0]
    for v in x:
        m = v if v > m else m * 0.9
    return m


def reassign_many(x):
    y = x
    y = y * 2.0
    y = y + x
    y = np.sin(y)
    y = y * y
    y = y - x
    return np.sum(y)


def index_from_argmax(x):
    k = int(np.argmax(x))
    return x[k] * x[k - 1]


# --- loop-carried tuples and lists ------------------------------------------------------------


def lstm_like_pair(x, W, U):
    h = np.zeros(3)
    c = np.zeros(3)
    for t in range(x.shape[0]):
        z = np.tanh(x[t] @ W + h @ U)
        h, c = np.tanh(c) * z, c * 0.5 + z
    return np.sum(h * c)


def tuple_state(x, W):
    state = (np.zeros(3), np.ones(3))
    for t in range(x.shape[0]):
        h, c = state
        c2 = c * np.tanh(x[t] @ W)
        state = (h + c2, c2)
    h, c = state
    return np.sum(h) + np.sum(c * c)


def carried_swap(x, y):
    a, b = x, y
    for i in range(3):
        a, b = b * a, a + b
    return np.sum(a * b)


def list_nested_append(x):
    out = []
    for i in range(3):
        for j in range(2):
            out.append(x[i] * x[j] + i)
    return out[-1] * out[0] + out[len(out) - 2] + np.sum(out[3])


def list_computed_index(x, k):
    hs = [x]
    for i in range(4):
        hs.append(np.sin(hs[-1]) * hs[i])
    return np.sum(hs[k + 1] * hs[-2])


def list_negative_index_in_loop(x):
    hs = [x]
    for i in range(4):
        hs.append(hs[-1] * 0.5 + hs[-2 if i > 0 else -1])
    return np.sum(hs[-1] + hs[-3])


def list_item_assign_loop(x):
    hs = [x, x * 2.0, x * 3.0]
    for i in range(3):
        hs[i] = hs[i] * hs[(i + 1) % 3]
    return np.sum(hs[0] + hs[-1])


def list_of_tuples(x):
    pairs = []
    for i in range(3):
        pairs.append((x[i], x[i] * x[i]))
    s = 0.0
    for p, q in pairs:
        s = s + p * q
    a, b = pairs[-1]
    return s + a * b


def early_return_with_list(x):
    out = []
    for i in range(4):
        out.append(x[i] * 2.0)
        if np.sum(out[-1]) > 1.0:
            return out[-1] + out[0]
    return out[1]


def carry_grows_shape(a, X):
    acc = a
    for row in X:
        acc = acc * row + a
    return np.sum(acc * acc)


def list_grows_shape(a, X):
    hs = [a]
    for row in X:
        hs.append(hs[-1] * row)
    return np.sum(hs[1]) + np.sum(hs[-1] ** 2) + hs[0]


def while_grows_shape(a, b):
    y = a
    n = 0
    while n < 3:
        y = y * b + 0.1
        n += 1
    return np.sum(y)


def branch_shapes_differ(a, X):
    if np.sum(X) > 0:
        y = a * 2.0
    else:
        y = X * a
    return np.sum(y * y) + np.sum(X)


def reversed_rows(X):
    s = 0.0
    for row in reversed(X):
        s = s * 0.5 + np.sum(row)
    return s


def enumerate_zip_rows(X, Y):
    s = 0.0
    for j, (a, b) in enumerate(zip(X, Y)):
        s = s + np.sum(a * b) * j
    return s


def repeated_rows_loop(X, idx):
    s = 0.0
    for i in idx:
        s = s + np.sum(X[i] * X[i]) * s + X[i, 0]
    return s


# --- regression tests of bugs found and fixed -------------------------------------------------


def zip_reversed_rows(X, Y):
    s = 0.0
    for a, b in zip(reversed(X), Y):
        s = s + np.sum(a * b)
    return s


def test_bug_zip_reversed() -> None:
    check(zip_reversed_rows, (_X32, _X32 * 2.0), wrt=(0, 1))


def tuple_return_in_loop_scalars(x):
    for i in range(3):
        if x[i] > 0.5:
            return x[i] * x[0], x[i]
    return x[0], x[1]


def tuple_return_in_loop_mixed(x):
    for i in range(3):
        if x[i] > 0.5:
            return x[i] * x, x[i]
    return x, x[0]


def test_tuple_return_in_loop_scalars() -> None:
    x = np.array([0.3, 0.9, -0.4])
    np.testing.assert_allclose(srcgrad.grad(tuple_return_in_loop_scalars)(x, grad_ys=(2.0, 3.0)), [1.8, 3.6, 0.0])
    check(tuple_return_in_loop_scalars, (x,))


def test_bug_tuple_return_in_loop_array_and_scalar() -> None:
    check(tuple_return_in_loop_mixed, (np.array([0.3, 0.9, -0.4]),))


# --- the parametrised finite-difference cases --------------------------------------------------

FD_CASES: list[tuple[str, Callable[..., Any], tuple, tuple[int, ...]]] = [
    ("nested_break_continue", nested_break_continue, (_V, 4), (0,)),
    ("nested_return_data-returns", nested_return_data, (np.array([0.5, 0.8, 1.2, 0.4]),), (0,)),
    ("nested_return_data-falls_through", nested_return_data, (np.array([0.1, 0.2, 0.3, 0.1]),), (0,)),
    ("while_data_condition", while_data_condition, (np.array([0.5, 1.0, -0.3]),), (0,)),
    ("while_data_condition-float32", while_data_condition, (_f32([0.5, 1.0, -0.3]),), (0,)),
    ("while_scalar_condition-float", while_scalar_condition, (1.3,), (0,)),
    ("while_scalar_condition-np_float64", while_scalar_condition, (np.float64(1.3),), (0,)),
    ("while_break_data", while_break_data, (np.array([0.5, 1.0, -0.3]),), (0,)),
    ("while_continue", while_continue, (np.array([0.5, 0.4, -0.3]),), (0,)),
    ("while_and_condition", while_and_condition, (np.array([0.3, 0.8]),), (0,)),
    ("while_not_or_condition", while_not_or_condition, (np.array([0.3, 0.8]),), (0,)),
    ("for_while_return-returns", for_while_return, (np.array([0.5, 0.4, 0.3]),), (0,)),
    ("for_while_return-falls_through", for_while_return, (np.array([2.5, 2.4, 2.3]),), (0,)),
    ("nested_while_for_continue", nested_while_for_continue, (_rng(7).standard_normal(3),), (0,)),
    ("rows_nested_return-returns", rows_nested_return, (np.array([[0.3, 0.8], [0.5, 0.6], [0.1, 0.9]]),), (0,)),
    ("rows_nested_return-falls_through", rows_nested_return, (np.array([[0.1, 0.2], [0.1, 0.1], [0.1, 0.2]]),), (0,)),
    ("range_negative_step_nested", range_negative_step_nested, (_rng(3).standard_normal(4),), (0,)),
    ("defined_in_one_branch-then", defined_in_one_branch, (_V,), (0,)),
    ("defined_in_one_branch-else", defined_in_one_branch, (-_V - 1,), (0,)),
    ("assigned_only_if_flag-true", assigned_only_if_flag, (_V, True), (0,)),
    ("assigned_only_if_flag-false", assigned_only_if_flag, (_V, False), (0,)),
    ("defined_in_loop_only", defined_in_loop_only, (_rng(3).standard_normal(3),), (0,)),
    ("branch_temp_in_loop", branch_temp_in_loop, (np.array([0.5, -0.4, 0.3, -0.9]),), (0,)),
    ("ifexp_carried", ifexp_carried, (np.array([0.1, 0.9, 0.3, 1.2]),), (0,)),
    ("reassign_many", reassign_many, (_V,), (0,)),
    ("index_from_argmax", index_from_argmax, (np.array([0.1, 0.9, 0.3]),), (0,)),
    ("lstm_like_pair", lstm_like_pair, (_rng(1).standard_normal((4, 2)), _rng(2).standard_normal((2, 3)),
                                        _rng(3).standard_normal((3, 3))), (0, 1, 2)),
    ("lstm_like_pair-float32", lstm_like_pair, (_f32(_rng(1).standard_normal((4, 2))), _f32(_rng(2).standard_normal((2, 3))),
                                                _f32(_rng(3).standard_normal((3, 3)))), (0, 1, 2)),
    ("tuple_state", tuple_state, (_rng(1).standard_normal((4, 2)), _rng(2).standard_normal((2, 3))), (0, 1)),
    ("carried_swap", carried_swap, (_rng(3).standard_normal(2), _rng(4).standard_normal(2)), (0, 1)),
    ("list_nested_append", list_nested_append, (_rng(1).standard_normal((3, 2)),), (0,)),
    ("list_computed_index-1", list_computed_index, (_rng(1).standard_normal(3), 1), (0,)),
    ("list_computed_index-2", list_computed_index, (_rng(1).standard_normal(3), 2), (0,)),
    ("list_negative_index_in_loop", list_negative_index_in_loop, (_rng(9).standard_normal(2),), (0,)),
    ("list_item_assign_loop", list_item_assign_loop, (_rng(3).standard_normal(3),), (0,)),
    ("list_of_tuples", list_of_tuples, (_rng(3).standard_normal(3),), (0,)),
    ("early_return_with_list", early_return_with_list, (np.array([0.1, 0.3, 0.8, 1.2]),), (0,)),
    ("carry_grows_shape", carry_grows_shape, (0.7, _X32), (0, 1)),
    ("carry_grows_shape-float32", carry_grows_shape, (np.float32(0.7), _f32(_X32)), (0, 1)),
    ("carry_grows_shape-1x1", carry_grows_shape, (np.array([[0.7]]), _X32), (0, 1)),
    ("list_grows_shape", list_grows_shape, (0.7, _X32), (0, 1)),
    ("while_grows_shape", while_grows_shape, (0.7, _X32[0]), (0, 1)),
    ("while_grows_shape-2d", while_grows_shape, (np.array([0.7, 0.2]), _X32), (0, 1)),
    ("branch_shapes_differ-scalar", branch_shapes_differ, (0.7, np.abs(_X32)), (0, 1)),
    ("branch_shapes_differ-array", branch_shapes_differ, (0.7, -np.abs(_X32)), (0, 1)),
    ("reversed_rows", reversed_rows, (_X32,), (0,)),
    ("enumerate_zip_rows", enumerate_zip_rows, (_X32, _X32[::-1] * 2.0), (0, 1)),
    ("repeated_rows_loop-array", repeated_rows_loop, (_X43, np.array([0, 2, 0, 0, 3])), (0,)),
    ("repeated_rows_loop-list", repeated_rows_loop, (_X43, [1, 1, 1]), (0,)),
]


@pytest.mark.parametrize(("fn", "args", "wrt"), [pytest.param(f, a, w, id=i) for i, f, a, w in FD_CASES])
def test_matches_finite_differences(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...]) -> None:
    check(fn, args, wrt)
