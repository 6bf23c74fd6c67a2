"""Forward mode: `jvp` against reverse mode on the whole corpus, against finite differences, second
and third derivatives (forward over reverse), Jacobians both ways, the generated tangent code,
and its errors.

The corpus check uses <u, J·v> = <Jᵀ·u, v>: forward mode gives J·v for a random v, reverse mode
Jᵀ·u for a random seed u; the two inner products agree to rounding (float64), or to float32's
precision (float32 inputs, both modes in float32)."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import CASES
from gradcheck import inner, outputs, random_like

import srcgrad

DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]
RTOL = {np.float64: 1e-7, np.float32: 2e-3}


def _tangents(rng, args, wrt):
    """A random tangent for each differentiated argument, zeros for the others."""
    return [random_like(rng, a) if i in wrt else (np.zeros_like(a) if isinstance(a, np.ndarray) else 0 * a)
            if isinstance(a, (np.ndarray, float, np.floating)) else a for i, a in enumerate(args)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward_mode_agrees_with_reverse_mode(case, dtype):
    rng = np.random.default_rng(7)
    args = case.make_inputs(rng, dtype)
    tangents = _tangents(rng, args, case.wrt)
    value, tangent = srcgrad.jvp(case.fn, args, tangents)
    expected = case.fn(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
    for got, want in zip(outputs(value), outputs(expected)):
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64),
                                   rtol=RTOL[dtype] * 10, atol=1e-12)
    seeds = tuple(random_like(rng, y) for y in outputs(expected))
    seed = seeds if isinstance(expected, tuple) else seeds[0]
    grads = srcgrad.grad(case.fn, wrt=case.wrt, unconnected_gradients="zero")(*args, grad_ys=seed)
    grads = grads if len(case.wrt) > 1 else (grads,)
    reverse = sum(inner(g, tangents[i]) for g, i in zip(grads, case.wrt))
    forward = sum(inner(u, t) for u, t in zip(outputs(seed), outputs(tangent)))
    scale = max(abs(reverse), abs(forward),
                sum(np.linalg.norm(np.ravel(np.asarray(g, dtype=np.float64))) for g in grads), 1e-12)
    assert abs(forward - reverse) <= RTOL[dtype] * 10 * scale, (forward, reverse)
    for t, y in zip(outputs(tangent), outputs(expected)):
        assert np.shape(t) == np.shape(y)


def square(x):
    return x**2


def test_derivatives_of_x_squared_at_3():
    """The seeds' higher-order example: 6, 2, then 0, each a forward sweep over the last."""
    assert srcgrad.jvp(square, (3.0,), (1.0,)) == (9.0, 6.0)
    first = srcgrad.grad(square)
    assert srcgrad.jvp(first, (3.0,), (1.0,))[1] == 2.0
    second = srcgrad.grad(first)
    assert srcgrad.jvp(second, (3.0,), (1.0,))[1] == 0.0


def rnn_loss(W, x0, steps):
    h = x0
    for _ in range(steps):
        h = np.tanh(W @ h)
        if np.sum(h) < -10.0:
            break
    return np.sum(h**2)


def test_hessian_through_a_loop_forward_over_reverse_matches_reverse_over_reverse():
    rng = np.random.default_rng(0)
    W, x0 = rng.standard_normal((3, 3)) * 0.5, rng.standard_normal(3)
    v = rng.standard_normal((3, 3))
    forward_over_reverse = srcgrad.hvp(rnn_loss)(W, x0, 4, v)
    reverse_over_reverse = srcgrad.grad(srcgrad.grad(rnn_loss, unconnected_gradients="zero"))(W, x0, 4, grad_ys=v)
    np.testing.assert_allclose(forward_over_reverse, reverse_over_reverse, rtol=1e-10, atol=1e-12)
    H = srcgrad.hessian(rnn_loss)(W, x0, 4)
    assert H.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(np.tensordot(H, v, axes=2), forward_over_reverse, rtol=1e-10, atol=1e-12)
    srcgrad.check_grads(rnn_loss, (W, x0, 4), order=2, modes=("fwd", "rev"))


def spread(x):
    return np.concatenate([np.sin(x), x[:2] * x[1:], [np.sum(x**3)]])


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_modes_agree(mode):
    x = np.array([0.3, -1.2, 0.7])
    J = srcgrad.jacobian(spread, mode=mode)(x)
    assert J.shape == (6, 3)
    expected = np.vstack([np.diag(np.cos(x)), [[x[1], x[0], 0.0], [0.0, x[2], x[1]]], [3 * x**2]])
    np.testing.assert_allclose(J, expected, rtol=1e-12)


def test_vjp_gives_the_value_and_a_pullback():
    x = np.array([0.3, -1.2, 0.7])
    value, pullback = srcgrad.vjp(spread, x)
    np.testing.assert_allclose(value, spread(x))
    u = np.arange(6.0)
    (g,) = pullback(u)
    np.testing.assert_allclose(g, u @ srcgrad.jacobian(spread, mode="forward")(x), rtol=1e-12)


def layer(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(h * h)


def test_the_tangent_function_reads_like_hand_written_code():
    source = srcgrad.show(layer, mode="forward")
    assert "def layer_jvp(W, b, x, W_dot, b_dot, x_dot):" in source
    assert "# jvp of: h = np.tanh(x @ W + b)" in source
    assert "h_dot = " in source
    assert source.count("# jvp of: h = np.tanh") == 1  # one comment heads the line's values and tangents
    assert "return" in source and "sum_dot" in source


def test_a_tangent_of_the_wrong_shape_names_its_argument():
    with pytest.raises(ValueError, match="the tangent for 'b' has shape"):
        srcgrad.jvp(layer, (np.ones((2, 2)), np.ones(2), np.ones((1, 2))), (np.ones((2, 2)), np.ones(3), np.ones((1, 2))))


def unknown_callee(x):
    return np.sum(np.linalg.slogdet(x @ x.T + np.eye(2))[1] * np.i0(x))


def test_a_callee_without_a_rule_is_a_located_error():
    with pytest.raises(srcgrad.NoGradientError, match="no derivative rule") as info:
        srcgrad.jvp(unknown_callee, (np.eye(2),), (np.ones((2, 2)),))
    assert "test_forward_mode.py" in str(info.value)


def written_in_place(x):
    y = x * 1.0
    v = y[1:]
    y *= 2.0  # v sees this write, in both modes
    return np.sum(v * x[1:])


def test_in_place_writes_through_views():
    x = np.array([0.5, -1.0, 2.0])
    srcgrad.check_grads(written_in_place, (x,), modes=("fwd", "rev"))
    assert srcgrad.jvp(written_in_place, (x.copy(),), (np.ones(3),))[0] == written_in_place(x.copy())


def test_wrt_names_the_primals_that_vary():
    W, b, x = np.ones((2, 2)) * 0.3, np.ones(2) * 0.1, np.ones((1, 2))
    v = np.array([[0.5, -1.0], [2.0, 0.25]])
    _, only_w = srcgrad.jvp(layer, (W, b, x), (v, None, None), wrt=0)
    _, all_three = srcgrad.jvp(layer, (W, b, x), (v, np.zeros(2), np.zeros((1, 2))))
    assert np.isclose(only_w, all_three)
    assert "b_dot" not in srcgrad.show(layer, mode="forward", wrt=0)
