"""Review round 3: realistic programs, written the way researchers write plain NumPy.

Each program is checked against central finite differences in float64 with
<u, J v> = <J^T u, v> (random seed u as `grad_ys`, random direction v over every
differentiated input), with optimize=False and optimize=True agreeing, and with a
Hessian-vector product where it is cheap. The bugs these programs exposed (NaN from
logaddexp at -inf, dicts of parameters, quadratic tapes for item writes in loops) are
fixed; the programs stay as regression tests.
"""

from __future__ import annotations

import math
import tracemalloc
import warnings
from typing import Any, Callable

import numpy as np
import pytest
from gradcheck import _shift, check
from gradcheck import inner as _inner
from gradcheck import random_like as _random_like

import srcgrad



# --------------------------------------------------------------------------- harness


def check_hvp(fn: Callable[..., Any], args: tuple, argnum: int = 0, seed: int = 3, rtol: float = 1e-5,
              eps: float = 1e-5) -> None:
    """Second order: H v through grad(grad(fn)) against finite differences of grad(fn)."""
    g1 = srcgrad.grad(fn, wrt=argnum)
    g2 = srcgrad.grad(g1, wrt=argnum)
    rng = np.random.default_rng(seed)
    x = args[argnum]
    u = _random_like(rng, x)
    v = _random_like(rng, x)
    hu = g2(*args, grad_ys=u)
    assert np.shape(hu) == np.shape(x)

    def g_at(t: float) -> Any:
        moved = list(args)
        moved[argnum] = _shift(x, t, v)
        return g1(*moved)

    expected = _inner((np.asarray(g_at(eps)) - np.asarray(g_at(-eps))) / (2 * eps), u)
    actual = _inner(hu, v)
    assert abs(actual - expected) <= rtol * max(1.0, abs(expected)), f"H: {actual!r} vs fd {expected!r}"


