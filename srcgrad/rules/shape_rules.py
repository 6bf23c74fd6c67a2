"""VJP rules for functions that move, copy, select or stack elements without
arithmetic: each cotangent is the forward function's transpose (undo a
permutation, sum the copies, scatter a gather back).

Functions taking a sequence of arrays (vstack, select, choose) return one
cotangent for the whole sequence: a tuple with one entry per array. Functions
returning a sequence (split, meshgrid, broadcast_arrays) get a tuple cotangent,
with `np.zeros_like` entries for the items the program does not use.
"""

from __future__ import annotations

import numpy as np

from ..ir.builder import emit
from ..runtime import core
from ..runtime.core import add_seq, astype_like, cast_grad, unbroadcast
from ..runtime.indexing import (
    any_condition,
    choose_grad,
    delete_grad,
    scatter_along_axis,
    select_grad,
    take_grad,
)
from ..runtime.numeric import reject
from ..runtime.shapes import (
    PAD_MODES,
    concatenate_grad,
    pad_grad,
    repeat_grad,
    rollaxis_grad,
    sequence_grad,
    sequence_vjp,
    stack_grad,
    tile_grad,
    unstack,
)
from .numpy_rules import integer_dtype
from .registry import defvjp, lookup, nondifferentiable, refuse, vjp_rule

# --- permutations of axes and elements ------------------------------------------------------
defvjp(np.swapaxes, lambda ct, out, a, axis1, axis2: np.swapaxes(ct, axis1, axis2))
defvjp(np.moveaxis, lambda ct, out, a, source, destination: np.moveaxis(ct, destination, source))
defvjp(np.rollaxis, lambda ct, out, a, axis, start=0: rollaxis_grad(ct, a, axis, start))
defvjp(np.flip, lambda ct, out, m, axis=None: np.flip(ct, axis))
defvjp(np.fliplr, lambda ct, out, m: np.fliplr(ct))
defvjp(np.flipud, lambda ct, out, m: np.flipud(ct))
defvjp(np.rot90, lambda ct, out, m, k=1, axes=(0, 1): np.rot90(ct, -k, axes))


def _negated(shift):  # type: ignore[no-untyped-def]
    return tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift


defvjp(np.roll, lambda ct, out, a, shift, axis=None: np.roll(ct, _negated(shift), axis))

# --- the same elements in another shape ---------------------------------------------------------
for _atleast in (np.atleast_1d, np.atleast_2d, np.atleast_3d):  # one array in: one out; several: a tuple
    defvjp(
        _atleast,
        *[(lambda ct, out, *arys, i=i: np.reshape(ct if len(arys) == 1 else ct[i], np.shape(arys[i]))) for i in range(32)],
    )
defvjp(np.ascontiguousarray, lambda ct, out, a, dtype=None, *, like=None: None if integer_dtype(dtype) else astype_like(ct, a))
defvjp(np.asfortranarray, lambda ct, out, a, dtype=None, *, like=None: None if integer_dtype(dtype) else astype_like(ct, a))
defvjp(np.real_if_close, lambda ct, out, a, tol=100: ct)  # real inputs: the identity
defvjp(np.asanyarray, lambda ct, out, a, dtype=None, order=None, **kw: None if integer_dtype(dtype) else sequence_grad(ct, a))
defvjp(np.astype, *lookup(core.method("astype")).partials)  # type: ignore[union-attr]
defvjp(
    np.broadcast_arrays,
    *[(lambda ct, out, *args, i=i, **kwargs: unbroadcast(ct[i], args[i])) for i in range(32)],
)


def _meshgrid_vjp(ct, out, i, xi, indexing="xy", **kwargs):  # type: ignore[no-untyped-def]
    """The i-th grid repeats x_i along every other axis ('xy' swaps the first two): sum them."""
    axis = 1 - i if indexing == "xy" and len(xi) > 1 and i < 2 else i
    summed = np.sum(ct[i], axis=tuple(j for j in range(len(xi)) if j != axis))
    return np.reshape(summed, np.shape(xi[i]))


defvjp(np.meshgrid, *[(lambda ct, out, *xi, i=i, **kw: _meshgrid_vjp(ct, out, i, xi, **kw)) for i in range(32)])

# --- stacking and splitting ------------------------------------------------------------------------
for _kind in ("vstack", "row_stack", "hstack", "dstack", "column_stack"):
    if hasattr(np, _kind):  # row_stack is gone from NumPy 2.5
        defvjp(getattr(np, _kind), lambda ct, out, tup, *, dtype=None, casting="same_kind", kind=_kind:
               None if integer_dtype(dtype) else stack_grad(ct, tup, kind))
defvjp(np.split, lambda ct, out, ary, indices_or_sections, axis=0: emit(np.concatenate, ct, axis=axis))
defvjp(np.array_split, lambda ct, out, ary, indices_or_sections, axis=0: emit(np.concatenate, ct, axis=axis))
defvjp(np.hsplit, lambda ct, out, ary, indices_or_sections: emit(np.hstack, ct))
defvjp(np.vsplit, lambda ct, out, ary, indices_or_sections: emit(np.vstack, ct))
defvjp(np.dsplit, lambda ct, out, ary, indices_or_sections: emit(np.dstack, ct))
defvjp(np.unstack, lambda ct, out, x, axis=0: emit(np.stack, ct, axis=axis))


@vjp_rule(np.append, argnum=0)
def append_vjp_arr(ct, out, arr, values, axis=None):  # type: ignore[no-untyped-def]
    """The leading part of ct (flattened when axis is None)."""
    return concatenate_grad(ct, (arr, values), axis)[0]


