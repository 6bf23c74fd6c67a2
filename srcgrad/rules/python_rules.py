"""VJP rules for what Python syntax and builtins reach: operators, `math`,
`sum`/`abs`/`max`/`min`/`pow`, tuples and lists, and srcgrad's own primitives.

Python's `*` lowers to `operator.mul` (printed back as `*`); its rule is
NumPy's, so each operation has exactly one piece of math.
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ..runtime import core
from ..runtime.core import Symbolic, astype_like, cast_grad, expand_like, unbroadcast
from ..runtime.indexing import (
    getitem_grad,
    written_grad,
    written_grad_to,
    written_grad_vjp,
)
from ..runtime.numeric import safe_div
from ..runtime.shapes import builtin_sum_grad, gather_sum
from .numpy_rules import power_base, power_exponent
from .registry import defvjp, lookup, nondifferentiable, zero_vjp


def _same_as(fn, numpy_fn):  # type: ignore[no-untyped-def]
    rule = lookup(numpy_fn)
    assert rule is not None, numpy_fn
    defvjp(fn, *rule.partials)


for _op, _np in [
    (operator.add, np.add),
    (operator.sub, np.subtract),
    (operator.mul, np.multiply),
    (operator.truediv, np.divide),
    (operator.neg, np.negative),
    (operator.pos, np.positive),
    (operator.matmul, np.matmul),
    (operator.abs, np.abs),
    (builtins.abs, np.abs),
]:
    _same_as(_op, _np)
defvjp(operator.pow, power_base, power_exponent)
defvjp(builtins.pow, power_base, power_exponent)
_same_as(builtins.max, np.maximum)  # max(a, b): Python keeps the first on ties, as np.maximum's rule
_same_as(builtins.min, np.minimum)

# --- math: the same math on Python floats -----------------------------------
defvjp(math.exp, lambda ct, out, x: ct * out)
defvjp(  # math.log(x, base) = ln x / ln base
    math.log,
    lambda ct, out, x, base=None: safe_div(ct, x) if base is None else safe_div(ct, x * np.log(base)),
    lambda ct, out, x, base=None: -safe_div(ct * out, base * np.log(base)),
)
defvjp(math.sqrt, lambda ct, out, x: safe_div(ct, 2 * out))
defvjp(math.sin, lambda ct, out, x: ct * np.cos(x))
defvjp(math.cos, lambda ct, out, x: -ct * np.sin(x))
defvjp(math.tan, lambda ct, out, x: ct * (1 + out * out))
defvjp(math.tanh, lambda ct, out, x: ct * (1 - out * out))
defvjp(math.pow, power_base, power_exponent)
defvjp(math.fabs, lambda ct, out, x: ct * np.sign(x))
defvjp(builtins.float, lambda ct, out, x: ct)
zero_vjp(math.floor, math.ceil, math.trunc, builtins.round)

# --- containers and indexing --------------------------------------------------
defvjp(operator.getitem, lambda ct, out, x, index: getitem_grad(ct, x, index))
defvjp(  # sum(xs, start) = start + xs[0] + xs[1] + ...
    builtins.sum, lambda ct, out, xs, start=0: builtin_sum_grad(ct, xs), lambda ct, out, xs, start=0: unbroadcast(ct, start)
)
defvjp(builtin_sum_grad, lambda g, out, ct, xs: gather_sum(g, ct), None)
defvjp(gather_sum, lambda g, out, grads, like: builtin_sum_grad(g, grads), None)
defvjp(operator.mod, lambda ct, out, x, y: unbroadcast(ct, x), None)  # x % y = x - y * floor(x / y)
defvjp(core.identity, lambda ct, out, x: ct)
defvjp(core.pack, *[(lambda ct, out, *xs, i=i: ct[i]) for i in range(64)])
defvjp(core.make_list, *[(lambda ct, out, *xs, i=i: ct[i]) for i in range(64)])
zero_vjp(operator.floordiv)
defvjp(
    core.setitem,  # the overwritten slot gets nothing; the written value gets the slot's cotangent
    lambda ct, out, x, index, value: core.setitem(ct, index, 0.0),
    None,
    lambda ct, out, x, index, value: unbroadcast(written_grad(ct, x, index), value),
)
defvjp(core.setitem_inplace, *lookup(core.setitem).partials)  # the same math as setitem
for _in_place, _op in ((operator.iadd, operator.add), (operator.isub, operator.sub), (operator.imul, operator.mul),
                       (operator.itruediv, operator.truediv)):
    defvjp(_in_place, *lookup(_op).partials)  # `b -= y` where nothing else sees b (optimize/write_in_place.py)
defvjp(written_grad, lambda g, out, ct, x, index: written_grad_vjp(g, ct, np.shape(x), index), None, None)
defvjp(written_grad_to, lambda g, out, ct, shape, index: written_grad_vjp(g, ct, shape, index), None, None)
defvjp(core.list_append, lambda ct, out, xs, x: ct[:-1], lambda ct, out, xs, x: ct[-1])

def astype_vjp(ct, out, x, dtype, *args, **kwargs):  # type: ignore[no-untyped-def]
    """A cast passes the cotangent back in the input's dtype; a cast to integers carries nothing."""
    if not isinstance(dtype, Symbolic):
        return astype_like(ct, x) if np.issubdtype(np.dtype(dtype), np.inexact) else None
    return cast_grad(ct, x, out)  # (a dtype computed at run time: np.result_type(arr))


defvjp(core.method("astype"), astype_vjp)
defvjp(core.method("copy"), lambda ct, out, x, *args, **kwargs: ct)

# --- srcgrad's primitives -------------------------------------------------------
nondifferentiable(core.stop_gradient, core.check, core.zeros_like_items)
def item_vjp(ct, out, x, *args):  # type: ignore[no-untyped-def]
    """x.item() of a one-element array, x.item(i) the i-th element in C order, x.item(i, j) x[i, j]."""
    if not args:
        return expand_like(ct, x)
    if len(args) == 1 and not isinstance(args[0], tuple):
        return np.reshape(getitem_grad(ct, np.ravel(x), args[0]), np.shape(x))
    return getitem_grad(ct, x, args[0] if len(args) == 1 else tuple(args))


defvjp(core.method("item"), item_vjp)
# A seed is ones (or the user's grad_ys) whatever the output's value: linear in grad_ys only.
defvjp(core.seed, lambda ct, out, grad_ys, y, output="": unbroadcast(ct, grad_ys), None)
defvjp(core.seeds, lambda ct, out, grad_ys, ys: core.seeds_grad(ct, grad_ys), None)  # the outputs give shapes only
defvjp(core.scalar_seed, lambda ct, out, grad_ys: unbroadcast(ct, grad_ys))
nondifferentiable(
    operator.gt, operator.ge, operator.lt, operator.le, operator.eq, operator.ne,
    operator.not_, operator.invert, operator.and_, operator.or_, operator.is_, operator.is_not,
    builtins.len, builtins.int, builtins.bool, builtins.range, builtins.isinstance,
)  # fmt: skip
