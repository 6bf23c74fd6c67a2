"""Drops `check_not_array(x, message)` where `x` is certainly a number.

Lowering guards `h += v` on a value a run-time list holds (`hist.append(total)`, then
`total += loss` on the next trip): if `h` is an array, Python changes the list's item in place,
which the adjoint cannot follow, so it raises. Most such values are running totals — Python or
NumPy numbers, which `+=` rebinds — and shape analysis knows them as scalars: the guard goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..analyses.shapes import compute_shapes
from ..ir import Function
from ..runtime.views import check_not_array


@dataclass(frozen=True)
class DropNumberChecks:
    name: ClassVar[str] = "drop_number_checks"

    def run(self, fn: Function) -> bool:
        checks = [op for op in fn.walk() if op.kind == "call" and op.fn is check_not_array]
        if not checks:
            return False
        shapes = compute_shapes(fn)
        dropped = [op for op in checks if shapes.is_scalar(op.args[0])]
        for op in dropped:
            op.parent.ops.remove(op)
        return bool(dropped)
