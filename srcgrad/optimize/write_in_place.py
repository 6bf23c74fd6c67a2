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

from ..analyses.shapes import Shapes, compute_shapes
from ..ir import Block, Function, Op, Value
from ..ir.advanced_indexing import is_list_index
from ..ir.nodes import is_inside
from ..ir.rewrite import replace_uses
from ..runtime import core
from ..runtime.core import astype_like, expand_like
from ..runtime.indexing import (
    add_at,
    getitem_grad,
    getitem_grad_to,
    written_grad,
    written_grad_vjp,
)
from ..runtime.views import written_as

# Callees whose result is an ndarray whatever their arguments (`np.copy(2.0)` is one).
ARRAY_MAKERS = {
    np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like, np.full_like, np.empty_like, np.copy,
    np.array, core.setitem, core.setitem_inplace,
}  # fmt: skip
# Callees whose array result is always a new array, shared with nothing (np.array: see `_fresh`).
FRESH = ARRAY_MAKERS - {np.array} | {
    getitem_grad, getitem_grad_to, written_grad_vjp, add_at,
    operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
    operator.iadd, operator.isub, operator.imul, operator.itruediv,
}  # fmt: skip
# The user's augmented assignments (`b -= y`, lowered to `b - y`), written in place where it is unobservable.
AUGMENTED = {operator.add: operator.iadd, operator.sub: operator.isub, operator.mul: operator.imul,
             operator.truediv: operator.itruediv}


@dataclass(frozen=True)
class WriteInPlace:
    name: ClassVar[str] = "write_in_place"

    def run(self, fn: Function) -> bool:
        uses: dict[int, list[Op]] = {}
        for op in fn.walk():
            for v in op.operands():
                uses.setdefault(id(v), []).append(op)
        changed = False
        shapes = None
        for op in list(fn.walk()):
            if op.kind == "call" and op.fn is core.setitem and isinstance(op.args[0], Value):
                target = op.args[0]
                if _owned(target, set()) and _dead_after(target, op, uses):
                    op.fn = core.setitem_inplace
                    changed = True
            elif op.kind == "call" and op.attrs.get("augmented") and op.fn in AUGMENTED:
                shapes = shapes or compute_shapes(fn)
                changed |= self._augmented(fn, op, uses, shapes)
            if op.kind == "call" and op.fn is operator.add and len(op.args) == 2:
                changed |= self._scatter_add(op, uses)
        return changed

    @staticmethod
    def _augmented(fn: Function, op: Op, uses: dict[int, list[Op]], shapes: Shapes) -> bool:
        """The user's `b -= y` on an owned, dead `b`, lowered to `b_1 = b - y`: `b -= y` again. It
        allocates nothing, and it is Python's own arithmetic exactly: the result keeps b's memory
        layout (a later sum adds in b's order: `x.T * 2.0` is Fortran-ordered), its dtype and its
        shape."""
        target = op.args[0]
        # Only where b is certainly an array (`b -= y` writes it, keeping its shape, or raises as
        # Python does), or the result certainly has b's shape: with a number b, `b -= y` rebinds b
        # to a new value, which the reads of b's shape after it must not see.
        if not isinstance(target, Value) or not (shapes.same(target, op.result) or _certainly_array(target)):
            return False
        if not (_owned(target, set()) and _dead_after(target, op, uses)):
            return False
        op.fn = AUGMENTED[op.fn]
        # `written_as(b_1, b)` (b's dtype, an array kept one) is now b_1 itself
        casts = [use for use in uses.get(id(op.result), []) if use.kind == "call" and use.fn is written_as
                 and use.args == [op.result, target]]
        replace_uses(fn, {id(cast.result): op.result for cast in casts})
        for cast in casts:  # (the uses index stays true for the writes after this one)
            uses.setdefault(id(op.result), []).extend(uses.pop(id(cast.result), []))
        return True

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
            if isinstance(owner.fn, core.Method):
                return owner.fn.name == "copy"
            return _fresh(owner)
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


def _certainly_array(v: Value) -> bool:
    """Whether `v` is an ndarray whatever the arguments (a number never is: `np.copy(2.0)` is one)."""
    owner = v.owner
    if not (isinstance(owner, Op) and owner.kind == "call"):
        return False
    if owner.fn in AUGMENTED.values() and isinstance(owner.args[0], Value):
        return _certainly_array(owner.args[0])  # the array it wrote
    if owner.fn is operator.getitem and len(owner.args) == 2:
        return is_list_index(owner.args[1])
    return owner.fn in ARRAY_MAKERS


