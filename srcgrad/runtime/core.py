"""The core of srcgrad's run-time library: what every adjoint calls.

`@primitive` makes a helper callable both at run time and from derivative rules;
`stop_gradient`, `pack`/`make_list` (tuples and lists), seeds (`seed`, `scalar_seed`,
`seeds`), `unbroadcast`, item writes as values (`setitem`), `assert` (`check`), and the
cotangent bookkeeping of sequences and reductions.

This package is everything generated code imports: it depends on NumPy alone, never on the
compiler.
"""

from __future__ import annotations

import functools
from functools import lru_cache
from typing import Any, Callable, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


class Symbolic:
    """Base of `ir.builder.Sym`: a value under construction in a derivative rule."""

    def build(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def primitive(fn: F) -> F:
    """Make a run-time helper usable inside derivative rules.

    Called with ordinary values it just runs; called by a rule with symbolic
    values it records a call to itself, so generated code calls it by name.
    """

    @functools.wraps(fn)
    def helper(*args: Any, **kwargs: Any) -> Any:
        for a in args:
            if isinstance(a, Symbolic):
                return a.build(helper, *args, **kwargs)
        for a in kwargs.values():
            if isinstance(a, Symbolic):
                return a.build(helper, *args, **kwargs)
        return fn(*args, **kwargs)

    # Generated code calls `fn` itself (no per-call check); the front end maps it back to `helper`.
    helper.__srcgrad_impl__ = fn  # type: ignore[attr-defined]
    fn.__srcgrad_primitive__ = helper  # type: ignore[attr-defined]
    return helper  # type: ignore[return-value]


CHECKS: set = set()
"""Run-time checks: calls kept for what they check (they may raise), written as statements."""


def run_time_check(fn: F) -> F:
    """Mark a primitive as a run-time check (`CHECKS`)."""
    CHECKS.add(fn)
    return fn


def float_dtype(*xs: Any) -> np.dtype:
    """The result dtype of `xs` if it is inexact, else float64: the dtype of a gradient."""
    dtype = np.result_type(*xs)
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def stop_gradient(x: Any) -> Any:
    """Identity at run time; no gradient flows through it."""
    return x


def identity(x: Any) -> Any:
    """`x` itself: a name of its own for a value another name holds, so that `wrt=` or
    `stop_gradients=` of that name sees only what is computed through it (SPEC section 3)."""
    return x


def pack(*xs: Any) -> tuple:
    """Build a tuple from values (`(a, b)` in source)."""
    return xs


def make_list(*xs: Any) -> list:
    """Build a list from values (`[a, b]` in source)."""
    return list(xs)


class Method:
    """The method `name` called on its first argument: `x.name(*args)`."""

    def __init__(self, name: str):
        self.name = name
        self.__name__ = name
        self.__qualname__ = f"method.{name}"

    def __call__(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(obj, self.name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"method({self.name!r})"

    def __reduce__(self) -> Any:
        return (method, (self.name,))


@lru_cache(maxsize=None)
def method(name: str) -> Method:
    return Method(name)


@primitive
def unbroadcast(ct: Any, like: Any) -> Any:
    """Sum a cotangent back to the shape of the operand it belongs to (undo broadcasting)."""
    try:
        if ct.shape == like.shape:  # the common case, checked without NumPy calls
            return ct
    except AttributeError:
        pass
    return unbroadcast_to(ct, np.shape(like))


@primitive
def unbroadcast_to(ct: Any, shape: tuple) -> Any:
    """Sum `ct` over the axes broadcasting added or stretched, so it has `shape`."""
    if not isinstance(ct, np.ndarray):
        if np.shape(ct) == shape:
            return ct
        ct = np.asarray(ct)
    ct_shape = ct.shape
    if ct_shape == shape:
        return ct
    lead = len(ct_shape) - len(shape)
    if lead > 0:
        if ct_shape[lead:] == shape:  # only leading axes were added, as for a bias
            return ct.sum(axis=0) if lead == 1 else ct.sum(axis=tuple(range(lead)))
        ct = ct.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and ct.shape[i] != 1)
    if stretched:
        ct = ct.sum(axis=stretched, keepdims=True)
    return ct


@primitive
def broadcast_like(t: Any, like: Any) -> Any:
    """`t` with the shape of `like`: the tangent of an input that broadcast (`x + b`, only x varying)."""
    shape = np.shape(like)
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


@primitive
def expand_like(ct: Any, like: Any) -> Any:
    """`ct` broadcast to the shape of `like`, as a new array (the cotangent of a reduction's input)."""
    if isinstance(like, (list, tuple)):
        like = np.asarray(like)  # np.sum([a, b]): the list as the array NumPy reduced
    shape = np.shape(like)
    ct_shape = np.shape(ct)
    if ct_shape == shape:
        return ct
    if not ct_shape:  # a scalar: one fill
        return np.full(shape, ct, dtype=np.result_type(ct, like))
    out = np.empty(shape, dtype=np.result_type(ct, like))
    out[...] = ct
    return out


@primitive
def expand_reduced(ct: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduction's cotangent back the reduced axes, so it broadcasts against `x`."""
    if axis is None or keepdims:
        return ct
    return np.expand_dims(ct, axis)


@primitive
def astype_like(ct: Any, x: Any) -> Any:
    """A cotangent cast back to the dtype of the value it belongs to."""
    dtype = np.result_type(x)
    if isinstance(x, float):
        return ct
    return np.asarray(ct).astype(dtype, copy=False)


@primitive
def cast_grad(ct: Any, x: Any, out: Any) -> Any:
    """The cotangent of `x` in `out = x.astype(dtype)` where the dtype is known only at run time:
    `ct` in x's dtype, or zeros where `out` is integer or boolean (a cast to them carries nothing)."""
    if np.issubdtype(np.result_type(out), np.inexact):
        return astype_like(ct, x)
    return np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))


@primitive
def seed(grad_ys: Any, y: Any, output: str = "the output") -> Any:
    """The cotangent an output starts with: ones like it, or the user's `grad_ys`.

    A seed must have the output's shape (or broadcast to it); a Python number
    takes the output's dtype.
    """
    if isinstance(y, (tuple, list)):  # a tuple the function built in a loop, returned as one value
        given = grad_ys if isinstance(grad_ys, (tuple, list)) and len(grad_ys) == len(y) else [grad_ys] * len(y)
        return tuple(seed(g, item, f"{output}[{i}]") for i, (g, item) in enumerate(zip(given, y)))
    if grad_ys is None:  # (a float's: a float64 scalar, promoted as np.ones_like's 0-d array is, and cheaper)
        return np.float64(1.0) if type(y) is float or type(y) is np.float64 else np.ones_like(y)
    if isinstance(grad_ys, (list, tuple)):
        dtype = np.result_type(y)
        grad_ys = np.asarray(grad_ys, dtype=dtype if np.issubdtype(dtype, np.inexact) else None)
    y_shape = np.shape(y)
    g_shape = np.shape(grad_ys)
    if g_shape != y_shape:
        try:
            if np.broadcast_shapes(g_shape, y_shape) != y_shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"grad_ys for {output} has shape {g_shape}, but {output} has shape {y_shape}; "
                f"pass a seed of shape {y_shape} (or one that broadcasts to it)"
            ) from None
        grad_ys = np.broadcast_to(grad_ys, y_shape)
    dtype = np.result_type(y)
    if isinstance(grad_ys, (int, float)) and not isinstance(grad_ys, bool):
        return dtype.type(grad_ys) if np.issubdtype(dtype, np.inexact) else float(grad_ys)
    if np.issubdtype(dtype, np.inexact) and np.result_type(grad_ys) != dtype:
        return np.asarray(grad_ys).astype(dtype)
    return grad_ys


