"""VJP rules for `scipy.special`, registered only when SciPy is importable.

SciPy is optional: without it this module registers nothing. The rules use
only ufuncs (SciPy's are NumPy ufuncs, so they build IR on `Sym`s) and
NumPy functions. Constants are Python floats, so float32 stays float32.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir.builder import emit
from ..runtime.core import astype_like, expand_reduced, unbroadcast
from ..runtime.numeric import safe_div
from .registry import defvjp, lookup, refuse, vjp_rule

try:
    from scipy import special
except ImportError:  # pragma: no cover - exercised only without SciPy
    special = None

TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
SQRT_2PI = math.sqrt(2 * math.pi)


def _no_rule(ct, what: str) -> None:  # type: ignore[no-untyped-def]
    refuse(ct, f"no derivative rule for {what}")


def _polygamma(n, x):  # type: ignore[no-untyped-def]
    """polygamma(n, x) for a static n >= 1 as the ufunc zeta (special.polygamma is not a ufunc)."""
    if isinstance(n, int) and n >= 1:
        return (-1.0) ** (n + 1) * math.factorial(n) * _zeta(n + 1, x)
    return emit(special.polygamma, n, x)


def _zeta(s, q):  # type: ignore[no-untyped-def]
    """special.zeta(s, q) as one call (the function calls a private ufunc, which has no rule)."""
    return emit(special.zeta, s, q)


def _register() -> None:
    assert special is not None
    # --- logistic and softmax family ---------------------------------------------------
    defvjp(special.expit, lambda ct, out, x: ct * out * (1 - out))
    defvjp(special.log_expit, lambda ct, out, x: ct * special.expit(-x))  # 1 - expit(x), stable
    defvjp(special.logit, lambda ct, out, x: safe_div(ct, x * (1 - x)))

    @vjp_rule(special.logsumexp, argnum=0)
    def logsumexp_vjp_a(ct, out, a, axis=None, b=None, keepdims=False, return_sign=False):  # type: ignore[no-untyped-def]
        """b exp(a - out): the softmax weights, never overflowing."""
        if return_sign:
            refuse(ct, "no derivative rule for scipy.special.logsumexp with return_sign=True", "use np.sign of the sum separately")
        weights = np.exp(a - expand_reduced(out, a, axis, keepdims))
        grad = expand_reduced(ct, a, axis, keepdims) * (weights if b is None else b * weights)
        return unbroadcast(grad, a)

    @vjp_rule(special.logsumexp, argnum=2)
    def logsumexp_vjp_b(ct, out, a, axis=None, b=None, keepdims=False, return_sign=False):  # type: ignore[no-untyped-def]
        """exp(a - out)."""
        if return_sign:
            refuse(ct, "no derivative rule for scipy.special.logsumexp with return_sign=True", "use np.sign of the sum separately")
        grad = expand_reduced(ct, a, axis, keepdims) * np.exp(a - expand_reduced(out, a, axis, keepdims))
        return unbroadcast(grad, b)

    defvjp(
        special.softmax,  # y (ct - sum(ct y))
        lambda ct, out, x, axis=None: out * (ct - np.sum(ct * out, axis=axis, keepdims=True)),
    )
    defvjp(
        special.log_softmax,  # ct - softmax sum(ct)
        lambda ct, out, x, axis=None: ct - np.exp(out) * np.sum(ct, axis=axis, keepdims=True),
    )

    # --- error function and normal distribution ------------------------------------------
    defvjp(special.erf, lambda ct, out, x: ct * TWO_OVER_SQRT_PI * np.exp(-x * x))
    defvjp(special.erfc, lambda ct, out, x: -ct * TWO_OVER_SQRT_PI * np.exp(-x * x))
    defvjp(special.erfcx, lambda ct, out, x: ct * (2 * x * out - TWO_OVER_SQRT_PI))
    defvjp(special.erfinv, lambda ct, out, x: ct * SQRT_PI_OVER_TWO * np.exp(out * out))
    defvjp(special.erfcinv, lambda ct, out, x: -ct * SQRT_PI_OVER_TWO * np.exp(out * out))
    defvjp(special.ndtr, lambda ct, out, x: ct * INV_SQRT_2PI * np.exp(-0.5 * x * x))
    defvjp(special.log_ndtr, lambda ct, out, x: ct * INV_SQRT_2PI * np.exp(-0.5 * x * x - out))
    defvjp(special.ndtri, lambda ct, out, p: ct * SQRT_2PI * np.exp(0.5 * out * out))

    # --- gamma family -------------------------------------------------------------------------
    defvjp(special.gammaln, lambda ct, out, x: ct * special.digamma(x))
    defvjp(special.gamma, lambda ct, out, x: ct * out * special.digamma(x))
    defvjp(special.digamma, lambda ct, out, x: ct * _zeta(2, x))  # trigamma
    defvjp(  # special.polygamma computes in float64: its cotangent goes back in x's dtype
        special.polygamma, None, lambda ct, out, n, x: astype_like(unbroadcast(ct * _polygamma(n + 1, x), x), x)
    )
    defvjp(
        special.zeta,  # Hurwitz zeta(s, q): d/dq = -s zeta(s + 1, q)
        lambda ct, out, s, q=None: _no_rule(ct, "scipy.special.zeta with respect to its exponent s"),
        lambda ct, out, s, q=None: unbroadcast(-ct * s * _zeta(s + 1, q), q),
    )
    defvjp(
        special.betaln,
        lambda ct, out, a, b: unbroadcast(ct * (special.digamma(a) - special.digamma(a + b)), a),
        lambda ct, out, a, b: unbroadcast(ct * (special.digamma(b) - special.digamma(a + b)), b),
    )
    defvjp(
        special.beta,
        lambda ct, out, a, b: unbroadcast(ct * out * (special.digamma(a) - special.digamma(a + b)), a),
        lambda ct, out, a, b: unbroadcast(ct * out * (special.digamma(b) - special.digamma(a + b)), b),
    )

    defvjp(math.lgamma, lambda ct, out, x: ct * special.digamma(x))
    defvjp(math.gamma, lambda ct, out, x: ct * out * special.digamma(x))

    # --- x log y: a zero cotangent (or x = 0) gives 0, never 0 * log(0) --------------------------
    defvjp(
        special.xlogy,
        lambda ct, out, x, y: unbroadcast(special.xlogy(ct, y), x),
        lambda ct, out, x, y: unbroadcast(safe_div(ct * x, y), y),
    )
    defvjp(
        special.xlog1py,
        lambda ct, out, x, y: unbroadcast(special.xlog1py(ct, y), x),
        lambda ct, out, x, y: unbroadcast(safe_div(ct * x, 1 + y), y),
    )
    defvjp(special.entr, lambda ct, out, x: -special.xlogy(ct, x) - ct)  # -x log x
    defvjp(
        special.rel_entr,  # x log(x / y)
        lambda ct, out, x, y: unbroadcast(special.xlogy(ct, x / y) + ct, x),
        lambda ct, out, x, y: unbroadcast(-safe_div(ct * x, y), y),
    )
    defvjp(
        special.kl_div,  # x log(x / y) - x + y
        lambda ct, out, x, y: unbroadcast(special.xlogy(ct, x / y), x),
        lambda ct, out, x, y: unbroadcast(ct - safe_div(ct * x, y), y),
    )

    # --- modified Bessel functions: i0' = i1, i1' = (i0 + i2) / 2 ----------------------------------
    defvjp(special.i0, lambda ct, out, x: ct * special.i1(x))
    defvjp(special.i1, lambda ct, out, x: ct * 0.5 * (special.i0(x) + special.iv(2, x)))
    defvjp(special.iv, None, lambda ct, out, v, x: unbroadcast(ct * 0.5 * (special.iv(v - 1, x) + special.iv(v + 1, x)), x))

    # --- SciPy's own copies of NumPy's elementary functions ----------------------------------------
    defvjp(special.exp10, lambda ct, out, x: ct * out * math.log(10.0))
    for ours, numpys in [(special.exp2, np.exp2), (special.expm1, np.expm1), (special.log1p, np.log1p), (special.cbrt, np.cbrt)]:
        defvjp(ours, *lookup(numpys).partials)  # type: ignore[union-attr]


if special is not None:
    _register()
