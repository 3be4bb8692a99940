"""A proper prior against the data: the MAP tends to the MLE, the gap shrinking like 1/N.

The log-posterior is ℓ(θ) + log π(θ): the likelihood grows with N, the prior does
not, so the MAP moves off the MLE by about I(θ)⁻¹ ∇log π(θ) / N. Each sample is
fitted as a ``pm.Model`` with the family's distribution and proper priors (the same
model for every sample in a process, its data swapped through a ``pm.Data``
container), by the registry's ``mle`` (priors dropped) and ``map`` (priors kept).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from toolkit.config import settings_context
from toolkit.engines import ENGINES
from toolkit.problem import make_problem
from toolkit.studies import arguments as checks
from toolkit.studies.fitting import OK
from toolkit.studies.laws import Law, law
from toolkit.studies.runner import Job, Plan, Progress, Rows, Task, execute, grid

NAME = "prior"
#: A proper prior for each parameter domain, as (PyMC distribution, keywords).
DEFAULT_PRIORS = {
    "real": ("Normal", {"mu": 0.0, "sigma": 1.0}),
    "positive": ("Gamma", {"alpha": 2.0, "beta": 1.0}),
    "unit": ("Beta", {"alpha": 2.0, "beta": 2.0}),
}
COLUMNS = ("n", "rep", "engine", "parameter", "estimate", "target", "mle", "gap", "status")
#: The models of this process, by (family, options, priors): built and compiled once.
_MODELS: dict[str, Any] = {}


@dataclass(frozen=True)
class Context:
    """What every task shares: the truth and the priors (JSON-able, for the store)."""

    truth: Law
    priors: dict[str, tuple[str, dict[str, float]]]


def prior(
    family: str = "normal",
    sizes: Sequence[int] = (10, 30, 100, 300, 1000, 3000),
    reps: int = 20,
    seed: int = 0,
    *,
    priors: Mapping[str, tuple[str, Mapping[str, float]]] | None = None,
    params: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    store: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
):
    """MAP with proper priors against the MLE on samples of growing size.

    Parameters
    ----------
    family : str
        A catalog family with one value per observation and scalar parameters.
    sizes, reps, seed, params, options
        As for :func:`~toolkit.studies.convergence`.
    priors : dict, optional
        A prior per parameter, ``{"mu": ("Normal", {"mu": 0.0, "sigma": 1.0})}``: a PyMC
        distribution's name and its keywords. Missing parameters get
        :data:`DEFAULT_PRIORS` by domain (real: Normal(0, 1); positive: Gamma(2, 1);
        unit: Beta(2, 2)).
    store, n_jobs, scheduler, progress
        As for :func:`~toolkit.studies.convergence`.

    Returns
    -------
    pandas.DataFrame
        One row per (n, rep, engine, parameter), engines ``mle`` and ``map``:
        ``estimate``, ``target`` (the true value), ``mle`` (the MLE on the same sample),
        ``gap`` = estimate − mle (0 for ``mle``) and ``status``.

    Examples
    --------
    >>> from toolkit.studies import prior
    >>> frame = prior("normal", sizes=[20, 2000], reps=1, seed=2)
    >>> gaps = frame[(frame["engine"] == "map") & (frame["parameter"] == "mu")]
    >>> gap = gaps.set_index("n")["gap"].abs()
    >>> bool(gap[2000] < gap[20] / 20)
    True
    """
    study = plan(family, sizes, reps, seed, priors=priors, params=params, options=options)
    return execute(study, store=store, n_jobs=n_jobs, scheduler=scheduler, progress=progress)


def plan(family, sizes, reps, seed, *, priors=None, params=None, options=None) -> Plan:
    """The prior study as a :class:`~toolkit.studies.runner.Plan`."""
    truth = law(family, params, options)
    sizes, reps, seed = checks.sizes(sizes, minimum=2), checks.reps(reps), checks.seed(seed)
    chosen = _priors(truth, priors or {})
    arguments = {
        "family": truth.name,
        "params": truth.params,
        "options": truth.options,
        "priors": chosen,
        "sizes": sizes,
        "reps": reps,
        "seed": seed,
    }
    job = Job(NAME, truth.name, seed, _work, _failed, Context(truth, chosen))
    return Plan(job, grid(sizes, reps), arguments, COLUMNS)


def _priors(truth: Law, given: Mapping) -> dict[str, tuple[str, dict[str, float]]]:
    unknown = sorted(set(given) - set(truth.family.params))
    if unknown:
        valid = list(truth.family.params)
        raise ValueError(f"priors for unknown parameters {unknown}; {truth.name} has {valid}")
    chosen = {}
    for name, domain in truth.family.domains.items():
        if truth.shapes[name]:
            raise ValueError(f"the prior study takes scalar parameters; {name} is a vector")
        spec = given.get(name, DEFAULT_PRIORS.get(domain))
        if spec is None:
            raise ValueError(f"give a prior for {name} (domain {domain})")
        dist, keywords = spec
        chosen[name] = (str(dist), {k: float(v) for k, v in dict(keywords).items()})
    return chosen


def _model(context: Context):
    """This process's model for the context: built and compiled once, data swapped later."""
    import pymc as pm

    truth = context.truth
    key = json.dumps([truth.name, truth.options, context.priors], sort_keys=True)
    if key not in _MODELS:
        with pm.Model() as model:
            data = pm.Data("x", truth.simulate(np.random.default_rng(0), 2))
            params = {n: getattr(pm, d)(n, **kw) for n, (d, kw) in context.priors.items()}
            arguments = truth.family.pymc_arguments(params, truth.options)
            getattr(pm, truth.family.pymc_dist)("y", **arguments, observed=data)
        _MODELS[key] = model
    return _MODELS[key]


def _work(context: Context, task: Task, rng: np.random.Generator) -> Rows:
    data = context.truth.simulate(rng, task.n)
    model = _model(context)
    model.set_data("x", data)
    with settings_context(n_starts=0):  # one start: the posterior and likelihood are unimodal
        problem = make_problem(model)
        if problem.names != context.truth.names:
            names = f"{problem.names} of the model, {context.truth.names} of the family"
            raise RuntimeError(f"the parameters differ: {names}")
        fits: dict = {}
        for name in ("find_map", "mle", "map"):
            fits[name] = ENGINES[name](problem, MappingProxyType(fits))
    mle = fits["mle"].theta
    rows = []
    for engine in ("mle", "map"):
        fit = fits[engine]
        status = OK if fit.converged else fit.certificate.status
        rows += _rows(context, task, engine, fit.theta, mle, status)
    return rows


def _failed(context: Context, task: Task, status: str) -> Rows:
    nan = np.full(len(context.truth.names), np.nan)
    return [row for e in ("mle", "map") for row in _rows(context, task, e, nan, nan, status)]


def _rows(context, task, engine, theta, mle, status) -> Rows:
    truth = context.truth
    return [
        {
            "n": task.n,
            "rep": task.rep,
            "engine": engine,
            "parameter": name,
            "estimate": float(theta[i]),
            "target": float(truth.theta[i]),
            "mle": float(mle[i]),
            "gap": float(theta[i] - mle[i]),
            "status": status,
        }
        for i, name in enumerate(truth.names)
    ]
