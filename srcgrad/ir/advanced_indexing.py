"""Whether an index operand is an advanced index, which NumPy answers with a copy, never a view."""

from __future__ import annotations

from typing import Any

from ..runtime import core
from .nodes import Const, Op, Value


def is_list_index(index: Any) -> bool:
    """An index holding a list literal (`x[[2, 0]]`, or one part of a tuple index: `x[:, [2, 0]]`)."""
    if isinstance(index, Const):
        return isinstance(index.value, list)
    owner = index.owner if isinstance(index, Value) else None
    if not isinstance(owner, Op) or owner.kind != "call":
        return False
    if owner.fn is core.make_list:
        return True
    return owner.fn is core.pack and any(is_list_index(item) for item in owner.args)
