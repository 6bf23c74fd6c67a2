"""Adversarial whole-function checks of srcgrad against central finite differences.

Combinations the corpus does not spell out: nested loops with early exits inside
ifs, while loops on differentiated conditions, loop-carried tuples and lists,
item assignment (augmented, fancy, masked) inside loops, closures and inlined
helpers with defaults and keywords, `wrt` intermediates, `stop_gradients`,
tuple seeds, broadcasting in every operand position, float32, second
derivatives, optimize=False vs True, the generated source and the disk cache.

Each check uses <u, J v> = <J^T u, v> with a random seed u (`grad_ys`) and a
random direction v over every differentiated input. The bugs this file found
(closures' late binding, aliasing, repeated fancy writes, the exponent's second
derivative, tuples returned from loops, ...) are fixed; their tests stay as
regression tests.
"""

from __future__ import annotations

import ast
import math
import os
import subprocess
import sys
from typing import Any, Callable

import numpy as np
import pytest

import srcgrad
from gradcheck import inner as _inner
from gradcheck import outputs as _outputs
from gradcheck import random_like as _random_like

EPS = 1e-6
RTOL = {np.float64: 1e-5, np.float32: 2e-3}


# --- the check helper ---------------------------------------------------------------------------


def _upcast(value: Any) -> Any:
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value.astype(np.float64)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _is_float32(value: Any) -> bool:
    return type(value) is not float and np.result_type(value) == np.float32


def check(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...] = (0,), seed: int = 0, **options: Any) -> None:
    """srcgrad.grad(fn) matches central differences; optimize=False agrees; shapes and dtypes kept."""
    rng = np.random.default_rng(seed)
    f32 = any(_is_float32(args[i]) for i in wrt)
    rtol = RTOL[np.float32] if f32 else RTOL[np.float64]
    out = fn(*args)
    seeds = tuple(_random_like(rng, y) for y in _outputs(out))
    grad_ys = seeds if isinstance(out, tuple) else seeds[0]
    directions = [rng.standard_normal(np.shape(args[i])) for i in wrt]

    grads = srcgrad.grad(fn, wrt=tuple(wrt), **options)(*args, grad_ys=grad_ys)
    raw = srcgrad.grad(fn, wrt=tuple(wrt), optimize=False, **options)(*args, grad_ys=grad_ys)
    assert isinstance(grads, tuple) and len(grads) == len(wrt)
    assert all(g is not None for g in grads), f"a connected input got None: {grads!r}"

    for i, g, g_raw in zip(wrt, grads, raw):
        value = args[i]
        assert np.shape(g) == np.shape(value), f"argument {i}: gradient shape {np.shape(g)} != {np.shape(value)}"
        if type(value) is float:
            assert isinstance(g, float), f"argument {i}: Python float in, {type(g).__name__} out"
        else:
            assert np.result_type(g) == np.result_type(value), (
                f"argument {i}: dtype {np.result_type(value)} in, {np.result_type(g)} out")
        np.testing.assert_allclose(g_raw, g, rtol=1e-10, atol=1e-12, err_msg=f"optimize=False, argument {i}")

    base = tuple(_upcast(a) for a in args)

    def shifted(t: float) -> tuple:
        moved = [a.copy() if isinstance(a, np.ndarray) else a for a in base]
        for i, v in zip(wrt, directions):
            moved[i] = base[i] + t * (v if np.ndim(base[i]) or isinstance(base[i], np.ndarray) else float(v))
        return _outputs(fn(*moved))

    plus, minus = shifted(EPS), shifted(-EPS)
    expected = sum(_inner(u, (p - m) / (2 * EPS)) for u, p, m in zip(seeds, plus, minus))
    actual = sum(_inner(g, v) for g, v in zip(grads, directions))
    norm = math.sqrt(sum(_inner(g, g) for g in grads))
    tolerance = rtol * max(abs(expected), norm)
    assert abs(actual - expected) <= tolerance, (
        f"<J^T u, v> = {actual!r} but <u, J v> = {expected!r} by finite differences; gradients {grads!r}")


