"""NormalMixture(w, mu, sigma): K Gaussian components with weights w, ordered means mu.

The likelihood of a mixture is multimodal: relabelling the components gives the same
likelihood (label switching), which the ordered means remove, and local maxima remain.
Both optimisers therefore start from a data-driven point (quantiles of the data), and the
tests check the optimum against multi-start EM. The likelihood is unbounded as a
component collapses onto one value (sigma → 0): the MLE is the interior local maximum,
and a fit that drifts to a collapse is reported as on the boundary.
"""

import numpy as np

from models.family import Family, Option
from models.univariate import support


def _logpdf(x, params, options):
    from scipy import stats
    from scipy.special import logsumexp

    w = np.asarray(params["w"], dtype=float)
    mu = np.asarray(params["mu"], dtype=float)
    sigma = np.asarray(params["sigma"], dtype=float)
    x = np.asarray(x, dtype=float)[..., np.newaxis]
    with np.errstate(divide="ignore"):
        terms = np.log(w) + stats.norm.logpdf(x, loc=mu, scale=sigma)
    return logsumexp(terms, axis=-1)


def _simulate(rng, n, params, options):
    component = rng.choice(len(params["w"]), size=n, p=params["w"])
    mu = np.asarray(params["mu"], dtype=float)[component]
    return rng.normal(mu, np.asarray(params["sigma"], dtype=float)[component])


def _start(x, options):
    """Equal weights, means at the K quantiles (k + ½)/K, common sigma sd(x)/K."""
    k = options["k"]
    spread = float(np.std(x))
    mu = np.quantile(x, (np.arange(k) + 0.5) / k)
    for i in range(1, k):  # strictly increasing even when quantiles tie
        mu[i] = max(mu[i], mu[i - 1] + 1e-3 * spread)
    return {"w": np.full(k, 1.0 / k), "mu": mu, "sigma": np.full(k, spread / k)}


def _boundary(x, options):
    k = options["k"]
    free = 3 * k - 1
    distinct = np.unique(x).size
    if distinct < free:
        return (
            f"only {distinct} distinct value(s) for {free} free parameters: components can "
            f"sit on single values with sigma → 0, where the likelihood is unbounded"
        )
    return None


#: A component narrower than this fraction of the data's spread has collapsed onto a value:
#: far below any measurement resolution of real data, yet still 1e10 × double precision.
COLLAPSE = 1e-6


def _degenerate_fit(x, params, options):
    sigma = np.asarray(params["sigma"], dtype=float)
    collapsed = np.flatnonzero(sigma < COLLAPSE * np.std(x))
    if collapsed.size:
        j = int(collapsed[0])
        return (
            f"component {j} collapsed onto a value (sigma[{j}] = {sigma[j]:.3g}, below "
            f"{COLLAPSE:g} of the data's spread), where the likelihood is unbounded"
        )
    return None


FAMILY = Family(
    name="gaussian_mixture",
    description="mixture of k normals: weights w, ordered means mu, standard deviations sigma",
    domains={"w": "simplex", "mu": "ordered", "sigma": "positive"},
    support="real x",
    discrete=False,
    pymc_dist="NormalMixture",
    in_support=support.real,
    demo_params={"w": (0.3, 0.7), "mu": (-2.0, 3.0), "sigma": (1.0, 1.5)},
    logpdf_override=_logpdf,
    simulate_override=_simulate,
    boundary=_boundary,
    shapes=lambda o: {"w": (o["k"],), "mu": (o["k"],), "sigma": (o["k"],)},
    options=(Option("k", "number of components (default: 2)", to_pymc=False, default=lambda x: 2),),
    demo_options={"k": 2},
    start=_start,
    degenerate_fit=_degenerate_fit,
)
