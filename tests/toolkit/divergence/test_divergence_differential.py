"""Tests of toolkit.divergence.differential: differential-entropy estimators.

Tolerances are 5 standard deviations of the estimator at the sample size used
plus its bias there. The standard deviations and biases quoted were measured by
simulation (300-400 replicates) when these tests were written; for Vasicek the
standard deviation is close to the asymptotic sqrt(Var[log p(X)] / N).
"""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import digamma

from toolkit.divergence import (
    EntropyEstimate,
    entropy_estimate,
    kozachenko_leonenko_entropy,
    vasicek_entropy,
)

HALF_LOG_2PIE = 0.5 * math.log(2 * math.pi * math.e)


def normal_entropy(sigma):
    return HALF_LOG_2PIE + math.log(sigma)


# ---------------------------------------------------------------- Vasicek


@pytest.mark.parametrize("m", [None, 1, 3, 10, 49])
def test_vasicek_matches_scipy(rng, m):
    x = rng.gamma(2.0, size=100)
    expected = stats.differential_entropy(x, window_length=m, method="vasicek")
    assert vasicek_entropy(x, m) == pytest.approx(expected, rel=1e-14)


def test_vasicek_normal(rng):
    # N = 10^4, m = 100: sd 0.0076 (Var[log p] = 1/2), bias +0.002.
    x = rng.normal(1.0, 2.0, size=10_000)
    assert vasicek_entropy(x) == pytest.approx(normal_entropy(2.0), abs=5 * 0.0076 + 0.003)


def test_vasicek_exponential(rng):
    # H = 1 - log(rate). N = 10^4: sd 0.010 (Var[log p] = 1), |bias| < 0.002.
    rate = 2.5
    x = rng.exponential(1 / rate, size=10_000)
    assert vasicek_entropy(x) == pytest.approx(1 - math.log(rate), abs=5 * 0.010 + 0.002)


def test_vasicek_uniform_matches_its_exact_expectation(rng):
    # For U(a, b) the window spacing X[i+m] - X[i-m] of the order statistics
    # (clamped at the ends, spanning j_i spacings) is (b - a)·Beta(j_i, N + 1 - j_i),
    # so E[Ĥ] = log(b - a) + log(N/2m) + mean_i ψ(j_i) - ψ(N + 1) exactly. The mean of
    # R replicates must match it within 5 standard errors; it is well below the
    # true H = log(b - a), showing the known negative bias.
    a, b, n, reps = -1.0, 2.0, 1000, 100
    m = math.floor(math.sqrt(n) + 0.5)
    i = np.arange(1, n + 1)
    j = np.minimum(i + m, n) - np.maximum(i - m, 1)
    expected = math.log(b - a) + math.log(n / (2 * m)) + np.mean(digamma(j)) - digamma(n + 1)
    est = np.array([vasicek_entropy(rng.uniform(a, b, size=n)) for _ in range(reps)])
    assert abs(est.mean() - expected) <= 5 * est.std(ddof=1) / math.sqrt(reps)
    assert math.log(b - a) - est.mean() > 0.02


def test_vasicek_location_scale_equivariance(rng):
    x = rng.standard_t(5, size=500)
    h = vasicek_entropy(x)
    assert vasicek_entropy(3.0 * x - 7.0) == pytest.approx(h + math.log(3.0), rel=1e-12)
    assert vasicek_entropy(-x) == pytest.approx(h, rel=1e-12)


def test_vasicek_accepts_a_single_column(rng):
    x = rng.normal(size=50)
    assert vasicek_entropy(x[:, None]) == vasicek_entropy(x)


