"""Writes across `if` and loop boundaries: which names a region must carry because an in-place
write inside it reaches them (this function's, hidden ones for rows sources and orphaned bases, and
its callers' while it is an inlined helper), which carried names stay views of others through the
region, and lowering a region again when a write reached a name it did not carry."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any, Callable

import gast
import numpy as np

from ..errors import SrcgradError
from ..ir import Const, Free, Value
from ..ir.nodes import defining_block, is_inside
from .aliasing import View
from .calls import _is_library as is_library
from .item_writes import _leaves
from .resolve import Abstract, LocalFunction, Seq, Static, resolve_free
from .source import parse_function


class RegionAliasing:
    """Writes across `if` and loop boundaries (mixed into the function lowering with ControlFlow):
    which names a region must carry because a write inside it reaches them, and which carried
    names stay views of (or the same array as) others through it."""

    def storage_names(self, stmts: list[gast.stmt], env: dict, targets: tuple = (), also: list | None = None) -> list[str]:
        """Names bound before `stmts` whose storage a write inside them can reach: they are carried.
        `targets`: a loop's target names; a write to one reaches the rows' array (its hidden name)."""
        written: set[str] = set(also or ())
        for stmt in stmts:
            for n in gast.walk(stmt):
                if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                    written.add(n.target.id)
                elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name):
                    written.add(n.value.id)
                elif isinstance(n, gast.Call) and self._may_write_arguments(n.func, env):
                    written.update(a.id for a in [*n.args, *(k.value for k in n.keywords)] if isinstance(a, gast.Name))
        written |= _flowing_into(stmts, written)  # `x, v = v, x` in a loop: v holds x's array next
        if written & set(targets):
            written.update(n for n in env if n.startswith(".iter"))
        aliasing = self.lowering.aliasing
        roots = {id(aliasing.root(leaf)): aliasing.root(leaf) for w in written if w in env
                 for leaf in _leaves(env[w]) if isinstance(leaf, Value)}
        # A caller's name for an array this region writes, or rebinds (`a0 = a0` keeps the array, and
        # a write after the region reaches the caller through it), travels through the region hidden.
        reach = dict(roots)
        reach.update({id(aliasing.root(leaf)): aliasing.root(leaf) for w in _rebound_names(stmts) if w in env
                      for leaf in _leaves(env[w]) if isinstance(leaf, Value)})
        for i, ctx in enumerate(self.lowering.contexts):
            if ctx is self or ctx.builder.block is not self.builder.block:
                continue  # this function's own, or travelling already as hidden names
            for other, bound in ctx.env_now.items():
                if any(isinstance(leaf, Value) and id(aliasing.root(leaf)) in reach for leaf in _leaves(bound)):
                    env[f".outer{i}:{other}"] = bound  # a caller's name the region's writes reach
        rebound = _rebound_names(stmts)  # a name rebound in the region may not hold its array after it
        bound_values = {id(leaf) for name, bound in env.items() if name not in rebound for leaf in _leaves(bound)}
        for leaf in [leaf for bound in list(env.values()) for leaf in _leaves(bound)]:
            if not isinstance(leaf, Value) or id(aliasing.root(leaf)) not in roots:
                continue
            for base in self._chain(leaf):
                if id(base) not in bound_values:
                    # an array no name holds any more, that a view still reaches (`v = a[1:];
                    # w = v[:2]; v = v * 2`): the region carries it under a hidden name, so
                    # writes reach through it there and after
                    env[f".storage{len([k for k in env if k.startswith('.storage')])}"] = base
                    bound_values.add(id(base))
        return [n for n, bound in env.items()
                if any(isinstance(leaf, Value) and id(aliasing.root(leaf)) in roots for leaf in _leaves(bound))
                or n.startswith(".outer")]

    def _may_write_arguments(self, func: gast.expr, env: dict) -> bool:
        """Whether a call may write into its array arguments: a user function with in-place writes
        or calls of its own (a library function never does: `out=` is refused)."""
        if not isinstance(func, gast.Name):
            return False
        callee = env.get(func.id)
        if callee is None:
            callee = resolve_free(self.scope, func.id)
        if isinstance(callee, LocalFunction):
            node = callee.node
        elif isinstance(callee, Static) and inspect.isfunction(callee.obj) and not is_library(callee.obj):
            try:
                node = parse_function(callee.obj).node
            except SrcgradError:
                return True
        else:
            return False
        return any(isinstance(n, gast.AugAssign) or isinstance(n, gast.Call)
                   or (isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)) for n in gast.walk(node))

    def carry_views(self, names: list[str], entry: dict, body_env: dict, args: dict, loop: gast.AST) -> list:
        """Inside a loop body, a carried name that was a view of (or the same value as) another carried
        name on entry is so again, if neither is rebound in the body; so is one unbound on entry that
        an earlier lowering of the body found to end as a view. Returns what to check at its end."""
        aliasing = self.lowering.aliasing
        rebound = _rebound_names(loop.body)
        kept = []
        for n, assumption in self.lowering.assumed_views.get(id(loop), {}).items():
            if assumption is None:
                continue  # assumed once, and it did not hold
            m, view = assumption
            if n in args and m in args:
                aliasing.record(args[n], view.rebased(args[m]))
                kept.append((n, m, view))
        outside = self.lowering.assumed_outside.setdefault(id(loop), {})
        for n in names:
            root = aliasing.root(entry.get(n))
            if isinstance(root, Free) and root.holds_arrays:
                outside.setdefault(n, root)
            if n in outside:
                aliasing.record(args[n], View(outside[n], None, []))  # a write to it is refused
        for n in names:
            if any(n == k for k, _, _ in kept):
                continue
            if n in entry and (aliasing.is_written(aliasing.root(entry[n]))
                               or self.lowering.is_parameter(aliasing.root(entry[n]))):
                aliasing.note_written(args[n])  # a version of a parameter some trip may have written
            value = entry.get(n)
            if not isinstance(value, Value):
                continue
            view = aliasing.of(value)
            # the same array as an earlier name first: two names of one array stay one array, whatever
            # that array views (each a view of its parent alone would part where the view test fails)
            same = [m for m in names[:names.index(n)] if entry.get(m) is value]
            parents = [m for m in names if m != n and view is not None and view.parent is entry.get(m)]
            for m in same + parents:
                if n in rebound or m in rebound:
                    # A view on the first trip; after a rebinding, perhaps not: the run-time test
                    # decides (every recorded view is a real view in the adjoint, so it can).
                    like = View(args[m], np.asarray, [], {}, False) if view is None or view.parent is not entry.get(m) \
                        else replace(view.rebased(args[m]), always=False)
                    aliasing.record(args[n], like)
                elif entry.get(m) is value:
                    body_env[n] = args[m]
                    kept.append((n, m, None))
                else:
                    aliasing.record(args[n], view.rebased(args[m]))
                    kept.append((n, m, view))
                break
        return kept

    def check_carried_views(self, kept: list, names: list[str], entry: dict, body_env: dict,
                            node: gast.AST) -> None:
        """At a loop body's end: what the body start assumed holds; a name unbound on entry that ends
        as a view of another carried name is lowered again assuming it (each trip but the first
        starts with it so, and the first cannot read it)."""
        aliasing = self.lowering.aliasing
        assumed = self.lowering.assumed_views.setdefault(id(node), {})
        outside = self.lowering.assumed_outside.setdefault(id(node), {})
        found = False
        for n in names:
            root = aliasing.root(body_env.get(n))
            if n not in outside and isinstance(root, Free) and root.holds_arrays:
                outside[n] = root  # the next trip starts with it so
                found = True
        for n in names:
            view = aliasing.of(body_env.get(n))
            if n in entry or n in assumed or view is None or any(n == k for k, _, _ in kept):
                continue
            if view.fn is None and view.candidate is not None and view.candidate[0] in names:
                parent, view = view.candidate
            elif view.fn is not None:
                parent = next((m for m in names if m != n and body_env.get(m) is view.parent), None)
            else:
                continue
            loop_body = self.builder.block
            if parent is not None and all(not isinstance(a, Value) or not is_inside(defining_block(a), loop_body)
                                          for a in [*view.args, *view.kwargs.values()]):
                assumed[n] = (parent, view)
                found = True
        if found:
            raise _Uncarried([], again=True)
        for n, m, view in kept:
            value, parent = body_env.get(n), body_env.get(m)
            if view is None:
                held = value is parent
            else:
                now = aliasing.of(value)
                held = now is not None and now.parent is parent and now.same_as(view)
            if not held and assumed.get(n) is not None:
                assumed[n] = None  # lower the body again without assuming it
                raise _Uncarried([], again=True)
            if not held:
                raise self.error(node, f"a loop in which '{n}' stops being a view of '{m}'",
                                 f"take a copy before the loop: {n} = {n}.copy()")

    def merge_views(self, names: list[str], paths: list[dict], env: dict, regions: list, unchanged: tuple = (),
                    after: dict | None = None) -> None:
        saved, self._leaving = self._leaving, regions  # the region's own blocks, what `_visible` tests against
        try:
            self._merge_views(names, paths, env, unchanged, after)
        finally:
            self._leaving = saved

    def _merge_views(self, names: list[str], paths: list[dict], env: dict, unchanged: tuple,
                     after: dict | None) -> None:
        """After an `if` or a loop (`paths`: the names as bound at the end of each way through it),
        a name — or an item of a tuple or list a name holds — that is on every path the same value as
        another carried name, or the same view of it, is so after it too (the same value perhaps, where
        one path only knows at run time: `y = h; h += v`); one that is a view on some path only
        cannot be followed further."""
        aliasing = self.lowering.aliasing
        after = after or {}  # id(a loop body's argument) -> that name's value after the loop
        uncarried = self._uncarried_values(names, env)  # the loop below rebinds carried names only
        holders: dict[int, dict[int, list[str]]] = {}  # per path: id(array) -> the names holding it there
        for p in paths:
            index = holders[id(p)] = {}
            for m, bound in p.items():
                if m not in env:
                    continue  # a name of the path's own, dead after the region
                for leaf in _leaves(bound):
                    index.setdefault(id(leaf), []).append(m)
        merged_slots: list[tuple] = []
        for i, n in enumerate(names):
            if n in unchanged:
                continue  # bound again to its value from before the loop (ControlFlow.loop_results)
            for path in _leaf_paths(env.get(n)):
                ways = [p for p in paths if n in p]  # where n is unbound, Python would fail reading it after
                values = [_at(p[n], path) for p in ways]
                if any(aliasing.is_written(v) for v in values):
                    aliasing.note_written(_at(env.get(n), path))
                roots = [aliasing.root(v) for v in values]  # a global reached through a view, too
                outside = next((v for v in roots if isinstance(v, Free) and v.holds_arrays), None)
                if outside is not None and isinstance(_at(env[n], path), Value):
                    aliasing.record(_at(env[n], path), View(outside, None, []))  # a write to it is refused
                    continue
                # a number on some path (`a = 0` in a loop that may not run, a global list or number) is
                # an array of its own there
                if not ways or not all(isinstance(v, (Value, Const, Free)) for v in values) \
                        or not any(isinstance(v, Value) for v in values):
                    continue
                merged = self._merged_relation(n, path, names, i, ways, values, env, uncarried,
                                               [holders[id(p)] for p in ways])
                if isinstance(merged, Value):
                    env[n] = _with_leaf(env[n], path, merged)
                    continue
                if merged is not None and isinstance(_at(env[n], path), Value):
                    if not self._visible(merged.parent):
                        merged = self._outside_base(merged, after)
                    if merged is not None:
                        aliasing.record(_at(env[n], path), merged)
                if isinstance(_at(env[n], path), Value):
                    merged_slots.append((_at(env[n], path), n, ways, values))
        for mine, n, ways, values in merged_slots:  # once every relation is known (a chain may pass a later name)
            self._note_alternatives(mine, n, ways, values, names, env, after)

    def _note_alternatives(self, mine: Value, n: str, ways: list[dict], values: list, names: list[str], env: dict,
                           after: dict) -> None:
        """The arrays from before the region that `mine` may be (or view) on some way, beside the
        one its recorded relation follows: a write into one of them is refused while it lives
        (`if c: v = x1 else: v = x2`, then `x2 += 1`). An array a carried name holds on that way is
        that name's array after the region."""
        aliasing = self.lowering.aliasing
        covered = {id(mine)}
        parent: Any = mine
        while (view := aliasing.of(parent)) is not None:
            parent = view.parent
            covered.add(id(parent))
        # only an array a live name reaches can be written later (a parameter's array a rebound name
        # held is not: the adjoint writes a copy of it, never it)
        live = {id(aliasing.root(leaf)) for e in self._live_envs() for m, b in e.items() if m != n for leaf in _leaves(b)}
        for way, v in zip(ways, values):
            for storage in [v, *(a.parent for a in aliasing.also(v))]:
                root = aliasing.root(storage)
                if isinstance(root, Value) and not self._visible(root):
                    root = after.get(id(root))  # a loop body's argument: that name after the loop
                if not isinstance(root, Value):
                    continue  # an array of the region's own, or from outside the function
                holders = [m for m in names if m != n and way.get(m) is root and isinstance(env.get(m), Value)]
                for array in [aliasing.root(env[m]) for m in holders] or [root]:
                    if isinstance(array, Value) and id(array) not in covered and id(array) in live:
                        covered.add(id(array))
                        aliasing.record_also(mine, array)

    def _merged_relation(self, n: str, path: tuple, names: list[str], i: int, ways: list[dict], values: list,
                         env: dict, uncarried: list[Value], holders: list[dict]) -> Value | View | None:
        """What one merged slot is: another name's merged value, a view of one, or neither (None).
        `holders`: per way, the names holding each array there (by id)."""
        aliasing = self.lowering.aliasing
        others = [m for m in names if m != n and isinstance(env.get(m), Value)]
        before = set(names[:i])
        earlier = [m for m in others if path or m in before]
        same = next((m for m in earlier if all(p.get(m) is v for p, v in zip(ways, values))), None)
        if same is not None:
            return env[same]
        views = [aliasing.of(v) for v in values]
        # The same array as another name on some paths, where known, a run-time identity elsewhere
        # (`h += v` of a maybe-number), or an array of its own: `y = x; if c: x = x * 2` leaves x
        # the array y holds only when c is false, which the adjoint tests when x is written.
        mine = _at(env[n], path)
        # names merged already as (maybe) views of this one have their relation to it
        related = {m for m in names if m != n and isinstance(env.get(m), Value) and aliasing.root(env[m]) is mine}
        # later names holding this very value on every path merge into it in their turn (a loop over
        # `a`'s rows carries `a` and its hidden rows source, one array)
        related |= {m for m in names if m != n and not path and all(p.get(m) is v for p, v in zip(ways, values))}
        # whether another name (not merged into this one) holds this way's value there
        held = [any(m != n and m not in related for m in index.get(id(v), ())) for v, index in zip(values, holders)]
        # a candidate is this way's value, or the array it is np.asarray of, on some way
        keys = [(id(v), id(view.parent) if view is not None and view.fn is np.asarray else None)
                for v, view in zip(values, views)]
        wanted = {key for pair in keys for key in pair}
        holding = {m for pair, index in zip(keys, holders) for key in pair for m in index.get(key, ())}
        later = [m for m in others if m not in earlier]  # the callers' names a helper's region carries, say
        candidates = [(env[m], [p.get(m) for p in ways]) for m in earlier + later if m not in related and m in holding]
        candidates += [(u, [u] * len(ways)) for u in uncarried if id(u) in wanted]
        for target, targets in candidates:
            kinds = [_same_array(v, view, t) or isinstance(v, (Const, Free))
                     or (view is None and not h and aliasing.root(t) is not v)
                     for v, view, t, h in zip(values, views, targets, held)]
            if all(kinds) and any(_same_array(v, view, t) for v, view, t in zip(values, views, targets)) \
                    and any(v is not t for v, t in zip(values, targets)):
                return View(target, np.asarray, [], {}, False)
        # Another name's array on some path, and no one relation on all of them (`if c: x = b`, with
        # `y = x` before): a write to it, or to what it may be, is refused.
        shared = next((v for v, h in zip(values, held) if isinstance(v, Value) and h), None)
        if not any(views):
            return None if shared is None else View(shared, None, [])
        # the same view of one name on every path: so it is after (views of it merged already keep theirs)
        parent = next((m for m in env if m != n and all(view is not None and view.parent is p.get(m)
                                                          for view, p in zip(views, ways))), None)
        if parent is not None and all(views[0].same_as(v) for v in views[1:]) and self._visible_after(views[0]):
            return views[0].rebased(env[parent])
        if related:  # with views of it merged already, it is their storage
            return None if shared is None else View(shared, None, [])
        first = next(k for k, view in enumerate(views) if view is not None)
        root = aliasing.root(values[first])
        candidate = next(((m, view) for view, way in zip(views, ways) if view is not None and view.fn is not None
                          for m in env if m != n and way.get(m) is view.parent), None)
        owner = next((m for m in names if ways[first].get(m) is root and m not in related), None)
        if owner is not None:
            return View(env[owner], None, [], candidate=candidate)
        if all(p.get(k) is env.get(k) for p in ways for k in env if env.get(k) is root):
            return View(root, None, [], candidate=candidate)
        return None if shared is None else View(shared, None, [])

    def _uncarried_values(self, names: list[str], env: dict) -> list[Value]:
        """The arrays names the region does not carry hold (items of their tuples and lists too), and
        the arrays those are views of (`v = x[None]` keeps `x`'s array alive after `x` is rebound)."""
        found: dict[int, Value] = {}
        aliasing = self.lowering.aliasing
        # the callers' names, while this is an inlined helper, too: `h(x)` whose `if` rebinds its
        # parameter on one path leaves it the caller's x on the other
        outer = [v for ctx in self.lowering.contexts if ctx is not self for v in ctx.env_now.values()]
        for bound in [b for m, b in env.items() if m not in names] + outer:
            for leaf in _leaves(bound):
                for value in (leaf, aliasing.root(leaf)):
                    if isinstance(value, Value):
                        found.setdefault(id(value), value)
        return list(found.values())

    def _outside_base(self, merged: View, after: dict) -> View | None:
        """`merged` has a parent made inside the region: the same relation to a loop's own name for it
        after the loop, else a view srcgrad cannot follow (a write is refused) of the first array
        outside the region that parent views (`row` of `for row in x` views x); None if it views
        nothing from outside (an array of the region's own, which no name holds after it)."""
        parent: Any = merged.parent
        if id(parent) in after:
            return merged.rebased(after[id(parent)])
        while isinstance(parent, Value) and not self._visible(parent):
            if id(parent) in after:
                return View(after[id(parent)], None, [])
            view = self.lowering.aliasing.of(parent)
            parent = view.parent if view is not None else None
        return View(parent, None, []) if parent is not None else None

    def _visible(self, value: Any) -> bool:
        """Whether `value` can be used after the region being merged: it is not a value of the
        region's own (its blocks are known while `merge_views` runs; an enclosing region may not be
        attached to its op yet, so walking up from where lowering is now would not find them)."""
        if not isinstance(value, Value):
            return True
        block = defining_block(value)
        return block is not None and not any(is_inside(block, r) for r in self._leaving)

    def _visible_after(self, view: View) -> bool:
        """Whether `view` can be replayed after the region: its operands are not values of the
        region's own (a loop's index, say)."""
        return all(self._visible(a) for a in [*view.args, *view.kwargs.values()])

    def check_uncarried(self, names: list[str], before: dict, paths: list[dict], node: gast.AST) -> None:
        """A write inside a region reached a name the region does not carry (through a view made
        inside it): lower the region again, carrying it (`retrying`)."""
        missed = [n for n, value in before.items() if n not in names and not n.startswith((".iter", ".outer"))
                  and any(n in p and p[n] is not value and not isinstance(p[n], LocalFunction) for p in paths)]
        if missed:
            raise _Uncarried(missed)

    def return_outer_names(self, env: dict) -> None:
        """After a region: the callers' names it carried (hidden) are theirs again, once lowering is
        back in their block."""
        for key in [k for k in env if k.startswith(".outer")]:
            index, name = key[len(".outer"):].split(":", 1)
            ctx = self.lowering.contexts[int(index)]
            if ctx.builder.block is self.builder.block:
                ctx.env_now[name] = env.pop(key)

    def retrying(self, env: dict, node: gast.AST, lower: Callable[[list[str]], None]) -> None:
        """Lower a region; if a write inside it reached names it did not carry, lower it again
        carrying them too, from the same state (the failed attempt's ops are dropped)."""
        extra: list[str] = []
        while True:
            saved = (dict(env), {k: list(v) for k, v in self.lowering.bindings.items()}, self.builder,
                     self.builder.block, len(self.builder.block.ops), self.env_now, self.builder.loc)
            try:
                lower(extra)
                self.return_outer_names(env)
                return
            except _Uncarried as missed:
                new = [n for n in missed.names if n not in extra]
                again = missed.again
                env.clear()
                env.update(saved[0])
                self.lowering.bindings.clear()
                self.lowering.bindings.update(saved[1])
                self.builder, self.env_now = saved[2], saved[5]
                self.builder.loc = saved[6]
                del saved[3].ops[saved[4]:]
                if not new and not again:
                    raise self.error(node, f"a write inside this block that reaches '{missed.names[0]}' "
                                           "through another name", f"copy '{missed.names[0]}' before the block")
                extra += new


