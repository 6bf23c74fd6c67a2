"""A reduction's cotangent reads what was reduced for its shape and dtype only: `expand_like(ct,
plus)` (and `unbroadcast(ct, plus)` and `np.size(plus)`, the shape alone). Where `plus` is computed elementwise from
one value `x` alone and Python numbers, `x` answers for it (the same shape; a dtype that
promotes with the cotangent as `plus`'s does), and the forward computation of `plus`, which
nothing else reads, goes:

    power = x ** 3
    plus = prod_1 + power
    plus_bar = expand_like(sum_bar, plus)      →      plus_bar = expand_like(sum_bar, x)

(`np.sum(np.tanh(x) * np.exp(-x * x) + x ** 3)`: its gradient no longer computes `x ** 3`.) Where
several values meet, the nearest one up a chain of one-array elementwise ops answers (`diff` for
`np.sum(diff ** 2)`: `diff ** 2` goes).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..analyses.shapes import ELEMENTWISE_BINARY, ELEMENTWISE_UNARY
from ..ir import Const, Function, Op, Value
from ..runtime import core

# Elementwise callees whose result has the dtype of their array operand, promoted as any float
# (not comparisons: a bool result promotes otherwise).
_SAME_KIND = (ELEMENTWISE_UNARY | ELEMENTWISE_BINARY) - {
    operator.gt, operator.ge, operator.lt, operator.le, operator.eq, operator.ne, operator.invert, operator.not_,
}
_WITNESS_ARGUMENT = {core.expand_like: 1, core.unbroadcast: 1, np.size: 0, np.shape: 0, np.ndim: 0}


@dataclass(frozen=True)
class ShapeWitness:
    name: ClassVar[str] = "shape_witness"

    def run(self, fn: Function) -> bool:
        # only a witness read for its shape alone is replaced (one the forward sweep needs anyway
        # costs nothing, and reads better as itself)
        other_uses: set[int] = set()
        for op in fn.walk():
            k = _WITNESS_ARGUMENT.get(op.fn, -1) if op.kind == "call" and not op.kwargs else -1
            other_uses.update(id(a) for i, a in enumerate(op.args) if i != k and isinstance(a, Value))
            other_uses.update(id(a) for a in op.kwargs.values() if isinstance(a, Value))
        changed = False
        for op in fn.walk():
            k = _WITNESS_ARGUMENT.get(op.fn) if op.kind == "call" else None
            if k is None or len(op.args) <= k or op.kwargs or not isinstance(op.args[k], Value) \
                    or id(op.args[k]) in other_uses:
                continue
            source = _single_source(op.args[k]) or _nearest_array(op.args[k])
            if source is not None and source is not op.args[k]:
                op.args[k] = source
                changed = True
        return changed


def _nearest_array(v: Value) -> Value:
    """The first value up `v`'s chain of elementwise ops of one array and Python numbers (`diff`
    for `power = diff ** 2`): it has `v`'s shape, and its dtype as a float does."""
    while isinstance(v.owner, Op) and v.owner.kind == "call" and v.owner.fn in _SAME_KIND and not v.owner.kwargs:
        arrays = [a for a in v.owner.args if not (isinstance(a, Const) and type(a.value) in (int, float))]
        if len(arrays) != 1 or not isinstance(arrays[0], Value) or len(v.owner.args) > 2:
            break
        v = arrays[0]
    return v


def _single_source(v: Value) -> Value | None:
    """The one value `v` is computed from, elementwise with Python numbers; None if several."""
    found: list[Value] = []
    todo: list[Any] = [v]
    seen: set[int] = set()  # (so each value is found once)
    while todo:
        value = todo.pop()
        if isinstance(value, Const) and type(value.value) in (int, float):
            continue
        if not isinstance(value, Value):
            return None  # an array (a constant, a global) broadcasts; a bool promotes otherwise
        if id(value) in seen:
            continue
        seen.add(id(value))
        owner = value.owner
        if isinstance(owner, Op) and owner.kind == "call" and owner.fn in _SAME_KIND and not owner.kwargs \
                and owner.args and (len(owner.args) == 1 or owner.fn in ELEMENTWISE_BINARY and len(owner.args) == 2):
            todo += owner.args
            continue
        found.append(value)
        if len(found) > 1:
            return None
    return found[0] if found else None
