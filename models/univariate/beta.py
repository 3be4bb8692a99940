"""Beta(alpha, beta) on the open unit interval."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support


def _scipy_fit(x, options):
    from scipy import stats

    a, b, _, _ = stats.beta.fit(x, floc=0, fscale=1)
    return {"alpha": float(a), "beta": float(b)}


def _start(x, options):
    """Moments: alpha + beta = m(1 − m)/v − 1 about the mean m (rough; it moves with the
    data: for values near 1e-5, beta near 1e5). PyMC's start alpha = beta = 1 sits where
    its gradient of Beta's log-density has a kink."""
    m, v = float(np.mean(x)), float(np.var(x))
    total = m * (1 - m) / v - 1 if v > 0 else 2.0
    total = total if total > 0 else 2.0
    return {"alpha": m * total, "beta": (1 - m) * total}


def _boundary(x, options):
    # Otherwise Jensen's inequality is strict for log x and log(1 - x): the MLE is finite.
    if support.all_equal(x):
        return (
            "all values are equal, so the likelihood keeps rising as alpha and beta grow "
            "to infinity with alpha/(alpha + beta) fixed at that value: the MLE does not exist"
        )
    return None


def _stats(values, weights, options):
    return statistics.mean(np.log(values), weights), statistics.mean(np.log1p(-values), weights)


def _mean_logpdf(stats, params, options):
    from scipy.special import betaln

    alpha, beta = params["alpha"], params["beta"]
    return (alpha - 1) * stats[0] + (beta - 1) * stats[1] - betaln(alpha, beta)


FAMILY = Family(
    name="beta",
    description="beta on (0, 1) with shapes alpha and beta (mean alpha/(alpha + beta))",
    domains={"alpha": "positive", "beta": "positive"},
    support="real 0 < x < 1",
    discrete=False,
    pymc_dist="Beta",
    in_support=support.unit_open,
    demo_params={"alpha": 2.0, "beta": 5.0},
    scipy_dist="beta",
    to_scipy=lambda p, o: {"a": p["alpha"], "b": p["beta"]},
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
    statistics=Statistics(_stats, _mean_logpdf),
)
