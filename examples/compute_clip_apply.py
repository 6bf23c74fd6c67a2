"""compute_gradients -> process the gradients -> apply_gradients (seed 001, "梯度修剪").

TensorFlow 1.x::

    opt = tf.train.GradientDescentOptimizer(learning_rate=0.18)
    grads_and_vars = opt.compute_gradients(goal, [x, unused])
    capped = [(tf.clip_by_value(g, -1., 1.), v) for g, v in grads_and_vars if g is not None]
    train_op = opt.apply_gradients(capped, global_step=global_step)

With srcgrad the loss is a function whose first parameters are the variables;
an unused variable gets a None gradient, exactly as in TF.

Run: python examples/compute_clip_apply.py
"""

import numpy as np

from srcgrad import optim


def goal(x, unused):
    return (x - 3) ** 2


def regression_loss(w, b, X, Y):
    return np.mean((np.matmul(X, w) + b - Y) ** 2)


def main() -> None:
    # 1. The seed's goal, one step with the gradient clipped to [-1, 1].
    x = np.array([0.06676739], dtype=np.float32)
    unused = np.array([5.0], dtype=np.float32)
    global_step = optim.create_global_step()
    opt = optim.GradientDescentOptimizer(learning_rate=0.18)

    grads_and_vars = opt.compute_gradients(goal, [x, unused])
    print("compute_gradients:", [(g, v) for g, v in grads_and_vars])
    capped = [(optim.clip_by_value(g, -1.0, 1.0), v) for g, v in grads_and_vars if g is not None]
    opt.apply_gradients(capped, global_step=global_step)
    print("x after one clipped step:", x, " global_step:", int(global_step))

    # 2. A regression with several variables and data arguments, clipped by global norm.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 3)).astype(np.float32)
    Y = (X @ np.array([2.0, -1.0, 0.5], dtype=np.float32) + 1.0).astype(np.float32)
    w = np.zeros(3, dtype=np.float32)
    b = np.zeros((), dtype=np.float32)
    opt = optim.MomentumOptimizer(learning_rate=0.05, momentum=0.9)
    step = optim.create_global_step()
    for i in range(100):
        grads_and_vars = opt.compute_gradients(regression_loss, [w, b], X, Y)
        grads, variables = zip(*grads_and_vars)
        clipped, norm = optim.clip_by_global_norm(list(grads), clip_norm=1.0)
        opt.apply_gradients(list(zip(clipped, variables)), global_step=step)
        if i % 20 == 0:
            print(f"step {int(step):3d}  loss {regression_loss(w, b, X, Y):.6f}  global norm before clipping {norm:.4f}")
    print("w =", w, " b =", b, " (true: [2, -1, 0.5], 1)")


if __name__ == "__main__":
    main()
