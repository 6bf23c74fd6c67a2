"""Lowering expressions: names, literals, operators, comparisons, `and`/`or`, attributes and
subscripts, one op each (A-normal form), folded where every operand is a constant."""

from __future__ import annotations

import builtins
import operator
from typing import Any, Callable

import gast
import numpy as np

from ..errors import SrcgradError
from ..ir import Const, Free, Op, Value
from ..runtime.views import is_view_of
from .conditionals import _truthy
from .resolve import MISSING, UNBOUND, Abstract, Seq, Static, classify, resolve_free

BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul, gast.Div: operator.truediv,
    gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.FloorDiv: operator.floordiv,
    gast.Mod: operator.mod, gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
}  # fmt: skip
# Names for the values operators compute, until the user's own name is known.
OPERATOR_NAMES = {
    operator.add: "plus", operator.sub: "diff", operator.mul: "prod", operator.truediv: "ratio",
    operator.pow: "power", operator.matmul: "mm", operator.neg: "neg",
}  # fmt: skip
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_, gast.Invert: operator.invert}
COMPARE = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
    gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Is: operator.is_, gast.IsNot: operator.is_not,
}  # fmt: skip

ARRAY_ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size}


_EXPRESSION_NAMES = {
    "DictComp": "a dict comprehension",
    "SetComp": "a set comprehension",
    "Dict": "a dict",
    "Set": "a set",
    "JoinedStr": "an f-string",
    "Yield": "yield",
    "YieldFrom": "yield from",
    "Await": "await",
    "NamedExpr": "the walrus operator :=",
    "Starred": "a starred expression",
}
_EXPRESSION_HINTS = {
    "DictComp": "use separate variables or a list",
    "Dict": "use separate variables or a tuple",
    "NamedExpr": "assign on a line of its own",
    "Yield": "a generator is not differentiated: return a list (or the value) instead",
    "YieldFrom": "a generator is not differentiated: return a list (or the value) instead",
    "Await": "differentiate a plain def that computes the value",
}