def second_derivative_check(fn: Callable[..., Any], x: Any, seed: int = 0) -> None:
    """grad(grad(fn)) against central differences of the (first-order-checked) grad(fn)."""
    g1 = srcgrad.grad(fn)
    g2 = srcgrad.grad(g1)
    rng = np.random.default_rng(seed)
    first = g1(x)
    u = _random_like(rng, first)
    v = rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal())
    hu = g2(x, grad_ys=u)
    expected = (_inner(g1(x + EPS * v), u) - _inner(g1(x - EPS * v), u)) / (2 * EPS)
    actual = _inner(hu, v)
    assert abs(actual - expected) <= 1e-5 * max(abs(expected), math.sqrt(_inner(hu, hu)), 1e-8), (actual, expected)


# --- control flow ----------------------------------------------------------------------------------


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


# --- loop-carried tuples and lists ------------------------------------------------------------------


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


# --- item assignment --------------------------------------------------------------------------------


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


# --- calls, closures, defaults ----------------------------------------------------------------------


def _scale(v, a=2.0, b=0.5):
    return v * a + b


def _twice(v, k=1):
    return _scale(v, b=k * 0.1) * _scale(v, a=k)


def inlined_many_ways(x, w):
    p = _scale(x)
    q = _scale(x, w)
    r = _scale(w, a=x, b=x)
    s = _twice(x, k=3) + _twice(w)
    return np.sum(p * q + r * s)


def keywords_out_of_order(x):
    return _scale(b=x, v=x * x, a=3.0)


def defaults_none(x, y=2.0, z=None):
    if z is None:
        z = x
    return np.sum(x * y + z * z)


def _clip_step(v, lim=1.0):
    if np.max(np.abs(v)) > lim:
        return v * (lim / np.max(np.abs(v)))
    return v * 1.0


def helper_early_return_in_loop(x):
    h = x
    for t in range(3):
        h = _clip_step(h * 1.7, lim=2.0) + _clip_step(h)
    return np.sum(h * h)


def _loop_helper(v, n):
    for i in range(n):
        v = np.sin(v) + v * 0.5
        if i == 1:
            break
    return v


def helper_with_loop_called_in_loop(x, y):
    a = _loop_helper(x, 3)
    b = _loop_helper(y, n=1)
    for k in range(2):
        a = _loop_helper(a * b, 2)
    return np.sum(a)


def _sum_squares(vs):
    s = 0.0
    for v in vs:
        s = s + v * v
    return s


def helper_takes_list(x):
    parts = [x[0], x[1] * 2.0]
    parts.append(x[2])
    return _sum_squares(parts) + _sum_squares([x[0], x[0]])


def _pair(a, b):
    return a * b, a + b


def helper_tuple_in_loop(x):
    h, c = x[0], x[1]
    for i in range(3):
        h, c = _pair(h, c * 0.5)
    return h * c


def closure_rebound_between_calls(x):
    a = x * 2.0

    def g(v):
        return v * a

    r1 = g(x)
    a = x * 3.0
    r2 = g(x)
    return np.sum(r1 + r2)


def closure_default_is_param(x):
    def f(v, s=x):
        return v * s

    return np.sum(f(x) + f(x, 2.0))


def closure_called_after_loop(x):
    def g(v):
        return v * c

    c = x
    for i in range(2):
        c = c * x
    return g(1.0)


# --- broadcasting and scalars -----------------------------------------------------------------------


def broadcast_everywhere(a, b, c, d, e):
    return np.sum((a * b + c) / (d + 2.0) - e * a)


def scalar_mix(a, b, c):
    return a * b + np.sin(c) * a + math.exp(b) + c / a


def scalar_times_array(a, X):
    return np.sum(X * a) + a * a


def zero_d_times_array(a, X):
    return np.sum(X ** 2 * a) + a


def float64_constant_on_float32(x):
    y = x * 0.1 + 1e-3
    z = np.float64(2.0) * y
    return np.sum(z * x)


def tanh_rnn_stack(x, W):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h @ W)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def matrix_broadcast_chain(A, r, c, s):
    B = A + r
    B = B * c
    B = B / (1.0 + s * s)
    B = np.maximum(B, 0.1 * B)
    return np.sum(B @ B.T)


def tuple_of_three(x, y):
    a = x * y
    return np.sum(a), a * 2.0, x - y


# --- the parametrized finite-difference cases --------------------------------------------------------


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _f32(v: Any) -> np.ndarray:
    return np.asarray(v, np.float32)


