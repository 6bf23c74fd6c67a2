"""Write items in place when nothing else can see the array being written.

(Also `acc + getitem_grad(ct, x, i)` → `add_at(acc, i, ct)` on such an array: the
reverse of reading items adds into the cotangent in place.)

`y[i] = v` is `setitem(y, i, v)` in the IR: a copy of `y` with one slot changed,
which costs a copy of the whole array per write (quadratic in a loop filling a
table). When the array was made by this function (zeros, a copy, arithmetic, an
earlier write: `owned`) and nothing reads it after the write (`dead_after`), the
copy is unobservable and the write happens in place:

    R_1 = R.copy()                                R[i, j] = best
    R_1[i, j] = best               →
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..ir import Block, Function, Op, Value
from ..runtime import core
from ..runtime.core import expand_like
from ..runtime.indexing import (
    add_at,
    getitem_grad,
    getitem_grad_to,
    written_grad,
    written_grad_vjp,
)

# Callees whose array result is always a new array, shared with nothing.
FRESH = {
    np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like, np.full_like, np.empty_like, np.copy,
    core.setitem, core.setitem_inplace, getitem_grad, getitem_grad_to, written_grad_vjp, add_at,
    operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
}  # fmt: skip


@dataclass(frozen=True)
class WriteInPlace:
    name: ClassVar[str] = "write_in_place"

    def run(self, fn: Function) -> bool:
        uses: dict[int, list[Op]] = {}
        for op in fn.walk():
            for v in op.operands():
                uses.setdefault(id(v), []).append(op)
        changed = False
        for op in list(fn.walk()):
            if op.kind == "call" and op.fn is core.setitem and isinstance(op.args[0], Value):
                target = op.args[0]
                if _owned(target, set()) and _dead_after(target, op, uses):
                    op.fn = core.setitem_inplace
                    changed = True
            elif op.kind == "call" and op.fn is operator.add and len(op.args) == 2:
                changed |= self._scatter_add(op, uses)
        return changed

    @staticmethod
    def _scatter_add(op: Op, uses: dict[int, list[Op]]) -> bool:
        """`acc + getitem_grad(ct, x, i)` on an owned, dead accumulator: `add_at(acc, i, ct)`."""
        for acc, scattered in (op.args, op.args[::-1]):
            source = scattered.owner if isinstance(scattered, Value) else None
            if not (isinstance(source, Op) and source.kind == "call" and source.fn in (getitem_grad, getitem_grad_to)
                    and len(uses.get(id(scattered), [])) == 1 and isinstance(acc, Value) and acc is not scattered):
                continue
            if _owned(acc, set()) and _dead_after(acc, op, uses):
                ct, _, index = source.args
                op.fn = add_at
                op.args = [acc, index, ct]
                return True
        return False


def _owned(v: Any, seen: set[int]) -> bool:
    """Whether `v` is an array this function made and shares with nothing."""
    if not isinstance(v, Value):
        return False
    if id(v) in seen:
        return True  # a loop's carried value: owned if what it starts from and gets back are
    seen.add(id(v))
    owner = v.owner
    if isinstance(owner, Op):
        if owner.kind == "call":
            if owner.fn is np.array:
                return "copy" not in owner.kwargs
            if isinstance(owner.fn, core.Method):
                return owner.fn.name == "copy"
            return owner.fn in FRESH
        if owner.kind == "if":
            k = owner.results.index(v)
            return all(_owned(region.ops[-1].args[k], seen) for region in owner.regions)
        if owner.kind in ("for", "while"):
            k = owner.results.index(v)
            first = 3 if owner.kind == "for" else 1
            return _owned(owner.args[first + k], seen) and _owned(_yielded(owner, k), seen)
        return False
    if isinstance(owner, Block) and owner.parent is not None and owner.parent.kind in ("for", "while"):
        loop = owner.parent
        k = owner.args.index(v) - (1 if loop.kind == "for" else 0)
        first = 3 if loop.kind == "for" else 1
        return k >= 0 and _owned(loop.args[first + k], seen) and _owned(_yielded(loop, k), seen)
    return False


def _yielded(loop: Op, k: int) -> Any:
    term = loop.regions[0].ops[-1]
    return term.args[k + (0 if loop.kind == "for" else 1)]


# Consumers whose results never share memory with their array operands.
NON_ALIASING = {
    operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg, operator.matmul,
    operator.gt, operator.ge, operator.lt, operator.le, operator.eq, operator.ne,
    np.add, np.subtract, np.multiply, np.divide, np.power, np.negative, np.exp, np.log, np.sin, np.cos,
    np.tanh, np.sqrt, np.square, np.abs, np.maximum, np.minimum, np.where, np.sum, np.mean, np.max, np.min,
    np.prod, np.dot, np.matmul, np.shape, np.ndim, np.size, np.copy, np.zeros_like, np.ones_like,
    np.full_like, np.logaddexp, np.isneginf, np.isnan, np.sign, getitem_grad, getitem_grad_to, add_at,
    core.setitem, core.setitem_inplace,
}  # fmt: skip


def _dead_after(v: Value, write: Op, uses: dict[int, list[Op]]) -> bool:
    """Whether `v`, and everything that may share its memory (views taken of it), is used only
    before `write`, in `write`'s own block: then writing `v` in place is unobservable."""
    pending, seen = [v], {id(v)}
    while pending:
        value = pending.pop()
        if not _used_before(value, write, uses):
            return False
        for use in uses.get(id(value), []):
            if use.kind == "push":
                return False  # a tape keeps it for the reverse sweep: it must not change
            if use is write or use.kind != "call" or use.fn in NON_ALIASING or _reads_metadata_only(use, value):
                continue
            for r in use.results:  # a view, or something that may be one
                if id(r) not in seen:
                    seen.add(id(r))
                    pending.append(r)
    return True


def _used_before(v: Value, write: Op, uses: dict[int, list[Op]]) -> bool:
    """Whether every use of `v` but `write` comes before `write`, in `write`'s own block."""
    block = write.parent
    if block is None:
        return False
    defined_here = (isinstance(v.owner, Op) and v.owner.parent is block) or v.owner is block
    if not defined_here:
        return False  # from an enclosing block: a loop would write it again on the next turn
    at = block.ops.index(write)
    for use in uses.get(id(v), []):
        if use is write:
            if sum(1 for a in write.operands() if a is v) > 1:
                return False  # y[y > 0] = ... reads y in the same op
            continue
        if _reads_metadata_only(use, v):
            continue  # shape and dtype survive an in-place write
        top = use
        while top.parent is not block:
            parent_block = top.parent
            if parent_block is None or parent_block.parent is None:
                return False
            top = parent_block.parent
        if block.ops.index(top) >= at:
            return False
    return True


def _reads_metadata_only(op: Op, v: Value) -> bool:
    """An op that reads only the shape (and dtype) of `v`."""
    if op.kind != "call":
        return False
    others_not_v = all(a is not v for k, a in enumerate(op.args) if k != _METADATA_ARGUMENT.get(op.fn, -1))
    if op.fn in _METADATA_ARGUMENT:
        k = _METADATA_ARGUMENT[op.fn]
        return len(op.args) > k and op.args[k] is v and others_not_v and not op.kwargs
    return False


_METADATA_ARGUMENT = {  # callee → the argument it reads only the shape and dtype of
    np.shape: 0, np.ndim: 0, np.size: 0, core.unbroadcast: 1, getitem_grad: 1, written_grad: 1,
    expand_like: 1,
}  # fmt: skip
