"""Standalone export: a generated adjoint as a module that needs NumPy, not srcgrad.

The run-time helpers the adjoint calls (`srcgrad/runtime/`) are copied in, once each, as their
source reads, with the helpers and constants they use in turn; an exception class of srcgrad's
they raise is declared as a plain subclass of its built-in base. The user's globals the adjoint
reads live are imported from the user's module, by name. What cannot be written that way (a
closure's value, a name of a script run as `__main__`) is refused with what to do instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from typing import Any

from ..errors import SrcgradError
from .codegen import Generated
from .link import resolve_attr

_RUNTIME = "srcgrad.runtime"


def standalone(gen: Generated, fn: Any, origin: str, version: str) -> str:
    """The module text of `gen`, the adjoint of `fn` (`origin`: where its source is)."""
    helpers = _Helpers()
    imports = {"import numpy as np"}
    lines_from: list[str] = []
    for name, (kind, module, *rest) in sorted(gen.helpers.items()):
        if kind != "attr":
            continue
        obj = resolve_attr(module, rest[0])
        if module.startswith(_RUNTIME):
            helpers.add(name, obj)
        else:
            lines_from.append(f"from {module} import {rest[0]}" + (f" as {name}" if rest[0] != name else ""))
    if "math." in gen.source:
        imports.add("import math")
    imports |= helpers.imports
    user = [_user_import(name, spec, fn) for name, spec in sorted(gen.frees.items())]
    header = [
        f"# Exported by srcgrad {version} from {origin}: the adjoint, with the run-time helpers it",
        "# calls; it needs NumPy only. Edit and ship it: srcgrad does not touch this file.",
        "# Names from the differentiated module are imported from it and read at each call.",
    ]
    parts = ["\n".join(header + ["from __future__ import annotations", ""] + sorted(imports) + sorted(set(lines_from))
                       + user)]
    if helpers.classes:
        parts.append("\n\n".join(helpers.classes))
    if helpers.constants:
        parts.append("\n".join(helpers.constants))
    parts += helpers.functions
    parts.append(gen.source.rstrip("\n"))
    text = "\n\n\n".join(parts) + "\n"
    ast.parse(text)  # an exported module is always valid Python
    return text


class _Helpers:
    """The run-time helpers to copy, in an order where each is defined once, with what they use."""

    def __init__(self) -> None:
        self.functions: list[str] = []
        self.constants: list[str] = []
        self.classes: list[str] = []
        self.imports: set[str] = set()
        self.names: set[str] = set()

    def add(self, name: str, obj: Any) -> None:
        if name in self.names:
            return
        self.names.add(name)
        impl = getattr(obj, "__srcgrad_impl__", obj)
        if isinstance(impl, type) and issubclass(impl, BaseException):
            base = next(b for b in impl.__mro__[1:] if b.__module__ == "builtins")
            doc = (impl.__doc__ or "").strip().splitlines()
            body = f'    """{doc[0]}"""' if doc else "    pass"
            self.classes.append(f"class {name}({base.__name__}):\n{body}")
            return
        if not isinstance(impl, types.FunctionType):
            self.constants.append(f"{name} = {impl!r}")
            return
        source = textwrap.dedent(inspect.getsource(impl))
        tree = ast.parse(source)
        node = tree.body[0]
        assert isinstance(node, ast.FunctionDef)
        node.decorator_list = []
        body_imports = [n for n in ast.walk(node) if isinstance(n, ast.ImportFrom) and n.level > 0]
        for used in sorted(_loaded_names(node)):
            self._dependency(used, impl, body_imports)
        node.body = [stmt for stmt in node.body if not (isinstance(stmt, ast.ImportFrom) and stmt.level > 0)]
        _drop_relative_imports(node)
        self.functions.append(ast.unparse(node) if body_imports else _undecorated(source, impl.__name__, name))

    def _dependency(self, used: str, impl: Any, body_imports: list) -> None:
        for imported in body_imports:  # `from ..errors import X` inside a function
            module = _absolute(impl.__module__, imported.module, imported.level)
            if any(alias.name == used for alias in imported.names):
                self.add(used, resolve_attr(module, used))
                return
        if used not in impl.__globals__:
            return
        value = impl.__globals__[used]
        if isinstance(value, types.ModuleType):
            if value.__name__ == "numpy":
                return
            if value.__name__.startswith("srcgrad"):
                raise SrcgradError(f"cannot export {impl.__name__}: it uses srcgrad's module {value.__name__}")
            self.imports.add(f"import {value.__name__}" + (f" as {used}" if value.__name__ != used else ""))
            return
        module = getattr(value, "__module__", None) or ""
        if module.startswith("srcgrad") or isinstance(value, (int, float, str, tuple, frozenset)):
            self.add(used, value)
        elif module and not module.startswith("builtins") and not module.startswith("numpy"):
            self.imports.add(f"from {module} import {getattr(value, '__name__', used)}")


def _loaded_names(node: ast.FunctionDef) -> set[str]:
    """The free names the function's code reads (annotations are never evaluated: the module has
    `from __future__ import annotations`)."""
    annotations = [a.annotation for a in ast.walk(node) if isinstance(a, ast.arg) and a.annotation is not None]
    annotations += [n.annotation for n in ast.walk(node) if isinstance(n, ast.AnnAssign)]
    annotations += [node.returns] if node.returns is not None else []
    in_annotations = {id(n) for a in annotations for n in ast.walk(a)}
    local = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in in_annotations} - local


def _drop_relative_imports(node: ast.AST) -> None:
    for parent in ast.walk(node):
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(parent, field, None)
            if isinstance(stmts, list):
                kept = [s for s in stmts if not (isinstance(s, ast.ImportFrom) and s.level > 0)]
                setattr(parent, field, kept or [ast.Pass()])


def _undecorated(source: str, own: str, name: str) -> str:
    """The helper's source as written, its decorators dropped (and renamed where linked so)."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("def ", "async def ")))
    text = "\n".join(lines[start:])
    return text.replace(f"def {own}(", f"def {name}(", 1) if own != name else text


def _absolute(module: str, target: str | None, level: int) -> str:
    parts = module.split(".")[: len(module.split(".")) - level]
    return ".".join(parts + ([target] if target else []))


def _user_import(name: str, spec: tuple, fn: Any) -> str:
    """`from module import name` for a global of the differentiated function's module."""
    module = getattr(fn, "__module__", None)
    path = spec[1:] if spec and spec[0] == "scope" else spec
    head = path[0] if path else ""
    if module in (None, "__main__") or len(path) != 1 or head.startswith(("<", "@")) \
            or head.split(".")[0] not in getattr(fn, "__globals__", {}):
        raise SrcgradError(
            f"cannot export the adjoint of {fn.__qualname__}: it reads '{name}' "
            + ("from a script run as __main__" if module in (None, "__main__") else "from a closure, a default or a callee"),
            hint="define the function in an importable module, or pass the value as an argument")
    first, *attrs = head.split(".")
    line = f"from {module} import {first}"
    if attrs or first != name:
        line += f"\n{name} = {'.'.join([first, *attrs])}" if attrs else f" as {name}"
    return line