_X43 = _rng(9).standard_normal((4, 3)) * 0.5
_X32 = _rng(2).standard_normal((3, 2))
_V = np.array([0.3, -0.7, 1.1, 0.5])

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
    ("inlined_many_ways", inlined_many_ways, (_rng(0).standard_normal(3), _rng(1).standard_normal(3)), (0, 1)),
    ("inlined_many_ways-float32", inlined_many_ways, (_f32(_rng(0).standard_normal(3)), _f32(_rng(1).standard_normal(3))), (0, 1)),
    ("keywords_out_of_order", keywords_out_of_order, (_rng(0).standard_normal(3),), (0,)),
    ("defaults_none-defaults", defaults_none, (_rng(0).standard_normal(3),), (0,)),
    ("defaults_none-given", defaults_none, (_rng(0).standard_normal(3), 3.0, _rng(1).standard_normal(3)), (0, 1, 2)),
    ("helper_early_return_in_loop", helper_early_return_in_loop, (np.array([0.3, -0.8, 0.5]),), (0,)),
    ("helper_with_loop_called_in_loop", helper_with_loop_called_in_loop,
     (_rng(7).standard_normal(3), _rng(8).standard_normal(3)), (0, 1)),
    ("helper_takes_list", helper_takes_list, (_rng(7).standard_normal(3),), (0,)),
    ("helper_tuple_in_loop", helper_tuple_in_loop, (np.array([0.3, 0.8]),), (0,)),
    ("closure_rebound_between_calls", closure_rebound_between_calls, (_rng(0).standard_normal(3),), (0,)),
    ("closure_default_is_param", closure_default_is_param, (_rng(0).standard_normal(3),), (0,)),
    ("closure_called_after_loop", closure_called_after_loop, (0.7,), (0,)),
    ("broadcast-2x3_1x3_2x1_npfloat_0d", broadcast_everywhere,
     (_rng(0).standard_normal((2, 3)), _rng(1).standard_normal((1, 3)), _rng(2).standard_normal((2, 1)),
      np.float64(1.5), np.array(0.7)), (0, 1, 2, 3, 4)),
    ("broadcast-1x3_2x3_float_2x1_3", broadcast_everywhere,
     (_rng(1).standard_normal((1, 3)), _rng(0).standard_normal((2, 3)), 0.3, _rng(2).standard_normal((2, 1)),
      _rng(3).standard_normal(3)), (0, 1, 2, 3, 4)),
    ("broadcast-2x1_1x3_2x3_0d_float", broadcast_everywhere,
     (_rng(2).standard_normal((2, 1)), _rng(1).standard_normal((1, 3)), _rng(0).standard_normal((2, 3)),
      np.array(0.7), 1.2), (0, 1, 2, 3, 4)),
    ("broadcast-float32", broadcast_everywhere,
     (_f32(_rng(2).standard_normal((2, 1))), _f32(_rng(1).standard_normal((1, 3))), _f32(_rng(0).standard_normal((2, 3))),
      np.float32(1.5), _f32(0.7)), (0, 1, 2, 3, 4)),
    ("scalar_mix-float", scalar_mix, (0.7, 0.3, 1.2), (0, 1, 2)),
    ("scalar_mix-np_float32", scalar_mix, (np.float32(0.7), np.float32(0.3), np.float32(1.2)), (0, 1, 2)),
    ("scalar_mix-0d_float_npfloat64", scalar_mix, (np.array(0.7), 0.3, np.float64(1.2)), (0, 1, 2)),
    ("scalar_times_array-float", scalar_times_array, (0.7, _X32), (0, 1)),
    ("scalar_times_array-float32", scalar_times_array, (np.float32(0.7), _f32(_X32)), (0, 1)),
    ("zero_d_times_array", zero_d_times_array, (np.array(0.7), _X32), (0, 1)),
    ("zero_d_times_array-float32", zero_d_times_array, (_f32(0.7), _f32(_X32)), (0, 1)),
    ("float64_constant_on_float32", float64_constant_on_float32, (_f32(_rng(5).standard_normal(3)),), (0,)),
    ("tanh_rnn_stack-float32", tanh_rnn_stack, (_f32(_rng(5).standard_normal(3)), _f32(_rng(6).standard_normal((3, 3)))), (0, 1)),
    ("matrix_broadcast_chain", matrix_broadcast_chain,
     (_rng(0).standard_normal((2, 3)), _rng(1).standard_normal((1, 3)), _rng(2).standard_normal((2, 1)), np.array(0.3)),
     (0, 1, 2, 3)),
    ("tuple_of_three", tuple_of_three, (_rng(0).standard_normal(3), _rng(1).standard_normal(3)), (0, 1)),
]


