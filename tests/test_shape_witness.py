"""optimize/shape_witness.py: a reduction's cotangent takes its shape and dtype from the one value
the reduced expression is computed from, elementwise, so the forward work only that expression
needed (`x ** 3` in `np.sum(... + x ** 3)`) is not done. Gradients and their dtypes are those
optimize=False gives, and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check

import srcgrad

C = np.array([0.5, -1.0, 2.0])


def cubic_sum(x):
    return np.sum(np.tanh(x) * np.exp(-x * x) + x ** 3)


def cubic_mean(x):
    return np.mean(x ** 3 + 2.0 * x)


def two_sources(x, y):
    return np.sum(x ** 3 * y)  # x and y may broadcast: neither alone has the shape


def with_an_array_constant(x):
    return np.sum(x ** 3 + C)  # C broadcasts x: x has not the shape


def comparison_inside(x):
    return np.sum((x > 0.3) * x ** 3)


@pytest.mark.parametrize("fn", [cubic_sum, cubic_mean])
def test_the_forward_work_only_the_reduction_needed_is_gone(fn):
    source = srcgrad.show(fn)
    assert "x ** 3" not in source.split("# grad of")[0]
    assert "x ** 3" in srcgrad.show(fn, optimize=False)


@pytest.mark.parametrize("fn", [two_sources, with_an_array_constant, comparison_inside])
def test_a_reduction_of_more_than_one_value_keeps_its_witness(fn):
    assert "x ** 3" in srcgrad.show(fn, wrt=0).split("# grad of")[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn", [cubic_sum, cubic_mean, with_an_array_constant, comparison_inside])
def test_gradients_and_dtypes_are_unchanged(fn, dtype):
    x = np.array([0.5, -0.7, 1.1], dtype=dtype)
    check(fn, (x,))
    for grad_ys in (None, np.float32(2.0), np.float64(0.5)):
        fast = srcgrad.grad(fn)(x, grad_ys=grad_ys)
        plain = srcgrad.grad(fn, optimize=False)(x, grad_ys=grad_ys)
        assert fast.dtype == plain.dtype == dtype
        np.testing.assert_allclose(fast, plain, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_an_integer_input_still_gets_no_gradient_and_a_float_one_from_its_partner():
    x, y = np.arange(3), np.array([0.5, 1.5, 2.5])
    with pytest.warns(UserWarning, match="integer"):
        gx, gy = srcgrad.grad(two_sources, wrt=(0, 1))(x, y)
    assert gx is None
    np.testing.assert_allclose(gy, x ** 3.0)


def squared_error(w, x, y):
    diff = x * w - y
    return np.sum(diff ** 2)


def test_where_values_meet_the_nearest_one_array_value_answers():
    source = srcgrad.show(squared_error, wrt=(0, 1))
    assert "diff ** 2" not in source.split("# grad of")[0] and "expand_like(sum_bar, diff)" in source
    rng = np.random.default_rng(5)
    check(squared_error, (rng.standard_normal((1, 3)), rng.standard_normal((4, 1)), rng.standard_normal(3)), wrt=(0, 1, 2))
