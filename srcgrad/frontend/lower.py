"""gast → structured SSA IR.

One op per expression (A-normal form); `if`, `for` and `while` become ops with
regions, and the names a statement assigns become the values flowing out of
them (block arguments and yields), as in MLIR's `scf` dialect. Calls to the
user's own Python functions are inlined, so everything they compute is
differentiated through; calls to functions with a derivative rule (or none,
such as a compiled kernel) stay calls. Tuples and lists of known length stay
compile-time sequences, so unpacking and constant indexing cost nothing.
"""

from __future__ import annotations

import builtins
import inspect
import os
import operator
from typing import Any, Callable

import gast
import numpy as np

from .. import primitives
from ..errors import SrcgradError, UnsupportedSyntaxError
from ..ir import Block, Const, Free, Function, Op, Value
from ..ir.builder import Builder
from .calls import Calls, _is_library
from .canonicalize import canonicalize
from .control_flow import ControlFlow, _truthy
from .resolve import MISSING, Abstract, LocalFunction, Scope, Seq, Static, classify, is_literal, resolve_free
from .source import ParsedFunction, parse_function, unwrap

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

# Results that may share memory with their first argument (writing to them writes to it).
VIEWS = {
    operator.getitem, np.reshape, np.ravel, np.transpose, np.squeeze, np.expand_dims, np.swapaxes,
    np.moveaxis, np.diagonal, np.broadcast_to, np.atleast_1d, np.atleast_2d, np.atleast_3d,
}  # fmt: skip
ARRAY_ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size}
UNROLL_LIMIT = 32
_PROVISIONAL_HINTS = {"t", "items", "plus", "diff", "prod", "ratio", "power", "mm", "neg", "item", "row",
                      "dim0", "dim1", "dim2", "dim3"}


class Lowering:
    """Lowers one top-level function (and everything it inlines) to an ir.Function."""

    def __init__(self, fn: Any):
        self.fn = unwrap(fn)
        self.parsed = parse_function(self.fn)
        self.inlining: list[Any] = []
        self.dependencies: list[tuple[tuple, Any]] = []
        """(path of names, function) for each callee inlined: if a name comes to mean another
        function, the compiled adjoint is out of date."""
        self.bindings: dict[str, list[tuple[Abstract, bool]]] = {}
        """Each assignment to a name of the top function: (value, at the top level of the body)."""

    # -- entry -------------------------------------------------------------------
    def lower(self) -> Function:
        node = self.parsed.node
        if isinstance(node, gast.Lambda):
            body_stmts = [gast.copy_location(gast.Return(value=node.body), node.body)]
        else:
            body_stmts = canonicalize(node).body
        args = node.args
        for bad, what in ((args.vararg, "*args"), (args.kwarg, "**kwargs")):
            if bad is not None:
                raise self.unsupported(bad, f"{what} in the signature of a differentiated function", "name every parameter")
        params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
        body = Block()
        env: dict[str, Abstract] = {name: body.add_arg(name) for name in params}
        ctx = _FunctionContext(self, self.parsed, Scope(self.fn, ()), node)
        ctx.builder = Builder(body, self.parsed.loc(node))
        ctx.top_body = body
        result = ctx.body(body_stmts, env)
        outputs = ctx.outputs(result, node)
        ctx.builder.loc = self.parsed.loc(node)
        ret = ctx.builder.op(Op("return", outputs))
        ret.attrs["tuple_output"] = isinstance(result, Seq)
        defaults = {}
        signature = inspect.signature(self.fn)
        for name in params:
            default = signature.parameters[name].default
            if default is not inspect.Parameter.empty and is_literal(default):
                defaults[name] = Const(default)
            elif name in defaults or defaults:
                defaults.clear()  # a parameter without a default after one with: keep them all required
        return Function(self.fn.__name__, body, params, self.parsed.loc(node), defaults=defaults,
                        dependencies=self.dependencies)

    def unsupported(self, node: gast.AST, what: str, instead: str, parsed: ParsedFunction | None = None) -> UnsupportedSyntaxError:
        loc = (parsed or self.parsed).loc(node)
        return UnsupportedSyntaxError(f"{what} is not supported", loc, hint=instead)


