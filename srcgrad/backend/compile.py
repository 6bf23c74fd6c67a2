"""Source → code object, with the text registered in `linecache`, so
tracebacks, `pdb` and `inspect.getsource` work on generated code (which
higher-order derivatives need: the adjoint is itself read as source)."""

from __future__ import annotations

import linecache
import os
from typing import Any


def compile_module(text: str, filename: str) -> Any:
    on_disk = os.path.exists(filename)
    if not on_disk:
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    return compile(text, filename, "exec")
