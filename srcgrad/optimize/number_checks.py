"""Drops `check_not_array(x, message)` where `x` is certainly a number, and `written_as(new, old)`
where `old` is (`i += 1` on a count: what keeps a 0-d array one has nothing to keep).

Lowering guards `h += v` on a value a run-time list holds (`hist.append(total)`, then
`total += loss` on the next trip): if `h` is an array, Python changes the list's item in place,
which the adjoint cannot follow, so it raises. Most such values are running totals — Python or
NumPy numbers, which `+=` rebinds — and shape analysis knows them as scalars: the guard goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..analyses.numbers import is_number, numbers
from ..analyses.shapes import compute_shapes
from ..ir import Function
from ..ir.rewrite import replace_uses
from ..runtime.views import check_not_array, written_as


@dataclass(frozen=True)
class DropNumberChecks:
    name: ClassVar[str] = "drop_number_checks"

    def run(self, fn: Function) -> bool:
        kept_arrays = [op for op in fn.walk() if op.kind == "call" and op.fn is written_as]
        known = numbers(fn) if kept_arrays else set()
        mapping = {id(op.result): op.args[0] for op in kept_arrays if is_number(op.args[1], known)}
        if mapping:  # first: shape analysis then sees the number itself carried, not what kept it an array
            replace_uses(fn, mapping)
            for op in kept_arrays:
                if id(op.result) in mapping:
                    op.parent.ops.remove(op)
        checks = [op for op in fn.walk() if op.kind == "call" and op.fn is check_not_array]
        if not checks:
            return bool(mapping)
        shapes = compute_shapes(fn)
        known = numbers(fn)
        dropped = [op for op in checks if shapes.is_scalar(op.args[0]) or is_number(op.args[0], known)]
        for op in dropped:
            op.parent.ops.remove(op)
        return bool(dropped) or bool(mapping)
