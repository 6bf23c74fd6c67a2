"""IR → Python source: one statement per op, the user's names, and a
`# grad of:` comment wherever the reverse sweep moves to another source line.

Statements are built as `ast` nodes and printed by `to_source` (astor; the
standard library's `ast.unparse` where astor cannot serve), so quoting and
parenthesisation are never hand-rolled; indentation and comments are laid out
here, since an AST has no comments.
"""

from __future__ import annotations

import ast
import builtins
import operator
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from ..errors import InternalError
from ..ir import Block, Const, Free, Function, Op, Operand, Value
from ..ir.nodes import loop_exits
from ..ir.printer import Taken, fresh_name
from ..runtime import core
from .names import IN_PLACE_OPERATORS, RESERVED, ValueNames, constant_source, library_name, srcgrad_helper

BINARY = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/", operator.pow: "**",
    operator.matmul: "@", operator.floordiv: "//", operator.mod: "%", operator.and_: "&", operator.or_: "|",
    operator.xor: "^", operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
    operator.eq: "==", operator.ne: "!=", operator.is_: "is", operator.is_not: "is not",
}  # fmt: skip
_COMMENTS = {"grad": "grad of", "jvp": "jvp of"}
"""The ops that map back to a source line, by the sweep that made them: the line is named above them."""

UNARY = {operator.neg: "-", operator.pos: "+", operator.not_: "not ", operator.invert: "~"}


def to_source(node: ast.AST) -> str:
    """Print one statement or expression (astor, behind this one function)."""
    ast.fix_missing_locations(node)
    try:
        import astor

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return str(astor.to_source(node)).rstrip("\n")
    except Exception:  # astor cannot print some nodes on newer Pythons
        return ast.unparse(node)


@dataclass
class Generated:
    """The source of an adjoint, and what its free names must be bound to."""

    name: str
    source: str
    helpers: dict[str, tuple] = field(default_factory=dict)
    """name → ("attr", module, qualname): srcgrad helpers and importable callees."""
    frees: dict[str, tuple] = field(default_factory=dict)
    """name → ("scope", path...): the user's globals and closure values, read live."""
    dependencies: list = field(default_factory=list)
    """Paths of names that found the inlined callees (re-checked before each call)."""
    repeated: list = field(default_factory=list)
    """Parameters the function adds or multiplies as they come: a list or tuple passed there is
    concatenated or repeated by Python, which array gradients do not follow (refused at the call)."""