def rn(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


R = np.random.default_rng(20240603)


# --------------------------------------------------------------------------- programs
# 1. LSTM cell unrolled over time, hidden states kept in a list


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_cell(x_t, h, c, W, U, b):
    gates = x_t @ W + h @ U + b
    H = h.shape[-1]
    i = sigmoid(gates[:, :H])
    f = sigmoid(gates[:, H:2 * H])
    o = sigmoid(gates[:, 2 * H:3 * H])
    g = np.tanh(gates[:, 3 * H:])
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new


def lstm_loss(W, U, b, xs, h0, c0, Wout):
    h, c = h0, c0
    hs = []
    for t in range(xs.shape[0]):
        h, c = lstm_cell(xs[t], h, c, W, U, b)
        hs.append(h)
    H = np.stack(hs, axis=0)          # (T, B, H)
    logits = H @ Wout                 # (T, B, 1)
    return np.mean(logits ** 2) + 0.1 * np.sum(hs[-1] * c)


def lstm_list_sum(W, U, b, xs, h0, c0):
    h, c = h0, c0
    outputs = []
    for x_t in xs:                    # iterate over the array's rows
        h, c = lstm_cell(x_t, h, c, W, U, b)
        outputs.append(np.sum(h ** 2))
    return sum(outputs) / len(outputs)


T_, B_, D_, H_ = 4, 2, 3, 3
LSTM_ARGS = (rn(R, D_, 4 * H_) * 0.5, rn(R, H_, 4 * H_) * 0.5, rn(R, 4 * H_) * 0.1, rn(R, T_, B_, D_),
             rn(R, B_, H_) * 0.1, rn(R, B_, H_) * 0.1)
LSTM_WOUT = rn(R, H_, 1)


# 2. batch norm + MLP


def batch_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta


def relu(x):
    return np.maximum(x, 0.0)


def mlp_bn(W1, b1, gamma, beta, W2, b2, X, y):
    h = X @ W1 + b1
    h = batch_norm(h, gamma, beta)
    h = relu(h)
    out = h @ W2 + b2
    return 0.5 * np.mean((out[:, 0] - y) ** 2)


def mlp_bn_manual(W1, gamma, X):
    h = np.dot(X, W1)
    n = h.shape[0]
    mu = np.sum(h, axis=0, keepdims=True) / n
    centered = h - mu
    var = np.sum(centered ** 2, axis=0, keepdims=True) / n
    h = gamma * centered / np.sqrt(var + 1e-5)
    h = np.tanh(h)
    return np.sum(h ** 3)


MLP_ARGS = (rn(R, 4, 5), rn(R, 5) * 0.1, 1.0 + 0.1 * rn(R, 5), 0.3 * rn(R, 5), rn(R, 5, 1), rn(R, 1) * 0.1,
            rn(R, 8, 4), rn(R, 8))


# 3. 1-D convolution with slicing in a loop, item assignment into an output buffer


def conv1d_multi(x, w, bias, stride=1):
    # x: (C_in, L), w: (C_out, C_in, K)
    c_out, c_in, k = w.shape
    length = (x.shape[1] - k) // stride + 1
    out = np.zeros((c_out, length))
    for o in range(c_out):
        for i in range(length):
            start = i * stride
            out[o, i] = np.sum(x[:, start:start + k] * w[o]) + bias[o]
    return out


def conv_net(x, w1, b1, w2, b2):
    h = np.tanh(conv1d_multi(x, w1, b1))
    h = conv1d_multi(h, w2, b2, stride=2)
    return np.sum(h ** 2)


def conv1d_same_padding(x, w):
    k = w.shape[0]
    pad = k // 2
    xp = np.pad(x, (pad, pad))
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = xp[i:i + k] @ w
    return y


CONV_ARGS = (rn(R, 2, 11), rn(R, 3, 2, 3) * 0.5, rn(R, 3) * 0.1, rn(R, 2, 3, 2) * 0.5, rn(R, 2) * 0.1)


# 4. Gaussian mixture log-likelihood via logsumexp


def logsumexp(a, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(s, axis=axis)


def gmm_loglik(means, log_sigmas, logits, X):
    # X: (N, D), means: (K, D), log_sigmas: (K,), logits: (K,)
    N, D = X.shape
    log_w = logits - logsumexp(logits)
    diff = X[:, None, :] - means[None, :, :]                   # (N, K, D)
    sq = np.sum(diff ** 2, axis=-1)                            # (N, K)
    sig2 = np.exp(2 * log_sigmas)
    log_norm = -0.5 * D * np.log(2 * np.pi) - D * log_sigmas
    comp = log_norm - 0.5 * sq / sig2 + log_w                  # (N, K)
    return np.sum(logsumexp(comp, axis=1))


def gmm_em_responsibilities(means, X):
    diff = X[:, None, :] - means[None, :, :]
    logp = -0.5 * np.einsum("nkd,nkd->nk", diff, diff)
    resp = np.exp(logp - logsumexp(logp, axis=1)[:, None])
    new_means = (resp.T @ X) / resp.sum(axis=0)[:, None]
    return np.sum(new_means ** 2)


GMM_ARGS = (rn(R, 3, 2), 0.2 * rn(R, 3), rn(R, 3), rn(R, 10, 2))


# 5. ODEs: explicit Euler and RK4 in a for loop


def lotka_volterra(state, theta):
    x, y = state[0], state[1]
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]
    return np.array([a * x - b * x * y, c * x * y - d * y])


def euler(f, y0, theta, dt=0.01, n_steps=50):
    y = y0
    for _ in range(n_steps):
        y = y + dt * f(y, theta)
    return y


def rk4_step(f, y, theta, dt):
    k1 = f(y, theta)
    k2 = f(y + 0.5 * dt * k1, theta)
    k3 = f(y + 0.5 * dt * k2, theta)
    k4 = f(y + dt * k3, theta)
    return y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def ode_euler_loss(theta, y0):
    yT = euler(lotka_volterra, y0, theta, dt=0.02, n_steps=40)
    return np.sum(yT ** 2)


def ode_rk4_traj(theta, y0, obs):
    y = y0
    dt = 0.1
    loss = 0.0
    for t in range(obs.shape[0]):
        y = rk4_step(lotka_volterra, y, theta, dt)
        loss += np.sum((y - obs[t]) ** 2)
    return loss


def pendulum_rhs(y, theta):
    return np.array([y[1], -theta[0] * np.sin(y[0]) - theta[1] * y[1]])


def ode_rk4_pendulum(theta, y0):
    y = y0
    traj = [y0]
    for _ in range(30):
        y = rk4_step(pendulum_rhs, y, theta, 0.05)
        traj.append(y)
    return np.stack(traj)


LV_THETA = np.array([1.1, 0.4, 0.1, 0.4])
LV_Y0 = np.array([1.0, 1.2])
LV_OBS = np.abs(rn(R, 6, 2)) + 0.5


# 6. physics simulation with a while loop


def projectile_range(v0, angle, drag):
    # integrates until the ball hits the ground; the trip count depends on the inputs
    x, y = 0.0, 0.0
    vx, vy = v0 * math.cos(angle), v0 * math.sin(angle)
    dt = 0.01
    t = 0.0
    while y >= 0.0 and t < 10.0:
        speed = math.sqrt(vx * vx + vy * vy)
        ax = -drag * speed * vx
        ay = -9.81 - drag * speed * vy
        x += vx * dt
        y += vy * dt
        vx += ax * dt
        vy += ay * dt
        t += dt
    return x


def damped_spring_energy(k, c, q0, p0):
    q, p = q0, p0
    energy = 0.5 * p ** 2 + 0.5 * k * q ** 2
    steps = 0
    while energy > 0.05 and steps < 500:
        p = p - 0.05 * (k * q + c * p)
        q = q + 0.05 * p            # symplectic Euler
        energy = 0.5 * p ** 2 + 0.5 * k * q ** 2
        steps += 1
    return q * q + p   # state when the energy first drops below the threshold


def nbody_positions(pos, vel, masses, n_steps=20, dt=0.01):
    n = pos.shape[0]
    for _ in range(n_steps):
        acc = np.zeros_like(pos)
        for i in range(n):
            for j in range(n):
                if i != j:
                    d = pos[j] - pos[i]
                    r3 = (np.sum(d ** 2) + 0.1) ** 1.5
                    acc[i] += masses[j] * d / r3
        vel = vel + dt * acc
        pos = pos + dt * vel
    return pos


NB_ARGS = (rn(R, 3, 2), 0.1 * rn(R, 3, 2), np.array([1.0, 2.0, 1.5]))


# 7. Newton's method with a tolerance-based while loop


def newton_root(a, b, x0=1.0, tol=1e-12, max_iter=100):
    # root of x^3 + a x - b
    x = x0
    it = 0
    while abs(x ** 3 + a * x - b) > tol and it < max_iter:
        x = x - (x ** 3 + a * x - b) / (3 * x ** 2 + a)
        it += 1
    return x


def newton_vec(a, b):
    # elementwise roots of x^3 + a x - b, stopping when all converged
    x = np.ones_like(a)
    for _ in range(100):
        fx = x ** 3 + a * x - b
        if np.max(np.abs(fx)) < 1e-12:
            break
        x = x - fx / (3 * x ** 2 + a)
    return x


def sqrt_newton(s):
    x = s
    while True:
        x_new = 0.5 * (x + s / x)
        if abs(x_new - x) < 1e-14 * x:
            break
        x = x_new
    return x_new


# 8. dynamic programming: soft-DTW and a soft edit distance


def softmin3(a, b, c, gamma):
    return -gamma * np.logaddexp(np.logaddexp(-a / gamma, -b / gamma), -c / gamma)


def soft_dtw(x, y, gamma=0.5):
    n, m = x.shape[0], y.shape[0]
    D = (x[:, None] - y[None, :]) ** 2
    Rt = np.full((n + 1, m + 1), np.inf)
    Rt[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            Rt[i, j] = D[i - 1, j - 1] + softmin3(Rt[i - 1, j - 1], Rt[i - 1, j], Rt[i, j - 1], gamma)
    return Rt[n, m]


def soft_dtw_big(x, y, gamma=0.5):
    n, m = x.shape[0], y.shape[0]
    Rt = np.zeros((n + 1, m + 1)) + 1e10
    Rt[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = (x[i - 1] - y[j - 1]) ** 2
            r = np.array([Rt[i - 1, j - 1], Rt[i - 1, j], Rt[i, j - 1]])
            rmin = np.min(r)
            Rt[i, j] = cost + rmin - gamma * np.log(np.sum(np.exp(-(r - rmin) / gamma)))
    return Rt[n, m]


def soft_edit_distance_loops(sub_cost, ins, dele, gamma):
    n, m = sub_cost.shape
    prev = []
    for j in range(m + 1):
        prev.append(j * ins)
    for i in range(1, n + 1):
        cur = [i * dele]
        for j in range(1, m + 1):
            a = prev[j - 1] + sub_cost[i - 1, j - 1]
            b = prev[j] + dele
            c = cur[j - 1] + ins
            cur.append(softmin3(a, b, c, gamma))
        prev = cur
    return prev[m]


# 9. kernel ridge regression with np.linalg.solve


def rbf(A, B, lengthscale):
    sq = np.sum(A ** 2, 1)[:, None] + np.sum(B ** 2, 1)[None, :] - 2 * A @ B.T
    return np.exp(-0.5 * sq / lengthscale ** 2)


def krr_loss(log_ls, log_lam, X, y, Xt, yt):
    ls = np.exp(log_ls)
    lam = np.exp(log_lam)
    K = rbf(X, X, ls)
    alpha = np.linalg.solve(K + lam * np.eye(X.shape[0]), y)
    pred = rbf(Xt, X, ls) @ alpha
    return np.mean((pred - yt) ** 2)


def gp_nll(log_ls, X, y):
    K = rbf(X, X, np.exp(log_ls)) + 0.1 * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


KRR_X, KRR_Y, KRR_XT, KRR_YT = rn(R, 6, 2), rn(R, 6), rn(R, 4, 2), rn(R, 4)


# 10. attention with masks


def softmax(z, axis=-1):
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def masked_mha(x, Wq, Wk, Wv, Wo, pad_mask, n_heads=2):
    # x: (T, D); pad_mask: (T,) bool, True where a token is real
    T, D = x.shape
    dh = D // n_heads
    causal = np.tril(np.ones((T, T), dtype=bool))
    mask = causal & pad_mask[None, :]
    heads = []
    for hh in range(n_heads):
        q = x @ Wq[:, hh * dh:(hh + 1) * dh]
        k = x @ Wk[:, hh * dh:(hh + 1) * dh]
        v = x @ Wv[:, hh * dh:(hh + 1) * dh]
        scores = q @ k.T / np.sqrt(dh)
        scores = np.where(mask, scores, -1e9)
        heads.append(softmax(scores) @ v)
    out = np.concatenate(heads, axis=-1) @ Wo
    return np.sum(out * pad_mask[:, None])


def masked_fill_attention(q, k, v, lengths):
    # batched, with a -inf fill and item assignment per sequence
    B, T, _ = q.shape
    scores = np.einsum("btd,bsd->bts", q, k)
    for bi in range(B):
        scores[bi, :, lengths[bi]:] = -np.inf
    w = softmax(scores, axis=-1)
    return np.sum(np.matmul(w, v) ** 2)


MHA_ARGS = (rn(R, 5, 4), rn(R, 4, 4) * 0.5, rn(R, 4, 4) * 0.5, rn(R, 4, 4) * 0.5, rn(R, 4, 4) * 0.5,
            np.array([True, True, True, False, False]))


# 11. cross-entropy with label smoothing


def xent_label_smoothing(logits, labels, smoothing=0.1):
    n, C = logits.shape
    onehot = np.eye(C)[labels]
    target = onehot * (1.0 - smoothing) + smoothing / C
    logp = logits - logsumexp(logits, axis=1)[:, None]
    return -np.sum(target * logp) / n


def xent_gather(logits, labels, smoothing=0.1):
    n, C = logits.shape
    logp = logits - np.log(np.sum(np.exp(logits - logits.max(axis=1, keepdims=True)), axis=1, keepdims=True)) \
        - logits.max(axis=1, keepdims=True)
    nll = -logp[np.arange(n), labels]
    smooth = -logp.mean(axis=1)
    return np.mean((1 - smoothing) * nll + smoothing * smooth)


XENT_ARGS = (rn(R, 6, 4), np.array([0, 3, 1, 1, 2, 0]))


# 12. Kalman filter in a loop


def kalman_loglik(F, Q, H, Rm, ys, x0, P0):
    x, P = x0, P0
    ll = 0.0
    for t in range(ys.shape[0]):
        # predict
        x = F @ x
        P = F @ P @ F.T + Q
        # update
        S = H @ P @ H.T + Rm
        resid = ys[t] - H @ x
        K = P @ H.T @ np.linalg.inv(S)
        x = x + K @ resid
        P = (np.eye(P.shape[0]) - K @ H) @ P
        sign, logdet = np.linalg.slogdet(S)
        ll = ll - 0.5 * (logdet + resid @ np.linalg.solve(S, resid) + len(resid) * np.log(2 * np.pi))
    return ll


def kalman_means(F, ys, x0):
    x, P = x0, np.eye(2)
    means = []
    for y in ys:
        x = F @ x
        P = F @ P @ F.T + 0.1 * np.eye(2)
        S = P[0, 0] + 0.5
        K = P[:, 0] / S
        x = x + K * (y - x[0])
        P = P - np.outer(K, P[0, :])
        means.append(x[0])
    return np.array(means)


KF_F = np.array([[1.0, 0.1], [0.0, 0.95]])
KF_Q = 0.05 * np.eye(2)
KF_H = np.array([[1.0, 0.0]])
KF_R = np.array([[0.3]])
KF_YS = rn(R, 6, 1)
KF_X0 = np.array([0.1, -0.2])
KF_P0 = np.eye(2)


# 13. helpers spread over module-level functions with keyword defaults


def _l2(params, weight=1e-3):
    total = 0.0
    for p in params:
        total = total + weight * np.sum(p ** 2)
    return total


def _dense(x, W, b=None, activation="tanh"):
    z = x @ W
    if b is not None:
        z = z + b
    if activation == "tanh":
        return np.tanh(z)
    elif activation == "softplus":
        return np.logaddexp(0.0, z)
    return z


def _huber(r, delta=1.0):
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))


def model_with_helpers(W1, b1, W2, X, y):
    h = _dense(X, W1, b1)
    h = _dense(h, W2, activation="softplus")
    out = _dense(h, np.ones((W2.shape[1], 1)), activation=None)
    loss = np.mean(_huber(out[:, 0] - y, delta=0.5))
    return loss + _l2([W1, W2], weight=0.01)


HELP_ARGS = (rn(R, 3, 4), rn(R, 4), rn(R, 4, 2), rn(R, 7, 3), 2 * rn(R, 7))


# 14. math and numpy together on Python floats


def bs_call(S, K, r, sigma, T=1.0):
    # Black-Scholes call price, math on Python floats, erf for the normal cdf
    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    N1 = 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))
    N2 = 0.5 * (1.0 + math.erf(d2 / math.sqrt(2.0)))
    return S * N1 - K * math.exp(-r * T) * N2


