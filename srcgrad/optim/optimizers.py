"""The optimizers of `tf.train`: `compute_gradients` → `apply_gradients`, or `minimize` for both,
with TF1's update kernels (see the table in `srcgrad.optim`)."""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .checks import check_global_step, check_number, check_var_list, check_variable, describe

GradsAndVars = Sequence[tuple[Any, np.ndarray]]


def create_global_step() -> np.ndarray:
    """A step counter for ``global_step=``: a 0-d int64 array, 0, incremented in place by each update."""
    return np.zeros((), dtype=np.int64)


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
            raise TypeError(f"loss_fn must be a Python function of the variables, got {describe(loss_fn)}")
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
        variables = check_var_list(var_list)
        _, grads = self._value_and_gradients(loss_fn, variables, args)
        return list(zip(grads, variables))

    def minimize(self, loss_fn: Callable[..., Any], var_list: Sequence[np.ndarray], *args: Any,
                 global_step: np.ndarray | None = None) -> Any:
        """One step: compute the gradients and apply them. Returns the loss *before* the step.

        ``ValueError`` if no variable gets a gradient (the loss does not depend on any).
        """
        variables = check_var_list(var_list)
        check_global_step(global_step)
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
                raise TypeError(f"grads_and_vars[{i}] must be a (gradient, variable) pair, got {describe(pair)}")
            grad, var = pair
            check_variable(var, f"the variable of grads_and_vars[{i}]")
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
        check_global_step(global_step)
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
        self._learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)

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
        self._learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        self._momentum = check_number(momentum, "momentum", low=0.0)
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
        self._learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        self._beta1 = check_number(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self._beta2 = check_number(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self._epsilon = check_number(epsilon, "epsilon", low=0.0)
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
        self._learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        self._decay = check_number(decay, "decay", low=0.0, high=1.0)
        self._momentum = check_number(momentum, "momentum", low=0.0)
        self._epsilon = check_number(epsilon, "epsilon", low=0.0)
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
        self._learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
        if isinstance(initial_accumulator_value, numbers.Real) and not isinstance(initial_accumulator_value, bool) \
                and initial_accumulator_value <= 0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        self._initial_accumulator_value = check_number(initial_accumulator_value, "initial_accumulator_value")

    def _create_slots(self, var: np.ndarray) -> dict[str, np.ndarray]:
        return {"accumulator": np.full_like(var, self._initial_accumulator_value)}

    def _apply_dense(self, grad: np.ndarray, var: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        lr = var.dtype.type(self._learning_rate)
        accum = slots["accumulator"]
        accum += grad * grad
        var -= grad * lr * (var.dtype.type(1) / np.sqrt(accum))
