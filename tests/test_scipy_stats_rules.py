"""scipy.stats distribution functions (srcgrad/rules/scipy_stats_rules.py): each gradient against
central differences, in float64 and float32, with arguments that broadcast; second derivatives;
options the rules cannot honour refused at the call; nothing registered without SciPy."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check, second_derivative_check

import srcgrad

scipy = pytest.importorskip("scipy")
from scipy import stats  # after the skip: SciPy is optional
from scipy.stats import beta, gamma, multivariate_normal, norm, poisson, t

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 3))
LOC = 0.3 * RNG.standard_normal(3)
SCALE = 1.3
DF = 2.5 + np.abs(RNG.standard_normal((4, 1)))  # broadcasts against x's rows
U = 0.1 + 0.8 * RNG.random((4, 3))  # in (0, 1)
A = 1.5 + RNG.random(3)
B = 2.2
K = RNG.integers(0, 6, (4, 3))
MU = 0.5 + 2.0 * RNG.random(3)
M = RNG.standard_normal((3, 3))
COV = M @ M.T + 3.0 * np.eye(3)
MEAN = 0.2 * RNG.standard_normal(3)


# --- the differentiated functions (module level: srcgrad reads their source) ----------------------------
def norm_logpdf(x, loc, scale):
    return norm.logpdf(x, loc, scale)


def norm_pdf(x, loc, scale):
    return stats.norm.pdf(x, loc, scale)


def norm_cdf(x, loc, scale):
    return scipy.stats.norm.cdf(x, loc, scale)


def norm_logcdf(x, loc, scale):
    return norm.logcdf(x, loc, scale)


def norm_sf(x, loc, scale):
    return norm.sf(x, loc, scale)


def norm_logsf(x, loc, scale):
    return norm.logsf(x, loc, scale)


def t_logpdf(x, df, loc, scale):
    return t.logpdf(x, df, loc, scale)


def t_pdf(x, df, loc, scale):
    return t.pdf(x, df, loc, scale)


def t_cdf(x, df, loc, scale):
    return t.cdf(x, df, loc, scale)


def t_logcdf(x, df, loc, scale):
    return t.logcdf(x, df, loc, scale)


def t_sf(x, df, loc, scale):
    return t.sf(x, df, loc, scale)


def t_logsf(x, df, loc, scale):
    return t.logsf(x, df, loc, scale)


def beta_logpdf(x, a, b, loc, scale):
    return beta.logpdf(x, a, b, loc, scale)


def beta_pdf(x, a, b, loc, scale):
    return beta.pdf(x, a, b, loc, scale)


def beta_cdf(x, a, b, loc, scale):
    return beta.cdf(x, a, b, loc, scale)


def beta_logcdf(x, a, b, loc, scale):
    return beta.logcdf(x, a, b, loc, scale)


def beta_logpdf_standard(x, a, b):
    return beta.logpdf(x, a, b)


def gamma_logpdf(x, a, loc, scale):
    return gamma.logpdf(x, a, loc, scale)


def gamma_pdf(x, a, loc, scale):
    return gamma.pdf(x, a, loc, scale)


def gamma_cdf(x, a, loc, scale):
    return gamma.cdf(x, a, loc, scale)


def gamma_logsf(x, a, loc, scale):
    return gamma.logsf(x, a, loc, scale)


def poisson_logpmf(k, mu):
    return poisson.logpmf(k, mu)


def poisson_pmf(k, mu):
    return poisson.pmf(k, mu)


def poisson_logpmf_shifted(k, mu):
    return poisson.logpmf(k, mu, loc=-1)


def mvn_logpdf(x, mean, cov):
    return multivariate_normal.logpdf(x, mean, cov)


def mvn_pdf(x, mean, cov):
    return stats.multivariate_normal.pdf(x, mean, cov)


def mvn_logpdf_no_cov(x, mean):
    return multivariate_normal.logpdf(x, mean)


def mvn_logpdf_no_mean(x, cov):
    return multivariate_normal.logpdf(x, None, cov)


def norm_standard(x):
    return norm.logpdf(x) + norm.cdf(x)


def keywords_norm(x, loc, scale):
    return norm.logpdf(x, loc=loc, scale=scale)


def keywords_t(x, df, scale):
    return t.logpdf(x, df=df, scale=scale) + t.cdf(x, df, scale=scale)


def keywords_gamma(x, a, scale):
    return gamma.logpdf(x, a, scale=scale)


def keywords_mvn(x, mean, cov):
    return multivariate_normal.logpdf(x, mean=mean, cov=cov, allow_singular=False)


def total_logpdf(x, loc, scale):
    return np.sum(norm.logpdf(x, loc, scale)) + np.sum(t.logpdf(x, 5.0, loc, scale))


# --- first derivatives: every differentiable argument, float64 and float32 ---------------------------------
def _spd_with_garbage_above() -> np.ndarray:
    """COV's lower triangle; SciPy never reads the upper one, so its values are arbitrary."""
    return np.tril(COV) + np.triu(RNG.standard_normal((3, 3)), 1)


