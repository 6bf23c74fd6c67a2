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

import operator
from typing import Any

import gast
import numpy as np

from ..ir import Block, Const, Free, Value
from ..runtime import core
from ..runtime.views import check_not_array, is_array, write_view, written_as
from .aliasing import VIEW_NAMES, View
from .resolve import Abstract, Seq


class ItemWrites:
    """The in-place half of a function's lowering (mixed into `lower._FunctionContext`)."""

    def store_item(self, target: gast.Subscript, value: Abstract | gast.expr, env: dict, op: Any = None) -> None:
        """`y[i] = v` (or `y[i] += v`, `value` then the expression v): a new version of y with the
        slot replaced."""
        if not isinstance(target.value, gast.Name):
            raise self.error(target, "assignment to an item of an expression", "assign to an item of a named array")
        name = target.value.id
        base = self.name(target.value, env)
        if isinstance(base, Seq):
            raise self.error(target, "assignment to an item of a tuple or list", "build a new list instead")
        index = self.index(target.slice, env)
        if op is not None:
            # Python reads y[i] before it evaluates v, and v (a helper writing y) may change it: a
            # slice of y sees that write, an element does not. A hidden name keeps it live meanwhile.
            env[".item"] = self.call_op(operator.getitem, [base, index], {}, name)
            operand = self.expr(value, env)
            current = env.pop(".item")
            base = self.name(target.value, env)
            value = self.binary(op, current, operand, target)
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
        outside = aliasing.root(old) if isinstance(old, Value) else old
        if isinstance(outside, Free) and outside.holds_arrays:
            # Python changes the global (or closure, or default) array for every later call; the
            # adjoint, a pure function of its arguments, cannot, and would compute another value.
            what = f"'{name}'" if name == outside.name else f"'{name}', {self._reaching(old)} '{outside.name}',"
            raise self.error(node, f"writing into {what} an array from outside {self.node.name} (a global, "
                                   "closure or default value that the write would change for every later call)",
                             f"write into a copy: {name} = {name}.copy() (or pass the array as an argument)")
        if not isinstance(old, Value):
            env[name] = new
            return
        self.check_unlisted(old, name, node, certain=in_place or aliasing.of(old) is not None)
        if in_place or aliasing.of(old) is not None:
            self.lowering.note_root_written(aliasing.root(old), node)
        of_parameter = self.lowering.is_parameter(aliasing.root(old)) or aliasing.is_written(aliasing.root(old))
        if of_parameter:
            aliasing.note_written(new)
        view = aliasing.of(old)
        aliases, dependents = self._sharers(old)
        if view is None and not aliases and not dependents:
            if aliasing.also(old):  # it may be an array from before (the row a loop broke at), which no name ties
                self._refuse_alternative(old, name, None, node, certain=in_place)
            if not in_place and isinstance(new, Value):
                # `x += v` keeps an array's dtype and shape (and a 0-d array one), where `x + v`
                # promotes (float32 + float64) or broadcasts; a number is rebound (number_checks.py
                # drops this where x is certainly one)
                new = self.call_op(written_as, [new, old], {}, name, view=False)
            aliasing.note_version(new, old, in_place)
            env[name] = new  # nothing else sees `old`: a plain rebinding
            return
        if not in_place and isinstance(new, Value):
            new = self.call_op(written_as, [new, old], {}, name, view=False)  # a 0-d array stays one
        if view is not None and view.read_only:
            raise self.error(node, f"writing into '{name}', a read-only view (np.{view.fn.__name__})",
                             f"take a copy first: {name} = {name}.copy()")
        self._check_alternatives(old, name, node, certain=in_place or view is not None)
        # The write reaches up the chain of views, to the storage's root: a new version of each base.
        chain: list[tuple[Value, View]] = []
        child, child_view = old, view
        while child_view is not None:
            if child_view.fn is None:
                raise self.error(node, f"writing into '{name}', a view srcgrad cannot follow here",
                                 f"take a copy before the loop or branch: {name} = {name}.copy()")
            if child_view.fn is core.identity:
                raise self._named_storage_error(node, name, child.hint)
            chain.append((child, child_view))
            child, child_view = child_view.parent, aliasing.of(child_view.parent)
        tests = {id(c): aliasing.test(c, v, self.builder, self.lowering.is_parameter) for c, v in chain if not v.always}
        written: dict[int, Abstract] = {id(old): new}
        for c, v in chain:
            written[id(v.parent)] = self._written_back(v.parent, written[id(c)], v, tests.get(id(c)), node)
        aliasing.note_version(written[id(child)], child, in_place or view is not None)
        # Each view in the chain is its view of its parent's new version again (a view NumPy makes
        # only sometimes, only where it did), so the adjoint's arrays share memory as Python's do.
        final: dict[int, Abstract] = {id(child): written[id(child)]}
        for c, v in reversed(chain):
            parent_new = final[id(v.parent)]
            if v.always:
                final[id(c)] = self._replay(v, parent_new, c.hint)
            else:
                # new either way (the view replayed, or the written version): views of it are replayed
                # either way, not only under this test
                final[id(c)] = self.structured_if(tests[id(c)], lambda v=v, p=parent_new, c=c: self._replay(v, p, c.hint),
                                             lambda c=c: written[id(c)], node, c.hint)
            if isinstance(final[id(c)], Value):
                aliasing.record(final[id(c)], v.rebased(parent_new))
        if of_parameter:
            for version in (*written.values(), *final.values()):
                aliasing.note_written(version)
        memo: dict[int, Abstract] = dict(final)
        if not (in_place or (view is not None and view.always) or self._indexed(old)) and (aliases or dependents):
            # `y = h; h += v`: y sees the update if h is an array (changed in place), not if a number
            test = self.call_op(is_array, [old], {}, f"{name}_is_array")
            updated = final[id(old)]
            memo[id(old)] = self.structured_if(test, lambda: updated, lambda: old, node, name)
            if isinstance(updated, Value) and isinstance(memo[id(old)], Value):
                aliasing.record(memo[id(old)], View(updated, np.asarray, [], {}, False))
        for live in self._live_envs():
            for other, bound in list(live.items()):
                live[other] = self._rederived(bound, memo, node)
        env[name] = final[id(old)]

    def _check_alternatives(self, old: Value, name: str, node: gast.AST, *, certain: bool) -> None:
        """A write into an array that a live name holds (or views) on some paths only (`v = x1 if c
        else x2`, then `x2 += 1`) is refused: where the write changes an array for certain at
        compile time, else (`h += v`, a number perhaps) at run time if `old` is an array."""
        aliasing = self.lowering.aliasing
        reached = [old, *self._chain(old)]
        if any(aliasing.also(base) for base in reached):  # the write may reach an array srcgrad cannot tie to it
            self._refuse_alternative(old, name, None, node, certain=certain)
            return
        written = {id(base) for base in reached}
        for live in self._live_envs():
            for bound in live.values():
                for leaf in _leaves(bound):
                    if not isinstance(leaf, Value):
                        continue
                    for base in [leaf, *self._chain(leaf)]:
                        for other in aliasing.also(base):
                            if any(id(p) in written for p in [other.parent, *self._chain(other.parent)]):
                                self._refuse_alternative(old, name, leaf.hint, node, certain=certain)
                                return

    def _refuse_alternative(self, old: Value, name: str, holder: str | None, node: gast.AST, *, certain: bool) -> None:
        if holder is None:
            message = f"a write into '{name}', which is (or views) an array from before on some paths only,"
            hint = f"bind '{name}' to a copy where it is bound ({name} = ....copy())"
        else:
            message = f"a write into '{name}', which '{holder}' holds (or views) on some paths only,"
            hint = f"bind '{holder}' to a copy where it is bound ({holder} = ....copy())"
        if certain:
            raise self.error(node, message, hint)
        self.refuse_if_array(old, message, hint, node)

    def refuse_if_array(self, value: Value, message: str, hint: str, node: gast.AST) -> None:
        """Refuse, when it runs, a write that changes `value` in place only if it is an array (`h += v`
        rebinds a number): a located `check_not_array` in the adjoint's forward sweep."""
        loc = self.parsed.loc(node)
        self.call_op(check_not_array, [value, Const(f"{loc.file}:{loc.line}: {message} is not supported ({hint})")],
                     {}, "checked", view=False)

    def check_unlisted(self, old: Value, name: str, node: gast.AST, *, certain: bool) -> None:
        """A write into an array a run-time list holds (`xs.append(a)` then `a[0] = v`) would change
        the list's item, which the adjoint's list (of `a` as it was) does not see: refused at
        compile time where the write is in place for certain, else (`a += v`, a number perhaps)
        at run time if `a` is an array."""
        entry = self.lowering.aliasing.listed_entry(old)
        if entry is None:
            return
        message, hint = self.listed_message(name, entry)
        if certain:
            raise self.error(node, message, hint)
        self.refuse_if_array(old, message, hint, node)

    def check_listed_in_loop(self, body: Block, start: int, carried: dict | None = None, ends: dict | None = None) -> None:
        """After a loop body: an array it appends to a run-time list and also writes (the write
        before the append in the body, so on a later trip) is refused as `check_unlisted` does.
        `carried`: the loop's names -> their arguments in the body (an array appended by a name the
        loop carries is that argument's array, whatever the body's merges made of the name);
        `ends`: the names -> their values where the body ends (an array appended, or viewed by what
        is appended, that a carried name holds into the next trip is that name's argument there)."""
        aliasing = self.lowering.aliasing
        carried, ends = carried or {}, ends or {}
        for storage, node, list_name, item in aliasing.listed[start:]:
            if item in carried and id(aliasing.storage(carried[item])) in aliasing.rewritten:
                storage = aliasing.storage(carried[item])
            for n, arg in carried.items():
                if id(aliasing.storage(arg)) in aliasing.rewritten and isinstance(storage, Value) \
                        and any(aliasing.storage(leaf) is storage for leaf in _leaves(ends.get(n))):
                    storage = aliasing.storage(arg)  # the next trip's `n`, which the body writes
            if not (isinstance(storage, Value) and storage.owner is body and id(storage) in aliasing.rewritten):
                continue
            message = (f"appending '{item}', an array the loop writes into in place, to the list "
                       f"'{list_name}' (the list would see the writes of later trips)")
            hint = f"append a copy: {list_name}.append({item}.copy())"
            if aliasing.rewritten[id(storage)]:
                raise self.error(node, message, hint)
            self.refuse_if_array(storage, message, hint, node)

    def listed_message(self, name: str, entry: tuple) -> tuple[str, str]:
        _, where, list_name, _ = entry
        line = self.parsed.loc(where).line
        if isinstance(where, (gast.For, gast.While)):  # a list or tuple the loop carries (RegionAliasing.note_carried_lists)
            return (f"writing into '{name}', an array the list or tuple '{list_name}' holds, which the loop at line "
                    f"{line} carries", f"put a copy in it ({name}.copy()), or index the array itself")
        return (f"writing into '{name}', an array the list '{list_name}' holds ({list_name}.append, line {line})",
                f"append a copy: {list_name}.append({name}.copy())")

    def _replay(self, view: View, parent: Abstract, hint: str) -> Abstract:
        """`view`'s op again, on a new version of its parent."""
        return self.call_op(view.fn, [parent, *view.args], view.kwargs, hint, view=False)

    def _live_envs(self) -> list[dict]:
        """The names a write here can rebind: this function's, and those of the functions it is
        inlined into while lowering is in the same block (inside a helper's loop or branch, the
        callers' names travel as hidden names of the region: `storage_names`)."""
        block = self.builder.block
        return [ctx.env_now for ctx in self.lowering.contexts if ctx is self or ctx.builder.block is block]

    def _reaching(self, value: Abstract) -> str:
        """How `value` reaches the array at the root of its views: for certain, or on some path
        only (a merge after a branch or loop, a view NumPy makes only sometimes)."""
        view = self.lowering.aliasing.of(value)
        certain = True
        while view is not None:
            certain = certain and view.fn is not None and view.always
            view = self.lowering.aliasing.of(view.parent)
        return "a view of" if certain else "which may be (a view of)"

    def _indexed(self, value: Value) -> bool:
        """Whether a live name holds an item, slice or row of `value` (so `value` is an array, which
        `+=` changes in place, not a number it rebinds)."""
        aliasing = self.lowering.aliasing
        for live in self._live_envs():
            for bound in live.values():
                for leaf in _leaves(bound):
                    view = aliasing.of(leaf)
                    if view is not None and view.parent is value and view.fn not in (None, np.asarray):
                        return True
        return False

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
                    elif isinstance(leaf, Value) and any(value is base or any(value is a.parent for a in aliasing.also(base))
                                                         for base in [leaf, *self._chain(leaf)]):
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
        return self.structured_if(test, write, lambda: parent, node, parent.hint)

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
        if view.fn is core.identity:
            raise self._named_storage_error(node, None, bound.hint)

        def replay() -> Abstract:
            return self._replay(view, parent_new, bound.hint)

        # A view NumPy makes only sometimes is replayed where it was one; a view of a parent that is
        # new only where its own test held (a name bound on a loop's later trips) only there too.
        test = aliasing.test(bound, view, self.builder, self.lowering.is_parameter) if not view.always else self._replayed_when(parent_new)
        new = replay() if test is None else self.structured_if(test, replay, lambda: bound, node, bound.hint)
        self._replayed_if(new, test)
        if isinstance(new, Value):
            aliasing.record(new, view.rebased(parent_new))
        memo[id(bound)] = new
        return new

    def _replayed_if(self, value: Abstract, test: Abstract | None) -> None:
        if test is not None and isinstance(value, Value):
            self.lowering.replayed_if[id(value)] = (value, test)

    def _replayed_when(self, value: Abstract) -> Abstract | None:
        """The run-time test under which `value`, a write's new version of a name, was replayed."""
        entry = self.lowering.replayed_if.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def _named_storage_error(self, node: gast.AST, name: str | None, named: str) -> Exception:
        """A write reaching a local that `wrt=`/`stop_gradients=` takes as a value of its own (`core.identity`,
        SPEC section 3), though NumPy holds it in one array with another name: neither reading fits the write."""
        through = f"'{name}'" if name and name != named else "another name"
        return self.error(node, f"a write through {through} into the array '{named}' names, which wrt= or "
                                f"stop_gradients= takes as a value of its own,",
                          f"bind '{named}' to a copy (`{named} = ....copy()`), or name the other one in wrt=")

    @staticmethod
    def mutated(env: dict, name: str, old: Abstract, new: Abstract) -> None:
        """`name` now means `new` (a list grown or shrunk); so does every other name for the same list."""
        for other, bound in list(env.items()):
            if bound is old:
                env[other] = new
        env[name] = new


def _leaves(value: Abstract) -> list:
    if isinstance(value, Seq):
        return [leaf for item in value.items for leaf in _leaves(item)]
    return [value]
