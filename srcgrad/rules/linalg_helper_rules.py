"""Rules of the run-time helpers the linear-algebra rules emit, so gradients of gradients work.

A helper that computes the cotangent of one operand of a bilinear product is linear in the
cotangent and in the other operand: <u, grad_a(ct, b)> = <product(u, b), ct>.
"""

from __future__ import annotations

import numpy as np

from ..runtime.linalg import (
    as_columns,
    diag_grad,
    diagonal_grad,
    diagonal_mask,
    dot_grad_x,
    dot_grad_y,
    from_columns,
    kron_grad_a,
    kron_grad_b,
    matmul_grad_x,
    matmul_grad_y,
    tensordot_grad_a,
    tensordot_grad_b,
)
from .registry import defvjp, lookup, nondifferentiable



def _contract(a, b, axes):  # type: ignore[no-untyped-def]
    return np.inner(a, b) if isinstance(axes, str) else np.tensordot(a, b, axes)


defvjp(
    tensordot_grad_a,
    lambda ct, out, g, a, b, axes: _contract(ct, b, axes),
    None,
    lambda ct, out, g, a, b, axes: tensordot_grad_b(g, ct, b, axes),
    None,
)
defvjp(
    tensordot_grad_b,
    lambda ct, out, g, a, b, axes: _contract(a, ct, axes),
    lambda ct, out, g, a, b, axes: tensordot_grad_a(g, a, ct, axes),
    None,
    None,
)
defvjp(
    kron_grad_a,
    lambda ct, out, g, a, b: np.kron(ct, b),
    None,
    lambda ct, out, g, a, b: kron_grad_b(g, ct, b),
)
defvjp(
    kron_grad_b,
    lambda ct, out, g, a, b: np.kron(a, ct),
    lambda ct, out, g, a, b: kron_grad_a(g, a, ct),
    None,
)
defvjp(diagonal_grad, lambda ct, out, g, x, offset=0, axis1=0, axis2=1: np.diagonal(ct, offset, axis1, axis2))
defvjp(diag_grad, lambda ct, out, g, v, k=0: np.diag(ct, k))
defvjp(as_columns, lambda ct, out, v, b: from_columns(ct, b), None)
defvjp(from_columns, lambda ct, out, v, b: as_columns(ct, b), None)
nondifferentiable(diagonal_mask)

for _helper, _partials in [
    (dot_grad_x, (lambda ct, out, g, x, y: np.dot(ct, y), None, lambda ct, out, g, x, y: dot_grad_y(g, ct, y))),
    (dot_grad_y, (lambda ct, out, g, x, y: np.dot(x, ct), lambda ct, out, g, x, y: dot_grad_x(g, x, ct), None)),
    (matmul_grad_x, (lambda ct, out, g, x, y: np.matmul(ct, y), None, lambda ct, out, g, x, y: matmul_grad_y(g, ct, y))),
    (matmul_grad_y, (lambda ct, out, g, x, y: np.matmul(x, ct), lambda ct, out, g, x, y: matmul_grad_x(g, x, ct), None)),
]:
    if lookup(_helper) is None:  # numpy_rules' dot and matmul emit these
        defvjp(_helper, *_partials)
