"""Parameters as trees: lists, tuples and dicts of arrays and Python floats, nested, as `wrt`
arguments. The gradient has the argument's structure (a list stays a list, a tuple a tuple, a dict
a dict), whether the tree is read by key, unpacked in a loop (`for W, b in params`), iterated row
by row (a list of arrays, ragged or not) or built locally. Each is checked against central
differences in a random direction over every leaf, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check_tree


def mlp(params, x):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def weighted_list(ws, x):
    s = 0.0
    for w in ws:
        s = s + np.sum(w * x)
    return s


def ragged_list(ws, x):
    s = 0.0
    for w in ws:
        s = s + np.sum(np.sin(w)) * x
    return s


def rnn_over_a_dict(params, xs):
    h = np.zeros(2)
    for x in xs:
        h = np.tanh(h @ params["W"] + x + params["b"])
    return np.sum(h)


def nested_dict(params, x):
    return np.sum(np.tanh(x @ params["layer"]["W"]) + params["b"])


def floats_in_a_tree(params, x):
    return params[0] * x + params[1][0] ** 2 * params[1][1]


def local_pairs(x):
    pairs = [(x, 2.0), (x * x, 3.0)]
    s = 0.0
    for a, c in pairs:
        s = s + np.sum(a) * c
    return s


RNG = np.random.default_rng(3)
CASES = {
    "mlp_over_layer_pairs": (mlp, ([(RNG.standard_normal((3, 4)), RNG.standard_normal(4)),
                                    (RNG.standard_normal((4, 2)), RNG.standard_normal(2))], RNG.standard_normal((5, 3)))),
    "list_of_arrays_in_a_loop": (weighted_list, ([RNG.standard_normal(3), RNG.standard_normal(3)], RNG.standard_normal(3))),
    "ragged_list_in_a_loop": (ragged_list, ([RNG.standard_normal(3), RNG.standard_normal(2)], 1.5)),
    "dict_read_in_a_loop": (rnn_over_a_dict, ({"W": RNG.standard_normal((2, 2)), "b": RNG.standard_normal(2)},
                                              [RNG.standard_normal(2) for _ in range(3)])),
    "nested_dict": (nested_dict, ({"layer": {"W": RNG.standard_normal((3, 2))}, "b": RNG.standard_normal(2)},
                                  RNG.standard_normal(3))),
    "floats_in_a_tree": (floats_in_a_tree, ([1.5, (2.0, 3.0)], 0.5)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_parameter_tree_gets_a_gradient_of_its_structure(name, dtype):
    fn, args = CASES[name]
    check_tree(fn, args, dtype)


def test_a_list_parameter_read_in_a_loop_gets_a_list_back():
    grads = srcgrad.grad(weighted_list)([np.ones(3), np.ones(3)], np.arange(3.0))
    assert isinstance(grads, list) and len(grads) == 2
    np.testing.assert_array_equal(grads[1], np.arange(3.0))


def test_a_local_list_of_pairs_unpacked_in_a_loop():
    x = RNG.standard_normal(3)
    np.testing.assert_allclose(srcgrad.grad(local_pairs)(x), 2.0 + 6.0 * x)


def indexed_and_summed(x):
    return x[0] * x[1] + np.sum(x)


def multiplied_as_an_array(x):
    return np.sum(np.tanh(x) @ x)


@pytest.mark.parametrize("kind", [list, tuple])
def test_a_list_of_numbers_gets_a_list_of_numbers_back(kind):
    g = srcgrad.grad(indexed_and_summed)(kind([1.0, 2.0]))
    assert type(g) is kind and all(type(item) is float for item in g)
    assert list(g) == [3.0, 2.0]


@pytest.mark.parametrize("x", [[0.5, 1.5], (0.5, 1.5), [[0.5, 1.5], [1.0, 2.0]]])
def test_a_list_the_adjoints_rules_take_for_an_array_is_a_srcgrad_error_naming_it(x):
    with pytest.raises(srcgrad.UnsupportedValueError, match=r"argument 'x' is a (list|tuple) of numbers") as caught:
        srcgrad.grad(multiplied_as_an_array)(x)
    assert "np.asarray(x)" in str(caught.value)
    assert isinstance(caught.value.__cause__, (TypeError, AttributeError))
    np.testing.assert_allclose(srcgrad.grad(multiplied_as_an_array)(np.asarray(x)),
                               srcgrad.grad(multiplied_as_an_array, optimize=False)(np.asarray(x)))


def inverse_weighted(A, weights):
    return np.sum(np.linalg.inv(A)) * weights[0]


def test_an_error_of_another_kind_is_not_blamed_on_a_list_argument():
    with pytest.raises(np.linalg.LinAlgError):
        srcgrad.grad(inverse_weighted)(np.zeros((2, 2)), [1.0, 2.0])
