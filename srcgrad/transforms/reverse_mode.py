"""Reverse mode: primal IR → adjoint IR.

The adjoint function runs the primal ops (the forward sweep), seeds each
output's cotangent from `grad_ys`, then walks the ops backwards applying the
rule table (the reverse sweep). Structured control flow is reversed
structurally: the reverse of an `if` is an `if` on the same condition; the
reverse of a loop is a counted loop running the other way, carrying the
cotangents of the loop's values. What the reverse sweep needs from inside a
region is made available on demand:

- from an `if` branch: the forward `if` yields it out as an extra result;
- from a loop body: it is pushed on a plain Python list in the forward loop
  and popped in the reverse loop (a `while` also counts its trips).

Nothing is taped unless a rule actually reads it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import primitives
from ..analyses.activity import Activity, _loop_slots
from ..analyses.shapes import compute_shapes
from ..errors import InternalError, NoGradientError, SrcgradError, register_hint
from ..ir import Block, Const, Function, Op, Value
from ..ir.builder import Builder, Sym
from ..ir.nodes import defining_block, is_inside
from ..ir.printer import callee_name
from ..rules import is_nondifferentiable, lookup
from ..rules.helpers import add_seq

Inliner = Callable[[Any, Builder, list, dict], Any]
"""Lowers a Python function (a user rule) into `builder` with the given abstract arguments."""

_PROVISIONAL = {"t", "ct", "plus", "diff", "prod", "ratio", "power", "mm", "neg", "item"}
"""Names lowering gives values the user did not name: a cotangent they become is renamed."""

SEQUENCE_BUILDERS = (primitives.pack, primitives.make_list, primitives.list_append)


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
            tape = Op("call", [], {}, [Value(f"{v.hint}_stack")], fn=primitives.make_list)
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


def is_sequence(v: Any) -> bool:
    """Whether `v` may be a list or tuple (its cotangent is one too): built in the function,
    or unpacked by position (`a, b = f(x)`), as multi-output functions are."""
    if isinstance(v, Value) and v.maybe_sequence:
        return True
    owner = v.owner if isinstance(v, Value) else None
    if isinstance(owner, Op):
        return owner.kind == "call" and owner.fn in SEQUENCE_BUILDERS
    if isinstance(owner, Block) and owner.parent is not None and owner.parent.kind in ("for", "while"):
        loop = owner.parent
        first = 1 if loop.kind == "for" else 0
        slot = owner.args.index(v) - first
        inits = loop.args[3:] if loop.kind == "for" else loop.args[1:]
        return 0 <= slot < len(inits) and is_sequence(inits[slot])
    return False


def zeros_like(builder: Builder, primal: Any, v: Value) -> Value:
    return builder.call(np.zeros_like, primal, hint=f"{v.hint}_bar")


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


# -- the transform ------------------------------------------------------------------------
@dataclass
class ReverseMode:
    activity: Activity
    stopped: set[int]
    wrt: list[Value]
    inliner: Inliner
    captured: dict[int, Any] = field(default_factory=dict)

    def block(self, block: Block, cts: Cotangents, avail: Available, builder: Builder,
              ops: list[Op] | None = None) -> None:
        for op in reversed(list(block.ops if ops is None else ops)):
            if op.kind in ("yield", "return", "push", "pop"):
                continue
            for r in op.results:
                if any(r is w for w in self.wrt) and cts.kind == "top":
                    self.captured[id(r)] = cts.get(r)
                if id(r) in self.stopped and id(r) in cts.local:
                    del cts.local[id(r)]  # stop_gradients: nothing flows through its definition
            builder.loc = op.loc
            builder.comment = "grad"
            if op.kind == "call":
                self.call(op, cts, avail, builder)
            elif op.kind == "if":
                self.if_(op, cts, avail, builder)
            elif op.kind in ("for", "while"):
                self.loop(op, cts, avail, builder)

    def call(self, op: Op, cts: Cotangents, avail: Available, builder: Builder) -> None:
        ct = cts.get(op.result)
        if ct is None or not self.activity.is_active(op.result):
            return
        active = [(i, a) for i, a in enumerate(op.args) if self.activity.is_active(a)]
        active_kw = [k for k, a in op.kwargs.items() if self.activity.is_active(a)]
        if not active and not active_kw:
            return
        rule = lookup(op.fn)
        if rule is None:
            if is_nondifferentiable(op.fn):
                return
            name = _qualified(op.fn)
            raise NoGradientError(f"no derivative rule for {name}", op.loc, hint=register_hint(name))
        if active_kw and rule.whole is None:
            raise SrcgradError(
                f"a differentiable value is passed by keyword ({', '.join(active_kw)}=...) to {_qualified(op.fn)}",
                op.loc, hint="pass it by position",
            )
        if rule.zero:
            for _, a in active:
                cts.accumulate(a, zeros_like(builder, avail.primal(a), a))
            return

        def sym(x: Any) -> Any:
            if isinstance(x, Value):
                return _LazySym(lambda x=x: avail.primal(x), builder)
            return builder.sym(x)

        ct_sym = Sym(ct, builder)
        out_sym = _LazySym(lambda: avail.primal(op.result), builder)
        args = [sym(a) for a in op.args]
        kwargs = {k: sym(a) for k, a in op.kwargs.items()}
        if rule.whole is not None:
            self.user_rule(op, rule, ct_sym, out_sym, args, kwargs, active, cts, builder)
            return
        for i, a in active:
            partial = rule.partial(i)
            if partial is None:
                continue
            builder.default_hint = f"{a.hint}_bar"
            try:
                contribution = partial(ct_sym, out_sym, *args, **kwargs)
            finally:
                builder.default_hint = "t"
            if contribution is None:
                continue
            if not isinstance(contribution, Sym):
                raise InternalError(f"the rule for {_qualified(op.fn)} returned {contribution!r}", op.loc)
            cts.accumulate(a, contribution.ref)

    def user_rule(self, op: Op, rule: Any, ct: Sym, out: Sym, args: list, kwargs: dict, active: list,
                  cts: Cotangents, builder: Builder) -> None:
        operands = [ct.ref, out.ref] + [a.ref if isinstance(a, Sym) else Const(a) for a in args]
        kw = {k: (a.ref if isinstance(a, Sym) else Const(a)) for k, a in kwargs.items()}
        items = self.inliner(rule.whole, builder, operands, kw)
        if len(items) != len(op.args):
            raise SrcgradError(
                f"the rule registered for {_qualified(op.fn)} returned {len(items)} cotangents for {len(op.args)} "
                f"positional arguments", op.loc, hint="return one cotangent per positional argument, None where none flows")
        for i, a in active:
            if isinstance(items[i], Value):
                cts.accumulate(a, items[i])

    def if_(self, op: Op, cts: Cotangents, avail: Available, builder: Builder) -> None:
        incoming = [(r, cts.get(r)) for r in op.results]
        if all(c is None for _, c in incoming):
            return
        cond = avail.primal(op.args[0])
        reverse = Op("if", [cond], regions=[Block(), Block()])
        branches = []
        for k, region in enumerate(op.regions):
            inner = Builder(reverse.regions[k], builder.loc)
            inner.comment = "grad"
            branch_avail = FromIf(avail, op, k)
            branch_cts = Cotangents(region, cts, inner, branch_avail, "if")
            yields = list(region.ops[-1].args)
            for (r, c), y in zip(incoming, yields):
                if c is not None and self.activity.is_active(y):
                    branch_cts.accumulate(y, c)
            self.block(region, branch_cts, branch_avail, inner)
            branches.append((branch_cts, inner, branch_avail))
        updated: list[Value] = []
        for branch_cts, _, _ in branches:
            for v in branch_cts.outer_updates():
                if all(v is not u for u in updated):
                    updated.append(v)
        if not updated:
            return
        for branch_cts, inner, branch_avail in branches:
            values = []
            for v in updated:
                value = branch_cts.local[id(v)][1] if id(v) in branch_cts.local else cts.get(v)
                if value is None:
                    value = zeros_like(inner, branch_avail.primal(v), v)
                values.append(value)
            inner.op(Op("yield", values))
        reverse.results = [Value(f"{v.hint}_bar") for v in updated]
        builder.op(reverse)
        for v, r in zip(updated, reverse.results):
            cts.set(v, r)

    def loop(self, op: Op, cts: Cotangents, avail: Available, builder: Builder) -> None:
        inits, args, yields, results = _loop_slots(op)
        slots = [j for j in range(len(args)) if self.activity.is_active(args[j]) or self.activity.is_active(results[j])]
        if not slots or all(cts.get(results[j]) is None for j in slots):
            return
        body = op.regions[0]
        if op.kind == "for":
            start, stop, step = (avail.primal(a) for a in op.args[:3])
            backwards = not op.attrs.get("reverse", False)
        else:
            trips = self.count_trips(op)
            start, stop, step = Const(0), avail.primal(trips), Const(1)
            backwards = False
        reverse_body = Block()
        index = reverse_body.add_arg(body.args[0].hint if op.kind == "for" else "_")
        slot_args = [reverse_body.add_arg(f"{args[j].hint}_bar") for j in slots]
        inner = Builder(reverse_body, builder.loc)
        inner.comment = "grad"
        loop_avail = FromLoop(avail, op, reverse_body, index if op.kind == "for" else None)
        loop_cts = Cotangents(body, cts, inner, loop_avail, "loop", reverse_body=reverse_body)
        for j, arg in zip(slots, slot_args):
            y = yields[j]
            if isinstance(y, Value) and self.activity.is_active(y):
                loop_cts.accumulate(y, arg)
        self.block(body, loop_cts, loop_avail, inner)
        outgoing = []
        for j in slots:
            ct = loop_cts.local[id(args[j])][1] if id(args[j]) in loop_cts.local else None
            if ct is None:
                ct = zeros_like(inner, loop_avail.primal(args[j]), args[j])
            outgoing.append(ct)
        outgoing += [loop_cts.local[id(v)][1] for v, _, _ in loop_cts.carried]
        inner.op(Op("yield", outgoing))
        slot_inits = []
        for j in slots:
            ct = cts.get(results[j])
            slot_inits.append(ct if ct is not None else zeros_like(builder, avail.primal(results[j]), results[j]))
        reverse = Op("for", [start, stop, step, *slot_inits, *[init for _, _, init in loop_cts.carried]],
                     regions=[reverse_body], attrs={"reverse": backwards})
        reverse.results = [Value(f"{args[j].hint}_bar") for j in slots] + [
            Value(f"{v.hint}_bar") for v, _, _ in loop_cts.carried
        ]
        builder.op(reverse)
        for (v, _, _), r in zip(loop_cts.carried, reverse.results[len(slots):]):
            cts.set(v, r)  # first: these already include what reached v before the loop
        for j, r in zip(slots, reverse.results):
            if isinstance(inits[j], Value) and self.activity.is_active(inits[j]):
                cts.accumulate(inits[j], r)

    def count_trips(self, op: Op) -> Value:
        """Give a `while` loop a carried trip counter; its final value is the loop's last result."""
        if "trips" in op.attrs:
            return op.attrs["trips"]
        body = op.regions[0]
        counter = body.add_arg("trip")
        term = body.ops[-1]
        step = Op("call", [counter, Const(1)], {}, [Value("trip")], fn=operator.add, loc=op.loc)
        body.insert(len(body.ops) - 1, step)
        term.args.append(step.result)
        op.args.append(Const(0))
        trips = Value("trips", op)
        op.results.append(trips)
        op.attrs["trips"] = trips
        return trips


