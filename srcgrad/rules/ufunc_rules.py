"""VJP rules for NumPy's float ufuncs (and the `math` functions that mirror them).

`ct` is the output's cotangent, `out` the primal output. Where the local
derivative is infinite (sqrt-like points, arcsin(±1), log1p(-1), ...) the rule
divides with `safe_div`, so a zero cotangent gives exactly 0 there, never NaN
(docs/nan-policy.md). Constants are Python floats (`math.log(2)`), which keep a
float32 cotangent float32. Ties of two-argument selections go to the first
argument, as TensorFlow's `maximum` does.
"""

from __future__ import annotations

import math

import numpy as np

from ..runtime.core import unbroadcast
from ..runtime.numeric import reject, safe_div, select
from .registry import defvjp, lookup, nondifferentiable, refuse, vjp_rule, zero_vjp

LN2 = math.log(2.0)
LN10 = math.log(10.0)

# --- trigonometric and hyperbolic ---------------------------------------------------
defvjp(np.arcsin, lambda ct, out, x: safe_div(ct, np.sqrt(1 - x * x)))
defvjp(np.arccos, lambda ct, out, x: -safe_div(ct, np.sqrt(1 - x * x)))
defvjp(np.arctan, lambda ct, out, x: ct / (1 + x * x))
defvjp(np.sinh, lambda ct, out, x: ct * np.cosh(x))
defvjp(np.cosh, lambda ct, out, x: ct * np.sinh(x))
defvjp(np.arcsinh, lambda ct, out, x: ct / np.hypot(x, 1))  # hypot: no overflow of x * x
defvjp(np.arccosh, lambda ct, out, x: safe_div(ct, np.sqrt((x - 1) * (x + 1))))
defvjp(np.arctanh, lambda ct, out, x: safe_div(ct, (1 - x) * (1 + x)))
defvjp(np.deg2rad, lambda ct, out, x: ct * (math.pi / 180))
defvjp(np.radians, lambda ct, out, x: ct * (math.pi / 180))
defvjp(np.rad2deg, lambda ct, out, x: ct * (180 / math.pi))
defvjp(np.degrees, lambda ct, out, x: ct * (180 / math.pi))
defvjp(
    np.hypot,  # at the origin the cotangent is 0 (the subgradient of a norm there)
    lambda ct, out, x, y: unbroadcast(safe_div(ct * x, out), x),
    lambda ct, out, x, y: unbroadcast(safe_div(ct * y, out), y),
)
defvjp(
    np.arctan2,  # arctan2(y, x): d/dy = x / r², d/dx = -y / r²
    lambda ct, out, y, x: unbroadcast(safe_div(ct * x, x * x + y * y), y),
    lambda ct, out, y, x: unbroadcast(-safe_div(ct * y, x * x + y * y), x),
)


@vjp_rule(np.sinc)
def sinc_vjp(ct, out, x):  # type: ignore[no-untyped-def]
    """sinc'(x) = (cos(πx) - sinc(x)) / x, and 0 at x = 0 (evaluated at a safe x there)."""
    at_zero = x == 0
    x_safe = np.where(at_zero, np.ones_like(x), x)
    slope = (np.cos(math.pi * x_safe) - np.sinc(x_safe)) / x_safe
    return reject(at_zero, ct * slope)


# --- exponentials and logarithms ----------------------------------------------------
defvjp(np.exp2, lambda ct, out, x: ct * out * LN2)
defvjp(np.expm1, lambda ct, out, x: ct * (out + 1))  # out + 1 = exp(x), exact for small x too
defvjp(np.log2, lambda ct, out, x: safe_div(ct, x * LN2))
defvjp(np.log10, lambda ct, out, x: safe_div(ct, x * LN10))
defvjp(np.log1p, lambda ct, out, x: safe_div(ct, 1 + x))
def _share(x, out, exp):  # type: ignore[no-untyped-def]
    """exp(x - out), x's share of the sum, which is <= 1 and never overflows. Where both terms are
    -inf (out is -inf: an unreachable state) it is an even split, computed with no inf - inf
    anywhere, so neither this nor its own derivative is NaN (a "double where")."""
    dead = np.isneginf(out)
    gap = np.where(dead, 0.0, x) - np.where(dead, 0.0, out)
    return np.where(dead, 0.5, exp(gap))


