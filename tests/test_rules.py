"""Each derivative rule of the ufunc, reduction, linalg, shape and scipy tables
against central finite differences, on inputs drawn from the callable's domain.

A `RuleCase` names a callable and its positional inputs: `D(domain)` a
differentiable array drawn from the domain, `Seq(domain)` a tuple of such
arrays passed as one argument (as `np.vstack` takes), `K(value)` a static
argument written into the source (axis, ord, a constant exponent), `R(maker)` a
run-time value without gradient (index arrays, conditions). Each entry of
`shapes` gives the shapes of the D and Seq inputs, in order (a Seq's entry is
a tuple of shapes).

The loss is L(r) = sum_i <C_i, r_i> over the outputs r_i with C random; for the
outputs listed in `squared` it is ½ <C_i, r_i²>, which is blind to the sign a
decomposition picks for a singular or eigen vector.

Both checks use <u, J v> = <J^T u, v> in one random direction v of all
inputs at once, by one central difference in float64:
- `test_rule`: the table entry's partials called directly on arrays (rules are
  NumPy code);
- `test_rule_end_to_end`: a generated module function applying the callable,
  differentiated by `srcgrad.grad`, which must also agree with the direct call.
float32 inputs must give float32 cotangents, compared with the float64
difference at the same (float32) point.
"""

from __future__ import annotations

import importlib
import math
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

try:
    from scipy import special
except ImportError:  # SciPy is optional: its cases are left out
    special = None

import srcgrad
from srcgrad.rules import load_builtin_rules, lookup

load_builtin_rules()
pytestmark = pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")

EPS = 1e-6
RTOL = {np.float64: 1e-5, np.float32: 3e-3}


# --- inputs -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class D:
    """A differentiable array drawn from `domain(rng, shape)`."""

    domain: Callable[[np.random.Generator, tuple], np.ndarray]


@dataclass(frozen=True)
class Seq:
    """A tuple of differentiable arrays passed as one argument."""

    domain: Callable[[np.random.Generator, tuple], np.ndarray]


@dataclass(frozen=True)
class K:
    """A static argument, written into generated source as a literal."""

    value: Any


@dataclass(frozen=True)
class R:
    """A run-time argument without gradient: `maker(rng, shapes) -> value`."""

    maker: Callable[[np.random.Generator, tuple], Any]


@dataclass
class RuleCase:
    fn: Callable[..., Any]
    inputs: tuple
    shapes: list
    kwargs: dict = field(default_factory=dict)
    squared: tuple = ()
    variant: str = ""
    float32: bool = True
    """Whether to check float32 inputs too (`math` functions compute in float64)."""
    rtol: float = 1.0
    """A multiplier of the default tolerance (ill-conditioned decompositions)."""

    @property
    def id(self) -> str:
        name = callee_name(self.fn).replace("np.linalg.", "linalg.").replace("np.", "").replace("special.", "sp.")
        return f"{name}-{self.variant}" if self.variant else name


# --- domains (float64; a check casts them) -----------------------------------------------------------
def real(rng, shape):  # type: ignore[no-untyped-def]
    return rng.standard_normal(shape)


def positive(rng, shape):  # type: ignore[no-untyped-def]
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):  # type: ignore[no-untyped-def]
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):  # type: ignore[no-untyped-def]
    return rng.uniform(1.2, 3.0, shape)


