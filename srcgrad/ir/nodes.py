"""IR nodes: Value, Const, Free, Op, Block, Function.

Structured SSA in the manner of MLIR's `scf` dialect. Straight-line work is
`call` ops (one callee applied to operands, one result). Control flow is ops
holding regions: `if` (two blocks, each ending in `yield`), `for` (a counted
loop over `range(start, stop, step)` with loop-carried values as block
arguments) and `while` (the loop condition is the first carried value). A
region's `yield` gives the values that flow out; nothing defined in a region is
visible outside it. Every op carries the `Loc` of the code it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Union

from ..location import Loc


@dataclass(eq=False)
class Value:
    """An SSA value: the result of an op or an argument of a block."""

    hint: str
    """The user's name for it (or a derived one); the back end makes it unique."""
    owner: Union["Op", "Block", None] = None
    maybe_sequence: bool = False
    """Unpacked or indexed by position, so possibly a tuple or list: its cotangents add item by item."""

    def __repr__(self) -> str:
        return f"<Value {self.hint} {id(self):x}>"


@dataclass(frozen=True)
class Const:
    """A literal operand: a number, string, None, slice, Ellipsis or a tuple of them."""

    value: Any


@dataclass(frozen=True)
class Free:
    """A free name read at run time: a global or closure value of the user's code.

    `name` is the name the generated code uses; `spec` says how to find the value
    again (see backend/link.py), so it is read live at every call.
    """

    name: str
    spec: tuple
    holds_arrays: bool = field(default=False, compare=False)
    """Its value when the function was lowered was an array, or a container of arrays: storage
    an in-place write would change for every later call (the front end refuses such writes)."""
    kind: type | None = field(default=None, compare=False, repr=False)
    """The type of its value when the function was lowered: a user object's methods are
    differentiated through as that class defines them (`layer.forward(x)`)."""


Operand = Union[Value, Const, Free]


@dataclass(eq=False)
class Op:
    """One operation, e.g. `%z = multiply %x, %y`, or a structured `if`/`for`/`while`."""

    kind: str
    """'call', 'if', 'for', 'while', 'yield', 'return' or 'push'/'pop' (the reverse sweep's tape)."""
    args: list[Operand] = field(default_factory=list)
    kwargs: dict[str, Operand] = field(default_factory=dict)
    results: list[Value] = field(default_factory=list)
    regions: list["Block"] = field(default_factory=list)
    fn: Any = None
    """The callee of a 'call' op: a NumPy function, an `operator` function, a srcgrad primitive."""
    attrs: dict[str, Any] = field(default_factory=dict)
    loc: Loc | None = None
    """Where the user wrote this; every error about the op points here."""
    parent: "Block | None" = None

    @property
    def result(self) -> Value:
        assert len(self.results) == 1, self
        return self.results[0]

    def operands(self) -> Iterator[Value]:
        for a in self.args:
            if isinstance(a, Value):
                yield a
        for a in self.kwargs.values():
            if isinstance(a, Value):
                yield a

    def replace_uses(self, old: Value, new: Operand) -> None:
        self.args = [new if a is old else a for a in self.args]
        self.kwargs = {k: (new if a is old else a) for k, a in self.kwargs.items()}

    def walk(self) -> Iterator["Op"]:
        """This op, then every op nested in its regions, in program order."""
        yield self
        for region in self.regions:
            yield from region.walk()


@dataclass(eq=False)
class Block:
    """A list of ops with arguments; the last op of a region is its terminator."""

    args: list[Value] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    parent: Op | None = None

    def add_arg(self, hint: str) -> Value:
        value = Value(hint, self)
        self.args.append(value)
        return value

    def append(self, op: Op) -> Op:
        op.parent = self
        for r in op.results:
            r.owner = op
        for region in op.regions:
            region.parent = op
        self.ops.append(op)
        return op

    def insert(self, index: int, op: Op) -> Op:
        self.append(op)
        self.ops.insert(index, self.ops.pop())
        return op

    @property
    def terminator(self) -> Op | None:
        return self.ops[-1] if self.ops and self.ops[-1].kind in ("yield", "return") else None

    def walk(self) -> Iterator[Op]:
        for op in list(self.ops):
            yield from op.walk()


@dataclass(eq=False)
class Function:
    """A function: named parameters (the entry block's arguments) and a body."""

    name: str
    body: Block
    params: list[str]
    loc: Loc | None = None
    defaults: dict[str, Operand] = field(default_factory=dict)
    """Defaults of keyword parameters of the generated function (e.g. grad_ys=None)."""
    dependencies: list = field(default_factory=list)
    """The functions inlined into this one, each with the path of names that found it."""
    shaped_like: list = field(default_factory=list)
    """Pairs of parameters `(a, b)` of one shape (a tangent and its primal), for shape analysis."""
    scalars: list = field(default_factory=list)
    """Parameters a specialised adjoint is compiled for scalars (numbers, 0-d arrays), for shape analysis."""
    numbers: list = field(default_factory=list)
    """Parameters it is compiled for Python floats: their zero cotangent can be a NumPy float64."""

    def walk(self) -> Iterator[Op]:
        return self.body.walk()


def loop_exits(op: Op) -> list[int]:
    """The carried slots of a `for` whose flags, once one is true, leave every later trip doing
    nothing (a `break` or `return` lowered to a flag: `attrs["exits"]`, the body's arguments): the
    generated loop stops there. Empty where a pass has dropped or copied one of them."""
    exits = op.attrs.get("exits") or []
    carried = op.regions[0].args[1:] if op.kind == "for" and op.regions else []
    slots = [next((j for j, a in enumerate(carried) if a is flag), None) for flag in exits]
    return [] if None in slots else slots  # type: ignore[return-value]


def defining_block(value: Value) -> Block | None:
    owner = value.owner
    if isinstance(owner, Block):
        return owner
    if isinstance(owner, Op):
        return owner.parent
    return None


def is_inside(block: Block | None, ancestor: Block) -> bool:
    """Whether `block` is `ancestor` or nested in one of its ops' regions."""
    while block is not None:
        if block is ancestor:
            return True
        op = block.parent
        block = op.parent if op is not None else None
    return False
