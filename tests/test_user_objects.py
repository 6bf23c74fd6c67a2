"""Methods of the user's own objects called inside a differentiated function: `layer.forward(x)`
on a global or closure object is differentiated through as its class defines it (`self.W` read at
each call); `Layer.forward(layer, x)` works for any object; a method of an object whose class is
not known at compile time (a parameter) is a located error that says what to write instead."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check


class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        return np.tanh(x @ self.W + self.b)


class Network:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = Dense.forward(layer, x)
        return x


RNG = np.random.default_rng(5)
HIDDEN = Dense(RNG.standard_normal((3, 4)), RNG.standard_normal(4))
OUTPUT = Dense(RNG.standard_normal((4, 2)), RNG.standard_normal(2))
NET = Network([HIDDEN, OUTPUT])


def two_layers(x):
    return np.sum(OUTPUT.forward(HIDDEN.forward(x)) ** 2)


def whole_network(x):
    return np.sum(NET.forward(x) ** 2)


def through_the_class(layer, x):
    return np.sum(Dense.forward(layer, x))


def through_a_parameter(layer, x):
    return np.sum(layer.forward(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("fn", [two_layers, whole_network])
def test_methods_of_global_objects_are_differentiated_through(fn, dtype):
    check(fn, (RNG.standard_normal((5, 3)).astype(dtype),))


def test_the_class_function_takes_any_object():
    x = RNG.standard_normal((5, 3))
    got = srcgrad.grad(through_the_class, wrt=1)(HIDDEN, x)
    expected = (1 - HIDDEN.forward(x) ** 2) @ HIDDEN.W.T
    np.testing.assert_allclose(got, expected)


def test_a_method_of_a_parameter_is_a_located_error_with_a_way_out():
    with pytest.raises(srcgrad.NoGradientError) as info:
        srcgrad.grad(through_a_parameter, wrt=1)(HIDDEN, np.ones(3))
    message = str(info.value)
    assert "the method .forward() of an object whose class is not known" in message
    assert "Layer.forward(layer, x)" in message and "register_vjp" not in message
