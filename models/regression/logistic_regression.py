"""Logistic regression: y ~ Bernoulli(p), logit p = Xβ, beta[0] the intercept."""

import numpy as np
import pandas as pd

from models.regression.declaration import RegressionFamily
from models.regression.separation import separation


def _observe(eta, extra, y):
    import pymc as pm

    pm.Bernoulli("y", logit_p=eta, observed=y)


def _logpdf(y, eta, extra):
    return y * eta - np.logaddexp(0.0, eta)


def _sample(rng, eta, extra):
    return (rng.uniform(size=eta.shape) < 1.0 / (1.0 + np.exp(-eta))).astype(int)


def _demo_covariates(rng, n):
    return pd.DataFrame({"x1": rng.normal(0.0, 1.0, n), "x2": rng.uniform(0.0, 2.0, n)})


FAMILY = RegressionFamily(
    name="logistic_regression",
    description="Bernoulli response with log-odds Xβ",
    support="y in {0, 1}",
    discrete=True,
    extra={},
    observe=_observe,
    logpdf=_logpdf,
    sample=_sample,
    in_support=lambda y: (y == 0) | (y == 1),
    demo_params={"beta": [-0.5, 1.0, -0.8]},
    demo_covariates=_demo_covariates,
    boundary=separation,
    response_mean=lambda eta, extra: 1.0 / (1.0 + np.exp(-eta)),
)
