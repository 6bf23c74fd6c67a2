"""Linking generated code to the objects its free names mean.

A generated adjoint calls NumPy through `np`, srcgrad's helpers by name, and
reads the user's globals and closure values. Each such name carries a spec
saying how to find its object again — `("attr", module, qualname)` for an
importable object, `("scope", name, ...)` for a name seen from the
differentiated function (following inlined callees name by name) — so a
cached adjoint can be linked in a new process, and user values are re-read at
every call: changing a global between calls is seen, as in the original.
"""

from __future__ import annotations

import importlib
import inspect
import math
from typing import Any, Callable

import numpy as np

from ..errors import SrcgradError
from ..frontend.resolve import MISSING, lookup_free
from ..frontend.source import unwrap


def resolve_attr(module: str, qualname: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def resolve_scope(top: Any, path: tuple) -> Any:
    """Follow `path` from the function `top`: each element is a (dotted) name seen by the previous function."""
    fn = unwrap(top)
    obj: Any = fn
    default_of = path and path[0] == "<default>"
    if default_of:
        path = path[1:]
    for k, element in enumerate(path):
        if element.startswith("@rule:"):
            obj = fn = _user_rule(element[len("@rule:"):])
            continue
        head, *attrs = element.split(".")
        if default_of and k == len(path) - 1:
            param = inspect.signature(fn).parameters[head]
            return param.default
        obj = lookup_free(fn, head)
        if obj is MISSING:
            raise SrcgradError(f"name '{head}' is no longer defined for {getattr(fn, '__qualname__', fn)}")
        for attr in attrs:
            obj = getattr(obj, attr)
        if k < len(path) - 1:
            fn = unwrap(obj)
    return obj


def resolve(top: Any, spec: tuple) -> Any:
    if spec[0] == "import":  # `import scipy.special` binds `scipy`
        importlib.import_module(spec[1])
        return importlib.import_module(spec[1].split(".")[0])
    if spec[0] == "attr":
        obj = resolve_attr(spec[1], spec[2])
        return getattr(obj, "__srcgrad_impl__", obj)  # a helper's plain function, without the rule-time check
    return resolve_scope(top, spec)


def base_namespace() -> dict[str, Any]:
    return {"np": np, "math": math, "__name__": "srcgrad.generated"}


def link(code: Any, name: str, top: Any, helpers: dict[str, tuple], frees: dict[str, tuple]) -> tuple[Callable, Callable[[], None]]:
    """Execute compiled module code; returns the function and a `refresh` that re-reads user values."""
    namespace = base_namespace()
    linked = {n: resolve(top, spec) for n, spec in helpers.items()}
    live = [(n, spec) for n, spec in frees.items()]
    for n, spec in live:
        namespace[n] = resolve(top, spec)
    exec(code, namespace)
    # the module's own `from srcgrad.runtime... import` lines (which keep it readable and runnable as
    # exported) bind the rule-time wrappers: the adjoint calls the plain functions beneath them
    namespace.update(linked)
    fn = namespace[name]

    def refresh() -> None:
        for n, spec in live:
            namespace[n] = resolve(top, spec)

    return fn, refresh


def _user_rule(name: str) -> Any:
    from ..rules.registry import registered

    for vjp in registered().values():
        if vjp.whole is not None and getattr(vjp.whole, "__qualname__", None) == name:
            return vjp.whole
    raise SrcgradError(f"the derivative rule {name} is no longer registered")
