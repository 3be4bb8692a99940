"""Geometric(p): the number of trials up to and including the first success."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support

# Not 0: there scipy's penalised likelihood is infinite, and the final L-BFGS-B polish of
# stats.fit stalls whenever its first step is clipped to p = 0, leaving differential
# evolution's rough answer (often 1e-4 to 1e-2 off in relative terms).
_P_BOUNDS = (1e-9, 1.0)


def _closed_form(x, options):
    return {"p": float(1 / np.mean(x))}


def _scipy_fit(x, options):
    from scipy import stats

    fit = stats.fit(stats.geom, x, bounds={"p": _P_BOUNDS})
    return {"p": float(fit.params.p)}


def _boundary(x, options):
    if np.all(x == 1):
        return "every first success came on trial 1, so the MLE of p is 1, on the boundary"
    return None


def _stats(values, weights, options):
    return (statistics.mean(values, weights),)


def _mean_logpdf(stats, params, options):
    p = params["p"]
    return np.log(p) + (stats[0] - 1) * np.log1p(-p)


FAMILY = Family(
    name="geometric",
    description="number of trials up to and including the first success, each with probability p",
    domains={"p": "unit"},
    support="integer x ≥ 1",
    discrete=True,
    pymc_dist="Geometric",
    in_support=support.positive_integers,
    demo_params={"p": 0.3},
    scipy_dist="geom",
    to_scipy=lambda p, o: {"p": p["p"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    statistics=Statistics(_stats, _mean_logpdf),
)
