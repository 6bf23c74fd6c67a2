"""The options of `grad` and its kin, typed (`GradOptions`, so that editors complete them),
checked and normalised into `pipeline.Options`, and what a method changes about them (the default
`wrt` is the parameter after `self`)."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Literal, TypedDict, Union

from . import pipeline
from .frontend.source import unwrap

_UNCONNECTED = ("none", "zero")
_OPTIONS = ("wrt", "stop_gradients", "unconnected_gradients", "optimize", "has_aux")

Wrt = Union[int, str, "tuple[Union[int, str], ...]", "list[Union[int, str]]"]


class TangentOptions(TypedDict, total=False):
    """The options of `jvp` (forward mode)."""

    stop_gradients: str | tuple[str, ...] | list[str]
    """Names (parameters or locals) treated as constants: no derivative flows through them."""
    optimize: bool
    """Simplify the generated code (default True); False shows the raw transform."""


class GradOptions(TangentOptions, total=False):
    """The options of `grad`, `value_and_grad`, `differentiate`, `show`, `export` and the
    Jacobian helpers, as keyword arguments (`srcgrad.grad(f, wrt=(0, 1), optimize=False)`)."""

    wrt: Wrt
    """The parameters (names or positions) or locals to differentiate with respect to; a tuple
    gives a tuple of gradients. Default: the first parameter (after `self` in a method)."""
    unconnected_gradients: Literal["none", "zero"]
    """What a `wrt` entry the output does not depend on gets: None (default) or zeros."""
    has_aux: bool
    """The function returns `(output, aux)`: differentiate the output, pass `aux` through."""


def normalise(fn: Any, options: dict, *, with_value: bool = False) -> pipeline.Options:
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; the options are {', '.join(_OPTIONS)}")
    wrt = options.get("wrt", 1 if fn is not None and takes_self(fn) else 0)
    single = isinstance(wrt, (str, int)) and not isinstance(wrt, bool)
    entries = (wrt,) if single else wrt
    if not isinstance(entries, (tuple, list)) or not all(
        isinstance(e, (str, int)) and not isinstance(e, bool) for e in entries
    ):
        raise ValueError(f"wrt must be a parameter name, an index, or a tuple/list of them; got {wrt!r}")
    stops = options.get("stop_gradients", ())
    stops = (stops,) if isinstance(stops, str) else stops
    if not isinstance(stops, (tuple, list)) or not all(isinstance(s, str) for s in stops):
        raise ValueError(f"stop_gradients must be a name or a tuple/list of names; got {stops!r}")
    unconnected = options.get("unconnected_gradients", "none")
    if unconnected not in _UNCONNECTED:
        raise ValueError(f"Unknown value for unconnected_gradients: {unconnected!r}; use 'none' or 'zero'")
    optimize = options.get("optimize", True)
    if not isinstance(optimize, bool):
        raise ValueError(f"optimize must be True or False; got {optimize!r}")
    has_aux = options.get("has_aux", False)
    if not isinstance(has_aux, bool):
        raise ValueError(f"has_aux must be True or False; got {has_aux!r}")
    return pipeline.Options(tuple(entries), single, tuple(stops), unconnected, optimize, with_value, has_aux)


def normalise_for(fn: Any, options: dict, mode: str) -> pipeline.Options:
    """`normalise` for a mode: "reverse" (the adjoint) or "forward" (the tangent function, with a
    tangent for each `wrt` entry: by default every parameter, after `self` in a method)."""
    if mode not in ("reverse", "forward"):
        raise ValueError(f"mode must be 'reverse' or 'forward'; got {mode!r}")
    if mode == "reverse":
        return normalise(fn, options)
    if "wrt" not in options:
        first = 1 if takes_self(fn) else 0
        options = {**options, "wrt": tuple(range(first, len(parameters(unwrap(fn)))))}
    return dataclasses.replace(normalise(fn, options), single=False, mode="forward")


def takes_self(fn: Any) -> bool:
    """A function defined in a class whose first parameter is `self` or `cls` (`Model.loss`): its
    default `wrt` is the parameter after it (SPEC section 4, Methods)."""
    fn = unwrap(fn)
    scope = getattr(fn, "__qualname__", "").split(".")
    params = parameters(fn) if inspect.isfunction(fn) else []
    return len(scope) >= 2 and scope[-2] != "<locals>" and bool(params) and params[0] in ("self", "cls")


def method_options(options: dict) -> dict:
    """A bound method's options for its function: `wrt` positions count from after `self`."""
    wrt = options.get("wrt", 0)
    shift = lambda e: e + 1 if isinstance(e, int) and not isinstance(e, bool) and e >= 0 else e  # noqa: E731
    return {**options, "wrt": [shift(e) for e in wrt] if isinstance(wrt, (tuple, list)) else shift(wrt)}


def parameters(fn: Any) -> list[str]:
    sig = inspect.signature(fn)
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
