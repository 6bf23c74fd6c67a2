"""Common-subexpression elimination: one pure call with the same callee and
operands computed twice is computed once. A region sees what was computed
before it in the enclosing blocks.

    %a = np.shape(%x)                   %a = np.shape(%x)
    %b = np.shape(%x)         →         %c = unbroadcast(%g, %a)
    %c = unbroadcast(%g, %b)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..analyses.purity import is_mergeable
from ..ir import Block, Const, Free, Function, Value
from ..ir.rewrite import replace_uses


def _key(a: Any, renamed: dict[int, Value]) -> Any:
    if isinstance(a, Value):
        return ("v", id(renamed.get(id(a), a)))
    if isinstance(a, Free):
        return ("f", a.spec)
    if isinstance(a, Const):
        return ("c", type(a.value).__name__, repr(a.value))
    return ("?", repr(a))


@dataclass(frozen=True)
class CommonSubexpressionElimination:
    name: ClassVar[str] = "cse"

    def run(self, fn: Function) -> bool:
        renamed: dict[int, Value] = {}
        self._block(fn.body, {}, renamed)
        if renamed:
            replace_uses(fn, renamed)
        return bool(renamed)

    def _block(self, block: Block, seen: dict, renamed: dict[int, Value]) -> None:
        seen = dict(seen)
        for op in list(block.ops):
            for region in op.regions:
                self._block(region, seen, renamed)
            if not is_mergeable(op):
                continue
            key = (id(op.fn), tuple(_key(a, renamed) for a in op.args),
                   tuple(sorted((k, _key(a, renamed)) for k, a in op.kwargs.items())))
            if key in seen:
                renamed[id(op.result)] = seen[key]
                block.ops.remove(op)
            else:
                seen[key] = op.result
