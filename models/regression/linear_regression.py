"""Linear regression: y = Xβ + ε, ε ~ Normal(0, sigma), beta[0] the intercept."""

import numpy as np
import pandas as pd
from scipy.linalg import qr, solve_triangular

from models.regression.declaration import RegressionFamily

LOG_2PI = float(np.log(2 * np.pi))


def _observe(eta, extra, y):
    import pymc as pm

    pm.Normal("y", mu=eta, sigma=extra["sigma"], observed=y)


def _logpdf(y, eta, extra):
    sigma = extra["sigma"]
    return -0.5 * LOG_2PI - np.log(sigma) - 0.5 * ((y - eta) / sigma) ** 2


def _closed_form(x, y):
    """Least squares by Householder QR (never the normal equations); sigma² = RSS/N."""
    q, r = qr(x, mode="economic")
    beta = solve_triangular(r, q.T @ y)
    residual = y - x @ beta
    return {"beta": beta, "sigma": float(np.sqrt(residual @ residual / len(y)))}


def _demo_covariates(rng, n):
    return pd.DataFrame({"x1": rng.normal(0.0, 1.0, n), "x2": rng.uniform(0.0, 2.0, n)})


def _boundary(x, y, columns):
    beta = _closed_form(x, y)["beta"]
    residual = y - x @ beta
    # Relative to the terms the residuals are computed from, never to 1: y near 1e-13 with
    # noise is not an exact fit.
    scale = np.max(np.abs(y) + np.abs(x) @ np.abs(beta))
    if np.all(np.abs(residual) <= 1e-12 * scale):
        return "the covariates fit y exactly, so the MLE of sigma is 0, on the boundary"
    return None


FAMILY = RegressionFamily(
    name="linear_regression",
    description="Gaussian response with mean Xβ and standard deviation sigma",
    support="real y",
    discrete=False,
    extra={"sigma": "positive"},
    observe=_observe,
    logpdf=_logpdf,
    sample=lambda rng, eta, extra: rng.normal(eta, extra["sigma"]),
    in_support=lambda y: np.isfinite(y),
    demo_params={"beta": [1.0, 2.0, -0.5], "sigma": 1.5},
    demo_covariates=_demo_covariates,
    closed_form=_closed_form,
    boundary=_boundary,
    response_mean=lambda eta, extra: eta,
)
