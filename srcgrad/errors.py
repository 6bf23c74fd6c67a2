"""The errors srcgrad raises on its own; each user-facing one carries a Loc."""

from __future__ import annotations

from .location import Loc


class SrcgradError(Exception):
    """Base class of every error srcgrad raises on its own."""

    def __init__(self, message: str, loc: Loc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        head = f"{self.loc.header()}: error: {self.message}" if self.loc else self.message
        parts.append(head)
        if self.loc is not None and self.loc.render():
            parts.append(self.loc.render())
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self._format()


class UnsupportedSyntaxError(SrcgradError, SyntaxError):
    """A construct the transformer does not support."""

    def __init__(self, message: str, loc: Loc | None = None, hint: str | None = None):
        SrcgradError.__init__(self, message, loc, hint)
        if loc is not None:  # SyntaxError's own fields, for tools that read them
            self.filename, self.lineno, self.offset, self.text = loc.file, loc.line, loc.col + 1, loc.text
        self.msg = self._format()

    def __str__(self) -> str:
        return self._format()


class NoGradientError(SrcgradError, LookupError):
    """A call on a path to the output whose callee has no derivative rule."""


class UnsupportedValueError(SrcgradError, ValueError):
    """Arguments the generated adjoint cannot follow, seen only at run time (an in-place write into
    an array a run-time list holds, one array passed for two parameters the function writes)."""


class InternalError(SrcgradError):
    """A srcgrad bug: an invariant of the compiler does not hold."""

    def __init__(self, message: str, loc: Loc | None = None, hint: str | None = None):
        super().__init__(f"srcgrad bug: {message}", loc, hint)


def register_hint(name: str) -> str:
    return (
        f"declare a derivative rule:\n"
        f"    @srcgrad.register_vjp({name})\n"
        f"    def {name.rsplit('.', 1)[-1]}_vjp(ct, out, *args):\n"
        f"        return (...,)  # one cotangent per positional argument, None where none flows\n"
        f"or wrap the call in srcgrad.stop_gradient(...) if no gradient should flow through it"
    )
