"""Normal(mu, sigma)."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import starts, statistics, support


def _closed_form(x, options):
    return {"mu": float(np.mean(x)), "sigma": float(np.std(x))}


def _scipy_fit(x, options):
    from scipy import stats

    loc, scale = stats.norm.fit(x)
    return {"mu": loc, "sigma": scale}


def _boundary(x, options):
    if support.all_equal(x):
        return "all values are equal, so the MLE of sigma is 0, on the boundary"
    return None


def _start(x, options):
    mu, sigma = starts.location_scale(x)
    return {"mu": mu, "sigma": sigma}


def _stats(values, weights, options):
    return statistics.mean_and_spread(values, weights)


def _mean_logpdf(stats, params, options):
    mu, sigma = params["mu"], params["sigma"]
    deviation = statistics.squared_deviation(stats, mu)
    return -np.log(sigma) - 0.5 * np.log(2 * np.pi) - deviation / (2 * sigma**2)


FAMILY = Family(
    name="normal",
    description="Gaussian with mean mu and standard deviation sigma",
    domains={"mu": "real", "sigma": "positive"},
    support="real x",
    discrete=False,
    pymc_dist="Normal",
    in_support=support.real,
    demo_params={"mu": 1.5, "sigma": 2.0},
    scipy_dist="norm",
    to_scipy=lambda p, o: {"loc": p["mu"], "scale": p["sigma"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
    statistics=Statistics(
        _stats, _mean_logpdf, lambda stats, options: statistics.two_points(stats)
    ),
)
