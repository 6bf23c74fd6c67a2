"""Everyday Python in differentiated code: lambdas, list comprehensions and generator expressions,
`*args` and `zip(*pairs)`, `map` over a user function, `math.log(x, base)`, recursion whose depth
the arguments decide at compile time, and NumPy functions given Python lists. Each is checked
against central differences (float64 and float32, shapes that broadcast), optimized and not."""

from __future__ import annotations

import math

import numpy as np
import pytest

import srcgrad
from gradcheck import check, check_value_is_pythons, second_derivative_check

square = lambda x: x * x  # noqa: E731
objective = lambda w, b: np.sum(np.tanh(w * 2.0 + b) ** 2)  # noqa: E731


def list_comprehension(x):
    return sum([np.sum(x * i) for i in range(3)])


def comprehension_over_rows(x):
    return np.sum(np.array([np.sin(r) * r for r in x]))


def filtered_generator(x):
    return sum(np.sum(r ** 2) for r in x if np.sum(r) > 0)


def nested_comprehension(x):
    return np.sum(np.stack([x[i] * x[j] for i in range(2) for j in range(2) if i != j]))


def comprehension_names_are_its_own(x):
    i = 10.0
    s = sum([x * i for i in range(3)])
    return np.sum(s) * i


def zip_of_pairs(x):
    pairs = [(x, x * 2.0), (np.sin(x), x * 4.0)]
    firsts, seconds = zip(*pairs)
    return np.sum(firsts[1] * seconds[0])


def weighted(a, b, w=0.5):
    return a * w + b


def starred_call(x):
    args = (x, np.cos(x))
    return np.sum(weighted(*args))


def starred_tuple(x):
    head = (x, 2.0 * x)
    return np.sum(np.stack((*head, x ** 2)))


def halve(v):
    return 0.5 * v * v


def mapped(x):
    return sum(map(halve, [x, np.tanh(x)]))


def log_base(x, b):
    return math.log(x, b) * math.log(x)


def rpow(x, n):
    return 1.0 if n == 0 else x * rpow(x, n - 1)


def cube_by_recursion(x):
    return rpow(x, 3)


def horner(coeffs, x):
    if len(coeffs) == 1:
        return coeffs[0]
    return coeffs[0] + x * horner(coeffs[1:], x)


def polynomial_by_recursion(x):
    return np.sum(horner([1.0, -2.0, 0.5, 3.0], x))


def maximum_of_a_list(x):
    return np.sum(np.maximum([x * 2.0, x * x], 0.5))


def sum_of_a_list(x):
    return np.sum([x * 2.0, x * x])


X = np.array([[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]])
PROGRAMS = [
    (square, (1.5,)), (objective, (X, np.array([0.1, -0.2, 0.3]))), (list_comprehension, (X,)),
    (comprehension_over_rows, (X,)), (filtered_generator, (X,)), (nested_comprehension, (X[0],)),
    (comprehension_names_are_its_own, (X,)), (zip_of_pairs, (X,)), (starred_call, (X,)), (starred_tuple, (X[0],)),
    (mapped, (X,)), (cube_by_recursion, (1.5,)), (polynomial_by_recursion, (X,)), (maximum_of_a_list, (X,)),
    (sum_of_a_list, (X,)),
]


def _cast(args: tuple, dtype) -> tuple:
    return tuple(a.astype(dtype) if isinstance(a, np.ndarray) else a for a in args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("fn, args", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_gradient_matches_finite_differences(fn, args, dtype):
    args = _cast(args, dtype)
    check(fn, args, wrt=tuple(range(len(args))))


@pytest.mark.parametrize("fn, args", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_value_is_pythons(fn, args):
    check_value_is_pythons(fn, *args)


def test_math_log_with_a_base():
    check(log_base, (3.0, 2.0), wrt=(0, 1))


def test_a_lambda_is_named_after_its_assignment():
    assert "def objective_grad(w, b, grad_ys=None):" in srcgrad.show(objective, wrt=(0, 1))


def test_a_comprehension_reads_as_the_loop_a_person_writes():
    source = srcgrad.show(filtered_generator)
    assert "items = []" in source and "list_append(items," in source


def runtime_depth(x, n):
    return rpow(x, n)


def test_a_recursion_whose_depth_is_known_only_at_run_time_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="a recursive call to rpow more than 50 levels deep"):
        srcgrad.grad(runtime_depth)(1.5, 3)


def starred_run_time_length(x):
    return np.sum(np.zeros((*x.shape,)) + x)


def test_starred_items_of_a_run_time_length_are_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"\*args of a value whose length is known only at run time"):
        srcgrad.grad(starred_run_time_length)(X)


@pytest.mark.parametrize("fn, x", [(cube_by_recursion, 1.5), (comprehension_over_rows, X), (square, 0.7),
                                   (polynomial_by_recursion, X[0])], ids=lambda v: getattr(v, "__name__", ""))
def test_second_derivative(fn, x):
    second_derivative_check(fn, x)


_namespace: dict = {"np": np}
exec("def opaque_scale(v):\n    return v + 1.0\n", _namespace)  # no source Python keeps
opaque_scale = _namespace["opaque_scale"]


def opaque_off_the_gradient_path(x):
    c = opaque_scale(3.0)  # on constants only: it simply runs
    return x * c


def opaque_on_the_gradient_path(x):
    return opaque_scale(x) * 2.0


def test_a_function_without_source_off_the_gradient_path_runs():
    assert srcgrad.grad(opaque_off_the_gradient_path)(1.5) == 4.0


def test_a_function_without_source_on_the_gradient_path_asks_for_a_rule():
    with pytest.raises(srcgrad.NoGradientError, match="no derivative rule for .*opaque_scale") as info:
        srcgrad.grad(opaque_on_the_gradient_path)(1.5)
    assert "register_vjp" in str(info.value)


class Settings:
    scale = 3.0


def getattr_with_a_default(x, settings):
    return np.sum(getattr(settings, "missing", 2.0) * x) + getattr(settings, "scale", 1.0) * np.sum(x)


def test_getattr_with_a_default():
    np.testing.assert_allclose(srcgrad.grad(getattr_with_a_default)(np.ones(2), Settings()), [5.0, 5.0])


def prints_as_it_goes(x):
    y = x * 2.0
    for i in range(2):
        print("step", i, y)
        y = y * y
    return y


@pytest.mark.parametrize("optimize", [True, False])
def test_print_runs_in_the_forward_sweep(capsys, optimize):
    grad = srcgrad.grad(prints_as_it_goes, optimize=optimize)(0.5)
    assert grad == pytest.approx(64.0 * 0.5 ** 3)  # (2x)^4
    assert capsys.readouterr().out == "step 0 1.0\nstep 1 1.0\n"
    assert "print('step', i, y)" in srcgrad.show(prints_as_it_goes)


def repeated_local_list(x, w):
    xs = [x[0], x[1], x[2]]
    return np.sum(np.sin(xs * 2)) + np.sum(np.array(2 * xs) * w)


def test_a_local_list_repeated_a_literal_number_of_times_is_pythons_repetition():
    # (this stop's review: `xs * 2` was differentiated as a product: half the gradient, silently)
    rng = np.random.default_rng(7)
    check(repeated_local_list, (rng.standard_normal(3), rng.standard_normal(6)), wrt=(0, 1))


def repeated_run_time_times(x, n):
    xs = [x[0], x[1]]
    return np.sum(np.array(xs * int(n)))


def test_a_list_of_values_repeated_a_run_time_number_of_times_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="repeating a list of values"):
        srcgrad.grad(repeated_run_time_times)(np.array([0.5, 1.5]), 3)
