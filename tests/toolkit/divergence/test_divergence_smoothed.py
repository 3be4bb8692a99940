"""Tests of toolkit.divergence.smoothed: KDE, histogram and grid KL in 1-D."""

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import ndtr

from toolkit.divergence import histogram_kl, kde_kl, kl_grid, reverse_kl_grid


def kl_normals(m1, s1, m2, s2):
    """Closed-form KL(N(m1, s1²) ‖ N(m2, s2²))."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def normal_logpdf(m, s):
    return lambda t: stats.norm.logpdf(t, m, s)


PAIRS = [(0.0, 1.0, 0.0, 1.0), (0.0, 1.0, 1.0, 2.0), (-1.0, 0.5, 2.0, 1.5), (3.0, 2.0, 3.5, 0.7)]

# Grid quadrature of smooth, rapidly decaying integrands with steps far below
# the scales involved (h/8, or at most 0.0048 for sds >= 0.5) is accurate to ~1e-11;
# 1e-9 leaves room without hiding any modelling error (those are >= 1e-4).
QUAD_TOL = 1e-9


# ------------------------------------------------------------------ grids


@pytest.mark.parametrize(("m1", "s1", "m2", "s2"), PAIRS)
def test_grid_kl_matches_closed_form(m1, s1, m2, s2):
    # 9 of the wider sd beyond both means: the mass outside is ~1e-19 (times a
    # log-ratio of at most ~600), yet no density value underflows to 0, which
    # would read as a support mismatch (KL = inf).
    wide = 9 * max(s1, s2)
    t = np.linspace(min(m1, m2) - wide, max(m1, m2) + wide, 12_001)
    p, q = stats.norm.pdf(t, m1, s1), stats.norm.pdf(t, m2, s2)
    assert np.all(p > 0) and np.all(q > 0)
    assert kl_grid(p, q, t) == pytest.approx(kl_normals(m1, s1, m2, s2), abs=QUAD_TOL)
    # reverse KL(q ‖ p) with p the data density and q the model
    assert reverse_kl_grid(p, q, t) == pytest.approx(kl_normals(m2, s2, m1, s1), abs=QUAD_TOL)
    assert reverse_kl_grid(p, q, t) == kl_grid(q, p, t)


def test_grid_kl_on_an_uneven_grid():
    t = np.sort(np.r_[np.linspace(-25.0, 25.0, 6001), np.linspace(-1.0, 1.0, 777)[1:-1:2] + 1e-4])
    p, q = stats.norm.pdf(t, 0.0, 1.0), stats.norm.pdf(t, 1.0, 2.0)
    assert kl_grid(p, q, t) == pytest.approx(kl_normals(0.0, 1.0, 1.0, 2.0), abs=1e-7)


def test_grid_kl_support_mismatch():
    t = np.linspace(-5.0, 5.0, 1001)
    p = stats.norm.pdf(t)
    q = stats.expon.pdf(t)  # 0 below 0, where p > 0
    assert kl_grid(p, q, t) == math.inf
    assert math.isfinite(reverse_kl_grid(p, q, t))  # ∫ q log(q/p) ignores q = 0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1.0, 1.0], [1.0, 1.0], [0.0, 1.0]), "at least 3"),
        (([1.0] * 3, [1.0] * 3, [0.0, 2.0, 1.0]), "strictly increasing"),
        (([1.0] * 3, [1.0] * 2, [0.0, 1.0, 2.0]), "grid's shape"),
        (([1.0, -1.0, 1.0], [1.0] * 3, [0.0, 1.0, 2.0]), "non-negative"),
        (([1.0, np.nan, 1.0], [1.0] * 3, [0.0, 1.0, 2.0]), "finite"),
    ],
)
def test_grid_invalid_input(args, match):
    with pytest.raises(ValueError, match=match):
        kl_grid(*args)
    with pytest.raises(ValueError, match=match):
        reverse_kl_grid(*args)


# -------------------------------------------------------------------- KDE


@pytest.mark.parametrize(("m1", "s1", "m2", "s2"), PAIRS)
def test_kde_of_one_point_is_a_normal(m1, s1, m2, s2):
    got = kde_kl([m1], normal_logpdf(m2, s2), bandwidth=s1)
    assert got == pytest.approx(kl_normals(m1, s1, m2, s2), abs=QUAD_TOL)


@pytest.mark.parametrize(("a", "h"), [(0.5, 1.0), (0.2, 0.3), (2.0, 0.5)])
def test_kde_truncated_to_bounds_against_an_exponential(a, h):
    # One point, truncated to [0, inf): p̃ is a truncated normal, and
    # KL(p̃ ‖ Exp(λ)) = -H(p̃) - log λ + λ E[p̃] in closed form.
    lam = 1.5
    alpha = -a / h
    z = ndtr(-alpha)
    phi = math.exp(-0.5 * alpha**2) / math.sqrt(2 * math.pi)
    mean = a + h * phi / z
    ent = math.log(math.sqrt(2 * math.pi * math.e) * h * z) + alpha * phi / (2 * z)
    exact = -ent - math.log(lam) + lam * mean

    def logq(t):
        return stats.expon.logpdf(t, scale=1 / lam)

    assert kde_kl([a], logq, bandwidth=h, bounds=(0.0, math.inf)) == pytest.approx(
        exact, abs=QUAD_TOL
    )
    # Without the bounds the kernel spills below 0, where the model has no mass.
    assert kde_kl([a], logq, bandwidth=h) == math.inf


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_kde_matches_scipy_kde_and_quad(rng, rule):
    # An independent computation: the bandwidth of scipy's gaussian_kde (same
    # rules), the mixture density written out, a Student-t model, adaptive quad.
    x = rng.normal(size=7)
    h = math.sqrt(stats.gaussian_kde(x, bw_method=rule).covariance[0, 0])
    nu = 4.0
    t_const = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)

    def logq(t):
        return t_const - (nu + 1) / 2 * np.log1p(np.square(t) / nu)

    def integrand(t):
        p = float(np.mean(np.exp(-0.5 * ((t - x) / h) ** 2))) / (h * math.sqrt(2 * math.pi))
        return p * (math.log(p) - logq(t)) if p > 0 else 0.0

    ref, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    assert kde_kl(x, logq, bandwidth=rule) == pytest.approx(ref, abs=QUAD_TOL)
    assert kde_kl(x, logq, bandwidth=h) == pytest.approx(ref, abs=QUAD_TOL)


def test_kde_grid_size_is_checked_not_trusted():
    logq = normal_logpdf(0.0, 1.0)
    x = np.array([-50.0, 50.0])
    with pytest.raises(ValueError, match="half the bandwidth"):
        kde_kl(x, logq, bandwidth=0.1, grid_size=1025)
    fine = kde_kl(x, logq, bandwidth=0.1, grid_size=2 * 1017 * 10 + 1)
    assert fine == pytest.approx(kde_kl(x, logq, bandwidth=0.1), rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"bandwidth": 0.0}, ValueError, "positive"),
        ({"bandwidth": "wide"}, ValueError, "scott"),
        ({"bandwidth": [1.0]}, TypeError, "number or a rule"),
        ({"cut": -1.0}, ValueError, "cut"),
        ({"cut": "8"}, TypeError, "cut"),
        ({"bandwidth": np.float32(0.5), "grid_size": 7}, ValueError, "grid step"),
        ({"bounds": (1.0, 0.0)}, ValueError, "lo < hi"),
        ({"bounds": (0.5, 2.0)}, ValueError, "outside bounds"),
        ({"bounds": "ab"}, TypeError, "pair of numbers"),
        ({"grid_size": 2}, ValueError, "grid step"),
    ],
)
def test_kde_invalid_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        kde_kl([0.0, 1.0], normal_logpdf(0.0, 1.0), **kwargs)


def test_kde_log_density_singular_at_a_bound_is_refused():
    def logq(t):
        return stats.lognorm.logpdf(t, 1.0)  # -inf at 0

    with pytest.raises(ValueError, match="singular at a bound"):
        kde_kl([0.5, 1.0, 2.0], logq, bandwidth=0.5, bounds=(0.0, math.inf))


def test_kde_refuses_an_oversized_automatic_grid():
    with pytest.raises(ValueError, match="grid_size"):
        kde_kl([0.0, 1e6], normal_logpdf(0.0, 1.0), bandwidth=1.0)


def test_kde_invalid_model_or_sample():
    with pytest.raises(TypeError, match="callable"):
        kde_kl([0.0, 1.0], 3.0)
    with pytest.raises(ValueError, match="shape"):
        kde_kl([0.0, 1.0], lambda t: np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        kde_kl([0.0, 1.0], lambda t: np.full(t.shape, np.nan))
    with pytest.raises(ValueError, match="equal"):
        kde_kl([1.0, 1.0], normal_logpdf(0.0, 1.0))
    with pytest.raises(ValueError, match="at least 2"):
        kde_kl([1.0], normal_logpdf(0.0, 1.0))
    with pytest.raises(ValueError, match="1-D"):
        kde_kl(np.zeros((3, 2)), normal_logpdf(0.0, 1.0))


# -------------------------------------------------------------- histogram


def uniform_cdf(t):
    return np.clip(t, 0.0, 1.0)


def test_histogram_closed_form():
    # P̂ = (1/4, 3/4) on two halves of [0, 1] against the uniform (1/2, 1/2).
    got = histogram_kl([0.1, 0.6, 0.7, 0.9], uniform_cdf, bins=[0.0, 0.5, 1.0])
    assert got == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5), rel=1e-15)


def test_histogram_outer_bins_hold_data_outside_the_edges():
    x = [-1.0, 0.2, 0.7, 2.0]
    cdf = stats.norm.cdf
    got = histogram_kl(x, cdf, bins=[0.0, 0.5, 1.0])
    q = np.diff(cdf([-np.inf, 0.0, 0.5, 1.0, np.inf]))
    assert got == pytest.approx(float(np.sum(0.25 * np.log(0.25 / q))), rel=1e-14)
    assert histogram_kl(x, uniform_cdf, bins=[0.0, 0.5, 1.0]) == math.inf  # data where Q = 0


def test_histogram_g_statistic_is_chi_squared(rng):
    # Under the model, 2N·KL(P̂ ‖ Q) is the G-statistic, asymptotically χ² with
    # (bins - 1) d.o.f.: 20 interior + 2 outer bins here. One draw must fall in
    # the central 99.98% of that distribution.
    n = 20_000
    x = rng.normal(size=n)
    g = 2 * n * histogram_kl(x, stats.norm.cdf, bins=np.linspace(-3.0, 3.0, 21))
    dist = stats.chi2(21)
    assert dist.ppf(1e-4) < g < dist.ppf(1 - 1e-4)


def test_histogram_estimates_the_binned_kl(rng):
    # Data N(0, 1), model N(0.5, 1), fixed bins. The population binned KL is
    # below the closed-form KL = 0.125 (data processing). A sample's histogram
    # KL estimates it with sd sqrt(Var_P[log P/Q] / N) (delta method) and bias
    # about (bins - 1)/2N; it must land within 5 sd of it.
    n = 50_000
    edges = np.linspace(-4.0, 4.0, 31)
    model = stats.norm(0.5, 1.0)
    full = np.r_[-np.inf, edges, np.inf]
    p, q = np.diff(stats.norm.cdf(full)), np.diff(model.cdf(full))
    log_ratio = np.log(p / q)
    binned = float(np.sum(p * log_ratio))
    assert binned < kl_normals(0.0, 1.0, 0.5, 1.0)
    sd = math.sqrt(float(np.sum(p * log_ratio**2)) - binned**2) / math.sqrt(n)
    bias = (len(p) - 1) / (2 * n)
    got = histogram_kl(rng.normal(size=n), model.cdf, bins=edges)
    assert got == pytest.approx(binned + bias, abs=5 * sd)


@pytest.mark.parametrize(
    ("bins", "cdf", "error", "match"),
    [
        ([0.0, 1.0, 0.5], uniform_cdf, ValueError, "strictly increasing"),
        ([0.5], uniform_cdf, ValueError, "at least 2"),
        (0, uniform_cdf, ValueError, "at least 1"),
        (3, lambda t: 1.0 - uniform_cdf(t), ValueError, "non-decreasing"),
        (3, lambda t: 2 * uniform_cdf(t), ValueError, r"\[0, 1\]"),
        (3, lambda t: 0.5, ValueError, "one value"),
    ],
)
def test_histogram_invalid_input(bins, cdf, error, match):
    with pytest.raises(error, match=match):
        histogram_kl([0.1, 0.2, 0.9], cdf, bins=bins)
