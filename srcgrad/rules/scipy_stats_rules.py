"""VJP rules for `scipy.stats` distribution functions, registered only when SciPy is importable.

This module owns the rules for what research code calls on SciPy's distribution objects:
`norm`, `t`, `beta` and `gamma` (`logpdf`, `pdf`, `cdf`, `logcdf`, `sf`, `logsf`, with shape
parameters and `loc`/`scale` by position or keyword), `poisson` (`logpmf`, `pmf`) and
`multivariate_normal` (`logpdf`, `pdf`, with `mean`/`cov` by position or keyword). Reverse mode
gives cotangents by position, so a differentiated argument must be passed by position; one passed
by keyword (`loc=mu`) is refused there, with a location (keyword arguments held fixed are read).

Each rule is keyed on the bound method itself (`scipy.stats.norm.logpdf`): bound methods of one
object compare and hash equal, so `from scipy.stats import norm; norm.logpdf(...)` and
`stats.norm.logpdf(...)` find the same entry. A frozen distribution (`norm(0, 1).logpdf(x)`) is
another object whose methods have no rule; srcgrad refuses it where a gradient flows through it.
A `scipy.stats.Covariance` object as `cov` is refused where it is known at compile time (a constant,
a global or closure value); one the function builds itself is not detected.

The rules are readable math on `Sym`s, as in scipy_rules.py: a location-scale family is its
standardized log density `logf(z)` and the slopes of `logf` in `z` and in each shape parameter;
the chain rule through `z = (x - loc) / scale` is written once. SciPy computes in float64, so each
cotangent is summed back to its argument's shape (`unbroadcast`) and cast to its dtype.
Options a rule cannot honour (`allow_singular=True`, a derivative with no closed form, an
argument the method does not take) are refused at the call, never silently dropped.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import Free
from ..ir.builder import Sym, emit
from ..runtime.core import astype_like, pack, unbroadcast
from ..runtime.linalg import eye_like
from ..runtime.numeric import reject, safe_div, select
from .registry import defvjp, refuse

try:
    from scipy import special, stats
except ImportError:  # pragma: no cover - exercised only without SciPy
    special = stats = None

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
LOG_PI = math.log(math.pi)
HOLD_FIXED = "hold it fixed with srcgrad.stop_gradient(...), or leave it out of wrt"


def _back(g, arg):  # type: ignore[no-untyped-def]
    """A cotangent summed back to `arg`'s shape, in `arg`'s dtype (SciPy returns float64)."""
    return astype_like(unbroadcast(g, arg), arg)


def _is(value: Any, constant: float) -> bool:
    """Whether `value` is the number `constant` where the function is compiled (loc=0, scale=1)."""
    return type(value) in (int, float) and value == constant


def _minus(a, b):  # type: ignore[no-untyped-def]
    return a if _is(b, 0) else a - b


def _over(a, b):  # type: ignore[no-untyped-def]
    return a if _is(b, 1) else a / b


def _signature(*names: str, **defaults: Any) -> inspect.Signature:
    P = inspect.Parameter
    return inspect.Signature([P(n, P.POSITIONAL_OR_KEYWORD) for n in names]
                             + [P(n, P.POSITIONAL_OR_KEYWORD, default=v) for n, v in defaults.items()])


def _bind(ct, what: str, signature: inspect.Signature, args: tuple, kwargs: dict) -> dict:  # type: ignore[no-untyped-def]
    """The call's arguments by name, as SciPy reads them; refused when SciPy would read others."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        unknown = [f"{k}=" for k in kwargs if k not in signature.parameters]
        refuse(ct, f"no derivative rule for {what} with {', '.join(unknown) or f'{len(args)} positional arguments'}",
               f"{what} is differentiated as {what}{signature}")
    bound.apply_defaults()
    return bound.arguments


# --- location-scale families: z = (x - loc) / scale ------------------------------------------------
class Family:
    """A standardized density: `logf(z, *shapes)`, its slope in z, its slopes in the shape
    parameters, and (where it is not the whole line) the z where the density is positive."""

    def __init__(self, dist: Any, logf: Callable, dlogf: Callable, dshapes: tuple = (),
                 support: Callable | None = None):
        self.dist, self.logf, self.dlogf, self.dshapes, self.support = dist, logf, dlogf, dshapes, support
        self.shapes = tuple(s.strip() for s in (dist.shapes or "").split(",") if s.strip())
        self.signature = _signature("x", *self.shapes, loc=0.0, scale=1.0)