def test_vasicek_ties():
    # A spacing X[i+m] - X[i-m] is zero only for 2m + 1 copies of a value (m + 1 at the ends).
    x = np.array([0.0, 0.5, 1.0, 1.0, 2.0, 3.0, 4.5, 5.0])
    assert math.isfinite(vasicek_entropy(x, m=1))  # 2 copies < 2m + 1
    with pytest.raises(ValueError, match="distinct values"):
        vasicek_entropy(np.r_[x, 1.0], m=1)  # 3 copies
    with pytest.raises(ValueError, match="distinct values"):
        vasicek_entropy([0.0, 0.0, 1.0, 2.0, 3.0], m=1)  # m + 1 copies of the minimum
    with pytest.raises(ValueError, match="distinct values"):
        vasicek_entropy(np.ones(20))


@pytest.mark.parametrize(
    ("x", "m", "error", "match"),
    [
        ([1.0, 2.0], None, ValueError, "1 <= m < N/2"),
        ([1.0, 2.0, 3.0, 4.0], 2, ValueError, "1 <= m < N/2"),
        ([1.0, 2.0, 3.0], 0, ValueError, "at least 1"),
        ([1.0, 2.0, 3.0], 1.5, TypeError, "integer"),
        ([1.0, 2.0, 3.0], True, TypeError, "integer"),
        (np.zeros((5, 2)), None, ValueError, "1-D"),
        ([1.0, np.nan, 2.0], None, ValueError, "non-finite"),
        ([], None, ValueError, "empty"),
        (["a", "b", "c"], None, TypeError, "real numbers"),
    ],
)
def test_vasicek_invalid_input(x, m, error, match):
    with pytest.raises(error, match=match):
        vasicek_entropy(x, m)


# ---------------------------------------------------- Kozachenko-Leonenko


def test_kl_small_sample_by_hand():
    # 1-D, k = 1: neighbour distances 1, 1, 1, 1; V_1 = 2.
    x = [0.0, 1.0, 3.0, 4.0]
    assert kozachenko_leonenko_entropy(x) == pytest.approx(
        digamma(4) - digamma(1) + math.log(2.0), rel=1e-15
    )
    # 2-D, k = 2: second-neighbour distances sqrt(5), sqrt(5), 2; V_2 = π.
    pts = [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]
    expected = digamma(3) - digamma(2) + math.log(math.pi) + 2 * np.mean(np.log([5**0.5] * 2 + [2]))
    assert kozachenko_leonenko_entropy(pts, k=2) == pytest.approx(expected, rel=1e-15)


def test_kl_normal_1d(rng):
    # N = 2·10^4, k = 3: sd 0.0075, |bias| < 0.002.
    x = rng.normal(-3.0, 0.5, size=20_000)
    est = kozachenko_leonenko_entropy(x, k=3)
    assert est == pytest.approx(normal_entropy(0.5), abs=5 * 0.0075 + 0.002)


def test_kl_exponential(rng):
    # N = 2·10^4, k = 3: sd 0.0095, |bias| < 0.002 (the jump of p at 0 costs little).
    rate = 0.5
    x = rng.exponential(1 / rate, size=20_000)
    est = kozachenko_leonenko_entropy(x, k=3)
    assert est == pytest.approx(1 - math.log(rate), abs=5 * 0.0095 + 0.002)


def test_kl_uniform(rng):
    # H = log(b - a) = log 4. N = 2·10^4, k = 3: sd 0.006, |bias| < 0.002.
    x = rng.uniform(-2.0, 2.0, size=20_000)
    est = kozachenko_leonenko_entropy(x, k=3)
    assert est == pytest.approx(math.log(4.0), abs=5 * 0.006 + 0.002)


def test_kl_bivariate_normal(rng):
    # H = ½ log det(2πe Σ). N = 2·10^4, k = 3: sd 0.0091, bias -0.002 to -0.004.
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    x = rng.multivariate_normal([1.0, -1.0], cov, size=20_000)
    expected = 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov))
    est = kozachenko_leonenko_entropy(x, k=3)
    assert est == pytest.approx(expected, abs=5 * 0.0091 + 0.004)


