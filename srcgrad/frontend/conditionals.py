"""Ifs that compute a value: `a if c else b`, the operands of `and`/`or`, and the run-time tests
in-place writes make (frontend/item_writes.py). Each is a structured `if` op yielding one value;
names a branch rebinds (a helper's in-place write into the caller's array) are merged as an if
statement merges them, and the value of `a if c else b` is the array it chooses, not a copy.
"""

from __future__ import annotations

from typing import Any, Callable

import gast
import numpy as np

from ..ir import Block, Const, Free, Op, Value
from ..ir.builder import Builder
from ..ir.nodes import defining_block, is_inside
from .aliasing import View
from .resolve import UNBOUND, Abstract, LocalFunction, Seq, Static


class Conditionals:
    """The part of lowering that owns value-computing ifs (mixed into the function lowering)."""

    def expr_IfExp(self, node: gast.IfExp, env: dict) -> Abstract:
        cond = self.expr(node.test, env)
        if isinstance(cond, (Const, Static)):
            return self.expr(node.body if _truthy(cond) else node.orelse, env)
        ways: list = []
        names: list = []
        value = self.structured_if(cond, lambda: self.expr(node.body, env), lambda: self.expr(node.orelse, env), node,
                                   branches=ways, merged=names)
        return self.chosen_array(value, ways, names)

    def chosen_array(self, value: Value, ways: list, names: list = ()) -> Abstract:
        """`a if c else b` is `a` itself or `b` itself, not a copy: a later in-place write through it
        reaches the array chosen. One array on both ways is that array; what a name the branches
        rebind holds on each way (`h(x) if c else x`, h writing into x) is that name's array after;
        one array made before and one new is that array where a run-time test says so; anything
        else is refused at a write. `names`: (value on each way, merged value) of the rebound names."""
        if ways[0] is ways[1]:
            return ways[0]
        held = next((merged for per_way, merged in names if all(a is b for a, b in zip(per_way, ways))), None)
        if held is not None:
            return held
        aliasing = self.lowering.aliasing
        regions = value.owner.regions if isinstance(value.owner, Op) else []
        before = [v for v in ways if isinstance(v, Value) and not any(is_inside(defining_block(v), r) for r in regions)]
        viewed = [aliasing.of(v).parent for v in ways if isinstance(v, Value) and v not in before and aliasing.of(v)]
        # a global (or closure, or default) array on one way: a write through the value is refused
        outside = [v for v in ways if isinstance(v, Free) and v.holds_arrays]
        if len(before) == 1 and not viewed and not outside:
            aliasing.record(value, View(before[0], np.asarray, [], {}, False))
        elif before or viewed or outside:
            first, *others = outside + before + viewed
            aliasing.record(value, View(first, None, []))  # a write through it is refused
            for other in others:  # so is one into the other array (`x2 += 1` after `v = x1 if c else x2`)
                if isinstance(other, Value):
                    aliasing.record_also(value, other)
        for way in ways:
            for view in aliasing.also(way):
                aliasing.record_also(value, view.parent)
        return value

    def structured_if(self, cond: Abstract, then: Callable[[], Abstract], orelse: Callable[[], Abstract], node: gast.AST, hint: str = "t",
                      branches: list | None = None, merged: list | None = None) -> Value:
        """An `if` op whose branches compute one value each (`a if c else b`, `c and d`). A branch that
        rebinds names (a helper's in-place write into the caller's array, `h(a) if c else 0`) has
        them merged as an if statement merges them; nothing it binds leaks out of its region."""
        self.at(node)
        envs = list({id(e): e for e in [*(ctx.env_now for ctx in self.lowering.contexts), self.env_now]}.values())
        before = [dict(e) for e in envs]
        op = Op("if", [self.operand(cond)], regions=[Block(), Block()])
        values, after = [], []
        # the functions lowering in this block (a closure's enclosing one, a helper's callers) follow
        # into each branch: a write there through their names (`h(x) if c else 0` in a closure,
        # h writing x) rebinds them where the merge below sees it
        followers = [ctx for ctx in self.lowering.contexts if ctx is not self and ctx.builder.block is self.builder.block]
        for region, make in zip(op.regions, (then, orelse)):
            saved = self.builder
            previous = [ctx.builder for ctx in followers]
            self.builder = Builder(region, saved.loc)
            for ctx in followers:
                ctx.builder = self.builder
            values.append(self.operand(make()))
            self.builder = saved
            for ctx, builder in zip(followers, previous):
                ctx.builder = builder
            if branches is not None:
                branches.append(values[-1])
            after.append([dict(e) for e in envs])
            for e, b in zip(envs, before):
                e.clear()
                e.update(b)
        changed = [[n for n in b if all(n in a[k] for a in after) and any(a[k][n] is not b[n] for a in after)
                    and not any(isinstance(a[k][n], (LocalFunction, Static)) for a in after)]
                   for k, b in enumerate(before)]
        carried = [(k, n) for k, names in enumerate(changed) for n in names]
        shapes = [_merge_shape(after[0][k][n], after[1][k][n]) for k, n in carried]
        for region, value, branch in zip(op.regions, values, after):
            saved = self.builder
            self.builder = Builder(region, saved.loc)
            leaves = [self.operand(leaf) for (k, n), shape in zip(carried, shapes) for leaf in _leaves(branch[k][n], shape)]
            self.builder.op(Op("yield", [value, *leaves]))
            self.builder = saved
        op.results = [Value(hint)] + [Value(n) for (k, n), shape in zip(carried, shapes) for _ in range(_count(shape))]
        self.builder.op(op)
        results = iter(op.results[1:])
        for (k, n), shape in zip(carried, shapes):
            envs[k][n] = _rebuild(shape, results)
        for k, names in enumerate(changed):
            if names:
                self.merge_views(names, [after[0][k], after[1][k]], envs[k], op.regions)
        if merged is not None:  # each rebound name: what it held on each way, and after
            merged += [((after[0][k][n], after[1][k][n]), envs[k][n]) for k, n in carried]
        return op.results[0]


def _merge_shape(a: Abstract, b: Abstract) -> Any:
    """The common structure of two branch values: None (one value) or (kind, [item shapes])."""
    if isinstance(a, Seq) and isinstance(b, Seq) and len(a.items) == len(b.items) and a.kind == b.kind:
        return (a.kind, [_merge_shape(x, y) for x, y in zip(a.items, b.items)])
    if isinstance(a, Seq) and b is UNBOUND:  # a result not yet set on the other path
        return (a.kind, [_merge_shape(x, UNBOUND) for x in a.items])
    if isinstance(b, Seq) and a is UNBOUND:
        return (b.kind, [_merge_shape(UNBOUND, y) for y in b.items])
    return None


def _leaves(value: Abstract, shape: Any) -> list:
    if shape is None:
        return [value]
    kind, items = shape
    parts = value.items if isinstance(value, Seq) else [UNBOUND] * len(items)
    return [leaf for part, item in zip(parts, items) for leaf in _leaves(part, item)]


def _count(shape: Any) -> int:
    return 1 if shape is None else sum(_count(item) for item in shape[1])


def _rebuild(shape: Any, results: Any) -> Abstract:
    if shape is None:
        return next(results)
    kind, items = shape
    return Seq([_rebuild(item, results) for item in items], kind)


def _truthy(value: Abstract) -> bool:
    return bool(value.value) if isinstance(value, Const) else bool(value.obj)
