"""srcgrad.nn against TensorFlow: every oracle case of categories activation, activation_edge,
loss and loss_gradient (plus the seed's softmax cross-entropy), values and gradients.

Gradients are computed by srcgrad, differentiating *through* srcgrad.nn (no hand-written rules).
Reference numbers: shared/conformance/seed_oracle.json (TensorFlow 2.21, tf.compat.v1 graph mode).
"""

from __future__ import annotations


import numpy as np
import pytest

import srcgrad
from oracle import load_oracle
from srcgrad import nn, optim




ORACLE = load_oracle()


@pytest.fixture(autouse=True)
def fresh_srcgrad_cache(tmp_path, monkeypatch):
    """Each test compiles into its own empty disk cache: no entry from another test or run is reused."""
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "srcgrad-cache"))


def tf_out(case_id: str) -> dict:
    return ORACLE[case_id]["tf_output"]


# Results are compared to a few ulps of their dtype, plus an absolute floor for values computed with
# cancellation (TF's kernels and NumPy's round differently there: TF's float32 sigmoid'(7) is
# y*(1-y) = 9.102270e-4 against the exact 9.102212e-4; tanh''(-7) = -2y(1-y^2) has y^2 ~ 1).
TOL = {"float32": {"rtol": 2e-6, "atol": 1e-7}, "float64": {"rtol": 1e-12, "atol": 1e-14}}
DTYPES = ["float32", "float64"]


def close(actual, expected, dtype: str) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               **TOL[dtype])


# --- functions srcgrad differentiates (written as a user would: calls into srcgrad.nn) -----------


def sum_relu(x):
    return np.sum(nn.relu(x))


def sum_relu6(x):
    return np.sum(nn.relu6(x))


def sum_sigmoid(x):
    return np.sum(nn.sigmoid(x))


def sum_tanh(x):
    return np.sum(nn.tanh(x))


def sum_softplus(x):
    return np.sum(nn.softplus(x))


def sum_softsign(x):
    return np.sum(nn.softsign(x))


SUMS = {"relu": sum_relu, "relu6": sum_relu6, "sigmoid": sum_sigmoid, "tanh": sum_tanh,
        "softplus": sum_softplus, "softsign": sum_softsign}


def softmax_of(x):
    return nn.softmax(x)


def sum_relu_layer(x, weights, biases):
    return np.sum(nn.relu_layer(x, weights, biases))


def xent(labels, logits):
    return nn.softmax_cross_entropy_with_logits(labels, logits)


def xent_manual(labels, logits):
    return -np.sum(labels * np.log(nn.softmax(logits)))


def mse_seed(y_, y):
    return np.mean(np.square(y_ - y))


def mse(y_, y):
    return nn.mean_squared_error(y_, y)


def cross_entropy_clipped(y_predict, y_label):
    return -np.mean(y_label * np.log(optim.clip_by_value(y_predict, 1e-10, 1.0)))


def sum_clip(y_predict):
    return np.sum(optim.clip_by_value(y_predict, 1e-10, 1.0))


# --- activations: act_relu, act_relu6, act_sigmoid, act_tanh, act_softplus, act_softsign ---------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SUMS))
def test_activation_value(name: str, dtype: str) -> None:
    case = ORACLE[f"act_{name}"]
    x = np.array(case["inputs"]["points"], dtype=dtype)
    y = getattr(nn, name)(x)
    assert y.dtype == np.dtype(dtype)
    close(y, case["tf_output"][dtype]["value"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SUMS))
