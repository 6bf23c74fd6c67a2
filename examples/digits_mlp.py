"""Train a small MLP on scikit-learn's handwritten digits, with gradients from srcgrad.

The model and its loss are plain NumPy (srcgrad.nn, srcgrad.regularizers);
srcgrad differentiates the loss, srcgrad.optim's AdamOptimizer updates the
weights in place, and an ExponentialMovingAverage of the weights is evaluated
beside the raw ones. Prints progress, the held-out accuracy, and saves the loss
curve as a PNG.

Needs the optional 'examples' extras: pip install "srcgrad[examples]"
(scikit-learn and matplotlib).

Run: python examples/digits_mlp.py [--out digits_loss.png] [--epochs 40] [--hidden 64]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from srcgrad import nn, optim, regularizers

weight_decay = regularizers.l2_regularizer(1e-4)


def logits_of(W1, b1, W2, b2, X):
    hidden = nn.relu(np.matmul(X, W1) + b1)
    return np.matmul(hidden, W2) + b2


def loss(W1, b1, W2, b2, X, Y):
    """Mean softmax cross-entropy over the batch, plus an L2 penalty (TF1's: scale * sum(w**2) / 2)."""
    cross_entropy = nn.softmax_cross_entropy_with_logits(labels=Y, logits=logits_of(W1, b1, W2, b2, X))
    return np.mean(cross_entropy) + weight_decay(W1) + weight_decay(W2)


def accuracy(params, X, labels) -> float:
    return float(np.mean(np.argmax(logits_of(*params, X), axis=1) == labels))


def glorot(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out)).astype(np.float32)


def progress(epoch: int, epochs: int, batch: int, batches: int, value: float) -> None:
    if sys.stdout.isatty():
        width = 24
        done = int(width * batch / batches)
        sys.stdout.write(f"\repoch {epoch:3d}/{epochs} [{'#' * done}{'.' * (width - done)}] loss {value:.4f}")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--out", default="digits_loss.png", help="where to save the loss curve (PNG)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        print("This example needs scikit-learn: pip install 'srcgrad[examples]' (or: pip install scikit-learn)",
              file=sys.stderr)
        return 1
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("This example needs matplotlib: pip install 'srcgrad[examples]' (or: pip install matplotlib)",
              file=sys.stderr)
        return 1

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)  # 8x8 images, pixels 0..16
    labels = digits.target
    X_train, X_test, y_train, y_test = train_test_split(
        X, labels, test_size=0.25, stratify=labels, random_state=args.seed)
    Y_train = np.eye(10, dtype=np.float32)[y_train]  # one-hot
    Y_test = np.eye(10, dtype=np.float32)[y_test]

    rng = np.random.default_rng(args.seed)
    params = [glorot(rng, 64, args.hidden), np.zeros(args.hidden, np.float32),
              glorot(rng, args.hidden, 10), np.zeros(10, np.float32)]
    optimizer = optim.AdamOptimizer(learning_rate=args.learning_rate)
    global_step = optim.create_global_step()
    ema = optim.ExponentialMovingAverage(0.99, num_updates=global_step)
    ema.apply(params)

    print(f"digits: {len(X_train)} training and {len(X_test)} held-out images; "
          f"MLP 64-{args.hidden}-10, Adam({args.learning_rate}), batch {args.batch_size}")
    start = time.perf_counter()
    step_losses: list[float] = []
    epoch_train: list[float] = []
    epoch_test: list[float] = []
    batches = int(np.ceil(len(X_train) / args.batch_size))
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(X_train))
        for b in range(batches):
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            value = optimizer.minimize(loss, params, X_train[idx], Y_train[idx], global_step=global_step)
            ema.apply(params)
            step_losses.append(float(value))
            progress(epoch, args.epochs, b + 1, batches, float(value))
        epoch_train.append(float(loss(*params, X_train, Y_train)))
        epoch_test.append(float(loss(*params, X_test, Y_test)))
        if sys.stdout.isatty():
            sys.stdout.write("\r")
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}/{args.epochs}  train loss {epoch_train[-1]:.4f}  held-out loss "
                  f"{epoch_test[-1]:.4f}  held-out accuracy {accuracy(params, X_test, y_test):.4f}"
                  + " " * 10)
    elapsed = time.perf_counter() - start

    averaged = [ema.average(p) for p in params]
    test_accuracy = accuracy(params, X_test, y_test)
    print(f"trained {int(global_step)} steps in {elapsed:.1f} s")
    print(f"training accuracy:            {accuracy(params, X_train, y_train):.4f}")
    print(f"held-out accuracy:            {test_accuracy:.4f}")
    print(f"held-out accuracy (EMA 0.99): {accuracy(averaged, X_test, y_test):.4f}")

    fig, ax = plt.subplots(figsize=(7, 4))
    steps_per_epoch = batches
    ax.plot(np.arange(1, len(step_losses) + 1) / steps_per_epoch, step_losses, lw=0.6, alpha=0.5,
            label="minibatch loss")
    ax.plot(np.arange(1, args.epochs + 1), epoch_train, marker="o", ms=3, label="training loss")
    ax.plot(np.arange(1, args.epochs + 1), epoch_test, marker="o", ms=3, label="held-out loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("softmax cross-entropy + L2")
    ax.set_yscale("log")
    ax.set_title(f"digits MLP, srcgrad gradients: held-out accuracy {test_accuracy:.3f}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"loss curve saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
