"""Optimizers, gradient clipping and moving averages with TensorFlow 1.x ``tf.train`` semantics.

Variables are NumPy float arrays, updated **in place** (``var[...] = ...``) the way
``tf.Variable``\\ s are assigned: keep references to them and they see every step.
A Python float cannot be updated in place, so it is rejected (``TypeError``);
use ``np.array([x0], dtype=np.float32)`` or a 0-d array ``np.array(x0)``.

A loss is a plain Python function whose first ``len(var_list)`` positional
parameters are the variables, in order, followed by any data arguments::

    def loss(W, b, X, Y):                   # var_list = [W, b], args = (X, Y)
        return np.mean((X @ W + b - Y) ** 2)

    opt = AdamOptimizer(0.01)
    step = create_global_step()
    for _ in range(100):
        value = opt.minimize(loss, [W, b], X, Y, global_step=step)

Gradients come from srcgrad: ``compute_gradients`` differentiates ``loss`` with
``srcgrad.value_and_grad(loss, wrt=tuple(range(len(var_list))))`` (compiled once
per loss function and number of variables, then cached). A variable the loss does
not depend on gets ``None``, as in TF.

The update rules are TF1's kernels, evaluated in the variable's dtype in the same
order, so float32 trajectories match TensorFlow's to float32 precision:

=============================== ===================================================
``GradientDescentOptimizer``    ``var -= lr * g``
``MomentumOptimizer``           ``a = momentum * a + g``; ``var -= lr * a``
                                (nesterov: ``var -= lr * g + lr * momentum * a``)
``AdamOptimizer``               ``lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)``;
                                ``m += (g - m)(1 - beta1)``; ``v += (g² - v)(1 - beta2)``;
                                ``var -= lr_t * m / (sqrt(v) + epsilon)`` (TF's ε-hat form)
``RMSPropOptimizer``            ``ms += (g² - ms)(1 - decay)`` (**ms starts at 1.0**);
                                ``mom = momentum * mom + lr * g / sqrt(ms + epsilon)``; ``var -= mom``
``AdagradOptimizer``            ``acc += g²`` (**acc starts at 0.1**); ``var -= lr * g / sqrt(acc)``
=============================== ===================================================
"""

from .clipping import clip_by_global_norm, clip_by_norm, clip_by_value, global_norm
from .moving_average import ExponentialMovingAverage
from .optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
    create_global_step,
)

__all__ = [
    "Optimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "AdamOptimizer",
    "RMSPropOptimizer",
    "AdagradOptimizer",
    "ExponentialMovingAverage",
    "create_global_step",
    "clip_by_value",
    "clip_by_norm",
    "clip_by_global_norm",
    "global_norm",
]
