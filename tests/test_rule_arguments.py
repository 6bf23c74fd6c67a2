"""Arguments of rules: differentiable fill values and end points of creation functions (`np.full`,
`full_like`, `linspace`), and options (`axis`, `keepdims`, `ord`, `axes`) passed as parameters.
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from gradcheck import Draws, check
from test_error_quality import err_assert

import srcgrad

_draws = Draws(1234)
rn = _draws.normal
spd = _draws.spd


# --- bugs: differentiable arguments of creation functions dropped -----------------------------


def full_of(b):
    return np.sum(np.full(3, b) * np.array([1.0, 2.0, 3.0]))


def full_like_of(x, b):
    return np.sum(np.full_like(x, b) * x)


def linspace_to(a):
    return np.sum(np.linspace(0.0, a, 4) ** 2)


@pytest.mark.parametrize("fn,args", [(full_of, (2.0,)), (full_like_of, (np.ones(3), 2.0)), (linspace_to, (1.5,))],
                         ids=["full", "full_like", "linspace"])
def test_bug_creation_function_drops_gradient(fn, args):
    try:
        check(fn, args, (len(args) - 1,))
    except srcgrad.SrcgradError:
        pass


# --- bugs: run-time option values (parameters with defaults) ----------------------------------


def keepdims_param(a, k=True):
    return np.sum(np.sum(a, axis=1, keepdims=k) * a)


def ord_param(a, o=2):
    return np.linalg.norm(a, ord=o)


def axes_param(a, axes=(1, 0)):
    return np.sum(np.transpose(a, axes) @ a)


def axis_param(a, ax=0):
    return np.sum(np.max(a, axis=ax) ** 2) + np.sum(np.cumsum(a, axis=ax) ** 2)


def test_axis_parameter_with_default():
    check(axis_param, (rn(3, 4),), (0,))


@pytest.mark.parametrize("fn", [keepdims_param, ord_param, axes_param], ids=lambda f: f.__name__)
def test_bug_option_from_parameter_crashes(fn):
    try:
        check(fn, (rn(3, 4),), (0,))
    except srcgrad.SrcgradError:
        pass


def norm_axis_param(a, ax=0):
    return np.sum(np.linalg.norm(a, axis=ax))


def test_bug_norm_axis_parameter_hangs():
    import subprocess
    script = textwrap.dedent("""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
        sys.path.insert(0, %r)
        import numpy as np, srcgrad
        import test_rule_arguments as t
        try:
            print(srcgrad.grad(t.norm_axis_param)(np.ones((3, 4))).tolist())
        except srcgrad.SrcgradError as exc:  # a clear, located refusal is an acceptable answer
            print("refused:", exc)
    """ % str(__import__("pathlib").Path(__file__).parent))
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=8)
    except subprocess.TimeoutExpired:
        raise AssertionError("compiling the gradient did not finish in 8 s")
    assert done.returncode == 0, done.stderr[-500:]


def test_assert_is_a_run_time_check():
    """`assert` is kept as a check in the adjoint (no gradient), not refused."""
    np.testing.assert_allclose(srcgrad.grad(err_assert)(np.ones(3)), 2 * np.ones(3))
    with pytest.raises(AssertionError, match="assert x.shape == \\(3,\\)"):
        srcgrad.grad(err_assert)(np.ones(4))
