"""NumPy's aliasing, exactly: a write through any name of an array reaches every other name of it.

Each program writes in place through a view (a slice, a row, `.T`, `ravel`, `np.asarray`,
`np.split`, a view of a view, a helper's parameter) or writes the base while a view of it is
alive. The adjoint's forward value must be Python's, bit for bit, and its gradient must match
central finite differences (optimize on and off, float64 and float32).
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check, check_value_is_pythons


def view_sees_base_write(x):
    a = x * 1.0
    v = a[1:]
    a *= 2.0  # v sees this write in NumPy
    return np.sum(v * x[1:])


def rows_read_from_live_array(x):
    a = np.outer(x, x)
    s = 0.0
    for r in a:  # each row is read from the live `a`, and stays a view of it
        a += 1.0
        s = s + np.sum(r * r)
    return s


def asarray_is_the_array(x):
    a = x * 1.0
    b = np.asarray(a)
    a += x
    return np.sum(b * x)


def list_holds_the_array(x):
    a = x * 1.0
    items = [a, x]
    a += x
    return np.sum(items[0] * items[1])


def split_pieces_are_views(x):
    a = x * 1.0
    p, q = np.split(a, 2)
    p *= 3.0
    q += x[:2]
    return np.sum(a * x)


def view_of_a_view(x):
    a = x * 1.0
    v = a[1:]
    w = v[1:]
    a *= 2.0
    w += x[2:]
    return np.sum(a * x) + np.sum(v * v)


def enumerate_rows_and_column_write(x):
    a = np.outer(x, x)
    s = 0.0
    for i, r in enumerate(a):
        a[:, 0] += x[i]
        s = s + np.sum(r * x)
    return s


def scale(arr, s):
    arr *= s


def helper_scales_its_argument(x):
    a = x * 1.0
    scale(a, 3.0)
    return np.sum(a * x)


def rows_written_in_place(x):
    a = np.outer(x, x)
    for r in a:
        r *= r
    return np.sum(a * x)


def write_through_transpose(x):
    a = np.outer(x, x)
    t = a.T
    t[0] = x
    return np.sum(a * a)


def write_through_ravel(x):
    a = np.outer(x, x)
    b = a.ravel()
    b[0] = 7.0 * x[0]
    return np.sum(a * a)


def augment_a_slice(x):
    a = x * 1.0
    v = a[:2]
    v += x[1:3]
    return np.sum(a * x)


def view_alive_across_item_write(x):
    a = x * 1.0
    v = a[1:3]
    a[1] = 5.0 * x[0]
    return np.sum(v * v) + np.sum(a)


def reshape_then_transpose(x):
    a = x * 1.0
    t = a.reshape(2, 2).T
    t[0] = x[:2] * 3.0
    return np.sum(a * a)


def view_written_in_while(x):
    a = np.outer(x, x)
    v = a[1:, 1:]
    k = 0
    while k < 3 and np.sum(v) < 100.0:
        v *= 1.5
        k += 1
    return np.sum(a * a)


def view_written_in_branch(x):
    a = np.outer(x, x)
    v = a[:, 0]
    if x[0] > 0:
        v += x
    else:
        a[0] = 1.0
    return np.sum(v * v) + np.sum(a)


def view_of_row_in_loop_carried(x):
    a = np.outer(x, x)
    top = a[0]
    for i in range(3):
        a[1:] *= 0.5
        top += x * i
    return np.sum(top * top) + np.sum(a)


def alias_of_number_is_rebound(x):
    h = np.sum(x)
    y = h
    h += 1.0  # a number: only h changes
    return y * h


def alias_of_array_sees_update(x):
    h = x * 1.0
    y = h
    h += 1.0  # an array: y is h, and sees it
    return np.sum(y * h)


def reshape_after_write(x):
    a = np.outer(x, x).T * 1.0  # Fortran order: its ravel copies
    a[0] = x
    b = a.ravel()
    b[0] = 3.0
    c = a.T.reshape(-1)  # a view
    c[1] = 4.0 * x[2]
    return np.sum(a * a) + np.sum(b * x[0])


def scale_rows(arr, s):
    for i in range(2):
        arr[i] *= s


def helper_writes_in_a_loop(x):
    a = x * 1.0
    b = a[1:]
    scale_rows(a, 3.0)
    return np.sum(a * x) + np.sum(b * b)


def bump_if_positive(arr, c):
    if c > 0:
        arr += c


def helper_writes_in_a_branch(x):
    a = x * 1.0
    bump_if_positive(a, x[0] * x[0])
    return np.sum(a * x)


def bump_through_view(arr):
    for i in range(2):
        v = arr[1:]
        v += arr[0]


def helper_writes_through_a_view_in_a_loop(x):
    a = x * 1.0
    bump_through_view(a)
    return np.sum(a * x)


def view_on_the_first_trip_only(x):
    a = x * 1.0
    v = a[1:]
    s = 0.0
    for i in range(3):
        a *= 2.0  # v sees this on the first trip only
        s = s + np.sum(v * v)
        v = v * 3.0
    return s + np.sum(a)


def integer_row_of_vector_is_a_number(x):
    a = x * 1.0
    e = a[0]  # a NumPy scalar, not a view
    e += 2.0
    return e * np.sum(a)


PROGRAMS = [
    view_sees_base_write, rows_read_from_live_array, asarray_is_the_array, list_holds_the_array,
    split_pieces_are_views, view_of_a_view, enumerate_rows_and_column_write, helper_scales_its_argument,
    rows_written_in_place, write_through_transpose, write_through_ravel, augment_a_slice,
    view_alive_across_item_write, reshape_then_transpose, view_written_in_while, view_written_in_branch,
    view_of_row_in_loop_carried, alias_of_number_is_rebound, alias_of_array_sees_update,
    integer_row_of_vector_is_a_number, reshape_after_write, helper_writes_in_a_loop, helper_writes_in_a_branch,
    helper_writes_through_a_view_in_a_loop, view_on_the_first_trip_only,
]
X = np.array([0.3, -0.7, 1.1, 0.5])


@pytest.mark.parametrize("fn", PROGRAMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [X, -X[::-1]], ids=["x", "reversed"])
def test_forward_value_is_pythons_bit_for_bit(fn, x):
    check_value_is_pythons(fn, x)


@pytest.mark.parametrize("fn", PROGRAMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_matches_finite_differences(fn, dtype):
    check(fn, (X.astype(dtype),))


def param_written(x, y):
    x[0] = 2.0 * y[1]
    return np.sum(x * y)


def test_a_function_writing_its_parameter_mutates_the_callers_array_the_adjoint_never_does():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    x_before = x.copy()
    gx, gy = srcgrad.grad(param_written, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(x, x_before)  # the adjoint left the caller's array alone
    np.testing.assert_allclose(gx, [0.0, -1.0, 2.0])  # w.r.t. x's value on entry: x[0] is overwritten
    np.testing.assert_allclose(gy, [2.0 * y[1], 2.0 + 2.0 * y[0], 3.0])  # x[0] = 2 y[1] feeds y too
    param_written(x, y)
    assert x[0] == -2.0  # the original runs unchanged, and writes the caller's array


def test_one_array_passed_for_two_parameters_that_a_write_reaches_is_refused():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'x' and 'y' share memory, and param_written writes into 'x'"):
        srcgrad.grad(param_written)(x, x)
    with pytest.raises(ValueError, match="share memory"):
        srcgrad.grad(param_written)(x, x[::-1])


def write_through_broadcast(x):
    a = x * 1.0
    b = np.broadcast_to(a, (2, 3))
    b[0] += 1.0
    return np.sum(b)


def reshape_of_written_parameter(x):
    x[0] = 1.0
    b = x.reshape(2, 2)
    b[0] = 3.0
    return np.sum(x)


def row_rebound_inside_loop(x):
    a = np.outer(x, x)
    r = a[0]
    for i in range(2):
        r = r * 2.0  # no longer a view of a
        a += 1.0
    return np.sum(r) + np.sum(a)


def test_a_write_through_a_read_only_view_is_a_located_error():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"writing into 'b', a read-only view \(np.broadcast_to\)"):
        srcgrad.grad(write_through_broadcast)(np.ones(3))


def _in_layout(values, layout):
    """`values` as the caller's array: C order, Fortran order, or every other column of a buffer."""
    if layout == "strided":
        buffer = np.zeros(values.shape[:-1] + (2 * values.shape[-1],))
        buffer[..., ::2] = values
        return buffer[..., ::2]
    return np.array(values, order=layout)


