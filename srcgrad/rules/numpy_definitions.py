"""NumPy functions srcgrad differentiates through as plain NumPy code, not by a rule of their own.

Each definition computes what the NumPy function computes, with operations that have rules, and
is inlined where the user calls the NumPy function (frontend/calls.py), as the user's own helpers
are: its gradient, and its gradient's gradient, follow from theirs. Only the forms written here
are taken; a call the definition cannot bind (an option it does not have) is a located error.
"""

from __future__ import annotations

import numpy as np


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = np.moveaxis(y, axis, -1)
    heights = (y[..., 1:] + y[..., :-1]) / 2.0
    if x is None:
        return np.sum(heights, axis=-1) * dx
    widths = np.diff(x, axis=-1 if np.ndim(x) == 1 else axis)
    if np.ndim(x) != 1:
        widths = np.moveaxis(widths, axis, -1)
    return np.sum(heights * widths, axis=-1)


def gradient(f, spacing=1.0, axis=None):
    """np.gradient along one axis (a 1-D array's, or `axis=k`) with uniform spacing: second-order
    central differences inside, first-order one-sided at the ends, as NumPy's default edge_order=1."""
    if axis is None:
        assert np.ndim(f) == 1, "srcgrad differentiates np.gradient of an N-D array along one axis: pass axis=k"
        axis = 0
    moved = np.moveaxis(f, axis, -1)
    inner = (moved[..., 2:] - moved[..., :-2]) / (2.0 * spacing)
    first = (moved[..., 1:2] - moved[..., :1]) / spacing
    last = (moved[..., -1:] - moved[..., -2:-1]) / spacing
    # laid out as NumPy lays its result out (like f), so later sums add alike; floats, as NumPy's
    out = np.empty_like(f, dtype=np.result_type(f, 1.0))
    out[...] = np.moveaxis(np.concatenate([first, inner, last], axis=-1), -1, axis)
    return out


def multi_dot(arrays):
    result = arrays[0]
    for a in arrays[1:]:
        result = result @ a
    return result


def partition(a, kth, axis=-1):
    """np.partition: the elements gathered in the order np.argpartition gives."""
    if axis is None:
        a, axis = np.ravel(a), -1
    return np.take_along_axis(a, np.argpartition(a, kth, axis=axis), axis=axis)


def insert(arr, obj, values, axis=None):
    """np.insert of values before one position (an int), or before each of several (a list or tuple
    of ints, known where the call is written), along an axis (the flattened array for None)."""
    if axis is None:
        arr, axis = np.ravel(arr), 0
    values = np.asarray(values).astype(np.result_type(arr))  # NumPy casts the values to the array's dtype
    arr = np.moveaxis(arr, axis, 0)
    if isinstance(obj, int):
        position = obj if obj >= 0 else obj + len(arr)
        piece = np.broadcast_to(values, (1,) + np.shape(arr)[1:]) if np.ndim(values) < np.ndim(arr) else values
        return np.moveaxis(np.concatenate([arr[:position], piece, arr[position:]], axis=0), 0, axis)
    count = len(obj)
    assert count > 1 or np.size(values) == 1, \
        "srcgrad differentiates np.insert at a one-element list of positions for one value: pass the position as an int"
    # the inserted block, laid out as the array is (values broadcast to it as NumPy broadcasts them:
    # value k before position k), then with the axis first like arr
    block = np.moveaxis(np.zeros((count,) + np.shape(arr)[1:]), 0, axis)
    pieces = np.moveaxis(np.broadcast_to(values, np.shape(block)), axis, 0)
    positions = [p if p >= 0 else p + len(arr) for p in obj]
    parts = []
    start = 0
    for position, k in sorted(zip(positions, range(count))):  # equal positions keep their order
        parts.append(arr[start:position])
        parts.append(pieces[k:k + 1])
        start = position
    parts.append(arr[start:])
    return np.moveaxis(np.concatenate(parts, axis=0), 0, axis)


def ufunc_outer(fn, a, b):
    """`fn.outer(a, b)`: fn of every pair, a's axes first."""
    return fn(np.reshape(a, np.shape(a) + (1,) * np.ndim(b)), b)


DEFINITIONS = {np.trapezoid: trapezoid, np.linalg.multi_dot: multi_dot, np.gradient: gradient,
               np.partition: partition, np.insert: insert}
"""The NumPy function -> its definition here."""

REDUCTIONS = {
    (np.add, "reduce"): np.sum, (np.multiply, "reduce"): np.prod, (np.maximum, "reduce"): np.max,
    (np.minimum, "reduce"): np.min, (np.logical_and, "reduce"): np.all, (np.logical_or, "reduce"): np.any,
    (np.add, "accumulate"): np.cumsum, (np.multiply, "accumulate"): np.cumprod,
}  # fmt: skip
"""`ufunc.reduce` / `ufunc.accumulate` -> the NumPy function that computes the same (axis 0 by default)."""
