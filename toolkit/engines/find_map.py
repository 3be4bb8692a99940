"""The ``find_map`` engine: plain ``pm.find_MAP``, what PyMC gives unpolished.

It runs on the problem's model as declared (flat priors for a catalog family,
so the likelihood; a user's model with its priors, so the posterior), from the
problem's declared start or the model's initial point, with PyMC's defaults
(L-BFGS-B). Its answer is certified by the same rule as every engine's, with
PyMC's exact derivatives of the objective it maximised: an L-BFGS-B run that
stopped short of the optimum is shown as such, with its distance in standard
errors, and is not counted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import pymc as pm

from toolkit.engines.fit import Fit, certify
from toolkit.engines.mle import DENSITY, per_observation
from toolkit.engines.nonsmooth import outside_argmax_set
from toolkit.problem import Problem
from toolkit.problem.names import variable_of
from toolkit.quiet import quiet

NAME = "find_map"


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit:
    """``pm.find_MAP`` from the problem's start; its point, certified."""
    compiled = problem.pymc
    start = problem.unflatten(problem.start) if problem.start is not None else None
    t0 = time.perf_counter()
    with quiet():
        point, raw = pm.find_MAP(
            start=start,
            model=compiled.model,
            progressbar=False,
            return_raw=True,
            include_transformed=True,
        )
    seconds = time.perf_counter() - t0
    z = compiled.to_vector(point)
    derivatives = (
        compiled.posterior_derivatives if problem.has_priors else compiled.loglik_derivatives
    )
    _, grad, hess = per_observation(derivatives, problem.n)(z)
    nonsmooth = compiled.indices({variable_of(p) for p in problem.nonsmooth})
    theta = compiled.natural(z)
    certificate = certify(
        z=z,
        grad=grad,
        hess=hess,
        n=problem.n,
        constrained=compiled.constrained,
        smooth=[i for i in range(z.size) if i not in nonsmooth],
        optimiser=f"scipy L-BFGS-B: {getattr(raw, 'message', 'finished')}",
        problems=outside_argmax_set(problem, theta),
        boundary=problem.degenerate(theta) if problem.degenerate is not None else None,
        iterations=int(getattr(raw, "nit", 0)),
        evaluations=int(getattr(raw, "nfev", 0)),
        seconds=seconds,
    )
    estimates = dict(zip(problem.names, theta.tolist(), strict=True))
    objective = "posterior" if problem.has_priors else "likelihood"
    return Fit(NAME, estimates, certificate, DENSITY, {"z": z}, objective)
