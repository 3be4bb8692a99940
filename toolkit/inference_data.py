"""A :class:`~toolkit.compare.Comparison` as ``arviz.InferenceData``.

Groups: ``observed_data`` (the data), ``log_likelihood`` (pointwise, at the
MLE, as one chain of one draw), ``posterior`` (a Laplace approximation at the
MLE: draws from the normal with the inverse observed information as
covariance, in PyMC's unconstrained space, mapped back to the natural one;
or, with ``posterior="nuts"``, PyMC's NUTS draws from the model itself),
and ``comparison`` (estimates by engine and parameter, standard errors,
log-likelihood and KL by engine, certificates). The attributes carry the
verdict, so a saved file is enough to render the report again.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from toolkit.posterior_sampling import check_posterior, nuts_posterior

#: Draws of the Laplace approximation kept in the posterior group.
LAPLACE_DRAWS = 1000


def comparison_to_inference_data(cmp, *, seed: int = 0, posterior: str = "laplace"):
    """Groups described in the module docstring; ``posterior``: "laplace" or "nuts"."""
    import arviz as az

    check_posterior(posterior)
    problem = cmp.problem
    if not hasattr(problem, "family"):
        return az.InferenceData(**model_groups(cmp, seed=seed, posterior=posterior))
    params = problem.unflatten(cmp.fits["mle"].estimates)
    pointwise = problem.family.logpdf(problem.data, params, problem.options)
    obs = {"obs_dim_0": np.arange(problem.n)}
    dims = ("obs_dim_0", "x_dim_0")[: problem.data.ndim]
    groups = {
        "observed_data": xr.Dataset({"x": (dims, problem.data)}, coords=obs),
        "log_likelihood": xr.Dataset(
            {"x": (("chain", "draw", "obs_dim_0"), pointwise[None, None, :])},
            coords={"chain": [0], "draw": [0], **obs},
        ),
        "comparison": comparison_dataset(cmp, posterior),
    }
    if posterior == "nuts":
        from toolkit.engines.pymc_model import compiled_model

        groups["posterior"] = nuts_posterior(compiled_model(problem).model, seed=seed)
    elif (draws := laplace_posterior(cmp, seed=seed)) is not None:
        groups["posterior"] = draws
    return az.InferenceData(**groups)


def comparison_dataset(cmp, posterior: str = "laplace") -> xr.Dataset:
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
        "options": json.dumps(getattr(cmp.problem, "options", {})),
        "posterior": posterior,
        "kind": problem_kind(cmp.problem),
    }
    if attrs["kind"] != "family":
        attrs.update(_model_attrs(cmp))
        predictor = cmp.problem.predictor
        if predictor is not None:
            theta = cmp.estimates["mle"].to_numpy(float)
            data["eta_mle"] = ("obs_dim_0", np.asarray(predictor(theta), dtype=float))
    coords = {"parameter": list(cmp.estimates.index), "engine": engines}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def problem_kind(problem) -> str:
    """The kind of problem: "family" (univariate catalog), "regression" or "model"."""
    if hasattr(problem, "family"):
        return "family"
    return "model" if problem.regression is None else "regression"


def _model_attrs(cmp) -> dict:
    """What a report needs of a ``ModelProblem`` comparison beyond the tables (JSON strings).

    ``k_free``: free parameters (unconstrained coordinates); ``not_judged``: engines
    reported but left out of the verdict (with priors, ``find_map`` and ``map`` use
    them; see :func:`toolkit.model_compare.compare_model_problem`); ``multistart``:
    starts and distinct optima by engine; ``regression``: the family, response and
    design columns of a regression family.
    """
    problem = cmp.problem
    not_judged = [e for e in ("find_map", "map") if e in cmp.fits and problem.has_priors]
    multistart = {
        engine: {
            "starts": int(fit.details["starts"]),
            "n_optima": int(fit.details["n_optima"]),
            "optima": [{k: float(v) for k, v in o.items()} for o in fit.details["optima"]],
        }
        for engine, fit in cmp.fits.items()
        if "starts" in fit.details
    }
    attrs = {
        "k_free": len(cmp.fits["mle"].details["z"]),
        "discrete": int(problem.discrete),
        "has_priors": int(problem.has_priors),
        "not_judged": json.dumps(not_judged),
        "multistart": json.dumps(multistart),
    }
    rd = problem.regression
    if rd is not None:
        attrs["regression"] = json.dumps(
            {
                "family": problem_family(cmp),
                "response": rd.response,
                "columns": list(rd.columns),
                "intercept": bool(rd.intercept),
                "mean_parameters": len(cmp.estimates.index) - len(_extra(problem_family(cmp))),
            }
        )
    return attrs


def _extra(family_name: str) -> tuple[str, ...]:
    from models import get_family

    return tuple(get_family(family_name).extra)


def problem_family(cmp) -> str:
    """The catalog family's name; for a user's model, its label."""
    family = getattr(cmp.problem, "family", None)
    if family is not None:
        return family.name
    regression = getattr(cmp.problem, "regression", None)
    return cmp.label.split(":")[0] if regression is not None else cmp.label


def model_groups(cmp, *, seed: int = 0, posterior: str = "laplace") -> dict[str, xr.Dataset]:
    """Groups for a ``pm.Model`` or regression comparison (a ``ModelProblem``).

    ``observed_data`` holds each observed variable and each covariate by its
    PyMC name (the design ``X`` with a ``column`` coordinate for regression
    families); ``log_likelihood`` the row log-densities at the MLE (the KL
    engine's density: the family's independent one, or PyMC's); ``posterior``
    a Laplace approximation in PyMC's unconstrained space mapped back.
    """
    problem = cmp.problem
    obs = {"obs_dim_0": np.arange(problem.n)}
    observed = {}
    for rv in problem.model.observed_RVs:
        from toolkit.engines.model_problem import _value

        y = np.asarray(_value(problem.model.rvs_to_values[rv]))
        y2 = y.reshape(len(y), -1) if y.ndim else y.reshape(1, 1)
        observed[rv.name] = (("obs_dim_0",), y2[:, 0]) if y2.shape[1] == 1 else (
            ("obs_dim_0", f"{rv.name}_dim_1"), y2)  # fmt: skip
    columns = {}
    for name, x in problem.covariates.items():
        x2 = x.reshape(len(x), -1)
        dim = f"{name}_dim_1"
        if problem.regression is not None and x2.shape[1] == len(problem.regression.columns):
            dim, columns[dim] = "column", list(problem.regression.columns)
        observed[name] = (("obs_dim_0", dim), x2) if x.ndim > 1 else (("obs_dim_0",), x)
    z = cmp.fits["mle"].details["z"]
    with np.errstate(all="ignore"):
        rows = np.asarray(problem.row_logp(z), dtype=float)
    groups = {
        "observed_data": xr.Dataset(observed, coords={**obs, **columns}),
        "log_likelihood": xr.Dataset(
            {"rows": (("chain", "draw", "obs_dim_0"), rows[None, None, :])},
            coords={"chain": [0], "draw": [0], "obs_dim_0": np.arange(len(rows))},
        ),
        "comparison": comparison_dataset(cmp, posterior),
    }
    if posterior == "nuts":
        groups["posterior"] = nuts_posterior(problem.model, seed=seed)
    elif (draws := _model_laplace(cmp, z, seed)) is not None:
        groups["posterior"] = draws
    return groups


def _model_laplace(cmp, z, seed: int, draws: int = LAPLACE_DRAWS) -> xr.Dataset | None:
    information = cmp.fits["mle"].details.get("information")
    try:
        chol = np.linalg.cholesky(np.linalg.inv(information))
    except (np.linalg.LinAlgError, ValueError):
        return None
    rng = np.random.default_rng(seed)
    samples = z + rng.standard_normal((draws, len(z))) @ chol.T
    compiled = cmp.problem.compiled
    natural = np.array([compiled.natural(s) for s in samples])
    data = {}
    for rv in cmp.problem.model.free_RVs:
        idx = compiled.coordinates[rv.name]
        block = natural[:, idx]
        if len(idx) == 1 and cmp.problem.names.count(rv.name):
            data[rv.name] = (("chain", "draw"), block[None, :, 0])
        else:
            data[rv.name] = (("chain", "draw", f"{rv.name}_dim_0"), block[None])
    return xr.Dataset(data, coords={"chain": [0], "draw": np.arange(draws)})


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
    kind = str(attrs.get("kind", "family"))
    if kind == "regression":
        return _regression_posterior_log_likelihood(idata, max_draws)
    if kind != "family":
        return None  # a user's model: its log-density is PyMC code, not in the results
    family = get_family(str(attrs["family"]))
    x = np.asarray(idata.observed_data["x"].values, dtype=float)
    options = family.resolve_options(x, json.loads(attrs["options"]))
    posterior = idata.posterior
    n_draws = posterior.sizes["draw"]
    keep = np.unique(np.linspace(0, n_draws - 1, min(max_draws, n_draws)).astype(int))
    atoms, inverse = np.unique(x, axis=0 if x.ndim == 2 else None, return_inverse=True)
    inverse = inverse.ravel()
    rows = []
    for d in keep:
        params = {name: _draw_value(posterior[name].values[0, d]) for name in family.params}
        with np.errstate(all="ignore"):
            rows.append(family.logpdf(atoms, params, options)[inverse])
    values = np.asarray(rows)[None, :, :]
    coords = {"chain": [0], "draw": np.arange(len(keep)), "obs_dim_0": np.arange(len(x))}
    return xr.Dataset({"x": (("chain", "draw", "obs_dim_0"), values)}, coords=coords)


def _draw_value(value) -> float | np.ndarray:
    """One draw of a variable: a float for scalars, an array for vectors."""
    value = np.asarray(value, dtype=float)
    return value if value.ndim else float(value)


def _regression_posterior_log_likelihood(idata, max_draws: int) -> xr.Dataset | None:
    """Row log-densities of a regression family at posterior draws: X β and the extras.

    None for a mean-function family (its mean is Python code, not in the results).
    """
    from models import get_family

    spec = json.loads(idata.comparison.attrs["regression"])
    family = get_family(spec["family"])
    if family.mean_function:
        return None
    x = np.asarray(idata.observed_data["X"].values, dtype=float)
    y = np.asarray(idata.observed_data["y"].values, dtype=float)
    posterior = idata.posterior
    n_draws = posterior.sizes["draw"]
    keep = np.unique(np.linspace(0, n_draws - 1, min(max_draws, n_draws)).astype(int))
    beta = np.asarray(posterior["beta"].values[0], dtype=float)[keep]
    extras = {p: np.asarray(posterior[p].values[0], dtype=float)[keep] for p in family.extra}
    rows = []
    for i in range(len(keep)):
        with np.errstate(all="ignore"):
            rows.append(family.logpdf(y, x @ beta[i], {p: float(v[i]) for p, v in extras.items()}))
    values = np.asarray(rows)[None, :, :]
    coords = {"chain": [0], "draw": np.arange(len(keep)), "obs_dim_0": np.arange(len(y))}
    return xr.Dataset({"x": (("chain", "draw", "obs_dim_0"), values)}, coords=coords)
