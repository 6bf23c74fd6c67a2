"""Broadcasting in every operand position and every scalar kind (Python float, NumPy scalar, 0-d
array), float32 kept float32.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
from gradcheck import X32 as _X32
from gradcheck import check
from gradcheck import f32 as _f32
from gradcheck import rng as _rng

# --- broadcasting and scalars -----------------------------------------------------------------


def broadcast_everywhere(a, b, c, d, e):
    return np.sum((a * b + c) / (d + 2.0) - e * a)


def scalar_mix(a, b, c):
    return a * b + np.sin(c) * a + math.exp(b) + c / a


def scalar_times_array(a, X):
    return np.sum(X * a) + a * a


def zero_d_times_array(a, X):
    return np.sum(X ** 2 * a) + a


def float64_constant_on_float32(x):
    y = x * 0.1 + 1e-3
    z = np.float64(2.0) * y
    return np.sum(z * x)


def tanh_rnn_stack(x, W):
    hs = []
    h = x
    for i in range(3):
        h = np.tanh(h @ W)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def matrix_broadcast_chain(A, r, c, s):
    B = A + r
    B = B * c
    B = B / (1.0 + s * s)
    B = np.maximum(B, 0.1 * B)
    return np.sum(B @ B.T)


def tuple_of_three(x, y):
    a = x * y
    return np.sum(a), a * 2.0, x - y


# --- the parametrised finite-difference cases --------------------------------------------------

FD_CASES: list[tuple[str, Callable[..., Any], tuple, tuple[int, ...]]] = [
    ("broadcast-2x3_1x3_2x1_npfloat_0d", broadcast_everywhere,
     (_rng(0).standard_normal((2, 3)), _rng(1).standard_normal((1, 3)), _rng(2).standard_normal((2, 1)),
      np.float64(1.5), np.array(0.7)), (0, 1, 2, 3, 4)),
    ("broadcast-1x3_2x3_float_2x1_3", broadcast_everywhere,
     (_rng(1).standard_normal((1, 3)), _rng(0).standard_normal((2, 3)), 0.3, _rng(2).standard_normal((2, 1)),
      _rng(3).standard_normal(3)), (0, 1, 2, 3, 4)),
    ("broadcast-2x1_1x3_2x3_0d_float", broadcast_everywhere,
     (_rng(2).standard_normal((2, 1)), _rng(1).standard_normal((1, 3)), _rng(0).standard_normal((2, 3)),
      np.array(0.7), 1.2), (0, 1, 2, 3, 4)),
    ("broadcast-float32", broadcast_everywhere,
     (_f32(_rng(2).standard_normal((2, 1))), _f32(_rng(1).standard_normal((1, 3))), _f32(_rng(0).standard_normal((2, 3))),
      np.float32(1.5), _f32(0.7)), (0, 1, 2, 3, 4)),
    ("scalar_mix-float", scalar_mix, (0.7, 0.3, 1.2), (0, 1, 2)),
    ("scalar_mix-np_float32", scalar_mix, (np.float32(0.7), np.float32(0.3), np.float32(1.2)), (0, 1, 2)),
    ("scalar_mix-0d_float_npfloat64", scalar_mix, (np.array(0.7), 0.3, np.float64(1.2)), (0, 1, 2)),
    ("scalar_times_array-float", scalar_times_array, (0.7, _X32), (0, 1)),
    ("scalar_times_array-float32", scalar_times_array, (np.float32(0.7), _f32(_X32)), (0, 1)),
    ("zero_d_times_array", zero_d_times_array, (np.array(0.7), _X32), (0, 1)),
    ("zero_d_times_array-float32", zero_d_times_array, (_f32(0.7), _f32(_X32)), (0, 1)),
    ("float64_constant_on_float32", float64_constant_on_float32, (_f32(_rng(5).standard_normal(3)),), (0,)),
    ("tanh_rnn_stack-float32", tanh_rnn_stack, (_f32(_rng(5).standard_normal(3)), _f32(_rng(6).standard_normal((3, 3)))), (0, 1)),
    ("matrix_broadcast_chain", matrix_broadcast_chain,
     (_rng(0).standard_normal((2, 3)), _rng(1).standard_normal((1, 3)), _rng(2).standard_normal((2, 1)), np.array(0.3)),
     (0, 1, 2, 3)),
    ("tuple_of_three", tuple_of_three, (_rng(0).standard_normal(3), _rng(1).standard_normal(3)), (0, 1)),
]


@pytest.mark.parametrize(("fn", "args", "wrt"), [pytest.param(f, a, w, id=i) for i, f, a, w in FD_CASES])
def test_matches_finite_differences(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...]) -> None:
    check(fn, args, wrt)
