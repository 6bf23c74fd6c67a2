"""Forward mode: primal IR → tangent IR computing `(f(x), J·ẋ)` in one sweep.

Each op is followed by the op(s) computing its result's tangent (`h_dot` beside `h`), from the
JVP table (rules/jvp_rules.py), or else from the op's VJP rule:

- where the Jacobian is diagonal (an elementwise function of one array, `np.tanh(x)`; any function
  of numbers), J = Jᵀ, so the VJP rule applied to the tangent is the JVP;
- otherwise the VJP rule, `ct ↦ Jᵀ·ct`, is linear in `ct`, and its own VJP at any `ct`, seeded
  with ẋ, is J·ẋ: the rule is lowered into a small function of `ct`, reverse mode differentiates
  it, and the result is inlined here (JAX derives VJPs from JVPs by transposition; this is the
  same identity read the other way).

Control flow keeps its structure: an `if` yields its results' tangents beside them, a loop
carries them beside its carried values. Nothing is taped: the tangent sweep needs only the
primal values of the moment. Values whose tangents are zero get none (activity analysis), so a
branch or trip that leaves a tangent unset yields zeros only where the other side yields one.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analyses.activity import Activity, _loop_slots, compute_activity
from ..errors import InternalError, NoGradientError, SrcgradError
from ..ir import Block, Const, Function, Op, Value
from ..ir.builder import Builder, Sym
from ..ir.rewrite import inline_body
from ..rules import is_nondifferentiable, lookup
from ..rules.jvp_rules import jvp_lookup
from ..runtime import core
from .adjoint_state import is_sequence
from .reverse_mode import Inliner, _qualified, differentiate_ir


@dataclass
class ForwardMode:
    activity: Activity
    inliner: Inliner
    tangents: dict[int, Any] = field(default_factory=dict)
    """id(primal value) → its tangent (a Value of the tangent IR); absent: the tangent is zero."""

    def tangent(self, v: Any) -> Any:
        return self.tangents.get(id(v)) if isinstance(v, Value) else None

    def block(self, block: Block) -> None:
        """Give every active value defined in `block` its tangent, right after its definition."""
        ops, block.ops = list(block.ops), []
        builder = Builder(block)
        for op in ops:
            builder.loc = op.loc
            builder.comment = "jvp"
            if op.kind == "if":
                self.if_(op, builder)
            elif op.kind in ("for", "while"):
                self.loop(op, builder)
            else:
                block.append(op)
                if op.kind == "call":
                    op.attrs.setdefault("comment", "jvp")  # the line's comment heads its value and its tangent
                    self.call(op, builder)

    # -- calls ---------------------------------------------------------------------------------
    def call(self, op: Op, builder: Builder) -> None:
        if not self.activity.is_active(op.result) or is_nondifferentiable(op.fn):
            return
        ts = [self.tangent(a) for a in op.args]
        if any(self.tangent(a) is not None for a in op.kwargs.values()):
            keywords = ", ".join(k for k, a in op.kwargs.items() if self.tangent(a) is not None)
            raise SrcgradError(f"a differentiable value is passed by keyword ({keywords}=...) to {_qualified(op.fn)}",
                               op.loc, hint="pass it by position")
        if all(t is None for t in ts):
            return
        made = len(builder.block.ops)
        tangent = self.tangent_of(op, ts, builder)
        if tangent is None:
            return
        if isinstance(tangent, Value) and any(tangent in o.results for o in builder.block.ops[made:]):
            tangent.hint = f"{op.result.hint}_dot"  # made here: named for what it is the tangent of
        self.tangents[id(op.result)] = tangent

    def tangent_of(self, op: Op, ts: list, builder: Builder) -> Any:
        """J·t for one call: its JVP rule, else derived from its VJP rule."""
        sym = lambda a: Sym(a, builder) if isinstance(a, Value) else builder.sym(a)  # noqa: E731
        args = [sym(a) for a in op.args]
        kwargs = {k: sym(a) for k, a in op.kwargs.items()}
        rule = jvp_lookup(op.fn)
        if rule is not None:
            result = rule([Sym(t, builder) if t is not None else None for t in ts], Sym(op.result, builder),
                          *args, **kwargs)
            if result is not NotImplemented:
                return _ref(op, result)
        vjp = lookup(op.fn)
        if vjp is None:
            raise NoGradientError(f"no derivative rule for {_qualified(op.fn)}", op.loc,
                                  hint="srcgrad derives forward mode from the reverse-mode rule; register one with "
                                       "srcgrad.register_vjp, or wrap the call in srcgrad.stop_gradient(...)")
        if vjp.zero:
            return None
        total = None
        for i, t in enumerate(ts):
            if t is None:
                continue
            if _diagonal(op) and vjp.whole is None and vjp.partial(i) is not None:
                part = _ref(op, vjp.partial(i)(Sym(t, builder), Sym(op.result, builder), *args, **kwargs))
            else:
                part = self.transposed(op, i, t, builder)
            if part is None:
                continue
            adder = core.add_seq if is_sequence(op.result) else operator.add
            total = part if total is None else builder.call(adder, total, part, hint=f"{op.result.hint}_dot")
        return total

    def transposed(self, op: Op, i: int, t: Value, builder: Builder) -> Any:
        """J_i·t from the VJP of argument i: the VJP of `ct ↦ vjp_i(ct)` at `ct`, seeded with t."""
        body = Block()
        ct = body.add_arg(f"{op.result.hint}_ct")
        ct.maybe_sequence = is_sequence(op.result)
        out = body.add_arg(op.result.hint)
        operands = [a for a in [*op.args, *op.kwargs.values()] if isinstance(a, Value)]
        params = {id(a): body.add_arg(a.hint) for a in operands}
        inner = Builder(body, op.loc)
        sym = lambda a: Sym(params[id(a)], inner) if isinstance(a, Value) else inner.sym(a)  # noqa: E731
        args = [sym(a) for a in op.args]
        kwargs = {k: sym(a) for k, a in op.kwargs.items()}
        vjp = lookup(op.fn)
        if vjp.whole is not None:  # a user rule: one cotangent per positional input
            operands_in = [ct, out] + [a.ref if isinstance(a, Sym) else Const(a) for a in args]
            items = self.inliner(vjp.whole, inner, operands_in,
                                 {k: (a.ref if isinstance(a, Sym) else Const(a)) for k, a in kwargs.items()})
            part: Any = items[i] if i < len(items) else None
        else:
            partial = vjp.partial(i)
            part = partial(Sym(ct, inner), Sym(out, inner), *args, **kwargs) if partial is not None else None
            part = part.ref if isinstance(part, Sym) else None
        if not isinstance(part, Value):
            return None
        inner.op(Op("return", [part]))
        mini = Function(f"{op.result.hint}_vjp", body, [a.hint for a in body.args], op.loc)
        activity = compute_activity(mini, [ct], set())
        adjoint = differentiate_ir(mini, [ct], set(), activity, self.inliner, unconnected="zero")
        # ct stands in for a cotangent shaped like the output: the output itself (the map is linear in it)
        (result,) = inline_body(adjoint, builder, [op.result, op.result, *operands, t])
        return result

    # -- control flow --------------------------------------------------------------------------
    def if_(self, op: Op, builder: Builder) -> None:
        builder.block.append(op)
        for region in op.regions:
            self.block(region)
        added = []
        for k, r in enumerate(op.results):
            if not self.activity.is_active(r):
                continue
            ys = [region.ops[-1].args[k] for region in op.regions]
            if all(self.tangent(y) is None for y in ys):
                continue
            for region, y in zip(op.regions, ys):
                self._yield_tangent(region, y, r)
            added.append(r)
        for r in added:
            tangent = Value(f"{r.hint}_dot", op)
            op.results.append(tangent)
            self.tangents[id(r)] = tangent

    def loop(self, op: Op, builder: Builder) -> None:
        inits, args, yields, results = _loop_slots(op)
        slots = [j for j in range(len(args)) if self.activity.is_active(args[j]) or self.activity.is_active(results[j])]
        starts = []
        for j in slots:  # the tangents the loop starts from, made before it
            t = self.tangent(inits[j])
            starts.append(t if t is not None else _zeros(builder, inits[j], args[j]))
        builder.block.append(op)
        (body,) = op.regions
        for j in slots:
            self.tangents[id(args[j])] = body.add_arg(f"{args[j].hint}_dot")
        self.block(body)
        for j in slots:
            self._yield_tangent(body, yields[j], args[j])
        op.args.extend(starts)
        for j in slots:
            tangent = Value(f"{results[j].hint}_dot", op)
            op.results.append(tangent)
            self.tangents[id(results[j])] = tangent

    def _yield_tangent(self, region: Block, y: Any, like: Value) -> None:
        """Append `y`'s tangent (zeros if it has none) to the yield that ends `region`."""
        t = self.tangent(y)
        items = t is None and (is_sequence(like) or is_sequence(y))  # asked while the yield still ends the region
        term = region.ops.pop()
        if t is None:
            t = _zeros(Builder(region, term.loc), y, like, items)
        region.append(term)
        term.args.append(t)