def ravel_of_written_parameter(x):
    x[0, 0] = 5.0
    r = x.ravel()  # a view only where the caller's array is C-contiguous
    r[1] = 7.0
    return np.sum(x * x) + np.sum(r)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("fn", [reshape_of_written_parameter, ravel_of_written_parameter])
def test_a_reshape_of_a_written_parameter_views_as_the_callers_layout_does(fn, layout):
    """Whether it views depends on the caller's memory layout, which a write in place keeps: the
    adjoint asks the parameter as passed, where its own new version is compact."""
    values = np.arange(1.0, 5.0).reshape(2, 2) / 3.0
    if fn is reshape_of_written_parameter:
        values = values.ravel()
        if layout == "F":
            pytest.skip("a 1-D array's Fortran order is its C order")
    expected = fn(_in_layout(values, layout))
    value, grad = srcgrad.value_and_grad(fn)(_in_layout(values, layout))
    np.testing.assert_array_equal(value, expected)
    direction = np.random.default_rng(0).standard_normal(values.shape)
    eps = 1e-6
    numeric = (fn(_in_layout(values + eps * direction, layout)) - fn(_in_layout(values - eps * direction, layout))) / (2 * eps)
    assert np.isclose(np.sum(grad * direction), numeric, rtol=1e-6)


def test_a_name_rebound_in_a_loop_stops_being_a_view():
    x = np.array([0.3, -0.7, 1.1])
    value, _ = srcgrad.value_and_grad(row_rebound_inside_loop)(x.copy())
    assert value == row_rebound_inside_loop(x.copy())
    check(row_rebound_inside_loop, (x,))


