"""A comparison as ``arviz.InferenceData``: everything its report needs, saved once.

Groups:

- ``observed_data``: the data by name (a catalog family's ``x``; a regression's
  ``y`` and design ``X`` with a ``column`` coordinate; a user's model's observed
  variables and covariates by their PyMC names);
- ``log_likelihood``: the log-likelihood of every row at the MLE (one draw), from
  the density the kl engine used;
- ``posterior``: a Laplace approximation at the MLE or PyMC's NUTS draws
  (:mod:`toolkit.engines.posterior`); NUTS also when a Laplace approximation was
  asked for but a parameter is non-smooth (its observed information is zero);
- ``comparison``: estimates by parameter and engine, standard errors, log-likelihood
  and KL by engine (with the KL's rounding level or standard error, ``kl_error``),
  certificates, and in its attributes the verdict, reasons and what the problem was
  (label, design, density, what the KL is, starts and optima);
- ``diagnostics``: the KL profiles, the fitted density on a grid, QQ/PP points,
  goodness of fit, a regression's fitted mean and the pointwise ELPD
  (:mod:`toolkit.report.diagnostics`).

This module reads the comparison's fields and never imports :mod:`toolkit.compare`.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from toolkit.engines.posterior import check_posterior, laplace_draws, nonsmooth_reason, nuts_draws
from toolkit.quiet import quiet
from toolkit.report import diagnostics
from toolkit.report.results import FORMAT_VERSION
from toolkit.threads import one_blas_thread


def comparison_to_inference_data(cmp, *, seed: int = 0, posterior: str = "laplace"):
    """The groups described in the module docstring; ``posterior``: "laplace" or "nuts".

    BLAS runs on one thread meanwhile (:mod:`toolkit.threads`): the matrices are of a
    few parameters, and the other core may be drawing the previous report section.
    """
    with one_blas_thread():
        return _comparison_to_inference_data(cmp, seed, posterior)


def _comparison_to_inference_data(cmp, seed: int, posterior: str):
    import arviz as az

    check_posterior(posterior)
    problem = cmp.problem
    mle = cmp.fits["mle"]
    note = ""
    if posterior == "nuts":
        draws = nuts_draws(problem, seed=seed)
    else:
        draws = laplace_draws(problem, mle, seed)
        if draws is None and problem.nonsmooth:
            note = (
                f"No Laplace approximation: {nonsmooth_reason(problem)} (its SE comes from the "
                "outer product of scores). The posterior shown is NUTS's instead."
            )
            posterior, draws = "nuts", nuts_draws(problem, seed=seed)
    comparison = comparison_dataset(cmp, posterior, draws)
    comparison.attrs["posterior_note"] = note
    groups = {
        "observed_data": observed_dataset(problem),
        "log_likelihood": _log_likelihood(problem, mle.theta),
        "comparison": comparison,
        "diagnostics": diagnostics_dataset(cmp, draws),
    }
    if draws is not None:
        groups["posterior"] = _posterior(problem, draws)
    with quiet():
        return az.InferenceData(**groups)


def observed_dataset(problem) -> xr.Dataset:
    """The observed data by name, rows along ``obs_dim_0``."""
    data, coords = {}, {}
    for name, values in problem.observed.items():
        values = np.asarray(values)
        if values.ndim == 1:
            data[name] = (("obs_dim_0",), values)
            continue
        dim = f"{name}_dim_1"
        design = problem.design
        if design is not None and name == "X":
            dim, coords["column"] = "column", list(design.columns)
        data[name] = (("obs_dim_0", dim), values.reshape(len(values), -1))
    n_rows = max(len(np.asarray(v)) for v in problem.observed.values())
    return xr.Dataset(data, coords={"obs_dim_0": np.arange(n_rows), **coords})


def _log_likelihood(problem, theta: np.ndarray) -> xr.Dataset:
    with np.errstate(all="ignore"):
        rows = np.asarray(problem.row_logq(theta), dtype=float)
    return xr.Dataset(
        {"rows": (("chain", "draw", "obs_dim_0"), rows[None, None, :])},
        coords={"chain": [0], "draw": [0], "obs_dim_0": np.arange(rows.size)},
    )


def _posterior(problem, draws: dict[str, np.ndarray]) -> xr.Dataset:
    data = {}
    for name, values in draws.items():
        dims = ("chain", "draw", *(f"{name}_dim_{i}" for i in range(values.ndim - 2)))
        data[name] = (dims, values)
    first = next(iter(draws.values()))
    coords = {"chain": np.arange(first.shape[0]), "draw": np.arange(first.shape[1])}
    return xr.Dataset(data, coords=coords)


def comparison_dataset(cmp, posterior: str = "laplace", draws=None) -> xr.Dataset:
    """Tables of the comparison as one dataset; the verdict and the problem in its attributes."""
    problem = cmp.problem
    certificates = cmp.certificates()
    engines = list(cmp.estimates.columns)
    data = {
        "estimate": (("parameter", "engine"), cmp.estimates.to_numpy(float)),
        "se": ("parameter", cmp.se.to_numpy(float)),
        "loglik": ("engine", cmp.loglik[engines].to_numpy(float)),
        "kl": ("engine", cmp.kl[engines].to_numpy(float)),
        "kl_error": ("engine", cmp.kl_error[engines].to_numpy(float)),
        "se_difference": ("engine", cmp.max_se_difference[engines].to_numpy(float)),
    }
    for column in certificates.columns:
        values = certificates.loc[engines, column]
        if column in ("status", "density", "optimiser"):
            data[f"cert_{column}"] = ("engine", values.astype(str).to_numpy())
        else:
            data[f"cert_{column}"] = ("engine", values.astype(float).to_numpy())
    declaration = getattr(problem.declaration, "name", None)
    attrs = {
        "klmle_format": FORMAT_VERSION,
        "label": cmp.label,
        "family": declaration or cmp.label,
        "n": cmp.n,
        "agree": int(cmp.agree),
        "verdict": cmp.verdict,
        "reasons": json.dumps(list(cmp.reasons)),
        "tolerance": cmp.tolerance,
        "kl_note": cmp.kl_note,
        "kl_kind": cmp.kl_kind,
        "density": problem.density,
        "independent": int(problem.independent),
        "discrete": int(problem.discrete),
        "options": json.dumps(_plain(problem.options)),
        "k_free": problem.k_free,
        "posterior": posterior,
        "no_posterior": "" if draws is not None else _no_posterior(cmp, posterior),
        "not_judged": json.dumps([e for e in engines if e not in cmp.judged]),
        "multistart": json.dumps(_multistart(cmp)),
        "optima": cmp.optima.to_json(orient="split"),
        "design": json.dumps(_design(problem)),
        "argmax_sets": json.dumps({k: list(v) for k, v in problem.argmax_sets.items()}),
    }
    coords = {"parameter": list(cmp.estimates.index), "engine": engines}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def diagnostics_dataset(cmp, draws) -> xr.Dataset:
    """Profiles, fitted density, QQ/PP points, goodness of fit, fitted mean, pointwise ELPD."""
    problem = cmp.problem
    theta = cmp.fits["mle"].theta
    data, attrs = {}, {}
    profile = diagnostics.profiles(problem, theta, cmp.se.to_numpy(float))
    for key, values in profile.items():
        data[f"profile_{key}"] = (("parameter", "profile_point"), values)
    grid = diagnostics.fit_grid(problem, theta)
    if grid is not None:
        data.update({f"grid_{k}": ("grid", v) for k, v in grid.items()})
    calibration = diagnostics.calibration(problem, theta)
    if calibration is not None:
        attrs["calibration"] = calibration[0]
        data.update(
            {f"calibration_{k}": ("calibration_point", v) for k, v in calibration[1].items()}
        )
    gof = diagnostics.goodness_of_fit(problem, theta)
    if gof is not None:
        data["gof_statistic"] = ("test", [row[1] for row in gof])
        data["gof_p_value"] = ("test", [row[2] for row in gof])
        data["gof_note"] = ("test", [row[3] for row in gof])
        attrs["gof_tests"] = json.dumps([row[0] for row in gof])
    if problem.fitted_mean is not None:
        data["fitted_mean"] = ("obs_dim_0", np.asarray(problem.fitted_mean(theta), dtype=float))
    loo = diagnostics.pointwise_elpd(problem, draws) if draws is not None else None
    if loo is not None:
        data["elpd_loo_i"] = ("obs_dim_0", loo.loo_i)
        data["pareto_k"] = ("obs_dim_0", loo.pareto_k)
        attrs["elpd"] = json.dumps(
            {
                "elpd_loo": float(loo.elpd_loo),
                "se": float(loo.se),
                "p_loo": float(loo.p_loo),
                "n_samples": int(loo.n_samples),
                "n_data_points": int(loo.n_data_points),
                "warning": bool(loo.warning),
                "scale": str(loo.scale),
                "good_k": float(loo.good_k),
            }
        )
    coords = {"parameter": list(cmp.estimates.index)}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _no_posterior(cmp, posterior: str) -> str:
    if cmp.problem.nonsmooth:
        return nonsmooth_reason(cmp.problem)
    return (
        "the observed information at the MLE is not positive definite, so there is no "
        "normal approximation to draw"
    )


def _multistart(cmp) -> dict:
    """Starts and distinct optima by engine, for engines that ran from several starts."""
    return {
        engine: {
            "starts": int(fit.details["starts"]),
            "n_optima": int(fit.details["n_optima"]),
            "optima": [{k: float(v) for k, v in o.items()} for o in fit.details["optima"]],
        }
        for engine, fit in cmp.fits.items()
        if fit.details.get("starts", 0) > 1
    }


def _design(problem) -> dict | None:
    design = problem.design
    if design is None:
        return None
    return {
        "family": design.family,
        "response": design.response,
        "columns": list(design.columns),
        "intercept": bool(design.intercept),
        "mean": getattr(design.mean, "__name__", None),
    }


def _plain(options: dict) -> dict:
    """Options as JSON-able values (a mean function by its name)."""
    return {
        k: (v if isinstance(v, int | float | str | bool) else repr(v)) for k, v in options.items()
    }
