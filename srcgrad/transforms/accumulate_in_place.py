"""Accumulate scattered cotangents in place, as a person writes `X_bar[i] += row_bar`.

In the reverse of `for row in X`, each iteration adds `getitem_grad(row_bar, X, i)`
(a full array of zeros but one row) to `X_bar`: quadratic work. When the
accumulator is a reverse loop's own, started from fresh zeros and read by nothing
else, the row is added in place instead:

    X_bar = np.zeros_like(X)                     X_bar = np.zeros_like(X)
    for i in reversed(range(n)):                 for i in reversed(range(n)):
        g = getitem_grad(row_bar, X, i)    →         X_bar = add_at(X_bar, i, row_bar)
        X_bar = X_bar + g
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..ir import Function, Op, Value
from ..rules.helpers import add_at, getitem_grad


@dataclass(frozen=True)
class AccumulateInPlace:
    name: ClassVar[str] = "accumulate_in_place"

    def run(self, fn: Function) -> bool:
        uses: dict[int, list[Op]] = {}
        for op in fn.walk():
            for v in op.operands():
                uses.setdefault(id(v), []).append(op)
        changed = False
        for loop in list(fn.walk()):
            if loop.kind != "for":
                continue
            (body,) = loop.regions
            term = body.ops[-1]
            for j, arg in enumerate(body.args[1:]):
                init = loop.args[3 + j]
                if not _fresh_zeros(init, uses, loop) or [u for u in uses.get(id(arg), [])] == []:
                    continue
                readers = uses[id(arg)]
                if len(readers) != 1:
                    continue
                add = readers[0]
                if not (add.kind == "call" and add.fn is operator.add and add.parent is body and add.args[0] is arg
                        and term.args[j] is add.result and len(uses.get(id(add.result), [])) == 1):
                    continue
                scatter = add.args[1]
                source = scatter.owner if isinstance(scatter, Value) else None
                if not (isinstance(source, Op) and source.kind == "call" and source.fn is getitem_grad
                        and len(uses.get(id(scatter), [])) == 1):
                    continue
                ct, _, index = source.args
                add.fn = add_at
                add.args = [arg, index, ct]
                changed = True
        return changed


def _fresh_zeros(init: object, uses: dict[int, list[Op]], loop: Op) -> bool:
    """A new array of zeros made only to start this loop's accumulator."""
    if not isinstance(init, Value):
        return False
    owner = init.owner
    return (isinstance(owner, Op) and owner.kind == "call" and owner.fn is np.zeros_like
            and uses.get(id(init), []) == [loop])
