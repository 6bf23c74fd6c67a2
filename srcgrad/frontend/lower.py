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

import inspect
import operator
import os
from typing import Any

import gast

from ..errors import SrcgradError, UnsupportedSyntaxError
from ..ir import Block, Const, Free, Function, Op, Value
from ..ir.builder import Builder
from ..runtime import core
from ..runtime.views import check_distinct
from .aliasing import Aliasing
from .calls import Calls, _is_library
from .canonicalize import canonicalize
from .control_flow import ControlFlow
from .expressions import BINARY, Expressions
from .item_writes import ItemWrites
from .loop_lists import LoopLists
from .comprehensions import Comprehensions
from .loop_views import LoopViews
from .region_aliasing import RegionAliasing
from .resolve import Abstract, LocalFunction, Scope, Seq, Static, classify, is_literal
from .source import ParsedFunction, parse_function, unwrap

_PROVISIONAL_HINTS = {"t", "items", "plus", "diff", "prod", "ratio", "power", "mm", "neg", "item", "row",
                      "dim0", "dim1", "dim2", "dim3"}


class Lowering:
    """Lowers one top-level function (and everything it inlines) to an ir.Function."""

    def __init__(self, fn: Any, own_names: frozenset = frozenset()):
        self.fn = unwrap(fn)
        self.own_names = own_names
        """Locals named by `wrt=` or `stop_gradients=`: bound to a value another name holds, each gets
        a value of its own (`core.identity`), so that only what is computed through it sees it."""
        self.parsed = parse_function(self.fn)
        self.inlining: list[Any] = []
        self.dependencies: list[tuple[tuple, Any]] = []
        """(path of names, function) for each callee inlined: if a name comes to mean another
        function, the compiled adjoint is out of date."""
        self.bindings: dict[str, list[tuple[Abstract, bool]]] = {}
        """Each assignment to a name of the top function: (value, at the top level of the body)."""
        self.aliasing = Aliasing()
        self.written_params: dict[str, gast.AST] = {}
        """The function's parameters an in-place write reaches (by name), and the first such write."""
        self.replayed_if: dict[int, tuple[Value, Abstract]] = {}
        """A write's new version of a view NumPy makes only sometimes: the run-time test it was made
        under (views of it are replayed under the same test; see item_writes.py)."""
        self.assumed_views: dict[int, dict] = {}
        """Per loop: names unbound on entry that its body leaves as views (see item_writes.py)."""
        self.loose_ties: dict[int, set] = {}
        """Per loop: carried names whose tie to another name's array (a view of it, or it) did not
        hold at the body's end: each trip starts with a run-time test instead (LoopViews)."""
        self.assumed_outside: dict[int, dict] = {}
        """Per loop: carried names some trip may leave holding an array from outside the function
        (`x, g = g, x` with g a global): a write through them is refused from the body's start."""
        self.contexts: list[_FunctionContext] = []
        """The function bodies being lowered, outermost first (the caller of an inlined helper
        included): their live names are what a write can reach."""

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
        self.body, self.params = body, params
        env: dict[str, Abstract] = {name: body.add_arg(name) for name in params}
        ctx = _FunctionContext(self, self.parsed, Scope(self.fn, ()), node)
        ctx.builder = Builder(body, self.parsed.loc(node))
        ctx.top_body = body
        result = ctx.body(body_stmts, env)
        self.check_distinct_parameters()
        outputs = ctx.outputs(result, node)
        ctx.builder.loc = self.parsed.loc(node)
        ret = ctx.builder.op(Op("return", outputs))
        ret.attrs["tuple_output"] = isinstance(result, Seq)
        if isinstance(result, Seq) and result.kind == "list":
            ret.attrs["list_output"] = True  # value_and_grad gives the value as a list, as `f` does
        defaults = {}
        signature = inspect.signature(self.fn)
        for name in params:
            default = signature.parameters[name].default
            if default is not inspect.Parameter.empty and is_literal(default):
                defaults[name] = Const(default)
            elif name in defaults or defaults:
                defaults.clear()  # a parameter without a default after one with: keep them all required
        return Function(self.parsed.name, body, params, self.parsed.loc(node), defaults=defaults,
                        dependencies=self.dependencies)

    def is_parameter(self, value: Any) -> bool:
        return isinstance(value, Value) and value.owner is self.body and value in self.body.args

    def note_root_written(self, root: Any, node: gast.AST) -> None:
        """An in-place write reached `root`'s storage: if it is a parameter, the caller's array."""
        owner = root.owner if isinstance(root, Value) else None
        if owner is not None and owner is self.body and root in owner.args:
            self.written_params.setdefault(self.params[owner.args.index(root)], node)

    def check_distinct_parameters(self) -> None:
        """`f(x, x)` where f writes into x: Python sees the write through the other parameter too,
        which the adjoint (written for distinct arrays) does not: check at run time, first thing."""
        checks = []
        for name, node in self.written_params.items():
            loc = self.parsed.loc(node)
            for other in self.params:
                if other == name:
                    continue
                message = (f"'{name}' and '{other}' share memory, and {self.fn.__name__} writes into '{name}' "
                           f"(line {loc.line}): pass a copy of one")
                args = [self.body.args[self.params.index(name)], self.body.args[self.params.index(other)]]
                checks.append(Op("call", [*args, Const(message)], {}, [Value("distinct")], fn=check_distinct,
                                 loc=loc))
        for i, op in enumerate(checks):
            self.body.insert(i, op)

    def unsupported(self, node: gast.AST, what: str, instead: str, parsed: ParsedFunction | None = None) -> UnsupportedSyntaxError:
        loc = (parsed or self.parsed).loc(node)
        return UnsupportedSyntaxError(f"{what} is not supported", loc, hint=instead)


