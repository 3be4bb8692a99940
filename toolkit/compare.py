"""Run every engine on one problem and judge whether they agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.engines.fit import Fit
from toolkit.engines.problem import Problem

#: Engines agree when no parameter differs from the MLE by more than this many
#: standard errors: far below sampling noise, far above optimiser tolerance.
DEFAULT_TOLERANCE = 1e-3

ENGINE_ORDER = ("find_map", "mle", "kl", "closed_form", "scipy", "map")


@dataclass(frozen=True)
class Comparison:
    """The engines' answers on one problem, side by side, and the verdict.

    ``estimates`` has one row per parameter (natural space, PyMC names; vectors
    expanded as ``p[0]``, ...) and one column per engine. ``se`` is the standard
    error at the MLE from the observed information. ``loglik`` and ``kl`` are
    evaluated for every engine with the same independent density. ``agree`` is
    True only when the MLE and the KL fit converged off the boundary and every
    other engine that reached a stationary point agrees with the MLE within
    ``tolerance`` standard errors.
    """

    label: str
    n: int
    estimates: pd.DataFrame
    se: pd.Series
    loglik: pd.Series
    kl: pd.Series
    agree: bool
    verdict: str
    reasons: tuple[str, ...]
    fits: dict[str, Fit]
    tolerance: float
    kl_note: str
    problem: Problem = field(repr=False)
    covariance: np.ndarray = field(repr=False)

    @property
    def max_se_difference(self) -> pd.Series:
        """max over parameters of |θ_engine − θ_mle| / SE, by engine."""
        return se_differences(self.estimates, self.se, argmax_sets(self.problem)).max(axis=0)

    def certificates(self) -> pd.DataFrame:
        """One row per engine: status, gradient norm, Hessian, iterations, time."""
        rows = {}
        for name, fit in self.fits.items():
            c = fit.certificate
            rows[name] = {
                "status": c.status,
                "converged": fit.converged,
                "grad_norm": c.grad_norm,
                "hessian_pd": c.hessian_pd,
                "at_boundary": c.at_boundary,
                "iterations": c.iterations,
                "evaluations": c.evaluations,
                "seconds": c.seconds,
                "density": fit.density,
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def table(self) -> pd.DataFrame:
        """Estimates with SE, then log-likelihood and KL rows, for printing."""
        table = self.estimates.copy()
        table.insert(len(table.columns), "se", self.se)
        extra = pd.DataFrame([self.loglik, self.kl], index=["loglik", "KL(p̂‖q)"])
        return pd.concat([table, extra])

    def to_inference_data(self, posterior: str = "laplace", seed: int = 0):
        """The comparison as ``arviz.InferenceData`` (see :mod:`toolkit.inference_data`).

        ``posterior`` is "laplace" (the normal approximation at the MLE) or
        "nuts" (PyMC's NUTS on the model itself: slower, exact up to Monte Carlo).
        """
        from toolkit.inference_data import comparison_to_inference_data

        return comparison_to_inference_data(self, seed=seed, posterior=posterior)

    def _repr_html_(self) -> str:
        verdict = "agree" if self.agree else self.verdict
        return f"<p><b>{self.label}</b>, N = {self.n}: {verdict}</p>" + self.table().to_html(
            float_format=lambda v: f"{v:.10g}"
        )


def compare(model: Any, data: Any = None, *, tolerance: float = DEFAULT_TOLERANCE, **options):
    """Fit ``model`` to ``data`` with every engine and compare the estimates.

    Parameters
    ----------
    model : str or pymc.Model
        A family name from the catalog (``klmle families`` lists them), or a
        ``pm.Model`` with observed data (see :func:`toolkit.model_compare.compare_model`).
    data : array_like or pandas.DataFrame
        One column of observations; an N × d array for a multivariate family; a
        DataFrame (or None, with arrays in ``y``/``x``) for a regression family.
        None for a ``pm.Model``, which carries its data.
    tolerance : float
        Largest difference from the MLE, in standard errors, that counts as agreement.
    **options
        The family's options: ``n`` for the binomial, ``k`` for the categorical or
        the mixture; for regression families ``y`` (response column or array), ``x``
        (covariate columns or 2-D array), ``intercept`` (default True), and for
        ``nonlinear_regression`` ``mean``, ``params``, ``start``; for a ``pm.Model``
        ``n_starts`` and ``seed`` of the multi-start.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np, toolkit
    >>> x = np.random.default_rng(0).exponential(2.0, size=500)
    >>> cmp = toolkit.compare("exponential", x)
    >>> bool(cmp.agree), bool(abs(cmp.estimates.loc["lam", "mle"] * x.mean() - 1) < 1e-12)
    (True, True)
    """
    from models import get_family
    from models.regression.declaration import RegressionFamily
    from toolkit.validation import validate_family_data

    if not isinstance(model, str) and not _is_pymc_model(model):
        raise TypeError(
            f"compare() takes a family name from the catalog or a pm.Model, "
            f"got {type(model).__name__}"
        )
    if not (isinstance(tolerance, int | float) and tolerance > 0):
        raise ValueError(
            f"tolerance must be a positive number of standard errors, got {tolerance!r}"
        )
    if not isinstance(model, str):
        from toolkit.model_compare import compare_model

        if data is not None:
            raise ValueError("a pm.Model carries its own observed data: do not pass data")
        return compare_model(model, tolerance=tolerance, **options)
    family = get_family(model)
    if isinstance(family, RegressionFamily):
        from toolkit.regression_compare import compare_regression

        return compare_regression(family, data, tolerance=tolerance, **options)
    problem = validate_family_data(family, data, options)
    return compare_problem(problem, tolerance=tolerance)


def _is_pymc_model(model: Any) -> bool:
    """True for a ``pm.Model`` (checked without importing PyMC for family names)."""
    return any(
        c.__module__.startswith("pymc") and c.__name__ == "Model" for c in type(model).__mro__
    )


def compare_problem(problem: Problem, *, tolerance: float = DEFAULT_TOLERANCE) -> Comparison:
    """Run the engines on a validated problem."""
    from toolkit.engines.kl import fit_kl, kl_at, kl_objective
    from toolkit.engines.mle import fit_find_map, fit_mle
    from toolkit.engines.reference import fit_closed_form, fit_scipy

    find_map, z = fit_find_map(problem)
    mle, covariance = fit_mle(problem, z)
    scipy_fit = fit_scipy(problem)
    fallback = problem.unflatten(scipy_fit.estimates) if scipy_fit else None
    fits = {"find_map": find_map, "mle": mle, "kl": fit_kl(problem, fallback)}
    for fit in (fit_closed_form(problem), scipy_fit):
        if fit is not None:
            fits[fit.engine] = fit
    notes = ()
    nonsmooth = [p for p in problem.names if p.split("[")[0] in problem.family.nonsmooth]
    if nonsmooth:
        from toolkit.engines.scores import opg_standard_errors

        # The observed information is zero in a non-smooth parameter: its SE comes from
        # the outer product of scores instead (the covariance keeps the observed one).
        opg = opg_standard_errors(problem, mle.estimates)
        covariance = covariance.copy()
        for i, name in enumerate(problem.names):
            if name in nonsmooth:
                covariance[i, :] = covariance[:, i] = 0.0
                covariance[i, i] = opg[name] ** 2
        notes = (f"SE of {', '.join(nonsmooth)}: outer product of scores (non-smooth)",)
    return assemble_comparison(
        problem,
        fits,
        covariance,
        notes=notes,
        label=problem.family.name,
        loglik={e: problem.loglik(f.estimates) for e, f in fits.items()},
        kl={e: kl_at(problem, f.estimates) for e, f in fits.items()},
        kl_note=kl_objective(problem)[2],
        tolerance=tolerance,
    )


def assemble_comparison(
    problem,
    fits: dict[str, Fit],
    covariance: np.ndarray,
    *,
    label: str,
    loglik: dict[str, float],
    kl: dict[str, float],
    kl_note: str,
    tolerance: float,
    judged: list[str] | None = None,
    notes: tuple[str, ...] = (),
) -> Comparison:
    """Tables and verdict from the engines' fits; ``judged``: engines the verdict weighs."""
    names = problem.names
    estimates = pd.DataFrame(
        {e: [f.estimates[p] for p in names] for e, f in fits.items()}, index=names
    )
    se = pd.Series(np.sqrt(np.diag(covariance)), index=names, name="se")
    judged = list(fits) if judged is None else judged
    weighed = {e: fits[e] for e in judged}
    agree, verdict, reasons = _verdict(weighed, estimates[judged], se, tolerance, problem)
    return Comparison(
        label=label,
        n=problem.n,
        estimates=estimates,
        se=se,
        loglik=pd.Series(loglik, name="loglik"),
        kl=pd.Series(kl, name="kl"),
        agree=agree,
        verdict=verdict,
        reasons=(*reasons, *notes),
        fits=fits,
        tolerance=tolerance,
        kl_note=kl_note,
        problem=problem,
        covariance=covariance,
    )


def se_differences(estimates: pd.DataFrame, se: pd.Series, sets: dict) -> pd.DataFrame:
    """|θ_engine − θ_mle| / SE by parameter and engine (0 where equal).

    A parameter whose MLE is a set (``sets``, from :func:`argmax_sets`) counts 0:
    every point of the set is the optimum, and certificates already reject an
    engine outside it.
    """
    diff = estimates.sub(estimates["mle"], axis=0).abs()
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = diff.div(se, axis=0).where(diff > 0, 0.0).fillna(0.0)
    for param in sets:
        scaled.loc[param] = 0.0
    return scaled


def argmax_sets(problem) -> dict[str, tuple[float, float]]:
    """The family's set-valued maximisers for these data (empty for most families)."""
    family = getattr(problem, "family", None)
    if family is None or family.argmax_set is None:
        return {}
    return family.argmax_set(problem.data, problem.options)


def _verdict(fits, estimates, se, tolerance, problem) -> tuple[bool, str, list[str]]:
    """(agree, one-word verdict, reasons) by the rules in :class:`Comparison`."""
    reasons = []
    for name in ("mle", "kl"):
        cert = fits[name].certificate
        if cert.at_boundary:
            return (
                False,
                "boundary",
                [f"{name}: an estimate is on the boundary of the parameter space"],
            )
        if not cert.converged:
            return False, "did not converge", [f"{name}: {cert.status}"]
    if not fits["mle"].certificate.hessian_pd:
        return (
            False,
            "not unique",
            ["mle: the Hessian is not positive definite: the optimum is not isolated"],
        )
    scaled = se_differences(estimates, se, argmax_sets(problem))
    for name, fit in fits.items():
        if name == "mle":
            continue
        if not fit.converged:
            reasons.append(f"{name}: not counted ({fit.certificate.status})")
            continue
        worst = float(scaled[name].max())
        if worst > tolerance:
            param = scaled[name].idxmax()
            reasons.append(
                f"{name}: {param} differs from the MLE by {worst:.3g} SE (> {tolerance:g})"
            )
            return False, "disagree", reasons
    return True, "agree", reasons
