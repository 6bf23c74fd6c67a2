"""Jacobians, Hessians, Hessian-vector products and a gradient check, built on reverse mode.

`jacobian(f)` runs the adjoint once per output element (JAX's `jacrev`); `hessian(f)` is the
Jacobian of the gradient; `hvp(f)` is one reverse pass over the gradient's adjoint, seeded with
the vector (reverse over reverse: the Hessian is symmetric). Forward mode, which would make
`jacobian` of a function with few inputs cheaper, is not written yet. `check_grads` compares
srcgrad's gradient with central differences, as srcgrad's own tests do.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .api import grad


def jacobian(fn: Callable, wrt: Any = 0, **options: Any) -> Callable:
    """`J(*args)`: d fn / d args[wrt], shaped `output.shape + input.shape` (a tuple of them for
    several `wrt`). One reverse pass per output element."""
    several = isinstance(wrt, (tuple, list))
    pullback = grad(fn, wrt=wrt, unconnected_gradients="zero", **options)

    def jac(*args: Any, **kwargs: Any) -> Any:
        out = np.asarray(_probe(fn, args, kwargs))
        rows = []
        for k in range(max(out.size, 1)):
            seed = np.zeros(out.shape, dtype=np.result_type(out, np.float64))
            seed.flat[k] = 1.0
            rows.append(pullback(*args, grad_ys=seed if out.shape else float(1.0), **kwargs))
        inputs = [args[i] for i in wrt] if several else [args[wrt]]
        parts = [[row[j] for row in rows] for j in range(len(inputs))] if several else [rows]
        jacobians = tuple(np.reshape(np.stack([np.asarray(g, dtype=np.float64) for g in part]),
                                     out.shape + np.shape(x)) for part, x in zip(parts, inputs))
        return jacobians if several else jacobians[0]

    return jac


def hessian(fn: Callable, wrt: int = 0, **options: Any) -> Callable:
    """`H(*args)`: the second derivative of a scalar `fn` in `args[wrt]`, shaped `x.shape + x.shape`."""
    return jacobian(grad(fn, wrt=wrt, unconnected_gradients="zero", **options), wrt=wrt)


def hvp(fn: Callable, wrt: int = 0, **options: Any) -> Callable:
    """`hvp(*args, v)`: the Hessian of a scalar `fn` in `args[wrt]` times `v`, in one reverse pass."""
    second = grad(grad(fn, wrt=wrt, unconnected_gradients="zero", **options), wrt=wrt, unconnected_gradients="zero")

    def product(*args: Any) -> Any:
        *inputs, v = args
        return second(*inputs, grad_ys=v)

    return product


def check_grads(fn: Callable, args: tuple, wrt: Any = 0, order: int = 1, eps: float = 1e-6, rtol: float = 1e-5,
                seed: int = 0) -> None:
    """Raise AssertionError unless srcgrad's gradient of `fn` (and, for order=2, its Hessian-vector
    product) matches central differences along a random direction: <g, v> = (f(x + εv) - f(x - εv)) / 2ε."""
    rng = np.random.default_rng(seed)
    positions = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    for position in positions:
        x = args[position]
        v = rng.standard_normal(np.shape(x))

        def along(t: float, f: Callable = fn) -> Any:
            moved = list(args)
            moved[position] = np.asarray(x, dtype=np.float64) + t * v if np.ndim(x) else float(x) + t * float(v)
            return f(*moved)

        g = grad(fn, wrt=position, unconnected_gradients="zero")(*args)
        _close(np.sum(np.asarray(g, dtype=np.float64) * v), (along(eps) - along(-eps)) / (2 * eps), rtol, "gradient")
        if order >= 2:
            u = rng.standard_normal(np.shape(x))
            first = grad(fn, wrt=position, unconnected_gradients="zero")
            hu = hvp(fn, wrt=position)(*args, u if np.ndim(x) else float(u))
            numeric = (np.sum(np.asarray(along(eps, first), dtype=np.float64) * u)
                       - np.sum(np.asarray(along(-eps, first), dtype=np.float64) * u)) / (2 * eps)
            _close(np.sum(np.asarray(hu, dtype=np.float64) * v), numeric, rtol, "Hessian-vector product")


def _probe(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """The function's value, on copies of its array arguments (it may write into them)."""
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    return fn(*copies, **kwargs)


def _close(actual: float, expected: float, rtol: float, what: str) -> None:
    if not abs(actual - expected) <= rtol * max(abs(expected), abs(actual), 1.0):
        raise AssertionError(f"srcgrad's {what} gives {actual!r} along a random direction, central differences "
                             f"{expected!r}")
