"""The linear-regression gradient of the user's first tutorial (tf.gradients of a
squared error w.r.t. W and b), with srcgrad: prints the generated adjoint and the
gradient TensorFlow printed, [12.376228, 4.4175096]."""

import numpy as np

import srcgrad


@srcgrad.differentiate(wrt=("W", "b"))
def cost(W, b, X, Y):
    pred = X * W + b
    return 0.5 * np.sum((pred - Y) ** 2)


def main() -> None:
    X = np.array([[2.0], [3.0]], dtype=np.float32)
    Y = np.array([[3.0], [2.0]], dtype=np.float32)
    W = np.float32(1.6649098)
    b = np.float32(0.54648024)
    print(cost.source)
    dW, db = cost.grad(W, b, X, Y)
    print("cost      ", cost(W, b, X, Y))
    print("gradients ", [dW, db])


if __name__ == "__main__":
    main()
