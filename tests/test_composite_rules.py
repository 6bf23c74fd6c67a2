"""NumPy rules inside composite functions (layer norm, attention, einsum, linear algebra, sorting,
splits, ...), checked against central finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import Draws, check

from srcgrad import nn

_draws = Draws(1234)
rn = _draws.normal
spd = _draws.spd


# --- NumPy rules inside composite functions ---------------------------------------------------


def layer_norm(x, gamma, beta):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.var(x, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * xhat + beta


def layer_norm_manual(x, gamma, beta):
    mu = x.mean(axis=(-2, -1), keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=(-1, -2), keepdims=True)
    return np.sum(gamma * d / np.sqrt(var + 1e-5) + beta, axis=(0, -1))


def softmax_axis0(x):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_axis1_3d(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def log_softmax_mid(x):
    m = np.max(x, axis=-2, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-2, keepdims=True))


def logsumexp_no_keepdims(x):
    m = np.max(x, axis=(0, 2))
    return m + np.log(np.sum(np.exp(x - m[None, :, None]), axis=(2, 0)))


def attention(q, k, v):
    d = q.shape[-1]
    s = np.matmul(q, np.swapaxes(k, -1, -2)) / np.sqrt(d)
    s = s - np.max(s, axis=-1, keepdims=True)
    p = np.exp(s)
    p = p / np.sum(p, axis=-1, keepdims=True)
    return p @ v


def attention_einsum(q, k, v, wo):
    s = np.einsum("bhqd,bhkd->bhqk", q, k)
    p = nn.softmax(s, axis=-1)
    o = np.einsum("bhqk,bhkd->bhqd", p, v)
    return np.einsum("bhqd,hde->bqe", o, wo)


def conv1d_loop(x, w):
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(x[i:i + k] * w)
    return np.tanh(out)


def conv2d_loop(img, w):
    kh, kw = w.shape
    h = img.shape[0] - kh + 1
    ww = img.shape[1] - kw + 1
    rows = []
    for i in range(h):
        row = []
        for j in range(ww):
            row.append(np.sum(img[i:i + kh, j:j + kw] * w))
        rows.append(np.stack(row))
    return np.stack(rows) ** 2


def conv_strided(x, w):
    acc = 0.0
    for i in range(0, x.shape[-1] - 2, 2):
        acc = acc + np.sum(x[..., i:i + 3] @ w, axis=-1)
    return acc


def einsum_mix(a, b, c):
    t = np.einsum("ij,jk->ik", a, b)
    u = np.einsum("ii->i", t)
    v = np.einsum("ij,j", a, c)
    return np.einsum("i,i->", u, v) + np.einsum("ij->", t * t)


def einsum_batch_trace(a, b):
    return np.einsum("bij,bji->b", a, b) + np.einsum("...ij,...jk->...ik", a, b).sum(axis=(1, 2))


def linalg_solve_loss(a, b):
    x = np.linalg.solve(a, b)
    return np.sum(x ** 2) + np.linalg.norm(x)


def linalg_inv_det(a):
    return np.trace(np.linalg.inv(a) @ a.T) + np.log(np.abs(np.linalg.det(a)))


def linalg_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


def gaussian_nll(l_raw, x):
    sigma = l_raw @ l_raw.T + 3.0 * np.eye(l_raw.shape[0])
    chol = np.linalg.cholesky(sigma)
    z = np.linalg.solve(chol, x)
    return 0.5 * np.sum(z * z) + np.sum(np.log(np.diag(chol)))


def linalg_norms(a):
    return (np.linalg.norm(a) + np.linalg.norm(a, axis=1).sum() + np.linalg.norm(a, ord=1, axis=0).sum()
            + np.linalg.norm(a, "fro") + np.linalg.norm(a[0], ord=3))


def batched_solve(a, b):
    return np.linalg.solve(a, b) * np.linalg.det(a)[:, None, None]


def where_clip_chain(x, y):
    z = np.where(x > 0.1, x * y, np.clip(y, -0.5, 0.5))
    z = np.maximum(z, 0.2 * x)
    z = np.minimum(z, np.exp(y))
    return np.where(np.abs(z) < 1.0, z ** 2, z)


def clip_arrays(x, lo, hi):
    return np.clip(x, lo, hi) * x


def cumsum_cumprod(x):
    return np.cumsum(x, axis=1) * np.cumprod(x, axis=0) + np.cumsum(x)[:, None][: x.shape[0]]


def cumprod_flat(x):
    return np.cumprod(x)


def cumsum_neg_axis(x):
    return np.cumsum(x[::-1], axis=-1)[::-1] ** 2


def sort_and_take(x, y):
    idx = np.argsort(x, axis=1)
    sx = np.take_along_axis(x, idx, axis=1)
    sy = np.take_along_axis(y, idx, axis=1)
    return np.sort(x * y, axis=0) + sx * sy


def sort_neg_axis(x):
    return np.sort(x, axis=-1)[:, ::-1] * np.arange(x.shape[-1])


def topk(x):
    idx = np.argsort(-x, axis=-1)[:, :2]
    return np.sum(np.take_along_axis(x, idx, axis=-1) ** 2, axis=-1)


def concat_split(a, b):
    c = np.concatenate([a, b * 2], axis=1)
    p, q, r = np.split(c, [2, 5], axis=1)
    s = np.stack([p.sum(axis=1), q.sum(axis=1), r.sum(axis=1)], axis=-1)
    return np.vstack([s, np.hstack([p, r])[:, :3]]) ** 2


def stack_unstack(a):
    s = np.stack([a, a ** 2, np.sin(a)], axis=1)
    parts = np.array_split(s, 2, axis=0)
    return np.concatenate([parts[1], parts[0]], axis=0) * np.arange(s.shape[1])[:, None]


def tuple_axes(x):
    return (np.sum(x, axis=(0, -1)) * np.mean(x ** 2, axis=(-3, 2), keepdims=True).squeeze()
            + np.prod(x, axis=-2).sum() + np.max(x, axis=(1, 2)).sum() + np.std(x, axis=(0, 2)).sum())


def min_max_reductions(x):
    return np.amax(x, axis=0) - np.amin(x, axis=-1) + x.max() * x.min(axis=1) + np.ptp(x, axis=1)


def var_ddof(x):
    return np.var(x, axis=0, ddof=1) + np.std(x, ddof=1) + np.linalg.norm(x - x.mean(axis=0), axis=0)


def matmul_broadcast(a, b, v):
    return (a @ b) @ v + np.matmul(v, np.swapaxes(a @ b, -1, -2))


def outer_kron_tensordot(a, b):
    return np.tensordot(np.outer(a, b), np.kron(a[:1], b), axes=([1], [0])) + np.tensordot(
        a[:, None] * b, np.ones((b.shape[0], 2)), axes=1).sum()


def tril_triu_diag(a):
    return np.sum(np.tril(a) @ np.triu(a, 1)) + np.diag(a) @ np.diagonal(a, offset=1)[:1].repeat(a.shape[0])


def log_sum_exp_where(x):
    safe = np.where(x > 0, x, 0.0)
    return np.sum(np.where(x > 0, np.log(safe + 1e-300), 0.0) * x)


def pad_roll(x):
    return np.roll(np.pad(x, ((1, 2), (0, 1))), 2, axis=0) * np.flip(np.pad(x, ((1, 2), (0, 1))), axis=1)


def expand_squeeze_transpose(x):
    y = np.expand_dims(x, axis=1)
    z = np.transpose(y, (2, 1, 0, 3)).reshape(x.shape[1], -1)
    return np.squeeze(z[None], axis=0) @ np.moveaxis(x, 0, -1).reshape(-1, x.shape[1])


def fancy_gather(x, idx):
    return np.sum(x[idx] * x[idx[::-1]], axis=0) + x[:, idx[:3]].sum(axis=0)


def mask_mean(x):
    m = x > 0.2
    return np.sum(x[m] ** 2) / np.maximum(np.sum(m), 1)


def repeat_tile(x):
    return np.tile(x, (2, 1)) * np.repeat(x, 2, axis=0)


def mlp(w1, b1, w2, x, y):
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2
    lse = np.log(np.sum(np.exp(logits - logits.max(axis=1, keepdims=True)), axis=1)) + logits.max(axis=1)
    return np.mean(lse - np.sum(logits * y, axis=1))


def gather_rows_from_argmax(x, w):
    i = np.argmax(x @ w, axis=1)
    return np.take_along_axis(x, i[:, None], axis=1) * np.take(w, i, axis=0).sum(axis=1, keepdims=True)


def dot_vdot_inner(a, b):
    return np.dot(a, b) @ np.inner(a, b) + np.vdot(a, b) + a.dot(b.T).trace()


def logaddexp_chain(x, y):
    return np.logaddexp(x, y) * np.logaddexp2(y, 0.5 * x) + np.hypot(x, y) + np.arctan2(y, x + 3)


EIGH_A = spd(4)


COMPOSITES = [
    ("layer_norm", layer_norm, (rn(3, 5), rn(5), rn(5)), (0, 1, 2)),
    ("layer_norm_manual", layer_norm_manual, (rn(2, 3, 4), rn(4), rn(3, 1)), (0, 1, 2)),
    ("softmax_axis0", softmax_axis0, (rn(4, 3),), (0,)),
    ("softmax_axis1_3d", softmax_axis1_3d, (rn(2, 4, 3),), (0,)),
    ("log_softmax_mid", log_softmax_mid, (rn(2, 4, 3),), (0,)),
    ("logsumexp_no_keepdims", logsumexp_no_keepdims, (rn(2, 3, 4),), (0,)),
    ("attention", attention, (rn(2, 3, 4, 5), rn(2, 3, 6, 5), rn(2, 3, 6, 2)), (0, 1, 2)),
    ("attention_broadcast_k", attention, (rn(2, 3, 4, 5), rn(3, 6, 5), rn(1, 3, 6, 2)), (0, 1, 2)),
    ("attention_einsum", attention_einsum, (rn(2, 2, 3, 4), rn(2, 2, 5, 4), rn(2, 2, 5, 4), rn(2, 4, 3)),
     (0, 1, 2, 3)),
    ("conv1d_loop", conv1d_loop, (rn(8), rn(3)), (0, 1)),
    ("conv2d_loop", conv2d_loop, (rn(5, 4), rn(2, 3)), (0, 1)),
    ("conv_strided", conv_strided, (rn(2, 9), rn(3)), (0, 1)),
    ("einsum_mix", einsum_mix, (rn(3, 3), rn(3, 3), rn(3)), (0, 1, 2)),
    ("einsum_batch_trace", einsum_batch_trace, (rn(2, 3, 3), rn(2, 3, 3)), (0, 1)),
    ("linalg_solve_loss", linalg_solve_loss, (spd(3), rn(3, 2)), (0, 1)),
    ("linalg_solve_vec", linalg_solve_loss, (spd(3), rn(3)), (0, 1)),
    ("linalg_inv_det", linalg_inv_det, (spd(3) + rn(3, 3),), (0,)),
    ("linalg_slogdet", linalg_slogdet, (rn(4, 4) + 3 * np.eye(4),), (0,)),
    ("gaussian_nll", gaussian_nll, (rn(3, 3), rn(3, 2)), (0, 1)),
    ("linalg_norms", linalg_norms, (rn(3, 4),), (0,)),
    ("batched_solve", batched_solve, (np.stack([spd(3), spd(3)]), rn(2, 3, 2)), (0, 1)),
    ("where_clip_chain", where_clip_chain, (rn(4, 3), rn(4, 3)), (0, 1)),
    ("clip_arrays", clip_arrays, (rn(5), -0.5 + 0.01 * rn(5), 0.5 + 0.01 * rn(5)), (0, 1, 2)),
    ("cumsum_cumprod", cumsum_cumprod, (rn(3, 4),), (0,)),
    ("cumprod_flat", cumprod_flat, (rn(2, 3),), (0,)),
    ("cumsum_neg_axis", cumsum_neg_axis, (rn(3, 4),), (0,)),
    ("sort_and_take", sort_and_take, (rn(3, 4), rn(3, 4)), (0, 1)),
    ("sort_neg_axis", sort_neg_axis, (rn(3, 5),), (0,)),
    ("topk", topk, (rn(3, 5),), (0,)),
    ("concat_split", concat_split, (rn(3, 3), rn(3, 4)), (0, 1)),
    ("stack_unstack", stack_unstack, (rn(3, 2),), (0,)),
    ("tuple_axes", tuple_axes, (rn(2, 3, 4) + 0.1,), (0,)),
    ("min_max_reductions", min_max_reductions, (rn(3, 3),), (0,)),
    ("var_ddof", var_ddof, (rn(4, 3),), (0,)),
    ("matmul_broadcast", matmul_broadcast, (rn(2, 3, 4), rn(4, 2), rn(2)), (0, 1, 2)),
    ("outer_kron_tensordot", outer_kron_tensordot, (rn(3), rn(4)), (0, 1)),
    ("tril_triu_diag", tril_triu_diag, (rn(4, 4),), (0,)),
    ("log_sum_exp_where", log_sum_exp_where, (rn(6),), (0,)),
    ("pad_roll", pad_roll, (rn(3, 2),), (0,)),
    ("expand_squeeze_transpose", expand_squeeze_transpose, (rn(2, 3, 4),), (0,)),
    ("fancy_gather", fancy_gather, (rn(4, 3), np.array([0, 2, 2, 1])), (0,)),
    ("mask_mean", mask_mean, (rn(10),), (0,)),
    ("repeat_tile", repeat_tile, (rn(2, 3),), (0,)),
    ("mlp", mlp, (rn(4, 5), rn(5), rn(5, 3), rn(6, 4), np.eye(3)[[0, 1, 2, 0, 1, 2]]), (0, 1, 2)),
    ("gather_rows_from_argmax", gather_rows_from_argmax, (rn(4, 3), rn(3, 3)), (0, 1)),
    ("dot_vdot_inner", dot_vdot_inner, (rn(3, 3), rn(3, 3)), (0, 1)),
    ("logaddexp_chain", logaddexp_chain, (rn(5), rn(5)), (0, 1)),
]


@pytest.mark.parametrize("fn,args,wrt", [pytest.param(f, a, w, id=n) for n, f, a, w in COMPOSITES])
def test_composite(fn, args, wrt):
    check(fn, args, wrt)