defvjp(
    np.logaddexp,
    lambda ct, out, x, y: unbroadcast(ct * _share(x, out, np.exp), x),
    lambda ct, out, x, y: unbroadcast(ct * _share(y, out, np.exp), y),
)
defvjp(
    np.logaddexp2,
    lambda ct, out, x, y: unbroadcast(ct * _share(x, out, np.exp2), x),
    lambda ct, out, x, y: unbroadcast(ct * _share(y, out, np.exp2), y),
)

# --- powers and arithmetic -------------------------------------------------------------
defvjp(np.cbrt, lambda ct, out, x: safe_div(ct, 3 * out * out))
defvjp(np.reciprocal, lambda ct, out, x: -safe_div(ct, x * x))
defvjp(np.fabs, lambda ct, out, x: ct * np.sign(x))  # fabs'(0) = 0, as abs
defvjp(np.conjugate, lambda ct, out, x: np.conjugate(ct))  # real inputs: the identity
defvjp(np.real, lambda ct, out, x: ct)
zero_vjp(np.imag)  # zero for real inputs
defvjp(
    np.remainder,  # x mod y = x - y * floor(x / y)
    lambda ct, out, x, y: unbroadcast(ct, x),
    lambda ct, out, x, y: unbroadcast(-ct * np.floor_divide(x, y), y),
)
defvjp(
    np.fmod,  # fmod(x, y) = x - y * trunc(x / y)
    lambda ct, out, x, y: unbroadcast(ct, x),
    lambda ct, out, x, y: unbroadcast(-ct * np.trunc(x / y), y),
)
defvjp(
    np.copysign,  # |x| with y's sign: the slope is ±1 by x's and y's signs, 0 at x = 0
    lambda ct, out, x, y: unbroadcast(ct * np.sign(x) * np.copysign(1.0, y), x),
    lambda ct, out, x, y: np.zeros_like(y),
)
defvjp(np.ldexp, lambda ct, out, x, i: unbroadcast(np.ldexp(ct, i), x), None)  # x * 2**i
defvjp(np.frexp, lambda ct, out, x: np.ldexp(ct[0], -out[1]))  # mantissa = x * 2**-exponent
defvjp(np.modf, lambda ct, out, x: ct[0])  # (x - trunc(x), trunc(x))
defvjp(
    np.divmod,  # (floor(x / y), x - y * floor(x / y))
    lambda ct, out, x, y: unbroadcast(ct[1], x),
    lambda ct, out, x, y: unbroadcast(-ct[1] * out[0], y),
)
defvjp(np.nextafter, lambda ct, out, x, y: unbroadcast(ct, x), lambda ct, out, x, y: np.zeros_like(y))
defvjp(np.nan_to_num, lambda ct, out, x, *args, **kwargs: select(np.isfinite(x), ct))

# --- selections: ties to the first argument; fmax/fmin skip NaNs ------------------------
defvjp(
    np.fmax,
    lambda ct, out, x, y: unbroadcast(select((x >= y) | np.isnan(y), ct), x),
    lambda ct, out, x, y: unbroadcast(reject((x >= y) | np.isnan(y), ct), y),
)
defvjp(
    np.fmin,
    lambda ct, out, x, y: unbroadcast(select((x <= y) | np.isnan(y), ct), x),
    lambda ct, out, x, y: unbroadcast(reject((x <= y) | np.isnan(y), ct), y),
)


def _clip_bounds(ct, a_min, a_max, kwargs):  # type: ignore[no-untyped-def]
    """np.clip's bounds, given positionally or as min=/max= (NumPy 2); the ufunc options
    (where=, dtype=, ...) that np.clip passes on are refused."""
    options = [f"{k}=" for k in kwargs if k not in ("min", "max")]
    if options:
        refuse(ct, f"no derivative rule for np.clip with {', '.join(options)}", "leave the option out")
    return (kwargs.get("min") if a_min is None else a_min), (kwargs.get("max") if a_max is None else a_max)


