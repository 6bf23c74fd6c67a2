"""Python's evaluation order where in-place writes make it visible.

Python evaluates operands left to right, but an operator or callee runs only after all of them:
an operand that names an array (or a view of it) sees a write a later operand makes into that
array, as `a - scale(a)` does when the helper halves `arr` in place. An operand that is a new
array (`a * 1.0`) or a number (`a[0]` of a vector) keeps the value it had. The adjoint's
forward value must be Python's, bit for bit, and its gradient must match central finite
differences (optimize on and off, float64 and float32).
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check, check_value_is_pythons


def scale(arr, s):
    arr *= s
    return s


def halve(arr):
    arr[...] *= 0.5
    return np.zeros(arr.shape[-1:])


def name_then_writing_call(x):
    a = x * 1.0
    return np.sum(a - scale(a, 3.0))


def view_then_writing_call(x):
    a = x * 1.0
    return np.sum(a[1:] * scale(a, 2.0))


def number_then_writing_call(x):
    a = x * 1.0
    return np.sum(a[0] * scale(a, 4.0))  # a[0] of a vector is a number: read before the write


def new_array_then_writing_call(x):
    a = x * 1.0
    return np.sum(a * 1.0 + scale(a, 5.0))


def receiver_then_writing_argument(x):
    a = x * 1.0
    return a.dot(a * scale(a, 2.0))


def arguments_in_order(x):
    a = x * 1.0
    return np.sum(np.multiply(a, scale(a, 0.5)))


def combine(p, q):
    return p * q + p


def keyword_argument_writes(x):
    a = x * 1.0
    return np.sum(combine(p=a, q=a * scale(a, 3.0)))


def list_items_in_order(x):
    a = x * 1.0
    b = x * 2.0
    items = [a, b, scale(b, 2.0)]
    return np.sum(items[0] * items[1])


def tuple_item_of_a_view(x):
    a = np.outer(x, x)
    pair = (a[0], halve(a))
    return np.sum(pair[0] * x) + np.sum(pair[1])


def comparison_operands(x):
    a = x * 1.0
    return np.sum(np.where(a < scale(a, 2.0) + 0.5, a, x))


def subscript_base_then_writing_index(x):
    a = x * 1.0
    k = int(scale(a, 2.0) > 1.0)
    return np.sum(a[k:] * x[k:])


def nested_helper_writes_row(x):
    a = np.stack([x, x * x]) + 1.0
    return np.sum(a - [halve(a), x])


PROGRAMS = [
    name_then_writing_call, view_then_writing_call, number_then_writing_call, new_array_then_writing_call,
    receiver_then_writing_argument, arguments_in_order, keyword_argument_writes, list_items_in_order,
    tuple_item_of_a_view, comparison_operands, subscript_base_then_writing_index, nested_helper_writes_row,
]
X = np.array([0.3, -0.7, 1.1, 0.5])


@pytest.mark.parametrize("fn", PROGRAMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [X, -X[::-1]], ids=["x", "reversed"])
def test_forward_value_is_pythons_bit_for_bit(fn, x):
    check_value_is_pythons(fn, x)


@pytest.mark.parametrize("fn", PROGRAMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_matches_finite_differences(fn, dtype):
    check(fn, (X.astype(dtype),))


# --- `x.copy()` is C-ordered, as the method is (np.copy keeps the layout) ----------------------


def copy_of_transpose_read_in_memory_order(x):
    m = np.reshape(x, (2, 2))
    return np.sum(m.T.copy().ravel(order="K") * np.arange(1.0, 5.0))


def copy_of_transpose_reshaped_then_written(x):
    m = np.reshape(x, (2, 2)) * 1.0
    c = m.T.copy()
    b = c.reshape(4)  # a view of the C-ordered copy
    b[0] = 10.0
    return np.sum(c * np.arange(1.0, 5.0).reshape(2, 2))


@pytest.mark.parametrize("fn", [copy_of_transpose_read_in_memory_order, copy_of_transpose_reshaped_then_written],
                         ids=lambda f: f.__name__)
def test_copy_method_keeps_pythons_layout(fn):
    value, _ = srcgrad.value_and_grad(fn)(X.copy())
    assert value == fn(X.copy())
    check(fn, (X,))
