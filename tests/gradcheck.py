"""Small pieces the gradient-checking tests share: random seeds and directions shaped
and typed like a value, the outputs of a function as a tuple, and a float64 inner product."""

from __future__ import annotations

from typing import Any

import numpy as np


def outputs(out: Any) -> tuple:
    """A function's return value as a tuple of outputs."""
    return out if isinstance(out, tuple) else (out,)


def random_like(rng: np.random.Generator, value: Any) -> Any:
    """Standard normal values shaped and typed like `value` (a float for a Python float)."""
    if type(value) is float:
        return float(rng.standard_normal())
    sample = rng.standard_normal(np.shape(value))
    dtype = np.result_type(value)
    return np.asarray(sample, dtype=dtype) if np.ndim(value) else dtype.type(sample)


def inner(a: Any, b: Any) -> float:
    """<a, b> in float64."""
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))
