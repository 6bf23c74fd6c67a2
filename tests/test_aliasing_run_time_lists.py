"""Arrays held in lists built at run time (appended in a loop): the list holds the array itself.

A write into an array after a list took it changes the list's item in Python. srcgrad's
compile-time lists (`items = [a, x]`) follow such writes (tests/test_aliasing.py); a list built
at run time is one opaque value in the adjoint, so a write that reaches one of its arrays is
refused: at compile time where the write is certainly in place, at run time otherwise (`h += v`
rebinds a number and changes an array). Running totals of numbers, and arrays made fresh on each
trip, are fine.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check

X = np.array([0.3, -0.7, 1.1])


def running_totals(x):
    total = 0.0
    history = []
    for i in range(3):
        total += np.sum(x * x) * i  # a number: rebound, the list keeps the old one
        history.append(total)
    return sum(history)


def fresh_row_each_trip(x):
    rows = []
    for i in range(3):
        r = x * 1.0
        r[0] = x[1] * i  # written before the list takes it
        rows.append(r)
    return np.sum(np.stack(rows) ** 2)


@pytest.mark.parametrize("fn", [running_totals, fresh_row_each_trip], ids=lambda f: f.__name__)
def test_lists_of_numbers_and_fresh_arrays_differentiate(fn):
    value, _ = srcgrad.value_and_grad(fn)(X.copy())
    assert value == fn(X.copy())
    check(fn, (X,))
    assert "check_not_array" not in srcgrad.show(fn)  # a running total is a number: no guard


def array_written_after_the_append(x):
    h = x * 1.0
    hs = []
    for i in range(2):
        hs.append(h)
    h[0] = 5.0
    return np.sum(np.stack(hs))


def array_written_on_the_next_trip(x):
    v = x * 1.0
    vs = [1.0]
    for i in range(3):
        v[0] = v[0] + 1.0
        vs.append(v)
    return np.sum(vs[-1])


def test_an_item_write_into_an_array_a_run_time_list_holds_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"writing into 'h', an array the list 'hs' holds "
                                                               r"\(hs.append, line \d+\)") as info:
        srcgrad.grad(array_written_after_the_append)(X)
    assert "hs.append(h.copy())" in str(info.value)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="appending 'v', an array the loop writes into in place, "
                                                             "to the list 'vs'"):
        srcgrad.grad(array_written_on_the_next_trip)(X)


def accumulated_array(x):
    h = x * 1.0
    hs = []
    for i in range(3):
        h += x  # an array: changed in place, and every item of hs is h
        hs.append(h)
    return np.sum(np.stack(hs))


def test_an_augmented_write_into_a_listed_array_is_refused_when_it_runs():
    with pytest.raises(ValueError, match=r"test_aliasing_run_time_lists.py:\d+: appending 'h', an array the loop "
                                         r"writes into in place, to the list 'hs'"):
        srcgrad.grad(accumulated_array)(X)


def write_an_item_read_back(x):
    xs = []
    for i in range(2):
        xs.append(x * (i + 1.0))
    r = xs[-1]
    r[0] = 7.0
    return np.sum(np.stack(xs))


def write_rows_of_a_list(x):
    xs = []
    for i in range(2):
        xs.append(x * (i + 1.0))
    for r in xs:
        r *= 2.0
    return np.sum(np.stack(xs))


@pytest.mark.parametrize("fn", [write_an_item_read_back, write_rows_of_a_list], ids=lambda f: f.__name__)
def test_a_write_into_an_item_read_from_a_run_time_list_is_refused(fn):
    with pytest.raises(ValueError, match="an in-place write reaches an array held in a list built at run time"):
        srcgrad.grad(fn)(X)


def list_item_rebound_in_the_loop(x):
    y = x * 1.0
    items = [y]
    for i in range(2):
        y[0] = 1.2  # the first trip writes the list's item, later ones a new array
        y = y * 3.0
    return np.sum(items[0] * x)


def test_a_write_into_an_array_a_loop_carried_list_holds_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="an array the list or tuple 'items' holds, which the loop"):
        srcgrad.grad(list_item_rebound_in_the_loop)(np.array([0.5, -1.0]))


def appended_in_a_loop_written_after(x):
    xs = [x]
    h = x * 1.0
    for i in range(3):
        h = 0.5 * h
        xs.append(h)
    last = xs[-1]
    h += last  # the list's last item is h itself
    return np.sum(last)


def test_a_write_after_a_loop_into_the_array_it_appended_is_refused():
    with pytest.raises(srcgrad.SrcgradError, match=r"writing into 'h', an array the list 'xs' holds \(xs.append"):
        srcgrad.grad(appended_in_a_loop_written_after)(np.array([0.5, -1.0]))


def tuple_item_named_twice_in_a_loop(x0):
    v0 = x0
    t3 = (x0, np.square(x0))  # holds x0's array itself, which v0 names too
    for i4 in range(1):
        x0 += v0
        v0[:, 0] = np.min(t3)  # (aliasing seed 209322: t3 did not see `x0 += v0`)
        v0 = v0
    return v0


def test_a_write_through_a_second_name_of_an_array_a_loop_carried_tuple_holds_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="writing into 'v0', an array the list or tuple 't3' holds"):
        srcgrad.grad(tuple_item_named_twice_in_a_loop)(np.array([[-0.11], [-1.24]]))


def appended_then_rows_written(x0, x1):
    xs = [x1]
    for i in range(4):
        xs.append(x1)  # the list holds x1's array itself, five times
    for row in x1:
        row[0] = x0[1]  # (aliasing seed 213003: the list's items did not see this)
    return xs


def test_a_row_write_into_an_array_a_run_time_list_holds_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="writing into 'row', an array the list (or tuple )?'xs' holds"):
        srcgrad.grad(appended_then_rows_written, wrt=(0, 1))(np.ones(3), np.ones((2, 1)))


def appended_while_a_view_writes_it(x1, x2):
    view2 = x1[np.newaxis]
    xs = [x2[0]]
    for i in range(4):
        if np.sum(x2) < 10.0:
            view2 /= 2.0  # writes x1, which the list holds from the second trip on
        xs.append(x1)
    return sum(xs)


def test_appending_an_array_the_loop_writes_through_a_view_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="appending 'x1', an array the loop writes into in place"):
        srcgrad.grad(appended_while_a_view_writes_it)(np.array([0.4, -0.7, 0.9]), np.ones((2, 3)))


def appended_then_maybe_rebound(x0, x1):
    xs = [x0]
    for i in range(4):
        xs.append(x0)  # the list holds x0's array itself
    if np.min(x0) < 0.45:
        x0 = x1 * 2.0  # (aliasing seed 401695: after the if, x0 may still be the listed array)
    x0 *= 0.5
    return xs


def test_a_write_through_a_name_that_may_be_a_listed_array_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="writing into 'x0', an array the list or tuple 'xs' holds"):
        srcgrad.grad(appended_then_maybe_rebound)(np.array([0.6, 2.0, 1.2]), np.ones(3))


def appended_by_a_name_the_loop_rebinds_to_itself(x2):
    xs0 = []
    for i in range(3):
        x2 = x2  # the loop leaves x2 as it found it: after it, x2 is the array it appended
        xs0.append(x2)
    x2 *= 2.0  # (aliasing seed 833411: the list's items missed this write)
    return xs0[0] + x2


def test_an_array_appended_in_a_loop_that_leaves_its_name_unchanged_is_held_after_it():
    with pytest.raises(srcgrad.SrcgradError, match="writing into .x2., an array the list .xs0. holds"):
        srcgrad.grad(appended_by_a_name_the_loop_rebinds_to_itself)(np.ones(2))


def appended_in_a_loop_that_may_return(x1, x2):
    xs0 = [x1]
    for i in range(3):
        x2 = np.tanh(x2)
        if np.sum(x1) > 100.0:
            return xs0  # (a flag guards the rest of each trip: x2 is merged from the guard's two ways)
        xs0.append(x2)
    x2 *= 2.0  # the list's last item is x2's array (aliasing seed 833411 missed this write)
    return xs0


def test_an_array_appended_under_a_guard_is_held_after_it():
    with pytest.raises(srcgrad.SrcgradError, match="writing into 'x2', an array the list 'xs0' holds"):
        srcgrad.grad(appended_in_a_loop_that_may_return, wrt=1)(np.ones(2), np.ones(2))
