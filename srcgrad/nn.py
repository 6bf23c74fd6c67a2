"""Activations and losses with TensorFlow 1.x semantics, written for srcgrad to differentiate.

Every function here is plain NumPy in the subset srcgrad transforms (assignments,
arithmetic, ``np.*`` calls, ``np.where``), so ``srcgrad.grad`` of a loss that calls
them differentiates *through* them: none has a hand-written derivative rule, and
the adjoint srcgrad prints shows their math.

Conventions follow TensorFlow (``tf.nn``, ``tf.compat.v1.losses``):

- Kinks: ``relu'(0) = 0``, ``relu6'(0) = relu6'(6) = 0`` (``np.where`` on the
  open interval, not ``np.maximum``, whose ties would send the gradient to ``x``).
- Stability: ``softmax``/``log_softmax`` subtract the maximum under
  ``stop_gradient`` (the result does not depend on the shift, so no gradient is
  lost); ``sigmoid``, ``softplus`` and ``sigmoid_cross_entropy_with_logits``
  only ever exponentiate ``-|x|``, so nothing overflows for large ``|x|``.
- ``softmax_cross_entropy_with_logits`` is TF's ``_v2``: the gradient also flows
  into ``labels``; ``labels`` may broadcast to the shape of ``logits``.
- Shapes that do not fit raise ``ValueError`` naming both shapes.

Dtypes are preserved: float32 in, float32 out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rules import is_nondifferentiable, nondifferentiable
from .runtime.core import stop_gradient

__all__ = [
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softplus",
    "softsign",
    "relu_layer",
    "l2_loss",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "sigmoid_cross_entropy_with_logits",
    "mean_squared_error",
]


# --- shape checks --------------------------------------------------------------
# They run as ordinary calls inside the differentiated code (srcgrad never looks
# into them: they are declared nondifferentiable below) and take shapes, not arrays.


def _loss_shape(loss: str, labels_name: str, labels_shape: tuple, other_name: str, other_shape: tuple,
                broadcast: bool) -> tuple:
    """The shape `labels` is used at; ValueError (naming both shapes) if they do not fit."""
    labels_shape = tuple(labels_shape)
    other_shape = tuple(other_shape)
    if labels_shape == other_shape:
        return other_shape
    if broadcast:
        try:
            common = np.broadcast_shapes(labels_shape, other_shape)
        except ValueError:
            common = None
        if common == other_shape:
            return other_shape
        raise ValueError(
            f"{loss}: {labels_name} of shape {labels_shape} do not broadcast to the shape of "
            f"{other_name} {other_shape}"
        )
    raise ValueError(
        f"{loss}: {labels_name} and {other_name} must have the same shape, got {labels_name} of shape "
        f"{labels_shape} and {other_name} of shape {other_shape}"
    )


if not is_nondifferentiable(_loss_shape):
    nondifferentiable(_loss_shape)


# --- activations ----------------------------------------------------------------


def relu(x: Any) -> Any:
    """max(x, 0), with relu'(0) = 0 as in TensorFlow (gradient only where x > 0)."""
    # Where x <= 0 the value is a constant: 0, or x itself at x = -0.0 and NaN (as TF's Relu kernel).
    at_most_zero = np.where(x < 0, np.zeros_like(x), x)
    return np.where(x > 0, x, stop_gradient(at_most_zero))


def relu6(x: Any) -> Any:
    """min(max(x, 0), 6), with derivative 1 on the open interval (0, 6) only (relu6'(0) = relu6'(6) = 0)."""
    inside = (x > 0) & (x < 6)
    outside = np.where(x >= 6, 6 * np.ones_like(x), np.where(x < 0, np.zeros_like(x), x))
    return np.where(inside, x, stop_gradient(outside))


