"""TensorFlow's edge semantics of `tf.gradients` (seed_oracle.json, categories
`edge*`), expressed on Python functions. Where SPEC.md deliberately differs
from TensorFlow, SPEC.md wins and the test says so."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad import stop_gradient

f32 = np.float32


def two_x(x, z):
    return 2 * x


# --- connectivity ------------------------------------------------------------------------
def test_unconnected_none_and_zero():
    x, z = f32(1.0), np.zeros(2, f32)
    assert srcgrad.grad(two_x, wrt=(0, 1))(x, z) == (2.0, None)
    gx, gz = srcgrad.grad(two_x, wrt=(0, 1), unconnected_gradients="zero")(x, z)
    assert gx == 2.0 and gz.dtype == np.float32 and gz.tolist() == [0.0, 0.0]


def test_unconnected_bogus_option():
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'bogus'"):
        srcgrad.grad(two_x, unconnected_gradients="bogus")


def only_through_stop(x):
    return stop_gradient(x) * 3.0


def test_only_path_through_stop_gradient_is_unconnected():
    assert srcgrad.grad(only_through_stop)(f32(1.0)) is None
    assert srcgrad.grad(only_through_stop, unconnected_gradients="zero")(f32(1.0)) == 0.0


# --- grad_ys ------------------------------------------------------------------------------
def pair(x):
    return 10 * x, 100 * x


def test_grad_ys_length_mismatch():
    g = srcgrad.grad(pair)
    with pytest.raises(ValueError, match="must be a tuple of 2 seeds"):
        g(np.ones(2, f32), grad_ys=(np.ones(2, f32),))
    with pytest.raises(ValueError, match="must be a tuple of 2 seeds"):
        g(np.ones(2, f32), grad_ys=(1.0, 1.0, 1.0))


def test_grad_ys_none_entry_is_ones():
    x = np.array([1.0, 2.0], f32)
    np.testing.assert_array_equal(srcgrad.grad(pair)(x, grad_ys=(None, np.array([3.0, 3.0], f32))), [310, 310])


def times(w, w2):
    return w * w2


def test_grad_ys_wrong_shape_is_a_clear_error():
    w = np.array([1.0, 2.0, 3.0], f32)
    with pytest.raises(ValueError) as info:
        srcgrad.grad(times)(w, w, grad_ys=np.ones(2, f32))
    assert str(info.value) == (
        "grad_ys for the output has shape (2,), but the output has shape (3,); "
        "pass a seed of shape (3,) (or one that broadcasts to it)"
    )


def test_grad_ys_that_broadcasts_is_accepted():
    # TF: shape [1] for a [3] output broadcasts silently; a bare scalar raises. SPEC.md section 4
    # accepts any seed that broadcasts to the output's shape, so both work here.
    w, w2 = np.array([1.0, 2.0, 3.0], f32), np.array([4.0, 5.0, 6.0], f32)
    np.testing.assert_array_equal(srcgrad.grad(times)(w, w2, grad_ys=np.array([2.0], f32)), [8, 10, 12])
    np.testing.assert_array_equal(srcgrad.grad(times)(w, w2, grad_ys=2.0), [8, 10, 12])


def y_2x(x):
    return 2 * x


@pytest.mark.parametrize("seed", [2.0, 2, np.float32(2.0), np.float64(2.0), [2.0]],
                         ids=["float", "int", "np.float32", "np.float64", "list"])
def test_python_numbers_as_seeds_take_the_output_dtype(seed):
    # TF rejects an int or a float64 seed for a float32 output; SPEC.md: a number takes the output's dtype.
    x = f32(1.0) if not isinstance(seed, list) else np.array([1.0], f32)
    g = srcgrad.grad(y_2x)(x, grad_ys=seed)
    np.testing.assert_array_equal(g, 4.0)
    assert np.asarray(g).dtype == np.float32


def identity(x):
    return x


def test_gradient_of_x_wrt_x_is_the_seed():
    assert srcgrad.grad(identity)(f32(3.0)) == 1.0
    assert srcgrad.grad(identity)(f32(3.0), grad_ys=5.0) == 5.0
    assert srcgrad.grad(identity, stop_gradients="x")(f32(3.0)) == 1.0


# --- integers ------------------------------------------------------------------------------
def int_times_3(x):
    return x * 3


def float_to_int(x):
    return (x * 2).astype(np.int32)


def roundtrip(x):
    return (x * 2).astype(np.int32).astype(np.float32)


def float64_from_float32(x):
    return (x * 2).astype(np.float64)


def test_integer_values_carry_no_gradient():
    xi = np.array([1, 2, 3], np.int32)
    assert srcgrad.grad(int_times_3)(xi) is None
    zeros = srcgrad.grad(int_times_3, unconnected_gradients="zero")(xi)
    assert zeros.dtype == np.int32 and zeros.tolist() == [0, 0, 0]
    assert srcgrad.grad(float_to_int)(np.array([1.0, 2.0], f32)) is None
    assert srcgrad.grad(roundtrip)(np.array([1.0, 2.0], f32)) is None
    g = srcgrad.grad(float64_from_float32)(np.array([1.0, 2.0], f32))
    assert g.dtype == np.float32 and g.tolist() == [2.0, 2.0]


# --- functions without a rule; piecewise-constant and integer-valued functions ----------------
def opaque(x):
    return np.sum(np.i0(x))


def opaque_stopped(x):
    return np.sum(np.i0(stop_gradient(x))) + np.sum(x)


def test_no_rule_on_the_path_raises():
    with pytest.raises(srcgrad.NoGradientError) as info:
        srcgrad.grad(opaque)(np.ones(3))
    assert isinstance(info.value, LookupError)
    assert "no derivative rule for numpy.i0" in str(info.value)


def test_no_rule_off_the_path_is_fine():
    # TF raises even when the path is cut by tf.stop_gradient further down; SPEC.md: only on a path.
    np.testing.assert_array_equal(srcgrad.grad(opaque_stopped)(np.ones(3)), [1, 1, 1])


def sum_of(fn_name):
    def f(x):
        return np.sum(getattr(np, fn_name)(x))

    return f


def floor_sum(x):
    return np.sum(np.floor(x))


def round_sum(x):
    return np.sum(np.round(x))


def ceil_sum(x):
    return np.sum(np.ceil(x))


def sign_sum(x):
    return np.sum(np.sign(x))


def argmax_plus(x):
    return np.argmax(x) * 1.0


@pytest.mark.parametrize("fn", [floor_sum, round_sum, ceil_sum, sign_sum])
def test_piecewise_constant_functions_give_zeros(fn):
    # TF returns None for floor/round/ceil and zeros for sign; SPEC.md section 4: zeros for all.
    g = srcgrad.grad(fn)(np.array([0.5, 1.5, -2.2, 3.0, 0.0], f32))
    assert g.dtype == np.float32 and g.tolist() == [0.0] * 5


def test_argmax_carries_nothing():
    assert srcgrad.grad(argmax_plus)(np.array([1.0, 3.0, 2.0])) is None


# --- intermediates in wrt, stop_gradients ---------------------------------------------------
def c_of(a):
    b = 2 * a
    return a + b


def b_squared(a):
    b = 2 * a
    return b * b + a


def test_intermediate_wrt():
    a = f32(0.0)
    assert srcgrad.grad(c_of, wrt="b")(a) == 1.0
    assert srcgrad.grad(c_of, wrt=("b", "a"))(a) == (1.0, 3.0)
    assert srcgrad.grad(c_of, wrt=("b", "a"), stop_gradients="b")(a) == (1.0, 1.0)
    assert srcgrad.grad(c_of, wrt=("a", "b"), stop_gradients="a")(a) == (3.0, 1.0)
    assert srcgrad.grad(b_squared, wrt=("b", "a"))(f32(0.5)) == (2.0, 5.0)


def y_of_x(x):
    y = 2 * x
    return y


def w_of_x(x):
    h = x * x
    return h + x


def test_stop_gradients_option():
    x = f32(1.0)
    assert srcgrad.grad(y_of_x, stop_gradients="y")(x) is None
    assert srcgrad.grad(y_of_x, wrt=("x", "y"), stop_gradients="y")(x) == (None, 1.0)
    assert srcgrad.grad(y_of_x, stop_gradients="x")(x) == 2.0
    assert srcgrad.grad(w_of_x, stop_gradients=("h",))(x) == 1.0
    assert srcgrad.grad(w_of_x, wrt=("x", "h"), stop_gradients="h")(x) == (1.0, 1.0)


def test_wrt_errors():
    with pytest.raises(ValueError, match="wrt='nope' names nothing in w_of_x"):
        srcgrad.grad(w_of_x, wrt="nope")(1.0)
    with pytest.raises(ValueError, match="stop_gradients='q' names nothing in w_of_x"):
        srcgrad.grad(w_of_x, stop_gradients="q")(1.0)


def twice_assigned(x):
    h = x * 2
    h = h * 3
    return h


def in_loop(x):
    for i in range(3):
        h = x * i
    return h


def test_wrt_local_assigned_twice_or_in_a_loop():
    with pytest.raises(ValueError, match="assigned 2 times"):
        srcgrad.grad(twice_assigned, wrt="h")(1.0)
    with pytest.raises(ValueError, match="inside a loop or branch"):
        srcgrad.grad(in_loop, wrt="h")(1.0)


# --- duplicates ------------------------------------------------------------------------------
def y_twice(x):
    y = 3 * x
    return y, y


def test_duplicates():
    x = f32(1.0)
    assert srcgrad.grad(y_twice)(x) == 6.0
    assert srcgrad.grad(y_twice)(x, grad_ys=(1.0, 10.0)) == 33.0
    assert srcgrad.grad(y_of_x, wrt=("x", "x"))(x) == (2.0, 2.0)
    assert srcgrad.grad(identity, wrt=(0, 0))(x) == (1.0, 1.0)


# --- ties, kinks, singular points --------------------------------------------------------------
def maximum(x, y):
    return np.maximum(x, y)


def minimum(x, y):
    return np.minimum(x, y)


def max_x_x(x):
    return np.maximum(x, x)


def max_z_0(z):
    return np.maximum(z, 0.0)


def max_0_z(z):
    return np.maximum(0.0, z)


def max_reduce(v):
    return np.max(v)


def min_reduce(v):
    return np.min(v)


def max_broadcast(v):
    return np.maximum(v, 3.0)


def test_ties():
    one = f32(1.0)
    assert srcgrad.grad(maximum, wrt=(0, 1))(one, one) == (1.0, 0.0)
    assert srcgrad.grad(minimum, wrt=(0, 1))(one, one) == (1.0, 0.0)
    assert srcgrad.grad(max_x_x)(one) == 1.0
    assert srcgrad.grad(max_z_0)(f32(0.0)) == 1.0
    assert srcgrad.grad(max_0_z)(f32(0.0)) == 0.0
    v = np.array([1.0, 3.0, 3.0], f32)
    assert srcgrad.grad(max_reduce)(v).tolist() == [0.0, 0.5, 0.5]
    assert srcgrad.grad(min_reduce)(np.array([3.0, 1.0, 1.0], f32)).tolist() == [0.0, 0.5, 0.5]
    assert srcgrad.grad(max_broadcast)(v).tolist() == [0.0, 1.0, 1.0]


def where_gt0(x):
    return np.where(x > 0, x, 0.0)


def where_ge0(x):
    return np.where(x >= 0, x, -x)


def where_sqrt(x):
    return np.where(x > 0, np.sqrt(x), 0.0)


def where_log(x):
    return np.where(x > 0, np.log(x), 0.0)


def where_pow_half(x):
    return np.where(x > 0, x**0.5, 0.0)


def where_reciprocal(x):
    return np.where(x > 0, 1 / x, 0.0)


@pytest.mark.parametrize("fn, expected", [
    (where_gt0, 0.0), (where_ge0, 1.0), (where_sqrt, 0.0),
    # TF gives NaN for these three; SPEC.md section 4: a zero cotangent wins over an infinite slope.
    (where_log, 0.0), (where_pow_half, 0.0), (where_reciprocal, 0.0),
])  # fmt: skip
def test_where_at_the_singular_point(fn, expected):
    with np.errstate(divide="ignore", invalid="ignore"):
        assert srcgrad.grad(fn)(f32(0.0)) == expected


def absolute(x):
    return np.abs(x)


def sqrt(x):
    return np.sqrt(x)


def pow_half(x):
    return x**0.5


def pow_2(x):
    return x**2


def pow_xy(x, y):
    return x**y


def log(x):
    return np.log(x)


def reciprocal(x):
    return 1 / x


def square(x):
    return np.square(x)


def sign(x):
    return np.sign(x)


def test_kinks_and_singularities():
    zero = f32(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert srcgrad.grad(absolute)(zero) == 0.0
        assert srcgrad.grad(sqrt)(zero) == np.inf
        assert srcgrad.grad(pow_half)(zero) == np.inf
        assert srcgrad.grad(pow_2)(zero) == 0.0
        assert srcgrad.grad(pow_xy, wrt=(0, 1))(zero, f32(2.0)) == (0.0, 0.0)
        assert srcgrad.grad(pow_xy, wrt=(0, 1))(f32(-2.0), f32(2.0)) == (-4.0, 0.0)
        assert srcgrad.grad(log)(zero) == np.inf
        assert srcgrad.grad(reciprocal)(zero) == -np.inf
        assert srcgrad.grad(square)(zero) == 0.0
        assert srcgrad.grad(sign)(zero) == 0.0


def test_higher_order_at_zero_stays_finite():
    # TF's pow gives NaN for the third derivative at 0; SPEC.md: 0 or unconnected, never NaN.
    first = srcgrad.grad(pow_2)
    second = srcgrad.grad(first)
    third = srcgrad.grad(second, unconnected_gradients="zero")
    zero = f32(0.0)
    assert (first(zero), second(zero), third(zero)) == (0.0, 2.0, 0.0)


def a_times_a(a):
    return a * a


def test_third_derivative_of_a_product_is_unconnected():
    third = srcgrad.grad(srcgrad.grad(srcgrad.grad(a_times_a)))
    assert third(f32(3.0)) is None
    assert srcgrad.grad(srcgrad.grad(a_times_a))(f32(3.0)) == 2.0


# --- structure ---------------------------------------------------------------------------------
def test_empty_wrt_gives_an_empty_tuple():
    assert srcgrad.grad(y_of_x, wrt=())(f32(1.0)) == ()


def test_result_types_follow_wrt():
    assert isinstance(srcgrad.grad(y_of_x, wrt=("x",))(f32(1.0)), tuple)
    assert srcgrad.grad(y_of_x, wrt="x")(f32(1.0)) == 2.0
    g = srcgrad.grad(y_of_x)(1.0)
    assert type(g) is float and g == 2.0


def abs_squared(z):
    return np.sum(np.abs(z) ** 2)


def test_complex_inputs_are_a_clear_error():
    with pytest.raises(TypeError, match="argument 'z' is complex; srcgrad differentiates real-valued code only"):
        srcgrad.grad(abs_squared)(np.array([1 + 2j, 3 - 1j]))
