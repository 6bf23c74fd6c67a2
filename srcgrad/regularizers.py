"""Weight regularizers with TensorFlow 1.x ``tf.contrib.layers`` semantics.

A regularizer is a function ``weights -> scalar penalty`` (or ``None``, for a
disabled one). The penalties are plain NumPy that srcgrad differentiates
through, so a loss can call them::

    reg = l2_regularizer(0.2)

    def loss(W, b, X, Y):
        return mean_squared_error(Y, X @ W + b) + reg(W)

Definitions, exactly as TF1 (not Keras, whose L2 has no ½):

=========================== =============================================
``l1_regularizer(s)(w)``    ``s * sum(|w|)``        (gradient ``s*sign(w)``, 0 at 0)
``l2_regularizer(s)(w)``    ``s * sum(w**2) / 2``   (gradient ``s*w``)
``l1_l2_regularizer(a, b)`` ``sum_regularizer([l1_regularizer(a), l2_regularizer(b)])``
``sum_regularizer(list)``   the sum of the non-``None`` penalties, ``None`` if there are none
=========================== =============================================

A scale that is an integer, or negative, raises ``ValueError`` when the
regularizer is made; a scale of 0.0 gives a regularizer that returns ``None``.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

from .rules import is_nondifferentiable, nondifferentiable

__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "apply_regularization"]

Regularizer = Callable[[Any], Any]


def _disabled(weights: Any) -> None:
    """The regularizer of scale 0.0: no penalty at all (TF returns ``lambda _: None``)."""
    return None


def _checked_scale(scale: Any, what: str, trailing: str) -> float:
    if isinstance(scale, bool) or isinstance(scale, numbers.Integral):
        raise ValueError(f"{what} cannot be an integer: {scale}")
    if not isinstance(scale, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(scale).__name__}")
    if scale < 0.0:
        raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}{trailing}")
    return float(scale)


def l1_regularizer(scale: float) -> Regularizer:
    """``weights -> scale * sum(|weights|)``; ``scale`` a non-negative float (0.0 disables it)."""
    scale = _checked_scale(scale, "scale", "")
    if scale == 0.0:
        return _disabled

    def l1(weights: Any) -> Any:
        return scale * np.sum(np.abs(weights))

    return l1


def l2_regularizer(scale: float) -> Regularizer:
    """``weights -> scale * sum(weights ** 2) / 2`` (``scale * tf.nn.l2_loss``); 0.0 disables it."""
    scale = _checked_scale(scale, "scale", ".")
    if scale == 0.0:
        return _disabled

    def l2(weights: Any) -> Any:
        return scale * (np.sum(weights * weights) / 2)

    return l2


def _add(first: Regularizer, second: Regularizer) -> Regularizer:
    """The sum of two regularizers, skipping a ``None`` penalty (as TF's add_n over non-None ones)."""

    def summed(weights: Any) -> Any:
        a = first(weights)
        b = second(weights)
        if a is None:
            return b
        if b is None:
            return a
        return a + b

    return summed


def sum_regularizer(regularizer_list: Sequence[Regularizer | None]) -> Regularizer | None:
    """A regularizer summing those in the list (``None`` entries dropped); ``None`` for an empty list."""
    regularizers = [r for r in regularizer_list if r is not None]
    if not regularizers:
        return None
    for r in regularizers:
        if not callable(r):
            raise TypeError(f"sum_regularizer needs callables, got {type(r).__name__}")
    # Pairwise closures, so that each call is to a function known when srcgrad compiles.
    total = regularizers[0]
    for r in regularizers[1:]:
        total = _add(total, r)
    return total


def l1_l2_regularizer(scale_l1: float = 1.0, scale_l2: float = 1.0) -> Regularizer:
    """``l1_regularizer(scale_l1)`` plus ``l2_regularizer(scale_l2)``; a zero scale drops that term."""
    if isinstance(scale_l1, bool) or isinstance(scale_l1, numbers.Integral):
        raise ValueError(f"scale_l1 cannot be an integer: {scale_l1}")
    if isinstance(scale_l2, bool) or isinstance(scale_l2, numbers.Integral):
        raise ValueError(f"scale_l2 cannot be an integer: {scale_l2}")
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1)
    combined = sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)])
    assert combined is not None
    return combined


def _check_regularization(regularizer: Any, count: int) -> int:
    """Arguments of apply_regularization: a callable and at least one weight."""
    if not callable(regularizer):
        raise TypeError(f"regularizer must be callable, got {type(regularizer).__name__}")
    if count == 0:
        raise ValueError("No weights to regularize.")
    return count


def _check_penalty_rank(rank: int) -> int:
    if rank != 0:
        raise ValueError(f"regularizer must return a scalar instead of a value with rank {rank}.")
    return rank


# Argument checks run as plain calls inside differentiated code; srcgrad never looks into them.
for _check in (_check_regularization, _check_penalty_rank):
    if not is_nondifferentiable(_check):
        nondifferentiable(_check)


def apply_regularization(regularizer: Regularizer, weights_list: Sequence[Any]) -> Any:
    """The sum of ``regularizer(w)`` over ``weights_list``; a ``None`` penalty counts as 0.

    TF1 also adds the result to the ``REGULARIZATION_LOSSES`` collection; there
    are no collections here: add the returned penalty to your loss. An empty
    ``weights_list`` raises ``ValueError('No weights to regularize.')`` and a
    penalty that is not a scalar raises ``ValueError``, as in TF. srcgrad
    differentiates through it when ``weights_list`` is a list written in the
    differentiated function, e.g. ``apply_regularization(reg, [W1, W2])``.
    """
    _check_regularization(regularizer, len(weights_list))
    total = 0.0
    for w in weights_list:
        penalty = regularizer(w)
        if penalty is not None:
            total = total + penalty
    _check_penalty_rank(np.ndim(total))
    return total
