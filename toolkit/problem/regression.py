"""Adapter: a regression family with a frame (or arrays) -> :class:`~toolkit.problem.Problem`.

``regression_problem`` turns a DataFrame with named columns (``y="admit",
x=["gre", "gpa"]``) or arrays (``y=array, x=2-D array``) into the response and
the design (an intercept column first, by default), checks them row by row, and
builds the family's PyMC model (flat priors, ``pm.Data`` for the design and the
response), compiled once per (family, number of columns, mean function) and
refitted by swapping data. The kl engine's log-density is the family's
independent numpy/scipy one, evaluated on the distinct (x, y) rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.divergence import row_atoms
from toolkit.errors import BoundaryError, DataError
from toolkit.problem import cache, validation
from toolkit.problem.compiled import CompiledModel, compile_model
from toolkit.problem.names import flat_names
from toolkit.problem.problem import Design, Problem

INTERCEPT = "(intercept)"

#: Compiled models by (family, columns, mean function, parameter names, starts).
_COMPILED: dict[tuple, CompiledModel] = {}


def regression_problem(
    family,
    data: Any = None,
    *,
    y: Any = None,
    x: Any = None,
    intercept: bool = True,
    mean: Callable | None = None,
    params: Sequence[str] | None = None,
    start: Sequence[float] | None = None,
) -> Problem:
    """Check the data of a regression family and build its problem.

    Parameters
    ----------
    family : RegressionFamily
    data : pandas.DataFrame, optional
        Then ``y`` is a column name and ``x`` a column name or list of them
        (default: every other column).
    y, x : str, list of str or array_like
        Column names (with ``data``) or the response vector and covariates
        (1-D: one covariate; 2-D: one column each).
    intercept : bool
        Put a column of ones first (never for mean-function families).
    mean, params, start
        Mean-function families only: ``mean(x, theta, math)``, the names of
        theta and their starting values.

    Raises
    ------
    DataError
        Missing or non-numeric columns, NaN or inf (column and row named),
        responses outside the support, too few rows, collinear columns.
    BoundaryError
        Data whose MLE does not exist (e.g. perfectly separated logistic data).
    """
    spec = _mean_spec(family, mean, params, start)
    design = _design(family, data, y, x, intercept, spec)
    k = design.x.shape[1] if spec is None else len(spec[1])
    mean_names = ("beta",) if spec is None else spec[1]
    shapes = {"beta": (k,)} if spec is None else {p: () for p in spec[1]}
    shapes.update({p: () for p in family.extra})
    rows = np.column_stack([design.y, design.x])
    atoms = row_atoms(rows, n_covariates=design.x.shape[1])
    y_atoms, x_atoms = design.y[atoms.index], design.x[atoms.index]
    predictor = _predictor(spec)
    extra_names = list(family.extra)

    def rows_logq(y: np.ndarray, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        extra = dict(zip(extra_names, map(float, theta[k:]), strict=True))
        with np.errstate(all="ignore"):
            return family.logpdf(y, predictor(x, theta[:k]), extra)

    def fitted_mean(theta: np.ndarray) -> np.ndarray:
        extra = dict(zip(extra_names, map(float, theta[k:]), strict=True))
        return family.response_mean(predictor(design.x, theta[:k]), extra)

    closed_form = None
    if family.closed_form is not None:

        def closed_form() -> np.ndarray:
            fit = family.closed_form(design.x, design.y)
            return np.concatenate([np.ravel(fit["beta"]), [fit[p] for p in extra_names]])

    density = f"{family.name}: numpy/scipy row log-density (independent of PyMC)"
    return Problem(
        label=_label(family, design, spec),
        shapes=shapes,
        compiled=_compiled(family, design, spec),
        bound={"X": design.x, "y_data": design.y},
        atoms=atoms,
        logq=lambda theta: rows_logq(y_atoms, x_atoms, theta),
        density=density,
        independent=True,
        discrete=family.discrete,
        kl_offset=0.0,
        kl_note=f"{conditional_kl_note(family.discrete)}; log-density: {density}",
        domains={**{p: "real" for p in mean_names}, **{p: "positive" for p in family.extra}},
        declaration=family,
        observed={"y": design.y, "X": design.x},
        design=design,
        options={"intercept": design.intercept},
        start=None,
        default_starts=4 if spec else 1,
        closed_form=closed_form,
        k_free=len(flat_names(shapes)),
        row_logq=lambda theta: rows_logq(design.y, design.x, theta),
        fitted_mean=fitted_mean if family.response_mean is not None else None,
    )


def conditional_kl_note(discrete: bool) -> str:
    """What the KL of rows (x, y) is, for a discrete or a continuous response."""
    if discrete:
        return "exact conditional KL: Σ p̂(x,y) log(p̂(y|x)/q(y|x)) over distinct rows"
    return (
        "conditional cross-entropy −Σ p̂(x,y) log q(y|x) over distinct rows: the KL up "
        "to the θ-free conditional entropy of the data, which is not estimated"
    )


def _predictor(spec) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """(design rows, mean parameters) -> the linear predictor Xβ or the mean function."""
    if spec is None:
        return lambda x, theta: x @ theta

    def mean_function(x, theta):
        return spec[0](x[:, 0] if x.shape[1] == 1 else x, theta, np)

    return mean_function


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


def _label(family, design: Design, spec) -> str:
    if spec:
        return f"{family.name}: {design.response} ~ {spec[0].__name__}({', '.join(design.columns)})"
    terms = ["1" if c == INTERCEPT else c for c in design.columns]
    return f"{family.name}: {design.response} ~ {' + '.join(terms)}"


def _compiled(family, design: Design, spec) -> CompiledModel:
    """The family's model for this many columns, built and compiled once."""
    import pymc as pm

    key = (family.name, design.x.shape[1], *(spec or ()))
    if key in _COMPILED:
        return _COMPILED[key]
    with pm.Model() as model:
        xd = pm.Data("X", design.x)
        yd = pm.Data("y_data", design.y)
        if spec:
            mean, params, start = spec
            theta = [pm.Flat(p, initval=s) for p, s in zip(params, start, strict=True)]
            eta = mean(xd[:, 0] if design.x.shape[1] == 1 else xd, theta, pm.math)
        else:
            eta = pm.math.dot(xd, pm.Flat("beta", shape=design.x.shape[1]))
        extra = {p: pm.HalfFlat(p) for p in family.extra}
        family.observe(eta, extra, yd)
    kept = _kept_key(family, design.x.shape[1], spec)
    _COMPILED[key] = compile_model(model) if kept is None else cache.compiled_model(model, kept)
    return _COMPILED[key]


