"""Run every engine on one problem, compute standard errors and judge whether they agree."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from toolkit.config import settings, settings_context
from toolkit.divergence import entropy_estimate
from toolkit.engines import Fit, run_engines
from toolkit.engines.fit import inverse_root_diagonal, scaled_positive_definite
from toolkit.engines.mle import per_observation
from toolkit.engines.scores import opg_standard_errors, outer_product_of_scores
from toolkit.errors import BoundaryError, DataError
from toolkit.problem import Problem, make_problem
from toolkit.problem.names import variable_of
from toolkit.threads import one_blas_thread


@dataclass(frozen=True)
class Comparison:
    """The engines' answers on one problem, side by side, and the verdict.

    ``estimates`` has one row per parameter (natural space, PyMC names; vectors
    expanded as ``p[0]``, ...) and one column per engine. ``se`` is the standard
    error at the MLE from the observed information. ``loglik`` and ``kl`` are
    evaluated for every engine with the same density (the problem's own).
    ``agree`` is True only when the MLE and the KL fit reached a certified optimum
    off the boundary and every other certified engine that maximises the
    likelihood is within ``tolerance`` standard errors of the MLE, or at another
    point of the same likelihood (then ``verdict`` is "not unique" and
    ``optima`` lists the equivalent maximisers).
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
    #: The distinct maximisers found, one row each: parameters, log-likelihood, engines.
    optima: pd.DataFrame = field(repr=False)
    problem: Problem = field(repr=False)
    covariance: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        engines = ", ".join(self.estimates.columns)
        return (
            f"<Comparison {self.label}: N = {self.n}, verdict {self.verdict!r} "
            f"(tolerance {self.tolerance:g} SE), engines {engines}>"
        )

    def __str__(self) -> str:
        """The estimates table, verdict and reasons, as ``klmle fit`` prints them."""
        from toolkit.report.text import comparison_text

        return comparison_text(self)

    @property
    def kl_kind(self) -> str:
        """What ``kl`` is: "exact" (discrete data), "estimate" (cross-entropy minus an
        entropy estimate of p) or "cross-entropy" (the KL up to a θ-free constant)."""
        if self.problem.discrete:
            return "exact"
        if self.problem.data is None or self.problem.kl_offset == 0.0:
            return "cross-entropy"
        return "estimate"

    @cached_property
    def kl_error(self) -> pd.Series:
        """By engine: the rounding level of an exact KL (a value within it is 0), the
        standard error of an estimate, NaN where unknown (computed when first asked)."""
        return kl_uncertainty(self.problem, self.fits, self.kl_kind)

    @property
    def max_se_difference(self) -> pd.Series:
        """max over parameters of |θ_engine − θ_mle| / SE, by engine."""
        return se_differences(self.estimates, self.se, self.problem.argmax_sets).max(axis=0)

    @property
    def se_sandwich(self) -> pd.Series:
        """Huber's sandwich standard error of each parameter at the MLE.

        Right even when the model is misspecified (then ``se``, from the observed
        information, is not): see :func:`sandwich_covariance`.
        """
        cov = sandwich_covariance(self.problem, self.covariance, self.fits["mle"].theta)
        return pd.Series(np.sqrt(np.diag(cov)), index=self.se.index, name="se_sandwich")

    @property
    def judged(self) -> list[str]:
        """Engines that maximise the likelihood (the others use a model's priors)."""
        return [e for e, f in self.fits.items() if f.objective == "likelihood"]

    def certificates(self) -> pd.DataFrame:
        """One row per engine: where it ended in words, gradient, Hessian, steps, time."""
        rows = {}
        for name, fit in self.fits.items():
            c = fit.certificate
            rows[name] = {
                "status": c.status,
                "converged": fit.converged,
                "grad_norm": c.grad_norm,
                "hessian_pd": c.hessian_pd,
                "distance_se": c.distance_se,
                "at_boundary": c.at_boundary,
                "iterations": c.iterations,
                "evaluations": c.evaluations,
                "seconds": c.seconds,
                "density": fit.density,
                "optimiser": c.optimiser,
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def table(self) -> pd.DataFrame:
        """Estimates with SE, then log-likelihood and KL rows, for printing."""
        table = self.estimates.copy()
        table.insert(len(table.columns), "se", self.se)
        extra = pd.DataFrame([self.loglik, self.kl], index=["loglik", "KL(p̂‖q)"])
        return pd.concat([table, extra])

    def to_inference_data(self, posterior: str = "laplace", seed: int = 0):
        """The comparison as ``arviz.InferenceData`` (see :mod:`toolkit.report.inference_data`).

        ``posterior`` is "laplace" (the normal approximation at the MLE) or
        "nuts" (PyMC's NUTS on the model itself: slower, exact up to Monte Carlo).
        """
        # report/ never imports this module; the import is here so that
        # ``import toolkit`` does not load xarray and ArviZ.
        from toolkit.report.inference_data import comparison_to_inference_data

        return comparison_to_inference_data(self, seed=seed, posterior=posterior)

    def _repr_html_(self) -> str:
        from toolkit.report.jupyter import comparison_html

        return comparison_html(self)


def compare(
    model: Any,
    data: Any = None,
    *,
    tolerance: float | None = None,
    n_starts: int | None = None,
    seed: int | None = None,
    **options: Any,
) -> Comparison:
    """Fit ``model`` to ``data`` with every engine and compare the estimates.

    Parameters
    ----------
    model : str or pymc.Model
        A family name from the catalog (``klmle families`` lists them), or a
        ``pm.Model`` with observed data.
    data : array_like or pandas.DataFrame
        One column of observations; an N × d array for a multivariate family; a
        DataFrame (or None, with arrays in ``y``/``x``) for a regression family.
        None for a ``pm.Model``, which carries its data.
    tolerance : float, optional
        Largest difference from the MLE, in standard errors, that counts as
        agreement (default: ``settings["tolerance"]``).
    n_starts, seed : int, optional
        Jittered starts besides the model's own start, and their seed (defaults
        from :data:`toolkit.config.settings`).
    **options
        The family's options: ``n`` for the binomial, ``k`` for the categorical or
        the mixture; for regression families ``y`` (response column or array), ``x``
        (covariate columns or 2-D array), ``intercept`` (default True), and for
        ``nonlinear_regression`` ``mean``, ``params``, ``start``.

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
    with settings_context(tolerance=tolerance, n_starts=n_starts, seed=seed):
        return compare_problem(make_problem(model, data, **options))


def compare_problem(problem: Problem) -> Comparison:
    """Run the engines on a problem, with the settings in force.

    BLAS runs on one thread here: the engines' linear algebra is on matrices of a few
    parameters, where waking OpenBLAS's thread pool costs more than the work.
    """
    with one_blas_thread():
        return _compare_problem(problem)


def _compare_problem(problem: Problem) -> Comparison:
    fits = run_engines(problem)
    _raise_if_no_mle(problem, fits)
    covariance, notes = standard_errors(problem, fits["mle"])
    names = list(problem.names)
    estimates = pd.DataFrame(
        {e: [f.estimates[p] for p in names] for e, f in fits.items()}, index=names
    )
    se = pd.Series(np.sqrt(np.diag(covariance)), index=names, name="se")
    agree, verdict, reasons, optima = judge(problem, fits, estimates, se)
    if any(f.objective == "posterior" for f in fits.values()):
        priors = ", ".join(e for e, f in fits.items() if f.objective == "posterior")
        notes = (*notes, f"{priors}: use the model's priors; reported, not judged against mle")
    return Comparison(
        label=problem.label,
        n=problem.n,
        estimates=estimates,
        se=se,
        loglik=pd.Series({e: problem.loglik(f.theta) for e, f in fits.items()}, name="loglik"),
        kl=pd.Series({e: problem.kl(f.theta) for e, f in fits.items()}, name="kl"),
        agree=agree,
        verdict=verdict,
        reasons=(*reasons, *notes),
        fits=fits,
        tolerance=settings["tolerance"],
        kl_note=problem.kl_note,
        optima=optima,
        problem=problem,
        covariance=covariance,
    )


def kl_uncertainty(problem: Problem, fits: dict[str, Fit], kind: str) -> pd.Series:
    """The KL's error by engine (see :attr:`Comparison.kl_error`) for a KL of ``kind``.

    An exact KL's error is its rounding level (:func:`_rounding_level`). An
    estimate's error is the entropy estimate's standard error (Vasicek's; none for
    Kozachenko–Leonenko), the same for every engine.
    """
    if kind == "exact":
        levels = {e: _rounding_level(problem, f.theta) for e, f in fits.items()}
        return pd.Series(levels, name="kl_error")
    unknown = pd.Series(np.nan, index=list(fits), name="kl_error")
    if kind != "estimate":
        return unknown
    estimate = entropy_estimate(problem.data)  # the one the problem subtracted, with its SE
    same = np.isclose(estimate.value, problem.kl_offset, rtol=1e-12, atol=0.0)
    return unknown.fillna(estimate.se if estimate.se is not None and same else np.nan)


def _rounding_level(problem: Problem, theta: np.ndarray) -> float:
    """8 ε Σ p̂ (|log p̂| + |log q|): a few units in the last place of every term of the
    exact KL Σ p̂ (log p̂ − log q), below which its value is 0."""
    atoms = problem.atoms
    with np.errstate(all="ignore"):
        terms = atoms.weights * (np.abs(atoms.log_conditional) + np.abs(problem.logq(theta)))
    return 8 * np.finfo(float).eps * float(np.sum(terms))


def standard_errors(problem: Problem, mle: Fit) -> tuple[np.ndarray, tuple[str, ...]]:
    """Covariance of the natural estimates at the MLE, and notes on how it was made.

    The delta method on the observed information in PyMC's unconstrained space,
    judged on its Jacobi-scaled form so that units are no rank test. A non-smooth
    parameter's SE comes from the outer product of scores instead.
    """
    compiled = problem.pymc
    z, information = mle.details["z"], mle.details["information"]
    nonsmooth_z = compiled.indices({variable_of(p) for p in problem.nonsmooth})
    smooth = [i for i in range(z.size) if i not in nonsmooth_z]
    covariance = natural_covariance(compiled.natural_jacobian(z), information, smooth)
    if not problem.nonsmooth:
        return covariance, ()
    opg = opg_standard_errors(problem, mle.theta)
    for i, name in enumerate(problem.names):
        if name in problem.nonsmooth:
            covariance[i, :] = covariance[:, i] = 0.0
            covariance[i, i] = opg[i] ** 2
    note = f"SE of {', '.join(problem.nonsmooth)}: outer product of scores (non-smooth)"
    return covariance, (note,)


def sandwich_covariance(problem: Problem, covariance: np.ndarray, theta: np.ndarray):
    """Huber's sandwich H⁻¹ (Σ s_i s_iᵀ) H⁻¹ at the MLE θ, in natural flat parameters.

    H⁻¹ is ``covariance``, the inverse observed information of
    :func:`standard_errors`; s_i the score of row i (the outer product comes from
    :func:`~toolkit.engines.scores.outer_product_of_scores`). When the model holds
    the two middle terms cancel on average and this is ``covariance`` again; when it
    does not, this one is still the covariance of the MLE around the pseudo-true θ.
    A parameter with an infinite variance keeps it; a non-smooth parameter (whose
    ``covariance`` entry already comes from the scores) keeps its entry.
    """
    meat = outer_product_of_scores(problem, theta)
    finite = np.all(np.isfinite(covariance), axis=1)
    bread = np.where(finite[:, None] & finite[None, :], covariance, 0.0)
    sandwich = bread @ meat @ bread
    sandwich[~finite, :] = np.inf
    sandwich[:, ~finite] = np.inf
    for i, name in enumerate(problem.names):
        if name in problem.nonsmooth:
            sandwich[i, :] = sandwich[:, i] = 0.0
            sandwich[i, i] = covariance[i, i]
    return sandwich


def natural_covariance(jacobian: np.ndarray, information: np.ndarray, keep: list[int]):
    """Delta-method covariance J I⁻¹ Jᵀ over the coordinates ``keep``, Jacobi-scaled.

    Directions of zero or negative curvature get infinite variance: the data do
    not pin the parameter down there.
    """
    information, jacobian = information[np.ix_(keep, keep)], jacobian[:, keep]
    if not np.all(np.isfinite(information)):  # derivatives that overflowed: SEs unknown
        return np.full((jacobian.shape[0],) * 2, np.inf)
    diag = np.abs(np.diag(information))
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    information, jacobian = information * np.outer(scale, scale), jacobian * scale
    values, vectors = np.linalg.eigh(0.5 * (information + information.T))
    top = max(np.max(np.abs(values), initial=0.0), np.finfo(float).tiny)
    with np.errstate(divide="ignore"):
        inverse = np.where(values > 1e-10 * top, 1.0 / values, np.inf)
    projected = jacobian @ vectors
    finite = np.isfinite(inverse)
    cov = (projected[:, finite] * inverse[finite]) @ projected[:, finite].T
    singular = np.abs(projected[:, ~finite]).max(axis=1, initial=0.0) > 1e-12
    cov[singular, :] = np.inf
    cov[:, singular] = np.inf
    return cov


def _raise_if_no_mle(problem: Problem, fits: dict[str, Fit]) -> None:
    """BoundaryError when the likelihood rises along a ray; DataError when not identified."""
    engine = "mle" if fits["mle"].details["diverging"] else "kl"
    diverging = fits[engine].details["diverging"]
    if diverging:
        z = problem.pymc.to_z(fits[engine].theta)
        raise BoundaryError(
            _running_off(problem, {v: _heading(problem, z, v, z) for v in diverging})
        )
    mle = fits["mle"]
    if mle.certificate.at_boundary or not np.all(np.isfinite(mle.details["information"])):
        return
    compiled = problem.pymc
    nonsmooth = compiled.indices({variable_of(p) for p in problem.nonsmooth})
    keep = [i for i in range(compiled.size) if i not in nonsmooth]
    info = mle.details["information"][np.ix_(keep, keep)]
    if info.size == 0 or scaled_positive_definite(info):
        return
    scale = inverse_root_diagonal(info)
    _, vectors = np.linalg.eigh(0.5 * (info + info.T) * np.outer(scale, scale))
    null_z = np.zeros(compiled.size)
    null_z[keep] = scale * vectors[:, 0]
    null = np.abs(compiled.natural_jacobian(mle.details["z"]) @ null_z)
    involved = [problem.names[i] for i in np.flatnonzero(null > 1e-6 * null.max())]
    z = mle.details["z"]
    if np.any(np.abs(np.diag(info)) * (np.finfo(float).eps * z[keep]) ** 2 >= 1.0):
        raise BoundaryError(_fitted_exactly(problem, involved))
    rising = _rising_along(problem, z, null_z)
    if rising is not None:  # not a flat valley: a slope that runs off to an edge
        variables = dict.fromkeys(variable_of(p) for p in involved)
        raise BoundaryError(
            _running_off(problem, {v: _heading(problem, z, v, rising) for v in variables})
        )
    raise DataError(
        f"{problem.label}: parameters {involved} are not identified: the information "
        "matrix is singular (collinear covariates or a redundant parametrisation)"
    )


def _fitted_exactly(problem: Problem, involved: list[str]) -> str:
    """The sentence for an information matrix singular because the data are fitted exactly.

    Then some parameter is pinned down more finely than its own float64 rounding (its
    curvature times the square of that rounding exceeds 1): the residuals are rounding
    errors, the scale that measures them sits at their size instead of 0, and the
    curvature there is rounding noise. No real sample determines a parameter that well.
    """
    compiled = problem.pymc
    variables = dict.fromkeys(variable_of(p) for p in involved)
    scales = [v for v in variables if np.all(compiled.constrained[compiled.coordinates[v]])]
    which = f"{', '.join(scales)} → 0" if scales else "a scale → 0"
    return (
        f"{problem.label}: the MLE does not exist: the model fits the data exactly (the "
        f"residuals are float64 rounding errors), so {which}, on the boundary"
    )


def _running_off(problem: Problem, heading: dict[str, str]) -> str:
    """The sentence for a log-likelihood that rises without bound as variables run off."""
    why = (
        ": the model fits the data exactly"
        if "0" in heading.values()
        else " (e.g. perfectly separated data)"
    )
    moves = ", ".join(f"{v} → {h}" for v, h in heading.items())
    return (
        f"{problem.label}: the MLE does not exist: the log-likelihood keeps increasing as "
        f"{moves}{why}"
    )


def _rising_along(problem: Problem, z: np.ndarray, direction: np.ndarray) -> np.ndarray | None:
    """A unit step (in its largest coordinate) along ±``direction`` on which the
    log-likelihood rises beyond rounding; None when it is flat or falls both ways."""
    objective = per_observation(problem.pymc.loglik_derivatives, problem.n)
    step = direction / np.max(np.abs(direction))
    here = objective(z)[0]
    for d in (step, -step):
        there = objective(z + d)[0]
        if there < here - 8 * np.finfo(float).eps * max(abs(here), abs(there)):
            return d
    return None


def _heading(problem: Problem, z: np.ndarray, variable: str, direction: np.ndarray) -> str:
    """Where a variable goes as z moves along ``direction``: "0", "∞", "±∞" or its bound."""
    compiled = problem.pymc
    index = compiled.coordinates[variable]
    if not np.any(compiled.constrained[index]):
        return "±∞"
    further = np.array(z, dtype=float)
    further[index] += 40.0 * np.sign(direction[index])  # farther out the way it goes
    flat = [i for i, p in enumerate(problem.names) if variable_of(p) == variable]
    with np.errstate(all="ignore"):
        now, far = (float(np.max(np.abs(compiled.natural(v)[flat]))) for v in (z, further))
    if far < 1e-3 * now:
        return "0"
    return "∞" if far > 1e3 * now else "the edge of its support"


def se_differences(estimates: pd.DataFrame, se: pd.Series, sets: dict) -> pd.DataFrame:
    """|θ_engine − θ_mle| / SE by parameter and engine (0 where equal).

    A parameter whose MLE is a set (``sets``, by flat name) counts 0: every point
    of the set is the optimum, and certificates already reject an engine outside it.
    """
    values = _scaled_gaps(
        estimates.to_numpy(float), estimates["mle"].to_numpy(float)[:, None], se.to_numpy(float)
    )
    values[[estimates.index.get_loc(p) for p in sets], :] = 0.0
    return pd.DataFrame(values, index=estimates.index, columns=estimates.columns)


def _scaled_gaps(a: np.ndarray, b: np.ndarray, se: np.ndarray) -> np.ndarray:
    """|a − b| / SE elementwise (SE along the first axis), 0 where a == b."""
    diff = np.abs(a - b)
    scale = se if diff.ndim == 1 else se[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(diff > 0, np.nan_to_num(diff / scale, nan=0.0), 0.0)


@dataclass
class _Point:
    """A distinct point among the engines' answers: where, its ℓ, who landed there."""

    theta: np.ndarray
    engines: list[str]
    loglik: float = 0.0


def judge(
    problem: Problem, fits: dict[str, Fit], estimates: pd.DataFrame, se: pd.Series
) -> tuple[bool, str, list[str], pd.DataFrame]:
    """(agree, verdict, reasons, optima) by the rules in :class:`Comparison`.

    Engines that did not reach a certified optimum are not counted. Points that
    differ by more than the tolerance are compared by their log-likelihood: one
    within tolerance²/2 of the best (the least that a move of one tolerance in
    SE costs a strict maximum) is another maximiser, and the maximiser is a set
    ("not unique"); one below it is a disagreement.
    """
    tolerance = settings["tolerance"]
    for name in ("mle", "kl"):
        certificate = fits[name].certificate
        if certificate.at_boundary:
            return False, "boundary", [f"{name}: {certificate.status}"], _optima(problem, [])
    for name in ("mle", "kl"):
        if not fits[name].converged:
            status = fits[name].certificate.status
            return False, "did not converge", [f"{name}: {status}"], _optima(problem, [])
    reasons, counted = [], []
    for name, fit in fits.items():
        if name == "mle" or fit.objective != "likelihood":
            continue
        if fit.converged:
            counted.append(name)
        else:
            reasons.append(f"{name}: not counted ({fit.certificate.status})")
    candidates = [("mle", fits["mle"].theta)] + [(e, fits[e].theta) for e in counted]
    for engine in ("mle", "kl"):
        candidates += [
            (f"{engine} (another start)", np.array([o[p] for p in problem.names]))
            for o in fits[engine].details.get("optima", [])[1:]
        ]
    points = _cluster(problem, candidates, se.to_numpy(float), tolerance)
    best = max(point.loglik for point in points)
    slack = tolerance**2 / 2
    maximisers = [point for point in points if point.loglik >= best - slack]
    at = {engine: point for point in points for engine in point.engines}
    disagree = []
    if at["mle"].loglik < best - slack:
        disagree.append(
            f"mle: its log-likelihood is {best - at['mle'].loglik:.3g} below another "
            "certified optimum's"
        )
    scaled = se_differences(estimates, se, problem.argmax_sets)
    for name in counted:
        worst = float(scaled[name].max())
        if worst > tolerance and at[name].loglik < best - slack:
            disagree.append(
                f"{name}: {scaled[name].idxmax()} differs from the MLE by {worst:.3g} SE "
                f"(> {tolerance:g}) at a log-likelihood "
                f"{at['mle'].loglik - at[name].loglik:.3g} lower"
            )
    if disagree:
        return False, "disagree", reasons + disagree, _optima(problem, maximisers)
    sets = {p: b for p, b in problem.argmax_sets.items() if b[1] > b[0]}
    if len(maximisers) > 1 or sets:
        why = [
            f"{p} maximises the likelihood anywhere in [{lo:.12g}, {hi:.12g}]"
            for p, (lo, hi) in sets.items()
        ]
        if len(maximisers) > 1:
            why.append(
                f"{len(maximisers)} distinct points have the same log-likelihood (to "
                f"{slack:.1g}): the maximiser is a set; see optima"
            )
        return True, "not unique", reasons + why, _optima(problem, maximisers)
    return True, "agree", reasons, _optima(problem, maximisers)


def _cluster(problem: Problem, candidates, se: np.ndarray, tolerance: float) -> list[_Point]:
    """Distinct points among ``candidates`` (within tolerance SE they are one), with ℓ."""
    free = np.array([n not in problem.argmax_sets for n in problem.names])
    points: list[_Point] = []
    for engine, theta in candidates:
        for point in points:
            if np.max(_scaled_gaps(theta, point.theta, se)[free], initial=0.0) <= tolerance:
                point.engines.append(engine)
                break
        else:
            points.append(_Point(theta, [engine]))
    for point in points:
        point.loglik = problem.loglik(point.theta)
    return points


def _optima(problem: Problem, points: list[_Point]) -> pd.DataFrame:
    """The maximisers as a table: one row each, parameters, log-likelihood, engines."""
    thetas = np.array([p.theta for p in points], dtype=float).reshape(
        len(points), len(problem.names)
    )
    columns = {name: thetas[:, i] for i, name in enumerate(problem.names)}
    columns["loglik"] = np.array([p.loglik for p in points], dtype=float)
    columns["engines"] = [", ".join(p.engines) for p in points]
    return pd.DataFrame(columns)
