"""Poisson regression: y ~ Poisson(mu), log mu = Xβ, beta[0] the intercept."""

import numpy as np
import pandas as pd
from scipy.special import gammaln

from models.regression.declaration import RegressionFamily
from models.regression.separation import zero_counts


def _observe(eta, extra, y):
    import pymc as pm

    pm.Poisson("y", mu=pm.math.exp(eta), observed=y)


def _logpdf(y, eta, extra):
    return y * eta - np.exp(eta) - gammaln(y + 1.0)


def _demo_covariates(rng, n):
    return pd.DataFrame({"x1": rng.normal(0.0, 1.0, n), "x2": rng.uniform(0.0, 2.0, n)})


def count(y):
    """Non-negative integers."""
    return (y >= 0) & (y == np.floor(y))


FAMILY = RegressionFamily(
    name="poisson_regression",
    description="Poisson counts with log-mean Xβ",
    support="integer y >= 0",
    discrete=True,
    extra={},
    observe=_observe,
    logpdf=_logpdf,
    sample=lambda rng, eta, extra: rng.poisson(np.exp(eta)),
    in_support=count,
    demo_params={"beta": [0.5, 0.3, -0.2]},
    demo_covariates=_demo_covariates,
    boundary=zero_counts,
    response_mean=lambda eta, extra: np.exp(eta),
)
