"""SVD and QR of rectangular matrices. `np.linalg.svd(a)` (full_matrices=True by default) of a
non-square matrix differentiates through its reduced parts: the singular values and the first
min(m, n) singular vectors; a gradient through the completing vectors (any orthonormal completion)
is refused when it runs, with what to write instead. QR's gradient is for m >= n; a wide matrix is
refused when it runs. Never an error from inside generated code."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from gradcheck import check, second_derivative_check
from srcgrad.errors import UnsupportedValueError

RNG = np.random.default_rng(17)


def full_svd_leading_parts(a):
    u, s, vt = np.linalg.svd(a, full_matrices=True)
    k = min(a.shape)
    return np.sum(u[:, :k] ** 3) + np.sum(s ** 2) + np.sum(vt[:k] ** 3)


def full_svd_completing_rows(a):
    u, s, vt = np.linalg.svd(a)
    return np.sum(vt ** 3)


def wide_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(r)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape", [(2, 3), (4, 2), (3, 3), (2, 2, 3)], ids=str)
def test_full_svd_through_its_reduced_parts(shape, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    if len(shape) == 3:
        check(lambda b: sum(full_svd_leading_parts(m) for m in b), (a,))
    else:
        check(full_svd_leading_parts, (a,))


def test_full_svd_second_derivative():
    second_derivative_check(full_svd_leading_parts, RNG.standard_normal((2, 3)))


def test_a_gradient_through_the_completing_singular_vectors_is_refused():
    with pytest.raises(UnsupportedValueError, match="completing singular vectors"):
        srcgrad.grad(full_svd_completing_rows)(RNG.standard_normal((2, 3)))


def test_qr_of_a_wide_matrix_is_refused_when_it_runs():
    with pytest.raises(UnsupportedValueError, match="np.linalg.qr of a wide 2 x 3 matrix"):
        srcgrad.grad(wide_qr)(RNG.standard_normal((2, 3)))