@primitive
def scalar_seed(grad_ys: Any) -> Any:
    """The seed of an output known to be a scalar: 1.0 (which takes the output's dtype in
    arithmetic), or the user's `grad_ys`, which must be a scalar too."""
    if grad_ys is None:
        return 1.0
    if np.shape(grad_ys) not in ((), (1,)):
        raise ValueError(
            f"grad_ys for the output has shape {np.shape(grad_ys)}, but the output has shape (); "
            f"pass a scalar seed"
        )
    return np.reshape(grad_ys, ()) if np.shape(grad_ys) else grad_ys


@primitive
def seeds(grad_ys: Any, ys: tuple) -> tuple:
    """Seeds for a tuple of outputs: `grad_ys` is None or a tuple/list of the same length."""
    if grad_ys is None:
        return tuple(np.ones_like(y) for y in ys)
    if not isinstance(grad_ys, (tuple, list)) or len(grad_ys) != len(ys):
        given = f"{len(grad_ys)} seeds" if isinstance(grad_ys, (tuple, list)) else f"a {type(grad_ys).__name__}"
        raise ValueError(
            f"the function returns a tuple of {len(ys)} outputs, so grad_ys must be a tuple of "
            f"{len(ys)} seeds (None for ones); got {given}"
        )
    return tuple(seed(g, y, f"output {i}") for i, (g, y) in enumerate(zip(grad_ys, ys)))


@primitive
def seeds_grad(ct: tuple, grad_ys: Any) -> Any:
    """The cotangent of `seeds`' grad_ys (a tuple or list of seeds): each output's, summed back to
    its seed's shape."""
    grads = [unbroadcast(c, g) for c, g in zip(ct, grad_ys)]
    return tuple(grads) if isinstance(grad_ys, tuple) else grads


@primitive
def setitem(x: Any, index: Any, value: Any) -> Any:
    """`x[index] = value` as a value: a copy of `x` with the slot replaced (written out
    in generated code as `y = x.copy()` then `y[index] = value`)."""
    out = np.array(x, copy=True)
    out[index] = value
    return out


@primitive
def setitem_inplace(x: Any, index: Any, value: Any) -> Any:
    """`x[index] = value` in place, returning `x`: `setitem` where nothing else can see `x`
    (transforms/write_in_place.py decides)."""
    x[index] = value
    return x


@run_time_check
@primitive
def check(condition: Any, message: str) -> None:
    """`assert condition, message` in differentiated code."""
    if not condition:
        raise AssertionError(message)


@primitive
def list_append(xs: list, x: Any) -> list:
    """`xs.append(x)` as a value: a new list with one more item (the old one is left
    as it was, since the reverse sweep may still read it)."""
    return [*xs, x]


@primitive
def zeros_like_items(xs: Any) -> Any:
    """Zeros shaped like `xs`, item by item for a tuple, list or dict (the cotangent of nothing yet)."""
    if isinstance(xs, dict):
        return {key: zeros_like_items(value) for key, value in xs.items()}
    if isinstance(xs, (list, tuple)):
        items = [zeros_like_items(x) for x in xs]
        return tuple(items) if isinstance(xs, tuple) else items
    return np.zeros_like(xs)


@primitive
def add_seq(a: Any, b: Any) -> Any:
    """Add two cotangents that may be lists, tuples or dicts (item by item) or arrays."""
    if isinstance(a, dict):
        return {key: add_seq(a[key], b[key]) for key in a}
    if isinstance(a, (list, tuple)):
        items = [add_seq(x, y) for x, y in zip(a, b)]
        return tuple(items) if isinstance(a, tuple) else items
    return a + b