def nonzero(rng, shape):  # type: ignore[no-untyped-def]
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def fraction(rng, shape):  # type: ignore[no-untyped-def]
    """±(0.2 .. 0.8): x mod y for y in (1.5, 3) stays on one branch."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 0.8, shape)


def divisor(rng, shape):  # type: ignore[no-untyped-def]
    return rng.uniform(1.5, 3.0, shape)


def probability(rng, shape):  # type: ignore[no-untyped-def]
    return rng.uniform(0.1, 0.9, shape)


def distinct(rng, shape):  # type: ignore[no-untyped-def]
    """No two values, nor two absolute values, closer than 0.25: no ties for max, sort, median, norms."""
    n = int(np.prod(shape))
    values = rng.choice([-1.0, 1.0], n) * (0.3 + 0.25 * rng.permutation(n))
    return np.reshape(values, shape)


def with_nan(rng, shape):  # type: ignore[no-untyped-def]
    x = distinct(rng, shape)
    x.flat[0] = np.nan
    return x


def with_zero(rng, shape):  # type: ignore[no-untyped-def]
    x = nonzero(rng, shape)
    x.flat[min(1, x.size - 1)] = 0.0
    return x


def well_conditioned(rng, shape):  # type: ignore[no-untyped-def]
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def spd(rng, shape):  # type: ignore[no-untyped-def]
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric(rng, shape):  # type: ignore[no-untyped-def]
    a = rng.standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


UNARY = [((),), ((3,),), ((2, 3),)]
BINARY = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((1, 3), (2, 3)), ((2, 3), ())]
VECTORS = [((3,),), ((2, 3),)]
MATRIX = [((3, 3),), ((2, 3, 3),)]


def unary(fn, domain=real, **kw):  # type: ignore[no-untyped-def]
    return RuleCase(fn, (D(domain),), UNARY, **kw)


def binary(fn, first=real, second=real, **kw):  # type: ignore[no-untyped-def]
    return RuleCase(fn, (D(first), D(second)), BINARY, **kw)


def reduction(fn, domain=real, shapes=VECTORS, **kwargs):  # type: ignore[no-untyped-def]
    variant = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return RuleCase(fn, (D(domain),), shapes, kwargs=kwargs, variant=variant)


def indices(*values):  # type: ignore[no-untyped-def]
    return R(lambda rng, shapes: np.array(values))


# --- the cases -----------------------------------------------------------------------------------
CASES: list[RuleCase] = [
    # trigonometric, hyperbolic, angles
    unary(np.arcsin, unit), unary(np.arccos, unit), unary(np.arctan), unary(np.sinh), unary(np.cosh),
    unary(np.arcsinh), unary(np.arccosh, above_one), unary(np.arctanh, unit), unary(np.deg2rad),
    unary(np.radians), unary(np.rad2deg), unary(np.degrees), unary(np.sinc),
    binary(np.hypot), binary(np.arctan2, real, nonzero),
    # exponentials and logarithms
    unary(np.exp2), unary(np.expm1), unary(np.log2, positive), unary(np.log10, positive),
    unary(np.log1p, positive), binary(np.logaddexp), binary(np.logaddexp2),
    # arithmetic
    unary(np.cbrt, nonzero), unary(np.reciprocal, nonzero), unary(np.fabs, nonzero), unary(np.conjugate),
    unary(np.real), unary(np.nan_to_num),
    binary(np.remainder, fraction, divisor), binary(np.fmod, fraction, divisor), binary(np.copysign, nonzero, nonzero),
    binary(np.fmax), binary(np.fmin), binary(np.divmod, fraction, divisor), binary(np.nextafter),
    unary(np.frexp, nonzero), unary(np.modf, fraction), unary(np.real_if_close),
    RuleCase(np.ldexp, (D(real), R(lambda rng, shapes: rng.integers(-2, 3, shapes[0]).astype(np.int32))), UNARY),
    RuleCase(np.clip, (D(real), K(-0.5), K(0.5)), UNARY, variant="constants"),
    RuleCase(np.clip, (D(real), K(None), K(0.3)), UNARY, variant="upper"),
    RuleCase(np.clip, (D(real), D(lambda r, s: r.uniform(-0.8, -0.2, s)), D(lambda r, s: r.uniform(0.2, 0.8, s))),
             [((3,), (3,), (3,)), ((2, 3), (1, 3), ()), ((), (), ())], variant="arrays"),
    # moments and NaN-skipping reductions
    *[reduction(fn, shapes=[((3,),), ((2, 3),)], **kw) for fn in (np.var, np.std, np.nanvar, np.nanstd)
      for kw in ({}, {"ddof": 1})],
    *[reduction(fn, shapes=[((2, 3),)], **kw) for fn in (np.var, np.std)
      for kw in ({"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": (0, 1)})],
    *[reduction(fn, with_nan, shapes=[((4,),), ((2, 3),)], **kw)
      for fn in (np.nansum, np.nanmean, np.nanmax, np.nanmin, np.nanvar, np.nanstd) for kw in ({}, {"axis": -1})],
    *[reduction(fn, distinct, shapes=[((3,),), ((2, 3),)], **kw) for fn in (np.ptp,) for kw in ({}, {"axis": 0})],
    *[reduction(np.median, distinct, shapes=[((3,),), ((4,),), ((2, 4),)], **kw) for kw in ({}, {"axis": -1})],
    reduction(np.median, distinct, shapes=[((3, 4),)], axis=0, keepdims=True),
    *[reduction(fn, with_nan, shapes=[((4,),), ((2, 3),)], **kw) for fn in (np.nanprod, np.nancumprod)
      for kw in ({}, {"axis": 0})],
    # averages
    RuleCase(np.average, (D(real),), VECTORS, variant="unweighted"),
    RuleCase(np.average, (D(real), K(None), D(positive)), [((3,), (3,)), ((2, 3), (2, 3))], variant="weights"),
    RuleCase(np.average, (D(real), K(1), D(positive)), [((2, 3), (3,))], variant="axis-1d-weights"),
    RuleCase(np.average, (D(real), K(0), D(positive), K(True)), [((2, 3), (2, 3))], variant="returned"),
    # scans and differences
    *[reduction(np.cumsum, shapes=[((3,),), ((2, 3),)], **kw) for kw in ({}, {"axis": 0})],
    reduction(np.cumsum, shapes=[((2, 3),)], axis=1),
    reduction(np.nancumsum, with_nan, shapes=[((4,),), ((2, 3),)]),
    reduction(np.nancumsum, with_nan, shapes=[((2, 3),)], axis=1),
    reduction(np.cumulative_sum, shapes=[((4,),)]),
    reduction(np.cumulative_sum, shapes=[((2, 3),)], axis=1, include_initial=True),
    *[reduction(np.cumprod, with_zero, shapes=[((4,),), ((2, 3),)], **kw) for kw in ({}, {"axis": 0}, {"axis": -1})],
    reduction(np.cumprod, nonzero, shapes=[((5,),)]),
    reduction(np.cumulative_prod, with_zero, shapes=[((2, 3),)], axis=1, include_initial=True),
    *[reduction(np.diff, shapes=[((5,),), ((3, 4),)], **kw) for kw in ({}, {"n": 2})],
    reduction(np.diff, shapes=[((3, 4),)], axis=0),
    # products and contractions
    RuleCase(np.vdot, (D(real), D(real)), [((3,), (3,)), ((2, 3), (6,))]),
    RuleCase(np.inner, (D(real), D(real)), [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((), (3,))]),
    RuleCase(np.outer, (D(real), D(real)), [((3,), (4,)), ((2, 2), (3,))]),
    RuleCase(np.linalg.outer, (D(real), D(real)), [((3,), (4,))]),
    RuleCase(np.tensordot, (D(real), D(real)), [((2, 3, 4), (3, 4, 2))], variant="axes=2"),
    *[RuleCase(np.tensordot, (D(real), D(real)), [shapes], kwargs={"axes": axes}, variant=f"axes={axes}")
      for axes, shapes in [(1, ((2, 3), (3, 4))), (0, ((2,), (3,))), (([0], [1]), ((3, 2), (4, 3))),
                           (([1, 0], [0, 1]), ((2, 3), (3, 2))), ((2, 0), ((2, 4, 3), (3, 5)))]],
    RuleCase(np.linalg.tensordot, (D(real), D(real)), [((2, 3), (3, 4))], kwargs={"axes": 1}),
    RuleCase(np.kron, (D(real), D(real)), [((2,), (3,)), ((2, 2), (2, 3)), ((2,), (2, 3))]),
    *[RuleCase(np.einsum, (K(spec), *[D(real)] * len(shapes)), [shapes], variant=spec)
      for spec, shapes in [
          ("ij,jk->ik", ((2, 3), (3, 4))), ("ii->i", ((3, 3),)), ("ii", ((3, 3),)), ("ij->", ((2, 3),)),
          ("i,i", ((3,), (3,))), ("...ij,...jk->...ik", ((2, 2, 3), (3, 4))), ("ij->j", ((2, 3),)),
          ("i,j->ij", ((2,), (3,))), ("bij,bjk", ((2, 2, 3), (2, 3, 2))), ("ij,ij->i", ((2, 3), (2, 3))),
          ("ii,i->i", ((3, 3), (3,))), ("ijk,ik->j", ((2, 3, 4), (2, 4))), ("i...->...i", ((2, 3, 4),)),
          ("ba,a", ((3, 2), (2,))),
      ]],
    RuleCase(np.vecdot, (D(real), D(real)), [((3,), (3,)), ((2, 3), (3,))]),
    RuleCase(np.linalg.vecdot, (D(real), D(real)), [((2, 3), (2, 3))]),
    RuleCase(np.matvec, (D(real), D(real)), [((2, 3), (3,)), ((2, 2, 3), (3,))]),
    RuleCase(np.vecmat, (D(real), D(real)), [((3,), (3, 2)), ((2, 3), (3, 2))]),
    RuleCase(np.linalg.matmul, (D(real), D(real)), [((2, 3), (3, 2))]),
    RuleCase(np.cross, (D(real), D(real)), [((3,), (3,)), ((2, 3), (3,))]),
    RuleCase(np.cross, (D(real), D(real)), [((3, 2), (3, 2))], kwargs={"axis": 0}, variant="axis=0"),
    RuleCase(np.linalg.cross, (D(real), D(real)), [((2, 3), (2, 3))]),
    # diagonals and triangles
    RuleCase(np.trace, (D(real),), [((3, 3),), ((3, 3, 2),)]),
    RuleCase(np.trace, (D(real), K(1)), [((2, 3),)], variant="offset"),
    RuleCase(np.trace, (D(real), K(0), K(1), K(2)), [((2, 3, 3),)], variant="axes"),
    RuleCase(np.trace, (D(real), K(-1), K(-1), K(0)), [((3, 2, 4),)], variant="swapped-axes"),
    RuleCase(np.linalg.trace, (D(real),), [((2, 3, 3),)]),
    RuleCase(np.diagonal, (D(real),), [((3, 3),), ((3, 4),)]),
    RuleCase(np.diagonal, (D(real), K(-1), K(1), K(2)), [((2, 3, 4),)], variant="axes"),
    RuleCase(np.diagonal, (D(real), K(1)), [((3, 4),)], variant="offset"),
    RuleCase(np.linalg.diagonal, (D(real),), [((2, 3, 3),)]),
    RuleCase(np.diag, (D(real),), [((3,),), ((3, 4),)]),
    RuleCase(np.diag, (D(real), K(1)), [((3,),), ((3, 4),)], variant="k=1"),
    RuleCase(np.diag, (D(real), K(-1)), [((4, 3),)], variant="k=-1"),
    RuleCase(np.diagflat, (D(real),), [((3,),), ((2, 2),)]),
    RuleCase(np.diagflat, (D(real), K(1)), [((3,),)], variant="k=1"),
    *[RuleCase(fn, (D(real),), [((3, 3),), ((3, 4),), ((2, 3, 3),)]) for fn in (np.tril, np.triu)],
    *[RuleCase(fn, (D(real), K(1)), [((3, 4),)], variant="k=1") for fn in (np.tril, np.triu)],
    RuleCase(np.matrix_transpose, (D(real),), [((2, 3),), ((2, 3, 4),)]),
    RuleCase(np.linalg.matrix_transpose, (D(real),), [((2, 3),)]),
    # inverses, determinants, decompositions
    RuleCase(np.linalg.inv, (D(well_conditioned),), MATRIX),
    RuleCase(np.linalg.solve, (D(well_conditioned), D(real)),
             [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (3, 1))]),
    RuleCase(np.linalg.det, (D(well_conditioned),), [((3, 3),), ((2, 2, 2),)]),
    RuleCase(np.linalg.slogdet, (D(real),), [((3, 3),), ((2, 2, 2),)]),
    RuleCase(np.linalg.pinv, (D(real),), [((3, 2),), ((2, 3),), ((3, 3),)], rtol=10),
    *[RuleCase(np.linalg.matrix_power, (D(well_conditioned), K(n)), [((3, 3),), ((2, 2, 2),)], variant=f"n={n}")
      for n in (0, 1, 3, -2)],
    RuleCase(np.linalg.cholesky, (D(spd),), MATRIX),
    RuleCase(np.linalg.cholesky, (D(spd),), [((3, 3),)], kwargs={"upper": True}, variant="upper"),
    RuleCase(np.linalg.eigh, (D(symmetric),), MATRIX, squared=(1,)),
    RuleCase(np.linalg.eigh, (D(symmetric), K("U")), [((3, 3),)], squared=(1,), variant="upper"),
    RuleCase(np.linalg.eigvalsh, (D(symmetric),), MATRIX),
    RuleCase(np.linalg.svd, (D(real),), [((3, 2),), ((2, 3),), ((2, 3, 3),)], kwargs={"full_matrices": False},
             squared=(0, 2), rtol=10),
    RuleCase(np.linalg.svd, (D(real),), [((3, 3),)], squared=(0, 2), variant="full-square", rtol=10),
    RuleCase(np.linalg.svd, (D(real),), [((3, 2),), ((2, 3),)], kwargs={"compute_uv": False}, variant="values"),
    RuleCase(np.linalg.svdvals, (D(real),), [((3, 2),), ((2, 3, 3),)]),
    RuleCase(np.linalg.qr, (D(real),), [((3, 2),), ((3, 3),), ((2, 4, 2),)], rtol=10),
    # norms
    *[RuleCase(np.linalg.norm, (D(distinct),), [((4,),)], kwargs={"ord": o}, variant=f"vector-{o}")
      for o in (None, 1, 2, np.inf, -np.inf, 3, 0.5, 0)],
    *[RuleCase(np.linalg.norm, (D(distinct),), [((2, 3),)], kwargs={"ord": o}, variant=f"matrix-{o}", rtol=3)
      for o in (None, "fro", "nuc", 1, 2, np.inf, -np.inf)],
    *[RuleCase(np.linalg.norm, (D(distinct),), [((2, 3),)], kwargs={"ord": o, "axis": (0, 1)}, variant=f"matrix-{o}")
      for o in (-1, -2)],
    *[RuleCase(np.linalg.norm, (D(distinct),), [((2, 3),), ((2, 3, 4),)], kwargs=kw, variant=str(kw))
      for kw in ({"axis": 1}, {"axis": 0, "ord": 1}, {"axis": -1, "keepdims": True}, {"axis": 0, "ord": np.inf})],
    RuleCase(np.linalg.norm, (D(distinct),), [((2, 3, 4),)], kwargs={"axis": (0, 2), "ord": 1}, variant="axes-ord1"),
    RuleCase(np.linalg.norm, (D(distinct),), [((2, 3, 4),)], kwargs={"axis": (2, 1), "ord": "nuc"}, variant="axes-nuc"),
    RuleCase(np.linalg.norm, (D(distinct),), [((2, 3),)], kwargs={"ord": 2, "keepdims": True}, variant="keepdims"),
    RuleCase(np.linalg.vector_norm, (D(distinct),), [((4,),), ((2, 3),)]),
    RuleCase(np.linalg.vector_norm, (D(distinct),), [((2, 3),)], kwargs={"axis": 0, "ord": 1}, variant="axis"),
    RuleCase(np.linalg.matrix_norm, (D(distinct),), [((2, 3),), ((2, 2, 3),)]),
    RuleCase(np.linalg.matrix_norm, (D(distinct),), [((3, 3),)], kwargs={"ord": "nuc"}, variant="nuc"),
    # moving elements
    RuleCase(np.swapaxes, (D(real), K(0), K(2)), [((2, 3, 4),)]),
    RuleCase(np.moveaxis, (D(real), K(0), K(-1)), [((2, 3, 4),)]),
    RuleCase(np.moveaxis, (D(real), K((0, 1)), K((2, 0))), [((2, 3, 4),)], variant="several"),
    *[RuleCase(np.rollaxis, (D(real), K(axis), K(start)), [((2, 3, 4),)], variant=f"{axis},{start}")
      for axis, start in ((2, 0), (0, 3), (-1, 1), (1, -1))],
    RuleCase(np.flip, (D(real),), [((3,),), ((2, 3),)]),
    RuleCase(np.flip, (D(real), K(1)), [((2, 3),)], variant="axis"),
    RuleCase(np.fliplr, (D(real),), [((2, 3),)]),
    RuleCase(np.flipud, (D(real),), [((2, 3),)]),
    RuleCase(np.rot90, (D(real),), [((2, 3),)]),
    RuleCase(np.rot90, (D(real), K(3), K((1, 2))), [((2, 3, 4),)], variant="axes"),
    RuleCase(np.roll, (D(real), K(1)), [((4,),), ((2, 3),)]),
    RuleCase(np.roll, (D(real), K((1, -2)), K((0, 1))), [((2, 3),)], variant="axes"),
    # the same elements in other shapes
    *[RuleCase(fn, (D(real),), UNARY) for fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d)],
    *[RuleCase(fn, (D(real), D(real)), [((), (2, 3))], variant="two") for fn in (np.atleast_1d, np.atleast_3d)],
    *[RuleCase(fn, (D(real),), [((2, 3),)]) for fn in (np.ascontiguousarray, np.asfortranarray, np.asanyarray)],
    RuleCase(np.astype, (D(real), K(np.float64)), [((2, 3),)]),
    RuleCase(np.broadcast_arrays, (D(real), D(real)), [((1, 3), (2, 1)), ((3,), ())]),
    RuleCase(np.meshgrid, (D(real), D(real)), [((3,), (2,))]),
    RuleCase(np.meshgrid, (D(real), D(real), D(real)), [((3,), (2,), (4,))], kwargs={"indexing": "ij"}, variant="ij"),
    RuleCase(np.meshgrid, (D(real), D(real)), [((3,), (2,))], kwargs={"sparse": True}, variant="sparse"),
    # stacking and splitting
    RuleCase(np.vstack, (Seq(real),), [(((3,), (3,)),), (((2, 3), (1, 3)),)]),
    *([RuleCase(np.row_stack, (Seq(real),), [(((3,), (2, 3)),)])] if hasattr(np, "row_stack") else []),
    RuleCase(np.hstack, (Seq(real),), [(((2,), (3,)),), (((2, 2), (2, 1)),)]),
    RuleCase(np.dstack, (Seq(real),), [(((2, 3), (2, 3)),), (((3,), (3,)),)]),
    RuleCase(np.column_stack, (Seq(real),), [(((3,), (3, 2)),)]),
    RuleCase(np.split, (D(real), K(3)), [((6,),)]),
    RuleCase(np.split, (D(real), K([1, 3]), K(1)), [((2, 4),)], variant="indices"),
    RuleCase(np.array_split, (D(real), K(3)), [((5,),)]),
    RuleCase(np.hsplit, (D(real), K(2)), [((2, 4),), ((4,),)]),
    RuleCase(np.vsplit, (D(real), K(2)), [((4, 2),)]),
    RuleCase(np.dsplit, (D(real), K(2)), [((2, 2, 4),)]),
    RuleCase(np.unstack, (D(real),), [((3, 2),)]),
    RuleCase(np.unstack, (D(real),), [((3, 2),)], kwargs={"axis": 1}, variant="axis"),
    RuleCase(np.append, (D(real), D(real)), [((2, 3), (1, 3))], kwargs={"axis": 0}, variant="axis"),
    RuleCase(np.append, (D(real), D(real)), [((3,), (2, 2))]),
    # copies
    RuleCase(np.tile, (D(real), K(2)), [((3,),), ((),)]),
    RuleCase(np.tile, (D(real), K((2, 1, 2))), [((2, 3),)], variant="reps"),
    RuleCase(np.repeat, (D(real), K(2)), [((3,),), ((2, 3),)]),
    RuleCase(np.repeat, (D(real), indices(1, 0, 2), K(1)), [((2, 3),)], variant="array"),
    RuleCase(np.pad, (D(real), K(((1, 2),))), [((3,),)]),
    *[RuleCase(np.pad, (D(real), K(((1, 0), (2, 2))), K(mode)), [((2, 3),)], variant=mode)
      for mode in ("constant", "edge", "reflect", "symmetric", "wrap")],
    # gathers
    RuleCase(np.sort, (D(distinct),), [((5,),), ((2, 3),)]),
    RuleCase(np.sort, (D(distinct), K(0)), [((2, 3),)], variant="axis=0"),
    RuleCase(np.sort, (D(distinct), K(None)), [((2, 3),)], variant="axis=None"),
    RuleCase(np.take, (D(real), indices(0, 2, 2, -1)), [((5,),), ((2, 3),)]),
    RuleCase(np.take, (D(real), R(lambda rng, s: np.array([[0, 2], [2, 2]])), K(1)), [((2, 3),)], variant="axis"),
    RuleCase(np.take, (D(real), indices(0, 4, -2)), [((3,),)], kwargs={"mode": "clip"}, variant="clip"),
    RuleCase(np.take, (D(real), indices(0, 4, -2)), [((3,),)], kwargs={"mode": "wrap"}, variant="wrap"),
    RuleCase(np.take_along_axis, (D(real), R(lambda rng, s: np.array([[0, 0], [2, 1]])), K(1)), [((2, 3),)]),
    RuleCase(np.take_along_axis, (D(real), R(lambda rng, s: np.array([[1, 0, 1]])), K(0)), [((2, 3),)],
             variant="broadcast"),
    RuleCase(np.take_along_axis, (D(real), indices(3, 0, 3), K(None)), [((2, 3),)], variant="flat"),
    RuleCase(np.compress, (R(lambda rng, s: np.array([True, False, True])), D(real), K(1)), [((2, 3),)]),
    RuleCase(np.extract, (R(lambda rng, s: np.arange(6).reshape(2, 3) % 2 == 0), D(real)), [((2, 3),)]),
    RuleCase(np.delete, (D(real), K(1)), [((5,),)]),
    RuleCase(np.delete, (D(real), K([0, 2]), K(1)), [((2, 3),)], variant="axis"),
    RuleCase(np.select, (R(lambda rng, s: [np.array([True, False, False]), np.array([True, True, False])]),
                         Seq(real), D(real)), [(((3,), (2, 3)), ())]),
    RuleCase(np.choose, (R(lambda rng, s: np.array([[0, 2, 1], [1, 0, 2]])), Seq(real)), [(((2, 3), (3,), ()),)]),
    RuleCase(np.choose, (R(lambda rng, s: np.array([0, 3, -1])), Seq(real)), [(((3,), (3,)),)],
             kwargs={"mode": "wrap"}, variant="wrap"),
    # the math module, on Python floats
    *[RuleCase(fn, (D(domain),), [((),)], float32=False) for fn, domain in [
        (math.asin, unit), (math.acos, unit), (math.atan, real), (math.sinh, real), (math.cosh, real),
        (math.asinh, real), (math.acosh, above_one), (math.atanh, unit), (math.expm1, real), (math.log2, positive),
        (math.log10, positive), (math.log1p, positive), (math.degrees, real), (math.radians, real),
        (math.erf, real), (math.erfc, real), (math.frexp, nonzero), (math.modf, fraction),
    ]],
    *[RuleCase(fn, (D(first), D(second)), [((), ())], float32=False) for fn, first, second in [
        (math.atan2, real, nonzero), (math.hypot, real, real), (math.copysign, nonzero, nonzero),
        (math.fmod, fraction, divisor), (math.remainder, fraction, divisor),
    ]],
]  # fmt: skip

if special is not None:
    CASES += [
        *[RuleCase(fn, (D(positive),), [((),)], float32=False) for fn in (math.gamma, math.lgamma)],
        unary(special.expit), unary(special.log_expit), unary(special.logit, probability),
        reduction(special.logsumexp), reduction(special.logsumexp, shapes=[((2, 3),)], axis=1),
        reduction(special.logsumexp, shapes=[((2, 3),)], axis=0, keepdims=True),
        RuleCase(special.logsumexp, (D(real), K(None), D(positive)), [((3,), (3,)), ((2, 3), (3,))], variant="b"),
        reduction(special.softmax), reduction(special.softmax, shapes=[((2, 3),)], axis=1),
        reduction(special.log_softmax), reduction(special.log_softmax, shapes=[((2, 3),)], axis=0),
        unary(special.erf), unary(special.erfc), unary(special.erfcx), unary(special.erfinv, unit),
        unary(special.erfcinv, lambda r, s: r.uniform(0.1, 1.9, s)), unary(special.ndtr), unary(special.log_ndtr),
        unary(special.ndtri, probability), unary(special.gammaln, positive), unary(special.gamma, positive),
        unary(special.digamma, positive), RuleCase(special.polygamma, (K(1), D(positive)), UNARY),
        binary(special.betaln, positive, positive), binary(special.beta, positive, positive),
        binary(special.xlogy, real, positive), binary(special.xlog1py, real, positive), unary(special.entr, positive),
        binary(special.rel_entr, positive, positive), binary(special.kl_div, positive, positive),
        unary(special.i0), unary(special.i1), RuleCase(special.iv, (K(1.5), D(positive)), UNARY),
        unary(special.exp10), unary(special.exp2), unary(special.expm1), unary(special.log1p, positive),
        unary(special.cbrt, nonzero),
    ]  # fmt: skip


# --- building and checking one case ----------------------------------------------------------------
def callee_name(fn: Any) -> str:
    name = getattr(fn, "__name__", "")
    for prefix, module in (("np.", np), ("np.linalg.", np.linalg), ("special.", special), ("math.", math)):
        if module is not None and getattr(module, name, None) is fn:
            return prefix + name
    raise LookupError(f"no public name for {fn!r}")


def literal(value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "np.inf" if value > 0 else "-np.inf"
    if isinstance(value, tuple):
        return "(" + "".join(literal(v) + ", " for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, type) and issubclass(value, np.generic):
        return f"np.{value.__name__}"
    return repr(value)


def _cast(x: np.ndarray, dtype: type) -> Any:
    x = np.asarray(x, dtype=dtype)
    return x[()] if x.ndim == 0 else x


def _items(x: Any) -> list:
    return list(x) if isinstance(x, (tuple, list)) else [x]


def _inner(a: Any, b: Any) -> float:
    return sum(float(np.sum(np.asarray(p, np.float64) * np.asarray(q, np.float64))) for p, q in zip(_items(a), _items(b)))


def differentiable(case: RuleCase) -> list[int]:
    return [i for i, spec in enumerate(case.inputs) if isinstance(spec, (D, Seq))]


@dataclass
class Check:
    """One case at one shape configuration and dtype: inputs, output, loss weights, a direction."""

    case: RuleCase
    config: tuple
    dtype: type
    args: list
    out: Any
    weights: list
    directions: list

    @classmethod
    def build(cls, case: RuleCase, config: tuple, dtype: type, seed: int = 0) -> "Check":
        rng = np.random.default_rng(seed)
        shapes, args = iter(config), []
        for spec in case.inputs:
            if isinstance(spec, D):
                args.append(_cast(spec.domain(rng, next(shapes)), dtype))
            elif isinstance(spec, Seq):
                args.append(tuple(_cast(spec.domain(rng, s), dtype) for s in next(shapes)))
            elif isinstance(spec, K):
                args.append(spec.value)
            else:
                args.append(spec.maker(rng, config))
        out = case.fn(*args, **case.kwargs)
        weights = [rng.standard_normal(np.shape(r)) for r in _items(out)]
        directions = []
        for i in differentiable(case):
            shaped = [rng.standard_normal(np.shape(a)) for a in _items(args[i])]
            directions.append(tuple(shaped) if isinstance(args[i], tuple) else shaped[0])
        return cls(case, config, dtype, args, out, weights, directions)

    @property
    def many(self) -> bool:
        return isinstance(self.out, (tuple, list))

    def loss(self, out: Any) -> float:
        total = 0.0
        for i, (r, c) in enumerate(zip(_items(out), self.weights)):
            r = np.asarray(r, dtype=np.float64)
            total += float(np.sum(c * r * r) / 2 if i in self.case.squared else np.sum(c * r))
        return total

    def cotangent(self) -> Any:
        cts = [_cast(c * np.asarray(r, np.float64) if i in self.case.squared else c, np.result_type(r))
               for i, (r, c) in enumerate(zip(_items(self.out), self.weights))]
        if isinstance(self.out, list):
            return cts
        return tuple(cts) if isinstance(self.out, tuple) else cts[0]

    def finite_difference(self) -> float:
        """<u, J v> by one central difference, in float64 at the same point."""

        def up(x: Any) -> Any:
            if isinstance(x, tuple):
                return tuple(up(a) for a in x)
            floating = isinstance(x, (np.ndarray, np.generic)) and np.issubdtype(np.result_type(x), np.floating)
            return np.asarray(x, np.float64) if floating else x

        base = [up(a) for a in self.args]

        def at(t: float) -> float:
            moved = list(base)
            for i, v in zip(differentiable(self.case), self.directions):
                moved[i] = tuple(a + t * d for a, d in zip(base[i], v)) if isinstance(v, tuple) else base[i] + t * v
            return self.loss(self.case.fn(*moved, **self.case.kwargs))

        return (at(EPS) - at(-EPS)) / (2 * EPS)

    def assert_matches(self, grads: list, what: str) -> None:
        for i, g in zip(differentiable(self.case), grads):
            assert g is not None, f"{what}: no cotangent for argument {i}"
            assert len(_items(g)) == len(_items(self.args[i])), f"{what}: argument {i}: {g!r}"
            for gi, ai in zip(_items(g), _items(self.args[i])):
                assert np.shape(gi) == np.shape(ai), f"{what}: argument {i}: shape {np.shape(gi)} != {np.shape(ai)}"
                assert np.result_type(gi) == np.result_type(ai), (
                    f"{what}: argument {i}: a {np.result_type(ai)} input got a {np.result_type(gi)} cotangent"
                )
        expected = self.finite_difference()
        actual = sum(_inner(g, v) for g, v in zip(grads, self.directions))
        scale = math.sqrt(sum(_inner(g, g) * _inner(v, v) for g, v in zip(grads, self.directions)))
        tolerance = RTOL[self.dtype] * self.case.rtol * max(abs(expected), scale, 1e-3)
        assert abs(actual - expected) <= tolerance, (
            f"{what}: <J^T u, v> = {actual!r}, but the finite difference <u, J v> = {expected!r} "
            f"(tolerance {tolerance:.3g}); cotangents {grads!r}"
        )


def rule_cotangents(check: Check) -> list:
    """The table entry's partials, called directly on arrays."""
    rule = lookup(check.case.fn)
    assert rule is not None and not rule.zero, f"{check.case.id}: no rule"
    ct = check.cotangent()
    grads = []
    for i in differentiable(check.case):
        partial = rule.partial(i)
        assert partial is not None, f"{check.case.id}: no partial for argument {i}"
        grads.append(partial(ct, check.out, *check.args, **check.case.kwargs))
    return grads


