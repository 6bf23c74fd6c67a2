"""Functions srcgrad must reject, each with a located error (see test_errors.py)."""

import numpy as np


def uses_comprehension(x):
    return np.sum({v: v * 2 for v in x})


def uses_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def item_assignment(x):
    y = np.zeros(3)
    y[0] = x
    return np.sum(y)


def no_rule(x):
    return np.sum(np.i0(x))


def recursive(x, n):
    if n == 0:
        return x
    return recursive(x * 2, n - 1)


def undefined_name(x):
    return x * not_defined_anywhere  # noqa: F821


def with_varargs(*xs):
    return xs[0]
