"""Gradients through `srcgrad.nn`, `srcgrad.regularizers` and `srcgrad.optim`: losses, activations and
penalties differentiated, optimizers decreasing a loss, and TF1's update rules by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import Draws, check

import srcgrad
from srcgrad import nn, optim, regularizers

_draws = Draws(1234)
rn = _draws.normal
spd = _draws.spd


# --- srcgrad.nn, srcgrad.regularizers, srcgrad.optim ------------------------------------------


def xent_broadcast_labels(labels, logits):
    return nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def xent_axis0(labels, logits):
    return nn.softmax_cross_entropy_with_logits(labels, logits, axis=0)


def xent_3d_mean(labels, logits):
    return np.mean(nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits), axis=-1)


def sigmoid_xent_weighted(labels, logits):
    return nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits) * logits


def mse_plus_l2(p, labels):
    return nn.mean_squared_error(labels=labels, predictions=p) + nn.l2_loss(p)


def relu_layer_loss(x, w, b):
    return np.sum(nn.relu_layer(x, w, b) ** 2) + np.sum(nn.relu6(3 * x) * nn.softsign(x))


def clip_norm_loss(t, c):
    return optim.clip_by_norm(t, c) * t


def clip_norm_axes(t, c):
    return optim.clip_by_norm(t, c, axes=1) + optim.clip_by_norm(t, 0.5, axes=(0,)) ** 2


def clip_value_loss(t, lo, hi):
    return optim.clip_by_value(t, lo, hi) ** 2


def softmax_axes(x):
    return nn.softmax(x, axis=0) * nn.log_softmax(x, axis=1) + nn.softmax(x) ** 2


def saturating(x):
    return nn.sigmoid(x) + nn.softplus(x) + nn.tanh(x)


def mlp_toolkit(w1, b1, w2, x, y):
    h = nn.relu(x @ w1 + b1)
    return np.mean(nn.softmax_cross_entropy_with_logits(labels=y, logits=h @ w2)) + WEIGHT_DECAY(w1) + L1(w2)


L1 = regularizers.l1_regularizer(0.1)


L2 = regularizers.l2_regularizer(0.2)


L12 = regularizers.l1_l2_regularizer(0.3, 0.4)


SUM_REG = regularizers.sum_regularizer([L1, None, L2])


WEIGHT_DECAY = regularizers.l2_regularizer(1e-2)


def penalties(w1, w2):
    return L1(w1) + L2(w2) + L12(w1) + SUM_REG(w2) + regularizers.apply_regularization(L12, [w1, w2 * 2])


TOOLKIT = [
    ("xent_broadcast_labels", xent_broadcast_labels, (np.array([0.2, 0.5, 0.3]), rn(4, 3)), (0, 1)),
    ("xent_broadcast_labels_3d", xent_broadcast_labels, (np.array([[0.2, 0.5, 0.3]]), rn(2, 4, 3)), (0, 1)),
    ("xent_axis0", xent_axis0, (np.array([[0.2], [0.5], [0.3]]), rn(3, 4)), (0, 1)),
    ("xent_3d_mean", xent_3d_mean, (np.eye(3)[[0, 1]][:, None, :], rn(2, 5, 3)), (0, 1)),
    ("sigmoid_xent_weighted", sigmoid_xent_weighted, (_draws.rng.uniform(size=(3, 2)), rn(3, 2)), (0, 1)),
    ("mse_plus_l2", mse_plus_l2, (rn(3, 2), rn(3, 2)), (0, 1)),
    ("relu_layer_loss", relu_layer_loss, (rn(3, 4), rn(4, 2), rn(2)), (0, 1, 2)),
    ("clip_norm_clipping", clip_norm_loss, (rn(3, 2), 0.5), (0, 1)),
    ("clip_norm_passing", clip_norm_loss, (0.1 * rn(3, 2), 5.0), (0, 1)),
    ("clip_norm_axes", clip_norm_axes, (rn(3, 2), 1.0), (0, 1)),
    ("clip_value_loss", clip_value_loss, (rn(6), -0.5, 0.7), (0, 1, 2)),
    ("softmax_axes", softmax_axes, (rn(3, 4),), (0,)),
    ("saturating", saturating, (np.array([-800.0, -30.0, 0.3, 30.0, 800.0]),), (0,)),
    ("mlp_toolkit", mlp_toolkit, (rn(4, 5), rn(5), rn(5, 3), rn(6, 4), np.eye(3)[[0, 1, 2, 0, 1, 2]]), (0, 1, 2)),
    ("penalties", penalties, (rn(2, 2) + 0.05, rn(3) + 0.05), (0, 1)),
]


@pytest.mark.parametrize("fn,args,wrt", [pytest.param(f, a, w, id=n) for n, f, a, w in TOOLKIT])
def test_toolkit_gradients(fn, args, wrt):
    check(fn, args, wrt)


def test_penalty_gradients_exact():
    w1 = np.array([[1.0, -2.0], [0.5, 3.0]])
    w2 = np.array([0.5, -0.25, 2.0])
    g1, g2 = srcgrad.grad(penalties, wrt=(0, 1))(w1, w2)
    np.testing.assert_allclose(g1, 0.1 * np.sign(w1) + 0.3 * np.sign(w1) + 0.4 * w1
                               + 0.3 * np.sign(w1) + 0.4 * w1)
    np.testing.assert_allclose(g2, 0.2 * w2 + 0.1 * np.sign(w2) + 0.2 * w2 + 0.6 * np.sign(w2) + 1.6 * w2)


def least_squares(w, b, x, y):
    return np.mean((x @ w + b - y) ** 2)


def _problem(dtype=np.float64):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20, 3)).astype(dtype)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(dtype)
    return np.zeros((3, 1), dtype), np.zeros(1, dtype), x, y


OPTIMIZERS = {
    "sgd": lambda: optim.GradientDescentOptimizer(0.1),
    "momentum": lambda: optim.MomentumOptimizer(0.05, 0.9),
    "nesterov": lambda: optim.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
    "adam": lambda: optim.AdamOptimizer(0.05),
    "rmsprop": lambda: optim.RMSPropOptimizer(0.05),
    "rmsprop_centered": lambda: optim.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optim.AdagradOptimizer(0.3),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimizer_decreases_loss(name, dtype):
    w, b, x, y = _problem(dtype)
    opt = OPTIMIZERS[name]()
    step = optim.create_global_step()
    first = least_squares(w, b, x, y)
    for _ in range(60):
        opt.minimize(least_squares, [w, b], x, y, global_step=step)
    assert int(step) == 60
    assert w.dtype == dtype and b.dtype == dtype and w.shape == (3, 1)
    assert least_squares(w, b, x, y) < 0.2 * first


def test_adam_one_step_by_hand():
    w, b, x, y = _problem()
    gw, gb = srcgrad.grad(least_squares, wrt=(0, 1))(w, b, x, y)
    opt = optim.AdamOptimizer(0.1, beta1=0.8, beta2=0.9, epsilon=1e-3)
    w0 = w.copy()
    opt.minimize(least_squares, [w, b], x, y)
    m = 0.2 * gw
    v = 0.1 * gw * gw
    lr_t = 0.1 * np.sqrt(1 - np.float32(0.9)) / (1 - np.float32(0.8))
    np.testing.assert_allclose(w, w0 - lr_t * m / (np.sqrt(v) + 1e-3), rtol=1e-6)
    np.testing.assert_allclose(opt.get_slot(w, "m"), m)
    np.testing.assert_allclose(opt.get_slot(w, "v"), v)
    # second step from the hand-computed state
    gw2 = srcgrad.grad(least_squares)(w, b, x, y)
    w1 = w.copy()
    opt.minimize(least_squares, [w, b], x, y)
    m2 = m + (gw2 - m) * 0.2
    v2 = v + (gw2 * gw2 - v) * 0.1
    lr_t2 = 0.1 * np.sqrt(1 - np.float32(0.9) ** 2) / (1 - np.float32(0.8) ** 2)
    np.testing.assert_allclose(w, w1 - lr_t2 * m2 / (np.sqrt(v2) + 1e-3), rtol=1e-5)


def test_momentum_two_steps_by_hand():
    w, b, x, y = _problem()
    opt = optim.MomentumOptimizer(0.1, 0.5)
    g1 = srcgrad.grad(least_squares)(w, b, x, y)
    w0 = w.copy()
    opt.minimize(least_squares, [w, b], x, y)
    np.testing.assert_allclose(w, w0 - 0.1 * g1)
    g2 = srcgrad.grad(least_squares)(w, b, x, y)
    w1 = w.copy()
    opt.minimize(least_squares, [w, b], x, y)
    np.testing.assert_allclose(w, w1 - 0.1 * (0.5 * g1 + g2))


def unused_second(w, unused, x, y):
    return np.mean((x @ w - y) ** 2)


def test_compute_apply_with_none_and_clipping():
    w, _, x, y = _problem()
    unused = np.ones(2)
    opt = optim.GradientDescentOptimizer(0.5)
    pairs = opt.compute_gradients(unused_second, [w, unused], x, y)
    assert pairs[1][0] is None and pairs[1][1] is unused and pairs[0][1] is w
    grads = [g for g, _ in pairs]
    clipped, norm = optim.clip_by_global_norm(grads, 0.1)
    assert clipped[1] is None
    np.testing.assert_allclose(norm, np.linalg.norm(grads[0]))
    np.testing.assert_allclose(np.linalg.norm(clipped[0]), 0.1)
    w0 = w.copy()
    step = optim.create_global_step()
    opt.apply_gradients(list(zip(clipped, [w, unused])), global_step=step)
    np.testing.assert_allclose(w, w0 - 0.5 * clipped[0])
    np.testing.assert_array_equal(unused, np.ones(2))
    assert int(step) == 1
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, w), (None, unused)])
    capped = [(optim.clip_by_value(g, -0.01, 0.01), v) for g, v in pairs if g is not None]
    opt.apply_gradients(capped)
    assert np.max(np.abs(w - (w0 - 0.5 * clipped[0]))) <= 0.005 + 1e-12


def test_minimize_loss_independent_of_variables():
    w, _, x, y = _problem()
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optim.GradientDescentOptimizer(0.1).minimize(lambda_free_loss, [w], x, y)


def lambda_free_loss(w, x, y):
    return np.mean(y ** 2)
