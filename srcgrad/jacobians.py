"""Jacobians, Hessians, Hessian-vector products and a gradient check.

`jacobian(f)` builds J column by column with forward mode (one `jvp` per input element, JAX's
`jacfwd`) or row by row with reverse mode (one adjoint run per output element, `jacrev`);
`mode="auto"` takes the fewer passes. `hessian(f)` is the forward-mode Jacobian of the gradient,
and `hvp(f)` one forward sweep over the gradient's adjoint (forward over reverse: a Hessian-vector
product for about the cost of three gradients, without forming the Hessian). `check_grads`
compares both modes with central differences, as srcgrad's own tests do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .api import grad
from .arguments import is_integer
from .linear_maps import jvp

if TYPE_CHECKING:  # (typed options for editors and type checkers; nothing at run time)
    from typing_extensions import Unpack

    from .options import GradOptions


MODES = ("auto", "forward", "reverse")


def jacobian(fn: Callable, wrt: Any = 0, mode: str = "auto", **options: Unpack[GradOptions]) -> Callable:
    """`J(*args)`: d fn / d args[wrt], shaped `output.shape + input.shape` (a tuple of them for
    several `wrt`). `mode`: "forward" (a pass per input element), "reverse" (a pass per output
    element) or "auto" (whichever is fewer)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
    several = isinstance(wrt, (tuple, list))
    positions = list(wrt) if several else [wrt]

    def jac(*args: Any, **kwargs: Any) -> Any:
        out = np.asarray(_probe(fn, args, kwargs))
        inputs = sum(max(np.size(args[p]), 1) for p in positions)
        forward = mode == "forward" or (mode == "auto" and not kwargs and inputs < max(out.size, 1))
        if forward and kwargs:
            raise TypeError("jacobian(mode='forward'): pass every argument by position")
        make = _forward_jacobians if forward else _reverse_jacobians
        jacobians = make(fn, positions, args, kwargs, out, options)
        return tuple(jacobians) if several else jacobians[0]

    return jac


def _reverse_jacobians(fn: Callable, positions: list, args: tuple, kwargs: dict, out: Any, options: dict) -> list:
    pullback = grad(fn, wrt=tuple(positions), unconnected_gradients="zero", **options)
    rows = []
    for k in range(max(out.size, 1)):
        seed = np.zeros(out.shape, dtype=np.result_type(out, np.float64))
        seed.flat[k] = 1.0
        rows.append(pullback(*args, grad_ys=seed if out.shape else float(1.0), **kwargs))
    return [np.reshape(np.stack([np.asarray(row[j], dtype=np.float64) for row in rows]), out.shape + np.shape(args[p]))
            for j, p in enumerate(positions)]


def _forward_jacobians(fn: Callable, positions: list, args: tuple, kwargs: dict, out: Any, options: dict) -> list:
    zeros = [np.zeros_like(a, dtype=np.float64) if not is_integer(a) else a for a in args]
    jacobians = []
    for p in positions:
        x = args[p]
        columns = []
        for k in range(max(np.size(x), 1)):
            basis = np.zeros(np.shape(x))
            basis.flat[k] = 1.0
            tangents = list(zeros)
            tangents[p] = basis if np.ndim(x) else float(basis)
            _, column = jvp(fn, args, tangents, wrt=p, **options)
            columns.append(np.asarray(column, dtype=np.float64))
        stacked = np.stack(columns, axis=-1)  # out.shape + (x.size,)
        jacobians.append(np.reshape(stacked, out.shape + np.shape(x)))
    return jacobians


def hessian(fn: Callable, wrt: int = 0, **options: Unpack[GradOptions]) -> Callable:
    """`H(*args)`: the second derivative of a scalar `fn` in `args[wrt]`, shaped `x.shape + x.shape`
    (forward mode over the gradient)."""
    return jacobian(grad(fn, wrt=wrt, unconnected_gradients="zero", **options), wrt=wrt, mode="forward")


def hvp(fn: Callable, wrt: int = 0, **options: Unpack[GradOptions]) -> Callable:
    """`hvp(*args, v)`: the Hessian of a scalar `fn` in `args[wrt]` times `v`, in one forward sweep
    over the gradient's adjoint."""
    gradient = grad(fn, wrt=wrt, unconnected_gradients="zero", **options)

    def product(*args: Any) -> Any:
        *inputs, v = args
        tangents: list = list(inputs)
        tangents[wrt] = v
        return jvp(gradient, tuple(inputs), tangents, wrt=wrt)[1]

    return product


def check_grads(fn: Callable, args: tuple, wrt: Any = 0, order: int = 1, modes: tuple = ("fwd", "rev"),
                eps: float = 1e-6, rtol: float = 1e-5, seed: int = 0) -> None:
    """Raise AssertionError unless srcgrad's derivatives of `fn` match central differences along a
    random direction v: reverse mode's <g, v> and forward mode's sum(J·v), both against
    sum(f(x + εv) - f(x - εv)) / 2ε; for order=2, the Hessian-vector product too (of a scalar fn)."""
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"modes are 'fwd' and 'rev'; got {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    positions = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    for position in positions:
        x = args[position]
        v = rng.standard_normal(np.shape(x))

        def along(t: float, f: Callable = fn) -> Any:
            moved = list(args)
            moved[position] = np.asarray(x, dtype=np.float64) + t * v if np.ndim(x) else float(x) + t * float(v)
            return f(*moved)

        numeric = np.sum(np.asarray(along(eps), dtype=np.float64) - np.asarray(along(-eps), dtype=np.float64)) / (2 * eps)
        if "rev" in modes:
            g = grad(fn, wrt=position, unconnected_gradients="zero")(*args)
            _close(np.sum(np.asarray(g, dtype=np.float64) * v), numeric, rtol, "gradient (reverse mode)")
        if "fwd" in modes:
            tangents = [np.zeros_like(a, dtype=np.float64) if not is_integer(a) else a for a in args]
            tangents[position] = v if np.ndim(x) else float(v)
            _close(float(np.sum(np.asarray(jvp(fn, tuple(args), tangents)[1], dtype=np.float64))), numeric, rtol,
                   "Jacobian-vector product (forward mode)")
        if order >= 2:
            u = rng.standard_normal(np.shape(x))
            first = grad(fn, wrt=position, unconnected_gradients="zero")
            hu = hvp(fn, wrt=position)(*args, u if np.ndim(x) else float(u))
            second = (np.sum(np.asarray(along(eps, first), dtype=np.float64) * u)
                      - np.sum(np.asarray(along(-eps, first), dtype=np.float64) * u)) / (2 * eps)
            _close(np.sum(np.asarray(hu, dtype=np.float64) * v), second, rtol, "Hessian-vector product")


def _probe(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """The function's value, on copies of its array arguments (it may write into them)."""
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    return fn(*copies, **kwargs)


def _close(actual: float, expected: float, rtol: float, what: str) -> None:
    if not abs(actual - expected) <= rtol * max(abs(expected), abs(actual), 1.0):
        raise AssertionError(f"srcgrad's {what} gives {actual!r} along a random direction, central differences "
                             f"{expected!r}")