def mixed_math_numpy(a, b):
    s = 0.0
    for k in range(1, 6):
        s += math.sin(k * a) / k + np.cos(b * k) ** 2 / math.factorial(k)
    return s * math.hypot(a, b) + math.atan2(a, b) + np.tanh(a * b) + math.pi * a ** 2


def mixed_float_array(alpha, xs):
    w = math.exp(-alpha)
    acc = 0.0
    for x in xs:
        acc = w * acc + (1 - w) * x
    return acc + math.log1p(alpha ** 2) * np.sum(xs)


# 15. extra: unrolled inner optimisation (meta-learning), logistic regression with early stopping


def inner_sgd(w0, lr, X, y, steps=10):
    w = w0
    for _ in range(steps):
        p = sigmoid(X @ w)
        g = X.T @ (p - y) / X.shape[0]
        w = w - lr * g
    return w


def meta_loss(w0, lr, X, y, Xv, yv):
    w = inner_sgd(w0, lr, X, y, steps=8)
    z = Xv @ w
    return np.mean(np.logaddexp(0.0, z) - yv * z)


def logreg_early_stop(w, X, y):
    prev = np.inf
    for it in range(50):
        z = X @ w
        loss = np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - y * z)
        if prev - loss < 1e-3:
            break
        prev = loss
        w = w - 0.5 * X.T @ (sigmoid(z) - y) / len(y)
    return loss


