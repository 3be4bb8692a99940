"""A posterior by NUTS, for the InferenceData's posterior group (``--posterior nuts``).

The default posterior is the Laplace approximation at the MLE
(:mod:`toolkit.inference_data`); NUTS samples the model itself instead: the
flat-prior model of a catalog family (so the posterior is the normalised
likelihood), or a user's model with its own priors.
"""

from __future__ import annotations

import xarray as xr

from toolkit.quiet import quiet

#: Posterior kinds the InferenceData can carry.
POSTERIORS = ("laplace", "nuts")


def check_posterior(kind: str) -> str:
    """``kind`` if it is one of :data:`POSTERIORS`, else a ValueError naming them."""
    if kind not in POSTERIORS:
        raise ValueError(f"posterior must be one of {POSTERIORS}, got {kind!r}")
    return kind


def nuts_posterior(
    model, *, seed: int = 0, draws: int = 1000, tune: int = 1000, chains: int = 2
) -> xr.Dataset:
    """Posterior draws of the model's free variables (natural space) by PyMC's NUTS."""
    import pymc as pm

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
    names = [rv.name for rv in model.free_RVs]
    return idata.posterior[names]
