"""The worked `tf.gradients` examples of the user's tutorials, with srcgrad.

Each section prints what TensorFlow printed in the tutorial; run it and compare.
"""

import numpy as np

import srcgrad
from srcgrad import stop_gradient

f32 = np.float32


# 1. The sum over several outputs, each weighted by its grad_ys (tutorial 001, In [2]).
def two_sums(w1, w2, w3, w4):
    z1 = w1 + w2 + w3
    z2 = w3 + w4
    return z1, z2


# 2. stop_gradients (partial derivatives) against stop_gradient (a cut in the graph).
def a_plus_b(a):
    b = 2 * a
    return a + b


def a_plus_b_stopped(a0):
    a = stop_gradient(a0)
    b = stop_gradient(2 * a)
    return a + b


# 3. Higher order: the derivatives of a ** 2.
def square(a):
    return a**2


# 4. A matrix product (tutorial 002, test 3).
def matmul(weight):
    return weight @ np.array([[9.0], [10.0]])


# 5. An input whose every path is stopped gets None (tutorial 002, test 9).
def stopped_inputs(weight1, weight2, weight3):
    return stop_gradient(weight1 + weight2) + weight3


def main() -> None:
    ws = [np.array(v, f32) for v in ([0.1, 0.2, 0.3], [-0.4, 0.5, -0.6], [0.7, -0.8, 0.9], [1.0, 1.1, -1.2])]
    seeds = (np.array([2.0, 2.0, 3.0], f32), np.array([3.0, 2.0, 4.0], f32))
    grads = srcgrad.grad(two_sums, wrt=(0, 1, 2, 3))(*ws, grad_ys=seeds)
    print("sum over ys with grad_ys: ", [g.tolist() for g in grads])  # [2,2,3] [2,2,3] [5,4,7] [3,2,4]

    a = f32(0.0)
    print("no stop:                  ", list(srcgrad.grad(a_plus_b, wrt=("a", "b"))(a)))  # [3.0, 1.0]
    print("stop_gradients=[a, b]:    ",
          list(srcgrad.grad(a_plus_b, wrt=("a", "b"), stop_gradients=("a", "b"))(a)))  # [1.0, 1.0]
    print("stop_gradient(a), (2a):   ", list(srcgrad.grad(a_plus_b_stopped, wrt=("a", "b"))(a)))  # [1.0, 1.0]

    first = srcgrad.grad(square)
    second = srcgrad.grad(first)
    third = srcgrad.grad(second, unconnected_gradients="zero")
    for a in (f32(3.0), f32(2.0)):
        print(f"d/da a**2 at {a}: 1st {first(a)}, 2nd {second(a)}, 3rd {third(a)}")  # 6 2 0, 4 2 0

    print("matmul:                   ", srcgrad.grad(matmul)(np.array([[1.0, 2.0]])).tolist())  # [[9.0, 10.0]]

    w = [np.array(v, f32) for v in ([0.5, -0.5], [1.5, 2.5], [-1.0, 3.0])]
    g = srcgrad.grad(stopped_inputs, wrt=(0, 1, 2))(*w, grad_ys=np.array([1.0, 2.0], f32))
    print("fully stopped inputs:     ", [None if x is None else x.tolist() for x in g])  # [None, None, [1, 2]]

    print()
    print("The generated adjoint of the stopped example:")
    print(srcgrad.show(stopped_inputs, wrt=(0, 1, 2)))


if __name__ == "__main__":
    main()
