"""Dead-code elimination: drop pure ops whose results are never used, unused
results of `if`, and loop-carried values nobody reads.

    %a = multiply %x, %y    # no uses           %b = sin %x
    %b = sin %x                         →       return %b
    return %b
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..analyses.purity import is_pure
from ..ir import Block, Function, Op, Value
from ..ir.nodes import loop_exits
from ..ir.rewrite import tape_ops


def use_counts(fn: Function) -> dict[int, int]:
    counts: dict[int, int] = {}
    for op in fn.walk():
        for v in op.operands():
            counts[id(v)] = counts.get(id(v), 0) + 1
    return counts


@dataclass(frozen=True)
class DeadCodeElimination:
    name: ClassVar[str] = "dce"

    def run(self, fn: Function) -> bool:
        counts = use_counts(fn)
        changed = self._block(fn.body, counts)
        return self._dead_tapes(fn, use_counts(fn)) or changed

    @staticmethod
    def _dead_tapes(fn: Function, counts: dict[int, int]) -> bool:
        """A tape nobody reads back: drop its pushes, its pops and the list itself."""
        pushes, pops = tape_ops(fn)
        changed = False
        for tape, tape_pops in pops.items():
            if any(counts.get(id(p.result), 0) for p in tape_pops):
                continue
            for op in tape_pops + pushes.get(tape, []):
                assert op.parent is not None
                op.parent.ops.remove(op)
            changed = True
        return changed

    def _block(self, block: Block, counts: dict[int, int]) -> bool:
        changed = False
        for op in reversed(list(block.ops)):  # users first, so a dead chain goes in one walk
            for region in op.regions:
                changed |= self._block(region, counts)
            if op.kind == "if":
                changed |= self._prune_if(op, counts)
            elif op.kind in ("for", "while"):
                changed |= self._prune_loop(op, counts)
            if op.kind in ("call", "if", "for", "while") and is_pure(op) and not any(counts.get(id(r), 0) for r in op.results):
                self._forget(op, counts)
                block.ops.remove(op)
                changed = True
        return changed

    @staticmethod
    def _private_chain(body: Block, arg: Value, position: int) -> list[Op] | None:
        """The pure ops computing a carried value's next value from `arg`, if nothing else reads
        them (e.g. `total = total + x` with `total` unused after the loop); else None."""
        chain: list[Op] = []
        members = {id(arg)}
        term = body.ops[-1]
        for op in body.ops[:-1]:
            if any(id(v) in members for v in op.operands()):
                if op.kind != "call" or not is_pure(op):
                    return None
                chain.append(op)
                members.add(id(op.result))
        for op in body.walk():
            if op in chain:
                continue
            for k, a in enumerate(op.args):
                if isinstance(a, Value) and id(a) in members and not (op is term and k == position):
                    return None
            if any(isinstance(a, Value) and id(a) in members for a in op.kwargs.values()):
                return None
        if any(term.args[k] is term.args[position] for k in range(len(term.args)) if k != position):
            return None
        return chain

    @staticmethod
    def _forget(op: Op, counts: dict[int, int]) -> None:
        for inner in op.walk():
            for v in inner.operands():
                counts[id(v)] = counts.get(id(v), 0) - 1

    def _prune_if(self, op: Op, counts: dict[int, int]) -> bool:
        keep = [i for i, r in enumerate(op.results) if counts.get(id(r), 0)]
        if len(keep) == len(op.results):
            return False
        for region in op.regions:
            term = region.ops[-1]
            for i, a in enumerate(term.args):
                if i not in keep and isinstance(a, Value):
                    counts[id(a)] -= 1
            term.args = [term.args[i] for i in keep]
        op.results = [op.results[i] for i in keep]
        return True

    def _prune_loop(self, op: Op, counts: dict[int, int]) -> bool:
        (body,) = op.regions
        term = body.ops[-1]
        first_arg = 1 if op.kind == "for" else 0  # a for's index is not carried
        first_init = 3 if op.kind == "for" else 1
        first_yield = 0 if op.kind == "for" else 1  # a while yields its condition first
        trips = op.attrs.get("trips")
        exits = loop_exits(op)  # the loop's own test reads them after each trip
        changed = False
        for j in reversed(range(len(body.args) - first_arg)):
            arg, result = body.args[first_arg + j], op.results[j]
            if result is trips or j in exits or counts.get(id(result), 0):
                continue
            if counts.get(id(arg), 0):
                chain = self._private_chain(body, arg, first_yield + j)
                if chain is None:
                    continue
                for dead in chain:  # the slot's own update, read by nothing else
                    self._forget(dead, counts)
                    body.ops.remove(dead)
            y = term.args[first_yield + j]
            if isinstance(y, Value):
                counts[id(y)] -= 1
            init = op.args[first_init + j]
            if isinstance(init, Value):
                counts[id(init)] -= 1
            del body.args[first_arg + j]
            del term.args[first_yield + j]
            del op.args[first_init + j]
            del op.results[j]
            changed = True
        return changed
