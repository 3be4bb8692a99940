"""Reference engines: the family's closed form and scipy.stats' own fit.

Neither has an optimiser of ours behind it, so each gets a certificate by
checking that its answer is a stationary point of KL(p̂ ‖ q_θ): a peer that
stops short of the optimum is shown as such, not counted as agreement.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from toolkit.engines.fit import Fit, FitCertificate
from toolkit.engines.kl import stationarity
from toolkit.engines.nonsmooth import outside_argmax_set
from toolkit.engines.problem import Problem, flatten

#: Largest KL gradient component at which a peer's answer counts as the optimum:
#: 1e-6 per observation moves the estimate by about 1e-6/curvature, far below an SE.
STATIONARY_TOL = 1e-6


def fit_closed_form(problem: Problem) -> Fit | None:
    family = problem.family
    if family.closed_form is None:
        return None
    t0 = time.perf_counter()
    params = family.closed_form(problem.data, problem.options)
    return _certified("closed_form", problem, params, time.perf_counter() - t0, "closed form")


def fit_scipy(problem: Problem) -> Fit | None:
    family = problem.family
    if family.scipy_fit is None:
        return None
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = family.scipy_fit(problem.data, problem.options)
    return _certified("scipy", problem, params, time.perf_counter() - t0, "scipy.stats fit")


def _certified(engine: str, problem: Problem, params: dict, seconds: float, what: str) -> Fit:
    estimates = flatten(params, problem.names)
    grad_norm, at_boundary = stationarity(problem, estimates)
    finite = all(np.isfinite(v) for v in estimates.values())
    outside = outside_argmax_set(problem, estimates) if finite else []
    stationary = finite and grad_norm is not None and grad_norm <= STATIONARY_TOL and not outside
    status = what if stationary else f"{what}: not a stationary point of the KL"
    if outside:
        status = f"{what}: " + "; ".join(outside)
    certificate = FitCertificate(
        status=status,
        converged=stationary,
        grad_norm=grad_norm,
        seconds=seconds,
        at_boundary=at_boundary,
    )
    return Fit(engine, estimates, certificate, what)