class CodeGenerator:
    def __init__(self, fn: Function, origin: str = ""):
        self.fn = fn
        self.origin = origin
        self.helpers: dict[str, tuple] = {}
        self.frees: dict[str, tuple] = {}
        self.objects: dict[str, Any] = {}
        self.free_names: dict[tuple, str] = {}
        """One generated name per free value or callee: two closures' `scale`s are `scale` and `scale_1`."""
        taken = Taken(RESERVED)
        for op in fn.walk():
            for a in list(op.args) + list(op.kwargs.values()):
                if isinstance(a, Free) and a.spec not in self.free_names:
                    self.free_names[a.spec] = fresh_name(a.name, taken)
            if op.kind == "call":  # callees are called by name: no value may shadow one
                helper = srcgrad_helper(op.fn)
                if helper:
                    taken.add(helper)
                spec = op.attrs.get("callee_spec")
                if spec and library_name(op.fn) is None and helper is None and spec not in self.free_names:
                    # `norm.logpdf` is `norm_logpdf`: a method alone (`logpdf`) would not say whose
                    self.free_names[spec] = fresh_name("_".join(spec[-1].split(".")[-2:]), taken)
        reserved = taken
        self.names = ValueNames(fn, reserved)
        self.folded: set[int] = set()
        self.lines: list[str] = []
        self.last_comment: Any = None

    # -- expressions ----------------------------------------------------------------
    def operand(self, a: Operand) -> str:
        if isinstance(a, Value):
            if id(a) in self.folded:
                return self.inline_expr(a.owner)  # type: ignore[arg-type]
            return self.names.name(a)
        if isinstance(a, Free):
            name = self.free_names[a.spec]
            self.frees[name] = a.spec
            return name
        if isinstance(a, Const):
            return constant_source(a.value)
        raise InternalError(f"unexpected operand {a!r}")

    def atom(self, a: Operand) -> str:
        """`operand`, parenthesized where a constant would bind wrongly: `(-1.1) ** 2` (not
        `-(1.1 ** 2)`), `(2).item()` (not the syntax error `2.item()`)."""
        text = self.operand(a)
        if isinstance(a, Const) and text[:1] in "-+0123456789.":
            return f"({text})"
        return text

    def callee(self, op: Op) -> str:
        fn = op.fn
        name = library_name(fn)
        if name is not None:
            if name.startswith("scipy."):
                self.helpers["scipy"] = ("import", "scipy.special")
            return name
        helper = srcgrad_helper(fn)
        if helper is not None:
            self.helpers[helper] = ("attr", fn.__module__, fn.__qualname__)
            self.objects[helper] = fn
            return helper
        spec = op.attrs.get("callee_spec")
        if spec:
            name = self.free_names[spec]
            self.frees[name] = spec
            self.objects[name] = fn
            return name
        module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
        if module and qualname and "<" not in qualname:
            name = qualname.rsplit(".", 1)[-1]
            self.helpers[name] = ("attr", module, qualname)
            self.objects[name] = fn
            return name
        raise InternalError(f"no way to call {fn!r} from generated code", op.loc)

    def index(self, a: Operand) -> str:
        """A subscript's index, spelled as the user would: x[1:3, None]."""
        if isinstance(a, Const):
            v = a.value
            if isinstance(v, tuple) and v:
                return ", ".join(self.index(Const(i)) for i in v) + ("," if len(v) == 1 else "")
            if isinstance(v, slice):
                return self._slice([Const(v.start), Const(v.stop), Const(v.step)])
            return constant_source(v)
        if isinstance(a, Value) and id(a) in self.folded:
            owner = a.owner
            assert isinstance(owner, Op)
            if owner.fn is builtins.slice:
                return self._slice(owner.args)
            if owner.fn is core.pack:
                parts = [self.index(x) for x in owner.args]
                return ", ".join(parts) + ("," if len(parts) == 1 else "")
        return self.operand(a)

    def _slice(self, parts: list) -> str:
        text = [("" if isinstance(p, Const) and p.value is None else self.operand(p)) for p in parts]
        start, stop, step = (text + ["", "", ""])[:3]
        return f"{start}:{stop}" + (f":{step}" if step else "")

    def inline_expr(self, op: Op) -> str:
        args = [self.operand(a) for a in op.args]
        return f"({', '.join(args)}{',' if len(args) == 1 else ''})"

    def expression(self, op: Op) -> str:
        fn = op.fn
        args = op.args
        if fn in BINARY and len(args) == 2 and not op.kwargs:
            left = self.atom(args[0]) if fn is operator.pow else self.operand(args[0])
            return f"{left} {BINARY[fn]} {self.operand(args[1])}"
        if fn in UNARY and len(args) == 1:
            return f"{UNARY[fn]}{self.operand(args[0])}"
        if fn is operator.getitem:
            return f"{self.atom(args[0])}[{self.index(args[1])}]"
        if fn is getattr and isinstance(args[1], Const) and len(args) == 2:  # with a default: the call itself
            return f"{self.atom(args[0])}.{args[1].value}"
        if fn is core.identity:
            return self.operand(args[0])  # a second name for the same value: `v_read = v`
        if fn is core.pack:
            items = [self.operand(a) for a in args]
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        if fn is core.make_list:
            return f"[{', '.join(self.operand(a) for a in args)}]"
        rendered = [self.operand(a) for a in args] + [f"{k}={self.operand(a)}" for k, a in op.kwargs.items()]
        if isinstance(fn, core.Method):
            return f"{self.atom(args[0])}.{fn.name}({', '.join(rendered[1:])})"
        return f"{self.callee(op)}({', '.join(rendered)})"

    # -- statements -----------------------------------------------------------------
    def emit(self, depth: int, text: str) -> None:
        if not text.endswith(":") and not text.startswith("#") and text != "pass":
            text = to_source(ast.parse(text).body[0])  # astor prints every simple statement
        self.lines.append("    " * depth + text)

    def comment(self, op: Op, depth: int) -> None:
        kind = op.attrs.get("comment")
        if kind not in _COMMENTS or op.loc is None:
            if kind not in _COMMENTS:
                self.last_comment = None
            return
        key = (op.loc.file, op.loc.line)
        if key == self.last_comment:
            return
        self.last_comment = key
        text = op.loc.text.strip()
        where = f"{os.path.basename(op.loc.file)}:{op.loc.line}"
        label = _COMMENTS[kind]
        self.emit(depth, f"# {label}: {text}  ({where})" if text else f"# {label} line {where}")

    def block(self, block: Block, depth: int) -> None:
        start = len(self.lines)
        for op in block.ops:
            self.statement(op, depth)
        if len(self.lines) == start:
            self.emit(depth, "pass")

    def assign(self, targets: list[str], values: list[str], depth: int) -> None:
        pairs = [(t, v) for t, v in zip(targets, values) if t != v]
        if not pairs:
            return
        lhs = ", ".join(t for t, _ in pairs)
        rhs = ", ".join(v for _, v in pairs)
        self.emit(depth, f"{lhs} = {rhs}")

    def statement(self, op: Op, depth: int) -> None:
        if op.kind == "call" and id(op.result) in self.folded:
            return
        if op.kind != "yield":  # a yield prints as its owner's assignments, under its owner's comment
            self.comment(op, depth)
        if op.kind == "call" and op.fn is core.setitem:
            target = self.names.name(op.result)
            self.emit(depth, f"{target} = np.copy({self.operand(op.args[0])})")  # keeps the memory layout
            self.emit(depth, f"{target}[{self.index(op.args[1])}] = {self.operand(op.args[2])}")
        elif op.kind == "call" and op.fn is core.setitem_inplace:
            array, target = self.operand(op.args[0]), self.names.name(op.result)
            self.emit(depth, f"{array}[{self.index(op.args[1])}] = {self.operand(op.args[2])}")
            if target != array:
                self.emit(depth, f"{target} = {array}")
        elif op.kind == "call" and op.fn in IN_PLACE_OPERATORS:  # the user's own `b -= y`, where nothing else sees b
            array, target = self.operand(op.args[0]), self.names.name(op.result)
            self.emit(depth, f"{array} {IN_PLACE_OPERATORS[op.fn]} {self.operand(op.args[1])}")
            if target != array:
                self.emit(depth, f"{target} = {array}")
        elif op.kind == "call" and (op.fn in core.CHECKS or op.fn is builtins.print):
            self.emit(depth, self.expression(op))  # a statement: `assert` in the user's code
        elif op.kind == "call":
            self.emit(depth, f"{self.names.name(op.result)} = {self.expression(op)}")
        elif op.kind == "push":
            self.emit(depth, f"{self.operand(op.args[0])}.append({self.operand(op.args[1])})")
        elif op.kind == "pop":
            self.emit(depth, f"{self.names.name(op.result)} = {self.operand(op.args[0])}.pop()")
        elif op.kind == "if":
            self.if_(op, depth)
        elif op.kind == "for":
            self.for_(op, depth)
        elif op.kind == "while":
            self.while_(op, depth)
        elif op.kind == "return":
            values = [self.operand(a) for a in op.args]
            if op.attrs.get("tuple_output") or len(values) != 1:
                trailing = "," if len(values) == 1 else ""
                self.emit(depth, f"return {', '.join(values)}{trailing}" if values else "return ()")
            else:
                self.emit(depth, f"return {values[0]}")
        elif op.kind == "yield":
            pass  # handled by the op that owns the region
        else:
            raise InternalError(f"cannot generate code for '{op.kind}'", op.loc)

    def if_(self, op: Op, depth: int) -> None:
        targets = [self.names.name(r) for r in op.results]
        self.emit(depth, f"if {self.operand(op.args[0])}:")
        for k, region in enumerate(op.regions):
            if k == 1:
                if len(region.ops) == 1 and all(t == self.operand(a) for t, a in zip(targets, region.ops[-1].args)):
                    break
                self.emit(depth, "else:")
            start = len(self.lines)
            for inner in region.ops:
                self.statement(inner, depth + 1)
            self.assign(targets, [self.operand(a) for a in region.ops[-1].args], depth + 1)
            if len(self.lines) == start:
                self.emit(depth + 1, "pass")

    def for_(self, op: Op, depth: int) -> None:
        (body,) = op.regions
        targets = [self.names.name(r) for r in op.results]
        self.assign(targets, [self.operand(a) for a in op.args[3:]], depth)
        index = body.args[0]
        index_name = self.names.name(index) if self.names.uses(index) else "_"
        start, stop, step = (self.operand(a) for a in op.args[:3])
        if step == "1":
            bounds = stop if start == "0" else f"{start}, {stop}"
        else:
            bounds = f"{start}, {stop}, {step}"
        iterable = f"range({bounds})"
        if op.attrs.get("reverse"):
            iterable = f"reversed({iterable})"
        self.emit(depth, f"for {index_name} in {iterable}:")
        self.loop_body(body, targets, body.ops[-1].args, depth)
        flags = [targets[j] for j in loop_exits(op)]
        if flags:  # a `break` (or `return`) was taken: the trips left would do nothing
            self.emit(depth + 1, f"if {' or '.join(flags)}:")
            self.emit(depth + 2, "break")

    def while_(self, op: Op, depth: int) -> None:
        (body,) = op.regions
        targets = [self.names.name(r) for r in op.results]
        cond = self.names.name(_WhileCondition.of(op))
        self.assign([cond, *targets], [self.operand(a) for a in op.args], depth)
        self.emit(depth, f"while {cond}:")
        self.loop_body(body, [cond, *targets], body.ops[-1].args, depth)

    def loop_body(self, body: Block, targets: list[str], yields: list, depth: int) -> None:
        start = len(self.lines)
        for inner in body.ops:
            self.statement(inner, depth + 1)
        self.assign(targets, [self.operand(a) for a in yields], depth + 1)
        if len(self.lines) == start:
            self.emit(depth + 1, "pass")

    # -- whole function -----------------------------------------------------------------
    def fold_index_expressions(self) -> None:
        """Single-use `slice(...)` and index tuples are written inside the subscript."""
        for op in self.fn.walk():
            if op.kind == "call" and (op.fn is builtins.slice or op.fn is core.pack):
                uses = self.names.uses(op.result)
                if len(uses) == 1 and uses[0].fn is operator.getitem and uses[0].args[1] is op.result \
                        and uses[0].parent is op.parent:
                    self.folded.add(id(op.result))

    def generate(self) -> Generated:
        self.fold_index_expressions()
        params = []
        for a, name in zip(self.fn.body.args, self.fn.params):
            default = self.fn.defaults.get(name)
            params.append(name + (f"={constant_source(default.value)}" if isinstance(default, Const) else ""))
        header = f"def {self.fn.name}({', '.join(params)}):"
        self.block(self.fn.body, 1)
        body = "\n".join(self.lines)
        source = f"{header}\n{body}\n"
        ast.parse(source)  # the generated code must always be valid Python
        return Generated(self.fn.name, source, self.helpers, self.frees)


