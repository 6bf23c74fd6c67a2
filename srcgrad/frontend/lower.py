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
import operator
import types
from typing import Any, Callable

import gast
import numpy as np

from .. import primitives
from ..errors import SrcgradError, UnsupportedSyntaxError
from ..ir import Block, Const, Free, Function, Op, Value
from ..ir.builder import Builder
from ..rules import is_nondifferentiable, lookup
from .canonicalize import canonicalize
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

# ndarray methods, lowered to the NumPy function of the same name, so each has one rule.
ARRAY_METHODS: dict[str, Any] = {
    name: getattr(np, name)
    for name in (
        "sum", "mean", "max", "min", "prod", "dot", "ravel", "squeeze", "copy", "clip", "cumsum",
        "cumprod", "std", "var", "argmax", "argmin", "argsort", "all", "any", "swapaxes", "take",
        "round", "trace", "diagonal", "nonzero", "repeat", "conj",
    )
}  # fmt: skip
ARRAY_METHODS["flatten"] = np.ravel
ARRAY_ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size}
UNROLL_LIMIT = 32
_PROVISIONAL_HINTS = {"t", "items", "plus", "diff", "prod", "ratio", "power", "mm", "neg", "item", "row"}


_LIBRARY_ROOTS = {"numpy", "scipy", "math", "builtins", "operator", "_operator", "functools"}
_SRCGRAD_INTERNALS = ("srcgrad.primitives", "srcgrad.rules", "srcgrad.api")


def _is_library(obj: Any) -> bool:
    """NumPy, SciPy, the standard library, srcgrad's own primitives: called, never looked into.
    (srcgrad.nn and srcgrad.regularizers are plain Python and are differentiated through.)"""
    module = getattr(obj, "__module__", None) or ""
    return module.split(".", 1)[0] in _LIBRARY_ROOTS or module.startswith(_SRCGRAD_INTERNALS) or isinstance(
        obj, (types.BuiltinFunctionType, np.ufunc)
    )


class Lowering:
    """Lowers one top-level function (and everything it inlines) to an ir.Function."""

    def __init__(self, fn: Any):
        self.fn = unwrap(fn)
        self.parsed = parse_function(self.fn)
        self.inlining: list[Any] = []
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
        return Function(self.fn.__name__, body, params, self.parsed.loc(node), defaults=defaults)

    def unsupported(self, node: gast.AST, what: str, instead: str, parsed: ParsedFunction | None = None) -> UnsupportedSyntaxError:
        loc = (parsed or self.parsed).loc(node)
        return UnsupportedSyntaxError(f"{what} is not supported", loc, hint=instead)


