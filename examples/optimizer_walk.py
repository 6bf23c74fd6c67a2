"""Seed 001, In [12]-[22]: walk down goal = (x - 3)**2 with gradient descent.

TensorFlow 1.x, as the seed wrote it::

    x = tf.Variable(tf.truncated_normal([1]), name="x")
    goal = tf.pow(x - 3, 2, name="goal")
    optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.18)
    train_step = optimizer.minimize(goal)
    ...
    for i in range(10):
        print("x: ", x.eval())
        train_step.run()
        print("goal: ", goal.eval())

With srcgrad the variable is a float32 array updated in place, the goal is a
Python function of it, and srcgrad differentiates that function. The output is
the seed's, number for number (x0 fixed to the value the seed drew).

Run: python examples/optimizer_walk.py
"""

import numpy as np

from srcgrad import optim


def goal(x):
    return (x - 3) ** 2


def main() -> None:
    x = np.array([0.06676739], dtype=np.float32)  # the seed's truncated_normal draw
    optimizer = optim.GradientDescentOptimizer(learning_rate=0.18)
    for _ in range(10):
        print("x: ", x)
        optimizer.minimize(goal, [x])  # x -= 0.18 * d goal/dx, in place
        print("goal: ", goal(x))


if __name__ == "__main__":
    main()
