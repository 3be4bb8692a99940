"""Tests of toolkit.studies.laws: exact KL, Fisher information and pseudo-true parameters."""

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from toolkit.studies.laws import fisher_information, kl_divergence, law, pseudo_true, rule

# The tanh-sinh rule integrates these smooth (on the quantile scale) integrands to about
# 1e-13 absolute; 1e-11 relative leaves room and would still catch a wrong weight or node
# (those give errors of 1e-3 or more).
QUAD_REL = 1e-11


def kl_normals(m1, s1, m2, s2):
    """Closed form KL(N(m1, s1²) ‖ N(m2, s2²))."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def kl_gammas(a1, b1, a2, b2):
    """Closed form KL(Gamma(a1, rate b1) ‖ Gamma(a2, rate b2))."""
    return (
        (a1 - a2) * special.digamma(a1)
        - special.gammaln(a1)
        + special.gammaln(a2)
        + a2 * (math.log(b1) - math.log(b2))
        + a1 * (b2 - b1) / b1
    )


@pytest.mark.parametrize(("m2", "s2"), [(1.0, 2.0), (1e-3, 1.001), (-3.0, 0.5)])
def test_kl_between_normals(m2, s2):
    p, q = law("normal", {"mu": 0.0, "sigma": 1.0}), law("normal", {"mu": m2, "sigma": s2})
    # Relative accuracy holds even for a KL of 1e-6: the integrand is log p − log q itself.
    assert kl_divergence(p, q) == pytest.approx(kl_normals(0, 1, m2, s2), rel=QUAD_REL)


@pytest.mark.parametrize("alpha", [0.3, 2.5])  # a density singular at 0, and one that is not
def test_kl_between_gammas(alpha):
    p = law("gamma", {"alpha": alpha, "beta": 1.5})
    q = law("gamma", {"alpha": 1.1 * alpha, "beta": 1.4})
    assert kl_divergence(p, q) == pytest.approx(kl_gammas(alpha, 1.5, 1.1 * alpha, 1.4), rel=1e-11)


def test_kl_between_poissons_is_an_exact_sum():
    p, q = law("poisson", {"mu": 3.5}), law("poisson", {"mu": 3.6})
    exact = 3.5 * math.log(3.5 / 3.6) + 3.6 - 3.5
    assert kl_divergence(p, q) == pytest.approx(exact, rel=1e-12)
    on = rule(p)
    assert np.all(on.x == np.arange(on.x.size))  # 0, 1, 2, ... with the pmf as weights
    assert 1 - math.fsum(on.w) < 1e-15


def test_kl_weibull_to_exponential_against_adaptive_quadrature():
    # No closed form: the reference is scipy.integrate.quad on the density scale.
    p, q = law("weibull", {"alpha": 0.7, "beta": 2.0}), law("exponential", {"lam": 0.5})

    def integrand(x):
        lp = stats.weibull_min.logpdf(x, 0.7, scale=2.0)
        return math.exp(lp) * (lp - stats.expon.logpdf(x, scale=2.0))

    reference = sum(
        integrate.quad(integrand, a, b, epsabs=1e-14, epsrel=1e-12, limit=500)[0]
        for a, b in ((0, 1e-6), (1e-6, 1.0), (1.0, np.inf))
    )
    assert kl_divergence(p, q) == pytest.approx(reference, rel=1e-9)


def test_kl_is_infinite_where_q_has_no_mass():
    assert kl_divergence(law("poisson", {"mu": 3.0}), law("binomial", {"p": 0.5})) == np.inf


def test_fisher_information_of_the_normal_and_the_categorical():
    # Closed forms: Var √N(μ̂ − μ) = σ², Var √N(σ̂ − σ) = σ²/2, no covariance; for the
    # categorical the multinomial covariance diag(p) − p pᵀ (on the simplex).
    cov = fisher_information(law("normal", {"mu": 1.5, "sigma": 2.0}))
    assert cov == pytest.approx(np.array([[4.0, 0.0], [0.0, 2.0]]), abs=1e-8)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    cov = fisher_information(law("categorical", {"p": p}))
    assert cov == pytest.approx(np.diag(p) - np.outer(p, p), abs=1e-8)


@pytest.mark.parametrize(
    ("truth", "family", "start", "expected"),
    [
        # A normal matches the truth's mean and standard deviation: α/β and √α/β.
        (
            ("gamma", {"alpha": 2.0, "beta": 1 / 1.5}),
            "normal",
            [2.5, 2.5],
            [3.0, math.sqrt(2) * 1.5],
        ),
        # An exponential matches the mean: λ* = 1 / (β Γ(1 + 1/α)).
        (
            ("weibull", {"alpha": 1.8, "beta": 2.0}),
            "exponential",
            [1.0],
            [1 / (2 * math.gamma(1 + 1 / 1.8))],
        ),
        # A Poisson matches the mean of the negative binomial, μ.
        (("negative_binomial", {"mu": 4.0, "alpha": 2.0}), "poisson", [3.0], [4.0]),
    ],
)
def test_pseudo_true_parameters_match_moments(truth, family, start, expected):
    found = pseudo_true(law(*truth), family, np.array(start))
    assert found.certified, found.status
    # Certified to a Newton step of 1e-7 per free coordinate (optimise.STEP_TOLERANCE).
    assert found.law.theta == pytest.approx(expected, rel=1e-7)
    assert found.kl == pytest.approx(kl_divergence(law(*truth), found.law), rel=1e-12)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("mv_normal", None, "cannot be studied"),
        ("linear_regression", None, "cannot be studied"),
        ("normal", {"mu": 1.0}, "missing"),
        ("normal", {"mu": 1.0, "sigma": -1.0}, "outside its domain"),
        ("normal", {"mu": 1.0, "sigma": 1.0, "nu": 2.0}, "unknown"),
        ("nomal", None, "unknown family"),
    ],
)
def test_bad_laws_are_refused(name, params, match):
    with pytest.raises(ValueError, match=match):
        law(name, params)
