"""VJP rules for linear algebra: products and contractions (vdot, inner, outer,
tensordot, einsum, kron), diagonals and triangles, and `np.linalg` (its norms
are reductions: reduction_rules).

Matrices may be stacked (`...`, m, n). Multi-output functions (slogdet, eigh,
qr, svd) get a tuple cotangent, one entry per output; an output the program
does not use has an `np.zeros_like` cotangent (what `getitem_grad` gives the
other items of a tuple), so every rule reads all of them. `eigh` and
`cholesky` read one triangle of their input (`UPLO`, `upper`); their rules give
the exact derivative of that, so the cotangent of the other triangle is zero.
Decompositions are differentiated where they are smooth: distinct eigenvalues
or singular values, full rank; a zero cotangent still wins there
(docs/nan-policy.md).
"""

from __future__ import annotations

import numpy as np

from ..runtime.core import unbroadcast
from ..runtime.linalg import (
    as_columns,
    check_tall,
    cofactor,
    cofactor_signs,
    diag_grad,
    diagonal_grad,
    diagonal_mask,
    eye_like,
    fill_leading,
    from_columns,
    inverse_transpose,
    kron_grad_a,
    kron_grad_b,
    leading_block,
    minors,
    minors_grad,
    reduced_svd_parts,
    tensordot_grad_a,
    tensordot_grad_b,
)
from ..runtime.numeric import reject, safe_div, safe_mul
from ..ir.builder import emit
from .numpy_rules import integer_dtype
from .registry import defvjp, lookup, nondifferentiable, refuse, vjp_rule


def mT(x):  # type: ignore[no-untyped-def]
    """The transpose of each matrix in a stack."""
    return np.swapaxes(x, -1, -2)


# --- products and contractions ----------------------------------------------------------
defvjp(
    np.vdot,
    lambda ct, out, a, b: np.reshape(ct * b, np.shape(a)),
    lambda ct, out, a, b: np.reshape(ct * a, np.shape(b)),
)
defvjp(
    np.inner,
    lambda ct, out, a, b: tensordot_grad_a(ct, a, b, "inner"),
    lambda ct, out, a, b: tensordot_grad_b(ct, a, b, "inner"),
)
defvjp(
    np.tensordot,
    lambda ct, out, a, b, axes=2: tensordot_grad_a(ct, a, b, axes),
    lambda ct, out, a, b, axes=2: tensordot_grad_b(ct, a, b, axes),
)
for _outer in (np.outer, np.linalg.outer):
    defvjp(
        _outer,
        lambda ct, out, a, b: np.reshape(np.dot(ct, np.ravel(b)), np.shape(a)),
        lambda ct, out, a, b: np.reshape(np.dot(np.ravel(a), ct), np.shape(b)),
    )
defvjp(np.kron, lambda ct, out, a, b: kron_grad_a(ct, a, b), lambda ct, out, a, b: kron_grad_b(ct, a, b))
defvjp(np.linalg.matmul, *lookup(np.matmul).partials)  # type: ignore[union-attr]
defvjp(np.linalg.tensordot, *lookup(np.tensordot).partials)  # type: ignore[union-attr]
for _vecdot in (np.vecdot, np.linalg.vecdot):  # sum(x1 * x2, axis)
    defvjp(
        _vecdot,
        lambda ct, out, x1, x2, axis=-1: unbroadcast(np.expand_dims(ct, axis) * x2, x1),
        lambda ct, out, x1, x2, axis=-1: unbroadcast(np.expand_dims(ct, axis) * x1, x2),
    )
defvjp(
    np.matvec,  # out_i = sum_j A_ij v_j
    lambda ct, out, a, v: unbroadcast(ct[..., :, None] * v[..., None, :], a),
    lambda ct, out, a, v: unbroadcast(np.sum(a * ct[..., :, None], axis=-2), v),
)
defvjp(
    np.vecmat,  # out_j = sum_i v_i A_ij
    lambda ct, out, v, a: unbroadcast(np.sum(a * ct[..., None, :], axis=-1), v),
    lambda ct, out, v, a: unbroadcast(v[..., :, None] * ct[..., None, :], a),
)


