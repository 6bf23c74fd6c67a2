"""Views across a loop's trips, and lowering a region again: inside a loop body a carried name that
was a view of (or the same array as) another carried name on entry is so again; what a body start
assumed is checked at its end; a region whose write reached a name it did not carry is lowered
again carrying it (`retrying`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import gast
import numpy as np

from ..ir import Free, Value
from ..ir.nodes import defining_block, is_inside
from .aliasing import View
from .name_flow import rebound_names
from .resolve import LocalFunction


class LoopViews:
    """The part of lowering that keeps views through loop trips and retries regions (mixed into the
    function lowering with RegionAliasing)."""

    def carry_views(self, names: list[str], entry: dict, body_env: dict, args: dict, loop: gast.AST) -> list:
        """Inside a loop body, a carried name that was a view of (or the same value as) another carried
        name on entry is so again, if neither is rebound in the body; so is one unbound on entry that
        an earlier lowering of the body found to end as a view. Returns what to check at its end."""
        aliasing = self.lowering.aliasing
        rebound = rebound_names(loop.body)
        kept = []
        for n, assumption in self.lowering.assumed_views.get(id(loop), {}).items():
            if assumption is None:
                continue  # assumed once, and it did not hold
            m, view = assumption
            if n in args and m in args:
                aliasing.record(args[n], view.rebased(args[m]))
                kept.append((n, m, view))
        outside = self.lowering.assumed_outside.setdefault(id(loop), {})
        loose = self.lowering.loose_ties.setdefault(id(loop), set())
        for n in names:
            held = aliasing.listed_entry(entry.get(n))
            if held is not None:  # an array a run-time list holds is held by it inside the loop too
                aliasing.add_listed((args[n], *held[1:]))
        for n in names:
            root = aliasing.root(entry.get(n))
            if isinstance(root, Free) and root.holds_arrays:
                outside.setdefault(n, root)
            if n in outside:
                aliasing.record(args[n], View(outside[n], None, []))  # a write to it is refused
        # a carried name holding, on entry, an array a name the loop does not carry holds or views too
        # (`v = a`, `v = a[:, 1:]`; the loop may rebind v): on a trip that leaves v as it was, v is
        # still that array, which a write after the loop reaches (a run-time test where it is written)
        uncarried = {id(u) for u in self._uncarried_values(names, entry)}
        for n in names:
            value = entry.get(n)
            if isinstance(value, Value) and (id(value) in uncarried or id(aliasing.root(value)) in uncarried) \
                    and aliasing.of(args[n]) is None \
                    and not any(m != n and entry.get(m) is value for m in names):
                aliasing.record(args[n], View(value, np.asarray, [], {}, False))
        for n in names:  # the arrays a carried name may be on entry (`v = x if c else a`) it may be inside
            for other in aliasing.also(entry.get(n)):
                m = next((m for m in names if m != n and entry.get(m) is other.parent), None)
                aliasing.record_also(args[n], args[m] if m is not None else other.parent)
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
            # the same array as another name first: names of one array stay one array, whatever that
            # array views (each a view of its parent alone would part where the view test fails). Each
            # is tied to one of them, the first the body does not rebind (it stays that array).
            group = [m for m in names if entry.get(m) is value]
            steady = [m for m in group if m not in rebound]
            representative = steady[0] if steady else group[0]
            same = [representative] if representative != n else []
            parents = [m for m in names if m != n and view is not None and view.parent is entry.get(m)]
            parents.sort(key=lambda m: m in rebound)  # a view of the name the body does not rebind
            for m in same + parents:
                if n in rebound or m in rebound or n in loose:
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
            raise Uncarried([], again=True)
        broken = []
        for n, m, view in kept:
            value, parent = body_env.get(n), body_env.get(m)
            if view is None:
                held = value is parent
            else:
                now = aliasing.of(value)
                held = now is not None and now.parent is parent and now.same_as(view)
            if not held:
                broken.append((n, m))
        # Every tie that broke is loosened at once, and the body lowered once more (one name a time
        # would lower it once per name: a generated adjoint's loop carries dozens of tapes).
        loose = self.lowering.loose_ties.setdefault(id(node), set())
        again = False
        for n, _ in broken:
            if assumed.get(n) is not None:
                assumed[n] = None  # lower the body again without assuming it
                again = True
            elif n not in loose:
                loose.add(n)  # lower the body again, with a run-time test where each trip starts
                again = True
        if again:
            raise Uncarried([], again=True)
        if broken:
            n, m = broken[0]
            raise self.error(node, f"a loop in which '{n}' stops being a view of '{m}'",
                             f"take a copy before the loop: {n} = {n}.copy()")

    def check_uncarried(self, names: list[str], before: dict, paths: list[dict], node: gast.AST) -> None:
        """A write inside a region reached a name the region does not carry (through a view made
        inside it): lower the region again, carrying it (`retrying`)."""
        missed = [n for n, value in before.items() if n not in names and not n.startswith(".outer")
                  and any(n in p and p[n] is not value and not isinstance(p[n], LocalFunction) for p in paths)]
        if missed:
            raise Uncarried(missed)

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
            except Uncarried as missed:
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


class Uncarried(Exception):
    """A region's write reached names it does not carry (caught by `retrying`)."""

    def __init__(self, names: list[str], again: bool = False):
        super().__init__(names)
        self.names, self.again = names, again