GAMMA_X = -0.4 + SCALE * (0.3 + 2.0 * U)
BETA_X = -0.2 + 2.0 * U
CASES = [
    *[(fn, (X, LOC, SCALE), (0, 1, 2)) for fn in (norm_logpdf, norm_pdf, norm_cdf, norm_logcdf, norm_sf, norm_logsf)],
    (norm_logpdf, (0.3, -0.2, 1.1), (0, 1, 2), "numbers"),
    (norm_standard, (X,), (0,)),
    *[(fn, (X, DF, LOC, SCALE), (0, 1, 2, 3)) for fn in (t_logpdf, t_pdf)],
    *[(fn, (X, DF, LOC, SCALE), (0, 2, 3)) for fn in (t_cdf, t_logcdf, t_sf, t_logsf)],
    *[(fn, (BETA_X, A, B, -0.2, 2.0), (0, 1, 2, 3, 4)) for fn in (beta_logpdf, beta_pdf)],
    *[(fn, (BETA_X, A, B, -0.2, 2.0), (0, 3, 4)) for fn in (beta_cdf, beta_logcdf)],
    (beta_logpdf_standard, (U, A, B), (0, 1, 2)),
    *[(fn, (GAMMA_X, A, -0.4, SCALE), (0, 1, 2, 3)) for fn in (gamma_logpdf, gamma_pdf)],
    *[(fn, (GAMMA_X, A, -0.4, SCALE), (0, 2, 3)) for fn in (gamma_cdf, gamma_logsf)],
    *[(fn, (K, MU), (1,)) for fn in (poisson_logpmf, poisson_pmf, poisson_logpmf_shifted)],
    (mvn_logpdf, (X, MEAN, COV), (0, 1, 2)),
    (mvn_pdf, (0.5 * X, MEAN, COV), (0, 1, 2)),
    (mvn_logpdf, (X, MEAN, _spd_with_garbage_above()), (2,), "lower-triangle"),
    (mvn_logpdf, (X, MEAN, 1.7), (0, 1, 2), "cov-number"),  # 1.7 I
    (mvn_logpdf, (X, MEAN, np.diag(COV)), (0, 1, 2), "cov-vector"),  # the diagonal
    (mvn_logpdf, (X[0], MEAN, COV), (0, 1, 2), "one-point"),
    (mvn_logpdf, (RNG.standard_normal((2, 4, 3)), MEAN, COV), (0, 1, 2), "grid-of-points"),
    (mvn_logpdf, (X[:, 0], MEAN[:1], COV[:1, :1]), (0, 1, 2), "d1"),  # x's items are the points
    (mvn_logpdf, (X[:, 0], 0.5, 2.0), (0, 1, 2), "d1-numbers"),
    (mvn_logpdf_no_mean, (X, COV), (0, 1)),
    (mvn_logpdf_no_cov, (X, MEAN), (0, 1)),
    (keywords_norm, (X, LOC, SCALE), (0,)),
    (keywords_t, (X, DF, SCALE), (0,)),
    (keywords_gamma, (GAMMA_X + 0.4, A, SCALE), (0, 1)),
    (keywords_mvn, (X, MEAN, COV), (0,)),
    (total_logpdf, (X, LOC, SCALE), (0, 1, 2)),
]
IDS = [f"{c[0].__name__}{'-' + c[3] if len(c) > 3 else ''}-wrt{''.join(map(str, c[2]))}" for c in CASES]


def _float32(value):  # type: ignore[no-untyped-def]
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    return value


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_float64(case) -> None:  # type: ignore[no-untyped-def]
    fn, args, wrt = case[:3]
    check(fn, args, wrt=wrt)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_float32(case) -> None:  # type: ignore[no-untyped-def]
    """SciPy computes in float64; each gradient comes back in its argument's float32."""
    fn, args, wrt = case[:3]
    check(fn, tuple(_float32(a) for a in args), wrt=wrt, seed=1)