def _cross_axis(ct, axisa, axisb, axisc, axis):  # type: ignore[no-untyped-def]
    if axis is None and (axisa, axisb, axisc) != (-1, -1, -1):
        refuse(ct, "no derivative rule for np.cross with separate axisa=/axisb=/axisc=", "give one axis= instead")
    return -1 if axis is None else axis


for _cross in (np.cross, np.linalg.cross):  # <ct, a x b> = <a, b x ct> = <b, ct x a>
    defvjp(
        _cross,
        lambda ct, out, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None:
            unbroadcast(np.cross(b, ct, axis=_cross_axis(ct, axisa, axisb, axisc, axis)), a),
        lambda ct, out, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None:
            unbroadcast(np.cross(ct, a, axis=_cross_axis(ct, axisa, axisb, axisc, axis)), b),
    )


def _einsum_tokens(subscripts):  # type: ignore[no-untyped-def]
    """'...ij' -> ['...', 'i', 'j']."""
    tokens, rest = [], subscripts
    while rest:
        step = 3 if rest.startswith("...") else 1
        tokens.append(rest[:step])
        rest = rest[step:]
    return tokens


def _einsum_parse(subscripts):  # type: ignore[no-untyped-def]
    """The input and output subscripts, with NumPy's implicit output (labels used once, sorted)."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs = subscripts
        labels = inputs.replace(",", "").replace(".", "")
        output = ("..." if "..." in inputs else "") + "".join(sorted(c for c in set(labels) if labels.count(c) == 1))
    return inputs.split(","), output


def _einsum_vjp(ct, subscripts, operands, i, kwargs):  # type: ignore[no-untyped-def]
    """The cotangent of operand i: an einsum of ct with the other operands, onto operand i's subscripts.

    A label repeated in operand i (a diagonal) is renamed and tied back with an identity;
    labels only operand i has (summed away) come from a ones_like(operand) factor.
    """
    if not isinstance(subscripts, str) or set(kwargs) - {"optimize", "order"}:  # dtype=, casting=: refused
        refuse(ct, "no derivative rule for np.einsum with " + (", ".join(f"{k}=" for k in kwargs) if isinstance(
            subscripts, str) else "the (operand, sublist) form"), "write the subscripts as one string, without options")
    inputs, output = _einsum_parse(subscripts)
    x = operands[i]
    target = _einsum_tokens(inputs[i])
    fresh = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in subscripts)
    result, extra_subscripts, extra_operands = [], [], []
    ellipsis = target.index("...") if "..." in target else None
    for position, label in enumerate(target):
        if label in result:
            renamed = next(fresh)
            axis = position - len(target) if ellipsis is not None and position > ellipsis else position
            extra_subscripts.append(label + renamed)
            extra_operands.append(eye_like(x, axis))
            label = renamed
        result.append(label)
    others = [s for j, s in enumerate(inputs) if j != i] + [output]
    available = {t for s in others for t in _einsum_tokens(s)}
    if any(label not in available for label in target):
        extra_subscripts.append(inputs[i])
        extra_operands.append(np.ones_like(x))
    spec = ",".join([output, *[s for j, s in enumerate(inputs) if j != i], *extra_subscripts]) + "->" + "".join(result)
    rest = [op for j, op in enumerate(operands) if j != i]
    grad = np.einsum(spec, ct, *rest, *extra_operands, optimize=kwargs.get("optimize", False))
    if ellipsis is None:
        return grad
    return unbroadcast(grad, x) if ellipsis == 0 else np.reshape(grad, np.shape(x))


defvjp(
    np.einsum,
    None,
    *[(lambda ct, out, subscripts, *operands, i=i, **kw: _einsum_vjp(ct, subscripts, operands, i, kw)) for i in range(32)],
)

# --- diagonals and triangles --------------------------------------------------------------
def _trace_vjp(ct, a, offset, axis1, axis2, dtype):  # type: ignore[no-untyped-def]  # an integer dtype truncates
    return None if integer_dtype(dtype) else np.expand_dims(ct, (axis1, axis2)) * diagonal_mask(a, offset, axis1, axis2)


defvjp(np.trace, lambda ct, out, a, offset=0, axis1=0, axis2=1, dtype=None, _out=None: _trace_vjp(ct, a, offset, axis1, axis2, dtype))
defvjp(np.linalg.trace, lambda ct, out, x, offset=0, dtype=None: _trace_vjp(ct, x, offset, -2, -1, dtype))
defvjp(np.diagonal, lambda ct, out, a, offset=0, axis1=0, axis2=1: diagonal_grad(ct, a, offset, axis1, axis2))
defvjp(np.linalg.diagonal, lambda ct, out, x, offset=0: diagonal_grad(ct, x, offset, -2, -1))
defvjp(np.diag, lambda ct, out, v, k=0: diag_grad(ct, v, k))
defvjp(np.diagflat, lambda ct, out, v, k=0: np.reshape(np.diag(ct, k), np.shape(v)))
defvjp(np.tril, lambda ct, out, m, k=0: np.tril(ct, k))
defvjp(np.triu, lambda ct, out, m, k=0: np.triu(ct, k))
defvjp(np.matrix_transpose, lambda ct, out, x: mT(ct))
defvjp(np.linalg.matrix_transpose, lambda ct, out, x: mT(ct))

# --- inverses and determinants -------------------------------------------------------------
defvjp(np.linalg.inv, lambda ct, out, a: -np.matmul(np.matmul(mT(out), ct), mT(out)))


@vjp_rule(np.linalg.solve, argnum=0)
def solve_vjp_a(ct, out, a, b):  # type: ignore[no-untyped-def]
    """-(A^-T ct) x^T, with a vector b treated as one column."""
    z = np.linalg.solve(mT(a), as_columns(ct, b))
    return unbroadcast(-np.matmul(z, mT(as_columns(out, b))), a)


@vjp_rule(np.linalg.solve, argnum=1)
def solve_vjp_b(ct, out, a, b):  # type: ignore[no-untyped-def]
    """A^-T ct."""
    return unbroadcast(from_columns(np.linalg.solve(mT(a), as_columns(ct, b)), b), b)


# d det(A) = <cof(A), dA>, with the cofactor matrix cof(A) = adj(A)^T: a polynomial in A, so it is
# computed without inverting (runtime/linalg.py, through the SVD) and is right at singular A too.
defvjp(np.linalg.det, lambda ct, out, a: np.expand_dims(ct, (-2, -1)) * cofactor(a))
# d log|det A| = <A^-T, dA>: infinite at a singular A, where a zero cotangent (only the sign used) wins.
defvjp(np.linalg.slogdet, lambda ct, out, a: safe_mul(np.expand_dims(ct[1], (-2, -1)), inverse_transpose(a)))
# cof(A)_ij = (-1)^(i+j) det(M_ij), M_ij = A without row i and column j, so
# d cof(A)_ij = (-1)^(i+j) <cof(M_ij), dM_ij>: division-free at every order.
defvjp(
    cofactor,
    lambda ct, out, a: minors_grad(ct[..., None, None] * cofactor_signs(a)[:, :, None, None] * cofactor(minors(a)), a),
)
defvjp(minors, lambda ct, out, a: minors_grad(ct, a))
defvjp(minors_grad, lambda ct, out, g, a: minors(ct), None)
defvjp(inverse_transpose, lambda ct, out, a: -np.matmul(np.matmul(out, mT(ct)), out))
nondifferentiable(cofactor_signs)


@vjp_rule(np.linalg.pinv)
def pinv_vjp(ct, out, a, rcond=None, hermitian=False, **kwargs):  # type: ignore[no-untyped-def]
    """Golub & Pereyra: -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), P = pinv(A) (constant rank)."""
    if hermitian:
        refuse(ct, "no derivative rule for np.linalg.pinv with hermitian=True", "leave it out: the general rule holds")
    p, g = out, ct
    y = np.matmul(np.matmul(mT(g), p), mT(p))
    z = np.matmul(np.matmul(mT(p), p), mT(g))
    return (
        -np.matmul(np.matmul(mT(p), g), mT(p))
        + (y - np.matmul(a, np.matmul(p, y)))
        + (z - np.matmul(np.matmul(z, p), a))
    )


@vjp_rule(np.linalg.matrix_power)
def matrix_power_vjp(ct, out, a, n):  # type: ignore[no-untyped-def]
    """sum_k (B^T)^k G (B^T)^(m-1-k) for B^m = A^n (B = inv(A) when n < 0)."""
    if n == 0:
        return np.zeros_like(a)
    base = a if n > 0 else np.linalg.inv(a)
    powers = [None, base]  # None: the identity
    for _ in range(2, abs(n)):
        powers.append(np.matmul(powers[-1], base))
    grad = None
    for k in range(abs(n)):
        term = ct
        if powers[k] is not None:
            term = np.matmul(mT(powers[k]), term)
        if powers[abs(n) - 1 - k] is not None:
            term = np.matmul(term, mT(powers[abs(n) - 1 - k]))
        grad = term if grad is None else grad + term
    if n < 0:
        grad = -np.matmul(np.matmul(mT(base), grad), mT(base))
    return grad


# --- decompositions -----------------------------------------------------------------------------


def _one_triangle(g, lower):  # type: ignore[no-untyped-def]
    """The cotangent of a matrix read through one triangle (mirrored): g + g^T on it, g's diagonal."""
    both = g + mT(g)
    return (np.tril(both) if lower else np.triu(both)) - g * eye_like(g)


