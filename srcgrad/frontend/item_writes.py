"""Lowering in-place writes — `y[i] = v`, `y[i] += v`, `h += v` — as functional updates.

The IR never mutates. A write makes a new version of the array written (`setitem`, or the
operator's result), then of every array it is a view of, up to the storage's root (a write
through `v = a[1:]` makes a new `a`), and then re-derives every other live name of that storage
from the new versions by replaying its view (`w = a[:2]` becomes `a_1[:2]`). Names in the
caller of an inlined helper are live too: `scale(arr, s)` that does `arr *= s` changes the
caller's array. Where NumPy decides only at run time whether a value is a view, an `if` on the
run-time test (frontend/aliasing.py) picks the new version or the old one.
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import replace
from typing import Any, Callable

import gast
import numpy as np

from ..errors import SrcgradError
from ..ir import Const, Value
from ..ir.nodes import defining_block, is_inside
from ..runtime import core
from ..runtime.views import is_array, write_view
from .aliasing import VIEW_NAMES, View
from .calls import _is_library as is_library
from .resolve import Abstract, LocalFunction, Seq, Static, resolve_free
from .source import parse_function


class ItemWrites:
    """The in-place half of a function's lowering (mixed into `lower._FunctionContext`)."""

    def store_item(self, target: gast.Subscript, value: Abstract, env: dict, op: Any = None) -> None:
        """`y[i] = v` (or `y[i] += v`): a new version of y with the slot replaced."""
        if not isinstance(target.value, gast.Name):
            raise self.error(target, "assignment to an item of an expression", "assign to an item of a named array")
        name = target.value.id
        base = self.name(target.value, env)
        if isinstance(base, Seq):
            raise self.error(target, "assignment to an item of a tuple or list", "build a new list instead")
        index = self.index(target.slice, env)
        if op is not None:
            current = self.call_op(operator.getitem, [base, index], {}, name, view=False)
            value = self.binary(op, current, value, target)
        self.at(target)
        new = self.call_op(core.setitem, [base, index, value], {}, name)
        self.write(env, name, base, new, target, in_place=True)
        if self.top_body is not None:
            self.lowering.bindings.setdefault(name, []).append((None, self.builder.block is self.top_body))

    def write(self, env: dict, name: str, old: Abstract, new: Abstract, node: gast.AST, *, in_place: bool) -> None:
        """`name` now holds `new`, what `old` holds after the write; every other name of the same
        storage follows. `in_place`: the write changed `old` itself (an item write); else (`h += v`)
        only an array is changed in place, and a number is rebound."""
        aliasing = self.lowering.aliasing
        if isinstance(old, Seq) and old.kind == "list" and isinstance(new, Seq):
            self.mutated(env, name, old, new)  # xs += [v] extends the list every name of it sees
            return
        if not isinstance(old, Value):
            env[name] = new
            return
        if in_place or aliasing.of(old) is not None:
            self.lowering.note_root_written(aliasing.root(old), node)
        of_parameter = self.lowering.is_parameter(aliasing.root(old)) or aliasing.is_written(aliasing.root(old))
        if of_parameter:
            aliasing.note_written(new)
        view = aliasing.of(old)
        aliases, dependents = self._sharers(old)
        if view is None and not aliases and not dependents:
            env[name] = new  # nothing else sees `old`: a plain rebinding
            return
        if view is not None and view.read_only:
            raise self.error(node, f"writing into '{name}', a read-only view (np.{view.fn.__name__})",
                             f"take a copy first: {name} = {name}.copy()")
        # The write reaches up the chain of views, to the storage's root: a new version of each base.
        chain: list[tuple[Value, View]] = []
        child, child_view = old, view
        while child_view is not None:
            if child_view.fn is None:
                raise self.error(node, f"writing into '{name}', a view srcgrad cannot follow here",
                                 f"take a copy before the loop or branch: {name} = {name}.copy()")
            chain.append((child, child_view))
            child, child_view = child_view.parent, aliasing.of(child_view.parent)
        tests = {id(c): aliasing.test(c, v, self.builder) for c, v in chain if not v.always}
        written: dict[int, Abstract] = {id(old): new}
        for c, v in chain:
            written[id(v.parent)] = self._written_back(v.parent, written[id(c)], v, tests.get(id(c)), node)
        # Each view in the chain is its view of its parent's new version again (a view NumPy makes
        # only sometimes, only where it did), so the adjoint's arrays share memory as Python's do.
        final: dict[int, Abstract] = {id(child): written[id(child)]}
        for c, v in reversed(chain):
            parent_new = final[id(v.parent)]
            if v.always:
                final[id(c)] = self._replay(v, parent_new, c.hint)
            else:
                final[id(c)] = self.if_value(tests[id(c)], lambda v=v, p=parent_new, c=c: self._replay(v, p, c.hint),
                                             lambda c=c: written[id(c)], node, c.hint)
            if isinstance(final[id(c)], Value):
                aliasing.record(final[id(c)], v.rebased(parent_new))
        if of_parameter:
            for version in (*written.values(), *final.values()):
                aliasing.note_written(version)
        memo: dict[int, Abstract] = dict(final)
        if not (in_place or dependents or (view is not None and view.always)) and aliases:
            # `y = h; h += v`: y sees the update if h is an array (changed in place), not if a number
            test = self.call_op(is_array, [old], {}, f"{name}_is_array")
            updated = final[id(old)]
            memo[id(old)] = self.if_value(test, lambda: updated, lambda: old, node, name)
            if isinstance(updated, Value) and isinstance(memo[id(old)], Value):
                aliasing.record(memo[id(old)], View(updated, np.asarray, [], {}, False))
        for live in self._live_envs():
            for other, bound in list(live.items()):
                live[other] = self._rederived(bound, memo, node)
        env[name] = final[id(old)]

    def _replay(self, view: View, parent: Abstract, hint: str) -> Abstract:
        """`view`'s op again, on a new version of its parent."""
        return self.call_op(view.fn, [parent, *view.args], view.kwargs, hint, view=False)

    def _live_envs(self) -> list[dict]:
        """The names a write here can rebind: this function's, and those of the functions it is
        inlined into while lowering is in the same block (inside a helper's loop or branch, the
        callers' names travel as hidden names of the region: `storage_names`)."""
        block = self.builder.block
        return [ctx.env_now for ctx in self.lowering.contexts if ctx is self or ctx.builder.block is block]

    def _chain(self, value: Value) -> list[Value]:
        """The bases `value` is a view of, nearest first."""
        chain = []
        view = self.lowering.aliasing.of(value)
        while view is not None:
            chain.append(view.parent)
            view = self.lowering.aliasing.of(view.parent)
        return chain

    def _sharers(self, value: Value) -> tuple[bool, bool]:
        """Whether another live name holds `value` itself, and whether one holds a view of it."""
        aliasing = self.lowering.aliasing
        count, views = 0, False
        for live in self._live_envs():
            for bound in live.values():
                for leaf in _leaves(bound):
                    if leaf is value:
                        count += 1
                    elif isinstance(leaf, Value) and aliasing.of(leaf) is not None and value in self._chain(leaf):
                        views = True
        return count > 1, views

    def _written_back(self, parent: Value, child_new: Abstract, view: View, test: Abstract | None,
                      node: gast.AST) -> Abstract:
        """The new version of `parent` after its view came to hold `child_new` (`test`: whether it
        is a view at all, where NumPy decides at run time)."""
        def write() -> Abstract:
            if view.fn is operator.getitem:
                return self.call_op(core.setitem, [parent, view.args[0], child_new], {}, parent.hint)
            args = [Const(VIEW_NAMES[view.fn]), *view.args, *view.kwargs.values()]
            return self.call_op(write_view, [parent, child_new, *args], {}, parent.hint)

        if test is None:
            return write()
        return self.if_value(test, write, lambda: parent, node, parent.hint)

    def _rederived(self, bound: Abstract, memo: dict, node: gast.AST) -> Abstract:
        """`bound` after the write: its new version if the write reached its storage, else itself."""
        if isinstance(bound, Seq):
            if id(bound) not in memo:
                items = [self._rederived(item, memo, node) for item in bound.items]
                memo[id(bound)] = bound if all(a is b for a, b in zip(items, bound.items)) else Seq(items, bound.kind)
            return memo[id(bound)]
        if not isinstance(bound, Value):
            return bound
        if id(bound) in memo:
            return memo[id(bound)]
        aliasing = self.lowering.aliasing
        view = aliasing.of(bound)
        if view is None:
            return bound
        parent_new = self._rederived(view.parent, memo, node)
        if parent_new is view.parent:
            memo[id(bound)] = bound
            return bound
        if view.fn is None:
            raise self.error(node, f"a write that reaches '{bound.hint}', a view srcgrad cannot follow here",
                             f"take a copy: {bound.hint} = {bound.hint}.copy()")

        def replay() -> Abstract:
            return self._replay(view, parent_new, bound.hint)

        new = replay() if view.always else self.if_value(aliasing.test(bound, view, self.builder), replay,
                                                          lambda: bound, node, bound.hint)
        if isinstance(new, Value):
            aliasing.record(new, view.rebased(parent_new))
        memo[id(bound)] = new
        return new

    def if_value(self, test: Abstract, then: Callable[[], Abstract], orelse: Callable[[], Abstract], node: gast.AST,
                 hint: str) -> Abstract:
        return self.structured_if(test, then, orelse, node, hint)

    @staticmethod
    def mutated(env: dict, name: str, old: Abstract, new: Abstract) -> None:
        """`name` now means `new` (a list grown or shrunk); so does every other name for the same list."""
        for other, bound in list(env.items()):
            if bound is old:
                env[other] = new
        env[name] = new


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