class _Uncarried(Exception):
    """A region's write reached names it does not carry (caught by `retrying`)."""

    def __init__(self, names: list[str], again: bool = False):
        super().__init__(names)
        self.names, self.again = names, again


_VIEW_FUNCTIONS = {"asarray", "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze", "expand_dims",
                   "atleast_1d", "atleast_2d", "atleast_3d", "split", "array_split", "broadcast_to", "diagonal"}


def _flowing_into(stmts: list[gast.stmt], written: set[str]) -> set[str]:
    """The names whose arrays may reach a name of `written` through the region's assignments (a
    name, an item, an attribute, a method's or a view function's result: what may be a view),
    transitively: a write through the written name may reach their arrays."""
    edges: dict[str, set[str]] = {}
    for stmt in stmts:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    for name, sources in _assigned_sources(target, node.value):
                        edges.setdefault(name, set()).update(sources)
    found, todo = set(), list(written)
    while todo:
        for source in edges.get(todo.pop(), ()):
            if source not in found and source not in written:
                found.add(source)
                todo.append(source)
    return found


def _assigned_sources(target: gast.expr, value: gast.expr) -> list[tuple[str, set[str]]]:
    if isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List)) \
            and len(target.elts) == len(value.elts):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _assigned_sources(t, v)]
    sources = _view_sources(value)
    return [(n.id, sources) for n in gast.walk(target) if isinstance(n, gast.Name)]


