"""What the gradient-checking tests share: random seeds and directions shaped and typed like a
value, the outputs of a function as a tuple, a float64 inner product, and `check`, the
whole-function finite-difference check (with its second-order sibling)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

import srcgrad


def outputs(out: Any) -> tuple:
    """A function's return value as a tuple of outputs."""
    return out if isinstance(out, tuple) else (out,)


def random_like(rng: np.random.Generator, value: Any) -> Any:
    """Standard normal values shaped and typed like `value` (a float for a Python float)."""
    if type(value) is float:
        return float(rng.standard_normal())
    sample = rng.standard_normal(np.shape(value))
    dtype = np.result_type(value)
    return np.asarray(sample, dtype=dtype) if np.ndim(value) else dtype.type(sample)


def inner(a: Any, b: Any) -> float:
    """<a, b> in float64."""
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


# --- the whole-function check --------------------------------------------------------------------

EPS = 1e-6
RTOL = {np.float64: 1e-5, np.float32: 2e-3}


def upcast(value: Any) -> Any:
    """Floating inputs to float64 (NumPy float scalars to Python floats); others unchanged."""
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value.astype(np.float64)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _is_float32(value: Any) -> bool:
    return type(value) is not float and np.result_type(value) == np.float32


def _shift(value: Any, t: float, v: Any) -> Any:
    if isinstance(value, float) or (not isinstance(value, np.ndarray) and not np.ndim(value)):
        return value + t * float(v)
    return np.asarray(value + t * v, dtype=value.dtype)  # a 0-d array stays one (`x += 1` writes it in place)


def check(fn: Callable[..., Any], args: tuple, wrt: tuple[int, ...] = (0,), seed: int = 0, rtol: float | None = None,
          eps: float = EPS, kwargs: dict | None = None, **options: Any) -> None:
    """srcgrad.grad(fn) against central differences, as <J^T u, v> = <u, J v> with a random seed u
    (`grad_ys`) and a random direction v over every `wrt` input; optimize=False agrees; each
    gradient has its input's shape and dtype. Float32 inputs are differenced in float64."""
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    if rtol is None:
        rtol = RTOL[np.float32] if any(_is_float32(args[i]) for i in wrt) else RTOL[np.float64]
    out = fn(*args, **kwargs)
    seeds = tuple(random_like(rng, y) for y in outputs(out))
    grad_ys = seeds if isinstance(out, tuple) else seeds[0]
    directions = [rng.standard_normal(np.shape(args[i])) for i in wrt]

    grads = srcgrad.grad(fn, wrt=tuple(wrt), **options)(*args, grad_ys=grad_ys, **kwargs)
    raw = srcgrad.grad(fn, wrt=tuple(wrt), optimize=False, **options)(*args, grad_ys=grad_ys, **kwargs)
    assert isinstance(grads, tuple) and len(grads) == len(wrt)
    assert all(g is not None for g in grads), f"a connected input got None: {grads!r}"
    for i, g, g_raw in zip(wrt, grads, raw):
        value = args[i]
        assert np.shape(g) == np.shape(value), f"argument {i}: gradient shape {np.shape(g)} != {np.shape(value)}"
        if type(value) is float:
            assert isinstance(g, float), f"argument {i}: Python float in, {type(g).__name__} out"
        else:
            assert np.result_type(g) == np.result_type(value), (
                f"argument {i}: dtype {np.result_type(value)} in, {np.result_type(g)} out")
        np.testing.assert_allclose(g_raw, g, rtol=1e-9, atol=1e-12, err_msg=f"optimize=False, argument {i}")

    base = tuple(upcast(a) for a in args)

    def shifted(t: float) -> tuple:
        moved = [a.copy() if isinstance(a, np.ndarray) else a for a in base]
        for i, v in zip(wrt, directions):
            moved[i] = _shift(base[i], t, v)
        return outputs(fn(*moved, **kwargs))

    plus, minus = shifted(eps), shifted(-eps)
    expected = sum(inner(u, (np.asarray(p) - np.asarray(m)) / (2 * eps)) for u, p, m in zip(seeds, plus, minus))
    actual = sum(inner(g, v) for g, v in zip(grads, directions))
    norm = math.sqrt(sum(inner(g, g) for g in grads))
    assert np.isfinite(actual), f"non-finite gradient: {grads!r}"
    assert abs(actual - expected) <= rtol * max(abs(expected), norm, 1e-8), (
        f"<J^T u, v> = {actual!r} but <u, J v> = {expected!r} by finite differences; gradients {grads!r}")


