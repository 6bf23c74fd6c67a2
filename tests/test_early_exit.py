"""Early exits that exit (issue 8): a `break` or a `return` inside a `for` is lowered to a flag
that guards the rest of the body, and the generated loop stops once the flag is set (`if broken:
break`, with a trip count), so the adjoint's reverse loop runs only the trips the forward loop
ran. Values and gradients are Python's and finite differences', at first and second order and
in forward mode."""

from __future__ import annotations

import re

import numpy as np
import pytest

import srcgrad
from gradcheck import check, check_value_is_pythons


def leaves_after_five(x):
    s = 0.0
    for i in range(1000):
        s = s + np.sin(x * i)
        if i >= 4:
            break
    return s


def leaves_on_data(x):
    s = 0.0
    for row in x:
        s = s + np.sum(row * row)
        if s > 2.0:
            break
    return s


def returns_from_the_loop(x):
    s = x * 0.0
    for i in range(2, 40, 3):
        s = s + np.tanh(x * i)
        if np.sum(s) > 1.5:
            return s * 2.0
    return s


def breaks_an_inner_loop(x):
    total = 0.0
    for i in range(3):
        for j in range(100):
            total = total + np.cos(x * (i + j))
            if j >= i:
                break
    return total


def never_breaks(x):
    s = 0.0
    for i in range(6):
        if i > 10:
            break
        s = s + x * i
    return s


def breaks_in_reversed(x):
    s = 0.0
    for row in reversed(x):
        s = s + np.sum(np.exp(row))
        if s > 3.0:
            break
    return s


CASES = [(leaves_after_five, (0.3,)), (leaves_on_data, (np.array([[0.5, 0.4], [0.9, 0.8], [1.0, 2.0], [0.1, 0.2]]),)),
         (returns_from_the_loop, (np.array([0.05, 0.1]),)), (breaks_an_inner_loop, (0.4,)), (never_breaks, (0.7,)),
         (breaks_in_reversed, (np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),))]


@pytest.mark.parametrize("fn, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_values_and_gradients(fn, args):
    check_value_is_pythons(fn, *args)
    check(fn, args)


@pytest.mark.parametrize("fn, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_second_derivatives_and_forward_mode(fn, args):
    x = args[0]
    v = np.random.default_rng(0).standard_normal(np.shape(x))
    eps = 1e-6
    grad = srcgrad.grad(fn)
    expected = (np.sum(grad(x + eps * v) * v) - np.sum(grad(x - eps * v) * v)) / (2 * eps)
    np.testing.assert_allclose(np.sum(srcgrad.hvp(fn)(x, v) * v), expected, rtol=1e-5, atol=1e-8)
    if np.ndim(x) == 0:  # reverse over reverse: the adjoint's own loop stops early too
        np.testing.assert_allclose(srcgrad.grad(srcgrad.grad(fn), unconnected_gradients="zero")(x) * v * v, expected, rtol=1e-5, atol=1e-8)
    value, tangent = srcgrad.jvp(fn, (x,), (v,))
    np.testing.assert_allclose(value, fn(x), rtol=1e-12)
    np.testing.assert_allclose(np.sum(tangent), np.sum(grad(x) * v), rtol=1e-10, atol=1e-12)


def test_the_generated_loop_stops_and_its_reverse_runs_the_trips_taken():
    source = srcgrad.show(leaves_after_five)
    assert "        if broken:\n            break" in source
    assert "for item_1 in reversed(range(trips)):" in source
    tangents = srcgrad.show(leaves_after_five, mode="forward")
    assert "break" in tangents


def test_a_reversed_loop_runs_all_its_trips():
    # its adjoint's loop counts up from the first row: the forward loop keeps running, guarded
    assert not re.search(r"^ +break$", srcgrad.show(breaks_in_reversed), re.MULTILINE)