@vjp_rule(np.append, argnum=1)
def append_vjp_values(ct, out, arr, values, axis=None):  # type: ignore[no-untyped-def]
    """The trailing part of ct."""
    return concatenate_grad(ct, (arr, values), axis)[1]


# --- copies: each copy's cotangent adds to its source ------------------------------------------------
defvjp(np.tile, lambda ct, out, a, reps: tile_grad(ct, a, reps))
defvjp(np.repeat, lambda ct, out, a, repeats, axis=None: repeat_grad(ct, a, repeats, axis))


@vjp_rule(np.pad)
def pad_vjp(ct, out, array, pad_width, mode="constant", **kwargs):  # type: ignore[no-untyped-def]
    """The unpadded part, plus what edge/reflect/wrap copies received."""
    if mode not in PAD_MODES or kwargs.get("reflect_type", "even") != "even":
        given = f"mode={mode!r}" if mode not in PAD_MODES else "reflect_type='odd'"
        refuse(ct, f"no derivative rule for np.pad with {given}", f"modes with one: {', '.join(PAD_MODES)}")
    return pad_grad(ct, array, pad_width, mode)


# --- gathers: the cotangent scatters back (repeated indices add up) ---------------------------------


@vjp_rule(np.sort)
def sort_vjp(ct, out, a, axis=-1, kind=None, order=None, **kwargs):  # type: ignore[no-untyped-def]
    """Each sorted element's cotangent goes back to where it came from (ties: in stable order)."""
    return scatter_along_axis(ct, a, np.argsort(a, axis=axis, kind="stable"), axis)


defvjp(np.take, lambda ct, out, a, indices, axis=None, _out=None, mode="raise": take_grad(ct, a, indices, axis, mode))
defvjp(np.take_along_axis, lambda ct, out, arr, indices, axis=-1: scatter_along_axis(ct, arr, indices, axis))
defvjp(np.compress, None, lambda ct, out, c, a, axis=None: take_grad(ct, a, np.flatnonzero(c), axis))
defvjp(np.extract, None, lambda ct, out, c, arr: take_grad(ct, arr, np.flatnonzero(c), None))
defvjp(np.delete, lambda ct, out, arr, obj, axis=None: delete_grad(ct, arr, obj, axis))
defvjp(
    np.select,  # the first true condition picks; where none does, the default
    None,
    lambda ct, out, condlist, choicelist, default=0: select_grad(ct, condlist, choicelist),
    lambda ct, out, condlist, choicelist, default=0: unbroadcast(reject(any_condition(condlist), ct), default),
)
defvjp(np.choose, None, lambda ct, out, a, choices, _out=None, mode="raise": choose_grad(ct, a, choices, mode))

# --- indices, orderings and constructors: no gradient --------------------------------------------------
nondifferentiable(
    np.nonzero, np.flatnonzero, np.argwhere, np.searchsorted, np.digitize, np.argpartition, np.lexsort,
    np.nanargmax, np.nanargmin, np.unravel_index, np.ravel_multi_index, np.isin,
    np.indices, np.diag_indices, np.diag_indices_from, np.tril_indices, np.triu_indices,
    np.tril_indices_from, np.triu_indices_from,
    np.empty, np.identity, np.tri, np.logspace, np.geomspace,
    any_condition,
)  # fmt: skip

# --- rules of the helpers these rules emit (gradients of gradients): the forward function again ---------
defvjp(tile_grad, lambda ct, out, g, a, reps: np.tile(ct, reps), None, None)
defvjp(repeat_grad, lambda ct, out, g, a, repeats, axis=None: np.repeat(ct, repeats, axis=axis), None, None)
defvjp(take_grad, lambda ct, out, g, a, indices, axis=None, mode="raise": np.take(ct, indices, axis=axis, mode=mode))
defvjp(scatter_along_axis, lambda ct, out, g, a, indices, axis: np.take_along_axis(ct, indices, axis=axis))
defvjp(delete_grad, lambda ct, out, g, arr, obj, axis=None: np.delete(ct, obj, axis=axis))
defvjp(rollaxis_grad, lambda ct, out, g, a, axis, start=0: np.rollaxis(ct, axis, start))
defvjp(
    pad_grad,
    lambda ct, out, g, a, pad_width, mode="constant": np.pad(ct, pad_width, mode="constant" if mode == "empty" else mode),
)
defvjp(stack_grad, lambda ct, out, g, xs, kind: emit(getattr(np, kind), ct))
defvjp(
    select_grad,
    lambda ct, out, g, condlist, choicelist: np.broadcast_to(emit(np.select, condlist, ct), np.shape(g)),
)
defvjp(choose_grad, lambda ct, out, g, a, choices, mode="raise": emit(np.choose, a, ct, mode=mode))
defvjp(sequence_vjp, lambda ct, out, u, xs: sequence_grad(ct, xs), None)
for _helper, _partial in [
    (concatenate_grad, lambda ct, out, g, xs, axis=0: emit(np.concatenate, ct, axis=axis)),
    (unstack, lambda ct, out, g, xs, axis=0: emit(np.stack, ct, axis=axis)),
    (sequence_grad, lambda ct, out, g, xs: sequence_vjp(ct, xs)),
    (astype_like, lambda ct, out, g, x: astype_like(ct, g)),
    (cast_grad, lambda ct, out, g, x, cast: cast_grad(ct, g, cast)),
]:
    if lookup(_helper) is None:  # numpy_rules' concatenate, stack, array and astype emit these
        defvjp(_helper, _partial)
if lookup(add_seq) is None:  # reverse mode adds the cotangents of a list or tuple with it
    defvjp(add_seq, lambda ct, out, a, b: ct, lambda ct, out, a, b: ct)
