"""Posterior draws for a comparison's InferenceData: the Laplace approximation, or NUTS.

The Laplace approximation is the normal at the MLE with the inverse observed
information as covariance, drawn in PyMC's unconstrained space and mapped back
to the natural one. NUTS samples the model itself: the flat-prior model of a
catalog family (so the posterior is the normalised likelihood), or a user's
model with its own priors.
"""

from __future__ import annotations

import numpy as np

from toolkit.config import settings
from toolkit.engines.fit import Fit
from toolkit.problem import Problem
from toolkit.problem.names import variable_of
from toolkit.quiet import quiet

#: Posterior kinds an InferenceData can carry.
POSTERIORS = ("laplace", "nuts")


def check_posterior(kind: str) -> str:
    """``kind`` if it is one of :data:`POSTERIORS`, else a ValueError naming them."""
    if kind not in POSTERIORS:
        raise ValueError(f"posterior must be one of {POSTERIORS}, got {kind!r}")
    return kind


def laplace_draws(problem: Problem, mle: Fit, seed: int = 0) -> dict[str, np.ndarray] | None:
    """Natural-space draws by variable, shape (1, draws, *shape); None where undefined.

    Undefined when the observed information is not positive definite, or when a
    parameter is non-smooth (its information is zero: there is no normal to draw).
    """
    if problem.nonsmooth:
        return None
    z, information = mle.details["z"], mle.details["information"]
    try:
        chol = np.linalg.cholesky(np.linalg.inv(information))
    except (np.linalg.LinAlgError, ValueError):
        return None
    draws = settings["laplace_draws"]
    rng = np.random.default_rng(seed)
    samples = z + rng.standard_normal((draws, z.size)) @ chol.T
    compiled = problem.pymc
    natural = compiled.natural_many(samples)
    out, offset = {}, 0
    for name, shape in problem.shapes.items():
        size = int(np.prod(shape)) if shape else 1
        out[name] = natural[:, offset : offset + size].reshape((1, draws, *shape))
        offset += size
    return out


def nuts_draws(
    problem: Problem, *, seed: int = 0, draws: int = 1000, tune: int = 1000, chains: int = 2
) -> dict[str, np.ndarray]:
    """Draws by variable, shape (chains, draws, *shape), from PyMC's NUTS on the model."""
    import pymc as pm

    model = problem.pymc.model
    with quiet():
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            model=model,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    return {name: np.asarray(idata.posterior[name].values) for name in problem.shapes}


def nonsmooth_reason(problem: Problem) -> str:
    """Why a problem with non-smooth parameters has no Laplace approximation, in words."""
    names = ", ".join(sorted({variable_of(p) for p in problem.nonsmooth}))
    return (
        f"the log-density is not differentiable in {names} at the data, so the observed "
        "information there is zero and there is no normal approximation to draw"
    )
