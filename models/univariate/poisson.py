"""Poisson(mu)."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support


def _closed_form(x, options):
    return {"mu": float(np.mean(x))}


def _scipy_fit(x, options):
    from scipy import stats

    fit = stats.fit(stats.poisson, x, bounds={"mu": (0, max(1.0, 10 * np.max(x)))})
    return {"mu": float(fit.params.mu)}


def _boundary(x, options):
    if np.all(x == 0):
        return "all counts are 0, so the MLE of mu is 0, on the boundary"
    return None


def _stats(values, weights, options):
    from scipy.special import gammaln

    return statistics.mean(values, weights), statistics.mean(gammaln(values + 1.0), weights)


def _mean_logpdf(stats, params, options):
    mu = params["mu"]
    return stats[0] * np.log(mu) - mu - stats[1]


FAMILY = Family(
    name="poisson",
    description="Poisson counts with mean mu",
    domains={"mu": "positive"},
    support="integer x ≥ 0",
    discrete=True,
    pymc_dist="Poisson",
    in_support=support.counts,
    demo_params={"mu": 3.5},
    scipy_dist="poisson",
    to_scipy=lambda p, o: {"mu": p["mu"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    statistics=Statistics(_stats, _mean_logpdf),
)