class _FunctionContext(ControlFlow, Calls):
    """Lowering state for one Python function body (the top one or an inlined one)."""

    def __init__(self, lowering: Lowering, parsed: ParsedFunction, scope: Scope, node: gast.AST, outer_env: dict | None = None):
        self.lowering = lowering
        self.parsed = parsed
        self.scope = scope
        self.node = node
        self.outer_env = outer_env
        self.builder: Builder = None  # type: ignore[assignment]
        self.top_body: Block | None = None
        """The body block, when this is the top function (its assignments are recorded)."""
        self.loaded_names = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}

    # -- helpers -----------------------------------------------------------------
    def error(self, node: gast.AST, what: str, instead: str) -> UnsupportedSyntaxError:
        return self.lowering.unsupported(node, what, instead, self.parsed)

    def at(self, node: gast.AST) -> None:
        self.builder.loc = self.parsed.loc(node)

    def call_op(self, fn: Any, args: list, kwargs: dict, hint: str, spec: tuple = ()) -> Value:
        op = Op("call", [self.operand(a) for a in args], {k: self.operand(v) for k, v in kwargs.items()}, [Value(hint)], fn=fn)
        if spec:
            op.attrs["callee_spec"] = spec
        return self.builder.op(op).result

    def operand(self, value: Abstract, node: gast.AST | None = None) -> Any:
        if isinstance(value, (Value, Const, Free)):
            return value
        if isinstance(value, Seq):
            items = [self.operand(v, node) for v in value.items]
            if all(isinstance(i, Const) for i in items) and value.kind == "tuple":
                return Const(tuple(i.value for i in items))
            fn = primitives.pack if value.kind == "tuple" else primitives.make_list
            return self.builder.op(Op("call", items, {}, [Value("items")], fn=fn)).result
        if isinstance(value, Static) and (is_literal(value.obj) or _is_library(value.obj)):
            return Const(value.obj)  # np.float32, np.inf: written by their library name
        if isinstance(value, Static):
            return Free(getattr(value.obj, "__name__", "fn"), value.spec) if value.spec else Const(value.obj)
        raise SrcgradError("a locally defined function cannot be used as a value here", self.builder.loc,
                           hint="call it directly")

    def outputs(self, result: Abstract, node: gast.AST) -> list:
        if isinstance(result, Seq):
            return [self.operand(v, node) for v in result.items]
        return [self.operand(result, node)]

    # -- statements --------------------------------------------------------------
    def body(self, stmts: list[gast.stmt], env: dict) -> Abstract:
        """Lower a function body; returns the abstract value of its (single, final) return."""
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                self.at(stmt)
                return self.expr(stmt.value, env) if stmt.value is not None else Const(None)
            self.stmt(stmt, env)
        return Const(None)

    def block(self, stmts: list[gast.stmt], env: dict) -> None:
        for stmt in stmts:
            self.stmt(stmt, env)

    def stmt(self, stmt: gast.stmt, env: dict) -> None:
        self.at(stmt)
        method = getattr(self, f"stmt_{type(stmt).__name__}", None)
        if method is None:
            raise self.error(stmt, f"the statement '{type(stmt).__name__.lower()}'", _STATEMENT_HINTS.get(type(stmt).__name__, "rewrite it with assignments, if, for and while"))
        method(stmt, env)

    def stmt_Pass(self, stmt: gast.Pass, env: dict) -> None:
        pass

    def stmt_Expr(self, stmt: gast.Expr, env: dict) -> None:
        if isinstance(stmt.value, gast.Constant):
            return  # a docstring
        self.expr(stmt.value, env)

    def stmt_Assign(self, stmt: gast.Assign, env: dict) -> None:
        value = self.expr(stmt.value, env)
        for target in stmt.targets:
            self.assign(target, value, env)

    def stmt_AnnAssign(self, stmt: gast.AnnAssign, env: dict) -> None:
        if stmt.value is not None:
            self.assign(stmt.target, self.expr(stmt.value, env), env)

    def stmt_AugAssign(self, stmt: gast.AugAssign, env: dict) -> None:
        if isinstance(stmt.target, gast.Name) and self.top_body is not None:
            self.lowering.bindings.setdefault(stmt.target.id, []).append((None, self.builder.block is self.top_body))
        if isinstance(stmt.target, gast.Subscript):
            self.store_item(stmt.target, self.expr(stmt.value, env), env, BINARY[type(stmt.op)])
            return
        if not isinstance(stmt.target, gast.Name):
            raise self.error(stmt.target, "augmented assignment to an attribute", "assign to a plain name")
        current = self.name(stmt.target, env)
        checked = self.not_a_view(current, stmt.target.id, stmt)
        value = self.binary(BINARY[type(stmt.op)], checked, self.expr(stmt.value, env), stmt, stmt.target.id)
        env[stmt.target.id] = value
        for other, bound in list(env.items()):
            if bound is current and other != stmt.target.id and isinstance(current, Value):
                # `y = h; h += v`: an array is updated in place, so y changes too; a number is not.
                env[other] = self.call_op(primitives.updated_alias, [value, current], {}, other)

    def not_a_view(self, value: Abstract, name: str, node: gast.AST) -> Abstract:
        """An in-place update of `name`: if its value may be a view of another array (a slice, a
        row, a reshape), check at run time that it is not, since the write would reach that array."""
        owner = value.owner if isinstance(value, Value) else None
        if not (isinstance(owner, Op) and owner.kind == "call" and owner.fn in VIEWS and owner.args
                and isinstance(owner.args[0], Value)):
            return value
        loc = self.parsed.loc(node)
        message = (f"{loc.header()}: updating '{name}' in place would also change the array it is a view of, "
                   f"which srcgrad cannot follow; write '{name} = {name}.copy()' first, or build a new array")
        return self.call_op(primitives.check_not_view, [value, owner.args[0], Const(message)], {}, name)

    def no_live_views(self, base: Abstract, name: str, env: dict, node: gast.AST) -> None:
        """Before `name[i] = v`: another name holding a view of `name` (`r = y[0:2]`) would see the
        write in Python but not in the adjoint, so check at run time that it is not a view."""
        if getattr(self.parsed.fn, "__module__", "") == "srcgrad.generated":
            return  # generated code writes in place only where no view is alive (write_in_place.py)
        loc = self.parsed.loc(node)
        in_loop = _in_loop(self.builder.block)
        line = getattr(node, "lineno", 0)
        read_later = {n.id for n in gast.walk(self.node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
                      and (in_loop or getattr(n, "lineno", 0) > line)}
        for other, value in list(env.items()):
            owner = value.owner if isinstance(value, Value) else None
            if other == name or other not in read_later or not (
                    isinstance(owner, Op) and owner.kind == "call" and owner.fn in VIEWS
                    and owner.args and owner.args[0] is base):
                continue
            message = (f"{loc.header()}: writing into '{name}' would also change '{other}', a view of it, which "
                       f"srcgrad cannot follow; take a copy: {other} = ... .copy()")
            self.builder.op(Op("call", [value, base, Const(message)], {}, [Value(other)],
                               fn=primitives.check_not_view))

    @staticmethod
    def mutated(env: dict, name: str, old: Abstract, new: Abstract) -> None:
        """`name` now means `new`; so does every other name for the same (mutable) object."""
        for other, bound in list(env.items()):
            if bound is old:
                env[other] = new
        env[name] = new

    def stmt_Assert(self, stmt: gast.Assert, env: dict) -> None:
        condition = self.expr(stmt.test, env)
        if isinstance(condition, Const) and condition.value:
            return
        message = self.expr(stmt.msg, env) if stmt.msg is not None else None
        if not isinstance(message, Const):
            loc = self.parsed.loc(stmt)
            message = Const(f"assertion failed at {os.path.basename(loc.file)}:{loc.line}: {loc.text.strip()}")
        self.at(stmt)
        self.builder.op(Op("call", [self.operand(condition), message], {}, [Value("checked")], fn=primitives.check))

    def stmt_FunctionDef(self, stmt: gast.FunctionDef, env: dict) -> None:
        if stmt.decorator_list:
            raise self.error(stmt, "a decorated nested function", "define it without decorators")
        env[stmt.name] = LocalFunction(stmt, self.parsed, env, self.scope.path, owner=self)

    def assign(self, target: gast.AST, value: Abstract, env: dict) -> None:
        if isinstance(target, gast.Name):
            if isinstance(value, Value) and isinstance(value.owner, Op) and value.owner.parent is self.builder.block \
                    and value.hint in _PROVISIONAL_HINTS:
                value.hint = target.id
            env[target.id] = value
            if self.top_body is not None:
                at_top = self.builder.block is self.top_body
                self.lowering.bindings.setdefault(target.id, []).append((value, at_top))
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in target.elts):
                raise self.error(target, "starred unpacking", "unpack each item by name")
            items = self.unpack(value, len(target.elts), target)
            for t, v in zip(target.elts, items):
                self.assign(t, v, env)
            return
        if isinstance(target, gast.Subscript):
            self.store_item(target, value, env)
            return
        raise self.error(target, f"assignment to {type(target).__name__.lower()}", "assign to a plain name")

    def store_item(self, target: gast.Subscript, value: Abstract, env: dict, op: Any = None) -> None:
        """`y[i] = v` (or `y[i] += v`): y is rebound to a copy of itself with the slot replaced."""
        if not isinstance(target.value, gast.Name):
            raise self.error(target, "assignment to an item of an expression", "assign to an item of a named array")
        name = target.value.id
        base = self.name(target.value, env)
        if isinstance(base, Seq):
            raise self.error(target, "assignment to an item of a tuple or list", "build a new list instead")
        index = self.index(target.slice, env)
        checked = self.not_a_view(base, name, target)
        self.no_live_views(base, name, env, target)
        if op is not None:
            current = self.call_op(operator.getitem, [checked, index], {}, name)
            value = self.binary(op, current, value, target)
        self.at(target)
        self.mutated(env, name, base, self.call_op(primitives.setitem, [checked, index, value], {}, name))
        if self.top_body is not None:
            self.lowering.bindings.setdefault(name, []).append((None, self.builder.block is self.top_body))

    def unpack(self, value: Abstract, n: int, node: gast.AST) -> list:
        if isinstance(value, Seq):
            if len(value.items) != n:
                raise SrcgradError(f"cannot unpack {len(value.items)} values into {n} names", self.parsed.loc(node))
            return list(value.items)
        if isinstance(value, Const) and isinstance(value.value, (tuple, list)):
            return [Const(v) for v in value.value]
        if isinstance(value, Value):
            value.maybe_sequence = True
        return [self.call_op(operator.getitem, [value, Const(i)], {}, "item") for i in range(n)]

    # -- control flow ----------------------------------------------------------------
    def expr(self, node: gast.expr, env: dict) -> Abstract:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.error(node, _EXPRESSION_NAMES.get(type(node).__name__, f"the expression '{type(node).__name__}'"),
                             _EXPRESSION_HINTS.get(type(node).__name__, "rewrite it with plain calls and operators"))
        self.at(node)
        return method(node, env)

    def expr_Constant(self, node: gast.Constant, env: dict) -> Abstract:
        return Const(node.value)

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

    def expr_Tuple(self, node: gast.Tuple, env: dict) -> Abstract:
        return Seq([self.expr(e, env) for e in self._elements(node)], "tuple")

    def expr_List(self, node: gast.List, env: dict) -> Abstract:
        return Seq([self.expr(e, env) for e in self._elements(node)], "list")

    def _elements(self, node: gast.Tuple | gast.List) -> list:
        for e in node.elts:
            if isinstance(e, gast.Starred):
                raise self.error(e, "starred items in a tuple or list", "concatenate with np.concatenate or +")
        return node.elts

    def expr_BinOp(self, node: gast.BinOp, env: dict) -> Abstract:
        left = self.expr(node.left, env)
        right = self.expr(node.right, env)
        return self.binary(BINARY[type(node.op)], left, right, node)

    def binary(self, fn: Any, left: Abstract, right: Abstract, node: gast.AST, hint: str = "") -> Abstract:
        if isinstance(left, Const) and isinstance(right, Const):
            return Const(fn(left.value, right.value))
        if isinstance(left, Seq) and isinstance(right, Seq) and fn is operator.add:
            return Seq(left.items + right.items, left.kind)
        self.at(node)
        result = self.call_op(fn, [left, right], {}, hint or OPERATOR_NAMES.get(fn, "t"))
        if isinstance(left, Seq) or isinstance(right, Seq):
            result.maybe_sequence = True  # [None] * n, xs + [x]: a list
        return result

    def expr_UnaryOp(self, node: gast.UnaryOp, env: dict) -> Abstract:
        operand = self.expr(node.operand, env)
        fn = UNARY[type(node.op)]
        if isinstance(operand, Const):
            return Const(fn(operand.value))
        if isinstance(operand, Static) and fn is operator.not_:
            return Const(not operand.obj)
        return self.call_op(fn, [operand], {}, OPERATOR_NAMES.get(fn, "t"))

    def expr_Compare(self, node: gast.Compare, env: dict) -> Abstract:
        left = self.expr(node.left, env)
        results = []
        for op, comparator in zip(node.ops, node.comparators):
            right = self.expr(comparator, env)
            if type(op) not in COMPARE:
                raise self.error(node, "'in' and 'not in'", "compare with == and combine with or")
            fn = COMPARE[type(op)]
            if isinstance(left, Const) and isinstance(right, Const):
                results.append(Const(fn(left.value, right.value)))
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
        base = self.expr(node.value, env)
        index = self.index(node.slice, env)
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

    # -- calls -------------------------------------------------------------------------
