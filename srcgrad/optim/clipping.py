"""Gradient clipping (`tf.clip_by_value`, `clip_by_norm`, `clip_by_global_norm`, `global_norm`).

`clip_by_value` and `clip_by_norm` are plain NumPy that srcgrad differentiates through."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .checks import check_number, describe


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any) -> Any:
    """``maximum(minimum(t, max), min)`` as TF: gradient 1 inside [min, max] *and at the bounds*, 0 outside."""
    return np.maximum(np.minimum(t, clip_value_max), clip_value_min)


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None) -> Any:
    """``t * clip_norm / max(||t||, clip_norm)``, the L2 norm over ``axes`` (all by default); 0 stays 0."""
    l2sum = np.sum(t * t, axis=axes, keepdims=True)
    positive = l2sum > 0
    l2sum_safe = np.where(positive, l2sum, np.ones_like(l2sum))
    l2norm = np.where(positive, np.sqrt(l2sum_safe), l2sum)
    return t * clip_norm / np.maximum(l2norm, clip_norm)


def global_norm(t_list: Sequence[Any]) -> Any:
    """``sqrt(sum of sum(t ** 2))`` over the non-``None`` arrays of ``t_list``."""
    if isinstance(t_list, (str, bytes, np.ndarray)) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"t_list should be a list or tuple of arrays, got {describe(t_list)}")
    half_squared = [np.sum(np.asarray(t) * np.asarray(t)) / 2 for t in t_list if t is not None]
    if not half_squared:
        return np.float32(0.0)
    total = half_squared[0]
    for h in half_squared[1:]:
        total = total + h
    return np.sqrt(total * 2)


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: float,
                        use_norm: Any = None) -> tuple[list[Any], Any]:
    """Scale every array by ``clip_norm / max(global_norm, clip_norm)``; returns ``(clipped_list, global_norm)``.

    ``None`` entries stay ``None``. If the global norm is infinite or NaN, every
    entry becomes NaN (TF does the same).
    """
    if isinstance(t_list, (str, bytes, np.ndarray)) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"t_list should be a list or tuple of arrays, got {describe(t_list)}")
    clip_norm = check_number(clip_norm, "clip_norm", low=0.0, low_open=True)
    norm = global_norm(t_list) if use_norm is None else use_norm
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_for_finite = clip_norm * np.minimum(1.0 / norm, 1.0 / clip_norm)
        scale = scale_for_finite + (norm - norm)  # NaN when the norm is not finite
    clipped = []
    for t in t_list:
        if t is None:
            clipped.append(None)
        else:
            t = np.asarray(t)
            clipped.append(np.asarray(t * np.asarray(scale).astype(t.dtype)))
    return clipped, norm
