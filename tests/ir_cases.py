"""Small functions whose IR tests/test_passes.py pins."""

import numpy as np


def loop_and_branch(x, W):
    h = x
    for i in range(3):
        h = np.tanh(h @ W)
    if np.sum(h) > 0:
        y = h * 2
    else:
        y = h
    return np.sum(y)


def redundant(x):
    a = np.sin(x) * 2
    b = np.sin(x) * 2
    unused = np.exp(x)
    return a + b
