"""Lowering control flow: `if`, `for` and `while` become ops with regions.

The names a statement assigns, and that matter outside it (bound before, or
read elsewhere), become its results: branch-merged values of an `if`,
carried values of a loop. A `for` over a range, a sequence, `enumerate`,
`zip` or `reversed` becomes a counted loop whose body reads its items by
index; a tuple or list of known length is unrolled instead.
"""

from __future__ import annotations

import builtins
import operator
from typing import Any, Callable

import gast

from ..ir import Block, Const, Op, Value
from ..ir.builder import Builder
from .aliasing import View
from .conditionals import Conditionals, _count, _leaves, _merge_shape, _rebuild, _truthy
from .loop_lists import relink
from .resolve import UNBOUND, Abstract, LocalFunction, Seq, Static

UNROLL_LIMIT = 32
"""Static tuples and lists up to this length are unrolled rather than looped over."""


class ControlFlow(Conditionals):
    """The part of lowering that owns structured control flow (mixed into the function lowering)."""

    def assigned_names(self, stmts: list[gast.stmt]) -> list[str]:
        names: list[str] = []
        for stmt in stmts:
            for n in gast.walk(stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and n.id not in names:
                    names.append(n.id)
                elif (isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name)
                      and n.value.id not in names):
                    names.append(n.value.id)  # y[i] = v rebinds y
                elif (isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)
                      and n.func.attr in ("append", "pop")
                      and isinstance(n.func.value, gast.Name) and n.func.value.id not in names):
                    names.append(n.func.value.id)  # xs.append(v), xs.pop() rebind xs
        return names

    @staticmethod
    def defined_functions(stmts: list[gast.stmt]) -> list[str]:
        """Names a `def` inside `stmts` binds: compile-time functions, never carried as values."""
        return [n.name for stmt in stmts for n in gast.walk(stmt) if isinstance(n, gast.FunctionDef)]

    def keep_functions(self, stmts: list[gast.stmt], env: dict, inner_envs: list[dict], node: gast.AST) -> None:
        """After a compound statement, a name a `def` in it bound means that function."""
        for name in self.defined_functions(stmts):
            defined = {id(e[name]): e[name] for e in inner_envs if isinstance(e.get(name), LocalFunction)}
            if len(defined) > 1:
                raise self.error(node, f"defining '{name}' differently in two branches",  # type: ignore[attr-defined]
                                 "define it once, before the if, and branch inside it")
            if defined:
                env[name] = next(iter(defined.values()))

    def live_names(self, node: gast.AST, stmts: list[gast.stmt], env: dict) -> list[str]:
        """Names a compound statement assigns that matter outside it (bound before, or read anywhere)."""
        return [n for n in self.assigned_names(stmts) if n in env or n in self.loaded_names]

    def loaded_outside(self, node: gast.AST) -> set[str]:
        """Names read anywhere in the function except inside `node`."""
        cache = self._loaded_outside
        if id(node) not in cache:  # a region is lowered again when a write reaches a name it did not carry
            inside = {id(n) for n in gast.walk(node)}
            augmented = {id(n.target) for n in gast.walk(self.node) if isinstance(n, gast.AugAssign)}  # `h += v` reads h
            cache[id(node)] = {n.id for n in gast.walk(self.node) if isinstance(n, gast.Name) and id(n) not in inside
                               and (isinstance(n.ctx, gast.Load) or id(n) in augmented)}
        return cache[id(node)]

    def stmt_If(self, stmt: gast.If, env: dict) -> None:
        cond = self.expr(stmt.test, env)
        if isinstance(cond, Const) or isinstance(cond, Static):
            chosen = stmt.body if _truthy(cond) else stmt.orelse
            self.block(chosen, env)
            return
        self.retrying(env, stmt, lambda extra: self.lower_if(stmt, env, cond, extra))

    def lower_if(self, stmt: gast.If, env: dict, cond: Abstract, extra: list[str]) -> None:
        names = self.live_names(stmt, stmt.body + stmt.orelse, env)
        names += [n for n in self.storage_names(stmt.body + stmt.orelse, env, also=extra) + extra if n not in names]
        self.at(stmt)
        op = Op("if", [self.operand(cond)], regions=[Block(), Block()])
        envs = []
        for region, stmts in zip(op.regions, (stmt.body, stmt.orelse)):
            branch_env = dict(env)
            saved = self.builder
            self.builder = Builder(region, saved.loc)
            self.block(stmts, branch_env)
            envs.append(branch_env)
            self.builder = saved
        self.keep_functions(stmt.body + stmt.orelse, env, envs, stmt)
        self.check_uncarried(names, env, envs, stmt)
        # a name bound to the same thing on both paths (`x = x` on one) needs no merge: it stays that
        # value, and so keeps its identity with every other name of it
        carried = [n for n in names if not _same_static(envs[0].get(n), envs[1].get(n))
                   and not (n in envs[0] and envs[0].get(n) is envs[1].get(n))]
        for n in names:
            if n not in carried and n in envs[0]:
                env[n] = envs[0][n]
        # A tuple or list of the same length in both branches stays a compile-time sequence of
        # merged items, so `return a, b` from two branches still gives two outputs.
        shapes = [_merge_shape(envs[0].get(n, UNBOUND), envs[1].get(n, UNBOUND)) for n in carried]
        for region, branch_env in zip(op.regions, envs):
            saved = self.builder
            self.builder = Builder(region, self.parsed.loc(stmt))
            values = []
            for n, shape in zip(carried, shapes):
                values += [self.operand(leaf) for leaf in _leaves(branch_env.get(n, UNBOUND), shape)]
            self.builder.op(Op("yield", values))
            self.builder = saved
        op.results = [Value(n) for n, shape in zip(carried, shapes) for _ in range(_count(shape))]
        self.builder.op(op)
        results = iter(op.results)
        for n, shape in zip(carried, shapes):
            env[n] = _rebuild(shape, results)
        self.merge_views(carried, envs, env, op.regions)

    def stmt_For(self, stmt: gast.For, env: dict) -> None:
        if stmt.orelse:
            raise self.error(stmt, "for ... else", "set a flag in the loop and test it after")
        hidden_before = {n for n in env if n.startswith(".iter")}
        iteration = self.iteration(stmt.iter, env)
        hidden = [n for n in env if n.startswith(".iter") and n not in hidden_before]  # this loop's rows
        if iteration[0] == "static":
            for item in iteration[1]:
                self.assign(stmt.target, item, env)
                self.block(stmt.body, env)
            return
        rows = hidden[0] if len(hidden) == 1 else None
        self.retrying(env, stmt, lambda extra: self.lower_for(stmt, env, iteration, extra, rows))
        for name in hidden:
            env.pop(name, None)

    def lower_for(self, stmt: gast.For, env: dict, iteration: tuple, extra: list[str], rows: str | None = None) -> None:
        _, start, stop, step, reverse, item = iteration
        target_names = [n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)]
        used_after = self.loaded_outside(stmt)
        names = [n for n in self.live_names(stmt, stmt.body, env) if n not in target_names]
        names += [n for n in target_names if n in used_after]  # Python keeps the last target after the loop
        names += [n for n in self.storage_names(stmt.body, env, tuple(target_names), extra) + extra
                  if n not in names and n not in target_names]
        names, linked = self.linked_lists(names, env, stmt.body)
        self.at(stmt)
        inits = [self.operand(env.get(n, Const(None))) for n in names]
        body = Block()
        index = body.add_arg(target_names[0] if item is None and isinstance(stmt.target, gast.Name) else "i")
        args = [body.add_arg(n) for n in names]
        self.note_carried_lists(names, env, args, stmt)
        op = Op("for", [self.operand(start), self.operand(stop), self.operand(step), *inits], regions=[body])
        op.attrs["reverse"] = reverse
        exits = [args[names.index(n)] for n in getattr(stmt, "srcgrad_exits", ()) if n in names]
        if exits and not reverse:  # (`for r in reversed(a)` runs all its trips: its adjoint's loop counts up to the end)
            op.attrs["exits"] = exits
        body_env = dict(env)
        body_env.update(zip(names, args))
        body_env.update({n: relink(items, body_env) for n, items in linked.items()})
        kept = self.carry_views(names, env, body_env, dict(zip(names, args)), stmt)
        saved, saved_env = self.builder, self.env_now
        self.builder = Builder(body, saved.loc)
        self.env_now = body_env
        self.at(stmt.target)
        self.assign(stmt.target, _item(item, index), body_env)
        listed = len(self.lowering.aliasing.listed)
        self.block(stmt.body, body_env)
        self.check_listed_in_loop(body, listed, dict(zip(names, args)), body_env)
        self.lowering.aliasing.note_loop_writes(args, inits)
        self.check_carried_views(kept, names, env, body_env, stmt)
        self.at(stmt)
        self.builder.op(Op("yield", [self.operand(body_env[n]) for n in names]))
        self.builder, self.env_now = saved, saved_env
        self.keep_functions(stmt.body, env, [body_env], stmt)
        self.check_uncarried(names + target_names + list(linked), env, [body_env], stmt)
        entry = dict(env)
        op.results = [Value(n) for n in names]
        self.builder.op(op)
        changed = self.loop_results(names, args, op.results, entry, body_env, env)
        env.update({n: relink(items, env) for n, items in linked.items()})
        # `for i in range(4)` runs: after it, each name is as the body left it (not perhaps as on entry)
        runs = all(isinstance(b, Const) and isinstance(b.value, int) for b in (start, stop, step)) \
            and step.value != 0 and len(range(start.value, stop.value, step.value)) > 0
        self.merge_views(names, [body_env] if runs else [entry, body_env], env, op.regions,
                         unchanged=tuple(n for n in names if n not in changed),
                         after={id(arg): env[n] for n, arg in zip(names, args)}, entry=entry if runs else None)
        self.last_row(stmt, rows, entry, body_env, env, reverse)

    def last_row(self, stmt: gast.For, rows: str | None, entry: dict, body_env: dict, env: dict, reverse: bool) -> None:
        """After `for row in a:` (rows of an array; `enumerate(a)`, `reversed(a)` too), `row` is the
        last row read, `a[-1]` (`a[0]` reversed) if the loop ran: a view of `a` a later write reaches
        (where it is one: a run-time test, as for any integer index). A row whose index srcgrad does
        not know (`zip` stops at the shortest) is a view it cannot follow: a write to it is refused.
        Only for a target unbound before the loop, which no trip leaves bound to anything else."""
        aliasing = self.lowering.aliasing
        if rows is None or not isinstance(env.get(rows), Value) or not isinstance(body_env.get(rows), Value):
            return
        rebound = _rebound_targets(stmt.body)
        for target in [n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)]:
            if target in entry or target in rebound or not isinstance(env.get(target), Value):
                continue
            row = aliasing.of(body_env.get(target))
            if row is None or row.parent is not body_env[rows]:
                continue  # not the row (enumerate's count, another zip part)
            view = aliasing.of(env[target])
            if view is not None and view.fn is not None:
                continue
            aliasing.forget_also(env[target])
            if _known_last_row(stmt, target):
                aliasing.record(env[target], View(env[rows], operator.getitem, [Const(0 if reverse else -1)], {}, False))
            else:
                aliasing.record(env[target], View(env[rows], None, []))
            for other, value in body_env.items():  # `r = row` in the body: the same array after the loop
                if other != target and other not in entry and value is body_env[target] and other in env:
                    env[other] = env[target]

    def iteration(self, it: gast.expr, env: dict) -> tuple:
        """What a for loop iterates over: ("static", items) to unroll, or
        ("range", start, stop, step, reverse, item) with `item(i)` the loop target at index i
        (None: the index itself)."""
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Name):
            callee = self.name(it.func, env)
            fn = callee.obj if isinstance(callee, Static) else None
            if fn is builtins.range and not it.keywords:
                bounds = [self.expr(a, env) for a in it.args]
                start, stop, step = _range_bounds(bounds)
                return ("range", start, stop, step, False, None)
            if fn is builtins.reversed and len(it.args) == 1 and not it.keywords:
                inner = self.iteration(it.args[0], env)
                if inner[0] == "static":
                    return ("static", list(reversed(inner[1])))
                return ("range", inner[1], inner[2], inner[3], not inner[4], inner[5])
            if fn is builtins.enumerate and it.args:
                offset = self.expr(it.args[1], env) if len(it.args) > 1 else Const(0)
                for k in it.keywords:
                    if k.arg == "start":
                        offset = self.expr(k.value, env)
                inner = self.iteration(it.args[0], env)
                if inner[0] == "static" and isinstance(offset, Const):
                    return ("static", [Seq([Const(offset.value + j), v]) for j, v in enumerate(inner[1])])
                if inner[0] == "static":
                    inner = self.indexed(Seq(list(inner[1]), "list"))
                _, start, stop, step, reverse, item = inner

                def count(i: Any) -> Abstract:
                    position = i if start == Const(0) else self.binary(operator.sub, i, start, it)
                    if step != Const(1):
                        position = self.binary(operator.floordiv, position, step, it)
                    return position if offset == Const(0) else self.binary(operator.add, position, offset, it)

                return ("range", start, stop, step, reverse, lambda i: Seq([count(i), _item(item, i)]))
            if fn is builtins.zip and it.args and not it.keywords:
                parts = [self.iteration(a, env) for a in it.args]  # each may be a range, reversed(...), ...
                if all(p[0] == "static" for p in parts):
                    return ("static", [Seq(list(t)) for t in zip(*(p[1] for p in parts))])
                counted = [self.counted(p, it) for p in parts]
                lengths = [n for n, _ in counted]
                n = lengths[0] if len(lengths) == 1 else self.call_op(builtins.min, lengths, {}, "n")
                return ("range", Const(0), n, Const(1), False, lambda k: Seq([at(k) for _, at in counted]))
        seq = self.expr(it, env)
        if isinstance(seq, Seq) and len(seq.items) <= UNROLL_LIMIT:
            return ("static", list(seq.items))
        if isinstance(seq, Const) and isinstance(seq.value, (tuple, list)):
            return ("static", [Const(v) for v in seq.value])
        return self.indexed(seq, env)

    def counted(self, iteration: tuple, node: gast.AST) -> tuple:
        """An iteration as (its length, its k-th item), to walk several in step (zip)."""
        if iteration[0] == "static":
            items = Seq(list(iteration[1]), "list")
            return Const(len(items.items)), lambda k: self.call_op(operator.getitem, [items, k], {}, "item")
        _, start, stop, step, reverse, item = iteration
        bounds = self.call_op(builtins.range, [start, stop, step], {}, "steps")
        n = self.call_op(builtins.len, [bounds], {}, "n")

        def at(k: Any) -> Abstract:
            if reverse:
                k = self.binary(operator.sub, self.binary(operator.sub, n, k, node), Const(1), node)
            return _item(item, self.call_op(operator.getitem, [bounds, k], {}, "i"))

        return n, at

    def indexed(self, seq: Abstract, env: dict | None = None) -> tuple:
        """A counted loop over the rows of `seq`. Row k is read at step k from `seq` as it is then
        (a write in the loop may change it), through a hidden name that writes reach and loops carry."""
        n = self.call_op(builtins.len, [seq], {}, "n")
        if isinstance(seq, Value) and self.lowering.is_parameter(seq):
            seq.maybe_sequence = True  # a list of arrays (ragged, perhaps) or an array: its cotangent is the same kind
        if env is None or not isinstance(seq, Value):
            return ("range", Const(0), n, Const(1), False, lambda i: self.call_op(operator.getitem, [seq, i], {}, "row"))
        hidden = f".iter{len([k for k in env if k.startswith('.iter')])}"
        env[hidden] = seq
        return ("range", Const(0), n, Const(1), False,
                lambda i: self.call_op(operator.getitem, [self.env_now.get(hidden, seq), i], {}, "row"))

    def stmt_While(self, stmt: gast.While, env: dict) -> None:
        if stmt.orelse:
            raise self.error(stmt, "while ... else", "set a flag in the loop and test it after")
        cond = self.expr(stmt.test, env)
        if isinstance(cond, (Const, Static)) and not _truthy(cond):
            return
        self.retrying(env, stmt, lambda extra: self.lower_while(stmt, env, cond, extra))

    def lower_while(self, stmt: gast.While, env: dict, cond: Abstract, extra: list[str]) -> None:
        names = self.live_names(stmt, stmt.body, env)
        names += [n for n in self.storage_names(stmt.body, env, also=extra) + extra if n not in names]
        names, linked = self.linked_lists(names, env, stmt.body)
        self.at(stmt)
        inits = [self.operand(env.get(n, Const(None))) for n in names]
        body = Block()
        args = [body.add_arg(n) for n in names]
        self.note_carried_lists(names, env, args, stmt)
        op = Op("while", [self.operand(cond), *inits], regions=[body])
        body_env = dict(env)
        body_env.update(zip(names, args))
        body_env.update({n: relink(items, body_env) for n, items in linked.items()})
        kept = self.carry_views(names, env, body_env, dict(zip(names, args)), stmt)
        saved = self.builder
        self.builder = Builder(body, saved.loc)
        listed = len(self.lowering.aliasing.listed)
        self.block(stmt.body, body_env)
        self.check_listed_in_loop(body, listed, dict(zip(names, args)), body_env)
        self.lowering.aliasing.note_loop_writes(args, inits)
        self.check_carried_views(kept, names, env, body_env, stmt)
        self.at(stmt.test)
        saved_env, self.env_now = self.env_now, body_env
        new_cond = self.operand(self.expr(stmt.test, body_env))
        self.env_now = saved_env
        self.builder.op(Op("yield", [new_cond, *[self.operand(body_env[n]) for n in names]]))
        self.builder = saved
        self.keep_functions(stmt.body, env, [body_env], stmt)
        self.check_uncarried(names + list(linked), env, [body_env], stmt)
        entry = dict(env)
        op.results = [Value(n) for n in names]
        self.builder.op(op)
        changed = self.loop_results(names, args, op.results, entry, body_env, env)
        env.update({n: relink(items, env) for n, items in linked.items()})
        self.merge_views(names, [entry, body_env], env, op.regions,
                         unchanged=tuple(n for n in names if n not in changed),
                         after={id(arg): env[n] for n, arg in zip(names, args)})

    def loop_results(self, names: list[str], args: list[Value], results: list[Value], entry: dict, body_env: dict,
                     env: dict) -> list[str]:
        """Bind the loop's results; returns the names the body changed. A name the body leaves as it
        found it (`x = x`, or only read) is after the loop the very value it was before, with every
        relation to other names and lists it had (a loop result would be a new array). One the body
        leaves as an array a run-time list holds (`xs.append(x)`) is held by it after the loop too."""
        aliasing = self.lowering.aliasing
        changed = []
        for n, arg, result in zip(names, args, results):
            if body_env.get(n) is arg and n in entry:
                env[n] = entry[n]
                held = aliasing.listed_entry(arg)  # appended in the loop (`xs.append(x)`): it is held after it
                if held is not None and isinstance(entry[n], Value) and aliasing.listed_entry(entry[n]) is None:
                    aliasing.add_listed((aliasing.storage(entry[n]), *held[1:]))
                continue
            env[n] = result
            changed.append(n)
            held = aliasing.listed_entry(body_env.get(n))
            if held is not None:
                aliasing.add_listed((aliasing.storage(result), *held[1:]))
        return changed

    # -- expressions -------------------------------------------------------------------


