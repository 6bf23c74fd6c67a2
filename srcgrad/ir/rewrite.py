"""Rewriting helpers shared by the passes: replacing every use of a value, and the pushes and
pops of each tape."""

from __future__ import annotations

from typing import Any

from .nodes import Block, Function, Op, Operand, Value


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


def tape_ops(fn: Function) -> tuple[dict[int, list[Op]], dict[int, list[Op]]]:
    """id(tape) -> its pushes, and id(tape) -> its pops (the reverse sweep's stacks)."""
    pushes: dict[int, list[Op]] = {}
    pops: dict[int, list[Op]] = {}
    for op in fn.walk():
        if op.kind == "push":
            pushes.setdefault(id(op.args[0]), []).append(op)
        elif op.kind == "pop":
            pops.setdefault(id(op.args[0]), []).append(op)
    return pushes, pops


def inline_body(fn: Function, builder: Any, arguments: list[Operand]) -> list[Operand]:
    """Copy `fn`'s ops into `builder`'s block, its parameters bound to `arguments`; returns what its
    `return` gives. Values are new (a function's body can be inlined more than once)."""
    mapping: dict[int, Operand] = {id(p): a for p, a in zip(fn.body.args, arguments)}

    def operand(a: Any) -> Any:
        return mapping.get(id(a), a) if isinstance(a, Value) else a

    def copy(op: Op) -> Op:
        new = Op(op.kind, [operand(a) for a in op.args], {k: operand(a) for k, a in op.kwargs.items()},
                 fn=op.fn, attrs={k: v for k, v in op.attrs.items() if k != "comment"}, loc=op.loc)
        for region in op.regions:
            block = Block()
            for arg in region.args:
                mapping[id(arg)] = block.add_arg(arg.hint)
            for inner in region.ops:
                block.append(copy(inner))
            new.regions.append(block)
        for r in op.results:
            mapping[id(r)] = Value(r.hint, maybe_sequence=r.maybe_sequence)
        new.results = [mapping[id(r)] for r in op.results]  # type: ignore[misc]
        return new

    for op in fn.body.ops:
        if op.kind == "return":
            return [operand(a) for a in op.args]
        builder.op(copy(op))
    return []
