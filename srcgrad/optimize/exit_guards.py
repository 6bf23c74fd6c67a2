"""The guards of a loop that stops at its exits, folded away.

A `break` (or a `return`) in a `for` is lowered to a flag that guards the rest of the body
(`frontend/canonicalize.py`), and the generated loop stops once a flag is set
(`ir.nodes.loop_exits`). So every trip it runs starts with each flag false (each is false on
entry): the guard `if not broken:` always runs its body, and the adjoint's tape of that test
holds only `True`.

    for i ...(%broken = False):                 for i ...(%broken = False):
        %t = not %broken                            <the guarded ops>
        %r = if %t: <ops> yield %a          →       yield ... %a ...
             else: yield %b
        push(%t_stack, %t)                      (uses of a pop of %t_stack read True)

Also here, as the folding needs them: `not` of a constant, an `if` on a constant (its chosen
way's ops move before it), and a tape that is only ever pushed one constant.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import ClassVar

from ..ir import Const, Function, Op, Operand, Value
from ..ir.nodes import loop_exits
from ..ir.rewrite import replace_uses, tape_ops


@dataclass(frozen=True)
class FoldExitGuards:
    name: ClassVar[str] = "fold_exit_guards"

    def run(self, fn: Function) -> bool:
        mapping: dict[int, Operand] = {}
        for op in fn.walk():
            if op.kind == "for":
                carried, inits = op.regions[0].args[1:], op.args[3:]
                for j in loop_exits(op):
                    if isinstance(inits[j], Const) and inits[j].value is False and _used_inside(op, carried[j]):
                        mapping[id(carried[j])] = Const(False)  # false where each trip starts
            elif op.kind == "call" and op.fn is operator.not_ and isinstance(op.args[0], Const):
                mapping[id(op.result)] = Const(not op.args[0].value)
        if mapping:
            replace_uses(fn, mapping)
            return True
        return _fold_constant_ifs(fn) | _fold_constant_tapes(fn)


def _used_inside(loop: Op, value: Value) -> bool:
    return any(a is value for op in loop.regions[0].walk() for a in [*op.args, *op.kwargs.values()])


def _fold_constant_ifs(fn: Function) -> bool:
    """An `if` on a constant: the chosen way's ops move before it, and its results are what that
    way yields."""
    folded = [op for op in fn.walk()
              if op.kind == "if" and isinstance(op.args[0], Const) and isinstance(op.args[0].value, bool)]
    for op in folded:
        block = op.parent
        assert block is not None
        *moved, term = op.regions[0 if op.args[0].value else 1].ops
        k = block.ops.index(op)
        for m in moved:
            block.insert(k, m)
            k += 1
        block.ops.remove(op)
        replace_uses(fn, {id(r): a for r, a in zip(op.results, term.args)})
    return bool(folded)


def _fold_constant_tapes(fn: Function) -> bool:
    """A tape only ever pushed one constant (a guard's test, once folded): its pops read it."""
    pushes, pops = tape_ops(fn)
    mapping: dict[int, Operand] = {}
    for tape, tape_pushes in pushes.items():
        values = [p.args[1] for p in tape_pushes]
        if not all(isinstance(v, Const) and type(v.value) is bool and v.value is values[0].value for v in values):
            continue
        for pop in pops.get(tape, []):
            mapping[id(pop.result)] = values[0]
    if mapping:
        replace_uses(fn, mapping)  # the tape, no longer read, goes with dead code
    return bool(mapping)
