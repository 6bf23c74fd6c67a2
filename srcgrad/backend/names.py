"""How generated code refers to callees and constants: `np.sin`, `math.exp`,
`unbroadcast`, the user's own `helper`; and the names of SSA values, derived
from the user's names and coalesced where one Python variable can hold a
loop-carried or branch-merged value throughout."""

from __future__ import annotations

import builtins
import keyword
import math
import operator
import sys
import types
from functools import lru_cache
from typing import Any

import numpy as np

from ..ir import Block, Const, Free, Function, Op, Value
from ..ir.printer import Taken, fresh_name
from ..runtime import core


@lru_cache(maxsize=1)
def _numpy_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for prefix, module in (("np.linalg", np.linalg), ("np.fft", np.fft), ("np", np)):
        for name in sorted(dir(module), key=lambda n: (len(n), n)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name, None)
            if obj is None or isinstance(obj, (int, float, str, types.ModuleType)):
                continue
            preferred = getattr(obj, "__name__", None) == name
            if id(obj) not in names or preferred:
                if id(obj) in names and not preferred:
                    continue
                names[id(obj)] = f"{prefix}.{name}"
    return names


def library_name(obj: Any) -> str | None:
    """The canonical source spelling of a library object, if it has one."""
    if isinstance(obj, types.ModuleType):
        if obj is np:
            return "np"
        return obj.__name__ if obj.__name__ in ("math", "operator") else None
    try:
        n = _numpy_names().get(id(obj))
    except TypeError:
        n = None
    if n is not None:
        return n
    name = getattr(obj, "__name__", None)
    if name and getattr(math, name, None) is obj:
        return f"math.{name}"
    special = sys.modules.get("scipy.special")
    if name and special is not None and getattr(special, name, None) is obj:
        return f"scipy.special.{name}"
    if name and getattr(builtins, name, None) is obj:
        return name
    return None


def srcgrad_helper(obj: Any) -> str | None:
    """srcgrad's run-time helpers are called by their bare name."""
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("srcgrad.") and callable(obj) and getattr(obj, "__name__", "").isidentifier():
        return obj.__name__
    return None


RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {"np", "math"}
# The operators the optimizer writes in place (`b -= y`), as code generation prints them; with
# `y[t] = 1.0` in place, what gives a result that is its operand itself.
IN_PLACE_OPERATORS = {operator.iadd: "+=", operator.isub: "-=", operator.imul: "*=", operator.itruediv: "/="}
_IN_PLACE = (*IN_PLACE_OPERATORS, core.setitem_inplace)


