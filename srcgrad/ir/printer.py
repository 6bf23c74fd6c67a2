"""Deterministic text of an IR function, for tests, errors and `srcgrad show --ir`.

    func cost(%W, %b, %X, %Y):
      %pred = add(multiply(...))      # one op a line
      %t = multiply %W, %X            # examples/linreg.py:5
"""

from __future__ import annotations

from typing import Any

from .nodes import Block, Const, Free, Function, Op, Operand, Value


def callee_name(fn: object) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("numpy"):
        return f"np.{name}"
    if module == "_operator" or module == "operator":
        return name
    return name


class Taken(set):
    """Names in use, remembering per base the last suffix `fresh_name` gave (names are only ever
    added, so every suffix below it is still taken): naming n values of one base costs n, not n²."""

    def __init__(self, names: Any = ()) -> None:
        super().__init__(names)
        self.last: dict[str, int] = {}


def fresh_name(base: str, taken: set[str]) -> str:
    """`base`, else `base_1`, `base_2`, ...: the first not in `taken`, which it joins."""
    n = taken.last.get(base, 0) if isinstance(taken, Taken) else 0
    name = f"{base}_{n}" if n else base
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    if isinstance(taken, Taken):
        taken.last[base] = n
    taken.add(name)
    return name


class _Names:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.taken: set[str] = Taken()

    def __call__(self, v: Value) -> str:
        key = id(v)
        if key not in self.names:
            self.names[key] = fresh_name(v.hint or "v", self.taken)
        return "%" + self.names[key]


def print_function(fn: Function, marked: Op | None = None) -> str:
    names = _Names()
    lines = []
    params = ", ".join(names(a) for a in fn.body.args)
    lines.append(f"func {fn.name}({params}):")
    _print_block(fn.body, names, lines, 1, marked)
    return "\n".join(lines) + "\n"


def _operand(a: Operand, names: _Names) -> str:
    if isinstance(a, Value):
        return names(a)
    if isinstance(a, Free):
        return f"@{a.name}"
    if isinstance(a, Const):
        return repr(a.value)
    return repr(a)


def _print_block(block: Block, names: _Names, lines: list[str], depth: int, marked: Op | None) -> None:
    for op in block.ops:
        _print_op(op, names, lines, depth, marked)


def _print_op(op: Op, names: _Names, lines: list[str], depth: int, marked: Op | None) -> None:
    pad = "  " * depth
    mark = ">> " if op is marked else ""
    results = ", ".join(names(r) for r in op.results)
    lhs = f"{results} = " if results else ""
    args = [_operand(a, names) for a in op.args]
    args += [f"{k}={_operand(a, names)}" for k, a in op.kwargs.items()]
    where = f"  # {op.loc.short()}" if op.loc is not None else ""
    if op.kind == "call":
        lines.append(f"{pad}{mark}{lhs}{callee_name(op.fn)}({', '.join(args)}){where}")
        return
    attrs = "".join(f" {k}={v!r}" for k, v in sorted(op.attrs.items()) if k != "comment")
    if not op.regions:
        lines.append(f"{pad}{mark}{lhs}{op.kind} {', '.join(args)}{attrs}{where}".rstrip())
        return
    lines.append(f"{pad}{mark}{lhs}{op.kind} {', '.join(args)}{attrs}:{where}")
    for i, region in enumerate(op.regions):
        block_args = ", ".join(names(a) for a in region.args)
        label = {"if": ("then", "else")}.get(op.kind, ("body",) * len(op.regions))[i]
        lines.append(f"{pad}  ^{label}({block_args}):")
        _print_block(region, names, lines, depth + 2, marked)
