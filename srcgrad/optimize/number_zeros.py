"""In an adjoint specialised for Python floats (`Function.numbers`), the zero cotangent of a
float parameter is the number 0.0, not `np.zeros_like(x)`'s 0-d array: the sums that start
from it then stay Python floats, as a hand-written gradient's do (on a 0-d array every `+` is
a NumPy call). Only where every argument is a double-precision scalar, so the numbers are
the same bits as the generic adjoint's.

    %r_bar = zeros_like(%r)          →       uses of %r_bar read 0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..ir import Const, Function, Operand
from ..ir.rewrite import replace_uses


@dataclass(frozen=True)
class ZerosOfNumbers:
    name: ClassVar[str] = "zeros_of_numbers"

    def run(self, fn: Function) -> bool:
        if not fn.numbers:
            return False
        numbers = {id(v) for v in fn.numbers}
        mapping: dict[int, Operand] = {}
        for op in fn.walk():
            if op.kind == "call" and op.fn is np.zeros_like and len(op.args) == 1 and not op.kwargs \
                    and id(op.args[0]) in numbers:
                mapping[id(op.result)] = Const(0.0)
        if mapping:
            replace_uses(fn, mapping)
        return bool(mapping)
