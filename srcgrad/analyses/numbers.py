"""Which values are certainly numbers (Python or NumPy scalars), never arrays of any rank.

`h += v` rebinds a number and changes an array in place, a 0-d array included; lowering keeps
`h` an array where it is one (`written_as`) and guards writes it cannot follow
(`check_not_array`). Neither is needed where `h` is certainly a number: a literal, a count,
arithmetic or a reduction of numbers, and what loops and branches carry of them (`i += 1` on
`i = 0`). An optimistic fixed point: every candidate starts a number, and loses it when one of its
sources may be an array.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..ir import Block, Const, Function, Op, Value
from ..runtime.views import written_as

ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
              operator.pow, operator.neg, operator.pos, builtins.abs, builtins.min, builtins.max, builtins.round}
"""Of numbers, a number (of an array, an array: so only where every operand is a number)."""
COUNTS = {builtins.len, builtins.int, builtins.float, np.ndim, np.size}
"""A number whatever the operand."""
FULL_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.prod, np.var, np.std, np.amax, np.amin}
"""Of one operand, with no axis: a NumPy scalar, whatever the operand's rank."""


def numbers(fn: Function) -> set[int]:
    """The ids of the values of `fn` that are certainly numbers."""
    candidates: dict[int, Value] = {}
    for op in fn.walk():
        for r in op.results:
            candidates[id(r)] = r
        for region in op.regions:
            for a in region.args:
                candidates[id(a)] = a
    known = set(candidates)
    changed = True
    while changed:
        changed = False
        for k in list(known):
            if not _number(candidates[k], known):
                known.discard(k)
                changed = True
    return known


def is_number(operand: object, known: set[int]) -> bool:
    if isinstance(operand, Const):
        return isinstance(operand.value, (bool, int, float)) or isinstance(operand.value, np.number)
    return isinstance(operand, Value) and id(operand) in known


def _number(value: Value, known: set[int]) -> bool:
    owner = value.owner
    if isinstance(owner, Op):
        if owner.kind == "call":
            if owner.fn in COUNTS or (owner.fn in FULL_REDUCTIONS and len(owner.args) == 1 and not owner.kwargs):
                return True
            if owner.fn in ARITHMETIC or owner.fn is written_as:
                return all(is_number(a, known) for a in owner.args) and not owner.kwargs
            return False
        k = owner.results.index(value)
        if owner.kind == "if":
            return all(is_number(region.ops[-1].args[k], known) for region in owner.regions)
        if owner.kind in ("for", "while"):
            first, shift = (3, 0) if owner.kind == "for" else (1, 1)
            body = owner.regions[0]
            return k + first < len(owner.args) and is_number(owner.args[first + k], known) \
                and is_number(body.ops[-1].args[shift + k], known)
        return False
    if isinstance(owner, Block) and owner.parent is not None and owner.parent.kind in ("for", "while"):
        loop = owner.parent
        k = owner.args.index(value)
        if loop.kind == "for":
            if k == 0:
                return True  # the index
            k -= 1
        first, shift = (3, 0) if loop.kind == "for" else (1, 1)
        return k + first < len(loop.args) and is_number(loop.args[first + k], known) \
            and is_number(owner.ops[-1].args[shift + k], known)
    return False
