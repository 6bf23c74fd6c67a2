"""A function's source: the gast tree, the file, and absolute locations.

`inspect` gives the source lines of a function wherever it was written; they
are dedented, parsed with gast, decorators are dropped, and each node's
location is shifted back to where it stands in the file (line offset, and the
indentation `dedent` removed), so every error points at the user's line.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import Any

import gast

from ..errors import SrcgradError, UnsupportedSyntaxError
from ..location import Loc


@dataclass
class ParsedFunction:
    """The parsed definition of one Python function."""

    fn: Any
    node: gast.FunctionDef | gast.Lambda
    file: str
    first_line: int
    indent: int
    source: str
    name: str = ""
    """A name for the function in generated code: its own, or for a lambda the name it is assigned
    to (`objective = lambda w: ...`), else `lambda_<line>`."""

    def loc(self, node: gast.AST) -> Loc:
        line = getattr(node, "lineno", None)
        if line is None:
            return Loc.at(self.file, self.first_line, self.indent)
        col = getattr(node, "col_offset", 0) + self.indent
        end_line = getattr(node, "end_lineno", line)
        end_col = getattr(node, "end_col_offset", None)
        end = end_col + self.indent if end_col is not None and end_line == line else None
        return Loc.at(self.file, line + self.first_line - 1, col, end)


def unwrap(fn: Any) -> Any:
    """The plain Python function behind a srcgrad wrapper (`@differentiate`, `srcgrad.grad`).

    Other wrappers (`functools.wraps`) are functions in their own right: their code runs
    around the wrapped one, so they are differentiated as they are, not skipped.
    """
    seen = set()
    while id(fn) not in seen:
        seen.add(id(fn))
        inner = getattr(fn, "__srcgrad_original__", None)
        if inner is None:
            break
        fn = inner
    return fn


class SourceUnavailable(SrcgradError):
    """A function whose source Python does not keep (made by `exec`, typed at a prompt, compiled)."""


_CACHE: dict[Any, ParsedFunction] = {}


def parse_function(fn: Any) -> ParsedFunction:
    fn = unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        raise SrcgradError(
            f"cannot read the source of {fn!r}: it is not a Python function",
            hint="differentiate a function written in Python, or register a rule for this one with srcgrad.register_vjp",
        )
    key = (code, code.co_filename, code.co_firstlineno)
    cached = _CACHE.get(key)
    if cached is not None and cached.fn is fn:
        return cached
    try:
        lines, first_line = inspect.getsourcelines(code)  # the code itself: not what a __wrapped__ points at
    except (OSError, TypeError) as exc:
        raise SourceUnavailable(
            f"cannot read the source of {getattr(fn, '__qualname__', fn)!r} ({exc})",
            hint="define the function in a file (a module or script), not at an interactive prompt; "
            "or register a rule for it with srcgrad.register_vjp",
        ) from None
    file = code.co_filename
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    first = next((ln for ln in lines if ln.strip()), "")
    indent = len(first) - len(first.lstrip()) - (len(source.splitlines()[0]) - len(source.splitlines()[0].lstrip()))
    name = fn.__name__
    if fn.__name__ == "<lambda>":
        node, name = _find_lambda(source, fn, file, first_line, indent)
    else:
        try:
            module = gast.parse(source)
        except SyntaxError as exc:
            raise SrcgradError(f"cannot parse the source of {fn.__qualname__}: {exc.msg}") from None
        node = module.body[0]
        if isinstance(node, gast.AsyncFunctionDef):
            where = ParsedFunction(fn, node, file, first_line, indent, source).loc(node)
            raise UnsupportedSyntaxError("an async function is not supported", where,
                                         hint="differentiate a plain def that computes the value")
        if not isinstance(node, gast.FunctionDef):
            raise SrcgradError(f"the source of {fn.__qualname__} is not a function definition")
        node.decorator_list = []
    parsed = ParsedFunction(fn, node, file, first_line, indent, source, name)
    _CACHE[key] = parsed
    return parsed


def _find_lambda(source: str, fn: Any, file: str, first_line: int, indent: int) -> tuple[gast.Lambda, str]:
    text = source.strip()
    for attempt in (text, text.rstrip(",)"), "(" + text.rstrip(",") + ")"):
        try:
            module = gast.parse(attempt)
            break
        except SyntaxError:
            continue
    else:
        raise SrcgradError(
            f"cannot isolate the lambda at {file}:{first_line}",
            hint="define it with def, or put the lambda on a line of its own",
        )
    lambdas = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)]
    arg_names = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
    matching = [n for n in lambdas if [a.id for a in n.args.args] == arg_names]
    if len(matching) != 1:
        raise SrcgradError(
            f"cannot tell which lambda on {file}:{first_line} is meant",
            hint="define it with def, or put the lambda on a line of its own",
        )
    assigned = [n.targets[0].id for n in gast.walk(module) if isinstance(n, gast.Assign) and n.value is matching[0]
                and len(n.targets) == 1 and isinstance(n.targets[0], gast.Name)]
    return matching[0], assigned[0] if assigned else f"lambda_{first_line}"
