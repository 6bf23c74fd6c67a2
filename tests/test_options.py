"""The options of SPEC.md section 3 on whole functions: `wrt` intermediates, `stop_gradients`,
tuple seeds with None and broadcasting, `unconnected_gradients`, integer inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import X32 as _X32
from gradcheck import f32 as _f32
from test_broadcasting import scalar_times_array, tuple_of_three
from test_control_flow import reassign_many

import srcgrad

# --- options: wrt intermediates, stop_gradients, seeds ----------------------------------------


def intermediate(x, y):
    h = x * y
    z = np.sin(h) + h * x
    return np.sum(z * z)


def intermediate_read_in_loop(x):
    h = np.sin(x)
    s = 0.0
    for i in range(3):
        s = s + np.sum(h * x) * i
    return s


def intermediate_after_loop(x):
    s = x
    for i in range(2):
        s = s * x
    h = s + 1.0
    return np.sum(h * x)


def stop_product(x, y):
    h = x * y
    z = h * h + x
    return np.sum(z * y)


_XA = np.array([0.5, -0.2, 0.9])


_YA = np.array([1.5, 0.3, -0.7])


def test_wrt_intermediate_and_input_is_total_derivative() -> None:
    gh, gx = srcgrad.grad(intermediate, wrt=("h", "x"))(_XA, _YA)
    h = _XA * _YA
    outer = 2 * (np.sin(h) + h * _XA)
    np.testing.assert_allclose(gh, outer * (np.cos(h) + _XA))
    np.testing.assert_allclose(gx, outer * (np.cos(h) + _XA) * _YA + outer * h)


def test_wrt_intermediate_read_in_loop() -> None:
    np.testing.assert_allclose(srcgrad.grad(intermediate_read_in_loop, wrt="h")(_XA), 3 * _XA)
    np.testing.assert_allclose(srcgrad.grad(intermediate_after_loop, wrt="h")(_XA), _XA)


def test_stop_gradients_intermediate() -> None:
    gx, gy = srcgrad.grad(stop_product, wrt=("x", "y"), stop_gradients="h")(_XA, _YA)
    h = _XA * _YA
    np.testing.assert_allclose(gx, _YA)
    np.testing.assert_allclose(gy, h * h + _XA)
    gh, gy = srcgrad.grad(stop_product, wrt=("h", "y"), stop_gradients=["h"])(_XA, _YA)
    np.testing.assert_allclose(gh, 2 * h * _YA)
    np.testing.assert_allclose(gy, h * h + _XA)


# SPEC section 3: a local bound to a value another name holds is perturbed where it is bound
# (TF's fresh read `tf.identity(v)`): only what is computed through that name sees it.


def read_after_use(v):
    yy = v * 2
    v_read = v  # noqa: F841 - bound after its only use (SPEC section 3)
    return yy


def read_then_use(v):
    v_read = v  # noqa: F841 - bound after its only use (SPEC section 3)
    yy = v_read * 2
    return yy


def read_and_original(v):
    v_read = v  # noqa: F841 - bound after its only use (SPEC section 3)
    alias = v_read
    return np.sum(v * 3 + alias * 2 * v_read)


def constant_local(v):
    c = 2.0
    return np.sum(v * c)


def read_written_in_place(v):
    a = v * 1.0
    v_read = a
    a[0] = 5.0
    return np.sum(v_read * a) + np.sum(a)


@pytest.mark.parametrize("optimize", [True, False])
def test_wrt_local_naming_another_value_sees_only_its_own_uses(optimize: bool) -> None:
    grad = lambda f, **kw: srcgrad.grad(f, optimize=optimize, **kw)  # noqa: E731
    assert grad(read_after_use, wrt="v_read")(_XA) is None
    np.testing.assert_allclose(grad(read_after_use, wrt="v_read", unconnected_gradients="zero")(_XA), 0 * _XA)
    np.testing.assert_allclose(grad(read_then_use, wrt="v_read")(_XA), 2 * np.ones(3))
    np.testing.assert_allclose(grad(read_and_original, wrt="v_read")(_XA), 4 * _XA)  # alias = v_read is the same
    gr, gv = grad(read_and_original, wrt=("v_read", "v"))(_XA)
    np.testing.assert_allclose(gv, 3 + 4 * _XA)  # both are wrt entries: the total derivative, as in TF
    np.testing.assert_allclose(gr, 4 * _XA)
    np.testing.assert_allclose(grad(constant_local, wrt="c")(_XA), np.sum(_XA))
    np.testing.assert_allclose(grad(read_and_original, stop_gradients="v_read")(_XA), 3 + 0 * _XA)
    # a write through the other name reaches v_read, one array in NumPy: refused, located at the write
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="(?s)'v_read' names.*a\\[0\\] = 5.0"):
        grad(read_written_in_place, wrt="v_read")(_XA)
    np.testing.assert_allclose(grad(read_written_in_place, wrt="v")(_XA), [0.0, *(2 * _XA[1:] + 1)])  # as before


def test_stop_gradients_reassigned_local_is_value_error() -> None:
    with pytest.raises(ValueError, match="assigned 6 times"):
        srcgrad.grad(reassign_many, stop_gradients="y")(_XA)


def test_tuple_seeds_with_none_and_broadcasting() -> None:
    g = srcgrad.grad(tuple_of_three, wrt=(0, 1))
    w = np.array([1.0, 2.0, 3.0])
    gx, gy = g(_XA, _YA, grad_ys=(2.0, w, None))
    np.testing.assert_allclose(gx, 2.0 * _YA + 2.0 * w * _YA + 1.0)
    np.testing.assert_allclose(gy, 2.0 * _XA + 2.0 * w * _XA - 1.0)
    gx, gy = g(_XA, _YA, grad_ys=(None, np.ones(1), np.full((1,), 3.0)))
    np.testing.assert_allclose(gx, _YA + 2.0 * _YA + 3.0)
    with pytest.raises(ValueError):
        g(_XA, _YA, grad_ys=(1.0, 2.0))
    with pytest.raises(ValueError):
        g(_XA, _YA, grad_ys=(np.ones(2), 1.0, 1.0))


def test_unconnected_zero_float32() -> None:
    gx, gy = srcgrad.grad(stop_product, wrt=("x", "y"), stop_gradients=("x", "y"), unconnected_gradients="zero")(
        _f32(_XA), _f32(_YA))
    assert gx.dtype == np.float32 and gy.dtype == np.float32


def test_integer_wrt_is_none() -> None:
    g = srcgrad.grad(scalar_times_array, wrt=(0, 1))(3, _X32)
    assert g[0] is None
    np.testing.assert_allclose(g[1], np.full_like(_X32, 3.0))


# --- has_aux (SPEC section 3): (output, aux) returned; only output is differentiated, as in JAX ---


def loss_and_prediction(w, x):
    pred = np.tanh(x @ w)
    return np.sum(pred**2), pred


def loss_and_list(w):
    return w * 2.0, [w, 3.0]


def no_pair(w):
    return np.sum(w)


_W = np.array([0.1, -0.2])
_X = np.array([[1.0, 2.0], [0.5, -1.0]])


@pytest.mark.parametrize("optimize", [True, False])
def test_has_aux_differentiates_the_output_only(optimize: bool) -> None:
    g, aux = srcgrad.grad(loss_and_prediction, has_aux=True, optimize=optimize)(_W, _X)
    pred = np.tanh(_X @ _W)
    np.testing.assert_allclose(g, _X.T @ (2 * pred * (1 - pred**2)))
    np.testing.assert_array_equal(aux, pred)
    (value, aux), g2 = srcgrad.value_and_grad(loss_and_prediction, has_aux=True, optimize=optimize)(_W, _X)
    assert value == np.sum(pred**2)
    np.testing.assert_array_equal(aux, pred)
    np.testing.assert_array_equal(g2, g)
    (gw, gx), _ = srcgrad.grad(loss_and_prediction, has_aux=True, wrt=(0, 1), optimize=optimize)(_W, _X)
    assert gw.shape == _W.shape and gx.shape == _X.shape
    g32, aux32 = srcgrad.grad(loss_and_prediction, has_aux=True, optimize=optimize)(_f32(_W), _f32(_X))
    assert g32.dtype == np.float32 and aux32.dtype == np.float32
    assert srcgrad.grad(loss_and_list, has_aux=True, optimize=optimize)(1.5) == (2.0, [1.5, 3.0])
    decorated = srcgrad.differentiate(loss_and_prediction, has_aux=True)
    np.testing.assert_array_equal(decorated.grad(_W, _X)[0], g)


def test_has_aux_needs_a_pair() -> None:
    with pytest.raises(srcgrad.SrcgradError, match="must return a pair"):
        srcgrad.grad(no_pair, has_aux=True)(_W)
    with pytest.raises(ValueError, match="has_aux must be True or False"):
        srcgrad.grad(no_pair, has_aux=1)


def layer_cost(W, b, X):
    return np.sum(X @ W + b)


def test_a_misspelt_wrt_name_suggests_the_parameter_and_lists_them():
    with pytest.raises(ValueError, match=r"wrt='w' names nothing in layer_cost.*did you mean 'W'\? "
                                         r"\(its parameters: W, b, X\)"):
        srcgrad.grad(layer_cost, wrt="w")(np.ones((2, 2)), 1.0, np.ones((3, 2)))


def squared(x):
    return x * x


def test_an_integer_argument_warns_that_it_carries_no_gradient():
    with pytest.warns(UserWarning, match="'x' is an integer .*carries no gradient: pass a float"):
        assert srcgrad.grad(squared)(3) is None


def test_the_typed_options_are_the_options_srcgrad_accepts():
    # GradOptions types `**options` for editors and type checkers; normalise checks them at run time
    from srcgrad import options

    assert set(options.GradOptions.__annotations__) == set(options._OPTIONS)
    assert set(options.TangentOptions.__annotations__) == {"stop_gradients", "optimize"}
    for fn in (srcgrad.grad, srcgrad.value_and_grad, srcgrad.show, srcgrad.differentiate, srcgrad.export,
               srcgrad.jacobian, srcgrad.hessian, srcgrad.hvp, srcgrad.vjp):
        assert fn.__annotations__["options"] == "Unpack[GradOptions]", fn.__name__
    assert srcgrad.jvp.__annotations__["options"] == "Unpack[TangentOptions]"
