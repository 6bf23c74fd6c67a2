"""Research programs as their authors write them, in the styles of the example programs of the
most-used NumPy AD library (neural nets over lists of layers, an LSTM over a dict of parameters,
a VAE, a Gaussian process, a mixture model, variational inference, an HMM, ICA, a CNN written as
layer objects, ...), with only the import switched to plain NumPy. Each gradient is checked
against central differences over every leaf of its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import check, check_tree


def logsumexp(a, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


# 1. A classifier over a list of (W, b) layers, softmax cross-entropy.
def mlp_predict(params, inputs):
    for W, b in params:
        outputs = inputs @ W + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs, axis=1)[:, None]


def mlp_loss(params, inputs, targets):
    return -np.mean(np.sum(mlp_predict(params, inputs) * targets, axis=1))


# 2. An LSTM over a dict of parameters, reading a sequence.
def sigmoid(x):
    return 0.5 * (np.tanh(x / 2.0) + 1.0)


def lstm_loss(params, inputs):
    hidden = np.zeros((inputs.shape[1], params["change"].shape[1]))
    cell = np.zeros_like(hidden)
    for x in inputs:
        joined = np.concatenate([x, hidden], axis=1)
        change = np.tanh(joined @ params["change"])
        forget = sigmoid(joined @ params["forget"])
        ingate = sigmoid(joined @ params["ingate"])
        outgate = sigmoid(joined @ params["outgate"])
        cell = cell * forget + ingate * change
        hidden = outgate * np.tanh(cell)
    return np.sum(hidden @ params["readout"])


# 3. A VAE with the reparameterisation trick (the noise passed in).
def vae_elbo(params, data, noise):
    enc, dec = params["enc"], params["dec"]
    h = np.tanh(data @ enc["W"] + enc["b"])
    mean, log_std = h @ enc["W_mean"], h @ enc["W_std"]
    z = mean + np.exp(log_std) * noise
    logits = np.tanh(z @ dec["W"]) @ dec["W_out"]
    log_lik = np.sum(data * logits - np.logaddexp(0.0, logits), axis=1)
    kl = 0.5 * np.sum(np.exp(2 * log_std) + mean ** 2 - 1.0 - 2 * log_std, axis=1)
    return np.mean(log_lik - kl)


# 4. A Gaussian process marginal likelihood with an RBF kernel.
def rbf(x, y, params):
    length, amplitude = np.exp(params[0]), np.exp(params[1])
    sq = np.sum((x[:, None, :] - y[None, :, :]) ** 2 / length, axis=2)
    return amplitude * np.exp(-0.5 * sq)


def gp_log_marginal(params, x, y):
    noise = np.exp(params[2]) + 1e-6
    cov = rbf(x, x, params) + noise * np.eye(len(y))
    chol = np.linalg.cholesky(cov)
    alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, y))
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(chol))) - 0.5 * len(y) * np.log(2 * np.pi)


# 5. A Gaussian mixture's log-likelihood, components as a list comprehension.
def gmm_log_likelihood(params, data):
    log_weights = params["log_weights"] - logsumexp(params["log_weights"])
    components = np.stack([
        log_w - 0.5 * np.sum(((data - mu) / np.exp(log_s)) ** 2, axis=1) - np.sum(log_s) - data.shape[1] * 0.9189385332
        for log_w, mu, log_s in zip(log_weights, params["means"], params["log_stds"])
    ], axis=1)
    return np.sum(logsumexp(components, axis=1))


# 6. Black-box variational inference: a Gaussian ELBO by Monte Carlo, the samples passed in.
def log_density(x):
    return -0.5 * np.sum(x ** 2, axis=1) - 0.1 * np.sum(x ** 4, axis=1)


def bbvi_elbo(variational, eps):
    mean, log_std = variational[:2], variational[2:]
    samples = eps * np.exp(log_std) + mean
    entropy = np.sum(log_std) + 0.5 * len(mean) * (1.0 + np.log(2 * np.pi))
    return entropy + np.mean(log_density(samples))


# 7. A small CNN written as layer objects, called on module-level instances.
class Conv1D:
    def __init__(self, filters):
        self.filters = filters

    def forward(self, x):
        width = self.filters.shape[1]
        patches = np.stack([x[:, i:i + width] for i in range(x.shape[1] - width + 1)], axis=1)
        return np.tanh(np.einsum("bpw,fw->bpf", patches, self.filters))


class Dense:
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        return x.reshape(x.shape[0], -1) @ self.W


RNG = np.random.default_rng(2024)
CONV = Conv1D(RNG.standard_normal((2, 3)) * 0.5)
DENSE = Dense(RNG.standard_normal((8, 1)) * 0.5)


def cnn_loss(x):
    return np.sum(DENSE.forward(CONV.forward(x)) ** 2)


# 8. An RNN over a tuple of parameters, unpacked.
def rnn_loss(params, xs):
    W_in, W_rec, b = params
    h = np.zeros(W_rec.shape[0])
    total = 0.0
    for x in xs:
        h = np.tanh(x @ W_in + h @ W_rec + b)
        total = total + np.sum(h ** 2)
    return total


# 9. L2-regularised logistic regression, the objective a lambda.
def log_loss(w, X, y):
    margins = y * (X @ w)
    return np.sum(np.logaddexp(0.0, -margins))


objective = lambda w, X, y: log_loss(w, X, y) + 0.1 * np.dot(w, w)  # noqa: E731


# 10. ICA: the log-likelihood of an unmixing matrix.
def ica_log_likelihood(W, X):
    sign, logdet = np.linalg.slogdet(W)
    sources = X @ W.T
    return len(X) * logdet - np.sum(np.log(np.cosh(sources)))


# 11. An HMM's forward algorithm in log space.
def hmm_log_likelihood(log_trans, log_emit, observations):
    alpha = log_emit[:, observations[0]] - np.log(log_trans.shape[0])
    for obs in observations[1:]:
        alpha = logsumexp(alpha[:, None] + log_trans, axis=0) + log_emit[:, obs]
    return logsumexp(alpha)


# 12. Euler integration of an ODE whose right-hand side is a small network (a dict of parameters).
def ode_endpoint_loss(params, y0):
    y = y0
    for step in range(10):
        dy = np.tanh(y @ params["W1"]) @ params["W2"]
        y = y + 0.1 * dy
    return np.sum(y ** 2)


def _params(*shapes):
    return [RNG.standard_normal(s) * 0.5 for s in shapes]


CASES = {
    "mlp_over_layers": lambda: check_tree(mlp_loss, (
        [tuple(_params((4, 5), (5,))), tuple(_params((5, 3), (3,)))], RNG.standard_normal((6, 4)),
        np.eye(3)[RNG.integers(0, 3, 6)])),
    "lstm_over_a_dict": lambda: check_tree(lstm_loss, (
        dict(zip(["change", "forget", "ingate", "outgate"], _params((5, 3), (5, 3), (5, 3), (5, 3))),
             readout=RNG.standard_normal((3, 1))), RNG.standard_normal((4, 2, 2)))),
    "vae": lambda: check_tree(vae_elbo, (
        {"enc": dict(zip(["W", "b", "W_mean", "W_std"], _params((4, 3), (3,), (3, 2), (3, 2)))),
         "dec": dict(zip(["W", "W_out"], _params((2, 3), (3, 4))))},
        (RNG.random((5, 4)) > 0.5).astype(float), RNG.standard_normal((5, 2)))),
    "gaussian_process": lambda: check(gp_log_marginal, (np.array([0.1, -0.2, -1.0]), RNG.standard_normal((6, 2)),
                                                        RNG.standard_normal(6)), wrt=(0, 2)),
    "gaussian_mixture": lambda: check_tree(gmm_log_likelihood, (
        {"log_weights": RNG.standard_normal(3), "means": RNG.standard_normal((3, 2)),
         "log_stds": RNG.standard_normal((3, 2)) * 0.3}, RNG.standard_normal((7, 2)))),
    "bbvi": lambda: check(bbvi_elbo, (RNG.standard_normal(4) * 0.3, RNG.standard_normal((8, 2)))),
    "cnn_of_layer_objects": lambda: check(cnn_loss, (RNG.standard_normal((3, 6)),)),
    "rnn_over_a_tuple": lambda: check_tree(rnn_loss, (tuple(_params((2, 3), (3, 3), (3,))), RNG.standard_normal((5, 2)))),
    "logistic_regression_lambda": lambda: check(objective, (RNG.standard_normal(3), RNG.standard_normal((8, 3)),
                                                            np.sign(RNG.standard_normal(8))), wrt=(0,)),
    "ica": lambda: check(ica_log_likelihood, (np.eye(3) + 0.3 * RNG.standard_normal((3, 3)), RNG.standard_normal((10, 3)))),
    "hmm_forward": lambda: check(hmm_log_likelihood, (np.log(RNG.dirichlet(np.ones(3), 3)), np.log(RNG.dirichlet(np.ones(4), 3)),
                                                      np.array([0, 3, 1, 1, 2])), wrt=(0, 1)),
    "neural_ode_euler": lambda: check_tree(ode_endpoint_loss, ({"W1": RNG.standard_normal((2, 4)) * 0.5,
                                                                "W2": RNG.standard_normal((4, 2)) * 0.5},
                                                               RNG.standard_normal((3, 2)))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ported_program_gradient_matches_finite_differences(name):
    CASES[name]()