class ValueNames:
    """Unique Python names for values; coalesced classes share one name."""

    def __init__(self, fn: Function, reserved: set[str]):
        self.parent: dict[int, int] = {}
        self.values: dict[int, Value] = {}
        self.taken = Taken(reserved)
        self.names: dict[int, str] = {}
        self.fn = fn
        self.position: dict[int, int] = {}
        for i, op in enumerate(fn.walk()):
            self.position[id(op)] = i
        self._uses: dict[int, list[Op]] = {}
        for op in fn.walk():
            for v in op.operands():
                self._uses.setdefault(id(v), []).append(op)
        for a, name in zip(fn.body.args, fn.params):
            self._claim(a, name)
        self._coalesce(fn.body)
        written: set[int] = set()  # the values joined so: a chain of writes (`b *= 2; b -= y`) is one name
        for op in fn.walk():  # `b -= y` in place: the result is b itself, under b's name
            # (only where neither has a name shared otherwise: a loop's carried name is given back a
            # new value while this result may still be read, `x = x * x` after `x -= v`)
            if op.kind == "call" and op.fn in _IN_PLACE and isinstance(op.args[0], Value) \
                    and not self.in_class(op.result) and (not self.in_class(op.args[0]) or id(op.args[0]) in written):
                self.union(op.result, op.args[0])  # (the name the user's write gives it)
                written.update((id(op.result), id(op.args[0])))

    # union-find
    def find(self, v: Value) -> int:
        k = id(v)
        self.values.setdefault(k, v)
        while self.parent.get(k, k) != k:
            k = self.parent[k]
        return k

    def union(self, a: Value, b: Value) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def in_class(self, v: Value) -> bool:
        k = id(v)
        return k in self.parent or any(p == k for p in self.parent.values())

    def _claim(self, v: Value, name: str) -> None:
        self.taken.add(name)
        self.names[self.find(v)] = name

    def name(self, v: Value) -> str:
        root = self.find(v)
        if root not in self.names:
            base = self.values[root].hint or "t"
            if not base.isidentifier() or keyword.iskeyword(base):
                base = "t"
            self.names[root] = fresh_name(base, self.taken)
        return self.names[root]

    def uses(self, v: Value) -> list[Op]:
        return self._uses.get(id(v), [])

    # coalescing
    def _coalesce(self, block: Block) -> None:
        for op in block.ops:
            for region in op.regions:
                self._coalesce(region)
            if op.kind == "if":
                for k, region in enumerate(op.regions):
                    term = region.ops[-1]
                    for r, y in zip(op.results, term.args):
                        if self._defined_in(y, region) and term.args.count(y) == 1 and not self.in_class(y):
                            self.union(r, y)
            elif op.kind in ("for", "while"):
                self._coalesce_loop(op, block)

    def _defined_in(self, y: Any, block: Block) -> bool:
        return isinstance(y, Value) and isinstance(y.owner, Op) and y.owner.parent is block

    def _coalesce_loop(self, op: Op, block: Block) -> None:
        (body,) = op.regions
        term = body.ops[-1]
        if op.kind == "for":
            inits, args, ys = op.args[3:], body.args[1:], term.args
        else:
            inits, args, ys = op.args[1:], body.args, term.args[1:]
        for init, arg, y, r in zip(inits, args, ys, op.results):
            self.union(r, arg)
            if self._defined_in(y, body) and term.args.count(y) == 1 and not self.in_class(y):
                at = body.ops.index(y.owner)
                if not any(self._top(use, body) >= at for use in self.uses(arg)):
                    self.union(r, y)
            if self._defined_in(init, block) and not self.in_class(init) and op.args.count(init) == 1:
                here = block.ops.index(op)
                if all(use is op or self._top(use, block) < here for use in self.uses(init)) and \
                        all(self._top(use, block) != here or use is op for use in self.uses(init)):
                    self.union(r, init)

    @staticmethod
    def _top(op: Op, block: Block) -> int:
        """Index in `block` of the top-level op containing `op` (-1 if outside it)."""
        while op.parent is not block:
            parent = op.parent
            if parent is None or parent.parent is None:
                return -1
            op = parent.parent
        return block.ops.index(op)


def constant_source(value: Any) -> str:
    """Python source for a constant operand."""
    if value is Ellipsis:
        return "..."
    if isinstance(value, float):
        if math.isnan(value):
            return "np.nan"
        if math.isinf(value):
            return "np.inf" if value > 0 else "-np.inf"
        return repr(value)
    if isinstance(value, (bool, int, str, bytes, type(None), complex)):
        return repr(value)
    if isinstance(value, np.generic):
        return f"np.{type(value).__name__}({value.item()!r})"
    if isinstance(value, np.dtype):
        return f"np.dtype({str(value)!r})"
    if isinstance(value, slice):
        return f"slice({constant_source(value.start)}, {constant_source(value.stop)}, {constant_source(value.step)})"
    if isinstance(value, tuple):
        items = ", ".join(constant_source(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(constant_source(v) for v in value) + "]"
    name = library_name(value)
    if name is not None:
        return name
    raise ValueError(f"no source spelling for the constant {value!r}")


def is_free(a: Any) -> bool:
    return isinstance(a, Free)


def is_const(a: Any) -> bool:
    return isinstance(a, Const)