def _zeros(builder: Builder, primal: Any, like: Value, items: bool | None = None) -> Any:
    """A zero tangent for `primal` (item by item for a tuple or list)."""
    if not isinstance(primal, Value):
        return Const(0.0) if isinstance(getattr(primal, "value", None), (int, float)) else \
            builder.call(core.zeros_like_items, primal, hint=f"{like.hint}_dot")
    if items is None:
        items = is_sequence(like) or is_sequence(primal)
    return builder.call(core.zeros_like_items if items else np.zeros_like, primal, hint=f"{like.hint}_dot")


def _ref(op: Op, result: Any) -> Any:
    """The value a rule built (None: a zero tangent); anything else is a rule's bug, never a silent zero."""
    if result is None or isinstance(result, Sym):
        return result.ref if result is not None else None
    raise InternalError(f"the forward-mode rule for {_qualified(op.fn)} returned {result!r}", op.loc)


def _diagonal(op: Op) -> bool:
    """Whether the call's Jacobian is diagonal, so J = Jᵀ: an elementwise function of one array."""
    fn = op.fn
    if op.kwargs or len(op.args) != 1:
        return False
    if isinstance(fn, np.ufunc):
        return fn.nin == 1 and fn.nout == 1
    return getattr(fn, "__module__", None) == "math"


