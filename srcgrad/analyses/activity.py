"""Activity analysis: a value is active when it depends on a `wrt` input
(varied) and the output depends on it (useful). Only active values get
adjoints, so nothing is computed for data, shapes, indices or conditions.

`stop_gradient` results and integer- or boolean-valued callees
(`nondifferentiable` in the rule table) are never varied; values named in
`stop_gradients` are varied only when they are themselves `wrt` entries, so
nothing flows through their definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Block, Function, Op, Value
from ..rules import is_nondifferentiable


@dataclass(frozen=True)
class Activity:
    varied: frozenset[int]
    useful: frozenset[int]

    def is_active(self, v: object) -> bool:
        return isinstance(v, Value) and id(v) in self.varied and id(v) in self.useful

    def is_varied(self, v: object) -> bool:
        return isinstance(v, Value) and id(v) in self.varied


def compute_activity(fn: Function, sources: list[Value], stopped: set[int]) -> Activity:
    varied = {id(v) for v in sources}
    source_ids = set(varied)

    def varies(op: Op) -> bool:
        if op.kind == "call" and is_nondifferentiable(op.fn):
            return False
        return any(id(v) in varied for v in op.operands())

    def mark(value: Value, flag: bool) -> bool:
        if id(value) in stopped and id(value) not in source_ids:
            return False
        if flag and id(value) not in varied:
            varied.add(id(value))
            return True
        return False

    def forward(block: Block) -> bool:
        changed = False
        for op in block.ops:
            if op.kind == "call":
                changed |= mark(op.result, varies(op))
            elif op.kind == "if":
                for region in op.regions:
                    changed |= forward(region)
                for i, r in enumerate(op.results):
                    changed |= mark(r, any(_yielded_varied(region, i, varied) for region in op.regions))
            elif op.kind in ("for", "while"):
                changed |= _forward_loop(op, forward, mark, varied)
            elif op.kind == "pop":
                pass
        return changed

    while forward(fn.body):
        pass

    useful: set[int] = set()
    ret = fn.body.ops[-1]
    useful.update(id(v) for v in ret.operands())

    def backward(block: Block) -> bool:
        changed = False
        for op in reversed(block.ops):
            if op.kind == "call":
                if id(op.result) in useful and id(op.result) in varied:
                    for v in op.operands():
                        if id(v) not in useful:
                            useful.add(id(v))
                            changed = True
            elif op.kind == "if":
                for region in op.regions:
                    term = region.ops[-1]
                    for r, y in zip(op.results, term.args):
                        if id(r) in useful and isinstance(y, Value) and id(y) not in useful:
                            useful.add(id(y))
                            changed = True
                    changed |= backward(region)
            elif op.kind in ("for", "while"):
                changed |= _backward_loop(op, backward, useful)
        return changed

    while backward(fn.body):
        pass
    return Activity(frozenset(varied), frozenset(useful))


def _yielded_varied(region: Block, index: int, varied: set[int]) -> bool:
    y = region.ops[-1].args[index]
    return isinstance(y, Value) and id(y) in varied


def _loop_slots(op: Op) -> tuple[list, list[Value], list, list[Value]]:
    """(inits, block args, yields, results) of a loop's carried values, slot by slot."""
    (body,) = op.regions
    yields = body.ops[-1].args
    if op.kind == "for":
        return op.args[3:], body.args[1:], yields, op.results
    return op.args[1:], body.args, yields[1:], op.results


def _forward_loop(op: Op, forward, mark, varied: set[int]) -> bool:  # type: ignore[no-untyped-def]
    changed = False
    (body,) = op.regions
    while True:
        inits, args, yields, results = _loop_slots(op)
        step = False
        for init, arg, y in zip(inits, args, yields):
            flag = (isinstance(init, Value) and id(init) in varied) or (isinstance(y, Value) and id(y) in varied)
            step |= mark(arg, flag)
        step |= forward(body)
        for arg, r in zip(args, results):
            step |= mark(r, id(arg) in varied)
        changed |= step
        if not step:
            return changed


def _backward_loop(op: Op, backward, useful: set[int]) -> bool:  # type: ignore[no-untyped-def]
    changed = False
    (body,) = op.regions
    while True:
        inits, args, yields, results = _loop_slots(op)
        step = False
        for init, arg, y, r in zip(inits, args, yields, results):
            if id(r) in useful or id(arg) in useful:
                for v in (init, y, arg, r):
                    if isinstance(v, Value) and id(v) not in useful:
                        useful.add(id(v))
                        step = True
        step |= backward(body)
        changed |= step
        if not step:
            return changed
