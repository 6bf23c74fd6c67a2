"""Which names a region's statements bind anew or pass arrays between: syntax only, read before the
region is lowered (which names a loop or `if` must carry; frontend/region_aliasing.py)."""

from __future__ import annotations

import gast

VIEW_FUNCTIONS = {"asarray", "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze", "expand_dims",
                   "atleast_1d", "atleast_2d", "atleast_3d", "split", "array_split", "broadcast_to", "diagonal"}


_PASSING = {"enumerate", "reversed", "zip", "iter", "list", "tuple"}
"""Builtins whose items are their arguments' own items (rows, which view the arrays)."""


def flowing_into(stmts: list[gast.stmt], written: set[str]) -> set[str]:
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
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and expr.func.id in _PASSING:
        return {n for a in expr.args for n in _view_sources(a)}  # enumerate(a), zip(a, b): their rows
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute):
        if isinstance(expr.func.value, gast.Name) and expr.func.attr in VIEW_FUNCTIONS and expr.args:
            return _view_sources(expr.args[0])  # np.reshape(a, ...)
        return _view_sources(expr.func.value)  # a.reshape(...), a.T.copy() (a method may give a view)
    return set()


def rebound_names(stmts: list[gast.stmt]) -> set[str]:
    """Names bound anew in `stmts` (by `=`, unpacking, a for target), not by `op=` or an item write."""
    augmented = {id(n.target) for s in stmts for n in gast.walk(s) if isinstance(n, gast.AugAssign)}
    return {n.id for s in stmts for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and id(n) not in augmented}


def rows_written(stmts: list[gast.stmt], written: set[str]) -> set[str]:
    """The names iterated by a loop among `stmts` whose target (a row, a view of the iterable) is
    written: a write through the row reaches the iterable's array."""
    found: set[str] = set()
    for stmt in stmts:
        for node in gast.walk(stmt):
            if isinstance(node, gast.For):
                targets = {n.id for n in gast.walk(node.target) if isinstance(n, gast.Name)}
                if targets & (written | found):
                    found |= _view_sources(node.iter)
    return found - written