META_X, META_Y = rn(R, 10, 3), (rn(R, 10) > 0).astype(float)
META_XV, META_YV = rn(R, 6, 3), (rn(R, 6) > 0).astype(float)


# 16. extra: a tuple-returning VAE-like loss with the reparameterisation trick


def vae_elbo(enc_W, dec_W, x, noise):
    stats = x @ enc_W
    d = stats.shape[1] // 2
    mu, log_var = stats[:, :d], stats[:, d:]
    z = mu + np.exp(0.5 * log_var) * noise
    recon = sigmoid(z @ dec_W)
    bce = -np.sum(x * np.log(recon + 1e-9) + (1 - x) * np.log(1 - recon + 1e-9))
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))
    return bce, kl


VAE_ARGS = (0.3 * rn(R, 5, 4), 0.3 * rn(R, 2, 5), (rn(R, 3, 5) > 0).astype(float), rn(R, 3, 2))


# 17. extra: RNN with a ragged loop over sequences of different lengths, early `continue`


def ragged_rnn(Wh, Wx, seqs_x, lengths):
    total = 0.0
    H = Wh.shape[0]
    for b in range(seqs_x.shape[0]):
        if lengths[b] == 0:
            continue
        h = np.zeros(H)
        for t in range(lengths[b]):
            h = np.tanh(Wh @ h + Wx @ seqs_x[b, t])
        total = total + np.sum(h)
    return total


RAG_ARGS = (0.5 * rn(R, 3, 3), 0.5 * rn(R, 3, 2), rn(R, 3, 4, 2), [4, 0, 2])


# 18. more loops researchers write: Sinkhorn with a convergence test, power iteration,
# value iteration with a max over actions, Gauss-Seidel writing the vector it reads,
# discounted returns backwards, an HMM forward pass, expm by scaling and squaring
# (a while loop on a norm), the heat equation by slice updates, a PPO clipped loss,
# an adaptive-step integrator, a bidirectional RNN filling a list by index.


def sinkhorn(C, a, b, eps=0.5):
    K = np.exp(-C / eps)
    u = np.ones_like(a)
    v = np.ones_like(b)
    err = 1.0
    it = 0
    while err > 1e-10 and it < 500:
        u_new = a / (K @ v)
        v = b / (K.T @ u_new)
        err = np.max(np.abs(u_new - u))
        u = u_new
        it += 1
    P = u[:, None] * K * v[None, :]
    return np.sum(P * C)

