"""The benchmarked models, as a user writes them (srcgrad differentiates these)."""

import numpy as np

from srcgrad import stop_gradient


def mlp_loss(W1, b1, W2, b2, X, Y):
    """2-layer tanh MLP with softmax cross-entropy (Y one-hot)."""
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    # The shift only keeps exp() in range: its gradient cancels exactly, so none is computed.
    shifted = logits - stop_gradient(np.max(logits, axis=1, keepdims=True))
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / X.shape[0]


def rnn_loss(Wx, Wh, b, xs, h0):
    """A tanh RNN over the time steps of xs; the loss is the final state's squared norm."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return 0.5 * np.sum(h * h)


def linreg_loss(w, b, x, y):
    """A linear regression on two points with one feature: a handful of numbers."""
    pred = x @ w + b
    return np.mean((pred - y) ** 2)


def logistic_recurrence(r, x0):
    """A scalar recurrence on Python floats: 50 steps of the logistic map."""
    x = x0
    for _ in range(50):
        x = r * x * (1.0 - x)
    return x


def newton_sqrt(a):
    """Newton's iteration for the square root of a float, to a tolerance."""
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def big_elementwise(x):
    """One large elementwise expression, summed."""
    return np.sum(np.tanh(x) * np.exp(-x * x) + x ** 3)


def early_exit(x):
    """A loop of 1,000 trips that leaves after the fifth."""
    s = 0.0
    for i in range(1000):
        s = s + np.sin(x * i)
        if i >= 4:
            break
    return s
