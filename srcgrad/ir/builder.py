"""Building IR: an insertion point (`Builder`) and `Sym`, the operator-overloading
wrapper derivative rules are written in.

A rule is plain NumPy: `lambda ct, out, x: ct * np.cos(x)`. Called with `Sym`s,
`*` and `np.cos` do not compute anything; they append `call` ops to the block
being built (through `__array_ufunc__` / `__array_function__`), so the rule's
math becomes IR that the optimiser and the back end see like any other code.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from ..location import Loc
from ..runtime.core import Symbolic
from .nodes import Block, Const, Free, Op, Operand, Value


class Builder:
    """Appends ops to a block; `loc` and `comment` go onto every op it makes."""

    def __init__(self, block: Block, loc: Loc | None = None):
        self.block = block
        self.loc = loc
        self.comment: str | None = None
        self.default_hint = "t"
        """The name given to values a rule creates without naming them."""

    def op(self, op: Op) -> Op:
        if op.loc is None:
            op.loc = self.loc
        if self.comment is not None and "comment" not in op.attrs:
            op.attrs["comment"] = self.comment
        return self.block.append(op)

    def call(self, fn: Any, *args: Any, hint: str = "t", **kwargs: Any) -> Value:
        if hint == "t":
            hint = _METADATA.get(fn, self.default_hint)
        operands = [as_operand(a) for a in args]
        kw = {k: as_operand(a) for k, a in kwargs.items()}
        return self.op(Op("call", operands, kw, [Value(hint)], fn=fn)).result

    def sym(self, x: Any) -> Any:
        """Wrap an operand for a rule: values become Syms, constants stay plain."""
        if isinstance(x, (Value, Free)):
            return Sym(x, self)
        if isinstance(x, Const):
            return x.value
        return x


_METADATA = {np.shape: "shape", np.ndim: "ndim", np.size: "size"}


def as_operand(x: Any) -> Operand:
    if isinstance(x, Sym):
        return x.ref
    if isinstance(x, (Value, Const, Free)):
        return x
    if isinstance(x, (tuple, list)) and any(isinstance(e, (Sym, Value)) for e in x):
        raise TypeError("a tuple of IR values must be built with the 'pack' primitive")
    return Const(x)


def _binary(fn: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[["Sym", Any], "Sym"]:
    def method(self: "Sym", other: Any) -> "Sym":
        if reflected:
            return self.b.wrap(fn, other, self)
        return self.b.wrap(fn, self, other)

    return method


class Sym(Symbolic):
    """A value under construction in a rule; arithmetic on it builds IR."""

    __array_priority__ = 1000

    def build(self, fn: Any, *args: Any, **kwargs: Any) -> "Sym":
        return self.b.wrap(fn, *args, **kwargs)

    def __init__(self, ref: Value | Free, builder: Builder):
        self.ref = ref
        self.b = _SymBuilder(builder)

    __add__ = _binary(operator.add)
    __radd__ = _binary(operator.add, True)
    __sub__ = _binary(operator.sub)
    __rsub__ = _binary(operator.sub, True)
    __mul__ = _binary(operator.mul)
    __rmul__ = _binary(operator.mul, True)
    __truediv__ = _binary(operator.truediv)
    __rtruediv__ = _binary(operator.truediv, True)
    __pow__ = _binary(operator.pow)
    __rpow__ = _binary(operator.pow, True)
    __matmul__ = _binary(operator.matmul)
    __rmatmul__ = _binary(operator.matmul, True)
    __gt__ = _binary(operator.gt)
    __ge__ = _binary(operator.ge)
    __lt__ = _binary(operator.lt)
    __le__ = _binary(operator.le)
    __eq__ = _binary(operator.eq)  # type: ignore[assignment]
    __ne__ = _binary(operator.ne)  # type: ignore[assignment]
    __and__ = _binary(operator.and_)
    __or__ = _binary(operator.or_)

    def __neg__(self) -> "Sym":
        return self.b.wrap(operator.neg, self)

    def __invert__(self) -> "Sym":
        return self.b.wrap(operator.invert, self)

    def __getitem__(self, index: Any) -> "Sym":
        return self.b.wrap(operator.getitem, self, index)

    def __bool__(self) -> bool:
        raise TypeError("a rule cannot branch on a value only known at run time; use np.where")

    def __iter__(self) -> Any:
        raise TypeError("a rule cannot iterate over a value only known at run time")

    def __len__(self) -> int:
        raise TypeError("a rule cannot take the length of a value only known at run time")

    def __index__(self) -> int:
        raise TypeError("a rule needs a constant here, not a value only known at run time")

    __hash__ = object.__hash__

    @property
    def T(self) -> "Sym":
        return self.b.wrap(np.transpose, self)

    @property
    def shape(self) -> "Sym":
        return self.b.wrap(np.shape, self)

    @property
    def ndim(self) -> "Sym":
        return self.b.wrap(np.ndim, self)

    @property
    def dtype(self) -> "Sym":
        return self.b.wrap(getattr, self, "dtype")

    @property
    def size(self) -> "Sym":
        return self.b.wrap(np.size, self)

    def astype(self, dtype: Any) -> "Sym":
        return self.b.wrap(_method("astype"), self, dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__":
            return NotImplemented
        return self.b.wrap(ufunc, *inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return self.b.wrap(func, *args, **kwargs)


_METHODS: dict[str, Any] = {}


def _method(name: str) -> Any:
    """A callable standing for the method `name`; printed as `x.name(...)`."""
    from ..runtime.core import method

    return method(name)


class _SymBuilder:
    def __init__(self, builder: Builder):
        self.builder = builder

    def wrap(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from ..runtime.core import pack

        def operand(a: Any) -> Any:
            if isinstance(a, (tuple, list)) and any(isinstance(e, Sym) for e in a):
                return Sym(self.builder.call(pack, *[operand(e) for e in a], hint="t"), self.builder)
            return a

        args = tuple(operand(a) for a in args)
        return Sym(self.builder.call(fn, *args, **kwargs), self.builder)


def emit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)`, or, when called by a rule on symbolic values, a call op for it.

    For calls that do not dispatch on `Sym`s: a NumPy function given one symbolic tuple
    (`np.concatenate(ct)` would iterate it), or one of SciPy's Python functions.
    """
    for a in (*args, *kwargs.values()):
        if isinstance(a, Symbolic):
            return a.build(fn, *args, **kwargs)
    return fn(*args, **kwargs)
