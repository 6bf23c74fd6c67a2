"""Argument checks shared by the optimizers, moving averages and clipping: each names the
argument and says what to pass instead."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def check_variable(var: Any, where: str) -> np.ndarray:
    """A variable is a writeable NumPy array of floats (updated in place)."""
    if not isinstance(var, np.ndarray):
        raise TypeError(
            f"{where} must be a NumPy float array, which can be updated in place (var[...] = ...); "
            f"got {describe(var)}. Wrap it: np.array({var!r}, dtype=np.float32)"
        )
    if not np.issubdtype(var.dtype, np.floating):
        raise TypeError(f"{where} must be a NumPy array of floats (float16/32/64); got {describe(var)}")
    if not var.flags.writeable:
        raise TypeError(f"{where} must be writeable, so that it can be updated in place; got a read-only array")
    return var


def check_var_list(var_list: Any) -> list[np.ndarray]:
    if isinstance(var_list, np.ndarray) or not isinstance(var_list, (list, tuple)):
        raise TypeError(f"var_list must be a list or tuple of NumPy float arrays; got {describe(var_list)}")
    if not var_list:
        raise ValueError("No variables to optimize: var_list is empty.")
    return [check_variable(v, f"var_list[{i}]") for i, v in enumerate(var_list)]


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                  low_open: bool = False, high_open: bool = False) -> float:
    """A real hyper-parameter within [low, high] (or an open end): ValueError naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {value:g}")
    return value


def check_global_step(global_step: Any) -> np.ndarray | None:
    if global_step is None:
        return None
    if (not isinstance(global_step, np.ndarray) or global_step.ndim != 0
            or not np.issubdtype(global_step.dtype, np.integer) or not global_step.flags.writeable):
        raise TypeError(
            "global_step must be a writeable 0-d integer NumPy array (see create_global_step()), "
            f"incremented in place; got {describe(global_step)}"
        )
    return global_step