@pytest.mark.parametrize(("fn", "args", "wrt"), [pytest.param(f, a, w, id=i) for i, f, a, w in FD_CASES])
def test_matches_finite_differences(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...]) -> None:
    check(fn, args, wrt)


# --- options: wrt intermediates, stop_gradients, seeds ----------------------------------------------


def intermediate(x, y):
    h = x * y
    z = np.sin(h) + h * x
    return np.sum(z * z)


def intermediate_read_in_loop(x):
    h = np.sin(x)
    s = 0.0
    for i in range(3):
        s = s + np.sum(h * x) * i
    return s


def intermediate_after_loop(x):
    s = x
    for i in range(2):
        s = s * x
    h = s + 1.0
    return np.sum(h * x)


def stop_product(x, y):
    h = x * y
    z = h * h + x
    return np.sum(z * y)


_XA = np.array([0.5, -0.2, 0.9])
_YA = np.array([1.5, 0.3, -0.7])


def test_wrt_intermediate_and_input_is_total_derivative() -> None:
    gh, gx = srcgrad.grad(intermediate, wrt=("h", "x"))(_XA, _YA)
    h = _XA * _YA
    outer = 2 * (np.sin(h) + h * _XA)
    np.testing.assert_allclose(gh, outer * (np.cos(h) + _XA))
    np.testing.assert_allclose(gx, outer * (np.cos(h) + _XA) * _YA + outer * h)


def test_wrt_intermediate_read_in_loop() -> None:
    np.testing.assert_allclose(srcgrad.grad(intermediate_read_in_loop, wrt="h")(_XA), 3 * _XA)
    np.testing.assert_allclose(srcgrad.grad(intermediate_after_loop, wrt="h")(_XA), _XA)


def test_stop_gradients_intermediate() -> None:
    gx, gy = srcgrad.grad(stop_product, wrt=("x", "y"), stop_gradients="h")(_XA, _YA)
    h = _XA * _YA
    np.testing.assert_allclose(gx, _YA)
    np.testing.assert_allclose(gy, h * h + _XA)
    gh, gy = srcgrad.grad(stop_product, wrt=("h", "y"), stop_gradients=["h"])(_XA, _YA)
    np.testing.assert_allclose(gh, 2 * h * _YA)
    np.testing.assert_allclose(gy, h * h + _XA)


def test_stop_gradients_reassigned_local_is_value_error() -> None:
    with pytest.raises(ValueError, match="assigned 6 times"):
        srcgrad.grad(reassign_many, stop_gradients="y")(_XA)


def test_tuple_seeds_with_none_and_broadcasting() -> None:
    g = srcgrad.grad(tuple_of_three, wrt=(0, 1))
    w = np.array([1.0, 2.0, 3.0])
    gx, gy = g(_XA, _YA, grad_ys=(2.0, w, None))
    np.testing.assert_allclose(gx, 2.0 * _YA + 2.0 * w * _YA + 1.0)
    np.testing.assert_allclose(gy, 2.0 * _XA + 2.0 * w * _XA - 1.0)
    gx, gy = g(_XA, _YA, grad_ys=(None, np.ones(1), np.full((1,), 3.0)))
    np.testing.assert_allclose(gx, _YA + 2.0 * _YA + 3.0)
    with pytest.raises(ValueError):
        g(_XA, _YA, grad_ys=(1.0, 2.0))
    with pytest.raises(ValueError):
        g(_XA, _YA, grad_ys=(np.ones(2), 1.0, 1.0))


def test_unconnected_zero_float32() -> None:
    gx, gy = srcgrad.grad(stop_product, wrt=("x", "y"), stop_gradients=("x", "y"), unconnected_gradients="zero")(
        _f32(_XA), _f32(_YA))
    assert gx.dtype == np.float32 and gy.dtype == np.float32


def test_integer_wrt_is_none() -> None:
    g = srcgrad.grad(scalar_times_array, wrt=(0, 1))(3, _X32)
    assert g[0] is None
    np.testing.assert_allclose(g[1], np.full_like(_X32, 3.0))


# --- second derivatives ------------------------------------------------------------------------------


def sd_poly(x):
    return x ** 3 * np.sin(x) + x * x


def sd_branch(x):
    if x > 0:
        y = x ** 3
    else:
        y = np.exp(x) * x
    return y * 2.0


def sd_ifexp(x):
    y = x * x if x > 0.0 else -x
    return y * x


