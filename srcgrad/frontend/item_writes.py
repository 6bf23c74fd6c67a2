"""Lowering in-place writes: `y[i] = v`, `y[i] += v` and `h += v`, as functional updates (`setitem`)
that rebind every name of the written object; writes that a view could see are checked at run time."""

from __future__ import annotations

import operator
from typing import Any

import gast
import numpy as np

from ..ir import Block, Const, Op, Value
from ..runtime import core
from .resolve import Abstract, Seq

# Results that may share memory with their first argument (writing to them writes to it).
VIEWS = {
    operator.getitem, np.reshape, np.ravel, np.transpose, np.squeeze, np.expand_dims, np.swapaxes,
    np.moveaxis, np.diagonal, np.broadcast_to, np.atleast_1d, np.atleast_2d, np.atleast_3d,
}  # fmt: skip


class ItemWrites:
    """The in-place half of a function's lowering (mixed into `lower._FunctionContext`)."""

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
        return self.call_op(core.check_not_view, [value, owner.args[0], Const(message)], {}, name)

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
                               fn=core.check_not_view))

    @staticmethod
    def mutated(env: dict, name: str, old: Abstract, new: Abstract) -> None:
        """`name` now means `new`; so does every other name for the same (mutable) object."""
        for other, bound in list(env.items()):
            if bound is old:
                env[other] = new
        env[name] = new

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
        self.mutated(env, name, base, self.call_op(core.setitem, [checked, index, value], {}, name))
        if self.top_body is not None:
            self.lowering.bindings.setdefault(name, []).append((None, self.builder.block is self.top_body))


def _in_loop(block: Block | None) -> bool:
    while block is not None and block.parent is not None:
        if block.parent.kind in ("for", "while"):
            return True
        block = block.parent.parent
    return False
