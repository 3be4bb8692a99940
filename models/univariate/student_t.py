"""StudentT(nu, mu, sigma): location-scale Student's t with nu degrees of freedom."""

import numpy as np

from models.family import Family
from models.univariate import starts, support

#: Degrees of freedom at which the profile likelihood is compared with the normal limit.
_NU_GRID = tuple(2.0**k for k in range(-2, 13))


def _scipy_fit(x, options):
    from scipy import stats

    df, loc, scale = stats.t.fit(x)
    return {"nu": float(df), "mu": float(loc), "sigma": float(scale)}


def _profile_loglik(x, nu, iterations=1000):
    """Log-likelihood maximised over mu and sigma at fixed nu (EM, which never decreases it)."""
    from scipy import stats

    mu, var = np.median(x), np.var(x)
    for _ in range(iterations):
        w = (nu + 1) / (nu + (x - mu) ** 2 / var)
        new_mu = np.sum(w * x) / np.sum(w)
        new_var = np.mean(w * (x - new_mu) ** 2)
        done = abs(new_mu - mu) <= 1e-12 * np.sqrt(var) and abs(new_var - var) <= 1e-12 * var
        mu, var = new_mu, new_var
        if done:
            break
    return float(np.sum(stats.t.logpdf(x, nu, mu, np.sqrt(var))))


def _normal_limit(x):
    """True when the likelihood is highest as nu → ∞ (with the normal's MLE of mu, sigma).

    The derivative of the profile log-likelihood in 1/nu at 1/nu = 0 is N (k - 3) / 4,
    with k the sample kurtosis: for k > 3 some finite nu does better than the normal.
    For k ≤ 3 a finite nu could still win far from the limit, so check on a grid. The grid
    skips nu ≤ m / (N - m), m the largest number of tied values: there the likelihood is
    unbounded (sigma → 0 at the tied value), a degenerate spike that is not a fit.
    """
    from scipy import stats

    z = (x - np.mean(x)) / np.std(x)
    if np.mean(z**4) > 3:
        return False
    ties = np.max(np.unique(x, return_counts=True)[1])
    grid = [nu for nu in _NU_GRID if nu * (len(x) - ties) > ties]
    normal = float(np.sum(stats.norm.logpdf(x, np.mean(x), np.std(x))))
    return all(_profile_loglik(x, nu) <= normal for nu in grid)


def _boundary(x, options):
    if support.all_equal(x):
        return "all values are equal, so the MLE of sigma is 0, on the boundary"
    if _normal_limit(x):
        return (
            "the data have no heavier tails than a normal (sample kurtosis ≤ 3), so the "
            "likelihood keeps rising as nu grows: the MLE of nu is infinite (the normal limit)"
        )
    return None


#: Upper quartile of Student's t with 5 degrees of freedom: the start's nu.
_T5_QUARTILE = 0.7266868438004229


def _start(x, options):
    mu, scale = starts.location_scale(x)
    return {"nu": 5.0, "mu": mu, "sigma": scale * starts.NORMAL_IQR / (2 * _T5_QUARTILE)}


FAMILY = Family(
    name="student_t",
    description="Student's t with nu degrees of freedom, location mu and scale sigma",
    domains={"nu": "positive", "mu": "real", "sigma": "positive"},
    support="real x",
    discrete=False,
    pymc_dist="StudentT",
    in_support=support.real,
    demo_params={"nu": 5.0, "mu": 1.0, "sigma": 2.0},
    scipy_dist="t",
    to_scipy=lambda p, o: {"df": p["nu"], "loc": p["mu"], "scale": p["sigma"]},
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    start=_start,
)