def sd_tanh_log(x):
    return np.tanh(x) * np.log(x * x + 1.0)


def sd_rational(x):
    return 1.0 / (x + 2.0) + x / (1.0 + x * x)


def sd_relu_abs(x):
    return np.maximum(x, 0.0) ** 2 + np.abs(x) * x


def sd_helper_defaults(x):
    return _scale(x) * _scale(x, a=0.5, b=x) + np.exp(-x) * x


def sd_stop(x):
    return srcgrad.stop_gradient(x * x) * x + x ** 3


def sd_where(x):
    return np.sum(np.where(x > 0.5, x ** 3, np.sqrt(x * x + 1.0)))


def sd_softmax(x):
    e = np.exp(x - np.max(x))
    return np.sum((e / np.sum(e)) ** 2)


def sd_reductions(x):
    return np.max(x) * np.mean(x * x) + np.prod(x) + np.std(x)


def sd_indexing(x):
    return np.sum(x[1:] * x[:-1]) + x[0] ** 3 + np.sum(x[np.array([0, 0, 2])] ** 3) + np.sum(x[x > 0] ** 3)


def sd_linalg(x):
    A = x.reshape(2, 2) + 3 * np.eye(2)
    return np.linalg.det(A) + np.sum(np.linalg.inv(A)) + np.sum(np.linalg.solve(A, x[:2]))


def sd_math_builtins(x):
    return math.exp(x[0]) * math.sin(x[1]) + max(x[0], x[1]) * min(x[2], x[3]) + abs(x[0]) ** 3 + pow(x[1] + 3, 2.5)


def sd_x_pow_x(x):
    return x ** x


def sd_builtin_sum(x):
    return sum([x, x * x]) * x


_SD_X4 = np.array([0.3, -0.8, 0.55, 1.1])

SD_CASES = [
    ("sd_poly", sd_poly, 0.7),
    ("sd_branch-pos", sd_branch, 0.7),
    ("sd_branch-neg", sd_branch, -0.6),
    ("sd_ifexp-pos", sd_ifexp, 0.7),
    ("sd_ifexp-neg", sd_ifexp, -0.7),
    ("sd_tanh_log", sd_tanh_log, 0.8),
    ("sd_rational", sd_rational, 0.4),
    ("sd_relu_abs-pos", sd_relu_abs, 0.6),
    ("sd_relu_abs-neg", sd_relu_abs, -0.6),
    ("sd_helper_defaults", sd_helper_defaults, 0.7),
    ("sd_poly-array", sd_poly, np.array([0.3, 0.8, 1.4])),
    ("sd_where-array", sd_where, np.array([0.3, 0.8, 1.4])),
    ("sd_softmax", sd_softmax, _SD_X4),
    ("sd_reductions", sd_reductions, _SD_X4),
    ("sd_indexing", sd_indexing, _SD_X4),
    ("sd_linalg", sd_linalg, _SD_X4),
    ("sd_math_builtins", sd_math_builtins, _SD_X4),
]


@pytest.mark.parametrize(("fn", "x"), [pytest.param(f, x, id=i) for i, f, x in SD_CASES])
def test_second_derivative(fn: Callable[..., Any], x: Any) -> None:
    second_derivative_check(fn, x)


def test_second_derivative_respects_stop_gradient() -> None:
    # d/dx [stop(x*x) * x + x**3] = stop(x*x) + 3 x**2, whose derivative is 6 x.
    assert srcgrad.grad(srcgrad.grad(sd_stop))(0.7) == pytest.approx(6 * 0.7)


def test_third_derivative_of_branch() -> None:
    assert srcgrad.grad(srcgrad.grad(srcgrad.grad(sd_branch)))(0.7) == pytest.approx(12.0)


# --- generated source and cache ----------------------------------------------------------------------


@pytest.mark.parametrize("fn", [lstm_like_pair, helper_early_return_in_loop, aug_item_in_loop, while_break_data,
                                list_nested_append])
def test_generated_source_is_valid_python(fn: Callable[..., Any]) -> None:
    text = srcgrad.show(fn)
    ast.parse(text)
    compile(text, "<adjoint>", "exec")
    raw = srcgrad.show(fn, optimize=False)
    ast.parse(raw)
    assert f"def {fn.__name__}_grad(" in text
    assert "# grad of:" in text