@vjp_rule(np.linalg.cholesky)
def cholesky_vjp(ct, out, a, upper=False):  # type: ignore[no-untyped-def]
    """Murray (2016): S = L^-T Φ(L^T Ḡ) L^-1, Φ = lower triangle with half the diagonal."""
    lower, ct = (mT(out), mT(ct)) if upper else (out, ct)
    phi = np.tril(np.matmul(mT(lower), ct)) * (1 - 0.5 * eye_like(lower))
    s = mT(np.linalg.solve(mT(lower), mT(np.linalg.solve(mT(lower), phi))))
    return _one_triangle(0.5 * (s + mT(s)), lower=not upper)


def _off_diagonal_quotient(x, gaps):  # type: ignore[no-untyped-def]
    """x / gaps off the diagonal, 0 on it (and 0 wherever x is 0, even at a repeated value).

    The diagonal's zero gaps are replaced by ones before dividing, so that no infinity is
    computed there, not even one that is then thrown away (it would be NaN at second order).
    """
    eye = eye_like(x)
    return reject(eye > 0, safe_div(x, gaps + eye))


def _eigh_grad(w, v, ct_w, ct_v, lower):  # type: ignore[no-untyped-def]
    """V (diag(w̄) + F ∘ V^T V̄) V^T with F_ij = 1 / (w_j - w_i), read through one triangle."""
    coupling = _off_diagonal_quotient(np.matmul(mT(v), ct_v), w[..., None, :] - w[..., :, None])
    inner = coupling + eye_like(v) * ct_w[..., None, :]
    return _one_triangle(np.matmul(np.matmul(v, inner), mT(v)), lower)


