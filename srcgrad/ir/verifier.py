"""Checks the IR's invariants: one definition per value, defined before use
(in this block or an enclosing one), terminators where regions end, and the
arity of structured ops. Tests run it after every pass; SRCGRAD_VERIFY=1 makes
the pipeline do so too."""

from __future__ import annotations

from ..errors import InternalError
from .nodes import Block, Function, Op
from .printer import print_function


def verify(fn: Function) -> None:
    defined: set[int] = set()

    def fail(op: Op, message: str) -> None:
        raise InternalError(f"{message}\n{print_function(fn, marked=op)}", op.loc)

    def visit(block: Block, visible: set[int], terminator: str) -> None:
        scope = set(visible)
        for a in block.args:
            if id(a) in defined:
                raise InternalError(f"block argument {a.hint} defined twice")
            defined.add(id(a))
            scope.add(id(a))
        for i, op in enumerate(block.ops):
            if op.parent is not block:
                fail(op, "op's parent link is stale")
            for v in op.operands():
                if id(v) not in scope:
                    fail(op, f"operand %{v.hint} is used where it is not defined")
            is_last = i == len(block.ops) - 1
            if op.kind in ("yield", "return") and not is_last:
                fail(op, f"'{op.kind}' before the end of a block")
            if is_last and op.kind != terminator:
                fail(op, f"block must end with '{terminator}'")
            _check_arity(op, fail)
            for region in op.regions:
                if region.parent is not op:
                    fail(op, "region's parent link is stale")
                visit(region, scope, "yield")
            for r in op.results:
                if id(r) in defined:
                    fail(op, f"%{r.hint} defined twice")
                if r.owner is not op:
                    fail(op, f"%{r.hint} has a stale owner")
                defined.add(id(r))
                scope.add(id(r))

    visit(fn.body, set(), "return")


def _check_arity(op: Op, fail) -> None:  # type: ignore[no-untyped-def]
    def yielded(region: Block) -> int:
        return len(region.ops[-1].args) if region.ops else -1

    if op.kind == "call" and len(op.results) != 1:
        fail(op, "a call has exactly one result")
    if op.kind == "if":
        if len(op.regions) != 2 or len(op.args) != 1:
            fail(op, "'if' takes a condition and two regions")
        for region in op.regions:
            if yielded(region) != len(op.results):
                fail(op, "'if' region yields the wrong number of values")
    if op.kind == "for":
        (body,) = op.regions
        carried = len(op.args) - 3
        if len(body.args) != carried + 1 or yielded(body) != carried or len(op.results) != carried:
            fail(op, "'for' needs start, stop, step, one init per carried value, and a matching body")
    if op.kind == "while":
        (body,) = op.regions
        carried = len(op.args) - 1
        counted = 1 if op.attrs.get("counted") else 0
        if len(body.args) != carried or yielded(body) != carried + 1 or len(op.results) != carried + counted:
            fail(op, "'while' needs a condition, one init per carried value, and a matching body")


def uses_of(fn: Function) -> dict[int, list[Op]]:
    uses: dict[int, list[Op]] = {}
    for op in fn.walk():
        for v in op.operands():
            uses.setdefault(id(v), []).append(op)
    return uses