def _fresh(call: Op) -> bool:
    """Whether a call's result is a new array, shared with nothing (`x[:, [2, 0]]` copies)."""
    if call.fn is operator.getitem and len(call.args) == 2:
        return is_list_index(call.args[1])
    if call.fn is np.array:
        return "copy" not in call.kwargs  # np.array copies unless told not to
    return call.fn in FRESH


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
    np.full_like, np.logaddexp, np.isneginf, np.isnan, np.sign, getitem_grad, getitem_grad_to,
    core.setitem,
}  # fmt: skip
# Callees that write their first argument in place and return it: the result *is* that argument.
IN_PLACE = (core.setitem_inplace, add_at, *AUGMENTED.values())


def _dead_after(v: Value, write: Op, uses: dict[int, list[Op]]) -> bool:
    """Whether writing `v` in place at `write` is unobservable: no value that may hold the same
    memory as `v` when `write` runs is read from `write` on (nor again, on a later turn of a loop).

    Those values ("aliases") are found both ways. Forward: views taken of `v`, and what carries
    one further (a call that may return a view, an `if` or a loop yielding it, a loop taking it as
    initial value, an in-place write's result). Backward: where `v`'s memory came from when `v`
    merges several (an `if` result is one of its yields; a loop's result its initial value or
    its last yield; a loop's carried value, on the first turn, its initial value). Each alias gets
    a point from which it must be dead: `write` itself, or for a carried value's initial value the
    loop op that consumes it (the first turn's write happens inside that loop)."""
    # (alias, the op from which it must be dead, the loop it is the carried target's initial value
    # of, whether it is a source of `v`'s memory (only sources are followed backward), and for a
    # source the value it was reached from: the way forward to that one is not a new alias)
    pending: list[tuple[Value, Op, Op | None, bool, Value | None]] = [(v, write, None, True, None)]
    seen: set[tuple[int, int, bool, int]] = set()
    while pending:
        value, at, consumer, source, successor = pending.pop()
        key = (id(value), id(at), source, id(successor))
        if key in seen:
            continue
        seen.add(key)
        if not _defined_without_loop(value, at):
            return False  # from outside a loop around `at`: a later turn would see the write
        for use in uses.get(id(value), []):
            if use.kind == "push":
                return False  # a tape keeps it for the reverse sweep: it must not change
            if use is at and at is write and value is v:
                if sum(1 for a in write.operands() if a is v) > 1:
                    return False  # y[y > 0] = ... reads y in the same op
                continue
            if use is consumer:
                continue  # the loop taking `value` as the initial value of the carried target
            if _reads_metadata_only(use, value):
                continue  # shape and dtype survive an in-place write
            if not _runs_before(use, at):
                return False
            for alias in _forward(use, value):
                if alias is not successor:
                    pending.append((alias, at, None, False, None))
        if not source:
            continue  # a view of, or a value passing on, an alias: where else its memory came from is no alias
        owner = value.owner
        if isinstance(owner, Op) and owner.kind == "if":
            k = owner.results.index(value)
            for region in owner.regions:
                y = region.ops[-1].args[k]
                if isinstance(y, Value):
                    pending.append((y, at, None, True, value))
        elif isinstance(owner, Op) and owner.kind in ("for", "while"):
            k = owner.results.index(value)
            for a in (owner.args[(3 if owner.kind == "for" else 1) + k], _yielded(owner, k)):
                if isinstance(a, Value):
                    pending.append((a, at, None, True, value))
        elif isinstance(owner, Op) and owner.kind == "call" and not _fresh(owner) and owner.fn not in NON_ALIASING:
            for a in owner.operands():  # a view of (or the in-place result on) an operand
                pending.append((a, at, None, True, value))
        elif isinstance(owner, Op) and owner.kind == "call" and owner.fn in IN_PLACE:
            if isinstance(owner.args[0], Value):
                pending.append((owner.args[0], at, None, True, value))
        elif isinstance(owner, Block) and owner.parent is not None and owner.parent.kind in ("for", "while"):
            loop = owner.parent
            k = owner.args.index(value) - (1 if loop.kind == "for" else 0)
            if k < 0:
                continue  # a for's index: an int
            init = loop.args[(3 if loop.kind == "for" else 1) + k]
            if _encloses(loop, at):
                # The first turn holds the initial value's memory: it must be dead from the loop on
                # (its one use as this slot's initial value aside). Later turns hold what the last
                # turn yielded here, which must share memory with no other carried value.
                if not _yield_unshared(loop, k) or _taped_in(loop, value, k):
                    return False
                if isinstance(init, Value):
                    if sum(1 for a in loop.operands() if a is init) > 1:
                        return False  # also another slot's initial value
                    pending.append((init, loop, loop, True, value))
            else:
                for a in (init, _yielded(loop, k)):
                    if isinstance(a, Value):
                        pending.append((a, at, None, True, value))
    return True