def test_activation_gradient(name: str, dtype: str) -> None:
    case = ORACLE[f"act_{name}"]
    x = np.array(case["inputs"]["points"], dtype=dtype)
    g = srcgrad.grad(SUMS[name])(x)
    assert g.dtype == np.dtype(dtype) and g.shape == x.shape
    close(g, case["tf_output"][dtype]["grad"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["relu", "relu6", "sigmoid", "tanh", "softplus"])
def test_activation_second_derivative(name: str, dtype: str) -> None:
    """tf.gradients(reduce_sum(tf.gradients(reduce_sum(f(x)), x)), x); relu's and relu6's are zeros."""
    case = ORACLE[f"act_{name}"]
    x = np.array(case["inputs"]["points"], dtype=dtype)
    g2 = srcgrad.grad(srcgrad.grad(SUMS[name]), unconnected_gradients="zero")(x)
    close(g2, case["tf_output"][dtype]["second_derivative"], dtype)


def test_second_derivatives_of_two_functions_share_no_cache_entry(monkeypatch) -> None:
    monkeypatch.setenv("SRCGRAD_CACHE", "1")
    x = np.array(ORACLE["act_sigmoid"]["inputs"]["points"])
    d2_sigmoid = srcgrad.grad(srcgrad.grad(sum_sigmoid))(x)
    d2_tanh = srcgrad.grad(srcgrad.grad(sum_tanh))(x)
    close(d2_sigmoid, ORACLE["act_sigmoid"]["tf_output"]["float64"]["second_derivative"], "float64")
    close(d2_tanh, ORACLE["act_tanh"]["tf_output"]["float64"]["second_derivative"], "float64")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softsign_second_derivative(dtype: str) -> None:
    """TF has no gradient for SoftsignGrad (LookupError); srcgrad differentiates the formula again:
    d²/dx² x/(1+|x|) = -2 sign(x) / (1+|x|)³."""
    case = ORACLE["act_softsign"]
    assert case["tf_output"][dtype]["second_derivative"]["error_type"] == "LookupError"
    x = np.array(case["inputs"]["points"], dtype=dtype)
    g2 = srcgrad.grad(srcgrad.grad(sum_softsign), unconnected_gradients="zero")(x)
    close(g2, -2 * np.sign(x) / (1 + np.abs(x)) ** 3, dtype)


# --- act_softmax ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_value_and_vjps(dtype: str) -> None:
    case = ORACLE["act_softmax"]
    out = case["tf_output"][dtype]
    x = np.array(case["inputs"]["x"], dtype=dtype)
    close(nn.softmax(x), out["value"], dtype)
    # default grad_ys (ones): the gradient of sum(softmax) is zero up to rounding
    np.testing.assert_allclose(srcgrad.grad(softmax_of)(x), out["grad_of_sum (grad_ys=ones)"],
                               atol=1e-7 if dtype == "float32" else 1e-15)
    gy = np.array(case["inputs"]["grad_ys"], dtype=dtype)
    vjp = srcgrad.grad(softmax_of)(x, grad_ys=gy)
    # s * (gy - sum(gy * s)): the difference 7 - 6.988 cancels, so float32 is good to ulp(7) = 4.8e-7 there
    np.testing.assert_allclose(vjp, out["vjp_grad_ys_1_to_7"], rtol=TOL[dtype]["rtol"],
                               atol=5e-7 if dtype == "float32" else 1e-15)
    np.testing.assert_allclose(vjp, case["tf_output"]["float64"]["vjp_grad_ys_1_to_7"],
                               rtol=1e-4 if dtype == "float32" else 1e-12)
    rows = [srcgrad.grad(softmax_of)(x, grad_ys=np.eye(len(x), dtype=dtype)[i]) for i in range(len(x))]
    np.testing.assert_allclose(np.array(rows), out["jacobian_rows_dyi_dx"], rtol=1e-5 if dtype == "float32" else 1e-10,
                               atol=1e-12 if dtype == "float32" else 1e-18)


def test_softmax_axis_and_stability() -> None:
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]], dtype=np.float32)
    p = nn.softmax(logits)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(nn.softmax(logits.T, axis=0), p.T, rtol=1e-6)
    np.testing.assert_allclose(nn.log_softmax(logits), np.log(p), rtol=1e-5, atol=1e-6)


# --- act_relu_layer --------------------------------------------------------------------------------


def test_relu_layer() -> None:
    case = ORACLE["act_relu_layer"]
    inputs, out = case["inputs"], case["tf_output"]
    x, w, b = (np.array(inputs[k], dtype=np.float32) for k in ("x", "weights", "biases"))
    np.testing.assert_array_equal(nn.relu_layer(x, w, b), out["value"])
    gx, gw, gb = srcgrad.grad(sum_relu_layer, wrt=(0, 1, 2))(x, w, b)
    expected_x, expected_w, expected_b = out["grads_x_w_b"]
    np.testing.assert_array_equal(gx, expected_x)
    np.testing.assert_array_equal(gw, expected_w)  # the 0.0 pre-activation passes no gradient
    np.testing.assert_array_equal(gb, expected_b)