DENSITY = ("logpdf", "pdf")
TAILS = ("cdf", "logcdf", "sf", "logsf")


def _tail_slope(family: Family, method: str, z, shapes, out):  # type: ignore[no-untyped-def]
    """d out / dz of a tail function: the density f(z), divided by the value for a log."""
    logf = family.logf(z, *shapes)
    slope = np.exp(logf - out) if method.startswith("log") else np.exp(logf)
    return -slope if method.endswith("sf") else slope


def _family_partial(family: Family, method: str, i: int) -> Callable:
    what = f"scipy.stats.{family.dist.name}.{method}"
    n = len(family.shapes)
    name = list(family.signature.parameters)[i]

    def partial(ct, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        p = _bind(ct, what, family.signature, args, kwargs)
        x, loc, scale = p["x"], p["loc"], p["scale"]
        shapes = [p[s] for s in family.shapes]
        if 1 <= i <= n and method in TAILS:
            refuse(ct, f"no derivative rule for {what} with respect to its shape parameter {name} "
                       "(its derivative there has no closed form)", HOLD_FIXED)
        z = _over(_minus(x, loc), scale)
        inside = None
        if family.support is not None:  # evaluated inside the support, zero outside it
            inside = family.support(z)
            z = np.where(inside, z, 0.5)
        if method in DENSITY:
            dz = family.dlogf(z, *shapes)  # logpdf = logf(z) - log(scale)
        else:
            dz = _tail_slope(family, method, z, shapes, out)
        if i == 0:
            slope = _over(dz, scale)
        elif i <= n:
            slope = family.dshapes[i - 1](z, *shapes)
        elif i == n + 1:
            slope = -_over(dz, scale)
        else:
            slope = -(dz * z + 1.0) / scale if method in DENSITY else -dz * z / scale
        g = ct * out * slope if method == "pdf" else ct * slope  # pdf = exp(logpdf)
        if inside is not None:
            g = select(inside, g)
        return _back(g, p[name])

    return partial


def _t_logf(z, df):  # type: ignore[no-untyped-def]
    return (special.gammaln(0.5 * (df + 1.0)) - special.gammaln(0.5 * df) - 0.5 * (np.log(df) + LOG_PI)
            - 0.5 * (df + 1.0) * np.log1p(z * z / df))


def _t_ddf(z, df):  # type: ignore[no-untyped-def]
    """d logf / d df of Student's t."""
    return (0.5 * (special.digamma(0.5 * (df + 1.0)) - special.digamma(0.5 * df)) - 0.5 / df
            - 0.5 * np.log1p(z * z / df) + 0.5 * (df + 1.0) * z * z / (df * (df + z * z)))


def _families() -> list[Family]:
    return [
        Family(stats.norm, lambda z: -0.5 * z * z - LOG_SQRT_2PI, lambda z: -z),
        Family(stats.t, _t_logf, lambda z, df: -(df + 1.0) * z / (df + z * z), (_t_ddf,)),
        Family(
            stats.beta,
            lambda z, a, b: special.xlogy(a - 1.0, z) + special.xlog1py(b - 1.0, -z) - special.betaln(a, b),
            lambda z, a, b: (a - 1.0) / z - (b - 1.0) / (1.0 - z),
            (lambda z, a, b: np.log(z) - special.digamma(a) + special.digamma(a + b),
             lambda z, a, b: np.log1p(-z) - special.digamma(b) + special.digamma(a + b)),
            support=lambda z: (z > 0.0) & (z < 1.0),
        ),
        Family(
            stats.gamma,
            lambda z, a: special.xlogy(a - 1.0, z) - z - special.gammaln(a),
            lambda z, a: (a - 1.0) / z - 1.0,
            (lambda z, a: np.log(z) - special.digamma(a),),
            support=lambda z: z > 0.0,
        ),
    ]


# --- poisson: logpmf(k, mu, loc) = xlogy(k - loc, mu) - mu - gammaln(k - loc + 1) -----------------------
POISSON = _signature("k", "mu", loc=0)


def _poisson_mu(method: str) -> Callable:
    what = f"scipy.stats.poisson.{method}"

    def partial(ct, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        """(k - loc) / mu - 1, times the pmf for pmf; 0 where k is outside the support."""
        p = _bind(ct, what, POISSON, args, kwargs)
        k, mu, loc = p["k"], p["mu"], p["loc"]
        weight = ct * out if method == "pmf" else reject(np.isneginf(out), ct)
        return _back(safe_div(weight * _minus(k, loc), mu) - weight, mu)

    return partial


# --- multivariate_normal: -(d log 2π + log|Σ| + rᵀ Σ⁻¹ r) / 2 per point ---------------------------------
MVN = _signature("x", mean=None, cov=1, allow_singular=False)


def _is_covariance_object(cov: Any) -> bool:
    """Whether `cov` is known, where the function is compiled, to be a `scipy.stats.Covariance`
    (a constant, or a global or closure value; a value the function computes is not looked at)."""
    value = vars(cov).get("ref") if isinstance(cov, Sym) else cov  # never forces a lazily read value
    kind = value.kind if isinstance(value, Free) else type(value)
    return isinstance(kind, type) and issubclass(kind, getattr(stats, "Covariance", ()))


def _mvn_parts(ct, out, what: str, args: tuple, kwargs: dict):  # type: ignore[no-untyped-def]
    """The call's arguments, and what every cotangent reads: the points' cotangents (times the pdf
    for pdf), s = Σ⁻¹ r per point, Σ⁻¹, and the d × d identity."""
    p = _bind(ct, what, MVN, args, kwargs)
    if p["allow_singular"] is not False:
        refuse(ct, f"no derivative rule for {what} with allow_singular=True (a pseudo-determinant density)",
               "leave allow_singular out: the covariance must be positive definite")
    x, mean, cov = p["x"], p["mean"], p["cov"]
    if _is_covariance_object(cov):
        refuse(ct, f"no derivative rule for {what} with a scipy.stats.Covariance object as cov",
               "pass the covariance matrix itself (cov=C.covariance)")
    # SciPy's dimension: the mean's size, else the covariance's (a number or a vector: 1)
    d = np.size(mean) if mean is not None else np.shape(np.atleast_2d(cov))[-1]
    r = np.reshape(x, emit(pack, -1, d))  # the points, one per row, as SciPy reads x
    if mean is not None:
        r = r - np.reshape(mean, -1)
    eye = eye_like(r)
    full = np.where(np.ndim(cov) == 2, cov, cov * eye)  # a number is σ² I, a vector the diagonal
    cov_inv = np.linalg.inv(np.tril(full) + np.transpose(np.tril(full, -1)))  # SciPy reads the lower triangle
    s = np.matmul(r, cov_inv)
    weight = np.reshape(ct * out if what.endswith(".pdf") else ct, (-1, 1))
    return p, weight, s, cov_inv, eye


def _mvn_partial(method: str, i: int) -> Callable:
    what = f"scipy.stats.multivariate_normal.{method}"

    def partial(ct, out, *args, **kwargs):  # type: ignore[no-untyped-def]
        p, weight, s, cov_inv, eye = _mvn_parts(ct, out, what, args, kwargs)
        if i == 0:  # -Σ⁻¹ r per point
            return astype_like(np.reshape(-weight * s, np.shape(p["x"])), p["x"])
        if i == 1:  # Σ⁻¹ r summed over the points
            return astype_like(np.reshape(np.sum(weight * s, axis=0), np.shape(p["mean"])), p["mean"])
        # cov: (Σ ct s sᵀ - (Σ ct) Σ⁻¹) / 2, read through the lower triangle, a diagonal or σ²
        g = 0.5 * (np.matmul(np.transpose(weight * s), s) - np.sum(weight) * cov_inv)
        lower = np.tril(2.0 * g) - g * eye
        return _back(np.where(np.ndim(p["cov"]) == 2, lower, g * eye), p["cov"])

    return partial


def _named(partial: Callable, signature: inspect.Signature) -> Callable:
    """`partial` with the parameter names of the SciPy method it is a rule for, after (ct, out): the
    front end passes a value given by keyword (`loc=mu`) by position, where its cotangent goes."""
    P = inspect.Parameter
    partial.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [P("ct", P.POSITIONAL_ONLY), P("out", P.POSITIONAL_ONLY), *signature.parameters.values()])
    return partial


def _register() -> None:
    assert stats is not None
    for family in _families():
        for method in DENSITY + TAILS:
            partials = [_named(_family_partial(family, method, i), family.signature)
                        for i in range(len(family.signature.parameters))]
            defvjp(getattr(family.dist, method), *partials)
    for method in ("logpmf", "pmf"):
        defvjp(getattr(stats.poisson, method), None, _named(_poisson_mu(method), POISSON), None)  # k, loc: integers
    for method in ("logpdf", "pdf"):
        defvjp(getattr(stats.multivariate_normal, method), *[_named(_mvn_partial(method, i), MVN) for i in range(3)])


if stats is not None:
    _register()
