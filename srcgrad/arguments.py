"""What a call's arguments are, as the gradient functions see them: the kinds of scalar an
adjoint is specialised for, whether a value is an integer or complex, and a gradient given
the shape and dtype of its argument."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def scalar_kinds(values: list) -> tuple | None:
    """Per argument, the kind of scalar it is ("float", "int", "float64", or "0-d " and a dtype
    for a 0-d array or NumPy scalar; None for anything else), or None where no argument is a
    scalar: the generic adjoint serves that call. Cheap: it runs on every call."""
    kinds = tuple(map(_kind, values))
    return kinds if any(kinds) else None


def _kind(value: Any) -> str | None:
    t = type(value)
    if t is float:
        return "float"
    if t is int:
        return "int"
    if t is np.float64:
        return "float64"
    if t is np.ndarray:
        return f"0-d {value.dtype.str}" if value.ndim == 0 else None
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        return f"0-d {value.dtype.str}"
    return None


def is_integer(x: Any) -> bool:
    if type(x) is float:
        return False
    if type(x) is np.ndarray:
        return x.dtype.kind in "iub"
    if isinstance(x, (bool, int, np.integer, np.bool_)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind in "iub"


def is_complex(x: Any) -> bool:
    if type(x) is float:
        return False
    if type(x) is np.ndarray:
        return x.dtype.kind == "c"
    if isinstance(x, complex):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind == "c"


def not_a_real_number(x: Any) -> str | None:
    """What a differentiated argument is, where it is no real number, array of them, or container of
    them (a `decimal.Decimal`, a `Fraction`, an array of objects): the adjoint's float arithmetic
    would fail on it, or compute in another number system."""
    t = type(x)
    if t is float or t is int or t is np.ndarray and x.dtype.kind != "O":
        return None
    if isinstance(x, (list, tuple, dict, bool, np.generic)) or x is None:
        return None  # a parameter tree's items are checked where read
    if isinstance(x, np.ndarray) and x.dtype.kind == "O" or isinstance(x, (numbers.Number, str, bytes)):
        kind = "an array of Python objects" if isinstance(x, np.ndarray) else f"a {t.__module__}.{t.__qualname__}"
        return kind.replace("a builtins.", "a ")
    return None


def plain_float(value: Any) -> bool:
    """A Python float or an array of floats: nothing to check about it."""
    t = type(value)
    return t is float or t is np.ndarray and value.dtype.kind == "f"


def plain_sequence(x: Any) -> bool:
    """A list or tuple (nested) of numbers only: what a function may use as an array."""
    return isinstance(x, (list, tuple)) and all(
        plain_sequence(item) if isinstance(item, (list, tuple)) else isinstance(item, (int, float, np.number))
        for item in x)


def shaped_like(g: Any, x: Any) -> Any:
    """A gradient with the shape and dtype of the value it is the gradient of."""
    if g is None:
        return None
    if type(x) is float and (type(g) is float or type(g) is np.float64):
        return float(g)  # a Python float's gradient, a Python float
    if type(x) is np.ndarray and type(g) is np.ndarray and g.shape == x.shape and g.dtype == x.dtype:
        return g if g.flags.writeable else np.array(g)  # the common case: nothing to fix
    if isinstance(x, np.ndarray):
        g = np.asarray(g)
        if g.shape != x.shape:
            # a 0-d array reduced along axis 0 (NumPy allows it) has its gradient as one element
            g = g.reshape(()) if x.ndim == 0 and g.size == 1 else np.broadcast_to(g, x.shape)
        if g.dtype != x.dtype and np.issubdtype(x.dtype, np.inexact):
            g = g.astype(x.dtype)
        if not g.flags.writeable or g.base is not None and not g.flags.owndata and g.strides == (0,) * g.ndim:
            g = np.array(g)
        return g
    if isinstance(x, (list, tuple)) and (isinstance(g, (list, tuple)) or isinstance(g, np.ndarray) and g.ndim >= 1) \
            and len(g) == len(x):
        # a list stays a list (`np.sum(xs)` of a list of numbers gives its gradient as an array)
        items = [shaped_like(gi, xi) for gi, xi in zip(g, x)]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    if isinstance(x, np.generic):
        return type(x)(np.asarray(g).reshape(()))
    if isinstance(x, float):
        return float(np.asarray(g).reshape(()))
    return g
