"""The input fuzzer: fixed differentiable functions called through `srcgrad.grad` with bad
inputs (wrong types, ragged lists, NaN/inf, empty, 0-d, integer, boolean, high-rank,
complex, object and masked arrays, ...).

`classify(fn, inputs)` says what happened:

- ``gradient``: a gradient came back (checked against central differences where the
  input is a float array or a Python float and everything is finite);
- ``srcgrad_error``: a `srcgrad.SrcgradError`;
- ``named_error``: a TypeError/ValueError whose message names the argument;
- ``user_error``: an exception of the type the function itself raises on these inputs;
- ``violation:...``: anything else: ``raw_generated`` (an exception from generated code
  that the function itself does not raise), ``raw_internal`` (from srcgrad's own
  modules), ``raw_other``, ``wrong_gradient`` (finite differences disagree),
  ``bad_gradient_type`` (shape/dtype/type unlike the input), ``none_gradient`` (None
  for a float input the output depends on).
"""

from __future__ import annotations

import decimal
import math
import os
import traceback
from typing import Any, Callable

import numpy as np

import srcgrad

W = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [0.0, 0.2, 0.6]])


def poly(x):
    return np.sum(x ** 3 - 2.0 * x)


def trig(x):
    return np.sum(np.sin(x) * np.cos(x))


def loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.tanh(x * i))
    return s


def branch(x):
    if np.sum(x) > 0:
        return np.sum(x * x)
    return np.sum(np.exp(x))


def item_write(x):
    y = x.copy()
    y[0] = 0.0
    return np.sum(y * y)


def matvec(x):
    return np.sum(np.tanh(x @ W))


def reduce_axis(x):
    return np.sum(np.max(x, axis=0))


def softplus(x):
    return np.sum(np.logaddexp(0.0, x))


def scalar_math(x):
    return math.sin(x) * x


def while_loop(x):
    k = 0
    while k < 3 and np.sum(x) < 10.0:
        x = x * 1.5 + 0.1
        k += 1
    return np.sum(x)


def list_stack(x):
    xs = [x]
    xs.append(x * 2.0)
    return np.sum(np.stack(xs))


def two_args(x, w=2.0):
    return np.sum(np.sin(x) * w)


FUNCTIONS: dict[str, Callable] = {f.__name__: f for f in (poly, trig, loop, branch, item_write, matvec, reduce_axis, softplus,
                                                            scalar_math, while_loop, list_stack, two_args)}


def _readonly() -> np.ndarray:
    a = np.array([0.3, -0.4, 0.9])
    a.flags.writeable = False
    return a


INPUTS: dict[str, Callable[[], Any]] = {
    "string": lambda: "abc",
    "none": lambda: None,
    "dict": lambda: {"a": 1.0},
    "ragged_list": lambda: [[1.0, 2.0], [3.0]],
    "float_list": lambda: [0.3, -0.4, 0.9],
    "float_tuple": lambda: (0.3, -0.4, 0.9),
    "nan_array": lambda: np.array([np.nan, 0.5, -0.2]),
    "inf_array": lambda: np.array([np.inf, 0.5, -0.2]),
    "nan_float": lambda: float("nan"),
    "empty": lambda: np.array([]),
    "empty_2d": lambda: np.zeros((0, 3)),
    "zero_d": lambda: np.array(0.4),
    "int_array": lambda: np.array([1, 2, 3]),
    "int_scalar": lambda: 2,
    "bool_array": lambda: np.array([True, False, True]),
    "bool_scalar": lambda: True,
    "high_rank": lambda: np.random.default_rng(0).standard_normal((2, 1, 3, 2, 3)),
    "complex_array": lambda: np.array([1.0 + 1.0j, 0.5, -0.2]),
    "complex_scalar": lambda: 1.0 + 2.0j,
    "float32_array": lambda: np.array([0.3, -0.4, 0.9], dtype=np.float32),
    "float16_array": lambda: np.array([0.3, -0.4, 0.9], dtype=np.float16),
    "object_array": lambda: np.array([0.3, -0.4, 0.9], dtype=object),
    "masked_array": lambda: np.ma.array([0.3, -0.4, 0.9], mask=[False, True, False]),
    "huge": lambda: np.array([1e300, 0.5, -0.2]),
    "decimal": lambda: decimal.Decimal("0.5"),
    "readonly": _readonly,
    "strided": lambda: np.arange(6.0)[::2] * 0.1,
    "matrix_2x3": lambda: np.random.default_rng(1).standard_normal((2, 3)),
}


