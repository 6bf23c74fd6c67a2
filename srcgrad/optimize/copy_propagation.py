"""Copy propagation: uses of a value that is only a copy of another read the
original instead, so the copy becomes dead.

    %r = if %c: yield %x  else: yield %x      →   uses of %r read %x
    %t = getitem(pack(%a, %b), 1)             →   uses of %t read %b
    for ...(%h = %h0): ... yield %h           →   uses of %h read %h0
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import ClassVar

from ..ir import Const, Function, Op, Operand, Value
from ..ir.rewrite import replace_uses
from ..runtime import core


@dataclass(frozen=True)
class CopyPropagation:
    name: ClassVar[str] = "copy_propagation"

    def run(self, fn: Function) -> bool:
        mapping: dict[int, Operand] = {}
        for op in fn.walk():
            if op.kind == "if":
                self._if(op, mapping)
            elif op.kind in ("for", "while"):
                self._loop(op, mapping)
            elif op.kind == "call":
                self._call(op, mapping)
        if mapping:
            replace_uses(fn, mapping)
        return bool(mapping)

    @staticmethod
    def _if(op: Op, mapping: dict[int, Operand]) -> None:
        then, orelse = (r.ops[-1].args for r in op.regions)
        for r, a, b in zip(op.results, then, orelse):
            same = a is b if isinstance(a, Value) else (isinstance(b, Const) and isinstance(a, Const) and a == b)
            if same and id(r) not in mapping:
                mapping[id(r)] = a

    @staticmethod
    def _loop(op: Op, mapping: dict[int, Operand]) -> None:
        (body,) = op.regions
        yields = body.ops[-1].args
        if op.kind == "for":
            inits, args, ys = op.args[3:], body.args[1:], yields
        else:
            inits, args, ys = op.args[1:], body.args, yields[1:]
        for init, arg, y, r in zip(inits, args, ys, op.results):
            if y is arg:  # carried unchanged: it is the initial value throughout
                mapping[id(arg)] = init
                mapping[id(r)] = init

    @staticmethod
    def _call(op: Op, mapping: dict[int, Operand]) -> None:
        if op.fn in (operator.pos, core.identity) and isinstance(op.args[0], Value):
            mapping[id(op.result)] = op.args[0]
        if op.fn is operator.getitem and isinstance(op.args[1], Const) and isinstance(op.args[0], Value):
            source = op.args[0].owner
            index = op.args[1].value
            if isinstance(source, Op) and source.kind == "call" and source.fn is core.pack and isinstance(index, int):
                mapping[id(op.result)] = source.args[index]