_STATEMENT_HINTS = {
    "With": "move the with-block outside the differentiated function",
    "Try": "move error handling outside the differentiated function",
    "Raise": "check inputs before calling the differentiated function",
    "Global": "pass the value as an argument",
    "Nonlocal": "pass the value as an argument and return the new one",
    "Delete": "drop the del; unused values cost nothing",
    "ClassDef": "define the class outside the function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "AsyncFunctionDef": "use a plain def",
    "Break": "break is supported in for and while loops only",
}
_EXPRESSION_NAMES = {
    "ListComp": "a list comprehension",
    "GeneratorExp": "a generator expression",
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
    "ListComp": "write a for loop that appends to a list",
    "GeneratorExp": "write a for loop that accumulates the result",
    "DictComp": "use separate variables or a list",
    "Dict": "use separate variables or a tuple",
    "NamedExpr": "assign on a line of its own",
}


def _in_loop(block: Block | None) -> bool:
    while block is not None and block.parent is not None:
        if block.parent.kind in ("for", "while"):
            return True
        block = block.parent.parent
    return False


def lower_function(fn: Any) -> tuple[Function, dict]:
    """The IR of `fn`, and the values each of its names was bound to."""
    lowering = Lowering(fn)
    return lowering.lower(), lowering.bindings


