"""NegativeBinomial(mu, alpha): counts with mean mu and variance mu + mu²/alpha."""

import numpy as np

from models.family import Family
from models.univariate import support

# Not 0: there scipy's penalised likelihood is infinite (see geometric.py).
_P_BOUNDS = (1e-9, 1.0)


def _to_scipy(params, options):
    alpha = params["alpha"]
    return {"n": alpha, "p": alpha / (alpha + params["mu"])}


def _scipy_fit(x, options):
    from scipy import stats

    # scipy declares nbinom's n integer, so stats.fit only tries whole numbers n ≥ 1.
    # Upper bound: ten times the moment estimate of alpha, and at least 100.
    mean, var = np.mean(x), np.var(x)
    upper = max(100.0, 10 * mean**2 / (var - mean)) if var > mean else 100.0
    fit = stats.fit(stats.nbinom, x, bounds={"n": (1, upper), "p": _P_BOUNDS})
    n, p = fit.params.n, fit.params.p
    return {"mu": float(n * (1 - p) / p), "alpha": float(n)}


def _boundary(x, options):
    if np.all(x == 0):
        return "all counts are 0, so the MLE of mu is 0, on the boundary"
    mean, var = np.mean(x), np.var(x)
    if var <= mean:
        return (
            f"the variance of the counts ({var:.4g}) does not exceed their mean ({mean:.4g}), "
            "so the MLE of alpha is infinite (the Poisson limit)"
        )
    return None


FAMILY = Family(
    name="negative_binomial",
    description="overdispersed counts with mean mu and variance mu + mu²/alpha",
    domains={"mu": "positive", "alpha": "positive"},
    support="integer x ≥ 0",
    discrete=True,
    pymc_dist="NegativeBinomial",
    in_support=support.counts,
    demo_params={"mu": 4.0, "alpha": 2.0},
    scipy_dist="nbinom",
    to_scipy=_to_scipy,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
)