def _kept_key(family, columns: int, spec) -> tuple | None:
    """The key of the model's functions on disk; None when its mean function has no name
    that says its code (a closure, a lambda, a function outside ``models``)."""
    if not spec:
        return ("regression", family.name, columns)
    mean, params, start = spec
    module, name = getattr(mean, "__module__", ""), getattr(mean, "__qualname__", "<")
    if not module.startswith("models.") or "<" in name or getattr(mean, "__closure__", None):
        return None
    return ("regression", family.name, columns, f"{module}.{name}", tuple(params), start)


def _design(family, data, y, x, intercept, spec) -> Design:
    """Response and design from ``data`` and the ``y``/``x`` selections, checked."""
    frame, response, names = _frame(family, data, y, x)
    label = family.name
    if len(frame) == 0:
        raise DataError(f"{label}: no rows: nothing to fit")
    numeric = {
        c: validation.numeric_column(
            label, c, frame[c], "covariate" if c != response else "response"
        )
        for c in [response, *names]
    }
    yv = numeric[response]
    validation.check_response(label, response, yv, family)
    intercept = bool(intercept) and not family.mean_function
    columns = ([INTERCEPT] if intercept else []) + names
    blocks = ([np.ones(len(yv))] if intercept else []) + [numeric[c] for c in names]
    matrix = np.column_stack(blocks) if blocks else np.empty((len(yv), 0))
    if family.discrete:
        yv = yv.astype(np.int64)
    k = (matrix.shape[1] if spec is None else len(spec[1])) + len(family.extra)
    validation.check_rows(label, len(yv), k)
    if spec is None:
        validation.check_rank(label, matrix, columns, "the design")
    if family.boundary is not None:
        reason = family.boundary(matrix, yv, columns)
        if reason:
            raise BoundaryError(f"{label}: {reason}")
    return Design(
        y=yv,
        x=matrix,
        columns=tuple(columns),
        response=response,
        intercept=intercept,
        family=family.name,
        mean=spec[0] if spec else None,
    )


def _frame(family, data, y, x) -> tuple[pd.DataFrame, str, list[str]]:
    label = family.name
    if data is None:
        if y is None or x is None:
            raise TypeError(f"{label}: give a DataFrame and column names, or y= and x= arrays")
        yv = np.asarray(y)
        if yv.ndim != 1:
            raise DataError(f"{label}: y must be 1-D, got shape {yv.shape}")
        if isinstance(x, pd.DataFrame):
            frame = x.reset_index(drop=True).copy()
        else:
            xv = np.asarray(x)
            xv = xv[:, None] if xv.ndim == 1 else xv
            if xv.ndim != 2:
                raise DataError(f"{label}: x must be 1-D or 2-D, got shape {xv.shape}")
            names = ["x"] if xv.shape[1] == 1 else [f"x{j + 1}" for j in range(xv.shape[1])]
            frame = pd.DataFrame(dict(zip(names, xv.T, strict=True)), index=range(len(xv)))
        if len(frame) != len(yv):
            raise DataError(f"{label}: y has {len(yv)} rows but x has {len(frame)}")
        names = [str(c) for c in frame.columns]
        if "y" in names:
            raise DataError(f"{label}: a covariate is called 'y', the response's name; rename it")
        frame.columns = names
        return frame.assign(y=yv), "y", names
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{label}: data must be a pandas DataFrame (with y= and x= column names), "
            f"got {type(data).__name__}; or pass y= and x= arrays"
        )
    if not isinstance(y, str):
        raise TypeError(f"{label}: y= must name the response column; columns: {list(data.columns)}")
    names = [x] if isinstance(x, str) else list(x) if x is not None else None
    if names is None:
        names = [c for c in data.columns if c != y]
    missing = [c for c in [y, *names] if c not in data.columns]
    if missing:
        raise DataError(f"{label}: no column(s) {missing}; columns: {list(data.columns)}")
    if y in names:
        raise DataError(f"{label}: {y!r} is both the response and a covariate")
    return data.reset_index(drop=True), y, [str(c) for c in names]