def _known_last_row(stmt: gast.For, target: str) -> bool:
    """`for target in a`, `for k, target in enumerate(a)`, through `reversed(...)`: the row is the last one."""
    it, node = stmt.iter, stmt.target
    while isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and it.func.id in ("reversed", "enumerate"):
        if it.func.id == "enumerate":
            if not (isinstance(node, (gast.Tuple, gast.List)) and len(node.elts) == 2):
                return False
            node = node.elts[1]
        it = it.args[0] if it.args else None
    return isinstance(node, gast.Name) and node.id == target


def _rebound_targets(stmts: list[gast.stmt]) -> set[str]:
    """Names assigned anew inside `stmts` (a loop's target rebound in its body is not its row)."""
    return {n.id for s in stmts for n in gast.walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _item(item: Callable[[Any], Abstract] | None, index: Any) -> Abstract:
    return index if item is None else item(index)


def _range_bounds(bounds: list) -> tuple:
    if len(bounds) == 1:
        return Const(0), bounds[0], Const(1)
    if len(bounds) == 2:
        return bounds[0], bounds[1], Const(1)
    return bounds[0], bounds[1], bounds[2]


def _same_static(a: Abstract, b: Abstract) -> bool:
    return (isinstance(a, Static) and isinstance(b, Static) and a.obj is b.obj) or (
        isinstance(a, LocalFunction) and a is b
    )
