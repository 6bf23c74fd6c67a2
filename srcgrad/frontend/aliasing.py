"""NumPy's aliasing, as the front end follows it: which values are views of which.

Lowering functionalizes in-place writes (frontend/item_writes.py): the IR never mutates, so a
write through one name must reach every other name of the same storage. This module owns the
facts that make that possible: for each value that is a view, the value it views (its
*parent*), the view op and its operands (so the view can be replayed from a new version of the
parent), and whether NumPy makes it a view always (a slice, a transpose) or only sometimes (a
`reshape` copies what it cannot view; an integer index into a 1-D array gives a number). For
the latter, a run-time test (`is_view_of`) is placed right after the op that made the view, where
it sees exactly the values Python saw.
"""

from __future__ import annotations

import builtins
import operator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..ir.advanced_indexing import is_list_index
from ..errors import SrcgradError
from ..ir import Const, Free, Op, Value
from ..runtime import core
from ..runtime.views import array_split_piece, is_view_of, split_piece

VIEW_NAMES = {
    operator.getitem: "getitem", np.transpose: "transpose", np.swapaxes: "swapaxes", np.moveaxis: "moveaxis",
    np.reshape: "reshape", np.ravel: "ravel", np.squeeze: "squeeze", np.expand_dims: "expand_dims",
    np.asarray: "asarray", np.atleast_1d: "atleast_1d", np.atleast_2d: "atleast_2d", np.atleast_3d: "atleast_3d",
    split_piece: "split", array_split_piece: "array_split", core.identity: "identity",
}  # fmt: skip
"""View ops a write can reach through, and the name `runtime.views.write_view` knows them by."""

ALWAYS_VIEWS = {core.identity, np.transpose, np.swapaxes, np.moveaxis, np.squeeze, np.expand_dims, split_piece, array_split_piece}
"""Views of any array argument (the other view ops may copy, or give a number)."""

READ_ONLY_VIEWS = {np.broadcast_to, np.diagonal}
"""Views NumPy refuses to write through."""

SPLITS = {np.split: split_piece, np.array_split: array_split_piece}

LAYOUT_DEPENDENT = {np.reshape, np.ravel}
"""Views only when the array's memory layout allows (else copies)."""


@dataclass
class View:
    """`value` is `fn(parent, *args, **kwargs)`, a view of `parent` (`fn` None: a view of it that
    srcgrad cannot replay)."""

    parent: Value | Free
    fn: Any
    args: list
    kwargs: dict = field(default_factory=dict)
    always: bool = True
    """A view whenever the parent is an array; else a run-time test decides (`Aliasing.test`)."""
    made_by: Op | None = None
    """The op that made it (for errors), or None."""
    read_only: bool = False
    candidate: tuple[str, View] | None = None
    """For a view srcgrad cannot replay (`fn` None) made by a merge where some ways had a view:
    the name and view one way had (what a loop's next lowering may assume)."""

    def rebased(self, parent: Value) -> View:
        return replace(self, parent=parent)

    def same_as(self, other: View) -> bool:
        """The same view of the same-named parent: replayable from either."""
        return (self.fn is other.fn and self.fn is not None and self.always == other.always
                and self.read_only == other.read_only
                and len(self.args) == len(other.args) and all(_same(a, b) for a, b in zip(self.args, other.args))
                and self.kwargs.keys() == other.kwargs.keys()
                and all(_same(self.kwargs[k], other.kwargs[k]) for k in self.kwargs))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Const) and isinstance(b, Const):
        try:
            return type(a.value) is type(b.value) and bool(a.value == b.value)
        except (TypeError, ValueError):
            return False
    return a is b


def _storage(operand: Any) -> bool:
    """An operand whose views a write may reach: a value, or an array read from outside the function
    (writes reaching one are refused: frontend/item_writes.py)."""
    return isinstance(operand, Value) or isinstance(operand, Free) and operand.holds_arrays


