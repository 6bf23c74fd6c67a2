"""Rewrites early `return`, `break` and `continue` into flags, on the gast tree.

After this pass a function body has at most one `return`, its last statement,
and loops contain no jumps, so lowering only sees structured control flow:

    for i in range(n):                    broken = False
        if x[i] > 0:                      for i in range(n):
            break                   →         if not broken:
        s = s + x[i]                              if x[i] > 0:
                                                      broken = True
                                                  if not broken:
                                                      s = s + x[i]

A `while` loop tests its flags with its condition instead, so it stops at once.
"""

from __future__ import annotations

import copy
from typing import Iterable

import gast

from ..ir.printer import fresh_name


def _name(id_: str, ctx: gast.AST) -> gast.Name:
    return gast.Name(id=id_, ctx=ctx, annotation=None, type_comment=None)


def _assign(id_: str, value: gast.expr, like: gast.AST) -> gast.Assign:
    node = gast.Assign(targets=[_name(id_, gast.Store())], value=value, type_comment=None)
    return gast.copy_location(node, like)


def _true() -> gast.Constant:
    return gast.Constant(value=True, kind=None)


def _false() -> gast.Constant:
    return gast.Constant(value=False, kind=None)


def _none_of(flags: Iterable[str], like: gast.AST) -> gast.expr:
    names = [_name(f, gast.Load()) for f in sorted(flags)]
    test: gast.expr = names[0] if len(names) == 1 else gast.BoolOp(op=gast.Or(), values=names)
    return gast.copy_location(gast.UnaryOp(op=gast.Not(), operand=test), like)


def _has(node: gast.AST, kinds: tuple) -> bool:
    """Whether `node` contains one of `kinds`, not counting nested defs (and loops, for jumps)."""
    stack = [node]
    while stack:
        n = stack.pop()
        for child in gast.iter_child_nodes(n):
            if isinstance(child, (gast.FunctionDef, gast.Lambda)):
                continue
            if isinstance(child, kinds):
                return True
            if isinstance(child, (gast.For, gast.While)) and kinds != (gast.Return,):
                continue
            stack.append(child)
    return False


def _ends(stmts: list[gast.stmt]) -> bool:
    """Whether no path through `stmts` runs off their end (each returns, raises or loops forever):
    then the function never returns an implicit None."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Raise)):
        return True
    if isinstance(last, gast.If):
        return _ends(last.body) and _ends(last.orelse)
    forever = isinstance(last, gast.While) and isinstance(last.test, gast.Constant) and last.test.value is True
    return forever and not _has(last, (gast.Break,))


def _not_returned(like: gast.AST) -> gast.Constant:
    """The result variables' value before a return sets them: None, marked for lowering as a value
    no path returns (frontend/resolve.py UNBOUND), so a tuple returned on one path keeps its items."""
    node = gast.Constant(value=None, kind=None)
    node.unbound = True
    return gast.copy_location(node, like)


def _always_returns(stmts: list[gast.stmt]) -> bool:
    """Whether every path through `stmts` ends in a return."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.Return):
        return True
    return isinstance(last, gast.If) and _always_returns(last.body) and _always_returns(last.orelse)


class _Names:
    def __init__(self, taken: set[str]):
        self.taken = taken

    def fresh(self, base: str) -> str:
        return fresh_name(base, self.taken)


def canonicalize(fndef: gast.FunctionDef) -> gast.FunctionDef:
    """A copy of `fndef` with jumps turned into flags (the original is left alone)."""
    body = fndef.body
    needs_return_flag = any(_has(s, (gast.Return,)) or isinstance(s, gast.Return) for s in body[:-1]) or (
        body and not isinstance(body[-1], gast.Return) and _has(body[-1], (gast.Return,))
    )
    needs_jump_rewrite = any(isinstance(n, (gast.Break, gast.Continue)) for n in gast.walk(fndef))
    if not needs_return_flag and not needs_jump_rewrite:
        return fndef
    fndef = copy.deepcopy(fndef)
    names = _Names({n.id for n in gast.walk(fndef) if isinstance(n, gast.Name)} | {a.id for a in fndef.args.args})
    # A function that may run off its end returns None there, not the items of a tuple it returns
    # elsewhere: its result is one value, None until a return sets it.
    ends = _ends(fndef.body)
    rewriter = _Rewriter(names, needs_return_flag, _tuple_arity(fndef) if ends else None)
    new_body, _ = rewriter.block(fndef.body, loop=None)
    if needs_return_flag:
        first = fndef.body[0]
        results = [_name(r, gast.Load()) for r in rewriter.results]
        value = results[0] if rewriter.arity is None else gast.Tuple(elts=results, ctx=gast.Load())
        initial = (lambda: _not_returned(first)) if ends else (lambda: gast.Constant(value=None, kind=None))
        new_body = [
            *[_assign(r, initial(), first) for r in rewriter.results],
            _assign(rewriter.returned, _false(), first),
            *new_body,
            gast.copy_location(gast.Return(value=value), fndef.body[-1]),
        ]
    fndef.body = new_body
    return fndef


class _Loop:
    def __init__(self, brk: str | None, cont: str | None):
        self.brk = brk
        self.cont = cont


