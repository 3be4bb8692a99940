"""Weibull(alpha, beta), with alpha the shape and beta the scale."""

import numpy as np

from models.family import Family
from models.univariate import support


def _scipy_fit(x, options):
    from scipy import stats

    c, _, scale = stats.weibull_min.fit(x, floc=0)
    return {"alpha": float(c), "beta": float(scale)}


def _boundary(x, options):
    # Otherwise the score equation in alpha has exactly one root and the MLE is finite.
    if support.all_equal(x):
        return (
            "all values are equal, so the likelihood keeps rising as the shape alpha grows "
            "to infinity (beta tending to that value): the MLE does not exist"
        )
    return None


def _start(x, options):
    # log x is Gumbel (minimum) with SD π/(√6 alpha) and mean log beta − γ/alpha
    logx = np.log(x)
    alpha = np.pi / (np.sqrt(6.0) * float(np.std(logx)))
    return {"alpha": alpha, "beta": float(np.exp(np.mean(logx) + np.euler_gamma / alpha))}


FAMILY = Family(
    name="weibull",
    description="Weibull with shape alpha and scale beta",
    domains={"alpha": "positive", "beta": "positive"},
    support="real x > 0",
    discrete=False,
    pymc_dist="Weibull",
    in_support=support.positive,
    demo_params={"alpha": 1.8, "beta": 2.0},
    scipy_dist="weibull_min",
    to_scipy=lambda p, o: {"c": p["alpha"], "scale": p["beta"]},
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
)
