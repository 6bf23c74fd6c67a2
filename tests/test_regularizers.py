"""srcgrad.regularizers against TensorFlow 1.x tf.contrib.layers: oracle case reg_l1_l2.

Gradients are computed by srcgrad through the regularizers' own NumPy code.
"""

from __future__ import annotations


import numpy as np
import pytest

import srcgrad
from oracle import load_oracle
from srcgrad import regularizers as R




CASE = load_oracle()["reg_l1_l2"]
OUT = CASE["tf_output"]
W1 = np.array(CASE["inputs"]["w1"], dtype=np.float32)
W2 = np.array(CASE["inputs"]["w2"], dtype=np.float32)


@pytest.fixture(autouse=True)
def fresh_srcgrad_cache(tmp_path, monkeypatch):
    """Each test compiles into its own empty disk cache: no entry from another test or run is reused."""
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "srcgrad-cache"))

l1 = R.l1_regularizer(0.1)
l2 = R.l2_regularizer(0.2)
l1_l2 = R.l1_l2_regularizer(0.1, 0.2)
summed = R.sum_regularizer([R.l1_regularizer(0.1), None, R.l2_regularizer(0.2)])


# The penalties a user's loss would add, differentiated by srcgrad.
def l1_penalty(w):
    return l1(w)


def l2_penalty(w):
    return l2(w)


def l1_l2_penalty(w):
    return l1_l2(w)


def summed_penalty(w):
    return summed(w)


def applied_penalty(w1, w2):
    return R.apply_regularization(l2, [w1, w2])


def loss_with_penalty(w, x):
    return np.sum((x * w) ** 2) / 2 + l2(w)


def test_values() -> None:
    for reg, key in ((l1, "l1_0.1"), (l2, "l2_0.2"), (l1_l2, "l1_l2"), (summed, "sum_regularizer")):
        value = reg(W1)
        assert np.asarray(value).dtype == np.float32
        np.testing.assert_allclose(value, OUT[key], rtol=1e-7)
    np.testing.assert_allclose(R.apply_regularization(l2, [W1, W2]), OUT["apply_regularization_l2_[w1,w2]"],
                               rtol=1e-7)
    np.testing.assert_allclose(R.apply_regularization(l2, [W1, W2]), OUT["regularization_losses_collection"][0],
                               rtol=1e-7)


def test_l2_has_the_half_keras_does_not() -> None:
    np.testing.assert_allclose(l2(W1), OUT["formula_l2_l2loss"], rtol=1e-7)
    assert not np.isclose(l2(W1), CASE["tf_output"]["keras3_for_contrast"]["keras_L2(0.2)"])


def test_gradients() -> None:
    np.testing.assert_allclose(srcgrad.grad(l1_penalty)(W1), OUT["d_l1_dw1"], rtol=1e-7)  # sign(0) = 0
    np.testing.assert_allclose(srcgrad.grad(l2_penalty)(W1), OUT["d_l2_dw1"], rtol=1e-7)
    np.testing.assert_allclose(srcgrad.grad(l1_l2_penalty)(W1), OUT["d_l1l2_dw1"], rtol=1e-7)
    np.testing.assert_allclose(srcgrad.grad(summed_penalty)(W1), OUT["d_l1l2_dw1"], rtol=1e-7)
    d_w1, d_w2 = srcgrad.grad(applied_penalty, wrt=(0, 1))(W1, W2)
    np.testing.assert_allclose(d_w1, OUT["d_apply_dw"][0], rtol=1e-7)
    np.testing.assert_allclose(d_w2, OUT["d_apply_dw"][1], rtol=1e-7)
    assert d_w1.dtype == np.float32 and d_w2.shape == W2.shape


def test_penalty_inside_a_loss() -> None:
    x = np.array([[2.0, 1.0], [1.0, -1.0]], dtype=np.float32)
    g = srcgrad.grad(loss_with_penalty)(W1, x)
    np.testing.assert_allclose(g, x * x * W1 + 0.2 * W1, rtol=1e-6)


small = R.l2_regularizer(0.1)
large = R.l2_regularizer(0.2)


def two_scales(w1, w2):
    return small(w1) + large(w2)


def test_two_regularizers_of_one_kind_in_one_loss() -> None:
    w1 = np.array([1.0, -2.0], dtype=np.float32)
    w2 = np.array([0.5, 3.0], dtype=np.float32)
    np.testing.assert_allclose(two_scales(w1, w2), 0.1 * 2.5 + 0.2 * 4.625, rtol=1e-6)
    d_w1, d_w2 = srcgrad.grad(two_scales, wrt=(0, 1))(w1, w2)
    np.testing.assert_allclose(d_w1, 0.1 * w1, rtol=1e-6)
    np.testing.assert_allclose(d_w2, 0.2 * w2, rtol=1e-6)


def test_errors_and_special_scales() -> None:
    errors = OUT["errors_and_special_scales"]
    for make, key in ((lambda: R.l2_regularizer(1), "l2_regularizer(1)"),
                      (lambda: R.l1_regularizer(-0.1), "l1_regularizer(-0.1)"),
                      (lambda: R.l2_regularizer(-0.1), "l2_regularizer(-0.1)")):
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value) == errors[key]["message"]
    with pytest.raises(ValueError, match="scale cannot be an integer: 1"):
        R.l1_regularizer(1)
    assert errors["l2_regularizer(0.0)(w)"] == "None"
    assert R.l2_regularizer(0.0)(W1) is None
    assert R.l1_regularizer(0.0)(W1) is None
    assert errors["sum_regularizer([])"] == "None"
    assert R.sum_regularizer([]) is None
    assert R.sum_regularizer([None]) is None
    with pytest.raises(ValueError, match="scale_l1 cannot be an integer: 1"):
        R.l1_l2_regularizer(1, 0.2)
    with pytest.raises(ValueError, match="scale_l2 cannot be an integer: 2"):
        R.l1_l2_regularizer(0.1, 2)
    with pytest.raises(TypeError):
        R.l1_regularizer("0.1")


def test_zero_scales_drop_terms() -> None:
    np.testing.assert_allclose(R.l1_l2_regularizer(0.0, 0.2)(W1), OUT["l2_0.2"], rtol=1e-7)
    np.testing.assert_allclose(R.l1_l2_regularizer(0.1, 0.0)(W1), OUT["l1_0.1"], rtol=1e-7)
    np.testing.assert_allclose(R.sum_regularizer([R.l2_regularizer(0.0), l1])(W1), OUT["l1_0.1"], rtol=1e-7)
    assert R.sum_regularizer([R.l2_regularizer(0.0)])(W1) is None


def test_apply_regularization_errors() -> None:
    with pytest.raises(ValueError, match="No weights to regularize."):
        R.apply_regularization(l2, [])
    with pytest.raises(TypeError, match="regularizer must be callable"):
        R.apply_regularization(0.2, [W1])
    with pytest.raises(ValueError, match="must return a scalar"):
        R.apply_regularization(np.abs, [W1])
    assert R.apply_regularization(R.l2_regularizer(0.0), [W1, W2]) == 0.0
