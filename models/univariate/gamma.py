"""Gamma(alpha, beta), with alpha the shape and beta the rate."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support


def _scipy_fit(x, options):
    from scipy import stats

    a, _, scale = stats.gamma.fit(x, floc=0)
    return {"alpha": float(a), "beta": float(1 / scale)}


def _boundary(x, options):
    # Otherwise the arithmetic mean exceeds the geometric mean and the MLE is finite.
    if support.all_equal(x):
        return (
            "all values are equal, so the likelihood keeps rising as alpha and beta grow "
            "to infinity with alpha/beta fixed at that value: the MLE does not exist"
        )
    return None


def _start(x, options):
    mean, var = float(np.mean(x)), float(np.var(x))  # method of moments
    return {"alpha": mean**2 / var, "beta": mean / var}


def _stats(values, weights, options):
    return statistics.mean(values, weights), statistics.mean(np.log(values), weights)


def _mean_logpdf(stats, params, options):
    from scipy.special import gammaln

    alpha, beta = params["alpha"], params["beta"]
    mean, mean_log = stats
    return alpha * np.log(beta) - gammaln(alpha) + (alpha - 1) * mean_log - beta * mean


def _pseudo_atoms(stats, options):
    """Two equally weighted points with the sample's mean m and mean log g: the roots of
    t² − 2mt + e^(2g), real since m ≥ e^g (arithmetic ≥ geometric mean)."""
    mean, mean_log = stats
    geometric = np.exp(mean_log)
    half_gap = np.sqrt(max((mean - geometric) * (mean + geometric), 0.0))
    upper = mean + half_gap
    return np.array([geometric**2 / upper, upper]), np.array([0.5, 0.5])


FAMILY = Family(
    name="gamma",
    description="gamma with shape alpha and rate beta (mean alpha/beta)",
    domains={"alpha": "positive", "beta": "positive"},
    support="real x > 0",
    discrete=False,
    pymc_dist="Gamma",
    in_support=support.positive,
    demo_params={"alpha": 2.5, "beta": 1.5},
    scipy_dist="gamma",
    to_scipy=lambda p, o: {"a": p["alpha"], "scale": 1 / p["beta"]},
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
    statistics=Statistics(_stats, _mean_logpdf, _pseudo_atoms),
)
