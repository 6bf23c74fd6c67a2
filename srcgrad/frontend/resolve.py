"""Name resolution: what a name the user wrote means.

A name is a local (an SSA value in the lowering environment), or it is free:
a closure cell, a global, a builtin. A free name that means a module, a
function or a class is resolved now, at compile time (`np.sin` is the callee
`numpy.sin`); a number found as a module attribute (`np.pi`) is a constant; any
other free value (a global array, a closure float) stays a `Free` operand that
generated code reads live at every call.
"""

from __future__ import annotations

import builtins
import types
from dataclasses import dataclass, field
from typing import Any

import gast
import numpy as np

from ..ir import Const, Free
from .source import ParsedFunction


@dataclass(frozen=True)
class Static:
    """A compile-time object: a module, function, class or other callable."""

    obj: Any
    spec: tuple = ()
    """How to find it again from the top function, for objects generated code must call."""


@dataclass
class Seq:
    """A tuple or list whose length is known at compile time, item by item."""

    items: list
    kind: str = "tuple"


@dataclass
class LocalFunction:
    """A `def` (or lambda) inside the function being lowered; calls are inlined."""

    node: gast.AST
    parsed: ParsedFunction
    env: dict
    """The defining function's names when the def ran (read if it is called elsewhere)."""
    path: tuple
    owner: Any = None
    """The lowering context of the defining function: a call from there reads its names as they
    are at the call (Python's late binding of closures)."""


Abstract = Any  # Value | Const | Free | Static | Seq | LocalFunction

_LITERALS = (int, float, complex, bool, str, bytes, type(None), np.number, np.bool_)


def is_literal(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(is_literal(v) for v in value)
    return isinstance(value, _LITERALS) or value is Ellipsis or isinstance(value, slice)


@dataclass
class Scope:
    """The Python function whose names are being resolved, and how to reach it."""

    fn: Any
    path: tuple = ()
    """Names leading from the top function to this one (empty for the top function)."""
    frees: dict = field(default_factory=dict)


_MISSING = object()


def lookup_free(fn: Any, name: str) -> Any:
    """A free name of `fn` as Python would find it at this moment: closure, globals, builtins."""
    code = fn.__code__
    if name in code.co_freevars and fn.__closure__ is not None:
        cell = fn.__closure__[code.co_freevars.index(name)]
        try:
            return cell.cell_contents
        except ValueError:
            return _MISSING
    if name in fn.__globals__:
        return fn.__globals__[name]
    return getattr(builtins, name, _MISSING)


def classify(value: Any, name: str, spec: tuple, *, module_attribute: bool = False) -> Abstract:
    """Turn a Python object found by name into what lowering works with."""
    value = getattr(value, "__srcgrad_primitive__", value)  # a helper as generated code calls it
    if isinstance(value, types.ModuleType) or callable(value):
        return Static(value, spec)
    if value is None or value is Ellipsis or isinstance(value, (bool, np.bool_)):
        return Const(value)
    if module_attribute and is_literal(value):
        return Const(value)  # np.pi, math.e, np.newaxis: constants of a library
    return Free(name, spec, holds_arrays=_holds_arrays(value), kind=type(value))


def _holds_arrays(value: Any, depth: int = 0) -> bool:
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, (list, tuple)) and depth < 4:
        return any(_holds_arrays(v, depth + 1) for v in value[:64])
    if isinstance(value, dict) and depth < 4:
        return any(_holds_arrays(v, depth + 1) for v in list(value.values())[:64])
    return False


def resolve_free(scope: Scope, name: str) -> Abstract:
    value = lookup_free(scope.fn, name)
    if value is _MISSING:
        return _MISSING
    is_builtin = name not in scope.fn.__globals__ and name not in scope.fn.__code__.co_freevars
    return classify(value, name, scope.path + (name,), module_attribute=is_builtin)


MISSING = _MISSING

UNBOUND = Const(None)
"""None standing for a name no path has bound yet: one bound in one branch only, or a function's
result before a return sets it. Compared by identity: a tuple merged with it keeps its items (a
tuple merged with a None the program wrote is one value, a tuple or None)."""