class _FunctionContext:
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
        value = self.binary(BINARY[type(stmt.op)], current, self.expr(stmt.value, env), stmt, stmt.target.id)
        env[stmt.target.id] = value

    def stmt_FunctionDef(self, stmt: gast.FunctionDef, env: dict) -> None:
        if stmt.decorator_list:
            raise self.error(stmt, "a decorated nested function", "define it without decorators")
        env[stmt.name] = LocalFunction(stmt, self.parsed, env, self.scope.path)

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
        if op is not None:
            current = self.call_op(operator.getitem, [base, index], {}, name)
            value = self.binary(op, current, value, target)
        self.at(target)
        env[name] = self.call_op(primitives.setitem, [base, index, value], {}, name)
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
    def assigned_names(self, stmts: list[gast.stmt]) -> list[str]:
        names: list[str] = []
        for stmt in stmts:
            for n in gast.walk(stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id not in names:
                    names.append(n.id)
                elif isinstance(n, gast.FunctionDef) and n.name not in names:
                    names.append(n.name)
                elif (isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name)
                      and n.value.id not in names):
                    names.append(n.value.id)  # y[i] = v rebinds y
                elif (isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr == "append"
                      and isinstance(n.func.value, gast.Name) and n.func.value.id not in names):
                    names.append(n.func.value.id)  # xs.append(v) rebinds xs
        return names

    def live_names(self, node: gast.AST, stmts: list[gast.stmt], env: dict) -> list[str]:
        """Names a compound statement assigns that matter outside it (bound before, or read anywhere)."""
        return [n for n in self.assigned_names(stmts) if n in env or n in self.loaded_names]

    def loaded_outside(self, node: gast.AST) -> set[str]:
        """Names read anywhere in the function except inside `node`."""
        inside = {id(n) for n in gast.walk(node)}
        return {n.id for n in gast.walk(self.node)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and id(n) not in inside}

    def stmt_If(self, stmt: gast.If, env: dict) -> None:
        cond = self.expr(stmt.test, env)
        if isinstance(cond, Const) or isinstance(cond, Static):
            chosen = stmt.body if _truthy(cond) else stmt.orelse
            self.block(chosen, env)
            return
        names = self.live_names(stmt, stmt.body + stmt.orelse, env)
        self.at(stmt)
        op = Op("if", [self.operand(cond)], regions=[Block(), Block()])
        envs = []
        for region, stmts in zip(op.regions, (stmt.body, stmt.orelse)):
            branch_env = dict(env)
            saved = self.builder
            self.builder = Builder(region, saved.loc)
            self.block(stmts, branch_env)
            envs.append(branch_env)
            self.builder = saved
        carried = [n for n in names if not _same_static(envs[0].get(n), envs[1].get(n))]
        for n in names:
            if n not in carried and n in envs[0]:
                env[n] = envs[0][n]
        # A tuple or list of the same length in both branches stays a compile-time sequence of
        # merged items, so `return a, b` from two branches still gives two outputs.
        shapes = [_merge_shape(envs[0].get(n, Const(None)), envs[1].get(n, Const(None))) for n in carried]
        for region, branch_env in zip(op.regions, envs):
            saved = self.builder
            self.builder = Builder(region, self.parsed.loc(stmt))
            values = []
            for n, shape in zip(carried, shapes):
                values += [self.operand(leaf) for leaf in _leaves(branch_env.get(n, Const(None)), shape)]
            self.builder.op(Op("yield", values))
            self.builder = saved
        op.results = [Value(n) for n, shape in zip(carried, shapes) for _ in range(_count(shape))]
        self.builder.op(op)
        results = iter(op.results)
        for n, shape in zip(carried, shapes):
            env[n] = _rebuild(shape, results)

    def expr_IfExp(self, node: gast.IfExp, env: dict) -> Abstract:
        cond = self.expr(node.test, env)
        if isinstance(cond, (Const, Static)):
            return self.expr(node.body if _truthy(cond) else node.orelse, env)
        return self.structured_if(cond, lambda: self.expr(node.body, env), lambda: self.expr(node.orelse, env), node)

    def structured_if(self, cond: Abstract, then: Callable[[], Abstract], orelse: Callable[[], Abstract], node: gast.AST, hint: str = "t") -> Value:
        self.at(node)
        op = Op("if", [self.operand(cond)], regions=[Block(), Block()], results=[Value(hint)])
        for region, make in zip(op.regions, (then, orelse)):
            saved = self.builder
            self.builder = Builder(region, saved.loc)
            value = self.operand(make())
            self.builder.op(Op("yield", [value]))
            self.builder = saved
        self.builder.op(op)
        return op.result

    def stmt_For(self, stmt: gast.For, env: dict) -> None:
        if stmt.orelse:
            raise self.error(stmt, "for ... else", "set a flag in the loop and test it after")
        iteration = self.iteration(stmt.iter, env)
        if iteration[0] == "static":
            for item in iteration[1]:
                self.assign(stmt.target, item, env)
                self.block(stmt.body, env)
            return
        _, start, stop, step, reverse, item = iteration
        target_names = [n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)]
        used_after = self.loaded_outside(stmt)
        names = [n for n in self.live_names(stmt, stmt.body, env) if n not in target_names]
        names += [n for n in target_names if n in used_after]  # Python keeps the last target after the loop
        self.at(stmt)
        inits = [self.operand(env.get(n, Const(None))) for n in names]
        body = Block()
        index = body.add_arg(target_names[0] if item is None and isinstance(stmt.target, gast.Name) else "i")
        args = [body.add_arg(n) for n in names]
        op = Op("for", [self.operand(start), self.operand(stop), self.operand(step), *inits], regions=[body])
        op.attrs["reverse"] = reverse
        body_env = dict(env)
        body_env.update(zip(names, args))
        saved = self.builder
        self.builder = Builder(body, saved.loc)
        self.at(stmt.target)
        self.assign(stmt.target, _item(item, index), body_env)
        self.block(stmt.body, body_env)
        self.at(stmt)
        self.builder.op(Op("yield", [self.operand(body_env[n]) for n in names]))
        self.builder = saved
        op.results = [Value(n) for n in names]
        self.builder.op(op)
        env.update(zip(names, op.results))

    def iteration(self, it: gast.expr, env: dict) -> tuple:
        """What a for loop iterates over: ("static", items) to unroll, or
        ("range", start, stop, step, reverse, item) with `item(i)` the loop target at index i
        (None: the index itself)."""
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Name):
            callee = self.name(it.func, env)
            fn = callee.obj if isinstance(callee, Static) else None
            if fn is builtins.range and not it.keywords:
                bounds = [self.expr(a, env) for a in it.args]
                start, stop, step = _range_bounds(bounds)
                return ("range", start, stop, step, False, None)
            if fn is builtins.reversed and len(it.args) == 1 and not it.keywords:
                inner = self.iteration(it.args[0], env)
                if inner[0] == "static":
                    return ("static", list(reversed(inner[1])))
                return ("range", inner[1], inner[2], inner[3], not inner[4], inner[5])
            if fn is builtins.enumerate and it.args:
                offset = self.expr(it.args[1], env) if len(it.args) > 1 else Const(0)
                for k in it.keywords:
                    if k.arg == "start":
                        offset = self.expr(k.value, env)
                inner = self.iteration(it.args[0], env)
                if inner[0] == "static" and isinstance(offset, Const):
                    return ("static", [Seq([Const(offset.value + j), v]) for j, v in enumerate(inner[1])])
                if inner[0] == "static":
                    inner = self.indexed(Seq(list(inner[1]), "list"))
                _, start, stop, step, reverse, item = inner

                def count(i: Any) -> Abstract:
                    position = i if start == Const(0) else self.binary(operator.sub, i, start, it)
                    if step != Const(1):
                        position = self.binary(operator.floordiv, position, step, it)
                    return position if offset == Const(0) else self.binary(operator.add, position, offset, it)

                return ("range", start, stop, step, reverse, lambda i: Seq([count(i), _item(item, i)]))
            if fn is builtins.zip and it.args and not it.keywords:
                seqs = [self.expr(a, env) for a in it.args]
                if all(isinstance(q, Seq) and len(q.items) <= UNROLL_LIMIT for q in seqs):
                    return ("static", [Seq(list(t)) for t in zip(*(q.items for q in seqs))])
                lengths = [self.call_op(builtins.len, [q], {}, "n") if not isinstance(q, Seq) else Const(len(q.items))
                           for q in seqs]
                n = lengths[0] if len(lengths) == 1 else self.call_op(builtins.min, lengths, {}, "n")
                return ("range", Const(0), n, Const(1), False,
                        lambda i: Seq([self.call_op(operator.getitem, [q, i], {}, "item") for q in seqs]))
        seq = self.expr(it, env)
        if isinstance(seq, Seq) and len(seq.items) <= UNROLL_LIMIT:
            return ("static", list(seq.items))
        if isinstance(seq, Const) and isinstance(seq.value, (tuple, list)):
            return ("static", [Const(v) for v in seq.value])
        return self.indexed(seq)

    def indexed(self, seq: Abstract) -> tuple:
        n = self.call_op(builtins.len, [seq], {}, "n")
        return ("range", Const(0), n, Const(1), False, lambda i: self.call_op(operator.getitem, [seq, i], {}, "row"))

    def stmt_While(self, stmt: gast.While, env: dict) -> None:
        if stmt.orelse:
            raise self.error(stmt, "while ... else", "set a flag in the loop and test it after")
        cond = self.expr(stmt.test, env)
        if isinstance(cond, (Const, Static)) and not _truthy(cond):
            return
        names = self.live_names(stmt, stmt.body, env)
        self.at(stmt)
        inits = [self.operand(env.get(n, Const(None))) for n in names]
        body = Block()
        args = [body.add_arg(n) for n in names]
        op = Op("while", [self.operand(cond), *inits], regions=[body])
        body_env = dict(env)
        body_env.update(zip(names, args))
        saved = self.builder
        self.builder = Builder(body, saved.loc)
        self.block(stmt.body, body_env)
        self.at(stmt.test)
        new_cond = self.operand(self.expr(stmt.test, body_env))
        self.builder.op(Op("yield", [new_cond, *[self.operand(body_env[n]) for n in names]]))
        self.builder = saved
        op.results = [Value(n) for n in names]
        self.builder.op(op)
        env.update(zip(names, op.results))

    # -- expressions -------------------------------------------------------------------
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
        return self.call_op(fn, [left, right], {}, hint or OPERATOR_NAMES.get(fn, "t"))

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
        if isinstance(base, Value) and isinstance(index, Const) and isinstance(index.value, int):
            base.maybe_sequence = True
        return self.call_op(operator.getitem, [base, index], {}, "t")

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
    def expr_Call(self, node: gast.Call, env: dict) -> Abstract:
        for a in node.args:
            if isinstance(a, gast.Starred):
                raise self.error(a, "*args in a call", "pass each argument by position")
        if any(k.arg is None for k in node.keywords):
            raise self.error(node, "**kwargs in a call", "pass each keyword argument by name")
        func = node.func
        if isinstance(func, gast.Attribute):
            receiver = self.expr(func.value, env)
            if not isinstance(receiver, Static):
                return self.method_call(receiver, func, node, env)
            callee = self.expr(func, env)
        else:
            callee = self.expr(func, env)
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        self.at(node)
        return self.call(callee, args, kwargs, node)

    def method_call(self, receiver: Abstract, func: gast.Attribute, node: gast.Call, env: dict) -> Abstract:
        name = func.attr
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        self.at(node)
        if name == "append" and isinstance(func.value, gast.Name):
            if isinstance(receiver, Seq) and receiver.kind == "list" and len(args) == 1:
                env[func.value.id] = Seq(receiver.items + args, "list")
                return Const(None)
            if isinstance(receiver, Value) and len(args) == 1:
                env[func.value.id] = self.call_op(primitives.list_append, [receiver, args[0]], {}, func.value.id)
                return Const(None)
        if name == "pop":
            raise self.error(node, "list.pop() (a mutation)",
                             "higher-order derivatives through loops are not supported yet; "
                             "differentiate loop-free code twice, or write the derivative with register_vjp")
        if isinstance(receiver, Seq):
            receiver = self.operand(receiver)
        if name == "reshape":
            shape = args[0] if len(args) == 1 else Seq(args, "tuple")
            return self.call_op(np.reshape, [receiver, shape], kwargs, "t")
        if name == "transpose":
            axes = [] if not args else [args[0] if len(args) == 1 else Seq(args, "tuple")]
            return self.call_op(np.transpose, [receiver, *axes], kwargs, "t")
        if name in ARRAY_METHODS:
            fn = ARRAY_METHODS[name]
            return self.call_op(fn, [receiver, *args], kwargs, "t")
        return self.call_op(primitives.method(name), [receiver, *args], kwargs, "t")

    def call(self, callee: Abstract, args: list, kwargs: dict, node: gast.Call) -> Abstract:
        if isinstance(callee, LocalFunction):
            return self.inline_local(callee, args, kwargs, node)
        if not isinstance(callee, Static):
            raise self.error(node.func, "calling a value that is only known at run time",
                             "call a function by its name")
        fn = callee.obj
        if fn in (builtins.max, builtins.min) and not kwargs and (len(args) > 2 or (
                len(args) == 1 and isinstance(args[0], Seq) and args[0].items)):
            items = args if len(args) > 2 else args[0].items
            value = items[0]
            for other in items[1:]:  # pairwise, first wins on ties, as Python's max/min
                value = self.call(callee, [value, other], {}, node)
            return value
        if fn is builtins.len and len(args) == 1 and isinstance(args[0], Seq):
            return Const(len(args[0].items))
        if fn in (builtins.tuple, builtins.list) and len(args) == 1 and isinstance(args[0], Seq):
            return Seq(list(args[0].items), fn.__name__)
        if fn is builtins.isinstance and len(args) == 2 and isinstance(args[0], (Const, Seq)) and isinstance(args[1], Static):
            sample = args[0].value if isinstance(args[0], Const) else (tuple() if args[0].kind == "tuple" else [])
            return Const(isinstance(sample, args[1].obj))
        target = unwrap(fn)
        srcgrad_wrapper = hasattr(fn, "__srcgrad_original__")  # @differentiate, srcgrad.grad(...)
        if lookup(fn) is None and not is_nondifferentiable(fn) and inspect.isfunction(target) and (
            srcgrad_wrapper or not _is_library(fn)
        ):
            return self.inline(target, callee.spec, args, kwargs, node)
        return self.call_op(fn, args, kwargs, _hint_for(fn), spec=callee.spec)

    def inline(self, fn: Any, path: tuple, args: list, kwargs: dict, node: gast.Call) -> Abstract:
        if fn in self.lowering.inlining or fn is self.lowering.fn:
            raise self.error(node, f"a recursive call to {fn.__qualname__}", "write the recursion as a loop")
        parsed = parse_function(fn)
        if isinstance(parsed.node, gast.Lambda):
            body = [gast.copy_location(gast.Return(value=parsed.node.body), parsed.node.body)]
        else:
            body = canonicalize(parsed.node).body
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise SrcgradError(f"cannot call {fn.__qualname__}: {exc}", self.parsed.loc(node)) from None
        env: dict[str, Abstract] = {}
        for name, param in inspect.signature(fn).parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if param.kind is inspect.Parameter.VAR_POSITIONAL:
                    value = Seq(list(value), "tuple")
                elif param.kind is inspect.Parameter.VAR_KEYWORD:
                    raise self.error(node, f"calling {fn.__qualname__}, which takes **{name}", "name its parameters")
                env[name] = value
            elif param.default is not inspect.Parameter.empty:
                env[name] = classify(param.default, name, ("<default>",) + path + (name,), module_attribute=True) \
                    if not is_literal(param.default) else Const(param.default)
            elif param.kind is inspect.Parameter.VAR_POSITIONAL:
                env[name] = Seq([], "tuple")
        ctx = _FunctionContext(self.lowering, parsed, Scope(fn, path), parsed.node)
        ctx.builder = self.builder
        self.lowering.inlining.append(fn)
        try:
            result = ctx.body(body, env)
        finally:
            self.lowering.inlining.pop()
        self.builder = ctx.builder
        return result

    def inline_local(self, local: LocalFunction, args: list, kwargs: dict, node: gast.Call) -> Abstract:
        fnode = local.node
        assert isinstance(fnode, gast.FunctionDef)
        params = [a.id for a in fnode.args.args]
        env: dict[str, Abstract] = {}
        defaults = fnode.args.defaults
        for i, name in enumerate(params):
            if i < len(args):
                env[name] = args[i]
            elif name in kwargs:
                env[name] = kwargs[name]
            elif i >= len(params) - len(defaults):
                env[name] = self.expr(defaults[i - (len(params) - len(defaults))], local.env)
            else:
                raise SrcgradError(f"missing argument '{name}' in the call to {fnode.name}", self.parsed.loc(node))
        ctx = _FunctionContext(self.lowering, local.parsed, self.scope, fnode, outer_env=local.env)
        ctx.builder = self.builder
        result = ctx.body(canonicalize(fnode).body, env)
        self.builder = ctx.builder
        return result

    def expr_Lambda(self, node: gast.Lambda, env: dict) -> Abstract:
        body = gast.copy_location(gast.Return(value=node.body), node.body)
        fdef = gast.FunctionDef(name="<lambda>", args=node.args, body=[body], decorator_list=[], returns=None,
                                type_comment=None, type_params=[])
        return LocalFunction(gast.copy_location(fdef, node), self.parsed, env, self.scope.path)


