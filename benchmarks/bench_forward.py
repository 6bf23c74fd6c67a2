"""Times forward mode, in one process, and prints ratios (lower is better):

- `jvp` against the function itself (the forward pass), on the MLP and RNN of bench_gradients;
- a Hessian-vector product (`srcgrad.hvp`, forward over reverse) against one gradient, and
  against reverse over reverse (`grad(grad(f))` seeded with the vector);
- a 100×100 Jacobian of `tanh(A @ x)`: forward mode (100 tangent sweeps) and reverse mode (100
  adjoint runs) against the hand-written `(1 - y²)[:, None] * A`.

    python benchmarks/bench_forward.py [--repeat 200]

Nothing here is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import srcgrad  # noqa: E402
from bench_gradients import best_time  # noqa: E402
from models import mlp_loss, rnn_loss  # noqa: E402


def squash(A, x):
    return np.tanh(A @ x)


def squash_jacobian_by_hand(A, x):
    y = np.tanh(A @ x)
    return (1 - y * y)[:, None] * A


def row(name: str, t: float, base: float, base_name: str) -> None:
    print(f"{name:<44} {t * 1e6:10.1f} us   {base_name} {base * 1e6:10.1f} us   ratio {t / base:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    rng = np.random.default_rng(0)

    W1, b1 = rng.standard_normal((64, 128)) * 0.1, np.zeros(128)
    W2, b2 = rng.standard_normal((128, 10)) * 0.1, np.zeros(10)
    X, Y = rng.standard_normal((32, 64)), np.eye(10)[rng.integers(0, 10, 32)]
    mlp_args = (W1, b1, W2, b2, X, Y)
    mlp_tangents = tuple(rng.standard_normal(np.shape(a)) for a in mlp_args[:4]) + (np.zeros_like(X), np.zeros_like(Y))
    forward = best_time(lambda: mlp_loss(*mlp_args), repeat)
    row("jvp, 2-layer tanh MLP (all four parameters)",
        best_time(lambda: srcgrad.jvp(mlp_loss, mlp_args, mlp_tangents, wrt=(0, 1, 2, 3)), repeat), forward, "f")

    Wx, Wh, b = (rng.standard_normal((64, 64)) * 0.1, rng.standard_normal((64, 64)) * 0.1, np.zeros(64))
    xs, h0 = rng.standard_normal((100, 16, 64)), np.zeros((16, 64))
    rnn_args = (Wx, Wh, b, xs, h0)
    rnn_tangents = (rng.standard_normal(Wx.shape), rng.standard_normal(Wh.shape), np.zeros(64), np.zeros_like(xs),
                    np.zeros_like(h0))
    forward = best_time(lambda: rnn_loss(*rnn_args), repeat)
    row("jvp, 100-step tanh RNN (Wx, Wh)",
        best_time(lambda: srcgrad.jvp(rnn_loss, rnn_args, rnn_tangents, wrt=(0, 1)), repeat), forward, "f")

    gradient = srcgrad.grad(mlp_loss, wrt=0)
    hvp = srcgrad.hvp(mlp_loss, wrt=0)
    twice = srcgrad.grad(srcgrad.grad(mlp_loss, wrt=0, unconnected_gradients="zero"), wrt=0,
                         unconnected_gradients="zero")
    v = rng.standard_normal(W1.shape)
    np.testing.assert_allclose(hvp(*mlp_args, v), twice(*mlp_args, grad_ys=v), rtol=1e-8, atol=1e-12)
    one_gradient = best_time(lambda: gradient(*mlp_args), repeat)
    row("Hessian-vector product, MLP (forward over reverse)", best_time(lambda: hvp(*mlp_args, v), repeat),
        one_gradient, "grad")
    row("Hessian-vector product, MLP (reverse over reverse)", best_time(lambda: twice(*mlp_args, grad_ys=v), repeat),
        one_gradient, "grad")

    A, x = rng.standard_normal((100, 100)) * 0.1, rng.standard_normal(100)
    expected = squash_jacobian_by_hand(A, x)
    by_hand = best_time(lambda: squash_jacobian_by_hand(A, x), repeat)
    for mode in ("forward", "reverse"):
        jacobian = srcgrad.jacobian(squash, wrt=1, mode=mode)
        np.testing.assert_allclose(jacobian(A, x), expected, rtol=1e-10, atol=1e-12)
        row(f"100x100 Jacobian of tanh(A @ x), {mode} mode", best_time(lambda: jacobian(A, x), max(repeat // 20, 5)),
            by_hand, "hand")


if __name__ == "__main__":
    main()
