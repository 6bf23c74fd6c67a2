"""What the reverse sweep keeps track of while it is built.

`Available` and its subclasses make primal values readable where the reverse
code runs: directly at the top level, as extra results of a forward `if`, or
through a tape (or a recomputation) in a loop. `Cotangents` holds the
cotangent of each value of one forward region, reading through to the
enclosing region, and carrying accumulators through reverse loops.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..ir import Block, Const, Op, Value
from ..ir.builder import Builder, Sym
from ..ir.nodes import defining_block, is_inside
from ..runtime import core
from ..runtime.core import add_seq
from ..runtime.indexing import choose_grad, select_grad
from ..runtime.shapes import builtin_sum_grad, concatenate_grad, stack_grad, unstack

_PROVISIONAL = {"t", "ct", "plus", "diff", "prod", "ratio", "power", "mm", "neg", "item"}
"""Names lowering gives values the user did not name: a cotangent they become is renamed."""

# Helpers whose result is a tuple of cotangents, one per item of a sequence (`add_seq` and
# `zeros_like_items`: where their operand is one, the cotangent of a list a loop grows, say).
SEQUENCE_RESULTS = (unstack, concatenate_grad, stack_grad, builtin_sum_grad, select_grad, choose_grad, add_seq,
                    core.zeros_like_items)
SEQUENCE_BUILDERS = (core.pack, core.make_list, core.list_append)


# -- primal values, made available to the reverse sweep ----------------------------------
class Available:
    """The function body: every top-level primal value is in scope."""

    def __init__(self, top: Block):
        self.top = top
        self.tape_count = 0

    def primal(self, v: Any) -> Any:
        if not isinstance(v, Value):
            return v
        return v

    def root(self) -> "Available":
        return self


class FromIf(Available):
    """A branch of an `if`: values defined in it leave as extra results of the forward `if`."""

    def __init__(self, parent: Available, op: Op, branch: int):
        self.parent, self.op, self.branch = parent, op, branch
        self.exported: dict[int, Value] = {}

    def root(self) -> Available:
        return self.parent.root()

    def primal(self, v: Any) -> Any:
        if not isinstance(v, Value) or defining_block(v) is not self.op.regions[self.branch]:
            return self.parent.primal(v)
        if id(v) not in self.exported:
            yielded = self.op.regions[self.branch].ops[-1].args
            for position, y in enumerate(yielded[: len(self.op.results)]):
                if y is v:  # already leaves as a result: on this branch's path, that result is v
                    self.exported[id(v)] = self.op.results[position]
                    return self.parent.primal(self.exported[id(v)])
            result = Value(v.hint, self.op)
            self.op.results.append(result)
            for k, region in enumerate(self.op.regions):
                region.ops[-1].args.append(v if k == self.branch else Const(None))
            self.exported[id(v)] = result
        return self.parent.primal(self.exported[id(v)])


# Views and metadata of values the reverse loop already has are recomputed there, not taped.
REMATERIALIZE = {operator.getitem, np.shape, np.ndim, np.transpose}


class FromLoop(Available):
    """A loop body: values defined in it are pushed on a list forwards and popped backwards
    (or, when they are cheap views of values the reverse loop has, recomputed there)."""

    def __init__(self, parent: Available, op: Op, reverse_body: Block, index: Value | None):
        self.parent, self.op, self.reverse_body, self.index = parent, op, reverse_body, index
        self.popped: dict[int, Value] = {}
        self.prologue = 0
        """How many ops (pops, recomputations) open the reverse body."""

    def _rematerializable(self, v: Value) -> bool:
        owner = v.owner
        if not (isinstance(owner, Op) and owner.kind == "call" and owner.fn in REMATERIALIZE):
            return False
        body = self.op.regions[0]
        return all(defining_block(a) is not body or (self.index is not None and a is body.args[0])
                   for a in owner.operands())

    def root(self) -> Available:
        return self.parent.root()

    def primal(self, v: Any) -> Any:
        body = self.op.regions[0]
        if not isinstance(v, Value) or defining_block(v) is not body:
            return self.parent.primal(v)
        if self.index is not None and v is body.args[0]:
            return self.index  # the reverse loop runs over the same indices
        if id(v) not in self.popped and self._rematerializable(v):
            owner = v.owner
            assert isinstance(owner, Op)
            again = Op("call", [self.primal(a) for a in owner.args], {k: self.primal(a) for k, a in owner.kwargs.items()},
                       [Value(v.hint)], fn=owner.fn, loc=owner.loc, attrs={"recomputes": v})
            self.reverse_body.insert(self.prologue, again)
            self.prologue += 1
            self.popped[id(v)] = again.result
        if id(v) not in self.popped:
            root = self.root()
            assert isinstance(root, Available)
            tape = Op("call", [], {}, [Value(f"{v.hint}_stack")], fn=core.make_list)
            root.top.insert(root.tape_count, tape)
            root.tape_count += 1
            where = 0 if isinstance(v.owner, Block) else body.ops.index(v.owner) + 1
            body.insert(where, Op("push", [tape.result, v], loc=self.op.loc))
            pop = Op("pop", [tape.result], {}, [Value(v.hint)], loc=self.op.loc)
            self.reverse_body.insert(self.prologue, pop)
            self.prologue += 1
            self.popped[id(v)] = pop.result
        return self.popped[id(v)]


# -- cotangents -------------------------------------------------------------------------
@dataclass
class Cotangents:
    """Cotangents of the values of one forward region, read through to the enclosing one.

    In a loop, a cotangent of a value from outside the loop is carried by the
    reverse loop (a block argument), so that every iteration adds to it.
    """

    region: Block | None
    parent: "Cotangents | None"
    builder: Builder
    avail: Available
    kind: str = "top"
    local: dict[int, tuple[Value, Any]] = field(default_factory=dict)
    carried: list[tuple[Value, Value, Any]] = field(default_factory=list)
    """For a loop: (outer value, block argument, initial cotangent)."""
    reverse_body: Block | None = None
    sequences: set[int] = field(default_factory=set)

    def owns(self, v: Value) -> bool:
        return self.region is None or is_inside(defining_block(v), self.region)

    def get(self, v: Value) -> Any:
        if id(v) in self.local:
            return self.local[id(v)][1]
        if self.owns(v) or self.parent is None:
            return None
        if self.kind == "loop":
            return self._carry(v)
        return self.parent.get(v)

    def _carry(self, v: Value) -> Value:
        assert self.parent is not None and self.reverse_body is not None
        init = self.parent.get(v)
        if init is None:
            init = zeros_like(self.parent.builder, self.parent.avail.primal(v), v)
        arg = self.reverse_body.add_arg(f"{v.hint}_bar")
        self.carried.append((v, arg, init))
        self.local[id(v)] = (v, arg)
        return arg

    def set(self, v: Value, ct: Any) -> None:
        self.local[id(v)] = (v, ct)

    def accumulate(self, v: Value, contribution: Any) -> None:
        current = self.get(v)
        if current is None:
            if isinstance(contribution, Value) and (
                contribution.hint in _PROVISIONAL or contribution.hint.startswith(f"{v.hint}_bar")
            ):
                contribution.hint = f"{v.hint}_bar"
            self.set(v, contribution)
            return
        adder = add_seq if is_sequence(v) else operator.add
        self.set(v, self.builder.call(adder, current, contribution, hint=f"{v.hint}_bar"))

    def outer_updates(self) -> list[Value]:
        return [v for v, _ in self.local.values() if not self.owns(v)]


def is_sequence(v: Any, seen: set[int] | None = None) -> bool:
    """Whether `v` may be a list or tuple (its cotangent is one too): built in the function,
    unpacked or indexed by position, or carried or merged from such a value."""
    if not isinstance(v, Value):
        return False
    seen = set() if seen is None else seen
    if id(v) in seen:
        return False
    seen.add(id(v))
    if v.maybe_sequence:
        return True
    owner = v.owner
    if isinstance(owner, Op):
        if owner.kind == "call":
            if owner.fn is operator.getitem and len(owner.args) == 2 and isinstance(owner.args[1], Const) \
                    and isinstance(owner.args[1].value, slice):
                return is_sequence(owner.args[0], seen)  # xs[:-1] of a list: a list
            return owner.fn in SEQUENCE_BUILDERS or owner.fn in SEQUENCE_RESULTS
        if owner.kind in ("for", "while"):  # a loop's result: what it started from, or what a trip gives
            first = 3 if owner.kind == "for" else 1
            k = owner.results.index(v)
            return (first + k < len(owner.args) and is_sequence(owner.args[first + k], seen)) \
                or is_sequence(_yielded_value(owner, k), seen)
        if owner.kind == "if":
            k = owner.results.index(v)
            return any(is_sequence(region.ops[-1].args[k], seen) for region in owner.regions)
        return False
    if isinstance(owner, Block) and owner.parent is not None and owner.parent.kind in ("for", "while"):
        loop = owner.parent
        first = 1 if loop.kind == "for" else 0
        slot = owner.args.index(v) - first
        inits = loop.args[3:] if loop.kind == "for" else loop.args[1:]
        return 0 <= slot < len(inits) and (is_sequence(inits[slot], seen)
                                          or is_sequence(_yielded_value(loop, slot), seen))
    return False


def _yielded_value(loop: Op, k: int) -> Any:
    term = loop.regions[0].ops[-1] if loop.regions[0].ops else None
    if term is None or term.kind != "yield":
        return None
    shift = 0 if loop.kind == "for" else 1
    return term.args[shift + k] if shift + k < len(term.args) else None


def zeros_like(builder: Builder, primal: Any, v: Value) -> Value:
    fn = core.zeros_like_items if is_sequence(v) else np.zeros_like  # a tuple's cotangent is a tuple
    zero = builder.call(fn, primal, hint=f"{v.hint}_bar")
    assert isinstance(zero.owner, Op)
    zero.owner.attrs["zero_cotangent"] = True  # (optimize/number_zeros.py: the user's own zeros_like is not one)
    return zero


class _LazySym(Sym):
    """A Sym whose primal value is only made available (taped) when a rule reads it."""

    def __init__(self, make: Callable[[], Any], builder: Builder):
        self._make = make
        self._ref: Any = None
        Sym.__init__(self, None, builder)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def ref(self) -> Any:
        if self._ref is None:
            self._ref = self._make()
        return self._ref

    @ref.setter
    def ref(self, value: Any) -> None:
        self._ref = value
