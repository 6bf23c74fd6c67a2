"""JVP rules: forward mode's table, `callee → rule`, beside the VJP table (registry.py).

A rule gets the tangents of the call's positional inputs (`None` where an input has none), the
primal output `out` and the call's arguments, and returns the output's tangent J·t (a `Sym`), or
`NotImplemented` to leave the call to the derivation from its VJP. Most callees need no entry
here: forward mode derives J·t from the VJP rule (transforms/forward_mode.py) — directly where the
Jacobian is diagonal (`np.tanh(x)`: J·t is the VJP applied to t), else by transposing the VJP,
which is linear in its cotangent. The entries here are what a person reads most in a tangent
sweep: sums, products, quotients, matrix products, the linear ops (a sum, a reshape, an index:
the tangent goes through the same op), and the ops that build tuples, lists and written copies.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from ..ir.builder import emit
from ..runtime import core, linalg, numeric, views

JVP = Callable[..., Any]

_TABLE: dict[Any, JVP] = {}


def defjvp(fn: Any, rule: JVP) -> None:
    if fn in _TABLE:
        raise RuntimeError(f"duplicate JVP rule for {fn!r}")
    _TABLE[fn] = rule


def jvp_lookup(fn: Any) -> JVP | None:
    try:
        return _TABLE.get(fn)
    except TypeError:  # an unhashable callee
        return None


def _linear(fn: Any, *positions: int, shape_only: tuple = ()) -> None:
    """`fn` is linear in each argument at `positions` (the others held; `shape_only` ones read for
    their shape alone, so their tangents do not matter): the tangent of each goes through `fn`, and
    the parts add (`matmul_grad_x(ct, x, y)`, bilinear in ct and y)."""
    positions = positions or (0,)

    def rule(ts: list, out: Any, *args: Any, **kwargs: Any) -> Any:
        if any(t is not None for k, t in enumerate(ts) if k not in positions and k not in shape_only):
            return NotImplemented
        total = None
        for position in positions:
            if position < len(ts) and ts[position] is not None:
                moved = list(args)
                moved[position] = ts[position]
                part = emit(fn, *moved, **kwargs)  # `np.stack(t)` of a tuple's tangent: one call, not an iteration
                total = part if total is None else total + part
        return total

    defjvp(fn, rule)


for _fn in (np.sum, np.mean, np.transpose, np.reshape, np.ravel, np.squeeze, np.expand_dims, np.swapaxes,
            np.moveaxis, np.flip, np.fliplr, np.flipud, np.roll, np.rot90, np.trace, np.diagonal, np.diag,
            np.cumsum, np.diff, np.tile, np.repeat, np.broadcast_to, np.atleast_1d, np.atleast_2d, np.atleast_3d,
            np.copy, np.asarray, np.array, np.stack, np.concatenate, np.vstack, np.hstack, np.column_stack,
            np.negative, np.positive, np.triu, np.tril, np.real, np.conjugate, np.nansum,
            operator.neg, operator.pos, operator.getitem, core.identity, views.array_split_piece,
            views.split_piece, core.unbroadcast_to):
    _linear(_fn)
for _fn in (core.unbroadcast, core.expand_like, core.broadcast_like):  # `unbroadcast(ct, like)`: like's shape only
    _linear(_fn, 0, shape_only=(1,))
# the adjoint's own helpers, so that forward over reverse (`hvp`) reads as the math does
_linear(linalg.matmul_grad_x, 0, 2, shape_only=(1,))
_linear(linalg.matmul_grad_y, 0, 1, shape_only=(2,))
_linear(linalg.dot_grad_x, 0, 2, shape_only=(1,))
_linear(linalg.dot_grad_y, 0, 1, shape_only=(2,))
_linear(numeric.safe_mul, 0, 1)
for _name in ("copy", "astype", "reshape", "ravel", "flatten", "transpose", "squeeze", "sum", "mean", "swapaxes",
              "trace", "diagonal", "cumsum", "repeat"):
    _linear(core.method(_name))  # `x.copy()`, `x.sum(axis=0)`: linear in the array they are called on
# `h += v`'s new value, cast as the old one was (the old value's tangent is in the new one already)
defjvp(views.written_as, lambda ts, out, new, old: None if ts[0] is None else views.written_as(ts[0], old))


def _zeros(x: Any) -> Any:
    """The tangent of an input that has none, where an op needs one in its place."""
    return core.zeros_like_items(x) if isinstance(x, core.Symbolic) else 0.0


def _add(ts: list, out: Any, x: Any, y: Any) -> Any:
    tx, ty = ts
    if tx is not None and ty is not None:
        return tx + ty
    t, other = (tx, y) if tx is not None else (ty, x)
    return t if isinstance(other, (int, float)) else core.broadcast_like(t, out)  # `x + b`: x's tangent, as out


def _subtract(ts: list, out: Any, x: Any, y: Any) -> Any:
    tx, ty = ts
    if tx is not None and ty is not None:
        return tx - ty
    t, other = (tx, y) if tx is not None else (-ty, x)
    return t if isinstance(other, (int, float)) else core.broadcast_like(t, out)


def _multiply(ts: list, out: Any, x: Any, y: Any) -> Any:
    tx, ty = ts
    if tx is not None and ty is not None:
        return tx * y + x * ty
    return tx * y if tx is not None else x * ty


def _divide(ts: list, out: Any, x: Any, y: Any) -> Any:
    tx, ty = ts
    if ty is None:
        return tx / y
    if tx is None:
        return -(out * ty) / y
    return (tx - out * ty) / y


def _matmul(fn: Any) -> JVP:
    def rule(ts: list, out: Any, x: Any, y: Any) -> Any:
        tx, ty = ts
        if tx is not None and ty is not None:
            return fn(tx, y) + fn(x, ty)
        return fn(tx, y) if tx is not None else fn(x, ty)

    return rule


def _power(ts: list, out: Any, x: Any, y: Any) -> Any:
    tx, ty = ts
    if ty is not None or isinstance(y, core.Symbolic):
        return NotImplemented  # a varying exponent: the VJP's safe logarithm decides
    if y == 2:
        return tx * (2 * x)
    return tx * (y * x ** (y - 1))


for _fn in (operator.add, np.add):
    defjvp(_fn, _add)
for _fn in (operator.sub, np.subtract):
    defjvp(_fn, _subtract)
for _fn in (operator.mul, np.multiply):
    defjvp(_fn, _multiply)
for _fn in (operator.truediv, np.divide):
    defjvp(_fn, _divide)
for _fn in (operator.pow, np.power):
    defjvp(_fn, _power)
defjvp(operator.matmul, _matmul(operator.matmul))
defjvp(np.matmul, _matmul(np.matmul))
defjvp(np.dot, _matmul(np.dot))


def _safe_divide(ts: list, out: Any, x: Any, y: Any) -> Any:
    """`safe_div(a, b)`: zero where a is, so its tangent is too (a zero cotangent stays zero)."""
    tx, ty = ts
    part = numeric.safe_div(tx, y) if tx is not None else None
    if ty is not None:
        other = -numeric.safe_div(out * ty, y)
        part = other if part is None else part + other
    return part


defjvp(numeric.safe_div, _safe_divide)


# --- tuples, lists and written copies: every item has a tangent (zeros where it has none) ---------
def _items(ts: list, args: tuple) -> list:
    return [t if t is not None else _zeros(a) for t, a in zip(ts, args)]


defjvp(core.pack, lambda ts, out, *xs: emit(core.pack, *_items(ts, xs)))
defjvp(core.make_list, lambda ts, out, *xs: emit(core.make_list, *_items(ts, xs)))
defjvp(core.list_append, lambda ts, out, xs, x: core.list_append(*_items(ts, (xs, x))))
defjvp(core.setitem, lambda ts, out, x, index, value: core.setitem(*_items([ts[0]], (x,)), index,
                                                                     *_items([ts[2]], (value,))))
defjvp(views.write_view, lambda ts, out, base, new, view, *args: views.write_view(
    *_items(ts[:2], (base, new)), view, *args))
defjvp(np.where, lambda ts, out, c, x, y: NotImplemented if ts[0] is not None else core.broadcast_like(
    np.where(c, *_items(ts[1:], (x, y))), out))
