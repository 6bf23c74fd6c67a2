"""Tape a value's shape, not the value, when the reverse sweep only asks for its shape.

`unbroadcast(ct, x)` needs only `np.shape(x)`; keeping every `x` of a loop alive
on a tape costs memory and, through fresh allocations, time.

    forward:  x_stack.append(x)                 x_stack.append(np.shape(x))
    reverse:  x = x_stack.pop()          →      x = x_stack.pop()
              g = unbroadcast(ct, x)            g = unbroadcast_to(ct, x)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import primitives
from ..ir import Function, Op, Value


@dataclass(frozen=True)
class TapeShapesOnly:
    name: ClassVar[str] = "tape_shapes_only"

    def run(self, fn: Function) -> bool:
        pushes: dict[int, list[Op]] = {}
        pops: dict[int, list[Op]] = {}
        uses: dict[int, list[Op]] = {}
        for op in fn.walk():
            if op.kind == "push":
                pushes.setdefault(id(op.args[0]), []).append(op)
            elif op.kind == "pop":
                pops.setdefault(id(op.args[0]), []).append(op)
            for v in op.operands():
                uses.setdefault(id(v), []).append(op)
        changed = False
        for tape, tape_pops in pops.items():
            tape_pushes = pushes.get(tape, [])
            if len(tape_pushes) != 1 or len(tape_pops) != 1 or tape_pushes[0].attrs.get("shape_only"):
                continue
            popped = tape_pops[0].result
            readers = uses.get(id(popped), [])
            if not readers or not all(_reads_shape_only(op, popped) for op in readers):
                continue
            push = tape_pushes[0]
            block = push.parent
            assert block is not None
            shape = Op("call", [push.args[1]], {}, [Value(f"{popped.hint}_shape")], fn=np.shape, loc=push.loc)
            block.insert(block.ops.index(push), shape)
            push.args[1] = shape.result
            push.attrs["shape_only"] = True
            popped.hint = f"{popped.hint}_shape"
            for op in readers:
                op.fn = primitives.unbroadcast_to
            changed = True
        return changed


def _reads_shape_only(op: Op, value: Value) -> bool:
    if op.kind != "call":
        return False
    if op.fn is primitives.unbroadcast:
        return op.args[1] is value and op.args[0] is not value
    return False
