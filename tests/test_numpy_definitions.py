"""NumPy functions differentiated through as plain NumPy code (srcgrad/rules/numpy_definitions.py)
and ufunc methods (`np.add.reduce`, `np.multiply.accumulate`, `np.subtract.outer`, ...): values are
NumPy's, gradients match central differences in float64 and float32, on shapes that broadcast."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check, check_value_is_pythons, second_derivative_check

RNG = np.random.default_rng(11)
M = RNG.uniform(0.2, 1.5, (4, 5))
V = RNG.uniform(0.2, 1.5, 5)
GRID = np.sort(RNG.uniform(0.0, 3.0, 5))


def trapezoid_default(y):
    return np.trapezoid(y)


def trapezoid_dx_axis(y):
    return np.sum(np.trapezoid(y, dx=0.3, axis=0) ** 2)


def trapezoid_on_a_grid(y, x):
    return np.sum(np.trapezoid(y ** 2, x))


def gradient_of_samples(f):
    return np.sum(np.gradient(f, 0.5) ** 2)


def gradient_along_each_axis(f):
    return np.sum(np.gradient(f, axis=1) ** 2) + np.sum(np.sin(np.gradient(f, 0.25, axis=0)))


def chain_of_products(a, b, v):
    return np.linalg.multi_dot([v, a.T, a, b, v[:4]])


def reductions(x):
    return (np.sum(np.add.reduce(x) ** 2) + np.sum(np.multiply.reduce(x, axis=1)) + np.maximum.reduce(x, axis=None)
            + np.sum(np.minimum.reduce(x, 1, keepdims=True)))


def accumulations(x):
    return np.sum(np.add.accumulate(x) * np.multiply.accumulate(x, axis=1))


def outers(x, y):
    return np.sum(np.multiply.outer(x, y) ** 2) + np.sum(np.sin(np.subtract.outer(y, x)))


def partitioned(x):
    return np.sum(np.partition(x, 2, axis=1)[:, :2] ** 2) + np.sum(np.partition(x, 1, axis=None)[:1])


def inserted(x, v):
    return np.sum(np.insert(x, 1, v, axis=0) ** 2) + np.sum(np.sin(np.insert(x, -1, 0.5)))


def inserted_at_several_positions(x, v):
    return (np.sum(np.insert(x, [1, 4, 1], v[:3], axis=1) ** 2) + np.sum(np.sin(np.insert(x, (-1, 0), 0.5)))
            + np.sum(np.insert(x, [2, 0], v, axis=0) ** 3))


PROGRAMS = [
    (trapezoid_default, (V,)), (trapezoid_dx_axis, (M,)), (trapezoid_on_a_grid, (M, GRID)),
    (gradient_of_samples, (V,)), (gradient_along_each_axis, (M,)), (chain_of_products, (M[:, :4], M[:, :4].T @ M[:, :4], V[:4])),
    (reductions, (M,)), (accumulations, (M,)), (outers, (V[:3], M)), (partitioned, (M,)), (inserted, (M, V)),
    (inserted_at_several_positions, (M, V)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("fn, args", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_gradient_matches_finite_differences(fn, args, dtype):
    check(fn, tuple(a.astype(dtype) for a in args), wrt=tuple(range(len(args))))


@pytest.mark.parametrize("fn, args", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_value_is_numpys(fn, args):
    check_value_is_pythons(fn, *args)


def test_second_derivative_through_a_definition():
    second_derivative_check(trapezoid_dx_axis, M)


def gradient_of_a_matrix(f):
    return np.sum(np.gradient(f))


def test_np_gradient_of_more_than_one_axis_is_refused_when_it_runs():
    with pytest.raises(AssertionError, match="np.gradient of an N-D array along one axis: pass axis=k"):
        srcgrad.grad(gradient_of_a_matrix)(M)


def select_with_a_keyword_default(x):
    return np.sum(np.select([x > 0.5], [x * 2.0], default=x ** 2))


def test_a_differentiated_keyword_argument_goes_by_position():
    check(select_with_a_keyword_default, (np.array([0.1, 0.7, -1.0]),))


def gradient_of_integers_weighting(x, k):
    return np.sum(np.gradient(k) * x)  # NumPy's np.gradient of integers is in floats


def inserted_into_integers(k, v):
    return np.sum(np.insert(k, [1, 2], v) * 1.5)  # NumPy casts v to k's integers: nothing flows to v


def inserted_into_float32(k, v):
    return np.sum(np.insert(k, [1, 2], v) * 1.5)  # v cast to float32, as NumPy casts it


def test_definitions_follow_numpys_dtypes():
    # (this stop's review: np.gradient kept the integers; np.insert promoted what NumPy casts)
    k, x = np.array([1, 2, 4, 7]), np.array([0.5, 1.0, 2.0, 3.0])
    check_value_is_pythons(gradient_of_integers_weighting, x, k)
    check(gradient_of_integers_weighting, (x, k))
    check_value_is_pythons(inserted_into_integers, np.arange(4), np.array([2.7, 3.2]))
    assert np.array_equal(srcgrad.grad(inserted_into_integers, wrt=1)(np.arange(4), np.array([2.7, 3.2])), [0.0, 0.0])
    check_value_is_pythons(inserted_into_float32, np.arange(4, dtype=np.float32), np.array([2.7, 3.2]))


def inserted_block_at_a_one_element_list(x):
    return np.sum(np.insert(x, [1], [1.0, 2.0, 3.0], axis=1))


def test_a_block_inserted_at_a_one_element_list_is_refused_when_it_runs():
    with pytest.raises(AssertionError, match="one-element list of positions for one value"):
        srcgrad.grad(inserted_block_at_a_one_element_list)(M[:3, :3])
