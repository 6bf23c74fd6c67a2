"""`srcgrad.export(f, path, **options)`: the adjoint of `f` as a standalone module (backend/export.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from . import options as option_checks
from . import pipeline
from .backend.export import standalone
from .frontend.source import parse_function, unwrap
from .version import __version__

if TYPE_CHECKING:  # (typed options for editors and type checkers; nothing at run time)
    from typing_extensions import Unpack

    from .options import GradOptions


def export(fn: Any, path: str | os.PathLike | None = None, **options: Unpack[GradOptions]) -> str:
    """Write the adjoint of `fn` (with `grad`'s options) to `path` as a module that needs NumPy
    only, and return its text. Its function is `<name>_grad(*args, grad_ys=None)`, as
    `srcgrad.show` prints it: it returns the gradient, or a tuple of them for several `wrt`."""
    fn = unwrap(fn)
    generated, _ = pipeline.differentiate(fn, option_checks.normalise(fn, options))
    assert generated is not None
    parsed = parse_function(fn)
    origin = f"{getattr(fn, '__module__', '?')}.{fn.__qualname__} ({os.path.basename(parsed.file)}:{parsed.first_line})"
    text = standalone(generated, fn, origin, __version__)
    if path is not None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    return text
