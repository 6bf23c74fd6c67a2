"""Rewriting helpers shared by the passes: replacing every use of a value."""

from __future__ import annotations

from .nodes import Function, Operand, Value


def replace_uses(fn: Function, mapping: dict[int, Operand]) -> None:
    """Replace every use of each mapped value (following chains a → b → c)."""

    def resolve(a: Operand) -> Operand:
        seen = 0
        while isinstance(a, Value) and id(a) in mapping and seen < 1000:
            a = mapping[id(a)]
            seen += 1
        return a

    for op in fn.walk():
        op.args = [resolve(a) for a in op.args]
        op.kwargs = {k: resolve(a) for k, a in op.kwargs.items()}
