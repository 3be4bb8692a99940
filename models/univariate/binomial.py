"""Binomial(n, p), with the number of trials n given by the user."""

import numpy as np

from models.family import Family, Option, Statistics
from models.univariate import statistics

# Above 0, as in geometric.py: stats.fit's final polish can stall at p = 0.
_P_BOUNDS = (1e-9, 1.0)


def _in_support(x, options):
    return (x >= 0) & (x <= options["n"]) & (x == np.floor(x))


def _closed_form(x, options):
    return {"p": float(np.mean(x) / options["n"])}


def _scipy_fit(x, options):
    from scipy import stats

    n = options["n"]
    fit = stats.fit(stats.binom, x, bounds={"n": (n, n), "p": _P_BOUNDS})
    return {"p": float(fit.params.p)}


def _boundary(x, options):
    if np.all(x == 0):
        return "all counts are 0, so the MLE of p is 0, on the boundary"
    if np.all(x == options["n"]):
        return f"all counts equal n = {options['n']}, so the MLE of p is 1, on the boundary"
    return None


def _stats(values, weights, options):
    from scipy.special import gammaln

    n = options["n"]
    log_choose = gammaln(n + 1.0) - gammaln(values + 1.0) - gammaln(n - values + 1.0)
    return statistics.mean(values, weights), statistics.mean(log_choose, weights)


def _mean_logpdf(stats, params, options):
    p = params["p"]
    return stats[1] + stats[0] * np.log(p) + (options["n"] - stats[0]) * np.log1p(-p)


FAMILY = Family(
    name="binomial",
    description="successes in n trials, each with probability p (n must be given)",
    domains={"p": "unit"},
    support="integer 0 ≤ x ≤ n",
    discrete=True,
    pymc_dist="Binomial",
    in_support=_in_support,
    demo_params={"p": 0.3},
    scipy_dist="binom",
    to_scipy=lambda p, o: {"n": o["n"], "p": p["p"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    options=(Option("n", "number of trials per observation (required)"),),
    demo_options={"n": 10},
    statistics=Statistics(_stats, _mean_logpdf),
)