def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)), computed from exp(-|x|) so that no exponential overflows."""
    nonnegative = x >= 0
    # -|x|, written so that at x = 0 the gradient follows the x >= 0 branch (sigmoid'(0) = 1/4).
    neg_abs = np.where(nonnegative, -x, x)
    z = np.exp(neg_abs)
    return np.where(nonnegative, 1 / (1 + z), z / (1 + z))


def tanh(x: Any) -> Any:
    """Hyperbolic tangent (derivative 1 - tanh(x)**2, as TF's TanhGrad)."""
    return np.tanh(x)


def softmax(logits: Any, axis: int = -1) -> Any:
    """exp(logits) / sum(exp(logits)) along `axis`, shifted by the (gradient-free) maximum."""
    shifted = logits - stop_gradient(np.max(logits, axis=axis, keepdims=True))
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(logits: Any, axis: int = -1) -> Any:
    """logits - log(sum(exp(logits))) along `axis` (log-sum-exp with the maximum subtracted)."""
    shifted = logits - stop_gradient(np.max(logits, axis=axis, keepdims=True))
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softplus(x: Any) -> Any:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)); its derivative is sigmoid(x)."""
    nonnegative = x >= 0
    # At x = 0 both pieces follow the x >= 0 branch: 1 + (-1/2) = sigmoid(0).
    positive_part = np.where(nonnegative, x, np.zeros_like(x))
    neg_abs = np.where(nonnegative, -x, x)
    return positive_part + np.log1p(np.exp(neg_abs))


def softsign(x: Any) -> Any:
    """x / (1 + |x|); derivative 1 / (1 + |x|)**2."""
    return x / (1 + np.abs(x))


def relu_layer(x: Any, weights: Any, biases: Any) -> Any:
    """relu(x @ weights + biases), TF1's tf.nn.relu_layer (gradient 0 where the pre-activation is 0)."""
    pre = np.matmul(x, weights) + biases
    at_most_zero = np.where(pre < 0, np.zeros_like(pre), pre)
    return np.where(pre > 0, pre, stop_gradient(at_most_zero))


# --- losses ---------------------------------------------------------------------


def l2_loss(t: Any) -> Any:
    """sum(t ** 2) / 2, TF's tf.nn.l2_loss (note the half)."""
    return np.sum(t * t) / 2


def softmax_cross_entropy_with_logits(labels: Any, logits: Any, axis: int = -1) -> Any:
    """-sum(labels * log_softmax(logits)) along `axis`: one loss per example.

    TF's ``softmax_cross_entropy_with_logits_v2``: the gradient flows into both
    ``logits`` (softmax - labels, for labels summing to 1) and ``labels``
    (-log_softmax). ``labels`` must broadcast to the shape of ``logits`` (e.g. a
    one-hot vector of shape (10,) against logits of shape (1, 10), as in the seed);
    the result has the shape of ``logits`` without ``axis``.
    """
    shape = _loss_shape("softmax_cross_entropy_with_logits", "labels", np.shape(labels), "logits",
                        np.shape(logits), True)
    labels = np.broadcast_to(labels, shape)
    shifted = logits - stop_gradient(np.max(logits, axis=axis, keepdims=True))
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return -np.sum(labels * log_probs, axis=axis)


softmax_cross_entropy_with_logits_v2 = softmax_cross_entropy_with_logits


def sigmoid_cross_entropy_with_logits(labels: Any, logits: Any) -> Any:
    """Elementwise -z*log(sigmoid(x)) - (1-z)*log(1-sigmoid(x)) for labels z, logits x.

    Computed as TF does: max(x, 0) - x*z + log1p(exp(-|x|)), with the kinks
    resolved so that the gradient is sigmoid(x) - z everywhere, x = 0 included.
    ``labels`` and ``logits`` must have the same shape.
    """
    shape = _loss_shape("sigmoid_cross_entropy_with_logits", "labels", np.shape(labels), "logits",
                        np.shape(logits), False)
    labels = np.broadcast_to(labels, shape)
    nonnegative = logits >= 0
    relu_logits = np.where(nonnegative, logits, np.zeros_like(logits))
    neg_abs_logits = np.where(nonnegative, -logits, logits)
    return relu_logits - logits * labels + np.log1p(np.exp(neg_abs_logits))


def mean_squared_error(labels: Any, predictions: Any) -> Any:
    """mean((labels - predictions) ** 2) over every element (tf.compat.v1.losses.mean_squared_error).

    ``labels`` and ``predictions`` must have the same shape.
    """
    shape = _loss_shape("mean_squared_error", "labels", np.shape(labels), "predictions",
                        np.shape(predictions), False)
    labels = np.broadcast_to(labels, shape)
    diff = predictions - labels
    return np.mean(diff * diff)
