"""Gradients of gradients, loops included: the first-order adjoint of a loop keeps its
values on list tapes (`append` forwards, `pop` backwards), and the front end reads
those as lists, so the adjoint is differentiated like any other code."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
from gradcheck import Draws, second_derivative_check
from gradcheck import inner as _inner
from test_calls import _scale
from test_composite_rules import attention, layer_norm

import srcgrad
from srcgrad import nn

_draws = Draws(1234)
rn = _draws.normal
spd = _draws.spd


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


# --- second derivatives -----------------------------------------------------------------------


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


# --- regression tests of bugs found and fixed -------------------------------------------------


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


# --- higher order -----------------------------------------------------------------------------


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def ho_layer_norm(x):
    return np.sum(np.sin(layer_norm(x, np.arange(1.0, 5.0), 0.5)))


def ho_xent(x):
    return np.sum(nn.softmax_cross_entropy_with_logits(labels=np.eye(3)[[0, 2]], logits=x))


def ho_linalg(a):
    return np.linalg.slogdet(a)[1] + np.sum(np.linalg.inv(a) ** 2) + np.sum(np.linalg.solve(a, a[0]) ** 2)


def ho_cholesky(a):
    return np.sum(np.linalg.cholesky(a @ a.T + 3 * np.eye(a.shape[0])) ** 3)


def ho_einsum(a):
    return np.einsum("ij,jk,ki->", a, a, a) + np.sum(np.einsum("ij,kj->ik", a, np.tanh(a)) ** 2)


def ho_sort_cumprod(x):
    return np.sum(np.sort(x) ** 3 * np.arange(x.size)) + np.sum(np.cumprod(np.cumsum(x)) ** 2)


def ho_nn(x):
    return np.sum(nn.sigmoid(x) * nn.softplus(x) * nn.tanh(x) + nn.log_softmax(x, axis=0) ** 2)


def ho_where_clip(x):
    return np.sum(np.where(x > 0, x ** 3, np.exp(x)) * np.clip(x, -0.5, 0.5) ** 2)


def ho_max_prod_std(x):
    return np.sum(np.max(x, axis=1) ** 3) + np.sum(np.prod(x, axis=0) ** 2) + np.sum(np.std(x, axis=0) ** 3)


def ho_eigh_svd(a):
    w, _ = np.linalg.eigh(a + a.T)
    return np.sum(w ** 3) + np.sum(np.linalg.svd(a, compute_uv=False) ** 3)


def ho_attention(q):
    return np.sum(attention(q[None], q[None] * 0.5, np.tanh(q)[None]) ** 2)


HIGHER = [
    ("rosenbrock", rosenbrock, rn(5)),
    ("layer_norm", ho_layer_norm, rn(2, 4)),
    ("xent", ho_xent, rn(2, 3)),
    ("linalg", ho_linalg, rn(3, 3) + 3 * np.eye(3)),
    ("cholesky", ho_cholesky, rn(3, 3)),
    ("einsum", ho_einsum, rn(3, 3)),
    ("sort_cumprod", ho_sort_cumprod, rn(4)),
    ("nn", ho_nn, rn(3, 2)),
    ("where_clip", ho_where_clip, rn(6)),
    ("max_prod_std", ho_max_prod_std, rn(3, 3)),
    ("eigh_svd", ho_eigh_svd, rn(3, 3)),
    ("attention", ho_attention, rn(3, 2)),
]


@pytest.mark.parametrize("fn,x", [pytest.param(f, x, id=n) for n, f, x in HIGHER])
def test_hessian_vector_product(fn, x):
    g1 = srcgrad.grad(fn)
    g2 = srcgrad.grad(g1)
    rng = np.random.default_rng(11)
    u, v = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    hu = g2(x, grad_ys=u)
    assert hu.shape == x.shape
    expected = _inner((g1(x + 1e-5 * v) - g1(x - 1e-5 * v)) / 2e-5, u)
    assert abs(_inner(hu, v) - expected) <= 1e-5 * max(1.0, abs(expected))


def two_args(x, y):
    return np.sum(np.sin(x) * y ** 2 + np.exp(x * y))


def test_mixed_partials_with_tuple_seeds():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    g = srcgrad.grad(two_args, wrt=("x", "y"))
    u1, u2, vx, vy = (rng.standard_normal(3) for _ in range(4))
    hx, hy = srcgrad.grad(g, wrt=("x", "y"))(x, y, grad_ys=(u1, u2))

    def gu(a, b):
        p, q = g(a, b)
        return _inner(p, u1) + _inner(q, u2)

    expected = (gu(x + 1e-5 * vx, y + 1e-5 * vy) - gu(x - 1e-5 * vx, y - 1e-5 * vy)) / 2e-5
    assert abs(_inner(hx, vx) + _inner(hy, vy) - expected) <= 1e-6 * max(1, abs(expected))
    gx = srcgrad.grad(two_args, wrt="x")
    hxy = srcgrad.grad(gx, wrt=1)(x, y, grad_ys=u1)
    expected = (_inner(gx(x, y + 1e-5 * vy), u1) - _inner(gx(x, y - 1e-5 * vy), u1)) / 2e-5
    assert abs(_inner(hxy, vy) - expected) <= 1e-6 * max(1, abs(expected))


def scalar_smooth(x):
    return math.sin(x) * math.exp(0.3 * x) + x ** 4


@pytest.mark.parametrize("x", [0.7, np.float32(0.7), np.array(0.7)], ids=["float", "float32", "0d"])
def test_third_and_fourth_derivative_types(x):
    g1 = srcgrad.grad(scalar_smooth if type(x) is float else array_smooth)
    g2 = srcgrad.grad(g1)
    g3 = srcgrad.grad(g2)
    g4 = srcgrad.grad(g3)
    for g in (g1, g2, g3, g4):
        out = g(x)
        assert type(out) is type(x) and np.shape(out) == np.shape(x)
    if type(x) is float:
        e = 1e-5
        assert abs(g3(x) - (g2(x + e) - g2(x - e)) / (2 * e)) < 1e-5
        assert abs(g4(x) - (g3(x + e) - g3(x - e)) / (2 * e)) < 1e-5


def array_smooth(x):
    return np.sin(x) * np.exp(0.3 * x) + x ** 4


def smooth_abs(x, eps):
    return np.sqrt(x * x + eps)


def smooth_abs_vjp(ct, out, x, eps):
    return ct * x / out, None


srcgrad.register_vjp(smooth_abs, smooth_abs_vjp)


def uses_rule(x):
    return np.sum(smooth_abs(x, 0.1) ** 2 * np.sin(x)) + np.sum(nn.softsign(smooth_abs(x, 0.2)))


def test_third_order_through_user_rule():
    rng = np.random.default_rng(4)
    x, w, v = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(4)
    g1 = srcgrad.grad(uses_rule)
    g2 = srcgrad.grad(g1)
    g3 = srcgrad.grad(g2)
    assert "smooth_abs_vjp" in srcgrad.show(uses_rule) or "/ " in srcgrad.show(uses_rule)
    for lower, higher in ((g1, g2), (g2, g3)):
        got = _inner(higher(x, grad_ys=w), v)
        expected = (_inner(lower(x + 1e-5 * v), w) - _inner(lower(x - 1e-5 * v), w)) / 2e-5
        assert abs(got - expected) <= 1e-5 * max(1, abs(expected))


def relu_cubed(x):
    return np.sum(nn.relu(x) ** 3) + np.sum(nn.relu6(4 * x) ** 2)


def test_second_derivative_through_nn_kinks():
    x = np.array([-1.0, -0.2, 0.3, 1.0, 2.0])
    h = srcgrad.grad(srcgrad.grad(relu_cubed))(x)
    np.testing.assert_allclose(h, 6 * np.maximum(x, 0) + 32 * ((4 * x > 0) & (4 * x < 6)))


def two_outputs(x):
    return np.sin(x) * x, np.sum(x ** 3)


def test_second_derivative_of_a_function_returning_a_tuple():
    x = np.array([0.5, 1.0])
    hessian_sum = srcgrad.grad(srcgrad.grad(two_outputs))(x)  # the Hessian is diagonal here
    np.testing.assert_allclose(hessian_sum, -x * np.sin(x) + 2 * np.cos(x) + 6 * x)