def _generated(filename: str) -> bool:
    base = os.path.basename(filename)
    return base.startswith(("adjoint_", "<srcgrad:"))


def _srcgrad_internal(filename: str) -> bool:
    root = os.path.dirname(os.path.abspath(srcgrad.__file__))
    return os.path.abspath(filename).startswith(root + os.sep)


def _names_argument(e: BaseException, names: list[str]) -> bool:
    text = str(e)
    return any(f"'{n}'" in text or f"`{n}`" in text or f"argument {n}" in text for n in names)


def _fd_ok(fn: Callable, x: Any, g: Any, rest: tuple) -> bool | None:
    if type(x) is float:
        v: Any = 0.7
    elif isinstance(x, np.ndarray) and x.dtype == np.float64 and type(x) is np.ndarray and x.size:
        v = np.random.default_rng(2).standard_normal(x.shape)
    else:
        return None
    if np.max(np.abs(x)) > 1e8:  # central differences mean nothing there
        return None
    h = 1e-6
    try:
        with np.errstate(all="ignore"):
            up, down = fn(x + h * v, *rest), fn(x - h * v, *rest)
    except Exception:
        return None
    fd = (float(up) - float(down)) / (2 * h)
    analytic = float(np.sum(np.asarray(g, dtype=np.float64) * v))
    if not (math.isfinite(fd) and math.isfinite(analytic)):
        return None
    return abs(fd - analytic) <= 1e-4 * max(abs(fd), abs(analytic), 1.0)


def classify(fn_name: str, input_name: str) -> tuple[str, str]:
    fn = FUNCTIONS[fn_name]
    names = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
    x = INPUTS[input_name]()
    rest: tuple = ()
    try:
        with np.errstate(all="ignore"):
            fn(INPUTS[input_name](), *rest)
        user_exc: type | None = None
    except Exception as e:  # the function itself rejects the input
        user_exc = type(e)
    try:
        with np.errstate(all="ignore"):
            g = srcgrad.grad(fn)(x, *rest)
    except srcgrad.SrcgradError as e:
        return "srcgrad_error", f"{type(e).__name__}: {str(e).splitlines()[0]}"
    except Exception as e:
        frames = traceback.extract_tb(e.__traceback__)
        where = frames[-1].filename if frames else "?"
        line = f"{os.path.basename(where)}:{frames[-1].lineno}" if frames else "?"
        detail = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} [innermost frame {line}]"
        if isinstance(e, (TypeError, ValueError)) and _names_argument(e, names):
            return "named_error", detail
        if user_exc is not None and isinstance(e, user_exc):
            return "user_error", detail + f" (f itself raises {user_exc.__name__})"
        if _generated(where):
            return "violation:raw_generated", detail + (f" (f itself raises {user_exc.__name__})" if user_exc else " (f itself runs)")
        if _srcgrad_internal(where):
            return "violation:raw_internal", detail + (f" (f itself raises {user_exc.__name__})" if user_exc else " (f itself runs)")
        return "violation:raw_other", detail + (f" (f itself raises {user_exc.__name__})" if user_exc else " (f itself runs)")
    # a gradient came back
    if user_exc is not None:
        return "gradient", f"a gradient {type(g).__name__} although f itself raises {user_exc.__name__}"
    integer = isinstance(x, (bool, int, np.integer, np.bool_)) or (isinstance(x, np.ndarray) and x.dtype.kind in "iub")
    if g is None:
        return ("gradient", "None for an integer/boolean input") if integer else ("violation:none_gradient", "None")
    if type(x) is np.ndarray and x.dtype.kind == "f":
        if type(g) is not np.ndarray or g.shape != x.shape or g.dtype != x.dtype:
            return "violation:bad_gradient_type", f"input {x.dtype}{x.shape} gave {type(g).__name__} {getattr(g, 'dtype', '')}{np.shape(g)}"
    if type(x) is float and type(g) is not float:
        return "violation:bad_gradient_type", f"a Python float gave {type(g).__name__}"
    ok = _fd_ok(fn, x, g, rest)
    if ok is False:
        return "violation:wrong_gradient", f"gradient {g!r} disagrees with central differences"
    try:
        finite = bool(np.all(np.isfinite(np.asarray(g, dtype=np.float64))))
    except (TypeError, ValueError):
        finite = True
    return "gradient", f"{type(g).__name__}{np.shape(g)}{'' if finite else ' (non-finite)'}"


CASES = [(f, i) for f in FUNCTIONS for i in INPUTS]
