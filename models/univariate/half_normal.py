"""HalfNormal(sigma): |z| for z ~ Normal(0, sigma)."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support


def _closed_form(x, options):
    return {"sigma": float(np.sqrt(np.mean(np.square(x))))}


def _scipy_fit(x, options):
    from scipy import stats

    _, scale = stats.halfnorm.fit(x, floc=0)
    return {"sigma": float(scale)}


def _boundary(x, options):
    if np.all(x == 0):
        return "all values are 0, so the MLE of sigma is 0, on the boundary"
    return None


#: Median of the standard half-normal.
_MEDIAN = 0.6744897501960817


def _start(x, options):
    return {"sigma": float(np.median(x) / _MEDIAN)}


def _stats(values, weights, options):
    return (statistics.mean(np.square(values), weights),)


def _mean_logpdf(stats, params, options):
    sigma = params["sigma"]
    return 0.5 * np.log(2 / np.pi) - np.log(sigma) - stats[0] / (2 * sigma**2)


FAMILY = Family(
    name="half_normal",
    description="half-normal: absolute value of a Gaussian with mean 0 and scale sigma",
    domains={"sigma": "positive"},
    support="real x ≥ 0",
    discrete=False,
    pymc_dist="HalfNormal",
    in_support=support.nonnegative,
    demo_params={"sigma": 1.5},
    scipy_dist="halfnorm",
    to_scipy=lambda p, o: {"scale": p["sigma"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
    statistics=Statistics(
        _stats, _mean_logpdf, lambda stats, options: statistics.one_point(np.sqrt(stats[0]))
    ),
)
