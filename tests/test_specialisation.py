"""Adjoints specialised per kind of scalar argument (issue 8, "Specialisation").

`grad(f)(*args)` runs an adjoint compiled for the kinds of scalar among its arguments (a
Python float, an int, a float64 or another 0-d value): the optimiser then knows those are
scalars and drops the `unbroadcast` calls between them, and starts a Python float's
cotangent sums at `np.float64(0.0)` rather than a 0-d array. A specialised adjoint must
compute the very numbers the generic one does: checked here bit for bit over the whole
corpus, in float64 and float32, and on the cases a review found.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad.arguments import scalar_kinds
from corpus import CASES, Case

SCALAR_CASES = [c for c in CASES
                if scalar_kinds(list(c.make_inputs(np.random.default_rng(0), np.float64))) is not None]


def _grad(case: Case):
    return srcgrad.grad(case.fn, wrt=case.wrt, **case.options)


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def test_the_corpus_has_scalar_cases():
    assert len(SCALAR_CASES) >= 30


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", SCALAR_CASES, ids=lambda c: c.id)
def test_a_specialised_adjoint_computes_the_generic_ones_numbers(case: Case, dtype):
    args = case.make_inputs(np.random.default_rng(0), dtype)
    grad = _grad(case)
    grad(*args)  # through the API, which picks the specialised adjoint (checked against FD elsewhere)
    specialised = _as_tuple(grad._adjoint.compiled(scalar_kinds(list(args))).function(*args, None))
    generic = _as_tuple(grad._adjoint.compiled(None).function(*args, None))
    assert len(specialised) == len(generic)
    for s, g in zip(specialised, generic):
        if s is None or g is None:
            assert s is None and g is None
            continue
        assert np.result_type(s) == np.result_type(g)
        np.testing.assert_array_equal(s, g)


def recurrence(r, x0):
    x = x0
    for _ in range(20):
        x = r * x * (1.0 - x)
    return x


def test_floats_give_a_gradient_that_reads_like_a_hand_written_one():
    source = srcgrad.show(recurrence, wrt=(0, 1), args=(3.2, 0.3))
    assert "unbroadcast" not in source
    assert "r_bar = np.float64(0.0)" in source
    generic = srcgrad.show(recurrence, wrt=(0, 1))
    assert "unbroadcast" in generic and "np.zeros_like(r)" in generic


def test_a_gradient_of_python_floats_is_python_floats():
    dr, dx = srcgrad.grad(recurrence, wrt=(0, 1))(3.2, 0.3)
    assert type(dr) is float and type(dx) is float


def test_one_adjoint_per_kind_of_scalar_not_per_value():
    grad = srcgrad.grad(recurrence, wrt=(0, 1))
    grad(3.2, 0.3)
    grad(2.9, 0.5)
    assert set(grad._adjoint._compiled) == {("float", "float")}
    grad(np.float32(3.2), 0.3)
    grad(np.ones(3) * 3.2, np.full(3, 0.3))  # arrays: the generic adjoint
    assert set(grad._adjoint._compiled) == {("float", "float"), ("0-d <f4", "float"), None}


def test_a_scalar_and_an_array_together():
    def scale(a, x):
        return np.sum(np.tanh(a * x))

    x = np.linspace(-1.0, 1.0, 5)
    grad = srcgrad.grad(scale, wrt=(0, 1))
    da, dx = grad(0.7, x)
    assert type(da) is float and dx.shape == x.shape
    generic_da, generic_dx = grad._adjoint.compiled(None).function(0.7, x, None)
    assert da == generic_da
    np.testing.assert_array_equal(dx, generic_dx)


def test_optimize_false_shows_and_runs_the_raw_transform():
    grad = srcgrad.grad(recurrence, wrt=(0, 1), optimize=False)
    grad(3.2, 0.3)
    assert set(grad._adjoint._compiled) == {None}


def zeros_of_its_own(x):
    acc = np.zeros_like(x)  # the user's zeros: a 0-d array, written in place below, and kept
    keep = acc
    for i in range(3):
        acc += x * i
    return keep * x


def ones_of_another_shape(w, x):
    y = np.ones_like(x, shape=(3,)) * x  # not shaped like x: np.size(y) is 3
    return np.sum(w * w) * np.size(y)


def float32_inside(x):
    s = 0.0
    for i in range(7):
        s = s + np.float32(0.1) * x * (i + 0.1)
    return s


@pytest.mark.parametrize("fn, args", [(zeros_of_its_own, (0.7,)), (ones_of_another_shape, (np.array([0.5, 1.5]), 0.7)),
                                      (float32_inside, (0.7,))])
def test_cases_a_review_found(fn, args):
    grad = srcgrad.value_and_grad(fn, wrt=tuple(range(len(args))), unconnected_gradients="zero")
    value, grads = grad(*args)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    generic_value, generic = grad._adjoint.compiled(None).function(*args, None)
    specialised_value, specialised = grad._adjoint.compiled(scalar_kinds(list(args))).function(*args, None)
    assert specialised_value == generic_value or np.array_equal(specialised_value, generic_value)
    for s, g in zip(_as_tuple(specialised), _as_tuple(generic)):
        assert np.result_type(s) == np.result_type(g)
        np.testing.assert_array_equal(s, g)
    for k, x in enumerate(args):  # and finite differences
        v = np.ones_like(x)
        shifted = [list(args), list(args)]
        shifted[0][k], shifted[1][k] = x + 1e-6 * v, x - 1e-6 * v
        fd = (np.sum(fn(*shifted[0])) - np.sum(fn(*shifted[1]))) / 2e-6
        np.testing.assert_allclose(np.sum(_as_tuple(grads)[k] * v), fd, rtol=1e-5)


def test_a_float32_seed_gives_the_generic_adjoints_numbers():
    def cube(x):
        return x * x * 3.1

    grad = srcgrad.grad(cube)
    seed = np.float32(0.1)
    assert grad(3.1, grad_ys=seed) == grad._adjoint.compiled(None).function(3.1, seed)