def jvp_ir(primal: Function, wrt: list[Value], activity: Activity, inliner: Inliner) -> Function:
    """Turn `primal` (consumed) into its tangent function `f_jvp(*params, *tangents)` returning
    `(value, tangent)`: the tangent of the output along the tangents given for `wrt`."""
    body = primal.body
    ret = body.ops.pop()
    transform = ForwardMode(activity, inliner)
    names, pairs = [], []
    for v in wrt:
        name = f"{v.hint}_dot"
        while name in primal.params or name in names:
            name += "_"
        names.append(name)
        transform.tangents[id(v)] = body.add_arg(name)
        pairs.append((transform.tangents[id(v)], v))
    transform.block(body)
    builder = Builder(body, ret.loc)
    outputs = list(ret.args)
    tangents = []
    for y in outputs:
        t = transform.tangent(y)
        tangents.append(t if t is not None else _zeros(builder, y, y if isinstance(y, Value) else Value("out")))
    tuple_output = bool(ret.attrs.get("tuple_output"))
    if tuple_output:
        container = core.make_list if ret.attrs.get("list_output") else core.pack
        value = builder.call(container, *outputs, hint="value")
        tangent = builder.call(container, *tangents, hint="value_dot")
    else:
        value, tangent = outputs[0], tangents[0]
    final = Op("return", [value, tangent], loc=ret.loc)
    final.attrs["tuple_output"] = True
    body.append(final)
    defaults = dict(primal.defaults)
    if defaults:  # after a parameter with a default (an adjoint's grad_ys=None) each one needs one too
        defaults.update({name: Const(None) for name in names})
    return Function(f"{primal.name}_jvp", body, primal.params + names, primal.loc, defaults=defaults,
                    shaped_like=pairs)
