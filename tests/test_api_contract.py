"""The API contract of SPEC.md: keyword arguments and `wrt` forms, gradient types, `grad_ys`
errors, `stop_gradients`, globals read at each call, decorated callees, `functools.wraps`
wrappers, rebound and edited callees.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys

import numpy as np
import pytest
from gradcheck import check

import srcgrad

# --- the API contract -------------------------------------------------------------------------


def kw_fn(x, y=2.0, *, z=3.0):
    return np.sum(x * y * z)


def test_keyword_arguments_defaults_and_wrt_forms():
    x = np.arange(3.0)
    np.testing.assert_allclose(srcgrad.grad(kw_fn)(x, z=5.0), [10.0, 10.0, 10.0])
    assert srcgrad.grad(kw_fn, wrt="z")(x, z=5.0) == 6.0
    assert srcgrad.grad(kw_fn, wrt=("y", "z"))(x) == (9.0, 6.0)
    assert srcgrad.grad(kw_fn, wrt=-1)(x, 1.0, z=5.0) == 3.0
    assert srcgrad.grad(kw_fn, wrt=-2)(x, 1.0) == 9.0
    gx, gy = srcgrad.grad(kw_fn, wrt=["x", 1])(x, 2.0)
    np.testing.assert_allclose(gx, [6.0, 6.0, 6.0])
    assert gy == 9.0
    value, (gx, gz) = srcgrad.value_and_grad(kw_fn, wrt=("x", "z"))(x, y=1.0, z=2.0)
    assert value == 6.0 and gz == 3.0
    d = srcgrad.differentiate(wrt=("y", "z"))(kw_fn)
    assert d.grad(x, z=1.0) == (3.0, 6.0)
    assert d.value_and_grad(x=x, y=3.0) == (27.0, (9.0, 9.0))


@pytest.mark.parametrize("y,kind", [(2.0, float), (np.float32(2.0), np.float32), (np.float64(2.0), np.float64),
                                    (np.array(2.0), np.ndarray), (np.array(2.0, np.float32), np.ndarray)])
def test_gradient_type_follows_input(y, kind):
    g = srcgrad.grad(kw_fn, wrt="y")(np.arange(3.0), y)
    assert type(g) is kind and np.shape(g) == np.shape(y) and np.result_type(g) == np.result_type(y)
    z = srcgrad.grad(unconnected, wrt="y", unconnected_gradients="zero")(1.0, y)
    assert type(z) is kind and np.result_type(z) == np.result_type(y) and z == 0


def unconnected(x, y):
    return x * 2.0


def test_unconnected_zero_shapes_and_dtypes():
    g = srcgrad.grad(unconnected, wrt=(0, 1), unconnected_gradients="zero")(1.0, np.ones((2, 3), np.float32))
    assert g[0] == 2.0 and g[1].shape == (2, 3) and g[1].dtype == np.float32 and not g[1].any()
    assert srcgrad.grad(unconnected, wrt="y")(1.0, np.ones(2)) is None
    assert srcgrad.grad(kw_fn, wrt="x")(np.arange(3), 2.0) is None
    zeros = srcgrad.grad(kw_fn, wrt="x", unconnected_gradients="zero")(np.arange(3), 2.0)
    assert zeros.shape == (3,) and not zeros.any()


def test_bug_unconnected_zero_python_int_type():
    z = srcgrad.grad(kw_fn, wrt="y", unconnected_gradients="zero")(np.arange(3.0), 2)
    assert type(z) is int and z == 0


def two_outputs(x):
    return x * 2, np.sum(x ** 2)


@pytest.mark.parametrize("grad_ys,words", [
    ((np.ones(4), 1.0), ["output 0", "(4,)", "(3,)"]),
    ((None, np.ones(2)), ["output 1", "(2,)", "()"]),
    (np.ones(3), ["tuple of 2"]),
    ((np.ones(3),), ["2", "1 seeds"]),
])
def test_grad_ys_structure_errors(grad_ys, words):
    with pytest.raises(ValueError) as info:
        srcgrad.grad(two_outputs)(np.ones(3), grad_ys=grad_ys)
    for word in words:
        assert word in str(info.value)


def test_grad_ys_scalar_output_error_and_python_number_dtype():
    with pytest.raises(ValueError, match=r"\(2,\).*\(\)"):
        srcgrad.grad(kw_fn)(np.ones(3), grad_ys=np.ones(2))
    assert srcgrad.grad(kw_fn)(np.ones(3, np.float32), grad_ys=2.0).dtype == np.float32
    assert srcgrad.grad(unconnected)(np.float32(1.0), 0.0, grad_ys=np.float64(3.0)).dtype == np.float32


def stop_locals(x, y):
    h = np.tanh(x * y)
    k = h * x
    return np.sum(k * h)


def test_stop_gradients_parameter_and_local():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    h = np.tanh(x * y)
    # h held constant: d/dx sum(h * x * h) = h**2
    np.testing.assert_allclose(srcgrad.grad(stop_locals, stop_gradients="h")(x, y), h ** 2)
    assert srcgrad.grad(stop_locals, wrt="y", stop_gradients=("h",))(x, y) is None  # every path goes through h
    gh = srcgrad.grad(stop_locals, wrt="h", stop_gradients=["h"])(x, y)
    np.testing.assert_allclose(gh, 2 * h * x)
    # a stopped parameter is still a wrt entry: it gets what reaches it
    gx = srcgrad.grad(stop_locals, wrt="x", stop_gradients="x")(x, y)
    check(stop_locals, (x, y), (0, 1))
    assert gx.shape == (3,)


SCALE = 2.0


def reads_global(x):
    return x * SCALE


def test_global_changed_between_calls():
    global SCALE
    g = srcgrad.grad(reads_global)
    try:
        assert g(1.0) == 2.0
        SCALE = 5.0
        assert g(1.0) == 5.0
        assert srcgrad.grad(reads_global)(1.0) == 5.0
    finally:
        SCALE = 2.0


@srcgrad.differentiate(wrt="y")
def decorated(x, y=2.0):
    """Doc of decorated."""
    return x * y ** 2


def calls_decorated(x):
    return decorated(x, 3.0) + decorated(x)


def test_decorated_called_from_differentiated_and_metadata():
    assert srcgrad.grad(calls_decorated)(2.0) == 13.0
    assert decorated.__name__ == "decorated" and decorated.__doc__ == "Doc of decorated."
    assert str(inspect.signature(decorated)) == "(x, y=2.0)"
    assert decorated(2.0) == 8.0 and decorated.grad(2.0) == 8.0 and decorated.grad(2.0, y=1.0) == 4.0
    assert srcgrad.grad(srcgrad.grad(decorated, wrt="y"), wrt="y")(2.0, 3.0) == 4.0
    assert "def " in decorated.source and callable(decorated.adjoint)


def _scaled(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


@_scaled
def wrapped_square(x):
    return x ** 2


def calls_wrapped(x):
    return wrapped_square(x) + 0.0


def test_bug_functools_wraps_wrapper_is_skipped():
    assert wrapped_square(3.0) == 18.0
    assert srcgrad.grad(wrapped_square)(3.0) == 12.0


def test_bug_functools_wraps_wrapper_inlined_skips_wrapper():
    assert srcgrad.value_and_grad(calls_wrapped)(3.0) == (18.0, 12.0)


def rebound_helper(x):
    return x * 2.0


def calls_rebound(x):
    return rebound_helper(x) ** 2


def test_bug_rebound_callee_served_stale():
    global rebound_helper
    original = rebound_helper
    try:
        assert srcgrad.grad(calls_rebound)(1.0) == 8.0

        def rebound_helper(x):  # noqa: F811 - rebinding the global on purpose
            return x * 3.0

        assert calls_rebound(1.0) == 9.0
        assert srcgrad.grad(calls_rebound)(1.0) == 18.0
    finally:
        rebound_helper = original


def _write_modules(tmp_path, factor):
    (tmp_path / "adv2_callee.py").write_text(f"def helper(x):\n    return x * {factor}\n")
    (tmp_path / "adv2_caller.py").write_text(
        "import adv2_callee\n\n\ndef caller(x):\n    return adv2_callee.helper(x) ** 2\n")


def test_callee_edited_on_disk_fresh_process(tmp_path):
    import subprocess
    _write_modules(tmp_path, "2.0")
    env = dict(__import__("os").environ, SRCGRAD_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(tmp_path))
    script = "import srcgrad, adv2_caller; print(srcgrad.grad(adv2_caller.caller)(1.0))"
    run = lambda: subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True,  # noqa: E731
                                 text=True, timeout=60).stdout.strip()
    assert run() == "8.0"
    _write_modules(tmp_path, "3.0")
    assert run() == "18.0"


def test_bug_callee_reloaded_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    _write_modules(tmp_path, "2.0")
    for name in ("adv2_callee", "adv2_caller"):
        sys.modules.pop(name, None)
    caller = importlib.import_module("adv2_caller")
    callee = importlib.import_module("adv2_callee")
    try:
        assert srcgrad.grad(caller.caller)(1.0) == 8.0
        _write_modules(tmp_path, "3.0")
        importlib.invalidate_caches()
        importlib.reload(callee)
        assert caller.caller(1.0) == 9.0
        assert srcgrad.grad(caller.caller)(1.0) == 18.0
    finally:
        for name in ("adv2_callee", "adv2_caller"):
            sys.modules.pop(name, None)


# --- methods (SPEC section 4): the default wrt is the parameter after self; self.W is a value ---


class TanhLayer:
    def __init__(self):
        self.W = np.array([[0.5, -0.2], [0.1, 0.3]])
        self.b = np.array([0.1, 0.0])

    def loss(self, x, y):
        h = np.tanh(x @ self.W + self.b)
        return np.sum((h - y) ** 2)

    @srcgrad.differentiate
    def energy(self, x):
        return np.sum(self.W * x * x)


def _layer_loss_grad_x(layer, x, y):
    h = np.tanh(x @ layer.W + layer.b)
    return (2 * (h - y) * (1 - h**2)) @ layer.W.T


def test_bound_and_unbound_methods_differentiate_after_self():
    layer = TanhLayer()
    x, y = np.array([[1.0, 2.0]]), np.array([[0.5, -0.5]])
    expected = _layer_loss_grad_x(layer, x, y)
    np.testing.assert_allclose(srcgrad.grad(layer.loss)(x, y), expected)
    np.testing.assert_allclose(srcgrad.grad(TanhLayer.loss)(layer, x, y), expected)
    value, g = srcgrad.value_and_grad(layer.loss)(x, y)
    assert value == layer.loss(x, y)
    np.testing.assert_allclose(g, expected)
    h = np.tanh(x @ layer.W + layer.b)
    np.testing.assert_allclose(srcgrad.grad(layer.loss, wrt=1)(x, y), -2 * (h - y))  # positions after self
    np.testing.assert_allclose(srcgrad.grad(layer.loss, wrt="y")(x, y), -2 * (h - y))
    assert "def loss_grad(self, x, y" in srcgrad.show(layer.loss)
    layer.W = layer.W * 2.0  # attributes are read at call time
    np.testing.assert_allclose(srcgrad.grad(layer.loss)(x, y), _layer_loss_grad_x(layer, x, y))


def test_a_decorated_method_binds_its_object():
    layer = TanhLayer()
    x = np.ones((2, 2))
    assert layer.energy(x) == np.sum(layer.W)
    np.testing.assert_allclose(layer.energy.grad(x), 2 * layer.W * x)
    value, g = layer.energy.value_and_grad(x)
    assert value == np.sum(layer.W)
    np.testing.assert_allclose(srcgrad.grad(layer.energy)(x), 2 * layer.W * x)


def repeats_its_argument(x):
    return np.sum(np.array(x * 3))


def test_a_list_the_function_repeats_is_refused_by_name():
    """`x * 3` repeats a list in Python where the gradient would scale it: [v] * 3 gave 3x the
    derivative, silently. An array argument is differentiated as usual."""
    with pytest.raises(TypeError, match="argument 'x' is a list, which the function adds or multiplies"):
        srcgrad.grad(repeats_its_argument)([1.5])
    with pytest.raises(TypeError, match="argument 'x' is a tuple"):
        srcgrad.value_and_grad(repeats_its_argument)((1.5, 2.0))
    np.testing.assert_allclose(srcgrad.grad(repeats_its_argument)(np.array([1.5])), [3.0])


def test_an_argument_that_is_no_real_number_is_named():
    import decimal
    import fractions

    def f(x):
        return np.sum(np.exp(x))

    for bad, what in [(decimal.Decimal("0.5"), "decimal.Decimal"), (fractions.Fraction(1, 2), "fractions.Fraction"),
                      (np.array([0.5, 1.0], dtype=object), "an array of Python objects")]:
        with pytest.raises(TypeError, match=rf"f: argument 'x' is (a )?{what}, which srcgrad does not differentiate"):
            srcgrad.grad(f)(bad)


def test_a_zero_d_array_reduced_along_axis_0_gets_a_zero_d_gradient():
    g = srcgrad.grad(lambda x: np.sum(np.max(x, axis=0)))(np.array(0.5))
    assert g.shape == () and g == 1.0