def power_iter(W, n_iter=30):
    v = np.ones(W.shape[1]) / np.sqrt(W.shape[1])
    for _ in range(n_iter):
        u = W @ v
        u = u / np.linalg.norm(u)
        v = W.T @ u
        v = v / np.linalg.norm(v)
    return u @ W @ v

def value_iteration(R, P, gamma=0.9):
    # R: (S, A), P: (A, S, S)
    S, A = R.shape
    V = np.zeros(S)
    for _ in range(60):
        Q = np.zeros((S, A))
        for a in range(A):
            Q[:, a] = R[:, a] + gamma * P[a] @ V
        V = np.max(Q, axis=1)
    return np.sum(V)

def gauss_seidel(A, b, sweeps=25):
    n = b.shape[0]
    x = np.zeros(n)
    for _ in range(sweeps):
        for i in range(n):
            x[i] = (b[i] - A[i, :i] @ x[:i] - A[i, i + 1:] @ x[i + 1:]) / A[i, i]
    return x

def discounted_returns(r, gamma):
    T = r.shape[0]
    returns = np.zeros(T)
    G = 0.0
    for t in reversed(range(T)):
        G = r[t] + gamma * G
        returns[t] = G
    return returns

def hmm_forward(log_pi, logA, logB, obs):
    T = len(obs)
    S = log_pi.shape[0]
    alpha = np.zeros((T, S))
    alpha[0] = log_pi + logB[:, obs[0]]
    for t in range(1, T):
        alpha[t] = logsumexp(alpha[t - 1][:, None] + logA, axis=0) + logB[:, obs[t]]
    return logsumexp(alpha[-1])

def expm_ss(A):
    s = 0
    nrm = np.max(np.sum(np.abs(A), axis=0))
    while nrm > 0.5:
        A = A / 2.0
        nrm = nrm / 2.0
        s += 1
    E = np.eye(A.shape[0])
    term = np.eye(A.shape[0])
    for k in range(1, 12):
        term = term @ A / k
        E = E + term
    for _ in range(s):
        E = E @ E
    return E

def heat_eq(u0, alpha, n_steps=40):
    u = u0.copy()
    for _ in range(n_steps):
        u[1:-1] = u[1:-1] + alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)

def heat_eq_inplace(u0, alpha, n_steps=40):
    u = u0.copy()
    for _ in range(n_steps):
        lap = u[2:] - 2 * u[1:-1] + u[:-2]
        u[1:-1] += alpha * lap
    return u

def ppo_loss(logp_new, logp_old, adv, clip=0.2):
    ratio = np.exp(logp_new - logp_old)
    s1 = ratio * adv
    s2 = np.clip(ratio, 1 - clip, 1 + clip) * adv
    return -np.mean(np.minimum(s1, s2))

def adaptive_rk(k, y0, T=1.0):
    t = 0.0
    y = y0
    dt = 0.1
    while t < T:
        if t + dt > T:
            dt = T - t
        k1 = -k * y
        k2 = -k * (y + dt * k1)
        y_e = y + dt * k1
        y_h = y + 0.5 * dt * (k1 + k2)
        err = abs(y_h - y_e)
        if err < 1e-4:
            t = t + dt
            y = y_h
        dt = 0.9 * dt * min(2.0, max(0.2, math.sqrt(1e-4 / (err + 1e-12))))
    return y

def bidir_rnn(Wf, Wb, xs):
    T = xs.shape[0]
    hf = np.zeros(Wf.shape[0])
    fwd = []
    for t in range(T):
        hf = np.tanh(Wf @ hf + xs[t])
        fwd.append(hf)
    hb = np.zeros(Wb.shape[0])
    bwd = [None] * T
    for t in range(T - 1, -1, -1):
        hb = np.tanh(Wb @ hb + xs[t])
        bwd[t] = hb
    total = 0.0
    for t in range(T):
        total = total + np.sum(fwd[t] * bwd[t])
    return total


def dropout_noise(W, X, seed=0, p=0.5):
    rng = np.random.default_rng(seed)
    keep = rng.random((X.shape[0], W.shape[1])) < p
    h = np.tanh(X @ W) * keep / p
    return np.sum(h ** 2)


def ode_nested_rhs(theta, y0):
    def rhs(y):
        return -theta * y + np.sin(y)
    y = y0
    for _ in range(10):
        y = y + 0.1 * rhs(y)
    return np.sum(y ** 2)


def ode_lambda_rhs(theta, y0):
    f = lambda y, th: -th * y + 0.1 * y ** 2  # noqa: E731
    y = y0
    for _ in range(10):
        y = y + 0.1 * f(y, theta)
    return np.sum(y)


R2 = np.random.default_rng(7)
PM = R2.random((2, 3, 3))
PM = PM / PM.sum(axis=2, keepdims=True)
MF_ARGS = (R2.standard_normal((2, 4, 3)), R2.standard_normal((2, 4, 3)), R2.standard_normal((2, 4, 3)), [4, 2])


# --------------------------------------------------------------------------- cases