class _WhileCondition:
    """The Python variable a `while` loop tests (a value only the back end names)."""

    _cache: dict[int, Value] = {}

    @classmethod
    def of(cls, op: Op) -> Value:
        key = id(op)
        if key not in cls._cache:
            cls._cache[key] = Value("running", None)
        return cls._cache[key]


def generate(fn: Function, origin: str = "") -> Generated:
    return CodeGenerator(fn, origin).generate()


def module_source(gen: Generated, origin: str) -> str:
    """The generated function as a module a person can read, edit and ship."""
    lines = [f"# Generated by srcgrad from {origin}; regenerated when the source changes (an edited",
             "# copy in the cache is discarded). `srcgrad export` writes a module to edit and ship.",
             "import numpy as np"]
    if "math." in gen.source:
        lines.append("import math")
    if "scipy" in gen.helpers:
        lines.append("import scipy.special")
    by_module: dict[str, list[str]] = {}
    for name, (kind, module, *rest) in sorted(gen.helpers.items()):
        if kind != "attr":
            continue
        qualname = rest[0]
        by_module.setdefault(module, []).append(name if qualname == name else f"{qualname.rsplit('.', 1)[-1]} as {name}")
    for module, names in sorted(by_module.items()):
        lines.append(f"from {module} import {', '.join(sorted(names))}")
    if gen.frees:
        lines.append(f"# Read from the differentiated function's scope at each call: {', '.join(sorted(gen.frees))}")
    return "\n".join(lines) + "\n\n\n" + gen.source
