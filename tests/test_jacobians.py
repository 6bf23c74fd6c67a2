"""`srcgrad.jacobian`, `hessian`, `hvp` and `check_grads` (built on reverse mode), against
central differences and closed forms, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad

RNG = np.random.default_rng(8)


def tanh_layer(W, x):
    return np.tanh(W @ x)


def quartic(x):
    return np.sum(x ** 4) + x[0] * x[1] * x[2]


def scalar_rosenbrock(a, b):
    return (1.0 - a) ** 2 + 100.0 * (b - a * a) ** 2


def _numeric_jacobian(fn, args, position, eps=1e-6):
    x = np.asarray(args[position], dtype=np.float64)
    columns = []
    for k in range(x.size):
        d = np.zeros_like(x)
        d.flat[k] = eps
        up, down = list(args), list(args)
        up[position], down[position] = x + d, x - d
        columns.append((np.asarray(fn(*up)) - np.asarray(fn(*down))) / (2 * eps))
    out = np.asarray(fn(*args))
    return np.stack(columns, axis=-1).reshape(out.shape + x.shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_jacobian_of_a_layer_in_each_argument(dtype):
    W, x = RNG.standard_normal((2, 3)).astype(dtype), RNG.standard_normal(3).astype(dtype)
    jW, jx = srcgrad.jacobian(tanh_layer, wrt=(0, 1))(W, x)
    assert jW.shape == (2, 2, 3) and jx.shape == (2, 3)
    tol = 1e-6 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(jx, _numeric_jacobian(tanh_layer, (W.astype(float), x.astype(float)), 1), rtol=tol, atol=tol)
    np.testing.assert_allclose(jW, _numeric_jacobian(tanh_layer, (W.astype(float), x.astype(float)), 0), rtol=tol, atol=tol)


def test_hessian_is_the_closed_form():
    x = np.array([0.5, -1.0, 2.0])
    expected = np.diag(12 * x ** 2) + np.array([[0, x[2], x[1]], [x[2], 0, x[0]], [x[1], x[0], 0]])
    np.testing.assert_allclose(srcgrad.hessian(quartic)(x), expected, rtol=1e-10)


def test_hvp_is_the_hessian_times_the_vector():
    x, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.3, -2.0])
    np.testing.assert_allclose(srcgrad.hvp(quartic)(x, v), srcgrad.hessian(quartic)(x) @ v, rtol=1e-10)


def test_scalar_inputs():
    assert srcgrad.hessian(scalar_rosenbrock)(0.5, 1.0) == pytest.approx(1200 * 0.25 - 400 * 1.0 + 2)
    assert srcgrad.jacobian(scalar_rosenbrock, wrt=1)(0.5, 1.0) == pytest.approx(200.0 * (1.0 - 0.25))


def test_check_grads_passes_and_can_fail():
    srcgrad.check_grads(quartic, (np.array([0.5, -1.0, 2.0]),), order=2)
    srcgrad.check_grads(scalar_rosenbrock, (0.5, 1.0), wrt=(0, 1), order=2)

    def wrong_square(x):
        return x * x

    @srcgrad.register_vjp(wrong_square)
    def wrong_square_vjp(ct, out, x):
        return (ct * 3.0 * x,)  # planted: the derivative is 2x

    def uses_it(x):
        return np.sum(wrong_square(x))

    with pytest.raises(AssertionError, match=r"srcgrad's gradient \(reverse mode\) gives"):
        srcgrad.check_grads(uses_it, (np.array([0.5, 1.5]),))
    with pytest.raises(AssertionError, match=r"srcgrad's Jacobian-vector product \(forward mode\) gives"):
        srcgrad.check_grads(uses_it, (np.array([0.5, 1.5]),), modes=("fwd",))  # derived from the same wrong rule