CASES = [
    ("lstm_stack", lstm_loss, LSTM_ARGS + (LSTM_WOUT,), (0, 1, 2, 4, 5), {}),
    ("lstm_rows_sum", lstm_list_sum, LSTM_ARGS, (0, 1, 2, 3), {}),
    ("mlp_batchnorm", mlp_bn, MLP_ARGS, (0, 1, 2, 3, 4, 5, 6), {}),
    ("batchnorm_manual", mlp_bn_manual, (rn(R, 4, 3), 1 + 0.1 * rn(R, 3), rn(R, 6, 4)), (0, 1, 2), {}),
    ("conv1d_net", conv_net, CONV_ARGS, (0, 1, 2, 3, 4), {}),
    ("conv1d_same", conv1d_same_padding, (rn(R, 9), rn(R, 3)), (0, 1), {}),
    ("gmm_loglik", gmm_loglik, GMM_ARGS, (0, 1, 2, 3), {}),
    ("gmm_em_step", gmm_em_responsibilities, GMM_ARGS[:1] + GMM_ARGS[3:], (0, 1), {}),
    ("ode_euler", ode_euler_loss, (LV_THETA, LV_Y0), (0, 1), {}),
    ("ode_rk4_fit", ode_rk4_traj, (LV_THETA, LV_Y0, LV_OBS), (0, 1, 2), {}),
    ("ode_rk4_pendulum", ode_rk4_pendulum, (np.array([9.0, 0.3]), np.array([1.0, 0.0])), (0, 1), {}),
    ("projectile_while", projectile_range, (12.0, 0.7, 0.02), (0, 1, 2), {}),
    ("spring_energy_while", damped_spring_energy, (2.0, 0.3, 1.0, 0.5), (0, 1, 2, 3), {}),
    ("nbody", nbody_positions, NB_ARGS, (0, 1, 2), {}),
    ("newton_scalar", newton_root, (2.0, 5.0), (0, 1), {}),
    ("newton_vector_break", newton_vec, (np.array([1.0, 2.0, 0.5]), np.array([1.0, -2.0, 3.0])), (0, 1), {}),
    ("sqrt_newton_while_true", sqrt_newton, (7.0,), (0,), {}),
    ("soft_dtw_inf", soft_dtw, (rn(R, 4), rn(R, 5)), (0, 1), {}),
    ("soft_dtw_big", soft_dtw_big, (rn(R, 4), rn(R, 3)), (0, 1), {}),
    ("soft_edit_lists", soft_edit_distance_loops, (np.abs(rn(R, 3, 4)), 1.0, 1.2, 0.7), (0, 1, 2, 3), {}),
    ("krr_solve", krr_loss, (0.1, -1.0, KRR_X, KRR_Y, KRR_XT, KRR_YT), (0, 1, 2, 3, 4), {}),
    ("gp_nll_cholesky", gp_nll, (0.2, KRR_X, KRR_Y), (0, 1, 2), {}),
    ("masked_mha", masked_mha, MHA_ARGS, (0, 1, 2, 3, 4), {}),
    ("xent_label_smoothing", xent_label_smoothing, XENT_ARGS, (0,), {}),
    ("xent_gather", xent_gather, XENT_ARGS, (0,), {}),
    ("kalman_loglik", kalman_loglik, (KF_F, KF_Q, KF_H, KF_R, KF_YS, KF_X0, KF_P0), (0, 1, 2, 3, 4, 5, 6), {}),
    ("kalman_means", kalman_means, (KF_F, KF_YS[:, 0], KF_X0), (0, 1, 2), {}),
    ("helpers_kw_defaults", model_with_helpers, HELP_ARGS, (0, 1, 2, 3, 4), {}),
    ("black_scholes", bs_call, (100.0, 95.0, 0.03, 0.25), (0, 1, 2, 3), {}),
    ("math_numpy_floats", mixed_math_numpy, (0.7, -1.3), (0, 1), {}),
    ("float_ema_over_array", mixed_float_array, (0.4, rn(R, 5)), (0, 1), {}),
    ("meta_learning", meta_loss, (rn(R, 3), 0.5, META_X, META_Y, META_XV, META_YV), (0, 1, 2), {}),
    ("logreg_early_stop", logreg_early_stop, (np.zeros(3), META_X, META_Y), (0, 1), {}),
    ("vae_elbo_tuple", vae_elbo, VAE_ARGS, (0, 1, 3), {}),
    ("ragged_rnn", ragged_rnn, RAG_ARGS, (0, 1, 2), {}),
    ("masked_fill_inf_attention", masked_fill_attention, MF_ARGS, (0, 1, 2), {}),
    ("sinkhorn_while", sinkhorn, (R2.random((3, 4)), np.array([.2, .3, .5]), np.full(4, .25)), (0, 1, 2), {}),
    ("power_iteration", power_iter, (R2.standard_normal((4, 3)),), (0,), {}),
    ("value_iteration", value_iteration, (R2.standard_normal((3, 2)), PM), (0, 1), {}),
    ("gauss_seidel", gauss_seidel, (R2.standard_normal((4, 4)) + 6 * np.eye(4), R2.standard_normal(4)), (0, 1), {}),
    ("discounted_returns", discounted_returns, (R2.standard_normal(6), 0.9), (0, 1), {}),
    ("hmm_forward", hmm_forward, (R2.standard_normal(3), R2.standard_normal((3, 3)), R2.standard_normal((3, 3)),
                                  [0, 2, 1, 1, 0]), (0, 1, 2), {}),
    ("expm_scaling_squaring", expm_ss, (R2.standard_normal((3, 3)),), (0,), {}),
    ("heat_equation", heat_eq, (R2.standard_normal(8), 0.2), (0, 1), {}),
    ("heat_equation_iadd", heat_eq_inplace, (R2.standard_normal(8), 0.2), (0, 1), {}),
    ("ppo_clip", ppo_loss, (0.3 * R2.standard_normal(6), 0.3 * R2.standard_normal(6), R2.standard_normal(6)),
     (0, 1, 2), {}),
    ("adaptive_step_ode", adaptive_rk, (1.3, 0.8), (0, 1), {}),
    ("bidirectional_rnn", bidir_rnn, (0.5 * R2.standard_normal((3, 3)), 0.5 * R2.standard_normal((3, 3)),
                                      R2.standard_normal((4, 3))), (0, 1, 2), {}),
    ("dropout_rng_in_body", dropout_noise, (R2.standard_normal((3, 2)), R2.standard_normal((4, 3))), (0, 1), {}),
    ("ode_nested_def", ode_nested_rhs, (np.array([0.5, 1.0]), np.array([1.0, 2.0])), (0, 1), {}),
    ("ode_lambda", ode_lambda_rhs, (np.array([0.5, 1.0]), np.array([1.0, 2.0])), (0, 1), {}),
]


