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

import inspect

import operator
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..analyses.activity import Activity, _loop_slots
from ..analyses.shapes import compute_shapes
from ..errors import InternalError, NoGradientError, SrcgradError, register_hint
from ..ir import Block, Const, Function, Op, Value
from ..ir.builder import Builder, Sym
from ..ir.nodes import loop_exits
from ..ir.printer import callee_name
from ..rules import is_nondifferentiable, lookup
from ..runtime import core
from .adjoint_state import Available, Cotangents, FromIf, FromLoop, _LazySym, zeros_like

Inliner = Callable[[Any, Builder, list, dict], Any]
"""Lowers a Python function (a user rule) into `builder` with the given abstract arguments."""

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
            if isinstance(op.fn, core.Method) and op.attrs.get("receiver_class"):  # a library object's method
                raise NoGradientError(
                    f"no derivative rule for the method .{op.fn.name}() of a {op.attrs['receiver_class']} object",
                    op.loc, hint=f"call a function with a rule instead (a frozen SciPy distribution: the "
                                 f"distribution's own .{op.fn.name}(x, *parameters)), or wrap the call in "
                                 "srcgrad.stop_gradient(...) if no gradient should flow through it")
            if isinstance(op.fn, core.Method):  # a method of an object whose class srcgrad did not know
                raise NoGradientError(
                    f"the method .{op.fn.name}() of an object whose class is not known where the function is "
                    "compiled (a parameter, or an attribute read at run time)", op.loc,
                    hint=f"call the class's function with the object (e.g. Layer.{op.fn.name}(layer, x)): srcgrad "
                         "differentiates through it; a global or closure object's methods are followed too")
            spec = op.attrs.get("callee_spec")
            # a bound method (`laplace.logpdf`) is registered as the user wrote it, not as its class's function
            name = spec[-1] if spec and inspect.ismethod(op.fn) else _qualified(op.fn)
            raise NoGradientError(f"no derivative rule for {name}", op.loc, hint=register_hint(name))
        if active_kw:  # rules give one cotangent per positional argument
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
            except TypeError as exc:
                if "only known at run time" not in str(exc):
                    raise
                static = [k for k, v in op.kwargs.items() if isinstance(v, Value) and not self.activity.is_active(v)]
                which = f" ({', '.join(static)})" if static else ""
                raise SrcgradError(
                    f"the derivative of {_qualified(op.fn)} depends on an argument{which} that is only known "
                    f"at run time here", op.loc,
                    hint="pass it as a literal or a module-level constant (axis=1, keepdims=True, ord=2)",
                ) from None
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
            if backwards and loop_exits(op):  # the forward loop stops where it breaks: back over the trips it ran
                trips = avail.primal(self.count_trips(op))
                if not (isinstance(start, Const) and start.value == 0 and isinstance(step, Const) and step.value == 1):
                    trips = builder.call(operator.add, start, builder.call(operator.mul, trips, step, hint="span"),
                                         hint="stop")
                stop = trips
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
        """Give a loop a carried trip counter (a `while`, or a `for` that may stop early); its final
        value is the loop's last result."""
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
                     *, unconnected: str = "none", with_value: bool = False, single: bool = True,
                     has_aux: bool = False) -> Function:
    """Turn `primal` (consumed) into its adjoint: forward sweep, seeds, reverse sweep, gradients.
    `has_aux`: the function returns `(output, aux)`; only `output` is differentiated, and `aux` is
    returned beside the gradients (with the value: `((output, aux), gradients)`, as JAX does)."""
    body = primal.body
    ret = body.ops.pop()
    outputs = list(ret.args)
    tuple_output = bool(ret.attrs.get("tuple_output"))
    aux = None
    if has_aux:
        if not tuple_output or len(outputs) != 2:
            raise SrcgradError(f"has_aux=True: {primal.name} must return a pair (output, aux)", ret.loc,
                               hint="return output, aux  (or leave has_aux out)")
        outputs, aux, tuple_output = outputs[:1], outputs[1], False
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
        packed = builder.call(core.pack, *outputs, hint="outputs")
        seeds = builder.call(core.seeds, grad_ys, packed, hint="seeds")
        for i, y in enumerate(outputs):
            if activity.is_active(y):
                cts.accumulate(y, builder.call(operator.getitem, seeds, Const(i), hint=f"{y.hint}_bar"))
    elif outputs and activity.is_active(outputs[0]):
        y = outputs[0]
        if compute_shapes(primal).is_scalar(y):  # no need to keep the value only for its shape
            cts.accumulate(y, builder.call(core.scalar_seed, grad_ys, hint=f"{y.hint}_bar"))
        else:
            cts.accumulate(y, builder.call(core.seed, grad_ys, y, hint=f"{y.hint}_bar"))

    transform.block(body, cts, avail, builder, ops=forward_ops)

    builder.comment = None
    builder.loc = ret.loc
    grads = []
    for v in wrt:
        g = transform.captured[id(v)] if id(v) in transform.captured else cts.get(v)
        if g is None:
            g = builder.call(np.zeros_like, v, hint=f"{v.hint}_bar") if unconnected == "zero" else Const(None)
        grads.append(g)
    if has_aux:
        gradient = grads[0] if single else builder.call(core.pack, *grads, hint="grads")
        value = builder.call(core.pack, outputs[0], aux, hint="value") if with_value else None
        final = Op("return", [value, gradient] if with_value else [gradient, aux], loc=ret.loc)
    elif with_value:
        container = core.make_list if ret.attrs.get("list_output") else core.pack  # `return [a, b]` gives a list
        value = outputs[0] if not tuple_output else builder.call(container, *outputs, hint="value")
        gradient = grads[0] if single else builder.call(core.pack, *grads, hint="grads")
        final = Op("return", [value, gradient], loc=ret.loc)
    else:
        final = Op("return", grads[:1] if single else grads, loc=ret.loc)
    final.attrs["tuple_output"] = with_value or not single or has_aux
    body.append(final)
    return Function(f"{primal.name}_grad", body, primal.params + [seed_name], primal.loc,
                    defaults={**primal.defaults, seed_name: Const(None)})
