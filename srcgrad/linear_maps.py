"""A function's two linear maps at a point: `jvp` (forward mode, J·v) and `vjp` (reverse mode, Jᵀ·u).

`jvp(f, primals, tangents)` compiles f's tangent function (transforms/forward_mode.py), cached
like an adjoint, and calls it: one sweep gives the value and J·v. `vjp(f, *primals)` gives the
value and a pullback that runs the adjoint with `grad_ys=u`. Both follow JAX's signatures.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import api
from . import options as option_checks
from .arguments import is_integer, shaped_like
from .frontend.source import unwrap

if TYPE_CHECKING:  # (typed options for editors and type checkers; nothing at run time)
    from typing_extensions import Unpack

    from .options import GradOptions, TangentOptions


def jvp(fn: Callable, primals: tuple | list, tangents: tuple | list, **options: Unpack[TangentOptions]) -> tuple:
    """`(fn(*primals), J·tangents)`: the value, and its derivative along `tangents` (one per primal,
    each shaped like it), in one forward sweep. Options: `wrt` (the positions that vary: the other
    tangents are taken as zero and not computed with; by default every non-integer primal),
    `stop_gradients`, `optimize`."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents): primals and tangents are tuples (one tangent per primal)")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    if api._is_bound_method(fn):  # its object is the first argument, held fixed
        return _jvp(fn.__func__, (fn.__self__, *primals), tuple(tangents), first=1, **options)
    return _jvp(fn, tuple(primals), tuple(tangents), first=0, **options)


def _jvp(fn: Any, primals: tuple, tangents: tuple, first: int, **options: Any) -> tuple:
    target = unwrap(fn)
    integer = tuple(is_integer(p) for p in primals)
    varying = options.pop("wrt", None)
    if varying is not None:  # positions among the primals given; a bound method's object comes first
        varying = (varying,) if isinstance(varying, int) else tuple(varying)
        integer = tuple(flag or (k - first) not in varying for k, flag in enumerate(integer))
    plan = _plan(target, first, len(primals), integer, options)
    params, wrt, normalised, signature = plan
    if len(primals) == len(params):
        values = list(primals)  # the common call: every argument by position
    else:
        bound = signature.bind(*primals)
        bound.apply_defaults()
        values = [bound.arguments[p] for p in params]
    for position, t in zip(range(first, len(primals)), tangents):
        if not integer[position] and np.shape(t) != np.shape(values[position]):
            raise ValueError(f"jvp: the tangent for {params[position]!r} has shape {np.shape(t)}, its primal "
                             f"{np.shape(values[position])}; give each tangent its primal's shape")
    compiled = api.compile_adjoint(target, normalised)
    compiled.refresh()
    value, tangent = compiled.function(*values, *[tangents[i - first] for i in wrt])
    return value, _shaped_like(tangent, value)


_PLANS: dict = {}


def _plan(target: Any, first: int, count: int, integer: tuple, options: dict) -> tuple:
    """(parameters, the positions with tangents, the compile options, the signature) of one kind of call,
    made once:
    integer and boolean primals (counts, indices, masks) have no tangent, and theirs is ignored."""
    key = (target, first, count, integer, repr(sorted(options.items())))
    plan = _PLANS.get(key)
    if plan is None:
        api._check_function(target)
        unknown = set(options) - {"stop_gradients", "optimize"}
        if unknown:
            raise TypeError(f"jvp: unknown option(s) {', '.join(sorted(unknown))}; the options are "
                            "stop_gradients, optimize")
        wrt = tuple(i for i in range(first, count) if not integer[i])
        normalised = option_checks.normalise(target, {**options, "wrt": wrt})
        plan = _PLANS[key] = (option_checks.parameters(target), wrt,
                              dataclasses.replace(normalised, single=False, mode="forward"), inspect.signature(target))
    return plan


def _shaped_like(tangent: Any, value: Any) -> Any:
    """A tangent with its value's structure, shape and float dtype (zeros broadcast where constant)."""
    if isinstance(value, (tuple, list)) and isinstance(tangent, (tuple, list)):
        items = [_shaped_like(t, v) for t, v in zip(tangent, value)]
        return tuple(items) if isinstance(value, tuple) else items
    return shaped_like(tangent, value)


def vjp(fn: Callable, *primals: Any, **options: Unpack[GradOptions]) -> tuple:
    """`(fn(*primals), pullback)`: `pullback(u)` is the tuple of Jᵀ·u, one per primal, from the
    adjoint seeded with `grad_ys=u`. The value comes from running fn once on copies of the
    primals (a function that writes into its arguments leaves the caller's arrays as they were)."""
    pull = api.grad(fn, wrt=tuple(range(len(primals))), unconnected_gradients="zero", **options)
    value = fn(*copy.deepcopy(primals))

    def pullback(u: Any) -> tuple:
        return pull(*primals, grad_ys=u)

    return value, pullback
