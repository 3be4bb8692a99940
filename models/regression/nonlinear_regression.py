"""Nonlinear regression: y = f(x, theta) + ε, ε ~ Normal(0, sigma), f given by the user.

The mean function is one Python callable ``f(x, theta, math)`` that runs both
in PyTensor and in numpy: ``math`` is ``pymc.math`` when the PyMC model is
built and ``numpy`` for the independent density. ``x`` is the covariate
column (1-D) when there is one, else the (N, k) covariate matrix; ``theta``
is indexable by position. Options: ``mean`` (the callable), ``params`` (names
of theta, in order) and ``start`` (their starting values). No intercept is
added: write it into ``f``.
"""

import numpy as np
import pandas as pd

from models.regression.declaration import RegressionFamily
from models.regression.linear_regression import _logpdf, _observe


def exponential_rise(x, theta, math):
    """The demo mean, NIST's Misra1a form: theta[0] · (1 − exp(−theta[1] · x))."""
    return theta[0] * (1 - math.exp(-theta[1] * x))


FAMILY = RegressionFamily(
    name="nonlinear_regression",
    description="Gaussian response with a user's mean f(x, theta, math) and sd sigma",
    support="real y",
    discrete=False,
    extra={"sigma": "positive"},
    observe=_observe,
    logpdf=_logpdf,
    sample=lambda rng, eta, extra: rng.normal(eta, extra["sigma"]),
    in_support=lambda y: np.isfinite(y),
    demo_params={"b1": 5.0, "b2": 0.4, "sigma": 0.3},
    demo_covariates=lambda rng, n: pd.DataFrame({"x": rng.uniform(0.0, 10.0, n)}),
    mean_function=True,
    response_mean=lambda eta, extra: eta,
    demo_options={"mean": exponential_rise, "params": ("b1", "b2"), "start": (1.0, 0.1)},
)