def check_value_is_pythons(fn: Callable[..., Any], *args: Any) -> None:
    """`value_and_grad`'s value, optimized and not, is what `fn` returns, bit for bit (each call on
    fresh copies: the function may write into its arguments)."""
    fresh = lambda: [a.copy() if isinstance(a, np.ndarray) else a for a in args]  # noqa: E731
    expected = fn(*fresh())
    for optimize in (True, False):
        value, _ = srcgrad.value_and_grad(fn, optimize=optimize)(*fresh())
        same = np.array_equal(value, expected) if isinstance(expected, np.ndarray) else value == expected
        assert same, f"optimize={optimize}: {value!r}, Python {expected!r}"


def second_derivative_check(fn: Callable[..., Any], x: Any, seed: int = 0) -> None:
    """grad(grad(fn)) against central differences of the (first-order-checked) grad(fn)."""
    g1 = srcgrad.grad(fn)
    g2 = srcgrad.grad(g1)
    rng = np.random.default_rng(seed)
    first = g1(x)
    u = random_like(rng, first)
    v = rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal())
    hu = g2(x, grad_ys=u)
    expected = (inner(g1(x + EPS * v), u) - inner(g1(x - EPS * v), u)) / (2 * EPS)
    actual = inner(hu, v)
    assert abs(actual - expected) <= 1e-5 * max(abs(expected), math.sqrt(inner(hu, hu)), 1e-8), (actual, expected)


class Draws:
    """Random inputs drawn in order from one seeded generator."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def normal(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape)

    def spd(self, n: int) -> np.ndarray:
        """A symmetric positive definite n × n matrix."""
        a = self.rng.standard_normal((n, n))
        return a @ a.T + n * np.eye(n)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def f32(v: Any) -> np.ndarray:
    return np.asarray(v, np.float32)


# Shared inputs of the parametrised finite-difference cases.
X43 = rng(9).standard_normal((4, 3)) * 0.5
X32 = rng(2).standard_normal((3, 2))
V = np.array([0.3, -0.7, 1.1, 0.5])


# --- parameter trees (lists, tuples and dicts of arrays and floats) ---------------------------------


def _leaves(tree: Any) -> list:
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _rebuild(tree: Any, leaves: list) -> Any:
    if isinstance(tree, dict):
        return {key: _rebuild(tree[key], leaves) for key in sorted(tree)}
    if isinstance(tree, (list, tuple)):
        items = [_rebuild(item, leaves) for item in tree]
        return tuple(items) if isinstance(tree, tuple) else items
    return leaves.pop(0)


def _same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return np.shape(a) == np.shape(b)


def check_tree(fn: Callable[..., Any], args: tuple, dtype: Any = np.float64) -> None:
    """grad(fn) of the first argument has its structure, and <g, v> matches central differences."""
    rng = np.random.default_rng(0)
    cast = lambda leaf: leaf.astype(dtype) if isinstance(leaf, np.ndarray) else leaf  # noqa: E731
    tree = _rebuild(args[0], [cast(leaf) for leaf in _leaves(args[0])])
    rest = tuple(cast(a) if isinstance(a, np.ndarray) else a for a in args[1:])
    grad = srcgrad.grad(fn)(tree, *rest)
    assert _same_structure(tree, grad), (tree, grad)
    for optimize in (False,):
        raw = srcgrad.grad(fn, optimize=optimize)(tree, *rest)
        for a, b in zip(_leaves(grad), _leaves(raw)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    leaves = [np.asarray(leaf, dtype=np.float64) if isinstance(leaf, np.ndarray) else float(leaf) for leaf in _leaves(tree)]
    directions = [rng.standard_normal(np.shape(leaf)) if isinstance(leaf, np.ndarray) else float(rng.standard_normal())
                  for leaf in leaves]
    up = _rebuild(args[0], [leaf + EPS * d for leaf, d in zip(leaves, directions)])
    down = _rebuild(args[0], [leaf - EPS * d for leaf, d in zip(leaves, directions)])
    rest64 = tuple(a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in rest)
    expected = (fn(up, *rest64) - fn(down, *rest64)) / (2 * EPS)
    actual = sum(float(np.sum(np.asarray(g, dtype=np.float64) * d)) for g, d in zip(_leaves(grad), directions))
    rtol = 1e-5 if dtype == np.float64 else 2e-3
    assert abs(actual - expected) <= rtol * max(abs(expected), 1.0), (actual, expected)
