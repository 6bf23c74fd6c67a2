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
