"""A :class:`~toolkit.compare.Comparison` as ``arviz.InferenceData``.

Groups: ``observed_data`` (the data), ``log_likelihood`` (pointwise, at the
MLE, as one chain of one draw), ``posterior`` (a Laplace approximation at the
MLE: draws from the normal with the inverse observed information as
covariance, in PyMC's unconstrained space, mapped back to the natural one),
and ``comparison`` (estimates by engine and parameter, standard errors,
log-likelihood and KL by engine, certificates). The attributes carry the
verdict, so a saved file is enough to render the report again.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

#: Draws of the Laplace approximation kept in the posterior group.
LAPLACE_DRAWS = 1000


def comparison_to_inference_data(cmp, *, seed: int = 0):
    import arviz as az

    problem = cmp.problem
    params = problem.unflatten(cmp.fits["mle"].estimates)
    pointwise = problem.family.logpdf(problem.data, params, problem.options)
    obs = {"obs_dim_0": np.arange(problem.n)}
    groups = {
        "observed_data": xr.Dataset({"x": ("obs_dim_0", problem.data)}, coords=obs),
        "log_likelihood": xr.Dataset(
            {"x": (("chain", "draw", "obs_dim_0"), pointwise[None, None, :])},
            coords={"chain": [0], "draw": [0], **obs},
        ),
        "comparison": comparison_dataset(cmp),
    }
    posterior = laplace_posterior(cmp, seed=seed)
    if posterior is not None:
        groups["posterior"] = posterior
    return az.InferenceData(**groups)


def comparison_dataset(cmp) -> xr.Dataset:
    """Tables of the comparison as one dataset, with the verdict in its attributes."""
    certificates = cmp.certificates()
    engines = list(cmp.estimates.columns)
    data = {
        "estimate": (("parameter", "engine"), cmp.estimates.to_numpy(float)),
        "se": ("parameter", cmp.se.to_numpy(float)),
        "loglik": ("engine", cmp.loglik[engines].to_numpy(float)),
        "kl": ("engine", cmp.kl[engines].to_numpy(float)),
    }
    for column in certificates.columns:
        values = certificates.loc[engines, column]
        if column in ("status", "density"):
            data[f"cert_{column}"] = ("engine", values.astype(str).to_numpy())
        else:
            data[f"cert_{column}"] = ("engine", values.astype(float).to_numpy())
    attrs = {
        "label": cmp.label,
        "family": problem_family(cmp),
        "n": cmp.n,
        "agree": int(cmp.agree),
        "verdict": cmp.verdict,
        "reasons": json.dumps(list(cmp.reasons)),
        "tolerance": cmp.tolerance,
        "kl_note": cmp.kl_note,
        "options": json.dumps(cmp.problem.options),
    }
    coords = {"parameter": list(cmp.estimates.index), "engine": engines}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def problem_family(cmp) -> str:
    return cmp.problem.family.name


def laplace_posterior(cmp, *, seed: int = 0, draws: int = LAPLACE_DRAWS) -> xr.Dataset | None:
    """Normal approximation at the MLE, mapped to natural space; None if not defined."""
    from toolkit.engines.pymc_model import compiled_model

    z, information = cmp.fits["mle"].details.get("z"), cmp.fits["mle"].details.get("information")
    if z is None or information is None:
        return None
    try:
        chol = np.linalg.cholesky(np.linalg.inv(information))
    except np.linalg.LinAlgError:
        return None
    rng = np.random.default_rng(seed)
    samples = z + rng.standard_normal((draws, len(z))) @ chol.T
    compiled = compiled_model(cmp.problem)
    natural = np.array([compiled.natural(s) for s in samples])
    data, offset = {}, 0
    for name, shape in cmp.problem.shapes.items():
        size = int(np.prod(shape)) if shape else 1
        block = natural[:, offset : offset + size].reshape((1, draws, *shape))
        dims = ("chain", "draw", *(f"{name}_dim_{i}" for i in range(len(shape))))
        data[name] = (dims, block)
        offset += size
    return xr.Dataset(data, coords={"chain": [0], "draw": np.arange(draws)})


def posterior_log_likelihood(idata, *, max_draws: int = 500) -> xr.Dataset | None:
    """Pointwise log-likelihood at draws of the Laplace posterior, for ``az.loo``/``az.compare``.

    The saved ``log_likelihood`` group holds the MLE only (one draw); this
    evaluates the family's independent log-density at up to ``max_draws`` draws
    of the ``posterior`` group, on the distinct data values, then expands to
    every observation.

    Parameters
    ----------
    idata : arviz.InferenceData
        From :func:`comparison_to_inference_data` (needs ``posterior``,
        ``observed_data`` and the ``comparison`` group's attributes).
    max_draws : int
        Evenly thinned to at most this many draws.

    Returns
    -------
    xarray.Dataset or None
        Variable ``x`` with dims ``(chain, draw, obs_dim_0)``; None without a posterior.
    """
    from models import get_family

    if "posterior" not in idata.groups():
        return None
    attrs = idata.comparison.attrs
    family = get_family(str(attrs["family"]))
    x = np.asarray(idata.observed_data["x"].values, dtype=float)
    options = family.resolve_options(x, json.loads(attrs["options"]))
    posterior = idata.posterior
    n_draws = posterior.sizes["draw"]
    keep = np.unique(np.linspace(0, n_draws - 1, min(max_draws, n_draws)).astype(int))
    atoms, inverse = np.unique(x, return_inverse=True)
    rows = []
    for d in keep:
        params = {name: _draw_value(posterior[name].values[0, d]) for name in family.params}
        with np.errstate(all="ignore"):
            rows.append(family.logpdf(atoms, params, options)[inverse])
    values = np.asarray(rows)[None, :, :]
    coords = {"chain": [0], "draw": np.arange(len(keep)), "obs_dim_0": np.arange(x.size)}
    return xr.Dataset({"x": (("chain", "draw", "obs_dim_0"), values)}, coords=coords)


def _draw_value(value) -> float | np.ndarray:
    """One draw of a variable: a float for scalars, an array for vectors."""
    value = np.asarray(value, dtype=float)
    return value if value.ndim else float(value)
