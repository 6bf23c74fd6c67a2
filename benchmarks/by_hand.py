"""Hand-written gradients of the benchmarked models (benchmarks/models.py): what a careful
person writes with NumPy, the baseline each srcgrad gradient is timed against."""

import numpy as np


def mlp_grad(W1, b1, W2, b2, X, Y):
    n = X.shape[0]
    z = X @ W1 + b1
    h = np.tanh(z)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(shifted)
    p = e / np.sum(e, axis=1, keepdims=True)
    dlogits = (p - Y) / n
    dW2 = h.T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    dh = dlogits @ W2.T
    dz = dh * (1 - h * h)
    dW1 = X.T @ dz
    db1 = np.sum(dz, axis=0)
    return dW1, db1, dW2, db2


def rnn_grad(Wx, Wh, b, xs, h0):
    hs = [h0]
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = h
    for t in reversed(range(xs.shape[0])):
        dz = dh * (1 - hs[t + 1] ** 2)
        dWx += xs[t].T @ dz
        dWh += hs[t].T @ dz
        db += dz.sum(axis=0)
        dh = dz @ Wh.T
    return dWx, dWh, db


def linreg_grad(w, b, x, y):
    r = x @ w + b - y
    d = 2.0 * r / r.size
    return x.T @ d, np.sum(d)


def logistic_recurrence_grad(r, x0):
    xs = [x0]
    x = x0
    for _ in range(50):
        x = r * x * (1.0 - x)
        xs.append(x)
    dr, dx = 0.0, 1.0
    for x in reversed(xs[:-1]):
        dr += dx * x * (1.0 - x)
        dx = dx * r * (1.0 - 2.0 * x)
    return dr, dx


def newton_sqrt_grad(a):
    xs = []
    x = a
    while abs(x * x - a) > 1e-12 * a:
        xs.append(x)
        x = 0.5 * (x + a / x)
    da, dx = 0.0, 1.0
    for x in reversed(xs):
        da += dx * 0.5 / x
        dx = dx * 0.5 * (1.0 - a / (x * x))
    return da + dx


def big_elementwise_grad(x):
    t = np.tanh(x)
    e = np.exp(-x * x)
    return (1.0 - t * t) * e - 2.0 * x * t * e + 3.0 * x * x


def early_exit_grad(x):
    g = 0.0
    for i in range(5):
        g += np.cos(x * i) * i
    return g


def early_exit_second(x):
    h = 0.0
    for i in range(5):
        h -= np.sin(x * i) * i * i
    return h