def no_writes(x, W):
    h = x
    for i in range(3):
        h = np.tanh(h @ W)
    return np.sum(h)


def test_programs_without_writes_carry_nothing_more():
    source = srcgrad.show(no_writes, optimize=False)
    assert "is_view" not in source and "write_view" not in source and "is_array" not in source


def row_at_break(x):
    a = np.outer(x, x)
    for k, row in enumerate(a):
        if np.sum(row) > 0.5:
            break
    return np.sum(row * row) + k


def test_a_loop_target_keeps_the_item_of_the_trip_that_broke():
    for x in (X, -X, np.array([0.1, 0.2, 0.1, 0.3])):
        value, _ = srcgrad.value_and_grad(row_at_break)(x.copy())
        assert value == row_at_break(x.copy())
        check(row_at_break, (x,))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("view,args,region", [
    ("reshape", (-1,), lambda a: a.reshape(-1)), ("ravel", (), lambda a: a.ravel()),
    ("transpose", (), lambda a: a.T), ("getitem", (slice(1, None),), lambda a: a[1:]),
    ("split", (1, 2, 1), lambda a: np.split(a, 2, axis=1)[1]),
])
def test_region_helpers_write_the_region_whatever_the_memory_layout(order, view, args, region):
    """A reshape of a Fortran-ordered array copies: writing into what it returns writes nothing,
    so the helpers write the region as NumPy's C-order reading of it, on any layout."""
    from srcgrad.runtime.views import clear_view, embed_view, take_view, write_view

    base = np.asarray(np.arange(16.0).reshape(4, 4), order=order)
    new = -np.ones_like(region(base))
    written = write_view(base, new, view, *args)
    expected = np.arange(16.0).reshape(4, 4)  # C order: every region is a view of it
    region(expected)[...] = new
    np.testing.assert_array_equal(written, expected)
    np.testing.assert_array_equal(take_view(base, view, *args), region(np.arange(16.0).reshape(4, 4)))
    cleared = clear_view(base, view, *args)
    assert np.all(region(np.ascontiguousarray(cleared)) == 0) and cleared.sum() == base.sum() - region(base).sum()
    embedded = embed_view(new, base, view, *args)
    assert embedded.sum() == new.sum() and np.all(region(np.ascontiguousarray(embedded)) == new)


def test_views_never_form_a_cycle():
    """Two merged values that may each be the other's array (`np.asarray` of one another) keep the
    relation one way: a cycle made lowering walk views forever (a generated adjoint's second order)."""
    from srcgrad.frontend.aliasing import Aliasing, View
    from srcgrad.ir import Value

    aliasing = Aliasing()
    a, b, c = Value("a"), Value("b"), Value("c")
    aliasing.record(b, View(a, np.asarray, [], {}, False))
    aliasing.record(c, View(b, np.asarray, [], {}, False))
    aliasing.record(a, View(c, np.asarray, [], {}, False))  # would close a -> c -> b -> a
    assert aliasing.of(a) is None and aliasing.root(c) is a


def double_then_normalise(a0, scale):
    scale += scale  # scale is a0's array: both see the write
    scale /= a0
    return a0


def add_two(a0, scale):
    scale += 2.0
    return a0


def zero_d_written_in_a_loop(x0, x1):
    for i in range(2):
        add_two(x0, scale=x0)  # x0 itself, on every trip
    return x0 * x1


def writes_through_a_parameter_twice(x0, x1):
    return double_then_normalise(x0, scale=x0) * x1


@pytest.mark.parametrize("x0", [np.array(0.336), np.array([0.336, -0.5])], ids=["0-d", "1-d"])
def test_a_zero_d_array_stays_an_array_on_every_trip(x0):
    """`scale += 2` on a 0-d array writes it in place on every trip (NumPy's `x + 2` would give a scalar,
    which the next trip would rebind)."""
    x1 = np.array(1.5)
    value, g = srcgrad.value_and_grad(zero_d_written_in_a_loop)(x0.copy(), x1)
    np.testing.assert_array_equal(value, zero_d_written_in_a_loop(x0.copy(), x1))
    np.testing.assert_array_equal(g, np.full_like(x0, 1.5))


@pytest.mark.parametrize("x0", [np.array(0.336), np.array([0.336, -0.5])], ids=["0-d", "1-d"])
def test_a_zero_d_array_stays_one_array_across_writes(x0):
    """NumPy arithmetic on 0-d arrays gives scalars: the adjoint's versions of a 0-d array are
    scalars, and a write through one name must still reach the other."""
    x1 = np.array(1.5)
    value, g = srcgrad.value_and_grad(writes_through_a_parameter_twice)(x0.copy(), x1)
    np.testing.assert_array_equal(value, writes_through_a_parameter_twice(x0.copy(), x1))
    np.testing.assert_array_equal(g, np.zeros_like(x0))  # a0 ends as 2 x0 / (2 x0): constant