def _view_sources(expr: gast.expr) -> set[str]:
    """The names whose array `expr` may be, or view."""
    if isinstance(expr, gast.Name):
        return {expr.id}
    if isinstance(expr, (gast.Subscript, gast.Attribute, gast.Starred)):
        return _view_sources(expr.value)
    if isinstance(expr, gast.IfExp):
        return _view_sources(expr.body) | _view_sources(expr.orelse)
    if isinstance(expr, (gast.Tuple, gast.List)):
        return {n for e in expr.elts for n in _view_sources(e)}
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute):
        if isinstance(expr.func.value, gast.Name) and expr.func.attr in _VIEW_FUNCTIONS and expr.args:
            return _view_sources(expr.args[0])  # np.reshape(a, ...)
        return _view_sources(expr.func.value)  # a.reshape(...), a.T.copy() (a method may give a view)
    return set()


def _rebound_names(stmts: list[gast.stmt]) -> set[str]:
    """Names bound anew in `stmts` (by `=`, unpacking, a for target), not by `op=` or an item write."""
    augmented = {id(n.target) for s in stmts for n in gast.walk(s) if isinstance(n, gast.AugAssign)}
    return {n.id for s in stmts for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and id(n) not in augmented}


def _same_array(v: Abstract, view: View | None, target: Abstract) -> bool:
    """`v` is `target`, or `np.asarray` of it where NumPy decides at run time."""
    return v is target or (view is not None and view.fn is np.asarray and view.parent is target)


def _leaf_paths(value: Abstract, prefix: tuple = ()) -> list[tuple]:
    """The positions of the values in `value` (`()` for a value itself; item indices into tuples)."""
    if isinstance(value, Seq):
        return [p for k, item in enumerate(value.items) for p in _leaf_paths(item, prefix + (k,))]
    return [prefix]


def _at(value: Abstract, path: tuple) -> Abstract:
    for k in path:
        if not isinstance(value, Seq) or k >= len(value.items):
            return None
        value = value.items[k]
    return value


def _with_leaf(value: Abstract, path: tuple, leaf: Abstract) -> Abstract:
    if not path:
        return leaf
    items = list(value.items)
    items[path[0]] = _with_leaf(items[path[0]], path[1:], leaf)
    return Seq(items, value.kind)
