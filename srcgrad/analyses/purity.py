"""Which ops may be removed, merged or reordered: those without side effects."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..ir import Block, Op
from ..runtime import core
from ..runtime.indexing import add_at

# Calls whose result is a fresh mutable object, or that mutate an argument.
_MUTABLE_RESULTS = (core.make_list, core.list_append, add_at, core.setitem_inplace,
                    operator.iadd, operator.isub, operator.imul, operator.itruediv)
_PURE_METHODS = {"astype", "copy", "dot", "sum", "mean", "reshape", "transpose", "conj", "item", "tolist"}




OUTPUT_CALLS = (builtins.print,)
"""Calls kept for their output: the adjoint's forward sweep prints what the function prints."""


def is_pure(op: Op) -> bool:
    if op.kind in ("push", "pop", "return", "yield"):
        return False
    if op.kind == "call":
        if op.fn in core.CHECKS or op.fn in OUTPUT_CALLS:  # kept for what they check or print
            return False
        if op.fn in _MUTABLE_RESULTS:
            return op.fn is core.make_list  # a new list mutates nothing
        if isinstance(op.fn, core.Method):
            return op.fn.name in _PURE_METHODS
        return True
    return all(region_is_pure(r) for r in op.regions)


def region_is_pure(block: Block) -> bool:
    return all(is_pure(op) or op.kind == "yield" for op in block.ops)


# New arrays that later passes may write in place: two of them are never merged into one.
_ALLOCATIONS = {
    np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like, np.full_like, np.empty_like, np.copy,
    np.array,
}  # fmt: skip


def is_mergeable(op: Op) -> bool:
    """Safe to share one result between two identical ops (common-subexpression elimination)."""
    return (op.kind == "call" and is_pure(op) and op.fn is not core.make_list
            and op.fn not in _ALLOCATIONS and not (isinstance(op.fn, core.Method) and op.fn.name == "copy"))
