"""`tf.train.ExponentialMovingAverage`: shadow copies of variables tracking their moving average."""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from .checks import check_number, check_variable, describe


class ExponentialMovingAverage:
    """Shadow copies of variables that track their moving average (``tf.train.ExponentialMovingAverage``).

    ``apply(var_list)`` updates ``shadow -= (1 - decay) * (shadow - var)`` for each
    variable. A variable's shadow starts at the variable's value the first time
    ``apply`` sees it (TF starts it at the variable's initial value; call ``apply``
    once before changing the variable to get the same). With ``num_updates`` (a
    number, or a 0-d integer array such as a global step, read at every ``apply``)
    the decay used is ``min(decay, (1 + num_updates) / (10 + num_updates))``.
    As in TF, the decay is computed in float32.
    """

    def __init__(self, decay: float, num_updates: Any = None, name: str = "ExponentialMovingAverage"):
        self._decay = check_number(decay, "decay", low=0.0, high=1.0)
        if num_updates is not None and not (
            (isinstance(num_updates, numbers.Integral) and not isinstance(num_updates, bool))
            or (isinstance(num_updates, np.ndarray) and num_updates.ndim == 0
                and np.issubdtype(num_updates.dtype, np.integer))
        ):
            raise TypeError(f"num_updates must be an integer or a 0-d integer array, got {describe(num_updates)}")
        self._num_updates = num_updates
        self._name = name
        self._averages: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _current_decay(self) -> np.float32:
        decay = np.float32(self._decay)
        if self._num_updates is not None:
            n = np.float32(int(self._num_updates))
            decay = min(decay, (np.float32(1) + n) / (np.float32(10) + n))
        return decay

    def apply(self, var_list: Sequence[np.ndarray]) -> None:
        """Create shadows for new variables, then move every shadow towards its variable."""
        if isinstance(var_list, np.ndarray) or not isinstance(var_list, (list, tuple)):
            raise TypeError(f"var_list must be a list or tuple of NumPy float arrays; got {describe(var_list)}")
        variables = [check_variable(v, f"var_list[{i}]") for i, v in enumerate(var_list)]
        one_minus_decay = np.float32(1) - self._current_decay()
        for var in variables:
            entry = self._averages.get(id(var))
            if entry is None or entry[0] is not var:
                entry = (var, var.copy())
                self._averages[id(var)] = entry
            shadow = entry[1]
            shadow -= (shadow - var) * var.dtype.type(one_minus_decay)

    def average(self, var: np.ndarray) -> np.ndarray | None:
        """The shadow (moving average) of ``var``, or ``None`` if ``apply`` has never seen it."""
        entry = self._averages.get(id(var))
        if entry is None or entry[0] is not var:
            return None
        return entry[1]

    def average_name(self, var: np.ndarray) -> str:
        """TF's name for the shadow variable (there are no names here: for messages only)."""
        return f"{self._name}"
