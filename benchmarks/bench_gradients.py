"""Times srcgrad's generated gradients against hand-written NumPy gradients, in one
process, and prints the ratios (srcgrad / hand-written; lower is better).

    python benchmarks/bench_gradients.py [--repeat 200]

Nothing here is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import srcgrad  # noqa: E402
from models import mlp_loss, rnn_loss  # noqa: E402


def mlp_grad_by_hand(W1, b1, W2, b2, X, Y):
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


def rnn_grad_by_hand(Wx, Wh, b, xs, h0):
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


def best_time(fn, repeat: int) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=max(repeat // 40, 5), number=number)) / number


def compare(name, generated, by_hand, args, repeat):
    got, want = generated(*args), by_hand(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)
    t_gen = best_time(lambda: generated(*args), repeat)
    t_hand = best_time(lambda: by_hand(*args), repeat)
    print(f"{name:<34} srcgrad {t_gen * 1e6:9.1f} us   by hand {t_hand * 1e6:9.1f} us   ratio {t_gen / t_hand:5.2f}")
    return t_gen / t_hand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    batch, d_in, d_hidden, d_out = 32, 64, 128, 10
    W1 = rng.standard_normal((d_in, d_hidden)) * 0.1
    b1 = np.zeros(d_hidden)
    W2 = rng.standard_normal((d_hidden, d_out)) * 0.1
    b2 = np.zeros(d_out)
    X = rng.standard_normal((batch, d_in))
    Y = np.eye(d_out)[rng.integers(0, d_out, batch)]
    mlp = srcgrad.grad(mlp_loss, wrt=(0, 1, 2, 3))
    compare("2-layer tanh MLP + softmax xent", mlp, mlp_grad_by_hand, (W1, b1, W2, b2, X, Y), args.repeat)

    steps, hidden, rnn_batch = 100, 64, 16
    Wx = rng.standard_normal((hidden, hidden)) * 0.1
    Wh = rng.standard_normal((hidden, hidden)) * 0.1
    b = np.zeros(hidden)
    xs = rng.standard_normal((steps, rnn_batch, hidden))
    h0 = np.zeros((rnn_batch, hidden))
    rnn = srcgrad.grad(rnn_loss, wrt=(0, 1, 2))
    compare("100-step tanh RNN (hidden 64)", rnn, rnn_grad_by_hand, (Wx, Wh, b, xs, h0), args.repeat)


if __name__ == "__main__":
    main()
