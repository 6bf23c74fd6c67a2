"""Whole-function gradients of the corpus vs central finite differences.

Each check uses ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ in one random direction: v perturbs every
differentiated input at once, u is a random seed (`grad_ys`) shaped like the
output, so one central difference checks all gradients and the seed handling.

float64: srcgrad and the difference both run in float64 (eps 1e-6, rtol 1e-5).
float32: srcgrad runs on float32 inputs and must return float32 gradients; the
difference runs on the same values cast up to float64, so it measures the true
derivative at the point srcgrad saw (rtol 2e-3).

The tolerance is relative to |⟨u, J·v⟩| or to the gradient's norm, whichever is
larger: a random direction can make the inner product cancel to nearly zero,
and then it cannot be known to more digits than the gradient itself.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from corpus import CASES, Case
from gradcheck import inner as _inner
from gradcheck import outputs as _outputs
from gradcheck import random_like as _random_like
from gradcheck import upcast

import srcgrad

EPS = 1e-6
RTOL = {np.float64: 1e-5, np.float32: 2e-3}
DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]

# Known compiler bugs, by test and parameter id ("case" or "case-dtype"), each with a
# minimal repro summary. A fixed bug makes its test XPASS, which fails the suite
# (strict), so the entry must then be removed. None are known now.
KNOWN_FAILURES: dict[str, dict[str, str]] = {
    "test_gradient_matches_finite_differences": {},
    "test_gradient_shape_and_dtype": {},
    "test_optimize_false_matches_optimize_true": {},
}


def _params(test: str, with_dtype: bool) -> list:
    known = KNOWN_FAILURES[test]
    params = []
    for case in CASES:
        dtypes = DTYPES if with_dtype else [pytest.param(np.float64, id="float64")]
        for dtype_param in dtypes:
            dtype = dtype_param.values[0]
            ident = f"{case.id}-{dtype_param.id}" if with_dtype else case.id
            reason = known.get(ident) or known.get(case.id)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(case, dtype, id=ident, marks=marks))
    return params


# --- the harness ---------------------------------------------------------------------------


def make_check_inputs(case: Case, dtype: type, seed: int = 0) -> tuple[tuple, Any, list]:
    """The case's inputs, a random seed for each output, and a random direction per wrt input."""
    rng = np.random.default_rng(seed)
    args = case.make_inputs(rng, dtype)
    out = case.fn(*args)
    seeds = tuple(_random_like(rng, y) for y in _outputs(out))
    grad_ys = seeds if isinstance(out, tuple) else seeds[0]
    directions = [rng.standard_normal(np.shape(args[i])) for i in case.wrt]
    directions = [float(v) if np.ndim(args[i]) == 0 and not isinstance(args[i], np.ndarray) else v
                  for i, v in zip(case.wrt, directions)]
    return args, grad_ys, directions


def directional_derivative(case: Case, args: tuple, grad_ys: Any, directions: list, eps: float = EPS) -> float:
    """⟨u, J·v⟩ by one central difference in float64, through `case.reference` where there is one."""
    base = tuple(upcast(a) for a in args)
    fn = case.reference(base) if case.reference is not None else case.fn

    def shifted(t: float) -> tuple:
        moved = list(base)
        for i, v in zip(case.wrt, directions):
            moved[i] = base[i] + t * v
        return _outputs(fn(*moved))

    plus, minus = shifted(eps), shifted(-eps)
    seeds = _outputs(grad_ys)
    return sum(_inner(u, (p - m) / (2 * eps)) for u, p, m in zip(seeds, plus, minus))


def assert_vjp_matches(grads: tuple, expected: float, directions: list, rtol: float, what: str) -> None:
    assert all(g is not None for g in grads), f"{what}: a connected input got a None gradient: {grads!r}"
    actual = sum(_inner(g, v) for g, v in zip(grads, directions))
    norm = np.sqrt(sum(_inner(g, g) for g in grads))
    tolerance = rtol * max(abs(expected), norm)
    assert abs(actual - expected) <= tolerance, (
        f"{what}: <J^T u, v> = {actual!r} but <u, J v> = {expected!r} by finite differences "
        f"(|difference| {abs(actual - expected):.3g} > tolerance {tolerance:.3g}); gradients: {grads!r}"
    )


def srcgrad_grads(case: Case, args: tuple, grad_ys: Any, **options: Any) -> tuple:
    return srcgrad.grad(case.fn, wrt=case.wrt, **case.options, **options)(*args, grad_ys=grad_ys)


def assert_like(grad: Any, value: Any, what: str) -> None:
    """A gradient has its input's shape and dtype: a float for a Python float, else the same dtype."""
    assert grad is not None, f"{what}: gradient is None"
    assert np.shape(grad) == np.shape(value), f"{what}: gradient shape {np.shape(grad)} != input shape {np.shape(value)}"
    if type(value) is float:
        assert isinstance(grad, float), f"{what}: gradient of a Python float is {type(grad).__name__}"
    else:
        assert np.result_type(grad) == np.result_type(value), (
            f"{what}: gradient dtype {np.result_type(grad)} != input dtype {np.result_type(value)}"
        )


# --- srcgrad on the corpus ---------------------------------------------------------------------


@pytest.mark.parametrize(("case", "dtype"), _params("test_gradient_matches_finite_differences", with_dtype=True))
def test_gradient_matches_finite_differences(case: Case, dtype: type) -> None:
    args, grad_ys, directions = make_check_inputs(case, dtype)
    grads = srcgrad_grads(case, args, grad_ys)
    assert isinstance(grads, tuple) and len(grads) == len(case.wrt), f"wrt={case.wrt} gave {grads!r}"
    if dtype == np.float32:
        for i, g in zip(case.wrt, grads):
            assert g is not None and np.result_type(g) == np.float32, f"argument {i}: float32 in, {np.result_type(g)} out"
    expected = directional_derivative(case, args, grad_ys, directions)
    assert_vjp_matches(grads, expected, directions, RTOL[dtype], case.id)


