"""The law of large numbers at work: the MLE of a correct model tends to the true θ.

Samples of growing size are drawn from a family at known parameters and fitted
with the same family. With them: |θ̂ − θ| shrinks like N^(−1/2); √N(θ̂ − θ) tends
to a normal with the inverse Fisher information as covariance; and the KL from the
truth to the fitted model, KL(p ‖ q_θ̂), computed exactly or by quadrature (never by
sampling), has N · E[KL(p ‖ q_θ̂)] → k/2 for k free parameters, which is Akaike's
argument for the penalty k in AIC.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.studies import arguments as checks
from toolkit.studies.fitting import check_engines, fit_sample
from toolkit.studies.laws import Law, Rule, fisher_information, kl_divergence, law, rule
from toolkit.studies.runner import Job, Plan, Progress, Rows, Task, execute, grid

NAME = "convergence"
COLUMNS = (
    "n",
    "rep",
    "engine",
    "parameter",
    "estimate",
    "target",
    "se",
    "asymptotic_sd",
    "kl_true",
    "k",
    "status",
)


@dataclass(frozen=True)
class Context:
    """What every task shares: the true law, its quadrature rule, the engines."""

    truth: Law
    on: Rule
    engines: tuple[str, ...]
    asymptotic_sd: tuple[float, ...]
    k: int


def convergence(
    family: str,
    sizes: Sequence[int] = (100, 1000, 10000),
    reps: int = 100,
    seed: int = 0,
    *,
    params: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    engines: Sequence[str] = ("mle",),
    store: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
):
    """Fit samples of each size drawn from ``family`` at ``params`` with the same family.

    Parameters
    ----------
    family : str
        A catalog family with one value per observation (``klmle families``).
    sizes : sequence of int
        Sample sizes N (sorted; each at least 2).
    reps : int
        Samples per size.
    seed : int
        The study's seed; each sample's generator is keyed by (seed, study, family, N,
        replication), see :mod:`toolkit.studies.seeds`.
    params, options : dict, optional
        True parameters by PyMC name, and family options (default: the family's demo
        parameters and options).
    engines : sequence of str
        Engines to run on every sample (``mle`` required; e.g. ``("mle", "kl")``).
    store, n_jobs, scheduler, progress
        Where to record finished samples, and how to run them: see
        :func:`toolkit.studies.runner.execute`.

    Returns
    -------
    pandas.DataFrame
        One row per (n, rep, engine, parameter): ``estimate``, ``target`` (the true
        value), ``se`` (observed information at the MLE), ``asymptotic_sd`` (√ of the
        diagonal of the inverse Fisher information per observation, at the truth),
        ``kl_true`` = KL(p ‖ q_θ̂) of that engine's fit (exact for discrete families,
        quadrature otherwise), ``k`` (free parameters) and ``status`` ("ok" when the
        fit is certified; otherwise where it ended, or why it failed).

    Examples
    --------
    >>> from toolkit.studies import convergence
    >>> frame = convergence("exponential", sizes=[50, 500], reps=2, seed=1)
    >>> len(frame), sorted(frame["status"].unique()), float(frame["target"].iloc[0])
    (4, ['ok'], 0.5)
    """
    return execute(
        plan(family, sizes, reps, seed, params=params, options=options, engines=engines),
        store=store,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )


def plan(family, sizes, reps, seed, *, params=None, options=None, engines=("mle",)) -> Plan:
    """The convergence study as a :class:`~toolkit.studies.runner.Plan` (nothing run yet)."""
    truth = law(family, params, options)
    sizes, reps, seed = checks.sizes(sizes, minimum=2), checks.reps(reps), checks.seed(seed)
    engines = check_engines(engines)
    on = rule(truth)
    covariance = fisher_information(truth, on)
    k = len(truth.names) - sum(d == "simplex" for d in truth.family.domains.values())
    context = Context(truth, on, engines, tuple(np.sqrt(np.diag(covariance))), k)
    arguments = {
        "family": truth.name,
        "params": truth.params,
        "options": truth.options,
        "sizes": sizes,
        "reps": reps,
        "seed": seed,
        "engines": engines,
    }
    job = Job(NAME, truth.name, seed, _work, _failed, context)
    return Plan(job, grid(sizes, reps), arguments, COLUMNS)


def _work(context: Context, task: Task, rng: np.random.Generator) -> Rows:
    truth = context.truth
    data = truth.simulate(rng, task.n)
    sample = fit_sample(truth.name, data, truth.options, context.engines)
    rows = []
    for engine, fit in sample.fits.items():
        kl = kl_divergence(truth, truth.at(fit.theta), context.on)
        rows += _rows(context, task, engine, fit.theta, sample.se, kl, sample.status(engine))
    return rows


def _failed(context: Context, task: Task, status: str) -> Rows:
    nan = np.full(len(context.truth.names), np.nan)
    return [
        row
        for engine in context.engines
        for row in _rows(context, task, engine, nan, nan, np.nan, status)
    ]


def _rows(context, task, engine, theta, se, kl, status) -> Rows:
    truth = context.truth
    return [
        {
            "n": task.n,
            "rep": task.rep,
            "engine": engine,
            "parameter": name,
            "estimate": float(theta[i]),
            "target": float(truth.theta[i]),
            "se": float(se[i]),
            "asymptotic_sd": context.asymptotic_sd[i],
            "kl_true": float(kl),
            "k": context.k,
            "status": status,
        }
        for i, name in enumerate(truth.names)
    ]