def _basic_slice_index(index: Any) -> bool:
    """An index of slices, None and Ellipsis only: its result is always a view of an array."""
    if isinstance(index, tuple):
        return all(_basic_slice_index(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, slice)


def _may_view_index(index: Any) -> bool:
    """An index whose result may be a view (basic indexing), not certainly a copy (advanced)."""
    if isinstance(index, tuple):
        return all(_may_view_index(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (slice, int, np.integer)) and not isinstance(index, bool)


class Aliasing:
    """The views among one function's values (and everything inlined into it)."""

    def __init__(self) -> None:
        self._views: dict[int, tuple[Value, View]] = {}
        self._written: dict[int, Value] = {}
        self._origin: dict[int, tuple[Value, Value]] = {}
        self.listed: list[tuple[Value, Any, str, str]] = []
        """(storage, node, list name, item name) of each array appended to a list built at run time: the list
        holds the array itself, so a later write into it would change the list's item too. Grown
        by `add_listed` only, which keeps `_first_listed` (a generated adjoint's tapes append
        thousands of arrays: looking one up must not scan them all)."""
        self._first_listed: dict[int, tuple[int, tuple]] = {}  # id(storage) -> (position, its first entry)
        self._also: dict[int, tuple[Value, list[View]]] = {}
        self.rewritten: dict[int, bool] = {}
        """id(storage) -> whether a write changed it in place for certain (an item write), or only
        if it is an array (`h += v`)."""

    def storage(self, value: Any) -> Any:
        """The first version of `value`'s storage: the same for every version a write makes."""
        return self._first_version(self.root(value))

    def _first_version(self, value: Any) -> Any:
        entry = self._origin.get(id(value)) if isinstance(value, Value) else None
        return entry[1] if entry is not None and entry[0] is value else value

    def note_version(self, new: Any, old: Any, certain: bool) -> None:
        """`new` is `old`'s storage after a write."""
        storage = self.storage(old)
        if isinstance(new, Value) and isinstance(storage, Value):
            self._origin[id(new)] = (new, storage)
            self.rewritten[id(storage)] = certain or self.rewritten.get(id(storage), False)

    def note_loop_writes(self, args: list, inits: list) -> None:
        """A loop that writes a carried array (its body's argument) writes the array it was given:
        an enclosing loop whose list holds that array sees the writes too (`x *= 1.5` in a nested
        loop, then `xs.append(x)`: `check_listed_in_loop`)."""
        for arg, init in zip(args, inits):
            inner, outer = self.storage(arg), self.storage(init)
            if isinstance(inner, Value) and id(inner) in self.rewritten and isinstance(outer, Value):
                self.rewritten[id(outer)] = self.rewritten[id(inner)] or self.rewritten.get(id(outer), False)

    def listed_entry(self, value: Any) -> tuple | None:
        """The list entry holding `value`'s array, or one it views (a name a loop found to be
        another's array after the list was noted is a view of that one now)."""
        versions, todo, seen = [], [value], set()
        while todo:  # its views' parents, and the arrays it may be (`x = C if c else x`)
            value = todo.pop()
            if id(value) in seen:
                continue
            seen.add(id(value))
            versions.append(self._first_version(value))
            view = self.of(value)
            todo += [view.parent] if view is not None else []
            todo += [also.parent for also in self.also(value)]
        found = [hit for v in versions if (hit := self._first_listed.get(id(v))) is not None and hit[1][0] is v]
        return min(found, key=lambda hit: hit[0])[1] if found else None

    def add_listed(self, entry: tuple) -> None:
        """A list built at run time holds `entry[0]`'s array (see `listed`)."""
        self.listed.append(entry)
        known = self._first_listed.get(id(entry[0]))
        if known is None or known[1][0] is not entry[0]:
            self._first_listed[id(entry[0])] = (len(self.listed) - 1, entry)

    def note_written(self, value: Any) -> None:
        """`value` is a version of a parameter's array that an in-place write made: a new array in
        the adjoint, compact, where the caller's array (which Python writes) may be strided.
        Every other array is made compact by NumPy, and its versions keep its layout (`np.copy`)."""
        if isinstance(value, Value):
            self._written[id(value)] = value

    def is_written(self, value: Any) -> bool:
        return isinstance(value, Value) and self._written.get(id(value)) is value

    def of(self, value: Any) -> View | None:
        entry = self._views.get(id(value)) if isinstance(value, Value) else None
        return entry[1] if entry is not None and entry[0] is value else None

    def also(self, value: Any) -> list[View]:
        """The other arrays `value` may be (or view), beside its recorded view: `a if c else b` of
        two arrays made before, a name bound to one of two in an `if`. Each is a view srcgrad cannot
        follow (`fn` None): a write into one of them, while `value` lives, is refused."""
        entry = self._also.get(id(value)) if isinstance(value, Value) else None
        return entry[1] if entry is not None and entry[0] is value else []

    def record_also(self, value: Value, parent: Value) -> None:
        views = self.also(value)
        if parent is not value and all(v.parent is not parent for v in views):
            self._also[id(value)] = (value, [*views, View(parent, None, [])])

    def forget_also(self, value: Any) -> None:
        """`value`'s relation is known exactly after all (`frontend/control_flow.py`, `last_row`)."""
        self._also.pop(id(value), None)

    def record(self, value: Value, view: View) -> None:
        """`value` is `view` of `view.parent`. Not where `view.parent` is already (a view of) `value`:
        two values that may each be the other's array (`np.asarray` of one another, as merges of
        `y = h; h += v` make them) keep the relation one way, and chains of views stay finite."""
        parent: Any = view.parent
        while parent is not None:
            if parent is value:
                return
            up = self.of(parent)
            parent = up.parent if up is not None else None
        self._views[id(value)] = (value, view)

    def root(self, value: Any) -> Any:
        """The value whose storage `value` shares (itself, if it is not a view)."""
        while (view := self.of(value)) is not None:
            value = view.parent
        return value

    def _as_passed(self, value: Any, builder: Any, is_parameter: Any) -> Any:
        """`value` replayed on the parameter it is a version of, as the caller passed it (its memory
        layout is the one Python's array keeps through writes in place), or None where the chain
        is not made of views NumPy always makes, or its root is not a version of a parameter."""
        chain = []
        while (view := self.of(value)) is not None:
            if view.fn is None or not view.always:
                return None
            chain.append(view)
            value = view.parent
        passed = self.storage(value)
        if is_parameter is None or not isinstance(passed, Value) or not is_parameter(passed):
            return None
        for view in reversed(chain):
            passed = builder.call(view.fn, passed, *view.args, hint=f"{passed.hint}_view", **view.kwargs)
        return passed

    def note_op(self, op: Op) -> None:
        """Record the result of a call op as a view of its first operand, where it may be one."""
        fn, args = op.fn, op.args
        if op.kind == "call" and fn in (builtins.max, builtins.min) and len(args) >= 2 and op.results:
            for a in args:  # `max(x, 0)` is x itself where x wins (a 0-d array a later `/=` would write)
                if _storage(a) and isinstance(a, Value):
                    self.record_also(op.results[0], a)
            return
        if op.kind != "call" or not args or not _storage(args[0]) or not op.results:
            return
        result = op.results[0]
        if fn in READ_ONLY_VIEWS:
            self.record(result, View(args[0], fn, args[1:], dict(op.kwargs), True, op, read_only=True))
            return
        if fn is np.array and isinstance(op.kwargs.get("copy"), Const) and op.kwargs["copy"].value is False:
            self.record(result, View(args[0], np.asarray, [], {}, False, op))
            return
        if fn is operator.getitem and len(args) == 2:
            source = args[0].owner if isinstance(args[0], Value) and isinstance(args[0].owner, Op) else None
            index = args[1]
            if source is not None and source.kind == "call" and source.fn in SPLITS and isinstance(index, Const) \
                    and isinstance(index.value, int) and _storage(source.args[0]):
                # p, q = np.split(a, 2): each piece is a view of `a`
                piece = SPLITS[source.fn]
                self.record(result, View(source.args[0], piece, [index, *source.args[1:]], dict(source.kwargs),
                                         True, op))
                return
            if isinstance(index, Const):
                if isinstance(index.value, str) or not _may_view_index(index.value):
                    return  # params["W"], a fancy index: not a view srcgrad follows
                always = _basic_slice_index(index.value)
                self.record(result, View(args[0], fn, [index], {}, always, op))
                return
            if is_list_index(index):
                return  # x[[2, 0]], x[:, [2, 0]]: advanced indexing copies
            if isinstance(index, Value) and index.owner is not None and getattr(index.owner, "fn", None) is builtins.slice:
                self.record(result, View(args[0], fn, [index], {}, True, op))
                return
            self.record(result, View(args[0], fn, [index], {}, False, op))  # decided at run time
            return
        if fn in VIEW_NAMES:
            self.record(result, View(args[0], fn, list(args[1:]), dict(op.kwargs), fn in ALWAYS_VIEWS, op))

    def test(self, value: Value, view: View, builder: Any, is_parameter: Any = None) -> Value:
        """The run-time test that `value` really is a view of `view.parent`, at the builder's
        insertion point. Lowering keeps every value with such a record the result of its view op
        on its parent (a write through it replays the view from the new parent), so the adjoint's
        values share memory exactly where Python's do."""
        made = view.made_by
        if view.fn in LAYOUT_DEPENDENT and self.is_written(self.root(view.parent)):
            # Whether NumPy viewed or copied depends on the memory layout Python's array had after
            # the write, which the adjoint's new version of it need not share: a write in place
            # keeps the caller's layout, so ask the parameter as passed, through the same views.
            probe = self._as_passed(view.parent, builder, is_parameter)
            if probe is not None:
                reshaped = builder.call(view.fn, probe, *view.args, hint=f"{value.hint}_probe", **view.kwargs)
                return builder.call(is_view_of, reshaped, probe, hint=f"{value.hint}_is_view")
            name = getattr(view.fn, "__name__", "reshape")
            raise SrcgradError(f"a write that reaches '{value.hint}', a {name} of an array written in place "
                               f"before it (a parameter): NumPy views or copies it depending on the caller's "
                               f"memory layout, which srcgrad cannot follow there", made.loc if made is not None else builder.loc,
                               hint=f"{name} before the first write, or {name} a copy of the array")
        return builder.call(is_view_of, value, view.parent, hint=f"{value.hint}_is_view")