defvjp(np.linalg.eigh, lambda ct, out, a, UPLO="L": _eigh_grad(out[0], out[1], ct[0], ct[1], UPLO.upper() == "L"))


@vjp_rule(np.linalg.eigvalsh)
def eigvalsh_vjp(ct, out, a, UPLO="L"):  # type: ignore[no-untyped-def]
    """V diag(w̄) V^T, read through one triangle."""
    v = np.linalg.eigh(a, UPLO)[1]
    return _one_triangle(np.matmul(v * ct[..., None, :], mT(v)), UPLO.upper() == "L")


def _singular_values_grad(ct, a):  # type: ignore[no-untyped-def]
    """U diag(s̄) V^T."""
    usv = np.linalg.svd(a, full_matrices=False)
    return np.matmul(usv[0] * ct[..., None, :], usv[2])


@vjp_rule(np.linalg.svd)
def svd_vjp(ct, out, a, full_matrices=True, compute_uv=True, hermitian=False):  # type: ignore[no-untyped-def]
    """Townsend (2016), for the reduced SVD (full_matrices=True: through the reduced parts)."""
    if hermitian:
        refuse(ct, "no derivative rule for np.linalg.svd with hermitian=True", "leave it out: the general rule holds")
    if not compute_uv:
        return _singular_values_grad(ct, a)
    u, s, vh = out[0], out[1], out[2]
    ct_u, ct_s, ct_vh = ct[0], ct[1], ct[2]
    if full_matrices:  # a non-square matrix's completing singular vectors carry no gradient
        parts = reduced_svd_parts(u, vh, ct_u, ct_vh)
        u, vh, ct_u, ct_vh = parts[0], parts[1], parts[2], parts[3]
    gaps = (s * s)[..., None, :] - (s * s)[..., :, None]  # s_j² - s_i²
    utu = np.matmul(mT(u), ct_u)
    vtv = np.matmul(vh, mT(ct_vh))
    j = _off_diagonal_quotient(utu - mT(utu), gaps)
    k = _off_diagonal_quotient(vtv - mT(vtv), gaps)
    core = j * s[..., None, :] + eye_like(j) * ct_s[..., None, :] + s[..., :, None] * k
    grad = np.matmul(np.matmul(u, core), vh)
    grad = grad + np.matmul(safe_div(ct_u - np.matmul(u, utu), s[..., None, :]), vh)
    return grad + np.matmul(u, safe_div(ct_vh - np.matmul(np.matmul(ct_vh, mT(vh)), vh), s[..., :, None]))