class GeneratedModule:
    """Modules of generated functions, one per case and shape (srcgrad reads their source):
    `f` applies the callable and returns the loss."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="srcgrad-rule-cases-"))
        sys.path.insert(0, str(self.directory))
        self.modules: dict[tuple, Any] = {}

    def module(self, check: Check) -> Any:
        key = (check.case.id, check.config)
        if key not in self.modules:
            name = f"rule_case_{len(self.modules)}"
            (self.directory / f"{name}.py").write_text(self.source(check))
            self.modules[key] = importlib.import_module(name)
        return self.modules[key]

    @staticmethod
    def source(check: Check) -> str:
        params, args = [], []
        for i, spec in enumerate(check.case.inputs):
            if isinstance(spec, D):
                params.append(f"a{len(params)}")
                args.append(params[-1])
            elif isinstance(spec, Seq):
                items = [f"a{len(params) + k}" for k in range(len(check.args[i]))]
                params += items
                args.append("(" + "".join(f"{item}, " for item in items) + ")")
            elif isinstance(spec, K):
                args.append(literal(spec.value))
            else:
                args.append(f"S[{i}]")
        args += [f"{key}={literal(value)}" for key, value in check.case.kwargs.items()]
        terms = []
        for j in range(len(check.weights)):
            r = f"r[{j}]" if check.many else "r"
            terms.append(f"0.5 * np.sum(C[{j}] * {r} ** 2)" if j in check.case.squared else f"np.sum(C[{j}] * {r})")
        return "\n".join([
            "import math", "import numpy as np", "", "try:", "    from scipy import special", "except ImportError:",
            "    special = None", "", "C = []", "S = []", "", "",
            f"def f({', '.join(params)}):",
            f"    r = {callee_name(check.case.fn)}({', '.join(args)})",
            f"    return {' + '.join(terms)}",
            "",
        ])  # fmt: skip

    def grads(self, check: Check) -> list:
        module = self.module(check)
        module.C[:] = [np.asarray(w, dtype=check.dtype) for w in check.weights]
        module.S[:] = check.args
        params = [a for i in differentiable(check.case) for a in _items(check.args[i])]
        flat = srcgrad.grad(module.f, wrt=tuple(range(len(params))))(*params)
        flat = iter(flat if isinstance(flat, tuple) else (flat,))
        return [tuple(next(flat) for _ in check.args[i]) if isinstance(check.args[i], tuple) else next(flat)
                for i in differentiable(check.case)]


GENERATED = GeneratedModule()
DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]

# Known compiler bugs, each with a minimal reproduction (strict: a fix makes the test XPASS,
# which fails the suite, and the entry must then go).
def symbolic_call(case: RuleCase, index: int) -> tuple[Any, list]:
    """Run one partial on symbolic values, as reverse mode does: (its result, the callees it emitted)."""
    from srcgrad.ir import Block, Value
    from srcgrad.ir.builder import Builder

    builder = Builder(Block())

    def sym(name: str) -> Any:
        return builder.sym(Value(name))

    args = [spec.value if isinstance(spec, K) else sym(f"a{i}") for i, spec in enumerate(case.inputs)]
    partial = lookup(case.fn).partial(index)  # type: ignore[union-attr]
    result = partial(sym("ct"), sym("out"), *args, **case.kwargs)
    return result, [op.fn for op in builder.block.ops]


def emits_scipy_ufunc(case: RuleCase) -> bool:
    return any(
        isinstance(fn, np.ufunc) and getattr(np, fn.__name__, None) is not fn
        for i in differentiable(case) for fn in symbolic_call(case, i)[1]
    )


def _params(end_to_end: bool = False) -> list:
    params = []
    for case in CASES:
        marks: list = []
        for config in case.shapes:
            for dtype in DTYPES if case.float32 else DTYPES[:1]:
                ident = f"{case.id}-{'x'.join(map(str, config))}-{dtype.id}".replace(" ", "")
                params.append(pytest.param(case, config, dtype.values[0], id=ident, marks=marks))
    return params


@pytest.mark.parametrize(("case", "config", "dtype"), _params())
def test_rule(case: RuleCase, config: tuple, dtype: type) -> None:
    check = Check.build(case, config, dtype)
    check.assert_matches(rule_cotangents(check), case.id)


@pytest.mark.parametrize(("case", "config", "dtype"), _params(end_to_end=True))
def test_rule_end_to_end(case: RuleCase, config: tuple, dtype: type) -> None:
    check = Check.build(case, config, dtype)
    direct = rule_cotangents(check)
    through = GENERATED.grads(check)
    check.assert_matches(through, f"{case.id} through srcgrad.grad")
    for g, e in zip(through, direct):
        for gi, ei in zip(_items(g), _items(e)):
            np.testing.assert_allclose(gi, ei, rtol=1e-4 if dtype == np.float32 else 1e-9, atol=1e-5,
                                       err_msg=f"{case.id}: srcgrad.grad and the rule called directly differ")



# --- second order: the rules' own NumPy code (and their helpers' rules) differentiated again ----------
def _second_order_params() -> list:
    params = []
    for case in CASES:
        inputs = [spec for spec in case.inputs if isinstance(spec, (D, Seq))]
        if len(inputs) != 1 or not isinstance(inputs[0], D) or emits_scipy_ufunc(case):
            continue
        marks: list = []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _second_order_params())
def test_rule_second_order(case: RuleCase) -> None:
    """srcgrad.grad(srcgrad.grad(f)) = H·1, against a central difference of the first gradient."""
    check = Check.build(case, case.shapes[-1], np.float64)
    module = GENERATED.module(check)
    module.C[:] = check.weights
    module.S[:] = check.args
    index = differentiable(case)[0]
    x, v = check.args[index], check.directions[0]

    def gradient(value: Any) -> np.ndarray:
        return np.asarray(srcgrad.grad(module.f)(value), dtype=np.float64)

    hessian_ones = srcgrad.grad(srcgrad.grad(module.f))(x)
    hessian_ones = np.zeros(np.shape(x)) if hessian_ones is None else hessian_ones  # None: unconnected, zero
    expected = float(np.sum(gradient(x + 1e-5 * v) - gradient(x - 1e-5 * v))) / 2e-5
    actual = float(np.sum(hessian_ones * v))
    tolerance = 1e-4 * max(abs(expected), float(np.linalg.norm(hessian_ones) * np.linalg.norm(v)), 1e-3)
    assert abs(actual - expected) <= tolerance, f"{case.id}: <H 1, v> = {actual!r}, by differences {expected!r}"


# --- singular points: a zero cotangent wins over an infinite slope (docs/nan-policy.md) ---------------
SINGULAR_POINTS = [
    (np.arcsin, (1.0,)), (np.arccos, (-1.0,)), (np.arccosh, (1.0,)), (np.arctanh, (1.0,)), (np.log2, (0.0,)),
    (np.log10, (0.0,)), (np.log1p, (-1.0,)), (np.cbrt, (0.0,)), (np.reciprocal, (0.0,)), (np.hypot, (0.0, 0.0)),
    (np.arctan2, (0.0, 0.0)),
    (np.std, (np.array([2.0, 2.0]),)), (np.linalg.norm, (np.zeros(3),)), (np.nanstd, (np.array([1.0, np.nan, 1.0]),)),
    (np.linalg.eigh, (np.eye(2),)), (np.linalg.svd, (np.eye(2),)),
]  # fmt: skip
if special is not None:
    SINGULAR_POINTS += [(special.logit, (0.0,)), (special.xlogy, (0.0, 0.0)), (special.xlog1py, (1.0, -1.0))]


@pytest.mark.parametrize(("fn", "point"), SINGULAR_POINTS, ids=lambda v: getattr(v, "__name__", ""))
def test_zero_cotangent_at_a_singular_point_gives_zero(fn: Callable, point: tuple) -> None:
    """Where the slope is infinite (or undefined: repeated eigenvalues), a zero cotangent gives exactly 0."""
    with np.errstate(all="ignore"):
        out = fn(*point)
    ct = tuple(np.zeros_like(r) for r in out) if isinstance(out, tuple) else np.zeros_like(out)
    rule = lookup(fn)
    for i, x in enumerate(point):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "invalid value" on the way
            grad = rule.partial(i)(ct, out, *point)  # type: ignore[union-attr]
        assert np.all(grad == 0), f"{fn.__name__} at {point}: argument {i} got {grad!r}"


def where_arcsin(x):  # type: ignore[no-untyped-def]
    return np.sum(np.where(x < 0.5, np.arcsin(x), 0.0))


def where_log1p(x):  # type: ignore[no-untyped-def]
    return np.sum(np.where(x > -0.5, np.log1p(x), x))


def where_norm(x):  # type: ignore[no-untyped-def]
    return np.where(np.sum(x * x) > 0, np.linalg.norm(x), 0.0)


@pytest.mark.parametrize(("fn", "x", "expected"), [
    (where_arcsin, np.array([0.0, 1.0]), np.array([1.0, 0.0])),
    (where_log1p, np.array([1.0, -1.0]), np.array([0.5, 1.0])),
    (where_norm, np.zeros(3), np.zeros(3)),
])  # fmt: skip
def test_unselected_branch_contributes_zero_not_nan(fn: Callable, x: np.ndarray, expected: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        grad = srcgrad.grad(fn)(x)
    np.testing.assert_array_equal(grad, expected)


# --- zero gradients and no gradients (SPEC section 4) -------------------------------------------------
def through_around(x):  # type: ignore[no-untyped-def]
    return np.sum(np.around(x) * x + np.fix(x) + np.heaviside(x, 0.5))


def through_floor_divide(x):  # type: ignore[no-untyped-def]
    return np.sum(np.floor_divide(x, 0.7) * x)


def through_argmax_and_sort_order(x):  # type: ignore[no-untyped-def]
    return x[np.argmax(x)] + np.sum(x[np.argsort(x)][:1]) + np.sum(np.nonzero(x)[0]) * 0.0


def test_piecewise_constant_functions_have_zero_gradient() -> None:
    x = np.array([0.3, 1.7, -2.2])
    np.testing.assert_array_equal(srcgrad.grad(through_around)(x), np.around(x))
    np.testing.assert_array_equal(srcgrad.grad(through_floor_divide)(x), np.floor_divide(x, 0.7))
    for fn in (np.around, np.fix, np.floor_divide, np.heaviside, np.spacing, np.imag):
        rule = lookup(fn)
        assert rule is not None and rule.zero, fn


def test_integer_valued_functions_carry_no_gradient() -> None:
    x = np.array([0.3, 1.7, -2.2])
    np.testing.assert_array_equal(srcgrad.grad(through_argmax_and_sort_order)(x), [0.0, 1.0, 1.0])
