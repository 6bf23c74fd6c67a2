"""In an adjoint specialised for Python floats (`Function.numbers`), the zero cotangent the
reverse transform starts a float parameter's sums with is `np.float64(0.0)`, not
`np.zeros_like(x)`'s 0-d array: a NumPy scalar, which NumPy promotes exactly as that 0-d
float64 array (so the numbers are the generic adjoint's), without an array's per-operation
cost. The user's own `np.zeros_like(x)` is left as written.

    %r_bar = zeros_like(%r)          →       uses of %r_bar read np.float64(0.0)
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
            if op.kind == "call" and op.fn is np.zeros_like and op.attrs.get("zero_cotangent") \
                    and len(op.args) == 1 and not op.kwargs and id(op.args[0]) in numbers:
                mapping[id(op.result)] = Const(np.float64(0.0))
        if mapping:
            replace_uses(fn, mapping)
        return bool(mapping)