def _forward(use: Op, value: Value) -> list[Value]:
    """The values through which `use` may pass on `value`'s memory."""
    if use.kind == "call":
        if use.fn in IN_PLACE:
            return list(use.results) if use.args and use.args[0] is value else []
        return [] if use.fn in NON_ALIASING else list(use.results)
    if use.kind == "yield" and use.parent is not None and use.parent.parent is not None:
        owner = use.parent.parent
        positions = [k for k, a in enumerate(use.args) if a is value]
        if owner.kind == "if":
            return [owner.results[k] for k in positions]
        if owner.kind in ("for", "while"):
            shift = 0 if owner.kind == "for" else 1  # a while yields its condition first
            first_arg = 1 if owner.kind == "for" else 0
            out = []
            for k in positions:
                if k - shift >= 0:
                    out += [owner.results[k - shift], owner.regions[0].args[first_arg + k - shift]]
            return out
        return []
    if use.kind in ("for", "while"):
        first = 3 if use.kind == "for" else 1
        first_arg = 1 if use.kind == "for" else 0
        out = []
        for k, a in enumerate(use.args[first:]):
            if a is value:
                out += [use.results[k], use.regions[0].args[first_arg + k]]
        return out
    return []


def _ancestors(op: Op) -> list[Op]:
    """`op`, then each op whose region holds the one before."""
    chain = [op]
    while chain[-1].parent is not None and chain[-1].parent.parent is not None:
        chain.append(chain[-1].parent.parent)
    return chain


def _encloses(loop: Op, op: Op) -> bool:
    return any(a is loop for a in _ancestors(op)[1:])


def _defined_without_loop(v: Value, at: Op) -> bool:
    """Whether `v` is defined in `at`'s block, in a block enclosing it with no loop in between,
    or inside an op of one of those blocks: then each run of `at` sees a `v` defined afresh."""
    owner = v.owner
    block = owner if isinstance(owner, Block) else owner.parent if isinstance(owner, Op) else None
    if block is None:
        return False
    for a in _ancestors(at):
        if a is not at and a.kind in ("for", "while"):
            return False  # `at` runs on every turn of this loop, and `v` is not made afresh inside it
        if is_inside(block, a.parent):  # type: ignore[arg-type]
            return True
    return False


def _runs_before(use: Op, at: Op) -> bool:
    """Whether `use` certainly runs before `at` does (in the block where their paths meet)."""
    at_chain = _ancestors(at)
    for u in _ancestors(use):
        block = u.parent
        for a in at_chain:
            if a.parent is block:
                if u is a:
                    return False  # inside the same op: another region, or `at` itself
                return block.ops.index(u) < block.ops.index(a)
    return False


def _roots(v: object, seen: set[int] | None = None) -> set[int]:
    """The memory `v` may hold: ids of fresh results and of block arguments it may be (a view of)."""
    if not isinstance(v, Value):
        return set()
    seen = set() if seen is None else seen
    if id(v) in seen:
        return set()
    seen.add(id(v))
    owner = v.owner
    if isinstance(owner, Op):
        if owner.kind == "call":
            if owner.fn in IN_PLACE:
                return _roots(owner.args[0], seen)
            if _fresh(owner) or owner.fn in NON_ALIASING:
                return {id(v)}
            return set().union(*(_roots(a, seen) for a in owner.operands())) | {id(v)}
        if owner.kind == "if":
            k = owner.results.index(v)
            return set().union(*(_roots(r.ops[-1].args[k], seen) for r in owner.regions)) | {id(v)}
        if owner.kind in ("for", "while"):
            k = owner.results.index(v)
            first = 3 if owner.kind == "for" else 1
            return _roots(owner.args[first + k], seen) | _roots(_yielded(owner, k), seen) | {id(v)}
    return {id(v)}


def _taped_in(loop: Op, arg: Value, k: int) -> bool:
    """Whether a turn of `loop` pushes onto a tape a value that may hold carried slot `k`'s memory:
    the tape keeps it for the reverse sweep, and the next turn's write would change it."""
    term = loop.regions[0].ops[-1]
    mine = _roots(arg) | _roots(term.args[(0 if loop.kind == "for" else 1) + k])
    return any(op.kind == "push" and any(_roots(a) & mine for a in op.operands()) for op in loop.regions[0].walk())


def _yield_unshared(loop: Op, k: int) -> bool:
    """Whether the value a loop yields for carried slot `k` shares memory with no other slot's."""
    term = loop.regions[0].ops[-1]
    shift = 0 if loop.kind == "for" else 1
    mine = _roots(term.args[shift + k])
    return all(not (mine & _roots(a)) for j, a in enumerate(term.args[shift:]) if j != k)


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
    expand_like: 1, written_as: 1, astype_like: 1,
}  # fmt: skip
