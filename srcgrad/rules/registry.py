"""The VJP table: `callee → rule`. Its one reader is reverse mode.

A rule gets the output cotangent `ct`, the primal output `out` and the call's
arguments, and returns one input's cotangent. Differentiable inputs arrive as
`Sym`s (so the rule's NumPy code builds IR), static ones (axis=0, a constant
exponent) as plain Python values. Zero cotangents are never passed: a rule for
an input is only called when gradient reaches the output and the input is active.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import SrcgradError

Partial = Callable[..., Any]


class UnsupportedOptionError(SrcgradError, NotImplementedError):
    """A call whose options its derivative rule does not handle: refused, never differentiated wrongly."""


def refuse(ct: Any, message: str, hint: str | None = None) -> None:
    """Raise `UnsupportedOptionError` at the call being differentiated (a rule's `ct` knows where it is)."""
    builder = getattr(getattr(ct, "b", None), "builder", None)
    raise UnsupportedOptionError(message, getattr(builder, "loc", None), hint)


def display_name(fn: Any) -> str:
    """`np.linalg.svd`, `math.exp`: a callee as a program spells it."""
    module = (getattr(fn, "__module__", None) or "").split(".")
    prefix = "np" if module[0] == "numpy" else module[0]
    if prefix == "np" and len(module) > 1 and module[1] in ("linalg", "fft", "random"):
        prefix = f"np.{module[1]}"
    name = getattr(fn, "__name__", repr(fn))
    return f"{prefix}.{name}" if prefix and prefix not in ("builtins", "_operator") else name


_OUT_PARAMETERS = ("_out", "out_")
"""How rules name NumPy's `out` parameter (`out` is the primal result)."""


def checked(fn: Any, partial: Partial | None) -> Partial | None:
    """`partial`, refusing a call it cannot bind: an option the rule does not know would otherwise
    be dropped (or raise a bare TypeError), and an `out` array written in place is not followed."""
    if partial is None:
        return None
    partial = getattr(partial, "__srcgrad_rule__", partial)  # a rule shared with another callee
    try:
        signature = inspect.signature(partial)
    except (TypeError, ValueError):
        return partial

    @functools.wraps(partial)
    def rule(ct: Any, out: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(ct, out, *args, **kwargs)
        except TypeError:
            parameters = signature.parameters
            unknown = [f"{k}=" for k in kwargs if k not in parameters]
            what = ", ".join(unknown) if unknown else f"{len(args)} positional arguments"
            refuse(ct, f"no derivative rule for {display_name(fn)} with {what}",
                   "leave the option out, or compute the same value without it")
        for name in _OUT_PARAMETERS:
            if bound.arguments.get(name) is not None:
                refuse(ct, f"{display_name(fn)} with an out array (writing a result into an existing array)",
                       "assign the result to a name instead")
        return partial(ct, out, *args, **kwargs)

    rule.__srcgrad_rule__ = partial  # type: ignore[attr-defined]
    return rule


@dataclass
class VJP:
    """How the cotangents of a callee's positional inputs follow from its output's."""

    partials: tuple[Partial | None, ...] = ()
    """One function per positional input (None: no gradient flows to that input)."""
    whole: Callable[..., tuple] | None = None
    """A user rule (SPEC section 8): `rule(ct, out, *args, **kwargs)` → one cotangent per input."""
    zero: bool = False
    """Piecewise constant (floor, sign, ...): the derivative is zero everywhere it exists."""
    user: bool = False
    name: str = ""
    source_hash: str = field(default="", repr=False)

    def partial(self, index: int) -> Partial | None:
        return self.partials[index] if index < len(self.partials) else None


_TABLE: dict[Any, VJP] = {}
_NONDIFFERENTIABLE: set[Any] = set()
_GENERATION = [0]


def _key(fn: Any) -> Any:
    return fn


def defvjp(fn: Any, *partials: Partial | None, replace: bool = False) -> None:
    """Declare the per-input VJPs of `fn` (built-in rules raise on a duplicate)."""
    if not replace and (_key(fn) in _TABLE or _key(fn) in _NONDIFFERENTIABLE):
        raise RuntimeError(f"duplicate derivative rule for {fn!r}")
    _TABLE[_key(fn)] = VJP(partials=tuple(checked(fn, p) for p in partials), name=getattr(fn, "__name__", repr(fn)))


def vjp_rule(fn: Any, *, argnum: int = 0) -> Callable[[Partial], Partial]:
    """Decorator form of `defvjp` for a rule too long for one line (one input)."""

    def register(rule: Partial) -> Partial:
        existing = _TABLE.get(_key(fn))
        partials = list(existing.partials) if existing else []
        partials += [None] * (argnum + 1 - len(partials))
        partials[argnum] = checked(fn, rule)
        _TABLE[_key(fn)] = VJP(partials=tuple(partials), name=getattr(fn, "__name__", repr(fn)))
        return rule

    return register


def zero_vjp(*fns: Any) -> None:
    """Piecewise-constant functions: their gradient is zeros, not an error (SPEC section 4)."""
    for fn in fns:
        if _key(fn) in _TABLE:
            raise RuntimeError(f"duplicate derivative rule for {fn!r}")
        _TABLE[_key(fn)] = VJP(zero=True, name=getattr(fn, "__name__", repr(fn)))


def nondifferentiable(*fns: Any) -> None:
    """Functions whose results carry no gradient (integer or boolean results, shapes)."""
    for fn in fns:
        if _key(fn) in _TABLE:
            raise RuntimeError(f"duplicate derivative rule for {fn!r}")
        _NONDIFFERENTIABLE.add(_key(fn))


def is_nondifferentiable(fn: Any) -> bool:
    try:
        return _key(fn) in _NONDIFFERENTIABLE
    except TypeError:
        return False


def lookup(fn: Any) -> VJP | None:
    try:
        return _TABLE.get(_key(fn))
    except TypeError:  # unhashable callee
        return None


def registered() -> dict[Any, VJP]:
    return dict(_TABLE)


def nondifferentiable_callees() -> set[Any]:
    return set(_NONDIFFERENTIABLE)


def generation() -> int:
    """Bumped whenever a user rule is registered: part of every cache key."""
    return _GENERATION[0]


def register_vjp(fn: Any, rule: Callable[..., tuple] | None = None) -> Any:
    """Declare `rule(ct, out, *args, **kwargs) -> tuple` as the derivative of `fn`.

    Usable as a decorator: `@register_vjp(fn)` over the rule. A later
    registration for the same function replaces the earlier one for code
    generated afterwards.
    """
    if not callable(fn):
        raise TypeError(f"register_vjp needs a callable, got {type(fn).__name__}")

    def register(rule: Callable[..., tuple]) -> Callable[..., tuple]:
        if not callable(rule):
            raise TypeError(f"a derivative rule must be callable, got {type(rule).__name__}")
        import hashlib

        try:
            code = getattr(rule, "__code__", None)
            where = f"{code.co_filename}:{code.co_firstlineno}\n" if code is not None else ""
            text = where + inspect.getsource(rule)  # its position too: inlined, it is quoted by file:line
        except (OSError, TypeError):
            text = repr(rule)
        _NONDIFFERENTIABLE.discard(_key(fn))
        _TABLE[_key(fn)] = VJP(
            whole=rule,
            user=True,
            name=getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn))),
            source_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        )
        _GENERATION[0] += 1
        return rule

    if rule is not None:
        register(rule)
        return rule
    return register


def user_rules_fingerprint() -> str:
    """The user rules in force, for cache keys."""
    items = sorted(f"{v.name}:{v.source_hash}" for v in _TABLE.values() if v.user)
    return ";".join(items)