def cache_probe() -> str:
    """Gradients of a few cases, printed exactly (used by the cache test in subprocesses)."""
    results = []
    for name in ("lstm_like_pair", "helper_early_return_in_loop", "nested_while_for_continue", "mask_aug",
                 "list_nested_append"):
        for ident, fn, args, wrt in FD_CASES:
            if ident == name:
                results.append(srcgrad.grad(fn, wrt=wrt)(*args))
    return repr(results)


def test_disk_cache_on_and_off_agree(tmp_path) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    script = f"import sys; sys.path.insert(0, {here!r}); import test_adversarial as t; print(t.cache_probe())"

    def run(**env: str) -> str:
        full = {**os.environ, **env}
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=full, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    off = run(SRCGRAD_CACHE="0", SRCGRAD_CACHE_DIR=str(tmp_path / "unused"))
    cold = run(SRCGRAD_CACHE="1", SRCGRAD_CACHE_DIR=str(tmp_path / "cache"))
    assert os.listdir(tmp_path / "cache"), "the disk cache stayed empty"
    warm = run(SRCGRAD_CACHE="1", SRCGRAD_CACHE_DIR=str(tmp_path / "cache"))
    assert off == cold == warm
    assert not (tmp_path / "unused").exists() or not os.listdir(tmp_path / "unused")
    assert off.strip() == cache_probe()


# --- bugs found by this file, fixed: regression tests ----------------------------------------------------------------------


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


def closure_called_in_loop(x):
    def g(v):
        return v * c

    c = x
    s = 0.0
    for i in range(2):
        s = s + g(1.0)
        c = c * x
    return s


def closure_in_loop_constant_start(x):
    def f(v):
        return v * c

    c = 1.0
    for i in range(2):
        c = x * c
        r = f(1.0)
    return r


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


def nested_def_reads_outer_param(x, y):
    def outer(u):
        def inner(v):
            return v * y

        return inner(u)

    return np.sum(outer(x))


def def_inside_loop(x):
    total = 0.0
    for i in range(3):
        def f(v):
            return v * 2.0

        total = total + f(x[i])
    return total


def closure_reads_loop_index(x):
    def f(v):
        return v * i

    total = 0.0
    for i in range(3):
        total = total + f(x[i])
    return total


def zip_reversed_rows(X, Y):
    s = 0.0
    for a, b in zip(reversed(X), Y):
        s = s + np.sum(a * b)
    return s


_X3 = np.array([0.3, -0.4, 0.9])


def test_bug_repeated_fancy_index_assign() -> None:
    np.testing.assert_allclose(srcgrad.grad(repeated_index_assign)(_X3), [0.0, 1.0, 1.0])


def test_bug_repeated_fancy_index_aug_assign() -> None:
    check(repeated_index_aug_assign, (_X3,))


def test_bug_closure_called_in_loop_sees_stale_capture() -> None:
    value, grad = srcgrad.value_and_grad(closure_called_in_loop)(0.7)
    assert value == pytest.approx(closure_called_in_loop(0.7))
    assert grad == pytest.approx(1 + 2 * 0.7)


def test_bug_closure_in_loop_constant_start_gives_none() -> None:
    value, grad = srcgrad.value_and_grad(closure_in_loop_constant_start)(3.0)
    assert value == pytest.approx(9.0)
    assert grad == pytest.approx(6.0)


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


def test_bug_second_derivative_x_pow_x() -> None:
    x = 0.7
    expected = x ** x * ((math.log(x) + 1) ** 2 + 1 / x)
    assert srcgrad.grad(srcgrad.grad(sd_x_pow_x))(x) == pytest.approx(expected)


def test_bug_mixed_partial_power() -> None:
    def_grad_p = srcgrad.grad(srcgrad.grad(lambda_free_power, wrt=1), wrt=0)
    x, p = 0.7, 1.5
    assert def_grad_p(x, p) == pytest.approx(x ** (p - 1) * (1 + p * math.log(x)))


def lambda_free_power(x, p):
    return x ** p


def test_bug_second_derivative_builtin_sum() -> None:
    assert srcgrad.grad(srcgrad.grad(sd_builtin_sum))(0.7) == pytest.approx(2 + 6 * 0.7)


def test_bug_nested_def_two_levels() -> None:
    check(nested_def_reads_outer_param, (_X3, _X3 + 1.0), wrt=(0, 1))


def test_bug_def_inside_loop() -> None:
    check(def_inside_loop, (_X3,))


def test_bug_closure_reads_loop_index() -> None:
    check(closure_reads_loop_index, (_X3,))


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