class Expressions:
    """The expression half of a function's lowering (mixed into `lower._FunctionContext`)."""

    def expr(self, node: gast.expr, env: dict) -> Abstract:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.error(node, _EXPRESSION_NAMES.get(type(node).__name__, f"the expression '{type(node).__name__}'"),
                             _EXPRESSION_HINTS.get(type(node).__name__, "rewrite it with plain calls and operators"))
        self.at(node)
        return method(node, env)

    def expr_Constant(self, node: gast.Constant, env: dict) -> Abstract:
        return UNBOUND if getattr(node, "unbound", False) else Const(node.value)

    def expr_Name(self, node: gast.Name, env: dict) -> Abstract:
        return self.name(node, env)

    def name(self, node: gast.Name, env: dict) -> Abstract:
        if node.id in env:
            return env[node.id]
        if self.outer_env is not None and node.id in self.outer_env:
            return self.outer_env[node.id]
        value = resolve_free(self.scope, node.id)
        if value is MISSING:
            raise SrcgradError(f"name '{node.id}' is not defined", self.parsed.loc(node),
                               hint="define it before the function is differentiated")
        return value

    def in_order(self, nodes: list, env: dict, node: gast.AST, first: list | None = None,
                 evaluate: Callable | None = None) -> list:
        """Operands evaluated left to right, as Python does. An operator or callee sees each operand
        as it is when it runs: one that names (or views) an array a later operand writes into in
        place (`a - scale(a)`, where the helper does `arr *= s`) is read again after the later
        ones, as the write left it. `first`: operands already evaluated (a method's receiver)."""
        evaluate = evaluate or self.expr
        values = list(first or [])
        marks: list[dict | None] = [None] * len(values)
        writes = [self._has_call(n) for n in nodes]
        seen = self._names_seen(env)  # a closure's own names and those of the functions around it
        if values and any(writes):
            marks[-1] = seen()
        for i, n in enumerate(nodes):
            values.append(evaluate(n, env))
            marks.append(seen() if any(writes[i + 1:]) else None)
        now = seen()
        for i, mark in enumerate(marks):
            if mark is None:
                continue
            memo = {id(old): now[name] for name, old in mark.items() if name in now and now[name] is not old}
            if memo:
                values[i] = self._rederived(values[i], memo, node)
                values[i] = self._maybe_same_rederived(values[i], mark, memo, node)
        return values

    def _names_seen(self, env: dict) -> Callable[[], dict]:
        """A snapshot of the names this code sees: its own, then a closure's enclosing ones."""
        outer = self.outer_env
        if outer is None:
            return lambda: dict(env)
        return lambda: {**dict(outer), **env}

    def _maybe_same_rederived(self, value: Abstract, mark: dict, memo: dict, node: gast.AST) -> Abstract:
        """An operand that a name held then may be (`h(x)` returning its parameter after `a0 *= s`:
        the caller's x is that array if it is one, else the number it was) is that name's new value
        where it is the same array, as the run-time test says."""
        aliasing = self.lowering.aliasing
        if not isinstance(value, Value) or memo.get(id(value), value) is not value:  # rederived already
            return value
        for old in mark.values():
            view = aliasing.of(old)
            if isinstance(old, Value) and id(old) in memo and view is not None and view.parent is value \
                    and view.fn is np.asarray and not view.always:
                test = self.call_op(is_view_of, [value, old], {}, f"{value.hint}_is_view", view=False)
                new = memo[id(old)]
                return self.structured_if(test, lambda: new, lambda: value, node, value.hint)
        return value

    def _has_call(self, node: gast.AST) -> bool:
        """Whether evaluating `node` may write into an array in place: only a call can."""
        cache = self._calls_in
        if id(node) not in cache:
            cache[id(node)] = (node, any(isinstance(n, gast.Call) for n in gast.walk(node)))
        return cache[id(node)][1]

    def expr_Tuple(self, node: gast.Tuple, env: dict) -> Abstract:
        return Seq(self._elements(node, env), "tuple")

    def expr_List(self, node: gast.List, env: dict) -> Abstract:
        return Seq(self._elements(node, env), "list")

    def _elements(self, node: gast.Tuple | gast.List, env: dict) -> list:
        """The items, in order; `*xs` spliced where srcgrad knows its length (`Calls.starred_items`)."""
        plain = [e.value if isinstance(e, gast.Starred) else e for e in node.elts]
        items = []
        for e, value in zip(node.elts, self.in_order(plain, env, node)):
            items += self.starred_items(e, value) if isinstance(e, gast.Starred) else [value]
        return items

    def expr_BinOp(self, node: gast.BinOp, env: dict) -> Abstract:
        left, right = self.in_order([node.left, node.right], env, node)
        return self.binary(BINARY[type(node.op)], left, right, node)

    def binary(self, fn: Any, left: Abstract, right: Abstract, node: gast.AST, hint: str = "") -> Abstract:
        if isinstance(left, Const) and isinstance(right, Const) and (folded := _fold(fn, left, right)) is not None:
            return folded
        if isinstance(left, Seq) and isinstance(right, Seq) and fn is operator.add:
            return Seq(left.items + right.items, left.kind)
        if fn is operator.mul and (isinstance(left, Seq) or isinstance(right, Seq)):
            seq, count = (left, right) if isinstance(left, Seq) else (right, left)
            if isinstance(count, Const) and type(count.value) is int:
                return Seq(seq.items * max(count.value, 0), seq.kind)  # `xs * 2` repeats the list, as in Python
            counted = isinstance(count, Value) and isinstance(count.owner, Op) and count.owner.kind == "call" \
                and count.owner.fn in (builtins.len, builtins.int)  # (an array instead multiplies the list's values)
            if counted and any(not isinstance(item, Const) for item in seq.items):
                raise self.error(node, "repeating a list of values a number of times known only at run time",
                                 "repeat it with a literal count (`xs * 2`), or build the list in a loop")
        self.at(node)
        result = self.call_op(fn, [left, right], {}, hint or OPERATOR_NAMES.get(fn, "t"))
        if isinstance(left, Seq) or isinstance(right, Seq):
            result.maybe_sequence = True  # [None] * n, xs + [x]: a list
        return result

    def expr_UnaryOp(self, node: gast.UnaryOp, env: dict) -> Abstract:
        operand = self.expr(node.operand, env)
        fn = UNARY[type(node.op)]
        if isinstance(operand, Const) and (folded := _fold(fn, operand)) is not None:
            return folded
        if isinstance(operand, Static) and fn is operator.not_:
            return Const(not operand.obj)
        return self.call_op(fn, [operand], {}, OPERATOR_NAMES.get(fn, "t"))

    def expr_Compare(self, node: gast.Compare, env: dict) -> Abstract:
        left, *rights = self.in_order([node.left, *node.comparators], env, node)
        results = []
        for op, right in zip(node.ops, rights):
            if type(op) not in COMPARE:
                raise self.error(node, "'in' and 'not in'", "compare with == and combine with or")
            fn = COMPARE[type(op)]
            if isinstance(left, Const) and isinstance(right, Const) and (folded := _fold(fn, left, right)) is not None:
                results.append(folded)
            elif fn in (operator.is_, operator.is_not) and isinstance(right, Const) and isinstance(left, (Static, Seq)):
                results.append(Const(fn is operator.is_not))
            else:
                results.append(self.call_op(fn, [left, right], {}, "t"))
            left = right
        value = results[0]
        for r in results[1:]:
            value = self.logical(True, value, lambda r=r: r, node)
        return value

    def expr_BoolOp(self, node: gast.BoolOp, env: dict) -> Abstract:
        value = self.expr(node.values[0], env)
        for operand in node.values[1:]:
            value = self.logical(isinstance(node.op, gast.And), value, lambda o=operand: self.expr(o, env), node)
        return value

    def logical(self, is_and: bool, left: Abstract, right: Callable[[], Abstract], node: gast.AST) -> Abstract:
        if isinstance(left, (Const, Static)):
            truth = _truthy(left)
            if is_and:
                return right() if truth else left
            return left if truth else right()
        if is_and:
            return self.structured_if(left, right, lambda: left, node, "cond")
        return self.structured_if(left, lambda: left, right, node, "cond")

    def expr_Attribute(self, node: gast.Attribute, env: dict) -> Abstract:
        base = self.expr(node.value, env)
        if isinstance(base, Static):
            try:
                value = getattr(base.obj, node.attr)
            except AttributeError:
                raise SrcgradError(f"{getattr(base.obj, '__name__', base.obj)!r} has no attribute '{node.attr}'",
                                   self.parsed.loc(node)) from None
            spec = base.spec[:-1] + (f"{base.spec[-1]}.{node.attr}",) if base.spec else ()
            return classify(value, node.attr, spec, module_attribute=True)
        if isinstance(base, (Value, Free)):
            if node.attr in ARRAY_ATTRIBUTES:
                return self.call_op(ARRAY_ATTRIBUTES[node.attr], [base], {}, node.attr if node.attr != "T" else "t")
            return self.call_op(getattr, [base, Const(node.attr)], {}, node.attr)
        raise self.error(node, f"the attribute '.{node.attr}' of this value", "compute it with a NumPy function")

    def expr_Subscript(self, node: gast.Subscript, env: dict) -> Abstract:
        base, index = self.in_order([node.value, node.slice], env, node,
                                    evaluate=lambda n, e: self.index(n, e) if n is node.slice else self.expr(n, e))
        if isinstance(base, Seq) and isinstance(index, Const):
            if isinstance(index.value, (int, np.integer)):
                return base.items[index.value]
            if isinstance(index.value, slice):
                return Seq(base.items[index.value], base.kind)
        if isinstance(base, Const) and isinstance(index, Const):
            return Const(base.value[index.value])
        hint = "item"
        if isinstance(base, Value) and isinstance(index, Const) and isinstance(index.value, str):
            base.maybe_sequence = True  # params["W"]: a dict, whose cotangent is a dict
            hint = index.value if index.value.isidentifier() else hint
        if isinstance(base, Value) and isinstance(index, Const) and isinstance(index.value, int):
            base.maybe_sequence = True
            if isinstance(base.owner, Op) and base.owner.fn is np.shape:
                hint = f"dim{index.value}"  # xs.shape[0]
        return self.call_op(operator.getitem, [base, index], {}, hint)

    def index(self, node: gast.expr, env: dict) -> Abstract:
        if isinstance(node, gast.Slice):
            parts = [self.expr(p, env) if p is not None else Const(None) for p in (node.lower, node.upper, node.step)]
            if all(isinstance(p, Const) for p in parts):
                return Const(slice(*(p.value for p in parts)))
            return self.call_op(builtins.slice, parts, {}, "s")
        if isinstance(node, gast.Tuple):
            parts = [self.index(e, env) for e in node.elts]
            if all(isinstance(p, Const) for p in parts):
                return Const(tuple(p.value for p in parts))
            return Seq(parts, "tuple")
        return self.expr(node, env)


def _fold(fn: Any, *operands: Const) -> Const | None:
    """`fn` on constants, computed now; None where Python would raise (`None > 0.1`): then the op
    is kept, and raises as Python does if that line runs."""
    try:
        return Const(fn(*(o.value for o in operands)))
    except Exception:  # noqa: BLE001 - whatever Python raises, it raises at run time instead
        return None