def _leaves(value: Abstract) -> list:
    if isinstance(value, Seq):
        return [leaf for item in value.items for leaf in _leaves(item)]
    return [value]


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
        bound_values = {id(leaf) for bound in env.values() for leaf in _leaves(bound)}
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
            for m in names:
                if m == n or not (entry.get(m) is value and names.index(m) < names.index(n)
                                  or view is not None and view.parent is entry.get(m)):
                    continue
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
        found = False
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

    def merge_views(self, names: list[str], paths: list[dict], env: dict) -> None:
        """After an `if` or a loop (`paths`: the names as bound at the end of each way through it),
        a name — or an item of a tuple or list a name holds — that is on every path the same value as
        another carried name, or the same view of it, is so after it too (the same value perhaps, where
        one path only knows at run time: `y = h; h += v`); one that is a view on some path only
        cannot be followed further."""
        aliasing = self.lowering.aliasing
        for i, n in enumerate(names):
            for path in _leaf_paths(env.get(n)):
                ways = [p for p in paths if n in p]  # where n is unbound, Python would fail reading it after
                values = [_at(p[n], path) for p in ways]
                if any(aliasing.is_written(v) for v in values):
                    aliasing.note_written(_at(env.get(n), path))
                if not ways or not all(isinstance(v, Value) for v in values):
                    continue
                merged = self._merged_relation(n, path, names, i, ways, values, env)
                if isinstance(merged, Value):
                    env[n] = _with_leaf(env[n], path, merged)
                elif merged is not None and isinstance(_at(env[n], path), Value):
                    aliasing.record(_at(env[n], path), merged)

    def _merged_relation(self, n: str, path: tuple, names: list[str], i: int, ways: list[dict], values: list,
                         env: dict) -> Value | View | None:
        """What one merged slot is: another name's merged value, a view of one, or neither (None)."""
        aliasing = self.lowering.aliasing
        others = [m for m in names if m != n and isinstance(env.get(m), Value)]
        earlier = [m for m in others if path or names.index(m) < i]
        same = next((m for m in earlier if all(p.get(m) is v for p, v in zip(ways, values))), None)
        if same is not None:
            return env[same]
        views = [aliasing.of(v) for v in values]
        for m in earlier:  # the same array where known, a run-time identity (`h += v` of a maybe-number) elsewhere
            kinds = [v is p.get(m) or (view is not None and view.fn is np.asarray and view.parent is p.get(m))
                     for v, view, p in zip(values, views, ways)]
            if all(kinds) and any(v is not p.get(m) for v, p in zip(values, ways)):
                return View(env[m], np.asarray, [], {}, False)
        if not any(views):
            return None
        parent = next((m for m in env if m != n and all(view is not None and view.parent is p.get(m)
                                                          for view, p in zip(views, ways))), None)
        if parent is not None and all(views[0].same_as(v) for v in views[1:]) and self._visible_after(views[0]):
            return views[0].rebased(env[parent])
        first = next(k for k, view in enumerate(views) if view is not None)
        root = aliasing.root(values[first])
        candidate = next(((m, view) for view, way in zip(views, ways) if view is not None and view.fn is not None
                          for m in env if m != n and way.get(m) is view.parent), None)
        owner = next((m for m in names if ways[first].get(m) is root), None)
        if owner is not None:
            return View(env[owner], None, [], candidate=candidate)
        if all(p.get(k) is env.get(k) for p in ways for k in env if env.get(k) is root):
            return View(root, None, [], candidate=candidate)
        return None

    def _visible_after(self, view: View) -> bool:
        """Whether `view` can be replayed where lowering is now, after a region: its operands are not
        values of the region's own (a loop's index, say)."""
        here = self.builder.block
        operands = [*view.args, *view.kwargs.values()]
        return all(not isinstance(a, Value) or (defining_block(a) is not None and is_inside(here, defining_block(a)))
                   for a in operands)

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


def _rebound_names(stmts: list[gast.stmt]) -> set[str]:
    """Names bound anew in `stmts` (by `=`, unpacking, a for target), not by `op=` or an item write."""
    augmented = {id(n.target) for s in stmts for n in gast.walk(s) if isinstance(n, gast.AugAssign)}
    return {n.id for s in stmts for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and id(n) not in augmented}
