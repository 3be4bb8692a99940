"""The misspecification study: the pseudo-true target, and the sandwich's coverage."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from toolkit.studies import misspecification


def test_normal_fitted_to_gamma_tends_to_the_moment_match():
    alpha, beta = 2.0, 1 / 1.5
    frame = misspecification(
        ("gamma", {"alpha": alpha, "beta": beta}), "normal", sizes=[2000], reps=60, seed=4
    )
    assert (frame["status"] == "ok").all()
    target = frame.groupby("parameter")["target"].first()
    # θ* of a normal: the truth's mean α/β and standard deviation √α/β (certified to 1e-7).
    assert target["mu"] == pytest.approx(alpha / beta, rel=1e-7)
    assert target["sigma"] == pytest.approx(math.sqrt(alpha) / beta, rel=1e-7)
    for name, rows in frame.groupby("parameter"):
        se = rows["estimate"].std(ddof=1) / math.sqrt(len(rows))
        assert abs(rows["estimate"].mean() - target[name]) <= 3 * se, name
    # KL(p ‖ q_θ*) is the least KL of the family: no fitted θ̂ is closer to the truth.
    assert (frame["kl_true"] >= frame["kl_pseudo_true"] * (1 - 1e-12)).all()


def test_sandwich_covers_where_the_model_based_se_does_not():
    # Poisson fitted to NB(μ = 4, α = 2): Var X = μ + μ²/α = 12, while the Poisson's
    # information says μ = 4. The model-based interval is too short by √(4/12), so it covers
    # with probability 2Φ(1.96 √(1/3)) − 1 ≈ 0.742; the sandwich's variance is Var X / N.
    mu, alpha, reps = 4.0, 2.0, 400
    frame = misspecification(
        ("negative_binomial", {"mu": mu, "alpha": alpha}), "poisson", sizes=[500], reps=reps, seed=8
    )
    assert (frame["status"] == "ok").all() and np.allclose(frame["target"], mu, rtol=1e-7)
    sandwich, model = frame["covered_sandwich"].mean(), frame["covered_model"].mean()
    expected_model = 2 * norm.cdf(norm.ppf(0.975) * math.sqrt(mu / (mu + mu**2 / alpha))) - 1

    def mc_se(p):  # binomial Monte Carlo error of a coverage over `reps` samples
        return math.sqrt(p * (1 - p) / reps)

    assert abs(sandwich - 0.95) <= 3 * mc_se(0.95)
    assert abs(model - expected_model) <= 3 * mc_se(expected_model)
    assert model < 0.95 - 3 * mc_se(0.95)
    # The sandwich SE is the sample sd / √N (closed form for the Poisson mean).
    ratio = frame["se_sandwich"] / frame["se_model"]
    assert np.median(ratio) == pytest.approx(math.sqrt((mu + mu**2 / alpha) / mu), rel=0.05)


def test_exponential_fitted_to_weibull_targets_one_over_the_mean():
    frame = misspecification(("weibull", None), "exponential", sizes=[50], reps=2, seed=1)
    expected = 1 / (2.0 * math.gamma(1 + 1 / 1.8))  # the Weibull's demo α = 1.8, β = 2
    assert frame["target"].iloc[0] == pytest.approx(expected, rel=1e-7)
    assert frame.attrs["arguments"]["truth_params"] == {"alpha": 1.8, "beta": 2.0}