# --- act_kinks_relu_relu6 -----------------------------------------------------------------------------


def test_relu_relu6_kinks() -> None:
    out = tf_out("act_kinks_relu_relu6")
    x = np.array(ORACLE["act_kinks_relu_relu6"]["inputs"]["x"], dtype=np.float32)  # 0, 6, -0
    np.testing.assert_array_equal(srcgrad.grad(sum_relu)(x), out["relu_grad"])
    np.testing.assert_array_equal(srcgrad.grad(sum_relu6)(x), out["relu6_grad"])
    value = nn.relu6(x)
    np.testing.assert_array_equal(value, out["relu6_value"])
    np.testing.assert_array_equal(np.signbit(value), np.signbit(np.array(out["relu6_value"])))  # -0.0 as TF


def test_relu_is_not_maximum_at_zero() -> None:
    """np.maximum(x, 0) sends a tie's gradient to x (1); relu'(0) must be 0."""
    x = np.zeros(3, dtype=np.float32)
    np.testing.assert_array_equal(srcgrad.grad(sum_relu)(x), np.zeros(3))


# --- s001_softmax_xent, s001_softmax_xent_grads -----------------------------------------------------


def test_softmax_cross_entropy_seed_value() -> None:
    case = ORACLE["s001_softmax_xent"]
    logits = np.array(case["inputs"]["logits"])  # (1, 10) float64
    labels = np.array(case["inputs"]["labels"])  # (10,): broadcast against logits, as in the seed
    loss = nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    assert loss.shape == (1,)
    np.testing.assert_allclose(loss, case["tf_output"]["loss_v2"], rtol=1e-14)
    np.testing.assert_allclose(loss, case["seed_output"]["loss_v2"], rtol=1e-8)  # printed [1.91865955]
    manual = xent_manual(labels, logits)
    np.testing.assert_allclose(manual, case["tf_output"]["loss_manual"], rtol=1e-14)
    assert f"{loss[0]:.8f}" == "1.91865955"