def inline_rule(rule: Any, path: tuple, builder: Builder, args: list, kwargs: dict) -> list:
    """Lower a user's derivative rule into `builder`; one cotangent operand (or None) per input."""
    rule = unwrap(rule)
    lowering = Lowering(rule)
    parsed = lowering.parsed
    node = parsed.node
    body = [gast.copy_location(gast.Return(value=node.body), node.body)] if isinstance(node, gast.Lambda) \
        else canonicalize(node).body
    try:
        bound = inspect.signature(rule).bind(*args, **kwargs)
    except TypeError as exc:
        raise SrcgradError(f"the derivative rule {rule.__qualname__} cannot take these arguments: {exc}",
                           builder.loc) from None
    env: dict[str, Abstract] = {}
    for name, param in inspect.signature(rule).parameters.items():
        if name in bound.arguments:
            value = bound.arguments[name]
            env[name] = Seq(list(value), "tuple") if param.kind is inspect.Parameter.VAR_POSITIONAL else value
        elif param.default is not inspect.Parameter.empty:
            env[name] = Const(param.default) if is_literal(param.default) else \
                classify(param.default, name, ("<default>",) + path + (name,), module_attribute=True)
        elif param.kind is inspect.Parameter.VAR_POSITIONAL:
            env[name] = Seq([], "tuple")
    ctx = _FunctionContext(lowering, parsed, Scope(rule, path), node)
    ctx.builder = builder
    result = ctx.body(body, env)
    items = result.items if isinstance(result, Seq) else [result]
    out = []
    for item in items:
        if isinstance(item, Const) and item.value is None:
            out.append(None)
        else:
            out.append(ctx.operand(item))
    return out


