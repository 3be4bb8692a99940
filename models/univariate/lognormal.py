"""LogNormal(mu, sigma): log x is Normal(mu, sigma)."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import starts, statistics, support


def _closed_form(x, options):
    logx = np.log(x)
    return {"mu": float(np.mean(logx)), "sigma": float(np.std(logx))}


def _scipy_fit(x, options):
    from scipy import stats

    s, _, scale = stats.lognorm.fit(x, floc=0)
    return {"mu": float(np.log(scale)), "sigma": float(s)}


def _boundary(x, options):
    if support.all_equal(x):
        return "all values are equal, so the MLE of sigma is 0, on the boundary"
    return None


def _start(x, options):
    mu, sigma = starts.location_scale(np.log(x))
    return {"mu": mu, "sigma": sigma}


def _stats(values, weights, options):
    return statistics.mean_and_spread(np.log(values), weights)


def _mean_logpdf(stats, params, options):
    mu, sigma = params["mu"], params["sigma"]
    deviation = statistics.squared_deviation(stats, mu)
    return -np.log(sigma) - 0.5 * np.log(2 * np.pi) - stats[0] - deviation / (2 * sigma**2)


def _pseudo_atoms(stats, options):
    """exp(m ± s): the mean and spread of log x, so also Σ w log x, are the sample's."""
    values, weights = statistics.two_points(stats)
    return np.exp(values), weights


FAMILY = Family(
    name="lognormal",
    description="log-normal: log x is Gaussian with mean mu and standard deviation sigma",
    domains={"mu": "real", "sigma": "positive"},
    support="real x > 0",
    discrete=False,
    pymc_dist="LogNormal",
    in_support=support.positive,
    demo_params={"mu": 0.5, "sigma": 0.75},
    scipy_dist="lognorm",
    to_scipy=lambda p, o: {"s": p["sigma"], "scale": np.exp(p["mu"])},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
    statistics=Statistics(_stats, _mean_logpdf, _pseudo_atoms),
)
