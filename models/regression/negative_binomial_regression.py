"""Negative-binomial (NB2) regression: mean mu = exp(Xβ), variance mu + mu²/alpha."""

import numpy as np
import pandas as pd
from scipy.special import gammaln

from models.regression.declaration import RegressionFamily
from models.regression.poisson_regression import count
from models.regression.separation import zero_counts


def _observe(eta, extra, y):
    import pymc as pm

    pm.NegativeBinomial("y", mu=pm.math.exp(eta), alpha=extra["alpha"], observed=y)


def _logpdf(y, eta, extra):
    a = extra["alpha"]
    log_total = np.logaddexp(np.log(a), eta)  # log(alpha + mu)
    return (
        gammaln(y + a) - gammaln(a) - gammaln(y + 1.0)
        + a * (np.log(a) - log_total) + y * (eta - log_total)
    )  # fmt: skip


def _sample(rng, eta, extra):
    a = extra["alpha"]
    return rng.poisson(rng.gamma(a, np.exp(eta) / a))


def _demo_covariates(rng, n):
    return pd.DataFrame({"x1": rng.normal(0.0, 1.0, n), "x2": rng.uniform(0.0, 2.0, n)})


FAMILY = RegressionFamily(
    name="negative_binomial_regression",
    description="negative-binomial counts with log-mean Xβ and dispersion alpha (PyMC's)",
    support="integer y >= 0",
    discrete=True,
    extra={"alpha": "positive"},
    observe=_observe,
    logpdf=_logpdf,
    sample=_sample,
    in_support=count,
    demo_params={"beta": [1.0, 0.4, -0.3], "alpha": 2.0},
    demo_covariates=_demo_covariates,
    boundary=zero_counts,
    response_mean=lambda eta, extra: np.exp(eta),
)