@pytest.mark.parametrize("fn,args,wrt,kwargs", [pytest.param(f, a, w, k, id=n) for n, f, a, w, k in CASES])
def test_program_gradient(fn, args, wrt, kwargs):
    check(fn, args, wrt, kwargs=kwargs)


def test_forward_value_matches():
    for name, fn, args, wrt, kwargs in CASES[:12]:
        value, _ = srcgrad.value_and_grad(fn, wrt=wrt)(*args, **kwargs)
        np.testing.assert_allclose(value, fn(*args, **kwargs), rtol=1e-12, err_msg=name)


# --------------------------------------------------------------------------- second order

HVP_CASES = [
    ("newton_a", newton_root, (2.0, 5.0), 0),
    ("newton_vector", newton_vec, (np.array([1.0, 2.0, 0.5]), np.array([1.0, -2.0, 3.0])), 0),
    ("sqrt_newton", sqrt_newton, (7.0,), 0),
    ("gmm_means", gmm_loglik, GMM_ARGS, 0),
    ("gmm_log_sigmas", gmm_loglik, GMM_ARGS, 1),
    ("ode_euler", ode_euler_loss, (LV_THETA, LV_Y0), 0),
    ("ode_rk4_y0", ode_rk4_traj, (LV_THETA, LV_Y0, LV_OBS), 1),
    ("black_scholes_vega", bs_call, (100.0, 95.0, 0.03, 0.25), 3),
    ("soft_dtw_big", soft_dtw_big, (rn(R, 4), rn(R, 3)), 0),
    ("soft_edit", soft_edit_distance_loops, (np.abs(rn(R, 3, 4)), 1.0, 1.2, 0.7), 0),
    ("kalman", kalman_loglik, (KF_F, KF_Q, KF_H, KF_R, KF_YS, KF_X0, KF_P0), 0),
    ("lstm", lstm_loss, LSTM_ARGS + (LSTM_WOUT,), 0),
    ("conv", conv_net, CONV_ARGS, 1),
    ("krr_lengthscale", krr_loss, (0.1, -1.0, KRR_X, KRR_Y, KRR_XT, KRR_YT), 0),
    ("gp_cholesky_X", gp_nll, (0.2, KRR_X, KRR_Y), 1),
    ("projectile_angle", projectile_range, (12.0, 0.7, 0.02), 1),
    ("masked_mha", masked_mha, MHA_ARGS, 1),
    ("xent_smoothing", xent_label_smoothing, XENT_ARGS, 0),
    ("helpers", model_with_helpers, HELP_ARGS, 0),
    ("math_numpy_floats", mixed_math_numpy, (0.7, -1.3), 1),
    ("meta_learning_lr", meta_loss, (rn(R, 3), 0.5, META_X, META_Y, META_XV, META_YV), 1),
    ("sinkhorn", sinkhorn, (R2.random((3, 4)), np.array([.2, .3, .5]), np.full(4, .25)), 0),
    ("gauss_seidel", gauss_seidel, (R2.standard_normal((4, 4)) + 6 * np.eye(4), R2.standard_normal(4)), 0),
    ("hmm_forward", hmm_forward, (R2.standard_normal(3), R2.standard_normal((3, 3)), R2.standard_normal((3, 3)),
                                  [0, 2, 1, 1, 0]), 1),
    ("expm", expm_ss, (R2.standard_normal((3, 3)),), 0),
    ("heat_alpha", heat_eq, (R2.standard_normal(8), 0.2), 1),
    ("masked_fill_inf_attention", masked_fill_attention, MF_ARGS, 0),
]


@pytest.mark.parametrize("fn,args,argnum", [pytest.param(f, a, i, id=n) for n, f, a, i in HVP_CASES])
def test_program_hessian_vector(fn, args, argnum):
    check_hvp(fn, args, argnum)


# --------------------------------------------------------------------------- Newton: the implicit answer


@pytest.mark.parametrize("a,b", [(2.0, 5.0), (0.5, -3.0), (4.0, 0.1)])
def test_newton_matches_implicit_function_theorem(a, b):
    # x(a, b) solves x^3 + a x - b = 0, so dx/da = -x / (3x^2 + a), dx/db = 1 / (3x^2 + a)
    x = newton_root(a, b)
    ga, gb = srcgrad.grad(newton_root, wrt=("a", "b"))(a, b)
    slope = 3 * x ** 2 + a
    assert isinstance(ga, float) and isinstance(gb, float)
    assert ga == pytest.approx(-x / slope, rel=1e-9)
    assert gb == pytest.approx(1 / slope, rel=1e-9)
    # and the vectorised version with a data-dependent `break`
    av, bv = np.array([a, a + 1.0]), np.array([b, b - 1.0])
    xv = newton_vec(av, bv)
    gav = srcgrad.grad(newton_vec, wrt="a")(av, bv, grad_ys=np.ones(2))
    np.testing.assert_allclose(gav, -xv / (3 * xv ** 2 + av), rtol=1e-9)


def test_sqrt_newton_is_half_over_sqrt():
    g = srcgrad.grad(sqrt_newton)(7.0)
    assert g == pytest.approx(0.5 / math.sqrt(7.0), rel=1e-12)


# --------------------------------------------------------------------------- parameter containers


def mlp_list_params(params, X):
    W1, b1, W2 = params
    return np.sum(np.tanh(X @ W1 + b1) @ W2)


