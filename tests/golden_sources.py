"""Functions whose generated adjoints are pinned in tests/golden/ (test_golden.py)."""

import numpy as np

from srcgrad import stop_gradient


def linreg(W, b, X, Y):
    pred = X * W + b
    return 0.5 * np.sum((pred - Y) ** 2)


def mlp(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - stop_gradient(np.max(logits, axis=1, keepdims=True))
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / X.shape[0]


def rnn(Wh, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] + h @ Wh)
    return np.sum(h)


def piecewise(x):
    if np.sum(x) > 0:
        return np.sum(x * x)
    y = np.sin(x)
    return np.sum(y)


def newton_sqrt(a):
    x = a
    i = 0
    while i < 5:
        x = 0.5 * (x + a / x)
        i += 1
    return x


CASES = {
    "linreg": (linreg, {"wrt": ("W", "b")}),
    "mlp": (mlp, {"wrt": (0, 1, 2, 3)}),
    "rnn": (rnn, {"wrt": (0, 2)}),
    "piecewise": (piecewise, {}),
    "newton_sqrt": (newton_sqrt, {}),
}
