"""Gradients of gradients, loops included: the first-order adjoint of a loop keeps its
values on list tapes (`append` forwards, `pop` backwards), and the front end reads
those as lists, so the adjoint is differentiated like any other code."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad


def cube_by_loop(x):
    y = x
    for i in range(2):
        y = y * x
    return y


def rnn(x, W):
    h = x
    for i in range(3):
        h = np.tanh(h @ W)
    return np.sum(h)


def while_loop(x):
    s = x
    k = 0
    while k < 3:
        s = np.sin(s) + x
        k += 1
    return np.sum(s * s)


def branch_in_loop(x):
    for i in range(4):
        if i % 2 == 0:
            x = x * x
        else:
            x = np.exp(-x)
    return np.sum(x)


def rows(X):
    total = 0.0
    for row in X:
        total = total + np.sum(np.tanh(row) ** 2)
    return total


def appended(x):
    ys = []
    for i in range(3):
        ys.append(np.sin(x) * i)
    return np.sum(np.stack(ys) ** 2)


def early_exit(x):
    for i in range(5):
        if np.sum(x) > 3.0:
            break
        x = x * 1.5 + 0.1
    return np.sum(x ** 3)


W = np.array([[0.5, 0.1, 0.0], [0.2, -0.4, 0.3], [0.1, 0.1, 0.6]])
CASES = [
    (cube_by_loop, (np.array([0.7, -1.2]),)),
    (rnn, (np.array([[0.1, 0.2, -0.3]]), W)),
    (while_loop, (np.array([0.3, -0.2]),)),
    (branch_in_loop, (np.array([0.4, 0.9]),)),
    (rows, (np.array([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.4]]),)),
    (appended, (np.array([0.3, 1.1]),)),
    (early_exit, (np.array([0.5, 0.6]),)),
]


def directional(fn, args, v, eps=1e-5):
    """d/dt fn(x + t v) at t = 0, with x the first argument."""
    x = args[0]
    return (np.asarray(fn(x + eps * v, *args[1:])) - np.asarray(fn(x - eps * v, *args[1:]))) / (2 * eps)


@pytest.mark.parametrize("fn, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessian_vector_product_through_loops(fn, args):
    rng = np.random.default_rng(0)
    first = srcgrad.grad(fn)
    u = rng.standard_normal(np.shape(args[0]))
    v = rng.standard_normal(np.shape(args[0]))
    # u . H v two ways: the gradient of <first(x), u> along v, and by finite differences of first.
    hvp = srcgrad.grad(first)(*args, grad_ys=u)
    expected = np.vdot(directional(first, args, v), u)
    np.testing.assert_allclose(np.vdot(hvp, v), expected, rtol=1e-5, atol=1e-8)


def test_third_derivative_through_a_loop():
    third = srcgrad.grad(srcgrad.grad(srcgrad.grad(cube_by_loop)))
    np.testing.assert_allclose(third(np.array([0.7, -1.2])), [6.0, 6.0])
