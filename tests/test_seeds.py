"""The seeds' worked `tf.gradients` examples, with TensorFlow 2.21's numbers
(shared/conformance/seed_oracle.json, category seed_example). Where SPEC.md
deliberately differs from TensorFlow the test says so."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad import stop_gradient

f32 = np.float32


# --- seed 000: linear regression --------------------------------------------------------
def linreg_cost(W, b, X, Y):
    pred = X * W + b
    return 0.5 * np.sum((pred - Y) ** 2)


def test_s000_linreg_grad():
    X = np.array([[2.0], [3.0]], f32)
    Y = np.array([[3.0], [2.0]], f32)
    W, b = f32(1.6649098), f32(0.54648024)
    value, (dW, db) = srcgrad.value_and_grad(linreg_cost, wrt=("W", "b"))(W, b, X, Y)
    np.testing.assert_allclose(value, 6.654033660888672, rtol=1e-6)
    np.testing.assert_allclose([dW, db], [12.376228332519531, 4.41750955581665], rtol=1e-6)
    assert isinstance(dW, np.float32) and isinstance(db, np.float32)


# --- seed 001 / 002: sums over ys, grad_ys --------------------------------------------------
def four_ws(w1, w2, w3, w4):
    z1 = w1 + w2 + w3
    z2 = w3 + w4
    return z1, z2


W4 = [np.array(v, f32) for v in ([0.1, 0.2, 0.3], [-0.4, 0.5, -0.6], [0.7, -0.8, 0.9], [1.0, 1.1, -1.2])]


def test_s001_sum_ys_grad_ys():
    g = srcgrad.grad(four_ws, wrt=(0, 1, 2, 3))
    grads = g(*W4, grad_ys=(np.array([2.0, 2.0, 3.0], f32), np.array([3.0, 2.0, 4.0], f32)))
    expected = [[2, 2, 3], [2, 2, 3], [5, 4, 7], [3, 2, 4]]
    for got, want in zip(grads, expected):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.float32


def weighted_ws(w1, w2, w3, w4):
    z1 = 3 * w1 + 2 * w2 + w3
    z2 = -1 * w3 + w4
    return z1, z2


def test_s002_t1_sum_ys():
    grads = srcgrad.grad(weighted_ws, wrt=(0, 1, 2, 3))(*W4)
    for got, want in zip(grads, [[3, 3, 3], [2, 2, 2], [0, 0, 0], [1, 1, 1]]):
        np.testing.assert_array_equal(got, want)


def test_s002_t2_grad_ys_nested_lists():
    seeds = ([-2.0, -3.0, -4.0], [-1.0, -2.0, -3.0])  # plain Python lists, as the seed passes them
    grads = srcgrad.grad(weighted_ws, wrt=(0, 1, 2, 3))(*W4, grad_ys=seeds)
    for got, want in zip(grads, [[-6, -9, -12], [-4, -6, -8], [-1, -1, -1], [-1, -2, -3]]):
        np.testing.assert_array_equal(got, want)


# --- stop_gradients vs stop_gradient -----------------------------------------------------
def a_plus_2a(a):
    b = 2 * a
    return a + b


def a_plus_2a_stopped(a):
    a = stop_gradient(a)
    b = stop_gradient(2 * a)
    return a + b


@pytest.mark.parametrize("case", ["s001_no_stop", "s002_t7_no_stop"])
def test_no_stop(case):
    assert srcgrad.grad(a_plus_2a, wrt=("a", "b"))(f32(0.0)) == (3.0, 1.0)


@pytest.mark.parametrize("case", ["s001_stop_gradients_arg", "s002_t8a_stop_gradients_arg"])
def test_stop_gradients_arg(case):
    g = srcgrad.grad(a_plus_2a, wrt=("a", "b"), stop_gradients=("a", "b"))
    assert g(f32(0.0)) == (1.0, 1.0)


def a_plus_2a_stop_ops(a0):
    a = stop_gradient(a0)
    b = stop_gradient(2 * a)
    return a + b


@pytest.mark.parametrize("case", ["s001_stop_gradient_op", "s002_t8b_stop_gradient_op"])
def test_stop_gradient_op(case):
    # TF differentiates w.r.t. the stopped tensors a and b themselves: here the locals a and b.
    assert srcgrad.grad(a_plus_2a_stop_ops, wrt=("a", "b"))(f32(0.0)) == (1.0, 1.0)
    # ... and nothing reaches the input behind the stop_gradient.
    assert srcgrad.grad(a_plus_2a_stop_ops)(f32(0.0)) is None


# --- higher order ----------------------------------------------------------------------
def tf_pow_2(a):
    return a**2


@pytest.mark.parametrize("a, expected", [(3.0, (6.0, 2.0, 0.0)), (2.0, (4.0, 2.0, 0.0))],
                         ids=["s001_higher_order_a3", "s002_t6_higher_order_a2"])
def test_higher_order(a, expected):
    first = srcgrad.grad(tf_pow_2)
    second = srcgrad.grad(first)
    third = srcgrad.grad(second, unconnected_gradients="zero")
    a = f32(a)
    assert (first(a), second(a), third(a)) == expected
    # SPEC.md: the third derivative of x**2 is 0 *or unconnected*; by default srcgrad says None.
    assert srcgrad.grad(second)(a) is None


# --- products, stop_gradient on an intermediate ---------------------------------------------
def mul_chain(w1, w2):
    a = w1 * 3.0
    return a * w2


def mul_chain_stopped(w1, w2):
    a_stoped = stop_gradient(w1 * 3.0)
    return a_stoped * w2


def test_s001_mul_chain():
    assert srcgrad.grad(mul_chain, wrt=(0, 1))(f32(2.0), f32(2.0)) == (6.0, 6.0)


def test_s001_mul_chain_stopped():
    assert srcgrad.grad(mul_chain_stopped, wrt=(0, 1))(f32(2.0), f32(2.0)) == (None, 6.0)


def c_stopped_plus_d(a, b):
    c = a + b
    d = a + b
    return stop_gradient(c) + d


def c_not_stopped(a, b):
    c = a + b
    c_stoped = stop_gradient(c)  # computed, unused: as in the seed
    d = a + b
    return c + d


@pytest.mark.parametrize("case", ["s001_c_stopped_plus_d", "s002_t4_c_stopped"])
def test_c_stopped_plus_d(case):
    assert srcgrad.grad(c_stopped_plus_d, wrt=(0, 1))(f32(1.0), f32(1.0)) == (1.0, 1.0)


def test_s002_t5_c_not_stopped():
    assert srcgrad.grad(c_not_stopped, wrt=(0, 1))(f32(1.0), f32(1.0)) == (2.0, 2.0)


# --- softmax cross-entropy (the manual form; srcgrad.nn has the fused one) -----------------
def manual_xent(logits, y):
    e = np.exp(logits - np.max(logits))
    softmax = e / np.sum(e)
    return -np.sum(y * np.log(softmax))


LOGITS = np.array([[0.417022004702574, 0.7203244934421581, 0.00011437481734488664, 0.30233257263183977,
                    0.14675589081711304, 0.0923385947687978, 0.1862602113776709, 0.34556072704304774,
                    0.39676747423066994, 0.538816734003357]])
LABELS = np.eye(10)[1]


def test_s001_softmax_xent():
    value, grads = srcgrad.value_and_grad(manual_xent, wrt=(0, 1))(LOGITS, LABELS)
    np.testing.assert_allclose(value, 1.918659547861815, rtol=1e-12)
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum()
    np.testing.assert_allclose(grads[0], softmax - LABELS, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(grads[0][0, :3], [0.10839622, -0.85319639, 0.071441977], rtol=1e-7)
    np.testing.assert_allclose(grads[1][:2], [2.221962, 1.9186595], rtol=1e-6)  # -log_softmax


# --- the seed's optimiser walk, by hand: x -= 0.18 * d/dx (x - 3)^2 ------------------------
def goal(x):
    return (x - 3) ** 2


def test_s001_x_init_eval():
    np.testing.assert_allclose(goal(np.array([0.465416], f32)), [6.424116134643555], rtol=1e-6)


def test_s001_gd_018_10steps():
    x = np.array([0.06676739], f32)
    step = srcgrad.grad(goal)
    xs, goals = [], []
    for _ in range(10):
        xs.append(float(x[0]))
        x = x - f32(0.18) * step(x)
        goals.append(float(goal(x)[0]))
    assert x.dtype == np.float32
    np.testing.assert_allclose(xs, [0.0667673870921135, 1.12273108959198, 1.7985479831695557, 2.2310707569122314,
                                    2.507885217666626, 2.685046672821045, 2.7984299659729004, 2.870995283126831,
                                    2.9174370765686035, 2.947159767150879], rtol=3e-6)
    np.testing.assert_allclose(goals[:6], [3.5241384506225586, 1.4434869289398193, 0.5912522077560425,
                                           0.24217696487903595, 0.09919559955596924, 0.04063047841191292],
                               rtol=3e-6)
    np.testing.assert_allclose(goals[-1], 0.0011436414, rtol=1e-5)


# --- matmul, stopped inputs, the linear answer --------------------------------------------
def matmul_weight(weight):
    return weight @ np.array([[9.0], [10.0]])


def test_s002_t3_matmul():
    np.testing.assert_array_equal(srcgrad.grad(matmul_weight)(np.array([[1.0, 2.0]])), [[9.0, 10.0]])


def stopped_sum(weight1, weight2, weight3):
    y1 = weight1 + weight2
    return stop_gradient(y1) + weight3


def test_s002_t9_stopped_none():
    w = [np.array(v, f32) for v in ([0.5, -0.5], [1.5, 2.5], [-1.0, 3.0])]
    seed = np.array([1.0, 2.0], f32)
    g1, g2, g3 = srcgrad.grad(stopped_sum, wrt=(0, 1, 2))(*w, grad_ys=seed)
    assert g1 is None and g2 is None
    np.testing.assert_array_equal(g3, [1.0, 2.0])
    np.testing.assert_array_equal(srcgrad.grad(stopped_sum, wrt=2)(*w, grad_ys=seed), [1.0, 2.0])


def line(m, x, b):
    return m * x + b


def test_s002_answer3_linear():
    assert srcgrad.grad(line, wrt="x")(2.0, 3.0, 1.0) == 2.0
