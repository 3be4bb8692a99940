"""Bernoulli(p)."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support

# Above 0, as in geometric.py: stats.fit's final polish can stall at p = 0.
_P_BOUNDS = (1e-9, 1.0)


def _closed_form(x, options):
    return {"p": float(np.mean(x))}


def _scipy_fit(x, options):
    from scipy import stats

    fit = stats.fit(stats.bernoulli, x, bounds={"p": _P_BOUNDS})
    return {"p": float(fit.params.p)}


def _boundary(x, options):
    if support.all_equal(x):
        return f"all values are {x[0]:g}, so the MLE of p is {x[0]:g}, on the boundary"
    return None


def _stats(values, weights, options):
    return (statistics.mean(values, weights),)


def _mean_logpdf(stats, params, options):
    p = params["p"]
    return stats[0] * np.log(p) + (1 - stats[0]) * np.log1p(-p)


FAMILY = Family(
    name="bernoulli",
    description="a single trial: 1 with probability p, else 0",
    domains={"p": "unit"},
    support="x ∈ {0, 1}",
    discrete=True,
    pymc_dist="Bernoulli",
    in_support=support.binary,
    demo_params={"p": 0.3},
    scipy_dist="bernoulli",
    to_scipy=lambda p, o: {"p": p["p"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    statistics=Statistics(_stats, _mean_logpdf),
)
