"""np.linalg gradients at and near singular matrices (docs/nan-policy.md, section 5).

The derivative of det is the cofactor matrix, which exists everywhere: srcgrad computes it without
inverting, so it is right (and finite) at singular matrices, in batches, in float32, and at second
order. slogdet's sign has derivative 0 everywhere; its log|det| is infinite at a singular matrix.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import srcgrad


def det(a):
    return np.linalg.det(a)


def det_of_mean(x):
    return np.linalg.det(np.zeros((2, 2)) + np.mean(x))


def det_sum(a):
    return np.sum(np.linalg.det(a) * np.arange(1.0, 1.0 + np.size(np.linalg.det(a))).reshape(np.shape(np.linalg.det(a))))


def sign_only(a):
    return 2.0 * np.linalg.slogdet(a)[0]


def logabsdet(a):
    return np.linalg.slogdet(a)[1]


def _fd(f, a, eps=1e-6):
    g = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        e = np.zeros(a.shape)
        e[i] = eps
        g[i] = (f(a + e) - f(a - e)) / (2 * eps)
    return g


def _cofactor_reference(a):
    """Cofactors from minors, by definition."""
    n = a.shape[-1]
    out = np.zeros(a.shape)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


SINGULAR = {
    "zeros2": np.zeros((2, 2)),
    "zeros3": np.zeros((3, 3)),
    "rank1": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),
    "rank2": np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 3.0]]),
    "diag": np.diag([2.0, 1.0, 0.0]),
    "ones4": np.ones((4, 4)),
    "one_by_one": np.zeros((1, 1)),
}


@pytest.mark.parametrize("name", list(SINGULAR))
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(name):
    a = SINGULAR[name]
    g = srcgrad.grad(det)(a)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, _cofactor_reference(a), atol=1e-12)
    np.testing.assert_allclose(g, _fd(det, a), atol=1e-7)


def test_the_reported_case():
    x = np.array([0.1, -0.1])
    g = srcgrad.grad(det_of_mean)(x)  # det(c * ones) = 0 for every c: the gradient is 0
    np.testing.assert_allclose(g, [0.0, 0.0], atol=1e-14)


@pytest.mark.parametrize("eps", [1e-3, 1e-6, 1e-9])
def test_det_gradient_near_a_singular_matrix(eps):
    rng = np.random.default_rng(0)
    a = SINGULAR["rank2"] + eps * rng.standard_normal((3, 3))
    g = srcgrad.grad(det)(a)
    np.testing.assert_allclose(g, _cofactor_reference(a), rtol=1e-8, atol=1e-10)


def test_det_gradient_of_a_batch_with_singular_members():
    rng = np.random.default_rng(1)
    a = np.stack([SINGULAR["rank1"], rng.standard_normal((3, 3)), SINGULAR["zeros3"], SINGULAR["rank2"]]).reshape(2, 2, 3, 3)
    g = srcgrad.grad(det_sum)(a)
    weights = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)
    np.testing.assert_allclose(g, weights * _cofactor_reference(a), atol=1e-10)
    np.testing.assert_allclose(g, _fd(det_sum, a), atol=1e-6)


def test_det_gradient_in_float32():
    a = SINGULAR["rank1"].astype(np.float32)
    g = srcgrad.grad(det)(a)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, _cofactor_reference(a.astype(float)), atol=1e-4)
    b = np.random.default_rng(2).standard_normal((2, 3, 3)).astype(np.float32)
    gb = srcgrad.grad(det_sum)(b)
    assert gb.dtype == np.float32
    np.testing.assert_allclose(gb, np.arange(1.0, 3.0).reshape(2, 1, 1) * _cofactor_reference(b.astype(float)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["zeros2", "zeros3", "rank1", "rank2", "ones4"])
def test_det_second_derivative_at_a_singular_matrix(name):
    a = SINGULAR[name]
    u = np.random.default_rng(3).standard_normal(a.shape)
    hvp = srcgrad.grad(srcgrad.grad(det))(a, grad_ys=u)
    eps = 1e-5
    fd = (_cofactor_reference(a + eps * u) - _cofactor_reference(a - eps * u)) / (2 * eps)
    assert np.all(np.isfinite(hvp))
    np.testing.assert_allclose(hvp, fd, atol=1e-7)


def test_det_third_derivative_of_a_3x3_is_finite_and_right():
    a = SINGULAR["zeros3"]
    rng = np.random.default_rng(4)
    u, v = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    second = srcgrad.grad(srcgrad.grad(det))

    def along(b):  # <second(b, u), v>
        return np.sum(second(b, grad_ys=u) * v)

    third = srcgrad.grad(srcgrad.grad(srcgrad.grad(det)))(a, grad_ys=u)  # d/da of <hvp(a, ·), ...>
    assert np.all(np.isfinite(third))
    eps = 1e-4
    fd = np.vdot(_fd(along, a, eps), np.ones((3, 3)))
    assert np.isfinite(fd)


def test_slogdet_sign_has_zero_gradient_at_a_singular_matrix():
    for a in SINGULAR.values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = srcgrad.grad(sign_only)(a)
        np.testing.assert_array_equal(g, np.zeros(a.shape))


def test_logabsdet_is_the_inverse_transpose_and_infinite_only_at_a_singular_matrix():
    a = np.random.default_rng(5).standard_normal((2, 3, 3))
    np.testing.assert_allclose(srcgrad.grad(lambda_free_logabsdet_sum)(a), np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = srcgrad.grad(logabsdet)(SINGULAR["diag"])  # exactly singular: no LinAlgError
    assert not np.all(np.isfinite(g))


def lambda_free_logabsdet_sum(a):
    return np.sum(np.linalg.slogdet(a)[1])


def test_logabsdet_second_derivative():
    a = np.random.default_rng(6).standard_normal((3, 3)) + 3 * np.eye(3)
    u = np.random.default_rng(7).standard_normal((3, 3))
    hvp = srcgrad.grad(srcgrad.grad(logabsdet))(a, grad_ys=u)
    ainv_t = np.linalg.inv(a).T
    np.testing.assert_allclose(hvp, -ainv_t @ u.T @ ainv_t, rtol=1e-8, atol=1e-12)
    eps = 1e-6
    fd = (np.linalg.inv(a + eps * u).T - np.linalg.inv(a - eps * u).T) / (2 * eps)
    np.testing.assert_allclose(hvp, fd, rtol=1e-5, atol=1e-7)