def test_softmax_cross_entropy_gradients() -> None:
    case = ORACLE["s001_softmax_xent_grads"]
    out = case["tf_output"]
    logits = np.array(case["inputs"]["logits"])
    labels = np.array(case["inputs"]["labels"])  # (1, 10)
    d_labels, d_logits = srcgrad.grad(xent, wrt=(0, 1))(labels, logits)
    np.testing.assert_allclose(d_logits, out["d_logits_v2"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d_labels, out["d_labels_v2"], rtol=1e-12)  # v2: -log_softmax(logits)
    np.testing.assert_allclose(srcgrad.grad(xent_manual, wrt=1)(labels, logits), out["d_logits_manual"],
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(nn.softmax(logits), out["softmax"], rtol=1e-14)


def test_softmax_cross_entropy_broadcast_labels_gradient_shape() -> None:
    case = ORACLE["s001_softmax_xent"]
    logits = np.array(case["inputs"]["logits"])
    labels = np.array(case["inputs"]["labels"])  # (10,)
    d_labels, d_logits = srcgrad.grad(xent, wrt=(0, 1))(labels, logits)
    assert d_labels.shape == (10,) and d_logits.shape == (1, 10)
    np.testing.assert_allclose(d_logits, tf_out("s001_softmax_xent_grads")["d_logits_v2"], rtol=1e-12,
                               atol=1e-15)


def test_softmax_cross_entropy_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 10\)"):
        nn.softmax_cross_entropy_with_logits(np.ones(3), np.ones((1, 10)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 10\)"):  # the adjoint checks too
        srcgrad.grad(xent, wrt=(0, 1))(np.ones(3), np.ones((1, 10)))
    with pytest.raises(ValueError, match=r"\(2, 10\).*\(1, 10\)"):
        nn.softmax_cross_entropy_with_logits(np.ones((2, 10)), np.ones((1, 10)))


# --- loss_mse --------------------------------------------------------------------------------------------


def test_mean_squared_error() -> None:
    case = ORACLE["loss_mse"]
    out = case["tf_output"]
    y_ = np.array(case["inputs"]["y_"], dtype=np.float32)
    y = np.array(case["inputs"]["y"], dtype=np.float32)
    for fn in (mse_seed, mse):
        value = fn(y_, y)
        assert np.asarray(value).dtype == np.float32
        np.testing.assert_allclose(value, out["mse"], rtol=1e-7)
        d_y_, d_y = srcgrad.grad(fn, wrt=(0, 1))(y_, y)
        np.testing.assert_allclose(d_y, out["d_mse_d_y"], rtol=1e-7)
        np.testing.assert_allclose(d_y_, out["d_mse_d_y_"], rtol=1e-7)


def test_mean_squared_error_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        nn.mean_squared_error(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) and predictions of shape \(3, 1\)"):
        srcgrad.grad(mse, wrt=1)(np.ones(3), np.ones((3, 1)))


# --- loss_cross_entropy_clipped ------------------------------------------------------------------------


def test_cross_entropy_clipped() -> None:
    case = ORACLE["loss_cross_entropy_clipped"]
    out = case["tf_output"]
    y_label = np.array(case["inputs"]["y_label"], dtype=np.float32)
    y_predict = np.array(case["inputs"]["y_predict"], dtype=np.float32)
    np.testing.assert_allclose(optim.clip_by_value(y_predict, 1e-10, 1.0), out["clipped"], rtol=1e-7)
    value = cross_entropy_clipped(y_predict, y_label)
    np.testing.assert_allclose(value, out["cross_entropy"], rtol=1e-6)
    d_pred, d_label = srcgrad.grad(cross_entropy_clipped, wrt=(0, 1))(y_predict, y_label)
    # 0 strictly outside [1e-10, 1]; passes through AT the bounds (1.0 and float32(1e-10))
    np.testing.assert_allclose(d_pred, out["d_ce_d_y_predict"], rtol=2e-6)
    np.testing.assert_allclose(d_label, out["d_ce_d_y_label"], rtol=2e-6)
    np.testing.assert_array_equal(srcgrad.grad(sum_clip)(y_predict), out["d_sum_clip_d_y_predict"])


# --- sigmoid cross-entropy, softplus: numerics away from the oracle points --------------------------------


def sum_sigmoid_xent(labels, logits):
    return np.sum(nn.sigmoid_cross_entropy_with_logits(labels, logits))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_cross_entropy(dtype: str) -> None:
    logits = np.array([-100.0, -7.0, -0.5, 0.0, 0.5, 7.0, 100.0], dtype=dtype)
    labels = np.array([0.0, 1.0, 0.3, 1.0, 0.0, 0.5, 1.0], dtype=dtype)
    value = nn.sigmoid_cross_entropy_with_logits(labels, logits)
    x, z = logits.astype(np.float64), labels.astype(np.float64)
    expected = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(value, expected, rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-7)
    d_labels, d_logits = srcgrad.grad(sum_sigmoid_xent, wrt=(0, 1))(labels, logits)
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(d_logits, sigmoid - z, rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-7)
    np.testing.assert_allclose(d_labels, -x, rtol=1e-7)
    with pytest.raises(ValueError, match=r"\(7,\).*\(7, 1\)"):
        nn.sigmoid_cross_entropy_with_logits(labels, logits[:, None])


def test_no_overflow_far_from_zero() -> None:
    x = np.array([-1e4, -100.0, 100.0, 1e4], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(nn.sigmoid(x), [0.0, np.exp(-100.0), 1.0, 1.0], rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(nn.softplus(x), [0.0, np.exp(-100.0), 100.0, 1e4], rtol=1e-7, atol=1e-30)
        np.testing.assert_allclose(srcgrad.grad(sum_softplus)(x), [0.0, 0.0, 1.0, 1.0], atol=1e-30)
        np.testing.assert_allclose(srcgrad.grad(sum_sigmoid)(x), [0.0, 0.0, 0.0, 0.0], atol=1e-30)


def half_squares(t):
    return nn.l2_loss(t)


def test_l2_loss() -> None:
    t = np.array([[1.0, -2.0], [0.0, 3.0]], dtype=np.float32)
    assert nn.l2_loss(t) == np.float32(7.0) and nn.l2_loss(t).dtype == np.float32
    np.testing.assert_array_equal(srcgrad.grad(half_squares)(t), t)