def mlp_dict_params(params, X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return np.sum(h @ params["W2"])


def test_list_of_parameters_gets_a_list_of_gradients():
    rng = np.random.default_rng(5)
    W1, b1, W2, X = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 2)), \
        rng.standard_normal((5, 3))
    g = srcgrad.grad(mlp_list_params)([W1, b1, W2], X)
    assert isinstance(g, list) and len(g) == 3
    gw1 = srcgrad.grad(lambda_free_mlp, wrt=(0, 1, 2))(W1, b1, W2, X)
    for a, b in zip(g, gw1):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def lambda_free_mlp(W1, b1, W2, X):
    return np.sum(np.tanh(X @ W1 + b1) @ W2)


def test_dict_of_parameters_gradient_or_clear_error():
    rng = np.random.default_rng(5)
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4), "W2": rng.standard_normal((4, 2))}
    X = rng.standard_normal((5, 3))
    try:
        g = srcgrad.grad(mlp_dict_params)(params, X)
    except srcgrad.SrcgradError:
        return  # a clear, located refusal is acceptable
    expected = srcgrad.grad(lambda_free_mlp, wrt=(0, 1, 2))(params["W1"], params["b1"], params["W2"], X)
    assert isinstance(g, dict)
    for key, e in zip(("W1", "b1", "W2"), expected):
        np.testing.assert_allclose(g[key], e, rtol=1e-12)


# --------------------------------------------------------------------------- everyday constructs refused clearly


def uses_assert(x):
    assert x.ndim == 1, "expected a vector"
    return np.sum(x ** 2)


def uses_raise(x):
    if x.shape[0] == 0:
        raise ValueError("empty")
    return np.sum(x ** 2)


def uses_fstring_print(x):
    loss = np.sum(x ** 2)
    print(f"loss={loss}")
    return loss


def uses_plain_print(x):
    loss = np.sum(x ** 2)
    print("loss", loss)
    return loss


def uses_nested_list_table(D):
    n, m = D.shape
    table = []
    for i in range(n + 1):
        table.append([1e10] * (m + 1))
    table[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            table[i][j] = D[i - 1, j - 1] + min(table[i - 1][j - 1], table[i - 1][j], table[i][j - 1])
    return table[n][m]


def uses_dict_cache(x):
    cache = {}
    cache["h"] = np.tanh(x)
    return np.sum(cache["h"])


@pytest.mark.parametrize("fn", [uses_raise, uses_fstring_print, uses_nested_list_table,
                                uses_dict_cache])
def test_common_unsupported_constructs_are_located_errors(fn):
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.grad(fn)
        srcgrad.grad(fn)(np.ones((2, 2)) if fn is uses_nested_list_table else np.ones(3))
    assert "test_programs.py:" in str(info.value)


def test_plain_print_is_accepted(capsys):
    assert srcgrad.grad(uses_plain_print)(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]


# --------------------------------------------------------------------------- bugs found


def ltr_hmm_loglik(mu, stay_logit, obs):
    # left-to-right HMM (speech-style) forward algorithm in log space: unreachable states are -inf
    S = mu.shape[0]
    p_stay = 1.0 / (1.0 + np.exp(-stay_logit))
    alpha = np.full(S, -np.inf)
    alpha[0] = -0.5 * (obs[0] - mu[0]) ** 2
    for t in range(1, obs.shape[0]):
        new = np.full(S, -np.inf)
        for j in range(S):
            stay = alpha[j] + np.log(p_stay)
            if j > 0:
                move = alpha[j - 1] + np.log(1.0 - p_stay)
            else:
                move = -np.inf
            new[j] = np.logaddexp(stay, move) - 0.5 * (obs[t] - mu[j]) ** 2
        alpha = new
    return alpha[-1]


def logaddexp_dead_branch(w):
    dead = np.logaddexp(w - np.inf, w - np.inf)   # log(0 + 0): an unreachable state
    return np.logaddexp(dead, w)                  # == w


def test_logaddexp_of_two_minus_infinities_first_order():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = srcgrad.grad(logaddexp_dead_branch)(0.3)
    assert g == 1.0


def test_left_to_right_hmm_gradient():
    mu, obs = np.array([0.0, 1.0, 2.0]), np.array([0.1, 0.3, 1.2, 1.9, 2.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(ltr_hmm_loglik, (mu, 0.3, obs), (0, 1))


def logaddexp_inf_table(x):
    t = np.full(3, np.inf)
    t[2] = x ** 2
    return np.logaddexp(np.logaddexp(-t[0], -t[1]), -t[2])   # == -x**2


def test_logaddexp_inf_second_order():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g1 = srcgrad.grad(logaddexp_inf_table)
        assert g1(0.7) == pytest.approx(-1.4)
        assert srcgrad.grad(g1)(0.7) == pytest.approx(-2.0)


def test_soft_dtw_inf_boundary_second_order():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_hvp(soft_dtw, (np.array([0.3, -0.2]), np.array([0.5, -0.4, 0.1])), 0)


def _peak_bytes(fn, *args):
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_item_assignment_in_loops_tapes_linear_memory():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(40), rng.standard_normal(40)
    g = srcgrad.grad(soft_dtw_big, wrt="x")
    g(x[:3], y[:3])  # compile outside the measurement
    small = _peak_bytes(g, x[:20], y[:20])
    large = _peak_bytes(g, x, y)
    # 4x the cells: a tape of per-cell values grows about 4x, one of per-cell table copies about 16x
    assert large < 8 * small, f"peak {small / 1e6:.1f} MB at 20x20, {large / 1e6:.1f} MB at 40x40"


def test_assert_is_kept_as_a_check():
    np.testing.assert_allclose(srcgrad.grad(uses_assert)(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(AssertionError, match="expected a vector"):
        srcgrad.grad(uses_assert)(np.ones((2, 2)))