def _clip_lower(a, a_min, a_max):  # type: ignore[no-untyped-def]
    """clip = minimum(maximum(a, a_min), a_max): the value that reaches the upper bound test."""
    return a if a_min is None else np.maximum(a, a_min)


@vjp_rule(np.clip, argnum=0)
def clip_vjp_a(ct, out, a, a_min=None, a_max=None, **kwargs):  # type: ignore[no-untyped-def]
    """Passes where a_min <= a <= a_max (bounds included, as TensorFlow's clip_by_value)."""
    a_min, a_max = _clip_bounds(ct, a_min, a_max, kwargs)
    passes = None if a_min is None else a >= a_min
    if a_max is not None:
        below = _clip_lower(a, a_min, a_max) <= a_max
        passes = below if passes is None else passes & below
    return unbroadcast(ct if passes is None else select(passes, ct), a)


@vjp_rule(np.clip, argnum=1)
def clip_vjp_min(ct, out, a, a_min=None, a_max=None, **kwargs):  # type: ignore[no-untyped-def]
    """The lower bound gets the cotangent where it is the result."""
    a_min, a_max = _clip_bounds(ct, a_min, a_max, kwargs)
    active = a < a_min
    if a_max is not None:
        active = active & (np.maximum(a, a_min) <= a_max)
    return unbroadcast(select(active, ct), a_min)


@vjp_rule(np.clip, argnum=2)
def clip_vjp_max(ct, out, a, a_min=None, a_max=None, **kwargs):  # type: ignore[no-untyped-def]
    """The upper bound gets the cotangent where it is the result."""
    a_min, a_max = _clip_bounds(ct, a_min, a_max, kwargs)
    return unbroadcast(select(_clip_lower(a, a_min, a_max) > a_max, ct), a_max)


# --- piecewise constant, and boolean or integer results ---------------------------------
zero_vjp(np.around, np.fix, np.floor_divide, np.heaviside, np.spacing)
nondifferentiable(
    np.signbit, np.isneginf, np.isposinf, np.isreal, np.iscomplex, np.isrealobj, np.iscomplexobj, np.isscalar,
    np.isclose, np.allclose, np.array_equal, np.array_equiv, np.logical_xor,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift, np.gcd, np.lcm,
    np.all, np.any, np.count_nonzero, np.bitwise_count, np.isnat,
)  # fmt: skip

# --- the math module: the same math on Python floats ------------------------------------
for _name, _numpy_fn in [
    ("asin", np.arcsin), ("acos", np.arccos), ("atan", np.arctan), ("atan2", np.arctan2), ("sinh", np.sinh),
    ("cosh", np.cosh), ("asinh", np.arcsinh), ("acosh", np.arccosh), ("atanh", np.arctanh), ("exp2", np.exp2),
    ("expm1", np.expm1), ("log2", np.log2), ("log10", np.log10), ("log1p", np.log1p), ("hypot", np.hypot),
    ("degrees", np.degrees), ("radians", np.radians), ("copysign", np.copysign), ("fmod", np.fmod),
    ("cbrt", np.cbrt), ("ldexp", np.ldexp), ("frexp", np.frexp), ("modf", np.modf),
]:  # fmt: skip
    if hasattr(math, _name):  # exp2 and cbrt are new in Python 3.11
        defvjp(getattr(math, _name), *lookup(_numpy_fn).partials)  # type: ignore[union-attr]
defvjp(math.erf, lambda ct, out, x: ct * (2 / math.sqrt(math.pi)) * np.exp(-x * x))
defvjp(math.erfc, lambda ct, out, x: -ct * (2 / math.sqrt(math.pi)) * np.exp(-x * x))
defvjp(  # x - y * round(x / y)
    math.remainder, lambda ct, out, x, y: ct, lambda ct, out, x, y: -ct * np.round(x / y)
)
nondifferentiable(math.isnan, math.isinf, math.isfinite, math.isclose)