class _FunctionContext(Expressions, Comprehensions, ItemWrites, RegionAliasing, LoopViews, LoopLists, ControlFlow, Calls):
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
        self.loaded_names |= {n.target.id for n in gast.walk(node)
                              if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name)}  # `h += v` reads h
        self.env_now: dict = {}
        """The names as bound where lowering is now (the innermost block's)."""
        self._calls_in: dict[int, tuple] = {}
        """id(expression node) -> (node, whether evaluating it may call something: Expressions.in_order)."""
        self._loaded_outside: dict[int, set] = {}
        """id(compound statement) -> the names read outside it (a region may be lowered again)."""
        self._leaving: list | None = None
        """The blocks of the region `merge_views` is merging after (RegionAliasing._visible)."""

    # -- helpers -----------------------------------------------------------------
    def error(self, node: gast.AST, what: str, instead: str) -> UnsupportedSyntaxError:
        return self.lowering.unsupported(node, what, instead, self.parsed)

    def at(self, node: gast.AST) -> None:
        self.builder.loc = self.parsed.loc(node)

    def call_op(self, fn: Any, args: list, kwargs: dict, hint: str, spec: tuple = (), view: bool = True) -> Value:
        """A call op; its result is recorded as a view of its first operand where NumPy may make
        one (`view=False`: a replayed view, recorded by the caller, or a copy such as `flatten`)."""
        op = Op("call", [self.operand(a) for a in args], {k: self.operand(v) for k, v in kwargs.items()}, [Value(hint)], fn=fn)
        if spec:
            op.attrs["callee_spec"] = spec
        self.builder.op(op)
        if view:
            self.lowering.aliasing.note_op(op)
        return op.result

    def operand(self, value: Abstract, node: gast.AST | None = None) -> Any:
        if isinstance(value, (Value, Const, Free)):
            return value
        if isinstance(value, Seq):
            items = [self.operand(v, node) for v in value.items]
            if all(isinstance(i, Const) for i in items) and value.kind == "tuple":
                return Const(tuple(i.value for i in items))
            fn = core.pack if value.kind == "tuple" else core.make_list
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
        self.lowering.contexts.append(self)
        self.env_now = env
        try:
            for stmt in stmts:
                if isinstance(stmt, gast.Return):
                    self.at(stmt)
                    return self.expr(stmt.value, env) if stmt.value is not None else Const(None)
                self.stmt(stmt, env)
            return Const(None)
        finally:
            self.lowering.contexts.pop()

    def block(self, stmts: list[gast.stmt], env: dict) -> None:
        saved, self.env_now = self.env_now, env
        try:
            for stmt in stmts:
                self.stmt(stmt, env)
        finally:
            self.env_now = saved

    def stmt(self, stmt: gast.stmt, env: dict) -> None:
        self.at(stmt)
        method = getattr(self, f"stmt_{type(stmt).__name__}", None)
        if method is None:
            kind = type(stmt).__name__
            raise self.error(stmt, _STATEMENT_NAMES.get(kind, f"the statement '{kind.lower()}'"),
                             _STATEMENT_HINTS.get(kind, "rewrite it with assignments, if, for and while"))
        method(stmt, env)

    def stmt_Pass(self, stmt: gast.Pass, env: dict) -> None:
        pass

    def stmt_Expr(self, stmt: gast.Expr, env: dict) -> None:
        if isinstance(stmt.value, gast.Constant):
            return  # a docstring
        self.expr(stmt.value, env)

    def stmt_Assign(self, stmt: gast.Assign, env: dict) -> None:
        made = len(self.builder.block.ops)
        value = self.expr(stmt.value, env)
        for target in stmt.targets:
            self.assign(target, self.own_value(target, value, made), env)

    def stmt_AnnAssign(self, stmt: gast.AnnAssign, env: dict) -> None:
        if stmt.value is not None:
            made = len(self.builder.block.ops)
            value = self.expr(stmt.value, env)
            self.assign(stmt.target, self.own_value(stmt.target, value, made), env)

    def own_value(self, target: gast.AST, value: Abstract, made: int) -> Abstract:
        """`value`, or for a top-level local named by `wrt=`/`stop_gradients=` bound to a value the
        statement did not make (`v_read = v`), a new value for it: TF's `tf.identity(v)`."""
        if not (isinstance(target, gast.Name) and target.id in self.lowering.own_names
                and target.id not in self.lowering.params and self.top_body is not None and self.builder.block is self.top_body):
            return value
        if isinstance(value, Value) and isinstance(value.owner, Op) and value.owner in self.builder.block.ops[made:]:
            return value
        if not isinstance(value, (Value, Const, Free)) or isinstance(value, Const) and not is_literal(value.value):
            return value
        self.at(target)
        return self.call_op(core.identity, [value], {}, target.id)

    def stmt_AugAssign(self, stmt: gast.AugAssign, env: dict) -> None:
        if isinstance(stmt.target, gast.Name) and self.top_body is not None:
            self.lowering.bindings.setdefault(stmt.target.id, []).append((None, self.builder.block is self.top_body))
        if isinstance(stmt.target, gast.Subscript):
            self.store_item(stmt.target, stmt.value, env, BINARY[type(stmt.op)])
            return
        if not isinstance(stmt.target, gast.Name):
            raise self.error(stmt.target, "augmented assignment to an attribute", "assign to a plain name")
        operand = self.expr(stmt.value, env)
        current = self.name(stmt.target, env)  # as the right side left it: a helper there may write it
        value = self.binary(BINARY[type(stmt.op)], current, operand, stmt, stmt.target.id)
        if isinstance(value, Value) and isinstance(value.owner, Op):
            value.owner.attrs["augmented"] = True  # optimize/write_in_place.py may write it in place again
        self.write(env, stmt.target.id, current, value, stmt, in_place=False)

    def stmt_Assert(self, stmt: gast.Assert, env: dict) -> None:
        condition = self.expr(stmt.test, env)
        if isinstance(condition, Const) and condition.value:
            return
        message = self.expr(stmt.msg, env) if stmt.msg is not None else None
        if not isinstance(message, Const):
            loc = self.parsed.loc(stmt)
            message = Const(f"assertion failed at {os.path.basename(loc.file)}:{loc.line}: {loc.text.strip()}")
        self.at(stmt)
        self.builder.op(Op("call", [self.operand(condition), message], {}, [Value("checked")], fn=core.check))

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

    def unpack(self, value: Abstract, n: int, node: gast.AST) -> list:
        if isinstance(value, Seq):
            if len(value.items) != n:
                raise SrcgradError(f"cannot unpack {len(value.items)} values into {n} names", self.parsed.loc(node))
            return list(value.items)
        if isinstance(value, Const) and isinstance(value.value, (tuple, list)):
            return [Const(v) for v in value.value]
        if isinstance(value, Value):
            value.maybe_sequence = True
            owner = value.owner
            if isinstance(owner, Op) and owner.kind == "call" and owner.fn is operator.getitem \
                    and isinstance(owner.args[0], Value):
                owner.args[0].maybe_sequence = True  # `for W, b in params`: a list of pairs, its cotangent too
        return [self.call_op(operator.getitem, [value, Const(i)], {}, "item") for i in range(n)]



_STATEMENT_NAMES = {"ClassDef": "a class defined inside the function", "AsyncFunctionDef": "an async function",
                    "AsyncFor": "async for", "AsyncWith": "async with"}
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

def lower_function(fn: Any, own_names: frozenset = frozenset()) -> tuple[Function, dict]:
    """The IR of `fn`, and the values each of its names was bound to (`own_names`: see Lowering)."""
    lowering = Lowering(fn, own_names)
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