def _tuple_arity(fndef: gast.FunctionDef) -> int | None:
    """n when every return of the function returns a tuple display of n items, else None."""
    returns = [n for n in _walk_own(fndef) if isinstance(n, gast.Return)]
    arities = {len(r.value.elts) if isinstance(r.value, gast.Tuple) and
               not any(isinstance(e, gast.Starred) for e in r.value.elts) else None for r in returns}
    return arities.pop() if len(arities) == 1 else None


def _walk_own(node: gast.AST) -> list[gast.AST]:
    """The nodes of a function, not counting those of functions defined inside it."""
    found, stack = [], list(gast.iter_child_nodes(node))
    while stack:
        n = stack.pop()
        found.append(n)
        if not isinstance(n, (gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(n))
    return found


class _Rewriter:
    def __init__(self, names: _Names, return_flag: bool, arity: int | None = None):
        self.names = names
        self.arity = arity
        """Every return gives a tuple of this many items: one result variable each (a tuple
        carried through a loop would be one opaque value)."""
        count = 0 if not return_flag else (arity or 1)
        self.results = [names.fresh("result") for _ in range(count)]
        self.returned = names.fresh("returned") if return_flag else ""

    def block(self, stmts: list[gast.stmt], loop: _Loop | None) -> tuple[list[gast.stmt], set[str]]:
        """Rewrite a statement list; returns it and the flags it may set."""
        out: list[gast.stmt] = []
        for k, stmt in enumerate(stmts):
            rest = stmts[k + 1 :]
            if isinstance(stmt, gast.If) and rest and loop is None:
                # `if c: ...; return a` then more code: the rest becomes the else branch, no flag needed.
                if _always_returns(stmt.body):
                    stmt.orelse = stmt.orelse + rest
                    rest = []
                elif stmt.orelse and _always_returns(stmt.orelse):
                    stmt.body = stmt.body + rest
                    rest = []
                if not rest:
                    new, flags = self.stmt(stmt, loop)
                    out.extend(new)
                    return out, flags
            new, flags = self.stmt(stmt, loop)
            out.extend(new)
            if flags and k + 1 < len(stmts):
                rest, rest_flags = self.block(stmts[k + 1 :], loop)
                if rest:
                    guard = gast.If(test=_none_of(flags, stmts[k + 1]), body=rest, orelse=[])
                    out.append(gast.copy_location(guard, stmts[k + 1]))
                return out, flags | rest_flags
            if flags:
                return out, flags
        return out, set()

    def stmt(self, stmt: gast.stmt, loop: _Loop | None) -> tuple[list[gast.stmt], set[str]]:
        if isinstance(stmt, gast.Return) and self.returned:
            value = stmt.value if stmt.value is not None else gast.Constant(value=None, kind=None)
            values = value.elts if self.arity is not None else [value]
            out = [_assign(r, v, stmt) for r, v in zip(self.results, values)]
            return [*out, _assign(self.returned, _true(), stmt)], {self.returned}
        if isinstance(stmt, gast.Break) and loop is not None and loop.brk:
            return [_assign(loop.brk, _true(), stmt)], {loop.brk}
        if isinstance(stmt, gast.Continue) and loop is not None and loop.cont:
            return [_assign(loop.cont, _true(), stmt)], {loop.cont}
        if isinstance(stmt, gast.If):
            body, f1 = self.block(stmt.body, loop)
            orelse, f2 = self.block(stmt.orelse, loop)
            stmt.body, stmt.orelse = body or [gast.copy_location(gast.Pass(), stmt)], orelse
            return [stmt], f1 | f2
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        return [stmt], set()

    def loop(self, stmt: gast.For | gast.While) -> tuple[list[gast.stmt], set[str]]:
        if stmt.orelse:
            return [stmt], set()  # lowering rejects for/else with a located error
        brk = self.names.fresh("broken") if _has(stmt, (gast.Break,)) else None
        cont = self.names.fresh("skipped") if _has(stmt, (gast.Continue,)) else None
        body, flags = self.block(stmt.body, _Loop(brk, cont))
        exits = {f for f in flags if f in (brk, self.returned) and f}
        before: list[gast.stmt] = []
        if brk:
            before.append(_assign(brk, _false(), stmt))
        if cont:
            body = [_assign(cont, _false(), stmt), *body]
        if exits and isinstance(stmt, gast.While):
            test = gast.BoolOp(op=gast.And(), values=[_none_of(exits, stmt), stmt.test])
            stmt.test = gast.copy_location(test, stmt.test)
        elif exits:
            if isinstance(stmt, gast.For):
                # The trips after a break still run (guarded), but Python's target keeps the item
                # of the trip that broke: bind it only on trips that run the body.
                item = self.names.fresh("item")
                target, stmt.target = stmt.target, _name(item, gast.Store())
                store = gast.Assign(targets=[target], value=_name(item, gast.Load()), type_comment=None)
                body = [gast.copy_location(store, stmt), *body]
            body = [gast.copy_location(gast.If(test=_none_of(exits, stmt), body=body, orelse=[]), stmt)]
            # once one is set, every later trip does nothing: the generated loop can stop there
            stmt.srcgrad_exits = sorted(exits)
        stmt.body = body
        return [*before, stmt], flags & {self.returned} if self.returned else set()
