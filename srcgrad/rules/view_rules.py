"""Rules of the helpers that writes through views emit (runtime/views.py).

`write_view(base, new, view, *args)` is linear in `base` and `new`: the base's cotangent is `ct`
with the written region zeroed, the written value's is that region. The region helpers are
each other's transposes, so every order of derivative goes through them.
"""

from __future__ import annotations

from ..runtime.core import astype_like, unbroadcast
from ..runtime.views import (
    array_split_piece,
    check_distinct,
    check_not_array,
    clear_view,
    embed_view,
    is_array,
    is_view_of,
    split_piece,
    take_view,
    write_view,
    written_as,
)
from .registry import defvjp, nondifferentiable

nondifferentiable(is_view_of, is_array, check_distinct, check_not_array)
defvjp(
    write_view,
    lambda ct, out, base, new, view, *args: clear_view(ct, view, *args),
    lambda ct, out, base, new, view, *args: unbroadcast(take_view(ct, view, *args), new),
)
defvjp(written_as, lambda ct, out, new, old: astype_like(ct, new), None)
defvjp(take_view, lambda g, out, ct, view, *args: embed_view(g, ct, view, *args))
defvjp(clear_view, lambda g, out, ct, view, *args: clear_view(g, view, *args))
defvjp(embed_view, lambda h, out, g, like, view, *args: unbroadcast(take_view(h, view, *args), g))
defvjp(split_piece, lambda ct, out, a, i, sections, axis=0: embed_view(ct, a, "split", i, sections, axis))
defvjp(array_split_piece, lambda ct, out, a, i, sections, axis=0: embed_view(ct, a, "array_split", i, sections, axis))
