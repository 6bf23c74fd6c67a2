"""Lists and tuples through loops. A loop carries what its body may change; a list or tuple carried
as one value is opaque inside the loop, so a write into an array it holds would not reach its item.
A list neither rebound nor grown in the loop, whose items are other carried names' arrays, is not
carried: it is rebuilt from those names inside and after the loop (`xs = [y]`, then `y[0] = v` in
the loop: `xs[0]` sees it). Any other list a loop carries is noted as holding its arrays, and a write
into one of them is refused (item_writes.check_unlisted), as for a list built at run time.
"""

from __future__ import annotations

import gast

from ..ir import Value
from .item_writes import _leaves
from .name_flow import rebound_names
from .resolve import Abstract, Seq


class LoopLists:
    """The part of lowering that owns lists and tuples a loop carries (mixed into the function lowering)."""

    def linked_lists(self, names: list[str], env: dict, stmts: list[gast.stmt]) -> tuple[list[str], dict]:
        """Split off the lists and tuples a loop need not carry: neither rebound nor grown in it, each
        item another carried name's array (not rebound in it either). Inside and after the loop such a
        list holds those names' arrays as they are (`xs = [y]`, then `y[0] = v` in the loop: `xs[0]`
        sees it), where carried as one opaque value it would not. Returns the names still carried, and
        for each linked list its items as names (`_relink` binds them)."""
        rebound = rebound_names(stmts)
        grown = {n.func.value.id for s in stmts for n in gast.walk(s) if isinstance(n, gast.Call)
                 and isinstance(n.func, gast.Attribute) and isinstance(n.func.value, gast.Name)}
        owner = {id(env[m]): m for m in names if isinstance(env.get(m), Value) and m not in rebound}
        linked = {}
        for n in names:
            value = env.get(n)
            if not isinstance(value, Seq) or n in rebound or n in grown:
                continue
            leaves = [leaf for leaf in _leaves(value) if isinstance(leaf, Value)]
            if leaves and all(id(leaf) in owner and owner[id(leaf)] != n for leaf in leaves):
                linked[n] = _items_as_names(value, owner)
        return [n for n in names if n not in linked], linked

    def note_carried_lists(self, names: list[str], env: dict, args: list[Value], node: gast.AST) -> None:
        """A list or tuple a loop carries is one opaque value inside it (and after it): a write into an
        array it holds would not reach its item, so such a write is refused, as for a list built at run
        time (item_writes.check_unlisted). The body's own name for such an array is held too."""
        aliasing = self.lowering.aliasing
        args_of: dict[int, list[Value]] = {}  # every carried name holding the array: `v = x` names it twice
        for m, arg in zip(names, args):
            if isinstance(env.get(m), Value):
                args_of.setdefault(id(env[m]), []).append(arg)
        for n in names:
            if isinstance(env.get(n), Seq):
                for leaf in _leaves(env[n]):
                    for held in (leaf, *args_of.get(id(leaf), ())):
                        if isinstance(held, Value):
                            aliasing.add_listed((aliasing.storage(held), node, n, leaf.hint))


def _items_as_names(value: Abstract, owner: dict) -> Abstract:
    """`value` with each array item replaced by the name holding it (a str)."""
    if isinstance(value, Seq):
        return Seq([_items_as_names(item, owner) for item in value.items], value.kind)
    return owner[id(value)] if isinstance(value, Value) else value


def relink(template: Abstract, env: dict) -> Abstract:
    """A linked list's items, as the names holding them are bound in `env` (`linked_lists`)."""
    if isinstance(template, Seq):
        return Seq([relink(item, env) for item in template.items], template.kind)
    return env[template] if isinstance(template, str) else template