def test_poissons_count_gets_no_gradient() -> None:
    grads = srcgrad.grad(poisson_logpmf, wrt=(0, 1))(K.astype(np.float64), MU)
    assert grads[0] is None and grads[1].shape == MU.shape


def test_gradients_match_closed_forms() -> None:
    """d/dx of norm.logpdf is -(x - loc) / scale**2; d/dmu of poisson.logpmf is k / mu - 1."""
    gx, gloc, gscale = srcgrad.grad(norm_logpdf_total, wrt=(0, 1, 2))(X, LOC, SCALE)
    z = (X - LOC) / SCALE
    np.testing.assert_allclose(gx, -z / SCALE)
    np.testing.assert_allclose(gloc, np.sum(z / SCALE, axis=0))
    np.testing.assert_allclose(gscale, np.sum((z * z - 1.0) / SCALE))
    (gmu,) = srcgrad.grad(poisson_logpmf_total, wrt=(1,))(K, MU)
    np.testing.assert_allclose(gmu, np.sum(K / MU - 1.0, axis=0))


def norm_logpdf_total(x, loc, scale):
    return np.sum(norm.logpdf(x, loc, scale))


def poisson_logpmf_total(k, mu):
    return np.sum(poisson.logpmf(k, mu))


def outside_the_support(x, a):
    return (np.sum(gamma.logpdf(x, a) + gamma.pdf(x, a) + gamma.cdf(x, 2.0) + beta.pdf(x, a, 2.0))
            + np.sum(beta.sf(x, 1.5, 2.0)))


