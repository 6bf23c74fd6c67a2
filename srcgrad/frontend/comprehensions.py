"""List comprehensions and generator expressions: `[f(x) for x in xs if c]` is lowered as the loop a
person would write for it (a fresh list, appended to in a `for`, with an `if` per condition), through
the same statement lowering, so iteration, aliasing and control flow behave as they do there. The
comprehension's names are its own, as in Python: bindings from before it are back after it.
A generator expression is evaluated at once into a list (what `sum`, `np.stack` and `np.array`
would consume from it anyway).
"""

from __future__ import annotations

import gast

from .resolve import UNBOUND, Abstract, Seq


class Comprehensions:
    """The part of lowering that owns comprehensions (mixed into the function lowering)."""

    def expr_ListComp(self, node: gast.ListComp, env: dict) -> Abstract:
        return self._comprehension(node, env)

    def expr_GeneratorExp(self, node: gast.GeneratorExp, env: dict) -> Abstract:
        return self._comprehension(node, env)

    def _comprehension(self, node: gast.ListComp | gast.GeneratorExp, env: dict) -> Abstract:
        for generator in node.generators:
            if generator.is_async:
                raise self.error(node, "an async comprehension", "write a for loop")
        result = self._list_name(env)
        own = {n.id for g in node.generators for n in gast.walk(g.target) if isinstance(n, gast.Name)}
        before = {n: env[n] for n in own if n in env}
        append = gast.Expr(value=gast.Call(
            func=gast.Attribute(value=gast.Name(id=result, ctx=gast.Load(), annotation=None, type_comment=None),
                                attr="append", ctx=gast.Load()),
            args=[node.elt], keywords=[]))
        body: gast.stmt = append
        for generator in reversed(node.generators):
            for condition in reversed(generator.ifs):
                body = gast.If(test=condition, body=[body], orelse=[])
            body = gast.For(target=generator.target, iter=generator.iter, body=[body], orelse=[], type_comment=None)
        for synthetic in gast.walk(body):
            if not hasattr(synthetic, "lineno") or getattr(synthetic, "lineno", None) is None:
                gast.copy_location(synthetic, node)
        env[result] = Seq([], "list")
        self.stmt(body, env)
        value = env.pop(result)
        for n in own:  # the comprehension's names do not leak
            if n in before:
                env[n] = before[n]
            else:
                env.pop(n, None)
        return value if value is not UNBOUND else Seq([], "list")

    def _list_name(self, env: dict) -> str:
        """A name for the list being built that the function does not use (it names the list in
        the generated code: `items.append(...)`)."""
        used = getattr(self, "_names_in_source", None)
        if used is None:
            used = self._names_in_source = {n.id for n in gast.walk(self.parsed.node) if isinstance(n, gast.Name)}
        k = 0
        while (name := "items" if k == 0 else f"items_{k}") in used or name in env:
            k += 1
        return name
