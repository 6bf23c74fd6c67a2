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

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Sequence

import numpy as np

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

GradsAndVars = Sequence[tuple[Any, np.ndarray]]


# --- argument checks ---------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def _check_variable(var: Any, where: str) -> np.ndarray:
    """A variable is a writeable NumPy array of floats (updated in place)."""
    if not isinstance(var, np.ndarray):
        raise TypeError(
            f"{where} must be a NumPy float array, which can be updated in place (var[...] = ...); "
            f"got {_describe(var)}. Wrap it: np.array({var!r}, dtype=np.float32)"
        )
    if not np.issubdtype(var.dtype, np.floating):
        raise TypeError(f"{where} must be a NumPy array of floats (float16/32/64); got {_describe(var)}")
    if not var.flags.writeable:
        raise TypeError(f"{where} must be writeable, so that it can be updated in place; got a read-only array")
    return var


def _check_var_list(var_list: Any) -> list[np.ndarray]:
    if isinstance(var_list, np.ndarray) or not isinstance(var_list, (list, tuple)):
        raise TypeError(f"var_list must be a list or tuple of NumPy float arrays; got {_describe(var_list)}")
    if not var_list:
        raise ValueError("No variables to optimize: var_list is empty.")
    return [_check_variable(v, f"var_list[{i}]") for i, v in enumerate(var_list)]