def test_outside_the_support_the_gradient_is_zero_not_nan() -> None:
    """gamma and beta are flat outside [0, inf) and [0, 1]: zero cotangents there, no NaN, no warning."""
    x = np.array([-1.0, 0.5, 1.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gx, ga = srcgrad.grad(outside_the_support, wrt=(0, 1))(x, np.array([2.0, 2.0, 3.0, 1.5]))
    assert gx[0] == 0.0 and ga[0] == 0.0 and np.all(np.isfinite(gx)) and np.all(np.isfinite(ga))


# --- second derivatives -------------------------------------------------------------------------------------
def norm_second(x):
    return np.sum(norm.logpdf(x, 0.5 * x, 1.0 + x * x))


def norm_second_tails(x):
    return np.sum(norm.logcdf(x, 0.2, 1.5) + norm.pdf(x, -0.1, 0.8))


def t_second(x):
    return np.sum(t.logpdf(x, 3.0 + x * x, 0.1, 1.2))


def gamma_second(x):
    return np.sum(gamma.logpdf(1.0 + x * x, 2.0 + np.tanh(x), 0.0, 1.5))


def beta_second(x):
    return np.sum(beta.logpdf(U, 2.0 + np.tanh(x), 2.5 + x * x))


def poisson_second(x):
    return np.sum(poisson.logpmf(K, 1.0 + x * x) + poisson.pmf(K, 2.0 + np.tanh(x)))


def mvn_second(x):
    return np.sum(multivariate_normal.logpdf(x, MEAN, COV + 0.1 * np.outer(x[0], x[0])))


@pytest.mark.parametrize("fn", [norm_second, norm_second_tails, t_second, gamma_second, beta_second,
                                poisson_second, mvn_second],
                         ids=lambda f: f.__name__)
def test_second_derivatives(fn) -> None:  # type: ignore[no-untyped-def]
    second_derivative_check(fn, X)


# --- refused, with a location ---------------------------------------------------------------------------------
def cdf_in_df(x, df):
    return np.sum(t.cdf(x, df))


def cdf_in_a(x, a):
    return np.sum(beta.cdf(x, a, 2.0))


def sf_in_a(x, a):
    return np.sum(gamma.sf(x, a))


def singular_allowed(x, mean):
    return np.sum(multivariate_normal.logpdf(x, mean, COV, allow_singular=True))


COVARIANCE = stats.Covariance.from_diagonal(np.diag(COV)) if hasattr(stats, "Covariance") else None  # SciPy 1.10


def covariance_object(x, mean):
    return np.sum(multivariate_normal.logpdf(x, mean, COVARIANCE))


def frozen(x, loc, scale):
    return np.sum(norm(loc, scale).logpdf(x))


PRIOR = norm(0.0, 1.0)


def frozen_global(x):
    return np.sum(PRIOR.logpdf(x))


def _located(error: srcgrad.SrcgradError) -> None:
    assert error.loc is not None and error.loc.file == __file__, str(error)
    assert f"{__file__}:{error.loc.line}:" in str(error) and "^" in str(error)


@pytest.mark.parametrize("fn, args, wrt, words", [
    (cdf_in_df, (X, 3.0), (1,), "scipy.stats.t.cdf with respect to its shape parameter df"),
    (cdf_in_a, (U, A), (1,), "scipy.stats.beta.cdf with respect to its shape parameter a"),
    (sf_in_a, (U, A), (0, 1), "scipy.stats.gamma.sf with respect to its shape parameter a"),
    (singular_allowed, (X, MEAN), (0,), "allow_singular=True"),
    pytest.param(covariance_object, (X, MEAN), (0, 1), "a scipy.stats.Covariance object as cov",
                 marks=pytest.mark.skipif(COVARIANCE is None, reason="SciPy without scipy.stats.Covariance")),
], ids=["t.cdf-df", "beta.cdf-a", "gamma.sf-a", "allow_singular", "Covariance"])
def test_what_the_rules_cannot_honour_is_refused_at_the_call(fn, args, wrt, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(fn, wrt=wrt)(*args)
    assert words in info.value.message, str(info.value)
    _located(info.value)


def test_a_shape_parameter_held_fixed_is_not_refused() -> None:
    check(cdf_in_df, (X, 3.0), wrt=(0,))


def test_a_differentiated_keyword_argument_is_located_or_right() -> None:
    """Rules take cotangents by position: loc= of a differentiated value is refused where it is passed
    (or, should reverse mode learn keywords, differentiated correctly)."""
    try:
        check(keywords_norm, (X, LOC, SCALE), wrt=(0, 1, 2))
    except srcgrad.SrcgradError as error:
        assert "keyword" in error.message, str(error)
        _located(error)


@pytest.mark.parametrize("fn, args", [(frozen, (X, 0.1, 1.2)), (frozen_global, (X,))], ids=["inside", "global"])
def test_a_frozen_distribution_is_a_located_error(fn, args) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(fn, wrt=tuple(range(len(args))))(*args)
    _located(info.value)


# --- the generated code, and SciPy's absence --------------------------------------------------------------------
def test_the_adjoint_calls_the_distribution_and_reads_as_math() -> None:
    text = srcgrad.show(t_logpdf, wrt=(1,))
    compile(text, "<adjoint>", "exec")
    assert "logpdf(x, df, loc, scale)" in text and "scipy.special.psi" in text, text  # digamma, as SciPy also names it


def test_without_scipy_nothing_is_registered() -> None:
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "from srcgrad.rules import load_builtin_rules, registry; load_builtin_rules()\n"
        "from srcgrad.rules import scipy_stats_rules\n"
        "assert scipy_stats_rules.stats is None\n"
        "assert not [f for f in registry.registered() if 'scipy' in (getattr(f, '__module__', '') or '')]\n"
    )
    run = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr


def keyword_location_and_scale(mu, log_s, x):
    return np.sum(stats.norm.logpdf(x, loc=mu, scale=np.exp(log_s)))


def keyword_scale_only(s, x):
    return np.sum(stats.norm.logpdf(x, scale=s))


@pytest.mark.parametrize("fn, args", [
    (keyword_location_and_scale, (0.3, -0.2, np.array([0.1, 0.5, -1.0]))),
    (keyword_scale_only, (1.3, np.array([0.1, 0.5, -1.0]))),
], ids=["loc_and_scale", "scale_only"])
def test_a_differentiated_argument_passed_by_keyword(fn, args):
    check(fn, args, wrt=tuple(range(len(args))))


def no_rule_bound_method(x):
    return np.sum(stats.laplace.logpdf(x))


FROZEN = stats.norm(0.0, 1.0)


def frozen_distribution(x):
    return np.sum(FROZEN.logpdf(x))


def test_the_rule_hint_names_the_method_as_written():
    with pytest.raises(srcgrad.NoGradientError) as info:
        srcgrad.grad(no_rule_bound_method)(np.ones(2))
    assert "@srcgrad.register_vjp(stats.laplace.logpdf)" in str(info.value)


def test_a_frozen_distribution_says_what_to_call_instead():
    with pytest.raises(srcgrad.NoGradientError, match=r"the method .logpdf\(\) of a scipy.rv_continuous_frozen object"):
        srcgrad.grad(frozen_distribution)(np.ones(2))
