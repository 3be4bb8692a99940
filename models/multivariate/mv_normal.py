"""MvNormal(mu, chol): d-dimensional normal, covariance Σ = L Lᵀ by its Cholesky factor.

``chol`` is the lower-triangular factor L with a positive diagonal, reported as its
packed lower triangle in row-major order: chol[0] = L₀₀, chol[1] = L₁₀, chol[2] = L₁₁,
chol[3] = L₂₀, ... (numpy's ``tril_indices``). With a positive diagonal the factor of a
covariance is unique, so the parameters are identified. The data are an N × d array.
"""

import numpy as np

from models.family import Family, Option, Statistics, pack_lower, unpack_lower
from models.univariate import starts, support


def _covariance(params):
    chol = unpack_lower(params["chol"])
    return chol @ chol.T


def _logpdf(x, params, options):
    from scipy import stats

    x = np.asarray(x, dtype=float).reshape(-1, options["d"])
    try:
        dist = stats.multivariate_normal(mean=np.asarray(params["mu"]), cov=_covariance(params))
    except (ValueError, np.linalg.LinAlgError):  # a singular or non-finite Σ: no density
        return np.full(len(x), -np.inf)
    return np.atleast_1d(dist.logpdf(x))


def _simulate(rng, n, params, options):
    mu = np.asarray(params["mu"], dtype=float)
    chol = unpack_lower(params["chol"])
    return mu + rng.standard_normal((n, mu.size)) @ chol.T


def _sample_covariance(x):
    """The MLE of Σ: (1/N) Σ (x − x̄)(x − x̄)ᵀ (ddof 0)."""
    centred = x - x.mean(axis=0)
    return centred.T @ centred / len(x)


def _closed_form(x, options):
    return {
        "mu": x.mean(axis=0),
        "chol": pack_lower(np.linalg.cholesky(_sample_covariance(x))),
    }


def _start(x, options):
    """Column medians and a diagonal factor of robust scales: rough, and in the data's units
    (a start at PyMC's 0 and identity is 1e5 standard deviations off for data near 1e-5)."""
    scales = [starts.robust_scale(column) for column in np.asarray(x, dtype=float).T]
    return {"mu": np.median(x, axis=0), "chol": pack_lower(np.diag(scales))}


def _boundary(x, options):
    n, d = x.shape
    if n <= d:
        return (
            f"{n} observation(s) in {d} dimensions: the sample covariance is singular, so "
            f"the MLE of Σ has a zero eigenvalue, on the boundary"
        )
    values = np.linalg.eigvalsh(_sample_covariance(x))
    if values[0] <= 1e-12 * max(values[-1], np.finfo(float).tiny):
        return (
            "the columns are collinear (the sample covariance is singular), so the MLE of Σ "
            "has a zero eigenvalue, on the boundary"
        )
    return None


def _stats(values, weights, options):
    """The weighted mean vector and covariance about it (centred)."""
    mean = weights @ values
    centred = values - mean
    return mean, (centred * weights[:, None]).T @ centred


def _mean_logpdf(stats, params, options):
    from scipy.linalg import solve_triangular

    mean, spread = stats
    chol = unpack_lower(params["chol"])
    diagonal = np.diag(chol)
    delta = mean - np.asarray(params["mu"], dtype=float)
    if not (np.all(diagonal > 0) and np.all(np.isfinite(chol)) and np.all(np.isfinite(delta))):
        return -np.inf
    scatter = spread + np.outer(delta, delta)  # Σ w (x − mu)(x − mu)ᵀ
    with np.errstate(all="ignore"):
        half = solve_triangular(chol, scatter, lower=True, check_finite=False)
        trace = np.trace(solve_triangular(chol, half.T, lower=True, check_finite=False))
    d = len(mean)
    value = -0.5 * (d * np.log(2 * np.pi) + trace) - np.sum(np.log(diagonal))
    return value if np.isfinite(value) else -np.inf  # a trial step that overflowed


FAMILY = Family(
    name="mv_normal",
    description="d-dimensional normal: mean mu, covariance chol cholᵀ (packed Cholesky factor)",
    domains={"mu": "real", "chol": "cholesky"},
    support="real rows x ∈ ℝᵈ",
    discrete=False,
    pymc_dist="MvNormal",
    in_support=support.real,
    demo_params={"mu": (1.0, -0.5, 2.0), "chol": (1.5, 0.6, 0.8, -0.4, 0.3, 0.5)},
    logpdf_override=_logpdf,
    simulate_override=_simulate,
    closed_form=_closed_form,
    boundary=_boundary,
    start=_start,
    shapes=lambda o: {"mu": (o["d"],), "chol": (o["d"] * (o["d"] + 1) // 2,)},
    options=(
        Option(
            "d",
            "number of columns (default: the data's)",
            to_pymc=False,
            default=lambda x: np.shape(x)[1],
        ),
    ),
    demo_options={"d": 3},
    data_ndim=2,
    statistics=Statistics(_stats, _mean_logpdf),
)