@pytest.mark.parametrize(("case", "dtype"), _params("test_gradient_shape_and_dtype", with_dtype=True))
def test_gradient_shape_and_dtype(case: Case, dtype: type) -> None:
    args, grad_ys, _ = make_check_inputs(case, dtype)
    grads = srcgrad_grads(case, args, grad_ys=None)
    assert isinstance(grads, tuple) and len(grads) == len(case.wrt)
    for i, g in zip(case.wrt, grads):
        assert_like(g, args[i], f"{case.id} argument {i}")


@pytest.mark.parametrize(("case", "dtype"), _params("test_optimize_false_matches_optimize_true", with_dtype=False))
def test_optimize_false_matches_optimize_true(case: Case, dtype: type) -> None:
    args, grad_ys, _ = make_check_inputs(case, dtype)
    optimized = srcgrad_grads(case, args, grad_ys, optimize=True)
    raw = srcgrad_grads(case, args, grad_ys, optimize=False)
    assert len(raw) == len(optimized) == len(case.wrt)
    for i, g_raw, g_opt in zip(case.wrt, raw, optimized):
        assert np.shape(g_raw) == np.shape(g_opt), f"argument {i}"
        np.testing.assert_allclose(g_raw, g_opt, rtol=1e-12, atol=1e-14, err_msg=f"argument {i}")


# --- the corpus and the harness themselves (no srcgrad needed) --------------------------------


def test_corpus_size() -> None:
    assert len({case.fn for case in CASES}) >= 120
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_corpus_inputs_inside_domain(case: Case) -> None:
    """Outputs are finite, float32 stays float32, and no kink or branch lies within a step.

    Central differences with steps 1e-6 and 1e-4 must agree: a kink (abs, max, a
    branch threshold) between them would make them differ.
    """
    for dtype in (np.float32, np.float64):
        args, grad_ys, directions = make_check_inputs(case, dtype)
        for out in _outputs(case.fn(*args)):
            assert np.all(np.isfinite(out))
            if dtype == np.float32:
                assert type(out) is float or np.result_type(out) == np.float32, np.result_type(out)
        for i in case.wrt:
            assert type(args[i]) is float or np.result_type(args[i]) == dtype
    small = directional_derivative(case, args, grad_ys, directions, eps=1e-6)  # the float64 inputs
    large = directional_derivative(case, args, grad_ys, directions, eps=1e-4)
    np.testing.assert_allclose(small, large, rtol=1e-4, atol=1e-6)


def _softmax_xent_grads(W1, b1, W2, b2, X, Y, u):  # type: ignore[no-untyped-def]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dlogits = u * (p - Y) / X.shape[0]
    dh = dlogits @ W2.T * (1 - h * h)
    return X.T @ dh, dh.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)


def _rnn_dx(Wx, Wh, x, h0, u):  # type: ignore[no-untyped-def]
    hs, h = [h0], h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh)
        hs.append(h)
    dx, dh = np.zeros_like(x), u * 2 * hs[-1]
    for t in reversed(range(x.shape[0])):
        dz = dh * (1 - hs[t + 1] ** 2)
        dx[t] = Wx @ dz
        dh = Wh @ dz
    return (dx,)


# case id -> (wrt, gradients derived by hand: (*args, grad_ys) -> tuple)
HAND_DERIVED: dict[str, tuple[tuple[int, ...], Callable]] = {
    "assign_chain": ((0, 1), lambda x, y, u: (
        u * ((y + 1) * x * y + (x * y + x - y) * y),
        (u * ((x - 1) * x * y + (x * y + x - y) * x)).sum(axis=0),
    )),
    "bcast_outer": ((0, 1), lambda a, b, u: (
        (u * np.exp(a + b) * (a + 1)).sum(axis=1, keepdims=True),
        (u * np.exp(a + b) * a).sum(axis=0, keepdims=True),
    )),
    "np_logsumexp": ((0,), lambda x, u: (u * np.exp(x) / np.exp(x).sum(),)),
    "stop_grad_normalize": ((0,), lambda x, u: (u * 2 * (x - x.mean()),)),
    "tuple_output": ((0, 1), lambda x, y, u: (
        u[0] * y + u[1] * np.cos(x),
        (u[0] * x).sum(axis=0),
    )),
    "rnn_tanh": ((2,), _rnn_dx),
    "mlp_softmax_xent": ((0, 1, 2, 3), _softmax_xent_grads),
}


@pytest.mark.parametrize("name", sorted(HAND_DERIVED))
def test_harness_agrees_with_hand_derived_gradients(name: str) -> None:
    """The finite-difference check accepts gradients derived by hand, and rejects a slightly wrong one."""
    wrt, grads_fn = HAND_DERIVED[name]
    base = next(c for c in CASES if c.id == name)
    case = Case(base.fn, base.make_inputs, wrt, base.domain, reference=base.reference)
    args, grad_ys, directions = make_check_inputs(case, np.float64)
    grads = tuple(grads_fn(*args, grad_ys))
    expected = directional_derivative(case, args, grad_ys, directions)
    assert_vjp_matches(grads, expected, directions, RTOL[np.float64], name)
    wrong = (grads[0] * 1.01,) + grads[1:]
    with pytest.raises(AssertionError):
        assert_vjp_matches(wrong, expected, directions, RTOL[np.float64], name)
