"""Writes across `if` and loop boundaries: which names a region must carry because an in-place
write inside it reaches them (this function's, hidden ones for rows sources and orphaned bases, and
its callers' while it is an inlined helper), and which names stay views of others, or may be one of
several arrays, after it (views through a loop's trips: frontend/loop_views.py)."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import gast
import numpy as np

from ..errors import SrcgradError
from ..ir import Const, Free, Op, Value
from ..ir.nodes import defining_block, is_inside
from .aliasing import View
from .calls import _is_library as is_library
from .item_writes import _leaves
from .name_flow import flowing_into, rebound_names, rows_written
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
        written |= flowing_into(stmts, written)  # `x, v = v, x` in a loop: v holds x's array next
        written |= rows_written(stmts, written)  # `for r in x: r += 1` inside: x's array is written
        if written & set(targets):
            written.update(n for n in env if n.startswith(".iter"))
        aliasing = self.lowering.aliasing
        roots = {id(aliasing.root(leaf)): aliasing.root(leaf) for w in written if w in env
                 for leaf in _leaves(env[w]) if isinstance(leaf, Value)}
        # A caller's name for an array this region writes, or rebinds (`a0 = a0` keeps the array, and
        # a write after the region reaches the caller through it), travels through the region hidden.
        reach = dict(roots)
        reach.update({id(aliasing.root(leaf)): aliasing.root(leaf) for w in rebound_names(stmts) if w in env
                      for leaf in _leaves(env[w]) if isinstance(leaf, Value)})
        for i, ctx in enumerate(self.lowering.contexts):
            if ctx is self or ctx.builder.block is not self.builder.block:
                continue  # this function's own, or travelling already as hidden names
            for other, bound in ctx.env_now.items():
                if any(isinstance(leaf, Value) and id(aliasing.root(leaf)) in reach for leaf in _leaves(bound)):
                    env[f".outer{i}:{other}"] = bound  # a caller's name the region's writes reach
        rebound = rebound_names(stmts)  # a name rebound in the region may not hold its array after it
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
                if any(isinstance(leaf, Value) and self._reaches(leaf, roots) for leaf in _leaves(bound))
                or n.startswith(".outer")]

    def _reaches(self, leaf: Value, roots: dict) -> bool:
        """Whether `leaf` shares storage with one of `roots`, or may (`v = x if c else a`: a write
        into `a` in a loop reaches `v` on some paths, so the loop carries `v` and the write is
        refused there as it is outside a loop)."""
        aliasing = self.lowering.aliasing
        return id(aliasing.root(leaf)) in roots or any(
            id(aliasing.root(other.parent)) in roots for base in [leaf, *self._chain(leaf)] for other in aliasing.also(base))

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

    def merge_views(self, names: list[str], paths: list[dict], env: dict, regions: list, unchanged: tuple = (),
                    after: dict | None = None, entry: dict | None = None) -> None:
        """`entry`: for a loop that surely runs (`paths` its body only), the names on entry."""
        saved, self._leaving = self._leaving, regions  # the region's own blocks, what `_visible` tests against
        try:
            self._merge_views(names, paths, env, unchanged, after, entry)
        finally:
            self._leaving = saved

    def _merge_views(self, names: list[str], paths: list[dict], env: dict, unchanged: tuple,
                     after: dict | None, entry: dict | None) -> None:
        """After an `if` or a loop (`paths`: the names as bound at the end of each way through it),
        a name — or an item of a tuple or list a name holds — that is on every path the same value as
        another carried name, or the same view of it, is so after it too (the same value perhaps, where
        one path only knows at run time: `y = h; h += v`); one that is a view on some path only
        cannot be followed further."""
        aliasing = self.lowering.aliasing
        after = after or {}  # id(a loop body's argument) -> that name's value after the loop
        uncarried = self._uncarried_values(names, env)  # the loop below rebinds carried names only
        holders: dict[int, dict[int, list[str]]] = {}  # per path: id(array) -> the names holding it there
        for p in paths + ([entry] if entry is not None else []):
            index = holders[id(p)] = {}
            for m, bound in p.items():
                if m not in env:
                    continue  # a name of the path's own, dead after the region
                for leaf in _leaves(bound):
                    index.setdefault(id(leaf), []).append(m)
        merged_slots: list[tuple] = []
        replaced: dict[int, Value] = {}  # id(a merged value dropped) -> the earlier name's value it is
        for i, n in enumerate(names):
            if n in unchanged:
                continue  # bound again to its value from before the loop (ControlFlow.loop_results)
            for path in _leaf_paths(env.get(n)):
                ways = [p for p in paths if n in p]  # where n is unbound, Python would fail reading it after
                values = [_at(p[n], path) for p in ways]
                if entry is not None and not path and n in entry and any(self._keeps_own(v, env[n], after) for v in values):
                    ways, values = ways + [entry], values + [entry[n]]  # some trip may leave it as it was
                if any(aliasing.is_written(v) for v in values):
                    aliasing.note_written(_at(env.get(n), path))
                roots = [aliasing.root(v) for v in values]  # a global reached through a view, too
                outside = next((v for v in roots if isinstance(v, Free) and v.holds_arrays), None)
                if outside is not None and isinstance(_at(env[n], path), Value):
                    aliasing.record(_at(env[n], path), View(outside, None, []))  # a write to it is refused
                    continue
                # a number on some path (`a = 0` in a loop that may not run, a global list or number) is
                # an array of its own there
                if not ways or not all(isinstance(v, (Value, Const, Free, Seq)) for v in values) \
                        or not any(isinstance(v, Value) for v in values):
                    continue
                merged = self._merged_relation(n, path, names, i, ways, values, env, uncarried,
                                               [holders[id(p)] for p in ways], after)
                if isinstance(merged, Value):
                    replaced[id(_at(env[n], path))] = merged
                    env[n] = _with_leaf(env[n], path, merged)
                    continue
                if merged is not None and isinstance(_at(env[n], path), Value):
                    if not self._visible(merged.parent):
                        merged = self._outside_base(merged, after, [m for m in names if m != n], paths, env)
                if merged is None and isinstance(_at(env[n], path), Value) and not all(isinstance(v, Value) for v in values):
                    merged = self._shared_beside_another_kind(n, path, ways, values, env)
                if merged is not None and isinstance(_at(env[n], path), Value):
                    if merged.always and len(ways) < len(paths):
                        merged = replace(merged, always=False)  # unbound on some way: a view only where bound
                    aliasing.record(_at(env[n], path), merged)
                if isinstance(_at(env[n], path), Value):
                    merged_slots.append((_at(env[n], path), n, ways, values))
        for mine, *_ in merged_slots:  # a view of a name merged after it into another's value views that one
            view = aliasing.of(mine)
            if view is not None and id(view.parent) in replaced:
                aliasing.record(mine, view.rebased(replaced[id(view.parent)]))
        # only an array a live name reaches can be written later (a parameter's array a rebound name
        # held is not: the adjoint writes a copy of it, never it): per array, the names reaching it
        reached: dict[int, set[str]] = {}
        for e in self._live_envs() if merged_slots else ():
            for m, bound in e.items():
                for leaf in _leaves(bound):
                    for array in [leaf, *(a.parent for a in aliasing.also(leaf))]:  # `v = x if c else C`
                        reached.setdefault(id(aliasing.root(array)), set()).add(m)
        for mine, n, ways, values in merged_slots:  # once every relation is known (a chain may pass a later name)
            self._note_alternatives(mine, n, ways, values, names, env, after, reached)
            # an array a run-time list holds on some way (`if c: xs.append(x)`) may be held by it after
            held = next((e for e in map(aliasing.listed_entry, values) if e is not None), None)
            if held is not None and aliasing.listed_entry(mine) is None:
                aliasing.add_listed((mine, *held[1:]))

    def _note_alternatives(self, mine: Value, n: str, ways: list[dict], values: list, names: list[str], env: dict,
                           after: dict, reached: dict[int, set[str]]) -> None:
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

        def live(array: Value) -> bool:  # a name beside n reaches it
            return bool(reached.get(id(array), set()) - {n})

        for way, v in zip(ways, values):
            for storage in [v, *(a.parent for a in aliasing.also(v))]:
                root = aliasing.root(storage)
                # the array a carried name (or an item of its tuple: `t = (x, 1.0)`) holds on this way
                # is that name's (item's) array after the region
                held = [_at(env[m], q) for m in names if m != n and m in env for q in _leaf_paths(way.get(m))
                        if _at(way.get(m), q) is root and isinstance(_at(env[m], q), Value)]
                if isinstance(root, Value) and not self._visible(root):
                    root = after.get(id(root))  # a loop body's argument: that name after the loop
                if not isinstance(root, Value) and not held:
                    continue  # an array of the region's own, or from outside the function
                for array in [aliasing.root(a) for a in held] or [root]:
                    if isinstance(array, Value) and id(array) not in covered and live(array):
                        covered.add(id(array))
                        aliasing.record_also(mine, array)

    def _merged_relation(self, n: str, path: tuple, names: list[str], i: int, ways: list[dict], values: list,
                         env: dict, uncarried: list[Value], holders: list[dict], after: dict) -> Value | View | None:
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
        # A loop body that leaves n its own array on some trips (`if c: a = np.min(a)`, a maybe-view of
        # n's argument) leaves it, where not new, what it was on entry: another way covers that.
        own = [not path and len(ways) > 1 and self._keeps_own(v, env[n], after) for v in values]
        views = [None if o else view for view, o in zip(views, own)]
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
        held = [not o and any(m != n and m not in related for m in index.get(id(v), ()))
                for v, index, o in zip(values, holders, own)]
        # a candidate is this way's value, or the array it is np.asarray of, on some way
        keys = [(id(v), id(view.parent) if view is not None and view.fn is np.asarray else None)
                for v, view in zip(values, views)]
        wanted = {key for pair in keys for key in pair}
        holding = {m for pair, index in zip(keys, holders) for key in pair for m in index.get(key, ())}
        later = [m for m in others if m not in earlier]  # the callers' names a helper's region carries, say
        candidates = [(env[m], [p.get(m) for p in ways]) for m in earlier + later if m not in related and m in holding]
        candidates += [(u, [u] * len(ways)) for u in uncarried if id(u) in wanted]
        for target, targets in candidates:
            kinds = [_same_array(v, view, t) or isinstance(v, (Const, Free, Seq))
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

    def _shared_beside_another_kind(self, n: str, path: tuple, ways: list[dict], values: list,
                                    env: dict) -> View | None:
        """A name that is a tuple, list or number on some way and, on another, an array that another
        name holds or views (`t = (x, 1.0)`, `v = x[::1]`; `if c: x = (0, 1)`): a write through it is
        refused (a view srcgrad cannot follow), as the merge ties it to no one array. Names merged
        as views of it are its own (the write reaches them)."""
        aliasing = self.lowering.aliasing
        mine = _at(env[n], path)
        for way, v in zip(ways, values):
            if not isinstance(v, Value):
                continue
            for m, bound in way.items():
                if m == n or m not in env or any(aliasing.root(x) is mine for x in _leaves(env[m])) \
                        or all(p.get(m) is u for p, u in zip(ways, values)):  # merges into this one in its turn
                    continue
                for leaf in _leaves(bound):
                    reached = [leaf] + ([aliasing.root(leaf)] if isinstance(leaf, Value) else [])
                    if any(r is v for r in reached) or (isinstance(leaf, Value) and aliasing.of(leaf) is not None
                                                        and aliasing.of(leaf).parent is v):
                        holder = next((x for x in _leaves(env[m]) if isinstance(x, Value)), None)
                        if holder is not None:
                            return View(holder, None, [])
        return None

    def _keeps_own(self, value: Any, merged: Any, after: dict) -> bool:
        """Whether a loop body's `value` for a name is, on some trips, that name's own argument (a
        maybe-view of it: `if c: a = np.min(a)`), the array the name had when the trip began."""
        view = self.lowering.aliasing.of(value)
        if view is not None and view.fn is np.asarray and not view.always and after.get(id(view.parent)) is merged:
            return True
        owner = value.owner if isinstance(value, Value) else None
        replayed = self.lowering.replayed_if.get(id(value))
        if replayed is not None and replayed[0] is value:
            return False  # a view replayed where its run-time test held: the view, not the name's own array
        if view is not None:
            return False  # a view of another array on some trips (the row a loop broke at): that relation stands
        if isinstance(owner, Op) and owner.kind == "if" and value in owner.results:  # `if c: a = 0.5` merged
            k = owner.results.index(value)
            for region in owner.regions:
                term = region.ops[-1] if region.ops else None
                if term is not None and term.kind == "yield" and k < len(term.args):
                    way = term.args[k]
                    if after.get(id(way)) is merged or way is not value and self._keeps_own(way, merged, after):
                        return True
        return False

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
        # the arrays a run-time list holds (`xs.append(x)`, its items not known one by one)
        for storage, _, list_name, _ in aliasing.listed:
            if list_name in env and isinstance(storage, Value):
                found.setdefault(id(storage), storage)
        return list(found.values())

    def _outside_base(self, merged: View, after: dict, names: list[str], paths: list[dict], env: dict) -> View | None:
        """`merged` (of a name beside `names`, the region's other names) has a parent made inside the
        region: the same relation to a loop's own name for it after the loop, else a view srcgrad
        cannot follow (a write is refused) of the first array outside the region that parent views
        (`row` of `for row in x` views x), or of the name that ends the region holding that parent's
        storage (a version a write inside made of an array the name views: the row of a nested loop
        over a helper's written parameter); None if no name holds it after the region (an array of
        the region's own)."""
        aliasing = self.lowering.aliasing
        parent: Any = merged.parent
        if id(parent) in after:
            return merged.rebased(after[id(parent)])
        # (a loop only: after an `if`, an array a branch made is one of the arrays the name may be,
        # `_note_alternatives`, a relation a write can test at run time)
        ends = [(p[m], env[m]) for p in paths for m in names
                if isinstance(p.get(m), Value) and isinstance(env.get(m), Value)] if after else []
        while isinstance(parent, Value) and not self._visible(parent):
            if id(parent) in after:
                return View(after[id(parent)], None, [])
            holder = next((later for end, later in ends if aliasing.root(end) is aliasing.root(parent)), None)
            if holder is not None:
                return View(holder, None, [])
            view = aliasing.of(parent)
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
