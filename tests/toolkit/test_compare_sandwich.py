"""cmp.se_sandwich: Huber's sandwich H⁻¹ (Σ s sᵀ) H⁻¹ at the MLE, against closed forms."""

import numpy as np
import pymc as pm
import pytest

import toolkit

# Scores by central differences (relative step 1e-6) carry ~1e-9 relative error; the
# sandwich then agrees with the closed forms to ~1e-7.
REL = 1e-6


def test_normal_sandwich_is_the_closed_form(rng):
    x = rng.gamma(2.0, 1.5, size=800)  # skewed data: the two SEs differ for sigma
    cmp = toolkit.compare("normal", x)
    d = x - x.mean()
    s2 = np.mean(d**2)
    # μ: √(Σ d²)/N; σ: √(Σ (d² − s²)²) / (2 s N) (scores of the normal at its MLE).
    expected = [
        np.sqrt(np.sum(d**2)) / x.size,
        np.sqrt(np.sum((d**2 - s2) ** 2)) / (2 * np.sqrt(s2) * x.size),
    ]
    assert cmp.se_sandwich.to_numpy() == pytest.approx(expected, rel=REL)
    assert list(cmp.se_sandwich.index) == list(cmp.se.index)
    assert cmp.se_sandwich["mu"] == pytest.approx(cmp.se["mu"], rel=REL)  # the mean's SE holds
    assert cmp.se_sandwich["sigma"] > 1.2 * cmp.se["sigma"]  # kurtosis 6 > 3: too short


def test_poisson_sandwich_is_the_sample_sd_over_root_n(rng):
    x = rng.negative_binomial(2, 2 / 6, size=600)  # overdispersed counts
    cmp = toolkit.compare("poisson", x)
    assert cmp.se_sandwich["mu"] == pytest.approx(x.std() / np.sqrt(x.size), rel=REL)


def test_a_correct_model_has_sandwich_near_model_based(rng):
    cmp = toolkit.compare("exponential", rng.exponential(2.0, size=5000))
    # Under the model both estimate the same variance; their ratio is 1 + O(1/√N).
    assert cmp.se_sandwich["lam"] == pytest.approx(cmp.se["lam"], rel=0.1)


def test_sandwich_on_a_users_model(rng):
    y = rng.standard_t(4, size=300)
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", mu, sigma, observed=y)
    cmp = toolkit.compare(model)
    assert cmp.se_sandwich["mu"] == pytest.approx(y.std() / np.sqrt(y.size), rel=1e-5)
