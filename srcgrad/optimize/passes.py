"""Pass plumbing: a pass is `run(fn) -> changed`; passes compose in plain code.

`run_to_fixed_point` repeats a sequence of passes until none reports a change;
with verification on (tests, or SRCGRAD_VERIFY=1) the IR is verified after
every pass, so a broken pass is caught at the pass that broke it.
"""

from __future__ import annotations

import os
from typing import Protocol, Sequence

from ..ir import Function
from ..ir.verifier import verify


class FunctionPass(Protocol):
    name: str

    def run(self, fn: Function) -> bool: ...


def verify_enabled() -> bool:
    return os.environ.get("SRCGRAD_VERIFY", "") not in ("", "0")


def run_pass(p: FunctionPass, fn: Function, *, check: bool | None = None) -> bool:
    changed = p.run(fn)
    if check if check is not None else verify_enabled():
        verify(fn)
    return changed


def run_to_fixed_point(passes: Sequence[FunctionPass], fn: Function, *, limit: int = 50, check: bool | None = None) -> None:
    for _ in range(limit):
        changed = False
        for p in passes:
            changed |= run_pass(p, fn, check=check)
        if not changed:
            return
