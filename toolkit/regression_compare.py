"""Compare the engines on a regression family of the catalog.

The family's PyMC model (flat priors, ``pm.Data`` for the design and the
response) is built and compiled once per (family, number of design columns,
mean function) and refitted by swapping data. The engines are those of
:func:`toolkit.model_compare.compare_model`, with the KL engine's row
log-density replaced by the family's independent numpy/scipy one, and the
closed form added where the family has one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from toolkit.regression_data import RegressionData, regression_data

#: Built models by (family, columns, mean function, parameter names, starts).
_MODELS: dict[tuple, Any] = {}


def compare_regression(
    family,
    data: Any = None,
    *,
    tolerance: float,
    y: Any = None,
    x: Any = None,
    intercept: bool = True,
    mean: Callable | None = None,
    params: Sequence[str] | None = None,
    start: Sequence[float] | None = None,
    n_starts: int | None = None,
    seed: int = 0,
):
    """Fit a regression family with find_MAP, the MLE, the KL minimiser and the closed form.

    Parameters
    ----------
    family : RegressionFamily
    data, y, x, intercept
        See :func:`toolkit.regression_data.regression_data`.
    tolerance : float
        Largest difference from the MLE, in standard errors, that counts as agreement.
    mean, params, start
        Mean-function families only: ``mean(x, theta, math)``, the names of
        theta and their starting values.
    n_starts : int, optional
        Jittered starts besides the model's initial point (default 1; 4 for a
        mean function, whose likelihood need not be concave).
    seed : int
        Seed of the jitter.

    Returns
    -------
    Comparison
        Parameters ``beta[0]`` (the intercept), ``beta[1]``, ... in the order
        of the design's columns (the label spells it out), then the family's
        extra parameters.
    """
    from toolkit.engines.model_problem import model_problem
    from toolkit.model_compare import compare_model_problem

    spec = _mean_spec(family, mean, params, start)
    n_mean = len(spec[1]) if spec else None
    rd = regression_data(family, data, y=y, x=x, intercept=intercept, n_mean=n_mean)
    model = _model(family, rd, spec)
    label = _label(family, rd, spec)
    problem = model_problem(
        model,
        label=label,
        density=_density(family, rd, spec),
        density_label=f"{family.name}: numpy/scipy row log-density (independent of PyMC)",
    )
    problem.regression = rd
    problem.predictor = _predictor(rd, spec)
    closed_form = None
    if family.closed_form is not None:
        closed_form = lambda: _flatten(family.closed_form(rd.x, rd.y), problem.names)  # noqa: E731
    if n_starts is None:
        n_starts = 4 if spec else 1
    if not (isinstance(n_starts, int) and n_starts >= 0):
        raise ValueError(f"n_starts must be a non-negative integer, got {n_starts!r}")
    return compare_model_problem(
        problem, tolerance=tolerance, n_starts=n_starts, seed=seed, closed_form=closed_form
    )


def _mean_spec(family, mean, params, start):
    """(mean, params, start) for mean-function families; None (and no such options) otherwise."""
    given = {"mean": mean, "params": params, "start": start}
    if not family.mean_function:
        extra = [k for k, v in given.items() if v is not None]
        if extra:
            raise ValueError(f"family {family.name!r} takes no option(s) {extra}")
        return None
    if not callable(mean):
        raise ValueError(
            f"family {family.name!r} needs mean=f(x, theta, math), a callable mean function"
        )
    if params is None or isinstance(params, str) or len(params) == 0:
        raise ValueError(f"family {family.name!r} needs params=, the names of theta in order")
    params = tuple(str(p) for p in params)
    start = tuple(float(s) for s in (start if start is not None else [1.0] * len(params)))
    if len(start) != len(params):
        raise ValueError(
            f"family {family.name!r}: {len(start)} start values for {len(params)} params"
        )
    clash = set(params) & {*family.extra, "X", "y", "y_data"}
    if clash:
        raise ValueError(f"family {family.name!r}: parameter names {sorted(clash)} are taken")
    return mean, params, start


def _label(family, rd: RegressionData, spec) -> str:
    if spec:
        return f"{family.name}: {rd.response} ~ {spec[0].__name__}({', '.join(rd.columns)})"
    terms = ["1" if c == "(intercept)" else c for c in rd.columns]
    return f"{family.name}: {rd.response} ~ {' + '.join(terms)}"


def _model(family, rd: RegressionData, spec):
    """The family's model for this many columns, built once, with ``rd`` swapped in."""
    import pymc as pm

    key = (family.name, rd.x.shape[1], *(spec or ()))
    model = _MODELS.get(key)
    if model is not None:
        with model:
            pm.set_data({"X": rd.x, "y_data": rd.y})
        return model
    with pm.Model() as model:
        xd = pm.Data("X", rd.x)
        yd = pm.Data("y_data", rd.y)
        if spec:
            mean, params, start = spec
            theta = [pm.Flat(p, initval=s) for p, s in zip(params, start, strict=True)]
            eta = mean(xd[:, 0] if rd.x.shape[1] == 1 else xd, theta, pm.math)
        else:
            eta = pm.math.dot(xd, pm.Flat("beta", shape=rd.x.shape[1]))
        extra = {p: pm.HalfFlat(p) for p in family.extra}
        family.observe(eta, extra, yd)
    _MODELS[key] = model
    return model


def _predictor(rd: RegressionData, spec):
    """Natural flat parameters -> the linear predictor Xβ (or the mean function) of each row."""
    k = len(spec[1]) if spec else rd.x.shape[1]
    covariates = rd.x[:, 0] if spec and rd.x.shape[1] == 1 else rd.x

    def predictor(theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        return spec[0](covariates, theta[:k], np) if spec else rd.x @ theta[:k]

    return predictor


def _density(family, rd: RegressionData, spec):
    """Natural flat parameters -> the family's independent row log-densities."""
    k = len(spec[1]) if spec else rd.x.shape[1]
    predictor = _predictor(rd, spec)
    extra_names = list(family.extra)

    def density(theta: np.ndarray) -> np.ndarray:
        eta = predictor(theta)
        extra = dict(zip(extra_names, map(float, theta[k:]), strict=True))
        with np.errstate(all="ignore"):
            return family.logpdf(rd.y, eta, extra)

    return density


def _flatten(params: dict, names: list[str]) -> dict[str, float]:
    flat = {}
    for key, value in params.items():
        values = np.ravel(np.asarray(value, dtype=float))
        if np.ndim(value):
            flat.update({f"{key}[{i}]": float(v) for i, v in enumerate(values)})
        else:
            flat[key] = float(values[0])
    return {name: flat[name] for name in names}
