"""Tape a value's shape, not the value, when the reverse sweep only asks for its shape.

`unbroadcast(ct, x)`, `getitem_grad(ct, x, i)` (for an array) and `np.shape(x)` need
only the shape of `x`; keeping every `x` of a loop alive on a tape costs memory
(quadratic, for an array updated item by item in a loop) and, through fresh
allocations, time.

    forward:  x_stack.append(x)                 x_stack.append(np.shape(x))
    reverse:  x = x_stack.pop()          →      x = x_stack.pop()
              g = unbroadcast(ct, x)            g = unbroadcast_to(ct, x)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..ir import Function, Op, Value
from ..ir.rewrite import replace_uses, tape_ops
from ..runtime import core
from ..runtime.indexing import (
    getitem_grad,
    getitem_grad_to,
    written_grad,
    written_grad_to,
)
from .adjoint_state import is_sequence


@dataclass(frozen=True)
class TapeShapesOnly:
    name: ClassVar[str] = "tape_shapes_only"

    def run(self, fn: Function) -> bool:
        pushes, pops = tape_ops(fn)
        uses: dict[int, list[Op]] = {}
        for op in fn.walk():
            for v in op.operands():
                uses.setdefault(id(v), []).append(op)
        changed = False
        mapping: dict = {}
        for tape, tape_pops in pops.items():
            tape_pushes = pushes.get(tape, [])
            if len(tape_pushes) != 1 or len(tape_pops) != 1 or tape_pushes[0].attrs.get("shape_only"):
                continue
            popped = tape_pops[0].result
            readers = uses.get(id(popped), [])
            if not readers or not all(_reads_shape_only(op, popped) for op in readers):
                continue
            if is_sequence(tape_pushes[0].args[1]) and any(op.fn is not core.unbroadcast for op in readers):
                continue  # a list or dict: its cotangent needs its items, not a shape
            push = tape_pushes[0]
            block = push.parent
            assert block is not None
            shape = Op("call", [push.args[1]], {}, [Value(f"{popped.hint}_shape")], fn=np.shape, loc=push.loc)
            block.insert(block.ops.index(push), shape)
            push.args[1] = shape.result
            push.attrs["shape_only"] = True
            popped.hint = f"{popped.hint}_shape"
            tape_value = push.args[0]
            if isinstance(tape_value, Value):
                tape_value.hint = f"{popped.hint}_stack"
            for op in readers:
                if op.fn is core.unbroadcast:
                    op.fn = core.unbroadcast_to
                elif op.fn is getitem_grad:
                    op.fn = getitem_grad_to
                elif op.fn is written_grad:
                    op.fn = written_grad_to
                else:  # np.shape(x) of the popped x: the popped shape itself
                    mapping[id(op.result)] = popped
                    op.parent.ops.remove(op)  # type: ignore[union-attr]
            changed = True
        if mapping:
            replace_uses(fn, mapping)
        return changed


def _reads_shape_only(op: Op, value: Value) -> bool:
    if op.kind != "call":
        return False
    if op.fn in (core.unbroadcast, getitem_grad, written_grad):  # reads the operand's shape only
        return op.args[1] is value and op.args[0] is not value and all(a is not value for a in op.args[2:])
    return op.fn is np.shape and len(op.args) == 1 and not op.kwargs
