"""Regressions of the optimisation passes: each program's gradient with optimize=True must equal
optimize=False and central finite differences.

write_in_place once wrote into an array whose memory another live value still held: an `if`
result one of whose branches yields an array read later (bug a), and a loop-carried array whose
initial value was still needed (bug b: kept on a tape for the reverse sweep). The pass now checks
every value that may hold the written memory (views forward; if-yields, loop initial values and
in-place results backward), not only the written value itself.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad


def _copy(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def _grads(f, args, wrt, optimize):
    out = srcgrad.grad(f, wrt=wrt, optimize=optimize)(*_copy(args))
    return [np.asarray(o, dtype=float) for o in (out if isinstance(wrt, tuple) else (out,))]


def _finite_differences(f, args, wrt, eps=1e-6):
    out = []
    for k in wrt if isinstance(wrt, tuple) else (wrt,):
        x = np.asarray(args[k], dtype=float)
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            hi, lo = _copy(args), _copy(args)
            xp, xm = x.copy(), x.copy()
            xp[i] += eps
            xm[i] -= eps
            hi[k] = xp if np.ndim(args[k]) else float(xp)
            lo[k] = xm if np.ndim(args[k]) else float(xm)
            g[i] = (f(*hi) - f(*lo)) / (2 * eps)
        out.append(g)
    return out


def _check(f, args, wrt, atol=1e-6):
    optimized = _grads(f, args, wrt, True)
    plain = _grads(f, args, wrt, False)
    fd = _finite_differences(f, args, wrt)
    for o, p, d in zip(optimized, plain, fd):
        np.testing.assert_allclose(o, p, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(o, d, rtol=1e-5, atol=atol)


# --- bug (a): an `if` result is one branch's array, which is read after the write ----------------


def if_merge_keeps_other_live(x):
    c = np.zeros(3)
    s = np.dot(x, c)  # the reverse sweep reads c (the zeros) again
    if np.sum(x) > 100.0:
        c = c - x
    c[1] = 5.0  # c is the zeros themselves: writing in place would change what np.dot's reverse reads
    return s + np.sum(c * x)


def h1(a0, scale=1.7, shift=0.7):
    v3 = shift
    return ((np.clip(np.average((shift * np.ones((1, 3)))), -0.8, 0.9) - shift) + v3), ((((np.max(np.stack([a0, a0, a0], axis=1), axis=0) @ np.concatenate((a0, (np.zeros((1,)) + scale)), axis=0)) - scale) + 0.5 * shift) - np.sum(a0))  # noqa: E501


def h2(a, shift=2.0):
    v4 = np.power(1.0 + (np.zeros((2, 3)) + shift) ** 2, 0.75)
    return (np.logaddexp(np.logaddexp(shift, shift), np.full((2, 3), 1.2)[0, 0]) + 0.5 * np.sum(v4))


def original_a(x0, x1):
    c6 = np.zeros((3,))
    c10 = np.ones_like(c6)
    v11 = np.maximum(2.0, 0.1)
    v15 = np.linalg.norm((np.broadcast_to(v11, (2, 1)) / (2.0 + np.cos(np.full((2, 1), -0.4)))))
    c10 = np.tanh(c10 + (np.inner(np.broadcast_to(v15, (2,)), np.stack([v11, v11])) if (np.arctan2((-0.6), 2.0 + np.cos(v11)) <= (-0.6)) else np.dot(x1, c6)))  # noqa: E501
    if (np.exp(np.tanh(v11)) < 2.0):
        v16 = (np.einsum('i,i->', np.stack([v11, v11]), (np.zeros((2,)) + v11)) + 0.5 * h2(v11, shift=1.7))
        c17 = np.copy(np.arctan2(np.power(1.0 + (v16 * np.ones((2, 3))) ** 2, 0.75), 1.5))
        c6 = (c6 - 0.3 * ((c6 * x0) / (2.0 + np.cos((np.max(c17) / (1.0 + v15 ** 2))))))
    c6[1] = v11
    c6[1] = h1(c10[::2], shift=v11)[1]
    return ((np.log1p((v11 + 0.5 * v15) ** 2) - np.mean(c6)) + 0.5 * np.sum(np.tanh(c10)))


ARGS_A = [np.array([-0.023224872079021183, -0.6657441116995902, -0.7663832850933777]),
          np.array([-0.36292913218894235, -0.4142754717011801, -0.29402251034920285])]


# --- bug (b): a loop-carried array whose initial value is still needed --------------------------


def loop_init_taped(x):
    c = x * 1.0
    s = 0.0
    for i in range(2):
        s = s + np.sum(c * c)  # the outer loop tapes c for the reverse of c * c
        for j in range(1):
            c[0] = x[1] * 2.0  # on its first turn the inner loop's c *is* the taped c
    return s + np.sum(c)


def h0(a0, a1):
    v1 = np.var((np.zeros((3, 3)) + a0))
    return ((np.sqrt(((v1 - v1) * 0.5) ** 2 + 1.0) - np.mean(a0)) + v1)


def original_b(x0, x1, x2, x3):
    v2 = np.where((x1.max() > np.add(x3, x3)), np.average((x3 * np.ones((2, 2)))), np.power(1.0 + x3 ** 2, 0.75))
    c3 = np.hstack([np.full((2, 1), 0.7), (np.zeros((2, 2)) + v2)]).copy()
    for i7 in range(4):
        x2 = np.tanh(x2 + np.einsum('j,ji->i', np.einsum('j,ji->i', np.var(c3, axis=1), c3), np.arcsin(0.9 * np.tanh((x0 * np.ones((3, 3)))))))  # noqa: E501
        x3 += (1.0 / (1.0 + (v2 * 0.5) ** 2))
        k18 = 0
        while ((k18 < 3) and (((i7 * 0.5) / (1.0 + x3 ** 2)) < 2.0)):
            k18 += 1
            x2 = (x2 - 0.3 * np.logaddexp((1.0 / (1.0 + x3 ** 2)), np.prod(np.tanh(c3) + 1.5)))
            c3[(c3 > (-0.4))] *= 0.7
            c3[:, 1] -= (x2[::2] / (1.0 + (np.zeros((2,)) + x3) ** 2))
    v19 = np.max(np.power(np.stack([x2, x0, x0]) ** 2 + 1.0, np.tanh((np.zeros((3, 3)) + x2))).dot(np.cosh(np.tanh((x1 * np.ones((3, 3)))))), axis=0, keepdims=True)  # noqa: E501
    return ((np.add(np.cosh(np.tanh(x3)), v2) - np.mean(c3)) - np.mean(v19))


ARGS_B = [np.array([-0.49589798647925004, -1.2120406843480214, 0.8247252497981149]),
          np.array([[-1.4809717790449064, -0.08160641764932255, 1.7401714865375002]]),
          np.array([-1.449177088658889, 1.0611120554076996, 0.5013592905222586]), 0.09452697469493636]


def test_bug_a_minimal():
    _check(if_merge_keeps_other_live, [np.array([0.3, -0.7, 1.1])], 0)


def test_bug_a_original():
    _check(original_a, ARGS_A, (0, 1))


def test_bug_b_minimal():
    _check(loop_init_taped, [np.array([0.3, -0.7, 1.1])], 0)


def test_bug_b_original():
    _check(original_b, ARGS_B, (0, 1, 2, 3), atol=1e-5)


# --- the invariant, over the ways a second value can hold the written array's memory -------------


# In each, the source reads the other value only before the write (Python would see the write
# through an alias after it), but the reverse sweep reads that value's pre-write contents later.


def other_branch_read_after(x):
    a = x * 2.0
    b = x * 3.0
    s = np.sum(a * a * x) + np.sum(np.sin(b) * x)  # the reverse sweep reads a and b
    y = a if np.sum(x) > 0 else b * 1.0  # `a` itself on one way: the write reaches it there
    y[0] = 7.0
    return np.sum(y * x) + s + np.sum(a * b)


def branch_yields_one_array_twice(x):
    a = x * 2.0
    s = np.sum(np.sin(a) * x)
    if np.sum(x) > 0:
        y, z = a, a
    else:
        y, z = a * 1.0, a * 1.0
    t = np.sum(np.cos(z) * x)  # read before the write, through the other result
    y[0] = 7.0
    return np.sum(y * x) + s + t


def loop_result_and_init(x):
    a = x * 2.0
    s = np.sum(np.sin(a) * x)
    y = a
    for i in range(np.size(x) - 4):  # no turns: y is a itself
        y = y * 1.5
    y[1] = 4.0
    return np.sum(y * x) + s


def init_read_before_loop(x):
    y = x * 2.0
    s = np.sum(np.sin(y) * x)
    for i in range(2):
        y[i] = y[i] * x[2]
    return np.sum(y) + s


def view_of_source_read_before(x):
    a = x * 2.0
    r = a[0:2]
    s = np.sum(np.sin(r) * x[:2])
    y = a if np.sum(x) > 0 else x * 1.0
    y[0] = 9.0
    return np.sum(y * x) + s


def two_carried_share(x):
    a = x * 2.0
    b = a * 1.0
    for i in range(2):
        a[i] = a[i] * x[1]
        b = a
    return np.sum(a * x) + np.sum(b)


def nested_loop_init(x):
    c = x * 1.0
    t = 0.0
    for i in range(2):
        t = t + np.sum(np.sin(c) * c)
        k = 0
        while k < 2:
            c[k] = x[0] * c[2]
            k += 1
    return t + np.sum(c * c)


def written_after_taped(x):  # a turn tapes `a`; the next turn's write must not change the tape
    s = 0.0
    a = x * 1.0
    for i in range(2):
        a[-1] += x[2] * -2.0
        s = s + np.sum(a * a)
    return s


def fills_a_table(x):  # the case that must stay in place: owned, nothing else holds it
    y = np.zeros(4)
    for i in range(4):
        y[i] = x[i] * x[i]
    return np.sum(y * y)


INVARIANT_CASES = [other_branch_read_after, branch_yields_one_array_twice, loop_result_and_init, init_read_before_loop,
                   view_of_source_read_before, two_carried_share, nested_loop_init, written_after_taped, fills_a_table]


@pytest.mark.parametrize("fn", INVARIANT_CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_in_place_writes_never_change_another_live_value(fn, sign):
    x = sign * np.array([0.4, -0.9, 1.3, 0.6])
    _check(fn, [x], 0)


def test_an_owned_array_filled_in_a_loop_is_still_written_in_place():
    source = srcgrad.show(fills_a_table)
    assert "np.copy(" not in source.split("seed(")[0]


TABLE = np.array([-0.45, 0.21, 0.68])


def halved_with_items_raised(a0):
    a0 = a0 * 0.5
    a0[[0, 2]] += 1.0
    return a0


def helper_written_in_a_loop_condition(x):
    k = 0
    s = 0.0
    while k < 4 and np.mean(halved_with_items_raised(TABLE)) < 0.8:  # (aliasing seed 406996)
        k += 1
        s = s + x
    return np.sum(s)


def test_a_write_inside_a_loop_into_an_array_made_before_it_is_a_copy():
    """CSE made the condition's `TABLE * 0.5` in the loop the one computed before it; the write
    after it was made in place, so each turn saw the last turn's write (2 turns instead of 4)."""
    x = np.array([0.4, -0.9])
    assert srcgrad.value_and_grad(helper_written_in_a_loop_condition)(x.copy())[0] == helper_written_in_a_loop_condition(x)
    _check(helper_written_in_a_loop_condition, [x], 0)