def _qualified(fn: Any) -> str:
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    if module.startswith("numpy"):
        return f"numpy.{getattr(fn, '__name__', name)}"
    if module in ("builtins", "_operator", "operator", ""):
        return callee_name(fn)
    return f"{module}.{name}"


def differentiate_ir(primal: Function, wrt: list[Value], stopped: set[int], activity: Activity, inliner: Inliner,
                     *, unconnected: str = "none", with_value: bool = False, single: bool = True) -> Function:
    """Turn `primal` (consumed) into its adjoint: forward sweep, seeds, reverse sweep, gradients."""
    body = primal.body
    ret = body.ops.pop()
    outputs = list(ret.args)
    tuple_output = bool(ret.attrs.get("tuple_output"))
    forward_ops = list(body.ops)
    builder = Builder(body, ret.loc)
    avail = Available(body)
    cts = Cotangents(None, None, builder, avail)
    seed_name = "grad_ys"
    while seed_name in primal.params:
        seed_name += "_"
    grad_ys = body.add_arg(seed_name)
    transform = ReverseMode(activity, stopped, wrt, inliner)

    builder.comment = "seed"
    if tuple_output:
        packed = builder.call(primitives.pack, *outputs, hint="outputs")
        seeds = builder.call(primitives.seeds, grad_ys, packed, hint="seeds")
        for i, y in enumerate(outputs):
            if activity.is_active(y):
                cts.accumulate(y, builder.call(operator.getitem, seeds, Const(i), hint=f"{y.hint}_bar"))
    elif outputs and activity.is_active(outputs[0]):
        y = outputs[0]
        if compute_shapes(primal).is_scalar(y):  # no need to keep the value only for its shape
            cts.accumulate(y, builder.call(primitives.scalar_seed, grad_ys, hint=f"{y.hint}_bar"))
        else:
            cts.accumulate(y, builder.call(primitives.seed, grad_ys, y, hint=f"{y.hint}_bar"))

    transform.block(body, cts, avail, builder, ops=forward_ops)

    builder.comment = None
    builder.loc = ret.loc
    grads = []
    for v in wrt:
        g = transform.captured[id(v)] if id(v) in transform.captured else cts.get(v)
        if g is None:
            g = builder.call(np.zeros_like, v, hint=f"{v.hint}_bar") if unconnected == "zero" else Const(None)
        grads.append(g)
    if with_value:
        value = outputs[0] if not tuple_output else builder.call(primitives.pack, *outputs, hint="value")
        gradient = grads[0] if single else builder.call(primitives.pack, *grads, hint="grads")
        final = Op("return", [value, gradient], loc=ret.loc)
    else:
        final = Op("return", grads[:1] if single else grads, loc=ret.loc)
    final.attrs["tuple_output"] = with_value or not single
    body.append(final)
    return Function(f"{primal.name}_grad", body, primal.params + [seed_name], primal.loc,
                    defaults={**primal.defaults, seed_name: Const(None)})
