"""Example functions for srcgrad's whole-function tests, each with an input maker.

Every function here is plain Python + NumPy that srcgrad must differentiate. A
`Case` pairs one with `make_inputs(rng, dtype) -> args` (inputs drawn inside the
function's domain: positive for log/sqrt, away from kinks for abs/maximum,
strictly ordered for max reductions, away from branch thresholds), the indices
of the arguments to differentiate, and a note on that domain. Several cases may
share a function to take different branches; `Case.id` tells them apart.

Functions live at module level (or nested in module-level functions) so srcgrad
can read their source with `inspect`. The input makers keep the dtype they are
given: float64 cases get float64 arrays and Python floats, float32 cases get
float32 arrays and `np.float32` scalars; integer and boolean arguments (loop
counts, index arrays, masks) are never differentiated.

`stop_gradient` cases carry a `reference`: given the base inputs, a function
without `stop_gradient` whose full derivative is the expected partial one (the
stopped value frozen at its base value), since finite differences of the
original would see straight through `stop_gradient`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

import srcgrad


@dataclass(frozen=True)
class Case:
    """One corpus function, its inputs and what to differentiate."""

    fn: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator, type], tuple]
    wrt: tuple[int, ...] = (0,)
    domain: str = ""
    variant: str = ""
    """Names this input maker when several cases share a function (`if_else_data-negative`)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Extra options for `srcgrad.grad` besides `wrt` (e.g. `stop_gradients`)."""
    reference: Callable[[tuple], Callable[..., Any]] | None = None
    """Base inputs -> a function whose full derivative is the expected gradient."""

    @property
    def id(self) -> str:
        return f"{self.fn.__name__}-{self.variant}" if self.variant else self.fn.__name__


CASES: list[Case] = []


def case(fn: Callable[..., Any], make_inputs: Callable, wrt: tuple[int, ...] = (0,), domain: str = "", **kw: Any) -> None:
    CASES.append(Case(fn, make_inputs, tuple(wrt), domain, **kw))


# --- input makers ----------------------------------------------------------------------------


def normal(rng: np.random.Generator, dtype: type, *shape: int, scale: float = 1.0) -> np.ndarray:
    return np.asarray(scale * rng.standard_normal(shape), dtype=dtype)


def uniform(rng: np.random.Generator, dtype: type, lo: float, hi: float, *shape: int) -> np.ndarray:
    return np.asarray(rng.uniform(lo, hi, shape), dtype=dtype)


def positive(rng: np.random.Generator, dtype: type, *shape: int) -> np.ndarray:
    return uniform(rng, dtype, 0.5, 2.0, *shape)


def away_from_zero(rng: np.random.Generator, dtype: type, *shape: int, gap: float = 0.3) -> np.ndarray:
    """Values with |x| >= gap and either sign (for abs, relu, masks x > 0)."""
    signs = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return np.asarray(signs * rng.uniform(gap, 1.5, shape), dtype=dtype)


def distinct(rng: np.random.Generator, dtype: type, *shape: int, gap: float = 0.25) -> np.ndarray:
    """Values pairwise at least ~gap apart (for max/min reductions: no ties within a step)."""
    n = int(np.prod(shape, dtype=int))
    ranks = rng.permutation(n) - (n - 1) / 2
    values = ranks * gap + rng.uniform(-gap / 5, gap / 5, n)
    return np.asarray(values.reshape(shape), dtype=dtype)


def signed_rows(rng: np.random.Generator, dtype: type, signs: tuple[float, ...], n: int) -> np.ndarray:
    """Rows whose sums have the given signs, clearly (for branches on np.sum(row))."""
    magnitude = rng.uniform(0.3, 1.2, (len(signs), n))
    return np.asarray(np.array(signs)[:, None] * magnitude, dtype=dtype)


def scalar(rng: np.random.Generator, dtype: type, lo: float = -1.0, hi: float = 1.0) -> Any:
    """A scalar argument: a Python float for float64, `np.float32` for float32."""
    value = rng.uniform(lo, hi)
    return float(value) if dtype == np.float64 else dtype(value)


def array0d(rng: np.random.Generator, dtype: type, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    return np.asarray(rng.uniform(lo, hi), dtype=dtype)


def one_hot(rng: np.random.Generator, dtype: type, n: int, classes: int) -> np.ndarray:
    return np.asarray(np.eye(classes)[rng.integers(0, classes, n)], dtype=dtype)


# =============================================================================================
# Assignment, tuple unpacking, augmented assignment
# =============================================================================================


def assign_chain(x, y):
    a = x * y
    b = a + x
    c = b - y
    return np.sum(c * a)


case(assign_chain, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "any; (2, 3) with (3,)")


def reassign_same_name(x):
    y = x * 2.0
    y = np.sin(y)
    y = y * x
    return np.sum(y)


case(reassign_same_name, lambda r, d: (normal(r, d, 2, 3),))


def reassign_parameter(x, y):
    x = x * y
    y = x + y
    x = np.tanh(x) * y
    return np.sum(x)


case(reassign_parameter, lambda r, d: (normal(r, d, 3), normal(r, d, 2, 3)), (0, 1))


def tuple_unpack_swap(x, y):
    a, b = x * 2.0, y + 1.0
    a, b = b, a
    return np.sum(a * b + a)


case(tuple_unpack_swap, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "(2, 3) with (3,)")


def tuple_unpack_from_variable(x, y):
    t = (x, y, x * y)
    a, b, c = t
    return np.sum(a + b * c)


case(tuple_unpack_from_variable, lambda r, d: (normal(r, d, 1, 3), normal(r, d, 2, 3)), (0, 1), "(1, 3) with (2, 3)")


def nested_tuple_unpack(x, y):
    a, (b, c) = x, (y, x * y)
    return np.sum(a + b * c)


case(nested_tuple_unpack, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def augassign_add(x, y):
    s = x * 1.0
    s += y
    s += x * y
    return np.sum(s * s)


case(augassign_add, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "(2, 3) += (3,)")


def augassign_sub(x, y):
    s = x * y
    s -= y
    s -= np.exp(x)
    return np.sum(s)


case(augassign_sub, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 1, 3)), (0, 1), "(2, 3) -= (1, 3)")


def augassign_mul(x, y):
    s = x + 0.0
    s *= y
    s *= s
    return np.sum(s)


case(augassign_mul, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def augassign_div(x, y):
    s = x * 3.0
    s /= y
    s /= 2.0
    return np.sum(s * x)


case(augassign_div, lambda r, d: (normal(r, d, 2, 3), positive(r, d, 3)), (0, 1), "y positive")


def augassign_scalar_accumulator(x):
    total = 0.0
    total += np.sum(x)
    total *= 2.0
    total -= np.sum(x * x)
    total /= 3.0
    return total


case(augassign_scalar_accumulator, lambda r, d: (normal(r, d, 4),))


def augassign_in_loop(x, y):
    acc = x * 0.0
    for i in range(3):
        acc += x * y
        acc *= y
        acc -= 0.5 * x
        acc /= 1.5
    return np.sum(acc)


case(augassign_in_loop, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


# =============================================================================================
# Arithmetic + - * / ** @, unary minus
# =============================================================================================


def arith_basic(x, y):
    return np.sum((x + y) * (x - y) / (1.0 + y * y))


case(arith_basic, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def arith_div(x, y):
    return np.sum(x / y + y / x)


case(arith_div, lambda r, d: (away_from_zero(r, d, 2, 3), away_from_zero(r, d, 2, 1)), (0, 1), "both away from 0")


def pow_const(x):
    return np.sum(x ** 2 + x ** 3 - x ** 0.5 + x ** -1)


case(pow_const, lambda r, d: (positive(r, d, 2, 3),), domain="positive")


def pow_data(x, y):
    return np.sum(x ** y)


case(pow_data, lambda r, d: (positive(r, d, 2, 3), normal(r, d, 3)), (0, 1), "base positive; exponent (3,) broadcasts")


def pow_int_arg(x, n):
    return np.sum(x ** n)


case(pow_int_arg, lambda r, d: (normal(r, d, 2, 3), 3), domain="n a Python int")


def rpow(x):
    return np.sum(2.0 ** x + x ** 2.0)


case(rpow, lambda r, d: (normal(r, d, 3),))


def unary_neg(x, y):
    return np.sum(-x * y + -(x - y) ** 2)


case(unary_neg, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 1, 3)), (0, 1))


def matmul_op(A, B):
    return np.sum((A @ B) ** 2)


case(matmul_op, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3, 4)), (0, 1))


def matmul_quadratic(A, x):
    return x @ A @ x


case(matmul_quadratic, lambda r, d: (normal(r, d, 3, 3), normal(r, d, 3)), (0, 1))


def matmul_vec(A, x):
    return np.sum(np.tanh(A @ x))


case(matmul_vec, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def mixed_constants(x):
    return np.sum(3.0 - x / 2.0 + 1.0 / (1.0 + x * x) - 2 * x)


case(mixed_constants, lambda r, d: (normal(r, d, 2, 3),))


# =============================================================================================
# Broadcasting: (3,) with (2, 3), (1, 3) with (2, 3), (2, 1) with (1, 3), scalars with arrays
# =============================================================================================


def bcast_row(x, y):
    return np.sum(np.sin(x * y + y))


case(bcast_row, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "(2, 3) with (3,)")


def bcast_row_array_out(x, y):
    return x * y - y


case(bcast_row_array_out, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "(2, 3) with (3,); output (2, 3)")


def bcast_1_3(x, y):
    return (x - y) ** 2


case(bcast_1_3, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 1, 3)), (0, 1), "(2, 3) with (1, 3); output (2, 3)")


def bcast_outer(a, b):
    return np.exp(a + b) * a


case(bcast_outer, lambda r, d: (normal(r, d, 2, 1), normal(r, d, 1, 3)), (0, 1), "(2, 1) with (1, 3)")


def bcast_outer_vector(a, b):
    return np.sum(np.tanh(a * b) + a / (1.0 + b * b))


case(bcast_outer_vector, lambda r, d: (normal(r, d, 2, 1), normal(r, d, 3)), (0, 1), "(2, 1) with (3,)")


def bcast_scalar_array(s, x):
    return s * x + s ** 2


case(bcast_scalar_array, lambda r, d: (array0d(r, d), normal(r, d, 2, 3)), (0, 1), "0-d array with (2, 3)")


def bcast_python_scalar(s, x):
    return np.sum(s * x - s + x / 2.0)


case(bcast_python_scalar, lambda r, d: (scalar(r, d), normal(r, d, 2, 3)), (0, 1), "Python float (np.float32) with (2, 3)")


def bcast_three_way(a, b, c):
    return np.sum((a * b + c) ** 2)


case(bcast_three_way, lambda r, d: (normal(r, d, 4, 1), normal(r, d, 3), array0d(r, d)), (0, 1, 2), "(4, 1), (3,), ()")


def bcast_rank3(a, b):
    return np.sum(np.sin(a * b))


case(bcast_rank3, lambda r, d: (normal(r, d, 2, 1, 3), normal(r, d, 4, 1)), (0, 1), "(2, 1, 3) with (4, 1)")


def bcast_center_rows(x):
    return x - np.mean(x, axis=1, keepdims=True)


case(bcast_center_rows, lambda r, d: (normal(r, d, 2, 3),))


# =============================================================================================
# Conditional expressions and if / elif / else
# =============================================================================================


def cond_expr_data(x):
    y = np.sin(x) if np.sum(x) > 0 else np.cos(x) * x
    return np.sum(y * y)


case(cond_expr_data, lambda r, d: (uniform(r, d, 0.2, 1.5, 2, 3),), domain="sum > 0", variant="true")
case(cond_expr_data, lambda r, d: (uniform(r, d, -1.5, -0.2, 2, 3),), domain="sum < 0", variant="false")


def cond_expr_int(x, y, n):
    z = x * y if n > 2 else x + y
    return np.sum(z)


case(cond_expr_int, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3), 3), (0, 1), variant="true")
case(cond_expr_int, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3), 1), (0, 1), variant="false")


def cond_expr_nested(x):
    m = np.mean(x)
    s = 2.0 if m > 1.0 else (0.5 if m > 0.0 else -1.0)
    return np.sum(s * x * x)


case(cond_expr_nested, lambda r, d: (uniform(r, d, 0.2, 0.8, 3),), domain="0 < mean < 1", variant="middle")
case(cond_expr_nested, lambda r, d: (uniform(r, d, 1.5, 2.0, 3),), domain="mean > 1", variant="high")


def cond_expr_selects_value(x, y):
    z = x if np.max(x) > np.max(y) else y
    return np.sum(z * np.exp(x - y))


case(cond_expr_selects_value, lambda r, d: (uniform(r, d, 1.0, 2.0, 3), uniform(r, d, -1.0, 0.5, 3)), (0, 1), "max x > max y")


def if_else_data(x, y):
    if np.sum(x) > 0:
        z = np.sin(x) * y
    else:
        z = np.cos(x) + y
    return np.sum(z)


case(if_else_data, lambda r, d: (uniform(r, d, 0.1, 1.0, 2, 3), normal(r, d, 3)), (0, 1), "sum(x) > 0", variant="positive")
case(if_else_data, lambda r, d: (uniform(r, d, -1.0, -0.1, 2, 3), normal(r, d, 3)), (0, 1), "sum(x) < 0", variant="negative")


def if_elif_else_data(x):
    m = np.mean(x)
    if m > 1.0:
        y = x ** 2
    elif m > -1.0:
        y = np.tanh(x)
    else:
        y = np.exp(x)
    return np.sum(y * x)


case(if_elif_else_data, lambda r, d: (uniform(r, d, 1.5, 2.0, 2, 3),), domain="mean > 1", variant="if")
case(if_elif_else_data, lambda r, d: (uniform(r, d, -0.5, 0.5, 2, 3),), domain="|mean| < 1", variant="elif")
case(if_elif_else_data, lambda r, d: (uniform(r, d, -2.0, -1.5, 2, 3),), domain="mean < -1", variant="else")


def if_int_branch(x, n):
    if n == 0:
        y = x
    elif n == 1:
        y = x * x
    else:
        y = np.exp(x)
    return np.sum(y)


for _n in (0, 1, 2):
    case(if_int_branch, lambda r, d, n=_n: (normal(r, d, 2, 3), n), domain=f"n = {_n}", variant=f"n{_n}")


def if_without_else(x):
    y = x * 1.5
    if np.max(x) > 1.0:
        y = y * np.sin(x)
    return np.sum(y)


case(if_without_else, lambda r, d: (uniform(r, d, -0.5, 0.5, 3),), domain="max < 1", variant="skipped")
case(if_without_else, lambda r, d: (uniform(r, d, 1.2, 2.0, 3),), domain="max > 1", variant="taken")


def if_chained_comparison(x, n):
    if 0 < n < 5:
        return np.sum(x * n)
    return np.sum(x * x)


case(if_chained_comparison, lambda r, d: (normal(r, d, 3), 2), variant="inside")
case(if_chained_comparison, lambda r, d: (normal(r, d, 3), 7), variant="outside")


def if_bool_ops(x, y, n):
    if np.sum(x) > 0 and n > 1:
        z = x * y
    elif np.sum(y) < 0 or n == 0:
        z = x - y
    else:
        z = x + y * y
    return np.sum(z * z)


case(if_bool_ops, lambda r, d: (uniform(r, d, 0.1, 1.0, 3), normal(r, d, 3), 2), (0, 1), variant="and")
case(if_bool_ops, lambda r, d: (uniform(r, d, -1.0, -0.1, 3), uniform(r, d, -1.0, -0.1, 3), 2), (0, 1), variant="or")
case(if_bool_ops, lambda r, d: (uniform(r, d, -1.0, -0.1, 3), uniform(r, d, 0.1, 1.0, 3), 2), (0, 1), variant="else")


def if_not(x):
    if not np.sum(x) > 0:
        x = -x
    return np.sum(x ** 3)


case(if_not, lambda r, d: (uniform(r, d, -1.0, -0.1, 3),), domain="sum < 0")


def if_nested(x, y):
    if np.sum(x) > 0:
        if np.sum(y) >= 0:
            z = x * y
        else:
            z = x / (1.0 + y * y)
    else:
        z = np.exp(x) + y
    return np.sum(z)


case(if_nested, lambda r, d: (uniform(r, d, 0.1, 1.0, 3), uniform(r, d, -1.0, -0.1, 3)), (0, 1), variant="inner-else")
case(if_nested, lambda r, d: (uniform(r, d, 0.1, 1.0, 3), uniform(r, d, 0.1, 1.0, 3)), (0, 1), variant="inner-if")


def if_compare_data(x, y):
    if np.sum(x) > np.sum(y):
        return np.sum(x * x)
    return np.sum(y * x)


case(if_compare_data, lambda r, d: (uniform(r, d, 0.5, 1.0, 3), uniform(r, d, -1.0, 0.0, 3)), (0, 1), variant="greater")
case(if_compare_data, lambda r, d: (uniform(r, d, -1.0, 0.0, 3), uniform(r, d, 0.5, 1.0, 3)), (0, 1), variant="less")


def if_swap_pair(x, y):
    if np.sum(x * y) <= 0:
        a, b = x, y
    else:
        a, b = y, x
    return np.sum(a * np.exp(b))


case(if_swap_pair, lambda r, d: (uniform(r, d, 0.2, 1.0, 3), uniform(r, d, 0.2, 1.0, 3)), (0, 1), "x * y > 0")


def if_on_shape(x):
    if x.shape[0] != 2:
        y = x[0]
    else:
        y = x[0] + x[1]
    return np.sum(y * y)


case(if_on_shape, lambda r, d: (normal(r, d, 2, 3),), variant="two-rows")
case(if_on_shape, lambda r, d: (normal(r, d, 3, 3),), variant="three-rows")


def if_min_le(x):
    y = x * 2.0
    if np.min(x) <= 0.0:
        y = y - x * x
    else:
        y = np.log(x) + y
    return np.sum(y)


case(if_min_le, lambda r, d: (positive(r, d, 3),), domain="positive: log branch")


def early_return(x):
    if np.sum(x) < 0:
        return np.sum(x * x)
    return np.sum(np.exp(x))


case(early_return, lambda r, d: (uniform(r, d, -1.0, -0.1, 3),), variant="early")
case(early_return, lambda r, d: (uniform(r, d, 0.1, 1.0, 3),), variant="late")


def early_return_elif(x):
    s = np.sum(x)
    if s > 2.0:
        return np.sum(np.log(x))
    elif s < -2.0:
        return np.sum(x ** 3)
    y = np.tanh(x)
    return np.sum(y * x)


case(early_return_elif, lambda r, d: (uniform(r, d, 1.0, 2.0, 3),), domain="sum > 2", variant="if")
case(early_return_elif, lambda r, d: (uniform(r, d, -2.0, -1.0, 3),), domain="sum < -2", variant="elif")
case(early_return_elif, lambda r, d: (uniform(r, d, -0.5, 0.5, 3),), domain="|sum| < 1.5", variant="fallthrough")


# =============================================================================================
# for loops: range(n), range(a, b), range(a, b, step), literals, rows, enumerate, zip
# =============================================================================================


def for_range_n(x, n):
    y = x
    for i in range(n):
        y = np.sin(y) + x
    return np.sum(y)


case(for_range_n, lambda r, d: (normal(r, d, 2, 3), 3), domain="n a Python int")


def for_range_index(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * (i + 1)
    return s


case(for_range_index, lambda r, d: (normal(r, d, 4),))


def for_range_a_b(x):
    s = x[0]
    for i in range(1, 4):
        s = s * x[i] + x[i - 1]
    return s


case(for_range_a_b, lambda r, d: (normal(r, d, 5),))


def for_range_args(x, a, b):
    acc = x * 0.0
    for k in range(a, b):
        acc = acc + x ** k
    return np.sum(acc)


case(for_range_args, lambda r, d: (normal(r, d, 2, 3), 1, 4))


def for_range_step(x):
    s = 0.0
    for i in range(0, 6, 2):
        s = s + x[i] * x[i + 1]
    return s


case(for_range_step, lambda r, d: (normal(r, d, 6),))


def for_range_negative_step(x):
    y = x[4]
    for i in range(3, -1, -1):
        y = np.tanh(y + x[i]) * x[i]
    return y


case(for_range_negative_step, lambda r, d: (normal(r, d, 5),))


def for_list_literal(x, y, z):
    total = 0.0
    for t in [x, y, z]:
        total = total + np.sum(t * t)
    return total


case(for_list_literal, lambda r, d: (normal(r, d, 3), normal(r, d, 3), normal(r, d, 3)), (0, 1, 2))


def for_tuple_literal_mixed_shapes(x, y, s):
    acc = x * 1.0
    for w in (y, 2.0 * y, s):
        acc = acc * w + 1.0
    return np.sum(acc)


case(for_tuple_literal_mixed_shapes, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3), array0d(r, d)), (0, 1, 2), "items of shapes (3,), (3,), ()")


def for_rows(X):
    s = 0.0
    for row in X:
        s = s + np.sum(np.sin(row)) * np.sum(row)
    return s


case(for_rows, lambda r, d: (normal(r, d, 3, 4),))


def for_rows_carry(X, w):
    h = w * 0.0
    for row in X:
        h = np.tanh(h + row * w)
    return np.sum(h)


case(for_rows_carry, lambda r, d: (normal(r, d, 3, 4), normal(r, d, 4)), (0, 1))


def for_elements(x, y):
    s = y * 0.0
    for v in x:
        s = s * 0.5 + v * y
    return np.sum(s * s)


case(for_elements, lambda r, d: (normal(r, d, 4), normal(r, d, 3)), (0, 1), "iterating a 1-D array gives scalars")


def for_enumerate_rows(X):
    s = 0.0
    for i, row in enumerate(X):
        s = s + (i + 1) * np.sum(row ** 2)
    return s


case(for_enumerate_rows, lambda r, d: (normal(r, d, 3, 2),))


def for_enumerate_list(x, y):
    s = 0.0
    for i, t in enumerate([x, y, x * y]):
        s = s + (i + 0.5) * np.sum(t)
    return s


case(for_enumerate_list, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def for_enumerate_start(X):
    s = X[0] * 0.0
    for k, row in enumerate(X, 1):
        s = s + row ** k
    return np.sum(s)


case(for_enumerate_start, lambda r, d: (normal(r, d, 3, 2),))


def for_zip_rows(X, Y):
    s = 0.0
    for a, b in zip(X, Y):
        s = s + np.dot(a, b) ** 2
    return s


case(for_zip_rows, lambda r, d: (normal(r, d, 3, 4), normal(r, d, 3, 4)), (0, 1))


def for_zip_lists(x, y):
    s = 0.0
    for a, b in zip([x, y], [y, x * x]):
        s = s + np.sum(a * b)
    return s


case(for_zip_lists, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def for_enumerate_zip(X, Y):
    s = 0.0
    for i, (a, b) in enumerate(zip(X, Y)):
        s = s + (i + 1.0) * np.sum(np.sin(a) * b)
    return s


case(for_enumerate_zip, lambda r, d: (normal(r, d, 3, 2), normal(r, d, 3, 2)), (0, 1))


def for_nested(X):
    s = 0.0
    for i in range(2):
        for j in range(3):
            s = s + X[i, j] * X[j, i]
    return s


case(for_nested, lambda r, d: (normal(r, d, 3, 3),))


def for_nested_rows(X, w):
    h = w
    for row in X:
        for k in range(2):
            h = np.tanh(h * row + k)
    return np.sum(h)


case(for_nested_rows, lambda r, d: (normal(r, d, 3, 4), normal(r, d, 4)), (0, 1))


def for_multiple_carried(x, y):
    a = x
    b = y
    for i in range(4):
        a, b = b, a * 0.5 + b * 0.3
    return np.sum(a * b)


case(for_multiple_carried, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "carried values change shape (3,) -> (2, 3)")


def for_shape_range(X):
    s = X[0] * 0.0
    for i in range(X.shape[0]):
        s = s + X[i] * (i + 1.0)
    return np.sum(s ** 2)


case(for_shape_range, lambda r, d: (normal(r, d, 3, 2),))


def for_len_range(x, y):
    items = [x, y * 2.0]
    acc = 0.0
    for i in range(len(items)):
        acc = acc + np.sum(items[i] * items[-1 - i])
    return acc


case(for_len_range, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def for_if_int_inside(x):
    y = x
    for i in range(4):
        if i % 2 == 0:
            y = np.sin(y)
        else:
            y = y * x
    return np.sum(y)


case(for_if_int_inside, lambda r, d: (normal(r, d, 2, 3),))


def for_if_data_inside(X):
    s = X[0] * 0.0
    for row in X:
        if np.sum(row) > 0:
            s = s + row
        else:
            s = s - row * row
    return np.sum(s * s)


case(for_if_data_inside, lambda r, d: (signed_rows(r, d, (1.0, -1.0, 1.0, -1.0), 3),), domain="row sums clearly +, -, +, -")


def for_over_list_variable(x, y):
    items = [x, y, x + y]
    s = 0.0
    for t in items:
        s = s + np.sum(np.tanh(t))
    return s


case(for_over_list_variable, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def for_polynomial_horner(coeffs, x):
    y = x * 0.0
    for c in coeffs:
        y = y * x + c
    return np.sum(y)


case(for_polynomial_horner, lambda r, d: (normal(r, d, 4), normal(r, d, 3)), (0, 1))


def for_newton_sqrt(a):
    y = a
    for i in range(6):
        y = 0.5 * (y + a / y)
    return np.sum(y)


case(for_newton_sqrt, lambda r, d: (positive(r, d, 3),), domain="positive")


# =============================================================================================
# while loops, break, continue, return inside a loop
# =============================================================================================


def while_counter(x):
    i = 0
    y = x
    while i < 4:
        y = y * 0.5 + np.sin(y)
        i += 1
    return np.sum(y)


case(while_counter, lambda r, d: (normal(r, d, 2, 3),))


def while_counter_arg(x, n):
    i = 0
    y = x * 1.0
    while i < n:
        y = np.tanh(y) * x + i
        i = i + 1
    return np.sum(y)


case(while_counter_arg, lambda r, d: (normal(r, d, 3), 3))


def while_data_condition(x):
    y = x * 1.0
    i = 0
    while np.sum(y * y) < 10.0 and i < 20:
        y = y * 1.5
        i += 1
    return np.sum(y)


case(while_data_condition, lambda r, d: (uniform(r, d, 0.3, 0.6, 3),), domain="trip count not at a threshold")


def while_true_break(x):
    y = x
    i = 0
    while True:
        y = np.sin(y) + x
        i += 1
        if i >= 3:
            break
    return np.sum(y)


case(while_true_break, lambda r, d: (normal(r, d, 3),))


def while_return_inside(x):
    i = 0
    while i < 10:
        x = np.tanh(x) + 0.5
        if i == 3:
            return np.sum(x)
        i += 1
    return np.sum(x * x)


case(while_return_inside, lambda r, d: (normal(r, d, 3),))


def for_break_int(x, n):
    y = x
    for i in range(10):
        if i >= n:
            break
        y = y * x + 0.1
    return np.sum(y)


case(for_break_int, lambda r, d: (normal(r, d, 3), 3))


def for_break_data(x):
    y = x * 1.0
    for i in range(10):
        y = y * 1.3 + 0.1
        if np.max(y) > 3.0:
            break
    return np.sum(y)


case(for_break_data, lambda r, d: (uniform(r, d, 0.2, 1.0, 3),), domain="max crosses 3 at some step, not at the threshold")


def for_continue_int(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s + np.sum(x ** i)
    return s


case(for_continue_int, lambda r, d: (normal(r, d, 3),))


def for_continue_data(X):
    s = 0.0
    for row in X:
        if np.sum(row) < 0:
            continue
        s = s + np.sum(np.exp(row))
    return s


case(for_continue_data, lambda r, d: (signed_rows(r, d, (1.0, -1.0, 1.0, -1.0), 3),), domain="row sums clearly +, -, +, -")


def for_return_inside(x):
    y = x
    for i in range(5):
        y = np.sin(y) * 2.0
        if i == 2:
            return np.sum(y)
    return np.sum(y * y)


case(for_return_inside, lambda r, d: (normal(r, d, 3),))


def for_return_inside_data(x):
    y = x
    for i in range(10):
        y = y * 1.5
        if np.sum(y) > 5.0:
            return np.sum(y * y)
    return np.sum(y)


case(for_return_inside_data, lambda r, d: (uniform(r, d, 0.2, 0.5, 3),), domain="sum crosses 5 inside the loop", variant="returns")
case(for_return_inside_data, lambda r, d: (uniform(r, d, -0.5, -0.2, 3),), domain="sum stays negative", variant="falls-through")


def for_break_continue(X):
    s = X[0] * 0.0
    for i in range(X.shape[0]):
        if i == 1:
            continue
        if i == 3:
            break
        s = s + np.tanh(X[i]) * (i + 1.0)
    return np.sum(s * X[1])


case(for_break_continue, lambda r, d: (normal(r, d, 5, 2),))


# =============================================================================================
# Calls: module-level functions (keywords, defaults), nested functions, closures, decorated
# =============================================================================================


def _affine(x, w, b=0.0, scale=1.0):
    return scale * (x * w + b)


def _softplus(x):
    return np.log(1.0 + np.exp(x))


def _split(x):
    return np.sin(x), np.cos(x)


def _two_level(x, y):
    return _affine(x, y, b=1.0) * _softplus(x)


def _default_power(x, p=2):
    return x ** p


def call_helper(x, w):
    return np.sum(_affine(x, w) ** 2)


case(call_helper, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def call_helper_kwargs(x, w, b):
    y = _affine(x, w, b=b, scale=2.0)
    z = _affine(w=y, x=x)
    return np.sum(z + y)


case(call_helper_kwargs, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3), normal(r, d, 2, 1)), (0, 1, 2))


def call_helper_tuple(x):
    s, c = _split(x)
    return np.sum(s * c + s)


case(call_helper_tuple, lambda r, d: (normal(r, d, 2, 3),))


def call_nested_helpers(x, y):
    return np.sum(_two_level(x, y))


case(call_nested_helpers, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def call_helper_in_loop(x, w):
    h = x
    for i in range(3):
        h = np.tanh(_affine(h, w, b=0.1 * i))
    return np.sum(h)


case(call_helper_in_loop, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def call_default_override(x):
    return np.sum(_default_power(x) + _default_power(x, 3) + _default_power(x, p=4))


case(call_default_override, lambda r, d: (normal(r, d, 3),))


def nested_def(x, y):
    def inner(a, b):
        return a * np.sin(b)

    return np.sum(inner(x, y) + inner(y, x))


case(nested_def, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def nested_def_default(x):
    def scaled(a, k=3.0):
        return a * k

    return np.sum(scaled(x) * scaled(x, k=0.5) ** 2)


case(nested_def_default, lambda r, d: (normal(r, d, 2, 3),))


def closure_over_local(x, w):
    shift = np.exp(w)

    def f(t):
        return np.tanh(t + shift)

    return np.sum(f(x) * f(2.0 * x))


case(closure_over_local, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "gradient reaches w through the closure")


def closure_constant_local(x):
    k = 3

    def g(t):
        return t ** k

    return np.sum(g(x))


case(closure_constant_local, lambda r, d: (normal(r, d, 3),))


def closure_in_loop(x, y):
    def step(h):
        return np.tanh(h * y + x)

    h = x
    for i in range(3):
        h = step(h)
    return np.sum(h)


case(closure_in_loop, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def nested_def_calls_module_helper(x):
    def inner(t):
        return _softplus(t) * t

    return np.sum(inner(x))


case(nested_def_calls_module_helper, lambda r, d: (normal(r, d, 3),))


def nested_def_returns_tuple(x, y):
    def both(a):
        return a * y, a + y

    p, q = both(x)
    return np.sum(p * q)


case(nested_def_returns_tuple, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def lambda_local(x):
    sq = lambda t: t * t  # noqa: E731 - a lambda is the construct under test
    return np.sum(sq(x) + sq(np.sin(x)))


case(lambda_local, lambda r, d: (normal(r, d, 3),))


@srcgrad.differentiate
def decorated_energy(x, y):
    return np.sum(x * x * y)


@srcgrad.differentiate(wrt=("w", "b"))
def decorated_linear(x, w, b):
    return x @ w + b


def call_decorated(x, y):
    return decorated_energy(np.sin(x), y) + np.sum(x)


case(call_decorated, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def call_decorated_twice(x):
    return decorated_energy(x, x) + decorated_energy(x * 2.0, np.cos(x))


case(call_decorated_twice, lambda r, d: (normal(r, d, 3),))


def call_decorated_options(x, w, b):
    return np.sum(np.tanh(decorated_linear(x, w, b)))


case(
    call_decorated_options,
    lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3, 2), normal(r, d, 2)),
    (0, 1, 2),
    "the callee's own wrt=('w', 'b') does not limit the caller's gradient",
)


# =============================================================================================
# Tuples and lists
# =============================================================================================


def tuple_index(x, y):
    t = (x, y, x * y)
    return np.sum(t[0] * t[-1] + t[1])


case(tuple_index, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def list_index_negative(x, y):
    lst = [x, x + y, np.sin(y)]
    return np.sum(lst[-1] * lst[-2] - lst[0])


case(list_index_negative, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def list_unpack(x, y):
    a, b, c = [x * 2.0, y, x - y]
    return np.sum(a * b * c)


case(list_unpack, lambda r, d: (normal(r, d, 1, 3), normal(r, d, 2, 3)), (0, 1))


def list_of_lists(x, y):
    grid = [[x, y], [y * x, x - y]]
    return np.sum(grid[1][0] * grid[0][1] + grid[-1][-1])


case(list_of_lists, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def list_append_then_index(x):
    out = []
    out.append(x)
    out.append(np.sin(x))
    out.append(out[0] * out[1])
    return np.sum(out[-1] + out[0])


case(list_append_then_index, lambda r, d: (normal(r, d, 3),))


def list_append_stack(x, n):
    ys = []
    for i in range(n):
        ys.append(x ** (i + 1))
    return np.sum(np.stack(ys) ** 2)


case(list_append_stack, lambda r, d: (normal(r, d, 3), 3))


def list_append_sum(X):
    parts = []
    for row in X:
        parts.append(np.sin(row) * row)
    return np.sum(sum(parts) ** 2)


case(list_append_sum, lambda r, d: (normal(r, d, 3, 2),))


def list_append_concatenate(x):
    parts = [x]
    for i in range(3):
        parts.append(parts[-1] * x)
    return np.sum(np.concatenate(parts) ** 2)


case(list_append_concatenate, lambda r, d: (normal(r, d, 3),))


def tuple_concat(x, y):
    t = (x, y) + (x * y,)
    a, b, c = t
    return np.sum(a * b + c)


case(tuple_concat, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def tuple_output(x, y):
    return np.sum(x * y), np.sin(x)


case(tuple_output, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "outputs (): and (2, 3); seeds a tuple")


def tuple_output_three(x):
    return x * 2.0, np.sum(x ** 2), np.exp(x[0])


case(tuple_output_three, lambda r, d: (normal(r, d, 3),), domain="outputs (3,), (), ()")


# =============================================================================================
# Subscripts: ints, slices, tuples of slices, None, Ellipsis, index arrays, boolean masks
# =============================================================================================


def index_int(x):
    return x[0] * x[-1] + x[2] ** 2


case(index_int, lambda r, d: (normal(r, d, 4),))


def index_int_2d(X):
    return X[1, 2] * X[0, 0] - X[-1, -2] + np.sum(X[-1] * X[0])


case(index_int_2d, lambda r, d: (normal(r, d, 2, 3),))


def slice_1d(x):
    return np.sum(x[1:] * x[:-1]) + np.sum(x[::2] ** 2)


case(slice_1d, lambda r, d: (normal(r, d, 5),))


def slice_reverse(x):
    return np.sum(x[::-1] * np.sin(x)) + np.sum(x[3:0:-2])


case(slice_reverse, lambda r, d: (normal(r, d, 5),))


def slice_tuple(X):
    return np.sum(X[:, 1:] * X[:, :-1]) + np.sum(X[0:2, ::2] ** 2)


case(slice_tuple, lambda r, d: (normal(r, d, 3, 4),))


def slice_mixed_int(X):
    return X[1, 1:3] * X[:2, 0]


case(slice_mixed_int, lambda r, d: (normal(r, d, 3, 4),))


def slice_of_expression(x, y):
    return np.sum((x * y)[1:, 0] ** 2)


case(slice_of_expression, lambda r, d: (normal(r, d, 3, 2), normal(r, d, 2)), (0, 1))


def newaxis_none(x, y):
    return np.sum(np.sin(x[:, None] * y[None, :]))


case(newaxis_none, lambda r, d: (normal(r, d, 3), normal(r, d, 4)), (0, 1))


def newaxis_np(x, y):
    return x[np.newaxis, :] + y[:, np.newaxis] ** 2


case(newaxis_np, lambda r, d: (normal(r, d, 3), normal(r, d, 2)), (0, 1))


def ellipsis_index(X):
    return np.sum(X[..., 0] * X[..., -1]) + np.sum(X[0, ...] ** 2)


case(ellipsis_index, lambda r, d: (normal(r, d, 2, 3, 4),))


def ellipsis_newaxis(X):
    return np.sum(X[..., None] * X[:, None, :])


case(ellipsis_newaxis, lambda r, d: (normal(r, d, 2, 3),))


def fancy_index_arg(x, idx):
    return np.sum(np.sin(x[idx]) * x[idx])


case(fancy_index_arg, lambda r, d: (normal(r, d, 5), np.array([0, 2, 2, 4, 2])), domain="repeated indices")


def fancy_index_list_literal(x):
    return np.sum(x[[0, 2, 2]] ** 2 * x[[1, 1, 0]])


case(fancy_index_list_literal, lambda r, d: (normal(r, d, 4),), domain="repeated indices")


def fancy_index_const_array(x):
    idx = np.array([3, 0, 0, 1])
    return np.sum(x[idx] * x[idx] * x[:4])


case(fancy_index_const_array, lambda r, d: (normal(r, d, 4),), domain="repeated indices")


def fancy_index_rows(X, w, idx):
    return X[idx] * w


case(fancy_index_rows, lambda r, d: (normal(r, d, 3, 2), normal(r, d, 2), np.array([2, 0, 2])), (0, 1), "repeated rows")


def fancy_index_cols(X, idx):
    return np.sum(np.exp(X[:, idx]))


case(fancy_index_cols, lambda r, d: (normal(r, d, 2, 4), np.array([1, 3, 1, -1])), domain="repeated and negative indices")


def fancy_index_pairs(X, i, j):
    return np.sum(X[i, j] ** 2) + np.sum(X[i, 1:])


case(fancy_index_pairs, lambda r, d: (normal(r, d, 3, 3), np.array([0, 2, 2, 1]), np.array([1, 1, 1, 0])), domain="two index arrays, repeats")


def bool_mask_arg(x, mask):
    return np.sum(x[mask] ** 3)


case(bool_mask_arg, lambda r, d: (normal(r, d, 5), np.array([True, False, True, True, False])))


def bool_mask_data(x):
    return np.sum(x[x > 0] ** 2) - np.sum(x[x < 0])


case(bool_mask_data, lambda r, d: (away_from_zero(r, d, 6),), domain="away from 0")


def bool_mask_2d(X, mask):
    return np.sum(np.tanh(X[mask]) * 2.0)


case(bool_mask_2d, lambda r, d: (normal(r, d, 2, 3), np.array([[True, False, True], [False, True, True]])))


def bool_mask_rows(X, rows):
    return np.sum(X[rows] @ X[0])


case(bool_mask_rows, lambda r, d: (normal(r, d, 3, 3), np.array([True, False, True])))


# =============================================================================================
# Attributes (x.T, x.shape, np.pi) and methods
# =============================================================================================


def attr_T(X):
    return np.sum(X.T @ X) + np.sum(X @ X.T)


case(attr_T, lambda r, d: (normal(r, d, 2, 3),))


def attr_shape_reshape(X):
    n, m = X.shape
    return np.sum(X.reshape(m, n) * X.T)


case(attr_shape_reshape, lambda r, d: (normal(r, d, 2, 3),))


def attr_shape_divide(X):
    return np.sum(X) / X.shape[0] / X.shape[1] + np.sum(X ** 2) / X.size


case(attr_shape_divide, lambda r, d: (normal(r, d, 2, 3),))


def attr_np_pi(x):
    return np.sum(np.sin(np.pi * x) + x * np.e)


case(attr_np_pi, lambda r, d: (normal(r, d, 3),))


def method_sum(X):
    return np.sum(X.sum(axis=0) ** 2) + X.sum() + np.sum(X.sum(axis=1, keepdims=True) * X)


case(method_sum, lambda r, d: (normal(r, d, 2, 3),))


def method_mean(X):
    return X.mean() * X.mean(axis=1)


case(method_mean, lambda r, d: (normal(r, d, 2, 3),))


def method_reshape(X):
    return X.reshape(3, 2) @ X + X.reshape(-1).reshape((3, 2))[:, :1]


case(method_reshape, lambda r, d: (normal(r, d, 2, 3),))


def method_dot(x, y, W):
    return x.dot(y) + np.sum(W.dot(x) ** 2)


case(method_dot, lambda r, d: (normal(r, d, 3), normal(r, d, 3), normal(r, d, 2, 3)), (0, 1, 2))


def method_max(X):
    return X.max(axis=1) + X.max()


case(method_max, lambda r, d: (distinct(r, d, 2, 3),), domain="distinct")


def method_min_prod(X):
    return X.min() * X.prod(axis=0) + X.min(axis=0)


case(method_min_prod, lambda r, d: (distinct(r, d, 2, 3) + np.asarray(1.0, d),), domain="distinct, nonzero")


def method_chain(X, W):
    return (X.T.dot(W)).sum(axis=1)


case(method_chain, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 2, 4)), (0, 1))


def method_keepdims_max(X):
    Z = X - X.max(axis=1, keepdims=True)
    return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)


case(method_keepdims_max, lambda r, d: (distinct(r, d, 2, 3),), domain="distinct rows; softmax")


def method_transpose(X):
    return np.sum(X.transpose(2, 0, 1) * X.sum(axis=2)) + np.sum(X.T[0] ** 2)


case(method_transpose, lambda r, d: (normal(r, d, 2, 3, 4),))


# =============================================================================================
# stop_gradient (expected gradients from a reference with the stopped value frozen)
# =============================================================================================


def stop_grad_product(x):
    return np.sum(x * srcgrad.stop_gradient(x))


case(stop_grad_product, lambda r, d: (normal(r, d, 2, 3),), reference=lambda base: lambda x: np.sum(x * base[0]))


def stop_grad_normalize(x):
    mu = srcgrad.stop_gradient(np.mean(x))
    return np.sum((x - mu) ** 2)


case(stop_grad_normalize, lambda r, d: (normal(r, d, 2, 3),), reference=lambda base: lambda x: np.sum((x - np.mean(base[0])) ** 2))


def stop_grad_sum(x, y):
    z = srcgrad.stop_gradient(x * y) + x * y
    return np.sum(z * z)


case(
    stop_grad_sum,
    lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)),
    (0, 1),
    reference=lambda base: lambda x, y: np.sum((base[0] * base[1] + x * y) ** 2),
)


def stop_grad_loop(x, w):
    h = x
    for i in range(3):
        h = np.tanh(srcgrad.stop_gradient(h) * w + x)
    return np.sum(h)


def _stop_grad_loop_reference(base):
    x0, w0 = base
    h = x0
    for i in range(2):
        h = np.tanh(h * w0 + x0)
    return lambda x, w: np.sum(np.tanh(h * w + x))  # only the last step is differentiated


case(stop_grad_loop, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1), reference=_stop_grad_loop_reference)


def stop_gradients_option(x, w):
    h = np.tanh(x * w)
    return np.sum(h * x + w * x)


case(
    stop_gradients_option,
    lambda r, d: (normal(r, d, 3), normal(r, d, 3)),
    (0, 1),
    "stop_gradients=('h',): h held constant",
    options={"stop_gradients": ("h",)},
    reference=lambda base: lambda x, w: np.sum(np.tanh(base[0] * base[1]) * x + w * x),
)


# =============================================================================================
# NumPy functions
# =============================================================================================


def np_exp_log(x):
    return np.sum(np.exp(x) * np.log(x))


case(np_exp_log, lambda r, d: (positive(r, d, 2, 3),), domain="positive")


def np_sin_cos(x, y):
    return np.sum(np.sin(x) * np.cos(y) + np.cos(x * y))


case(np_sin_cos, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 1, 3)), (0, 1))


def np_tanh(x):
    return np.tanh(2.0 * x) ** 2


case(np_tanh, lambda r, d: (normal(r, d, 2, 3),))


def np_sqrt(x):
    return np.sum(np.sqrt(x) + np.sqrt(x * x + 1.0))


case(np_sqrt, lambda r, d: (positive(r, d, 3),), domain="positive")


def np_square(x, y):
    return np.sum(np.square(x - y) * np.square(y))


case(np_square, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


def np_abs(x):
    return np.sum(np.abs(x) * x + np.abs(x - 2.0))


case(np_abs, lambda r, d: (away_from_zero(r, d, 2, 3),), domain="away from 0 (and from 2)")


def np_maximum_relu(x):
    return np.sum(np.maximum(x, 0.0) ** 2 + np.maximum(0.0, x * 2.0))


case(np_maximum_relu, lambda r, d: (away_from_zero(r, d, 2, 3),), domain="away from 0")


def _pair_apart(r, d):
    """(2, 1) and (1, 3) arrays whose pairwise differences are all at least 0.3."""
    a = np.array([[-1.0], [1.0]]) + r.uniform(-0.05, 0.05, (2, 1))
    b = np.array([[-0.5, 0.4, 1.5]]) + r.uniform(-0.05, 0.05, (1, 3))
    return np.asarray(a, d), np.asarray(b, d)


def np_maximum_outer(a, b):
    return np.maximum(a, b) * a


case(np_maximum_outer, _pair_apart, (0, 1), "(2, 1) with (1, 3); pairs >= 0.3 apart")


def np_minimum_outer(a, b):
    return np.sum(np.minimum(a, b) ** 2 + np.minimum(b, a) * b)


case(np_minimum_outer, _pair_apart, (0, 1), "(2, 1) with (1, 3); pairs >= 0.3 apart")


def np_minimum_row(x, y):
    return np.sum(np.minimum(x, y) * y)


def _row_apart(r, d):
    y = normal(r, d, 3)
    x = y + away_from_zero(r, d, 2, 3)
    return np.asarray(x, d), y


case(np_minimum_row, _row_apart, (0, 1), "(2, 3) with (3,); pairs >= 0.3 apart")


def np_where_data(x, y):
    return np.sum(np.where(x > 0, x * y, np.sin(y)))


case(np_where_data, lambda r, d: (away_from_zero(r, d, 2, 3), normal(r, d, 3)), (0, 1), "x away from 0")


def np_where_mask(x, y, mask):
    return np.where(mask, x, y ** 2)


case(np_where_mask, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 1, 3), np.array([True, False, True])), (0, 1))


def np_where_scalar_branch(x):
    return np.sum(np.where(x > 0, x ** 2, 0.0) + np.where(x < 0, 1.0, x))


case(np_where_scalar_branch, lambda r, d: (away_from_zero(r, d, 2, 3),), domain="away from 0")


def np_power(x, y):
    return np.sum(np.power(x, y) + np.power(x, 2) + np.power(2.0, y))


case(np_power, lambda r, d: (positive(r, d, 2, 3), normal(r, d, 3)), (0, 1), "base positive")


def np_sum_axes(X):
    return np.sum(np.sum(X, axis=1) ** 2) + np.sum(np.sum(X, axis=-1, keepdims=True) * X) + np.sum(np.sum(X, axis=(0, 2)) ** 3)


case(np_sum_axes, lambda r, d: (normal(r, d, 2, 3, 4),))


def np_mean_axes(X):
    return np.mean(X, axis=0) * np.mean(X, axis=1, keepdims=True) + np.mean(X)


case(np_mean_axes, lambda r, d: (normal(r, d, 2, 3),))


def np_max_axes(X):
    return np.sum(np.max(X, axis=1) ** 2) + np.sum(np.max(X, axis=0, keepdims=True) * X) + np.max(X)


case(np_max_axes, lambda r, d: (distinct(r, d, 2, 3),), domain="distinct")


def np_min_axes(X):
    return np.min(X, axis=0, keepdims=True) - X * np.min(X, axis=1, keepdims=True) + np.min(X)


case(np_min_axes, lambda r, d: (distinct(r, d, 2, 3),), domain="distinct")


def np_prod(X):
    return np.prod(X, axis=1) + np.prod(X) + np.sum(X / np.prod(X, axis=0, keepdims=True))


case(np_prod, lambda r, d: (away_from_zero(r, d, 2, 3, gap=0.5),), domain="away from 0")


def np_dot_vectors(x, y):
    return np.dot(x, y) * np.dot(x, x)


case(np_dot_vectors, lambda r, d: (normal(r, d, 3), normal(r, d, 3)), (0, 1))


def np_dot_matrices(A, B):
    return np.sum(np.dot(A, B) ** 2) + np.sum(np.dot(A, B[:, 0]))


case(np_dot_matrices, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3, 4)), (0, 1))


def np_matmul_batched(A, B):
    return np.matmul(A, B)


case(np_matmul_batched, lambda r, d: (normal(r, d, 2, 2, 3), normal(r, d, 3, 4)), (0, 1), "(2, 2, 3) @ (3, 4)")


def np_matmul_vector(A, x):
    return np.tanh(np.matmul(x, A))


case(np_matmul_vector, lambda r, d: (normal(r, d, 3, 2), normal(r, d, 3)), (0, 1))


def np_transpose(X, W):
    return np.sum(np.transpose(X) @ X) + np.sum(np.transpose(W, (2, 0, 1)) * np.transpose(W.sum(axis=2)).T)


case(np_transpose, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 2, 3, 4)), (0, 1))


def np_reshape(X):
    return np.reshape(X, (3, 2)) @ np.reshape(X, (2, 3)) + np.reshape(X, -1)[:3]


case(np_reshape, lambda r, d: (normal(r, d, 2, 3),))


def np_expand_dims(x, y):
    return np.expand_dims(x, 0) * np.expand_dims(y, axis=1)


case(np_expand_dims, lambda r, d: (normal(r, d, 3), normal(r, d, 2)), (0, 1))


def np_squeeze(X):
    return np.squeeze(X) * np.squeeze(X, axis=2)


case(np_squeeze, lambda r, d: (normal(r, d, 1, 3, 1),))


def np_concatenate(x, y):
    return np.concatenate([x, y]) * np.concatenate((y, x, y))[:5]


case(np_concatenate, lambda r, d: (normal(r, d, 3), normal(r, d, 2)), (0, 1))


def np_concatenate_axis(X, Y):
    return np.sum(np.concatenate((X, Y), axis=1) ** 2) + np.sum(np.concatenate([X, Y[:, :1]], axis=-1) * X[:, :1])


case(np_concatenate_axis, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 2, 2)), (0, 1))


def np_stack(x, y):
    return np.sum(np.stack([x, y]) ** 2) + np.sum(np.stack((x, y, x * y), axis=1) * np.stack([y, x, x], axis=-1))


case(np_stack, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 2, 3)), (0, 1))


def np_logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


case(np_logsumexp, lambda r, d: (distinct(r, d, 5),), domain="distinct")


def np_softmax_rows(X):
    e = np.exp(X - np.max(X, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


case(np_softmax_rows, lambda r, d: (distinct(r, d, 2, 3),), domain="distinct")


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


case(np_sigmoid, lambda r, d: (normal(r, d, 2, 3),))


def np_norm_manual(x, y):
    return np.dot(x, y) / (np.sqrt(np.sum(x * x)) * np.sqrt(np.sum(y * y)))


case(np_norm_manual, lambda r, d: (normal(r, d, 4), normal(r, d, 4)), (0, 1), "cosine similarity")


def np_gaussian(x, mu):
    return np.exp(-np.square(x - mu) / 2.0) / (2.0 * np.pi) ** 0.5


case(np_gaussian, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1))


# =============================================================================================
# math module on Python floats, builtins sum / abs / max / min / pow, np.array of scalars
# =============================================================================================


def math_funcs(a, b):
    return math.sin(a) * math.cos(b) + math.exp(a * b) + math.tanh(b)


case(math_funcs, lambda r, d: (scalar(r, d), scalar(r, d)), (0, 1), "Python floats (np.float32 for float32)")


def math_log_sqrt(a):
    return math.log(a) + math.sqrt(a) * math.pi


case(math_log_sqrt, lambda r, d: (scalar(r, d, 0.5, 2.0),), domain="positive")


def math_pow(a, b):
    return math.pow(a, b) + math.pow(a, 2)


case(math_pow, lambda r, d: (scalar(r, d, 0.5, 2.0), scalar(r, d)), (0, 1), "base positive")


def math_with_array(a, x):
    return math.exp(a) * np.sum(x) + math.sin(a) * np.sum(x * x)


case(math_with_array, lambda r, d: (scalar(r, d), normal(r, d, 2, 3)), (0, 1))


def math_in_loop(a):
    y = a
    for i in range(3):
        y = math.cos(y) + a * i
    return y


case(math_in_loop, lambda r, d: (scalar(r, d),))


def builtin_sum_list(x, y):
    return sum([x, y, x * y])


case(builtin_sum_list, lambda r, d: (normal(r, d, 2, 3), normal(r, d, 3)), (0, 1), "(2, 3) with (3,)")


def builtin_abs(a, x):
    return abs(a) * np.sum(abs(x))


case(builtin_abs, lambda r, d: (scalar(r, d, 0.3, 1.5), away_from_zero(r, d, 3)), (0, 1), "away from 0")


def builtin_max_min(a, b):
    return max(a, b) * min(a, b) + max(a * a, b) - min(b, 2.0)


case(builtin_max_min, lambda r, d: (scalar(r, d, 1.2, 1.5), scalar(r, d, 0.2, 0.6)), (0, 1), "a > b, a*a > b, b < 2")


def builtin_max_of_sums(x, y):
    return max(np.sum(x), np.sum(y)) + min(np.sum(x * x), np.sum(y * y))


case(builtin_max_of_sums, lambda r, d: (uniform(r, d, 1.0, 2.0, 3), uniform(r, d, -0.5, 0.5, 3)), (0, 1), "sums and squares clearly ordered")


def builtin_max_three(a, b, c):
    return max(a, b, c) * min(a, b, c)


case(builtin_max_three, lambda r, d: (scalar(r, d, 0.2, 0.4), scalar(r, d, 1.0, 1.3), scalar(r, d, 0.6, 0.8)), (0, 1, 2), "b > c > a")


def builtin_pow(x, a, b):
    return np.sum(pow(x, 3)) + pow(a, 2) + pow(a, b)


case(builtin_pow, lambda r, d: (normal(r, d, 3), scalar(r, d, 0.5, 2.0), scalar(r, d)), (0, 1, 2), "a positive")


def np_array_of_scalars(a, b, c):
    v = np.array([a, b * a, c])
    return np.sum(v * v) + v[0] * v[-1]


case(np_array_of_scalars, lambda r, d: (scalar(r, d), scalar(r, d), scalar(r, d)), (0, 1, 2))


def np_array_of_reductions(x):
    v = np.array([np.sum(x), np.max(x), np.mean(x * x)])
    return v @ v


case(np_array_of_reductions, lambda r, d: (distinct(r, d, 4),), domain="distinct")


def np_array_nested(a, b, c, d):
    M = np.array([[a, b], [c, d]])
    return np.sum(M @ M) + a * d - b * c


case(np_array_nested, lambda r, d: (array0d(r, d), array0d(r, d), array0d(r, d), array0d(r, d)), (0, 1, 2, 3), "0-d arrays")


def np_asarray_elements(x):
    return np.asarray([x[0], x[1] * 2.0, x[2] ** 2]) * x


case(np_asarray_elements, lambda r, d: (normal(r, d, 3),))


# =============================================================================================
# Combinations: globals, dynamic slices, loop variables after loops, lists grown and read in loops
# =============================================================================================

_GLOBAL_SCALE = 0.7
_GLOBAL_POWER = 3


def global_constants(x):
    return np.sum(_GLOBAL_SCALE * x ** _GLOBAL_POWER)


case(global_constants, lambda r, d: (normal(r, d, 2, 3),), domain="module-level float and int")


def dynamic_slice_in_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x[i:i + 2] ** 2) * (i + 1.0)
    return s


case(dynamic_slice_in_loop, lambda r, d: (normal(r, d, 4),))


def slice_from_int_arg(x, n):
    return np.sum(x[:n] * x[-n:])


case(slice_from_int_arg, lambda r, d: (normal(r, d, 5), 3))


def negative_index_in_loop(x):
    y = x[0] * 0.0
    for i in range(3):
        y = y + x[-i - 1] * x[i]
    return y


case(negative_index_in_loop, lambda r, d: (normal(r, d, 4),))


def column_loop(X):
    s = X[:, 0] * 0.0
    for j in range(X.shape[1]):
        s = np.tanh(s + X[:, j])
    return np.sum(s)


case(column_loop, lambda r, d: (normal(r, d, 2, 3),))


def axis_from_arg(X, axis):
    return np.sum(np.sum(X ** 2, axis=axis) ** 2)


case(axis_from_arg, lambda r, d: (normal(r, d, 2, 3), 0), variant="axis0")
case(axis_from_arg, lambda r, d: (normal(r, d, 2, 3), 1), variant="axis1")


def loop_variable_after_loop(x):
    for i in range(3):
        x = x * 1.5
    return np.sum(x * i)


case(loop_variable_after_loop, lambda r, d: (normal(r, d, 3),))


def defined_in_loop_used_after(x):
    for i in range(3):
        z = np.sin(x) * (i + x)
    return np.sum(z * x)


case(defined_in_loop_used_after, lambda r, d: (normal(r, d, 3),))


def while_list_append(x):
    hs = []
    h = x
    while len(hs) < 3:
        h = np.tanh(h) + x
        hs.append(h)
    return np.sum(np.stack(hs, axis=1) ** 2)


case(while_list_append, lambda r, d: (normal(r, d, 2),))


def list_grown_and_read_in_loop(x):
    ys = [x]
    for i in range(3):
        ys.append(np.sin(ys[i]) + ys[-1])
    return np.sum(ys[-1] * ys[1])


case(list_grown_and_read_in_loop, lambda r, d: (normal(r, d, 3),))


def return_in_nested_loop(X):
    s = 0.0
    for i in range(3):
        for j in range(3):
            s = s + X[i, j] * X[j, i]
            if i == 1 and j == 1:
                return s * X[0, 0]
    return s


case(return_in_nested_loop, lambda r, d: (normal(r, d, 3, 3),))


def branch_inside_while(x):
    y = x * 1.0
    i = 0
    while i < 5:
        if np.sum(y) > 2.0:
            y = y * 0.5
        else:
            y = y + x
        i += 1
    return np.sum(y * y)


case(branch_inside_while, lambda r, d: (uniform(r, d, 0.2, 0.5, 3),), domain="partial sums not at 2")


def tuple_return_per_branch(x, y):
    if np.sum(x) > 0:
        return x * y, np.sum(y)
    return x - y, np.sum(x)


case(tuple_return_per_branch, lambda r, d: (uniform(r, d, 0.1, 1.0, 3), normal(r, d, 3)), (0, 1), variant="positive")
case(tuple_return_per_branch, lambda r, d: (uniform(r, d, -1.0, -0.1, 3), normal(r, d, 3)), (0, 1), variant="negative")


def np_where_nested(x):
    return np.sum(np.where(x > 0, np.where(x > 1.0, np.log(np.abs(x) + 1.0), x * x), -x))


case(np_where_nested, lambda r, d: (distinct(r, d, 2, 4, gap=0.4) + np.asarray(0.15, d),), domain="away from 0 and 1")


def matmul_batched_vector(A, x):
    return np.sum(np.tanh(A @ x))


case(matmul_batched_vector, lambda r, d: (normal(r, d, 2, 3, 4), normal(r, d, 4)), (0, 1), "(2, 3, 4) @ (4,)")


def cond_expr_in_loop(X):
    s = X[0] * 0.0
    for row in X:
        s = s + (row * row if np.sum(row) > 0 else np.sin(row))
    return np.sum(s)


case(cond_expr_in_loop, lambda r, d: (signed_rows(r, d, (1.0, -1.0, -1.0), 3),), domain="row sums clearly +, -, -")


# =============================================================================================
# Small models
# =============================================================================================


def _mlp_inputs(r, d):
    return (
        normal(r, d, 3, 5, scale=0.5),
        normal(r, d, 5, scale=0.1),
        normal(r, d, 5, 4, scale=0.5),
        normal(r, d, 4, scale=0.1),
        normal(r, d, 6, 3),
        one_hot(r, d, 6, 4),
    )


def mlp_softmax_xent(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    logp = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


case(mlp_softmax_xent, _mlp_inputs, (0, 1, 2, 3), "2-layer tanh MLP, one-hot labels")


def mlp_xent_all_inputs(W1, b1, W2, b2, X, Y):
    return mlp_softmax_xent(W1, b1, W2, b2, X, Y)


case(mlp_xent_all_inputs, _mlp_inputs, (0, 1, 2, 3, 4), "also the gradient w.r.t. the data X")


def _dense(x, W, b, activation=None):
    z = x @ W + b
    if activation == "tanh":
        return np.tanh(z)
    return z


def _log_softmax(z):
    def logsumexp(t):
        m = np.max(t, axis=-1, keepdims=True)
        return m + np.log(np.sum(np.exp(t - m), axis=-1, keepdims=True))

    return z - logsumexp(z)


def mlp_int_labels(W1, b1, W2, b2, X, labels):
    h = _dense(X, W1, b1, activation="tanh")
    logp = _log_softmax(_dense(h, W2, b2))
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def _mlp_int_inputs(r, d):
    W1, b1, W2, b2, X, _ = _mlp_inputs(r, d)
    return W1, b1, W2, b2, X, r.integers(0, 4, 6)


case(mlp_int_labels, _mlp_int_inputs, (0, 1, 2, 3), "helpers with a str keyword; integer labels picked by index arrays")


def _rnn_inputs(r, d):
    return normal(r, d, 3, 5, scale=0.5), normal(r, d, 5, 5, scale=0.4), normal(r, d, 4, 3), normal(r, d, 5, scale=0.5)


def rnn_tanh(Wx, Wh, x, h0):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh)
    return np.sum(h ** 2)


case(rnn_tanh, _rnn_inputs, (0, 1, 2, 3), "T=4 steps, hidden 5")


def rnn_tanh_rows(Wx, Wh, x, h0):
    h = h0
    for xt in x:
        h = np.tanh(xt @ Wx + h @ Wh)
    return h


case(rnn_tanh_rows, _rnn_inputs, (0, 1, 2, 3), "output the final state (5,)")


def rnn_readout(Wx, Wh, x, h0):
    hs = []
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh)
        hs.append(h)
    H = np.stack(hs)
    return np.mean(H[:, :2] ** 2) + np.sum(H[-1])


case(rnn_readout, _rnn_inputs, (0, 1, 2, 3), "states appended to a list, stacked")


def linear_regression(W, b, X, Y):
    pred = W * X + b
    return 0.5 * np.sum((pred - Y) ** 2)


case(linear_regression, lambda r, d: (normal(r, d, 3), array0d(r, d), normal(r, d, 4, 3), normal(r, d, 4, 3)), (0, 1), "W (3,) and b () broadcast over X (4, 3)")


def logistic_regression(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


case(
    logistic_regression,
    lambda r, d: (normal(r, d, 3, scale=0.5), scalar(r, d), normal(r, d, 5, 3), np.asarray(r.integers(0, 2, 5), d)),
    (0, 1),
    "b a Python float",
)


def attention(Q, K, V):
    scores = Q @ K.T / Q.shape[-1] ** 0.5
    weights = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    return weights @ V


case(attention, lambda r, d: (normal(r, d, 2, 4), normal(r, d, 3, 4), normal(r, d, 3, 2)), (0, 1, 2))


def layer_norm(x, gain, bias):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * gain + bias


case(layer_norm, lambda r, d: (normal(r, d, 2, 4), normal(r, d, 4), normal(r, d, 4)), (0, 1, 2))


def unrolled_sgd(w, X, y):
    for step in range(3):
        residual = X @ w - y
        w = w - 0.1 * (X.T @ residual) / X.shape[0]
    return np.sum((X @ w - y) ** 2)


case(unrolled_sgd, lambda r, d: (normal(r, d, 3), normal(r, d, 4, 3), normal(r, d, 4)), (0, 1, 2), "loss after 3 gradient steps")
