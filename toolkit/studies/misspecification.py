"""A wrong model: the MLE tends to the pseudo-true θ*, and only the sandwich SE is right.

Samples from one family (the truth) are fitted with another. The MLE still
converges, by the same law of large numbers, to θ* = argmin_θ KL(p_truth ‖ q_θ),
found here by quadrature (exact sums for a discrete truth). Its spread is no longer
the inverse observed information: the 95 % intervals θ̂ ± 1.96 SE built on it cover
θ* less or more often than they say, while Huber's sandwich SE
(:func:`toolkit.compare.sandwich_covariance`) keeps its promise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from toolkit.studies import arguments as checks
from toolkit.studies.fitting import check_engines, fit_sample
from toolkit.studies.laws import Law, Rule, kl_divergence, law, pseudo_true, rule
from toolkit.studies.runner import Job, Plan, Progress, Rows, Task, execute, grid

NAME = "misspecification"
#: Two-sided 95 % normal quantile.
Z95 = float(norm.ppf(0.975))
#: Size of the seeded sample from the truth whose MLE starts the pseudo-true search.
START_N = 20_000
COLUMNS = (
    "n",
    "rep",
    "engine",
    "parameter",
    "estimate",
    "target",
    "se_model",
    "se_sandwich",
    "covered_model",
    "covered_sandwich",
    "kl_true",
    "kl_pseudo_true",
    "status",
)


@dataclass(frozen=True)
class Context:
    """What every task shares: the truth and its rule, the fitted family, θ*."""

    truth: Law
    on: Rule
    model: Law
    engines: tuple[str, ...]
    kl_min: float
    #: How θ* was certified, in words.
    status: str


def misspecification(
    truth: tuple[str, Mapping[str, Any]],
    family: str,
    sizes: Sequence[int] = (100, 1000, 10000),
    reps: int = 100,
    seed: int = 0,
    *,
    truth_options: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    engines: Sequence[str] = ("mle",),
    store: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
):
    """Fit samples from ``truth`` with ``family``; targets are the pseudo-true parameters.

    Parameters
    ----------
    truth : (str, dict)
        The family that generates the data and its parameters by PyMC name, e.g.
        ``("gamma", {"alpha": 2.0, "beta": 1 / 1.5})``; None for its demo parameters.
    family : str
        The family fitted to them.
    sizes, reps, seed
        As for :func:`~toolkit.studies.convergence`; a sample's generator is keyed by the
        truth's family, so every fitted family sees the same samples.
    truth_options, options : dict, optional
        Options of the truth's family and of the fitted family.
    engines, store, n_jobs, scheduler, progress
        As for :func:`~toolkit.studies.convergence`.

    Returns
    -------
    pandas.DataFrame
        One row per (n, rep, engine, parameter): ``estimate``; ``target`` = θ*;
        ``se_model`` (observed information) and ``se_sandwich`` (Huber) at the MLE;
        ``covered_model`` and ``covered_sandwich``, whether θ̂ ± 1.96 SE covers θ*;
        ``kl_true`` = KL(p ‖ q_θ̂) and ``kl_pseudo_true`` = KL(p ‖ q_θ*), its minimum;
        ``status``. ``attrs["pseudo_true"]`` says how θ* was certified.

    Examples
    --------
    >>> from toolkit.studies import misspecification
    >>> frame = misspecification(("negative_binomial", {"mu": 4.0, "alpha": 2.0}), "poisson",
    ...                          sizes=[400], reps=2, seed=3)
    >>> float(round(frame["target"].iloc[0], 12))   # θ* of a Poisson is the mean, 4
    4.0
    """
    study = plan(
        truth,
        family,
        sizes,
        reps,
        seed,
        truth_options=truth_options,
        options=options,
        engines=engines,
    )
    frame = execute(study, store=store, n_jobs=n_jobs, scheduler=scheduler, progress=progress)
    frame.attrs["pseudo_true"] = study.job.context.status
    return frame


def plan(
    truth, family, sizes, reps, seed, *, truth_options=None, options=None, engines=("mle",)
) -> Plan:
    """The misspecification study as a :class:`~toolkit.studies.runner.Plan`."""
    if not (isinstance(truth, tuple | list) and len(truth) == 2):
        raise ValueError(f"truth must be (family, params), got {truth!r}")
    p = law(truth[0], truth[1], truth_options)
    model = law(family, None, options)
    sizes, reps, seed = checks.sizes(sizes, minimum=2), checks.reps(reps), checks.seed(seed)
    engines = check_engines(engines)
    # A fixed seed: θ* must not depend on the study's seed.
    sample = p.simulate(np.random.default_rng(0), START_N)
    start = fit_sample(family, sample, model.options, ("mle",))
    star = pseudo_true(p, family, start.fits["mle"].theta, model.options)
    if not star.certified:
        raise ValueError(
            f"the pseudo-true {family} for {p.describe()} was not found: {star.status}"
        )
    context = Context(p, rule(p), star.law, engines, star.kl, star.status)
    arguments = {
        "truth": p.name,
        "truth_params": p.params,
        "truth_options": p.options,
        "family": model.name,
        "options": model.options,
        "sizes": sizes,
        "reps": reps,
        "seed": seed,
        "engines": engines,
    }
    job = Job(NAME, p.name, seed, _work, _failed, context)
    return Plan(job, grid(sizes, reps), arguments, COLUMNS)


def _work(context: Context, task: Task, rng: np.random.Generator) -> Rows:
    data = context.truth.simulate(rng, task.n)
    model = context.model
    sample = fit_sample(model.name, data, model.options, context.engines, sandwich=True)
    rows = []
    for engine, fit in sample.fits.items():
        kl = kl_divergence(context.truth, context.model.at(fit.theta), context.on)
        status = sample.status(engine)
        rows += _rows(context, task, engine, fit.theta, sample.se, sample.se_sandwich, kl, status)
    return rows


def _failed(context: Context, task: Task, status: str) -> Rows:
    nan = np.full(len(context.model.names), np.nan)
    return [
        row
        for engine in context.engines
        for row in _rows(context, task, engine, nan, nan, nan, np.nan, status)
    ]


def _rows(context, task, engine, theta, se, sandwich, kl, status) -> Rows:
    star = context.model.theta
    gap = np.abs(np.asarray(theta) - star)
    return [
        {
            "n": task.n,
            "rep": task.rep,
            "engine": engine,
            "parameter": name,
            "estimate": float(theta[i]),
            "target": float(star[i]),
            "se_model": float(se[i]),
            "se_sandwich": float(sandwich[i]),
            "covered_model": bool(gap[i] <= Z95 * se[i]),
            "covered_sandwich": bool(gap[i] <= Z95 * sandwich[i]),
            "kl_true": float(kl),
            "kl_pseudo_true": float(context.kl_min),
            "status": status,
        }
        for i, name in enumerate(context.model.names)
    ]
