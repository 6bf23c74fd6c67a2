"""Run-time helpers for writes that reach an array through a view of it.

The front end functionalizes NumPy's aliasing (frontend/aliasing.py): a write through a view `v`
of a base `a` becomes a new version of `a` with the view's region replaced, and every other
name of that storage is re-derived from the new version. A view is named by a string (the keys
of `VIEW_FUNCTIONS`) and its arguments, so generated code reads
`a_1 = write_view(a, t_1, 'transpose')`. Where NumPy decides only at run time whether a result
is a view (`reshape`, `ravel`, an integer index, `np.asarray`), `is_view_of` decides the same
way, on the values Python itself would have.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..errors import UnsupportedValueError
from .core import identity, primitive, run_time_check


@primitive
def split_piece(a: Any, i: int, sections: Any, axis: int = 0) -> Any:
    """Piece `i` of `np.split(a, sections, axis)` (a view of `a`)."""
    return np.split(a, sections, axis=axis)[i]


@primitive
def array_split_piece(a: Any, i: int, sections: Any, axis: int = 0) -> Any:
    """Piece `i` of `np.array_split(a, sections, axis)` (a view of `a`)."""
    return np.array_split(a, sections, axis=axis)[i]


VIEW_FUNCTIONS = {
    "getitem": operator.getitem,
    "transpose": np.transpose,
    "swapaxes": np.swapaxes,
    "moveaxis": np.moveaxis,
    "reshape": np.reshape,
    "ravel": np.ravel,
    "squeeze": np.squeeze,
    "expand_dims": np.expand_dims,
    "asarray": np.asarray,
    "atleast_1d": np.atleast_1d,
    "atleast_2d": np.atleast_2d,
    "atleast_3d": np.atleast_3d,
    "split": split_piece,
    "identity": identity,
    "array_split": array_split_piece,
}
"""The views a write can reach through, by the name generated code calls them."""

@primitive
def is_view_of(v: Any, base: Any) -> bool:
    """Whether `v` is a view of the array `base` (shares its memory), as NumPy decided when it
    made `v`: a slice always is, a `reshape` or `ravel` is unless it had to copy, an integer
    index into a 1-D array gives a number, not a view."""
    if isinstance(base, (list, tuple, dict)) and isinstance(v, np.ndarray):
        items = base.values() if isinstance(base, dict) else base
        if any(isinstance(item, np.ndarray) and np.may_share_memory(v, item) for item in items):
            # `r = xs[-1]; r += 1` or `for r in xs: r *= 2`: Python changes the list's item
            raise UnsupportedValueError(
                "srcgrad: an in-place write reaches an array held in a list built at run time (`xs[i]`, "
                "`for r in xs`), which the adjoint's list would not see: write into a copy "
                "(`r = r.copy()`), or build a new list"
            )
    return isinstance(v, np.ndarray) and isinstance(base, np.ndarray) and np.may_share_memory(v, base)


@primitive
def is_array(x: Any) -> bool:
    """Whether `x` is an array, which `x += v` changes in place (a number is rebound instead)."""
    return isinstance(x, np.ndarray)


@primitive
def written_as(new: Any, old: Any) -> Any:
    """What `old op= v` leaves under `old`'s name when `new` is `old op v`: an array stays an array of
    its dtype (NumPy writes a 0-d array in place, where `old op v` gives a scalar), a number is
    rebound to `new`."""
    if isinstance(old, np.ndarray):
        if np.shape(new) != old.shape:  # `x += v` writes x: v may not widen it
            raise ValueError(f"non-broadcastable output operand with shape {old.shape} doesn't match the "
                             f"broadcast shape {np.shape(new)}")
        return np.asarray(new, dtype=old.dtype)
    return new


@run_time_check
@primitive
def check_distinct(a: Any, b: Any, message: str) -> None:
    """Refuse two arguments that are one array (or views of one) when the function writes into
    one of them: Python would see the write through the other, which the adjoint cannot follow."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.may_share_memory(a, b):
        raise UnsupportedValueError(message)


@run_time_check
@primitive
def check_not_array(x: Any, message: str) -> None:
    """Refuse `h += v` on an array a list built at run time holds: Python would change the list's
    item too, which the adjoint's list (of the array before the write) cannot follow. A number
    is rebound, and the list keeps the old one, as in Python."""
    if isinstance(x, np.ndarray):
        raise UnsupportedValueError(message)


def _region(x: np.ndarray, view: str, args: tuple) -> np.ndarray:
    return VIEW_FUNCTIONS[view](x, *args)


def _assign(out: np.ndarray, view: str, args: tuple, value: Any) -> None:
    """`view(out, *args)[...] = value`, whatever `out`'s memory layout: where the view op has to
    copy (a reshape of a Fortran-ordered array), the region is all of `out`, in C order."""
    region = _region(out, view, args)
    if region.size == 0 or np.may_share_memory(region, out):
        region[...] = value
    else:
        out[...] = np.reshape(np.broadcast_to(value, region.shape), out.shape)


@primitive
def write_view(base: Any, new: Any, view: str, *args: Any) -> Any:
    """`base` with the region `view(base, *args)` replaced by `new`: what `base` holds after a write
    through that view (a new array; `base` is left as it was)."""
    out = np.array(base, copy=True, order="K", dtype=np.result_type(base, new))
    _assign(out, view, args, new)
    return out


@primitive
def take_view(ct: Any, view: str, *args: Any) -> Any:
    """The region `view(ct, *args)`, as a new array (the cotangent of what was written)."""
    return np.array(_region(np.asarray(ct), view, args), copy=True)


@primitive
def clear_view(ct: Any, view: str, *args: Any) -> Any:
    """`ct` with the region `view(ct, *args)` zeroed (the cotangent of an overwritten base)."""
    out = np.array(ct, copy=True)
    _assign(out, view, args, 0)
    return out


@primitive
def embed_view(g: Any, like: Any, view: str, *args: Any) -> Any:
    """Zeros shaped like `like` with `g` in the region `view(zeros, *args)` (`take_view`'s transpose)."""
    out = np.zeros(np.shape(like), dtype=np.result_type(like, g))
    _assign(out, view, args, g)
    return out
