"""Drops `unbroadcast(ct, x)` where `ct` certainly already has the shape of `x` (and forward
mode's `broadcast_like(t, x)`, the same question asked the other way); `np.size` and
`np.ndim` of a value certainly a scalar are constants (the reduction computed only for them
then goes).

    %a_bar = tanh_grad ...                     (shape of %a, by shape analysis)
    %b = unbroadcast(%a_bar, %a)       →       uses of %b read %a_bar
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..analyses.shapes import compute_shapes
from ..ir import Const, Function, Operand, Value
from ..ir.rewrite import replace_uses
from ..runtime import core

SIZE_OF_A_SCALAR = {np.size: 1, np.ndim: 0}


@dataclass(frozen=True)
class ElideUnbroadcast:
    name: ClassVar[str] = "elide_unbroadcast"

    def run(self, fn: Function) -> bool:
        shapes = compute_shapes(fn)
        mapping: dict[int, Operand] = {}
        for op in fn.walk():
            if op.kind == "call" and op.fn is core.unbroadcast and len(op.args) == 2:
                ct, like = op.args
                if shapes.same(ct, like):
                    mapping[id(op.result)] = ct
            elif op.kind == "call" and op.fn is core.broadcast_like and shapes.same(*op.args):
                mapping[id(op.result)] = op.args[0]  # a tangent already shaped like its primal
            elif op.kind == "call" and op.fn in SIZE_OF_A_SCALAR and len(op.args) == 1 and not op.kwargs \
                    and isinstance(op.args[0], Value) and shapes.is_scalar(op.args[0]):
                mapping[id(op.result)] = Const(SIZE_OF_A_SCALAR[op.fn])  # `np.mean`'s rule: the size of its result
        if mapping:
            replace_uses(fn, mapping)
        return bool(mapping)