defvjp(np.linalg.svdvals, lambda ct, out, x: _singular_values_grad(ct, x))


@vjp_rule(np.linalg.qr)
def qr_vjp(ct, out, a, mode="reduced"):  # type: ignore[no-untyped-def]
    """TensorFlow's QrGrad, for m >= n (reduced; complete only when square)."""
    if mode not in ("reduced", "complete"):
        refuse(ct, f"no derivative rule for np.linalg.qr with mode={mode!r}", "use mode='reduced'")
    emit(check_tall, a, "np.linalg.qr")
    q, r, ct_q, ct_r = out[0], out[1], ct[0], ct[1]

    def times_r_inverse_t(x):  # type: ignore[no-untyped-def]
        return mT(np.linalg.solve(r, mT(x)))

    qdq = np.matmul(mT(q), ct_q)
    rdr = np.matmul(r, mT(ct_r))
    lower = np.tril(qdq - mT(qdq) + rdr - mT(rdr))
    grad = np.matmul(q, ct_r + times_r_inverse_t(lower))
    return grad + times_r_inverse_t(ct_q - np.matmul(q, qdq))


nondifferentiable(np.linalg.matrix_rank, np.linalg.cond, check_tall)
defvjp(  # leading blocks of its inputs: the cotangents back in place, zeros elsewhere
    reduced_svd_parts, *[(lambda ct, out, u, vh, ct_u, ct_vh, i=i: fill_leading(ct[i], (u, vh, ct_u, ct_vh)[i]))
                          for i in range(4)]
)
defvjp(fill_leading, lambda ct, out, g, like: leading_block(ct, g), None)
defvjp(leading_block, lambda ct, out, x, like: fill_leading(ct, x), None)