def _check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                  low_open: bool = False, high_open: bool = False) -> float:
    """A real hyper-parameter within [low, high] (or an open end): ValueError naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {value:g}")
    return value


def _check_global_step(global_step: Any) -> np.ndarray | None:
    if global_step is None:
        return None
    if (not isinstance(global_step, np.ndarray) or global_step.ndim != 0
            or not np.issubdtype(global_step.dtype, np.integer) or not global_step.flags.writeable):
        raise TypeError(
            "global_step must be a writeable 0-d integer NumPy array (see create_global_step()), "
            f"incremented in place; got {_describe(global_step)}"
        )
    return global_step


def create_global_step() -> np.ndarray:
    """A step counter for ``global_step=``: a 0-d int64 array, 0, incremented in place by each update."""
    return np.zeros((), dtype=np.int64)


# --- optimizers -------------------------------------------------------------------------


class Optimizer:
    """Base class: compute_gradients → (process them) → apply_gradients, or minimize for both.

    Subclasses define ``_create_slots(var)`` (the per-variable state, by name) and
    ``_apply_dense(grad, var, slots)`` (one in-place update, in ``var``'s dtype).
    """

    def __init__(self, name: str):
        self._name = name
        self._slots: dict[int, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        self._gradient_functions: dict[tuple[Any, int], Callable[..., Any]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r})"

    # -- gradients --------------------------------------------------------------------
    def _value_and_gradients(self, loss_fn: Callable[..., Any], var_list: list[np.ndarray],
                             args: tuple) -> tuple[Any, list[Any]]:
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be a Python function of the variables, got {_describe(loss_fn)}")
        key = (loss_fn, len(var_list))
        gradient_function = self._gradient_functions.get(key)
        if gradient_function is None:
            import srcgrad

            gradient_function = srcgrad.value_and_grad(loss_fn, wrt=tuple(range(len(var_list))))
            self._gradient_functions[key] = gradient_function
        value, grads = gradient_function(*var_list, *args)
        return value, list(grads)

    def compute_gradients(self, loss_fn: Callable[..., Any], var_list: Sequence[np.ndarray],
                          *args: Any) -> list[tuple[Any, np.ndarray]]:
        """``[(gradient, variable), ...]`` of ``loss_fn(*var_list, *args)``, one pair per variable.

        The gradient is ``None`` for a variable the loss does not depend on (TF). A
        loss with a non-scalar value is summed first, as ``tf.gradients`` does.
        """
        variables = _check_var_list(var_list)
        _, grads = self._value_and_gradients(loss_fn, variables, args)
        return list(zip(grads, variables))

    def minimize(self, loss_fn: Callable[..., Any], var_list: Sequence[np.ndarray], *args: Any,
                 global_step: np.ndarray | None = None) -> Any:
        """One step: compute the gradients and apply them. Returns the loss *before* the step.

        ``ValueError`` if no variable gets a gradient (the loss does not depend on any).
        """
        variables = _check_var_list(var_list)
        _check_global_step(global_step)
        value, grads = self._value_and_gradients(loss_fn, variables, args)
        if all(g is None for g in grads):
            names = [f"<variable {i}: shape={v.shape} dtype={v.dtype}>" for i, v in enumerate(variables)]
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not support "
                f"gradients, between variables {names} and loss {getattr(loss_fn, '__qualname__', loss_fn)}."
            )
        self.apply_gradients(list(zip(grads, variables)), global_step=global_step)
        return value

    # -- updates ------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, np.ndarray]],
                        global_step: np.ndarray | None = None) -> None:
        """Update each variable in place from its gradient (pairs with a ``None`` gradient are skipped).

        Then increments ``global_step`` (a 0-d integer array), if given, by one.
        ``ValueError`` if every gradient is ``None``.
        """
        pairs = list(grads_and_vars)
        if not pairs:
            raise ValueError("No variables provided.")
        checked = []
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"grads_and_vars[{i}] must be a (gradient, variable) pair, got {_describe(pair)}")
            grad, var = pair
            _check_variable(var, f"the variable of grads_and_vars[{i}]")
            if grad is not None:
                grad = np.asarray(grad)
                if grad.shape != var.shape:
                    raise ValueError(
                        f"grads_and_vars[{i}]: the gradient has shape {grad.shape} but its variable has shape "
                        f"{var.shape}"
                    )
                grad = grad.astype(var.dtype, copy=False)
            checked.append((grad, var))
        if all(g is None for g, _ in checked):
            names = [f"<variable {i}: shape={v.shape} dtype={v.dtype}>" for i, (_, v) in enumerate(checked)]
            raise ValueError(f"No gradients provided for any variable: {names}.")
        _check_global_step(global_step)
        for grad, var in checked:
            if grad is not None:
                self._apply_dense(grad, var, self._slots_of(var))
        self._finish()
        if global_step is not None:
            global_step[...] += 1

    def _slots_of(self, var: np.ndarray) -> dict[str, np.ndarray]:
        entry = self._slots.get(id(var))
        if entry is None or entry[0] is not var:
            entry = (var, self._create_slots(var))
            self._slots[id(var)] = entry
        return entry[1]

    def get_slot_names(self) -> list[str]:
        """Names of the per-variable state this optimizer keeps (TF: ``get_slot_names``)."""
        return sorted(self._create_slots(np.zeros((), dtype=np.float32)))

    def get_slot(self, var: np.ndarray, name: str) -> np.ndarray | None:
        """The slot ``name`` of ``var`` (e.g. Adam's ``"m"``), or ``None`` before its first update."""
        entry = self._slots.get(id(var))
        if entry is None or entry[0] is not var:
            return None
        return entry[1].get(name)

    def _create_slots(self, var: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """After every variable is updated (Adam advances its beta powers here)."""


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad`` (``tf.train.GradientDescentOptimizer``)."""

    def __init__(self, learning_rate: float, name: str = "GradientDescent"):
        super().__init__(name)
        self._learning_rate = _check_number(learning_rate, "learning_rate", low=0.0, low_open=True)

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        lr = var.dtype.type(self._learning_rate)
        var -= grad * lr


class MomentumOptimizer(Optimizer):
    """``tf.train.MomentumOptimizer(learning_rate, momentum, use_nesterov=False)``.

    Slot ``"momentum"`` (the accumulator ``a``, starting at 0): ``a = momentum * a + g``,
    then ``var -= lr * a``, or with Nesterov ``var -= lr * g + lr * momentum * a``.
    """

    def __init__(self, learning_rate: float, momentum: float, use_nesterov: bool = False, name: str = "Momentum"):
        super().__init__(name)
        self._learning_rate = _check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        self._momentum = _check_number(momentum, "momentum", low=0.0)
        self._use_nesterov = bool(use_nesterov)

    def _create_slots(self, var: np.ndarray) -> dict[str, np.ndarray]:
        return {"momentum": np.zeros_like(var)}

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        lr = var.dtype.type(self._learning_rate)
        momentum = var.dtype.type(self._momentum)
        accum = slots["momentum"]
        accum[...] = accum * momentum + grad
        if self._use_nesterov:
            var -= grad * lr + accum * momentum * lr
        else:
            var -= accum * lr


class AdamOptimizer(Optimizer):
    """``tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08)``.

    Slots ``"m"`` and ``"v"`` start at 0; the beta powers (float32, shared by all
    variables of this optimizer, like TF's non-slot variables) start at beta1 and
    beta2 and are multiplied by them after each ``apply_gradients``.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-08, name: str = "Adam"):
        super().__init__(name)
        self._learning_rate = _check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        self._beta1 = _check_number(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self._beta2 = _check_number(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self._epsilon = _check_number(epsilon, "epsilon", low=0.0)
        self._beta1_power = np.float32(self._beta1)
        self._beta2_power = np.float32(self._beta2)

    def _get_beta_accumulators(self) -> tuple[np.float32, np.float32]:
        """``(beta1_power, beta2_power)`` to be used by the next step (TF's name for them)."""
        return self._beta1_power, self._beta2_power

    def _create_slots(self, var: np.ndarray) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(var), "v": np.zeros_like(var)}

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        t = var.dtype.type
        one = t(1)
        lr, beta1, beta2, epsilon = t(self._learning_rate), t(self._beta1), t(self._beta2), t(self._epsilon)
        alpha = lr * np.sqrt(one - t(self._beta2_power)) / (one - t(self._beta1_power))
        m, v = slots["m"], slots["v"]
        m += (grad - m) * (one - beta1)
        v += (grad * grad - v) * (one - beta2)
        var -= (m * alpha) / (np.sqrt(v) + epsilon)

    def _finish(self) -> None:
        self._beta1_power = self._beta1_power * np.float32(self._beta1)
        self._beta2_power = self._beta2_power * np.float32(self._beta2)


class RMSPropOptimizer(Optimizer):
    """``tf.train.RMSPropOptimizer(learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, centered=False)``.

    Slots: ``"rms"`` (starts at **1.0**, as TF1), ``"momentum"`` (0), and ``"mg"``
    (0, centered only). ``ms += (g² - ms)(1 - decay)``; ``mom = momentum * mom + lr * g
    / sqrt(ms + epsilon)`` (centered: ``sqrt(ms - mg² + epsilon)``); ``var -= mom``.
    """

    def __init__(self, learning_rate: float, decay: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-10,
                 centered: bool = False, name: str = "RMSProp"):
        super().__init__(name)
        self._learning_rate = _check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        self._decay = _check_number(decay, "decay", low=0.0, high=1.0)
        self._momentum = _check_number(momentum, "momentum", low=0.0)
        self._epsilon = _check_number(epsilon, "epsilon", low=0.0)
        self._centered = bool(centered)

    def _create_slots(self, var: np.ndarray) -> dict[str, np.ndarray]:
        slots = {"rms": np.ones_like(var), "momentum": np.zeros_like(var)}
        if self._centered:
            slots["mg"] = np.zeros_like(var)
        return slots

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        t = var.dtype.type
        lr, rho, momentum, epsilon = t(self._learning_rate), t(self._decay), t(self._momentum), t(self._epsilon)
        ms, mom = slots["rms"], slots["momentum"]
        ms += (grad * grad - ms) * (t(1) - rho)
        if self._centered:
            mg = slots["mg"]
            mg += (grad - mg) * (t(1) - rho)
            denominator = (ms - mg * mg) + epsilon
        else:
            denominator = ms + epsilon
        mom[...] = mom * momentum + (grad * lr) / np.sqrt(denominator)
        var -= mom


class AdagradOptimizer(Optimizer):
    """``tf.train.AdagradOptimizer(learning_rate, initial_accumulator_value=0.1)``.

    Slot ``"accumulator"`` starts at ``initial_accumulator_value``:
    ``acc += g²``; ``var -= lr * g / sqrt(acc)``.
    """

    def __init__(self, learning_rate: float, initial_accumulator_value: float = 0.1, name: str = "Adagrad"):
        super().__init__(name)
        self._learning_rate = _check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        if isinstance(initial_accumulator_value, numbers.Real) and not isinstance(initial_accumulator_value, bool) \
                and initial_accumulator_value <= 0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        self._initial_accumulator_value = _check_number(initial_accumulator_value, "initial_accumulator_value")

    def _create_slots(self, var: np.ndarray) -> dict[str, np.ndarray]:
        return {"accumulator": np.full_like(var, self._initial_accumulator_value)}

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        lr = var.dtype.type(self._learning_rate)
        accum = slots["accumulator"]
        accum += grad * grad
        var -= grad * lr * (var.dtype.type(1) / np.sqrt(accum))


# --- moving averages -----------------------------------------------------------------------


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
        self._decay = _check_number(decay, "decay", low=0.0, high=1.0)
        if num_updates is not None and not (
            (isinstance(num_updates, numbers.Integral) and not isinstance(num_updates, bool))
            or (isinstance(num_updates, np.ndarray) and num_updates.ndim == 0
                and np.issubdtype(num_updates.dtype, np.integer))
        ):
            raise TypeError(f"num_updates must be an integer or a 0-d integer array, got {_describe(num_updates)}")
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
            raise TypeError(f"var_list must be a list or tuple of NumPy float arrays; got {_describe(var_list)}")
        variables = [_check_variable(v, f"var_list[{i}]") for i, v in enumerate(var_list)]
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


# --- clipping --------------------------------------------------------------------------------
# clip_by_value and clip_by_norm are plain NumPy that srcgrad differentiates through.


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
        raise TypeError(f"t_list should be a list or tuple of arrays, got {_describe(t_list)}")
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
        raise TypeError(f"t_list should be a list or tuple of arrays, got {_describe(t_list)}")
    clip_norm = _check_number(clip_norm, "clip_norm", low=0.0, low_open=True)
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
