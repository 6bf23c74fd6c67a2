"""Calls to the user's functions: inlined helpers with defaults and keywords, early returns inside
helpers, closures with late binding (rebound, in loops, reading loop indices), nested defs.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from gradcheck import check
from gradcheck import f32 as _f32
from gradcheck import rng as _rng
from test_item_writes import _X3

import srcgrad

# --- calls, closures, defaults ----------------------------------------------------------------


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


# --- regression tests of bugs found and fixed -------------------------------------------------


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


def test_bug_closure_called_in_loop_sees_stale_capture() -> None:
    value, grad = srcgrad.value_and_grad(closure_called_in_loop)(0.7)
    assert value == pytest.approx(closure_called_in_loop(0.7))
    assert grad == pytest.approx(1 + 2 * 0.7)


def test_bug_closure_in_loop_constant_start_gives_none() -> None:
    value, grad = srcgrad.value_and_grad(closure_in_loop_constant_start)(3.0)
    assert value == pytest.approx(9.0)
    assert grad == pytest.approx(6.0)


def test_bug_nested_def_two_levels() -> None:
    check(nested_def_reads_outer_param, (_X3, _X3 + 1.0), wrt=(0, 1))


def test_bug_def_inside_loop() -> None:
    check(def_inside_loop, (_X3,))


def test_bug_closure_reads_loop_index() -> None:
    check(closure_reads_loop_index, (_X3,))


# --- the parametrised finite-difference cases --------------------------------------------------

FD_CASES: list[tuple[str, Callable[..., Any], tuple, tuple[int, ...]]] = [
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
]


@pytest.mark.parametrize(("fn", "args", "wrt"), [pytest.param(f, a, w, id=i) for i, f, a, w in FD_CASES])
def test_matches_finite_differences(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...]) -> None:
    check(fn, args, wrt)