def test_kl_affine_equivariance(rng):
    x = rng.normal(size=(400, 3))
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    h = kozachenko_leonenko_entropy(x, k=2)
    # Euclidean distances are rotation invariant and scale by |c|: H + d·log|c|.
    y = -2.0 * x @ rot.T + 5.0
    assert kozachenko_leonenko_entropy(y, k=2) == pytest.approx(h + 3 * math.log(2.0), rel=1e-10)


def test_kl_ties():
    with pytest.raises(ValueError, match="distinct values"):
        kozachenko_leonenko_entropy([0.0, 1.0, 1.0, 2.0])
    # With k = 2 a single duplicate still has a positive second-neighbour distance.
    assert math.isfinite(kozachenko_leonenko_entropy([0.0, 1.0, 1.0, 2.0], k=2))
    with pytest.raises(ValueError, match="distinct values"):
        kozachenko_leonenko_entropy([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]], k=2)


@pytest.mark.parametrize(
    ("x", "k", "error", "match"),
    [
        ([1.0, 2.0], 2, ValueError, "less than the sample size"),
        ([1.0, 2.0], 0, ValueError, "at least 1"),
        ([1.0, 2.0], 1.0, TypeError, "integer"),
        (np.zeros((2, 2, 2)), 1, ValueError, "1-D or 2-D"),
        ([[1.0, np.inf], [0.0, 0.0]], 1, ValueError, "non-finite"),
    ],
)
def test_kl_invalid_input(x, k, error, match):
    with pytest.raises(error, match=match):
        kozachenko_leonenko_entropy(x, k)


# ------------------------------------------------------- entropy_estimate


def test_estimate_dispatch(rng):
    x = rng.normal(size=300)
    est = entropy_estimate(x)
    assert isinstance(est, EntropyEstimate)
    assert est.method == "vasicek" and est.value == vasicek_entropy(x)
    assert entropy_estimate(x[:, None]).value == est.value
    xy = rng.normal(size=(300, 2))
    est2 = entropy_estimate(xy, k=2)
    assert est2.method == "kozachenko-leonenko" and est2.se is None
    assert est2.value == kozachenko_leonenko_entropy(xy, k=2)
    assert entropy_estimate(x, "kozachenko-leonenko").value == kozachenko_leonenko_entropy(x)
    assert entropy_estimate(x, "vasicek", m=4).value == vasicek_entropy(x, 4)


def test_estimate_invalid_method(rng):
    with pytest.raises(ValueError, match="method must be one of"):
        entropy_estimate(rng.normal(size=20), "knn")
    with pytest.raises(ValueError, match="1-D samples"):
        entropy_estimate(rng.normal(size=(20, 2)), "vasicek")


@pytest.mark.parametrize(
    ("draw", "var_logp"), [("normal", 0.5), ("exponential", 1.0)], ids=["normal", "exponential"]
)
def test_vasicek_se_is_calibrated(rng, draw, var_logp):
    # The se is a plug-in asymptotic sd. At N = 2000 it should be near both the
    # asymptotic sqrt(Var[log p]/N) and the Monte Carlo sd of the estimator over
    # R = 200 replicates (whose own relative sd is 1/sqrt(2(R-1)) = 5%). The
    # plug-in runs ~10-15% low at this N, hence the ±30% band.
    n, reps = 2000, 200
    ests = [entropy_estimate(getattr(rng, draw)(size=n)) for _ in range(reps)]
    values = np.array([e.value for e in ests])
    ses = np.array([e.se for e in ests])
    assert np.mean(ses) == pytest.approx(math.sqrt(var_logp / n), rel=0.3)
    assert np.mean(ses) == pytest.approx(values.std(ddof=1), rel=0.3)


def test_vasicek_se_is_zero_for_a_flat_density():
    # Var[log p(X)] = 0 under a uniform; equally spaced points have no noise to remove.
    est = entropy_estimate(np.linspace(0.0, 1.0, 101))
    assert est.se == 0.0
