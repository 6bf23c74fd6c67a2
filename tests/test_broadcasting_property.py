"""Property test: for any pair of shapes that broadcast, the gradients of NumPy's binary
operations are reduced back to each operand's own shape, and match finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import srcgrad


def add(x, y):
    return np.sum(np.sin(x + y))


def sub(x, y):
    return np.sum(np.sin(x - y))


def mul(x, y):
    return np.sum(np.sin(x * y))


def div(x, y):
    return np.sum(np.sin(x / (y * y + 1.0)))


def maximum(x, y):
    return np.sum(np.sin(np.maximum(x, y)))


def where(x, y):
    return np.sum(np.sin(np.where(x > 0.3, x, y)))


OPERATIONS = [add, sub, mul, div, maximum, where]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    op=st.sampled_from(OPERATIONS),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_binary_gradients_undo_broadcasting(shapes, op, dtype, seed):
    x_shape, y_shape = shapes.input_shapes
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, x_shape).astype(dtype)
    y = rng.uniform(-1, 1, y_shape).astype(dtype)
    if op is maximum or op is where:  # keep away from ties and the threshold
        x = x + np.where(np.abs(x - 0.3) < 0.05, 0.1, 0.0).astype(dtype)
        y = y + np.where(np.abs(np.broadcast_to(x, shapes.result_shape).mean() - y) < 0.05, 0.2, 0.0).astype(dtype)
    gx, gy = srcgrad.grad(op, wrt=(0, 1))(x, y)
    assert np.shape(gx) == x_shape and np.shape(gy) == y_shape
    assert np.asarray(gx).dtype == dtype and np.asarray(gy).dtype == dtype
    vx, vy = rng.standard_normal(x_shape), rng.standard_normal(y_shape)
    eps = 1e-6
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    fd = (op(x64 + eps * vx, y64 + eps * vy) - op(x64 - eps * vx, y64 - eps * vy)) / (2 * eps)
    got = np.vdot(np.asarray(gx, np.float64), vx) + np.vdot(np.asarray(gy, np.float64), vy)
    tolerance = 1e-6 if dtype == np.float64 else 2e-3
    assert abs(got - fd) <= tolerance * max(1.0, abs(fd)), (x_shape, y_shape, got, fd)