def _merge_shape(a: Abstract, b: Abstract) -> Any:
    """The common structure of two branch values: None (one value) or (kind, [item shapes])."""
    none = Const(None)
    if isinstance(a, Seq) and isinstance(b, Seq) and len(a.items) == len(b.items) and a.kind == b.kind:
        return (a.kind, [_merge_shape(x, y) for x, y in zip(a.items, b.items)])
    if isinstance(a, Seq) and b == none:  # a result not yet set on the other path
        return (a.kind, [_merge_shape(x, none) for x in a.items])
    if isinstance(b, Seq) and a == none:
        return (b.kind, [_merge_shape(none, y) for y in b.items])
    return None


def _leaves(value: Abstract, shape: Any) -> list:
    if shape is None:
        return [value]
    kind, items = shape
    parts = value.items if isinstance(value, Seq) else [Const(None)] * len(items)
    return [leaf for part, item in zip(parts, items) for leaf in _leaves(part, item)]


def _count(shape: Any) -> int:
    return 1 if shape is None else sum(_count(item) for item in shape[1])


def _rebuild(shape: Any, results: Any) -> Abstract:
    if shape is None:
        return next(results)
    kind, items = shape
    return Seq([_rebuild(item, results) for item in items], kind)


def _item(item: Callable[[Any], Abstract] | None, index: Any) -> Abstract:
    return index if item is None else item(index)


def _range_bounds(bounds: list) -> tuple:
    if len(bounds) == 1:
        return Const(0), bounds[0], Const(1)
    if len(bounds) == 2:
        return bounds[0], bounds[1], Const(1)
    return bounds[0], bounds[1], bounds[2]


def _truthy(value: Abstract) -> bool:
    return bool(value.value) if isinstance(value, Const) else bool(value.obj)


def _same_static(a: Abstract, b: Abstract) -> bool:
    return (isinstance(a, Static) and isinstance(b, Static) and a.obj is b.obj) or (
        isinstance(a, LocalFunction) and a is b
    )


def _hint_for(fn: Any) -> str:
    name = getattr(fn, "__name__", "t")
    return name if name.isidentifier() and name not in ("getitem", "<lambda>") else "t"


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
    "Assert": "check inputs before calling the differentiated function",
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


