"""Certificates for answers that come from no optimiser of ours (a closed form, a peer).

Such an answer is certified by the same rule as every engine's, at its own
point, with PyMC's exact derivatives of the data log-likelihood: a peer that
stops short of the optimum is shown as such, not counted as agreement.
"""

from __future__ import annotations

import numpy as np

from toolkit.engines.fit import Fit, certify
from toolkit.engines.mle import per_observation
from toolkit.engines.nonsmooth import outside_argmax_set
from toolkit.problem import Problem
from toolkit.problem.names import variable_of


def certified(problem: Problem, engine: str, theta: np.ndarray, seconds: float, what: str) -> Fit:
    """The fit of natural flat ``theta``, certified at its point; ``what`` names its source."""
    compiled = problem.pymc
    theta = np.asarray(theta, dtype=float)
    finite = bool(np.all(np.isfinite(theta)))
    z = compiled.to_z(theta) if finite else np.full(compiled.size, np.nan)
    _, grad, hess = per_observation(compiled.loglik_derivatives, problem.n)(z)
    nonsmooth = compiled.indices({variable_of(p) for p in problem.nonsmooth})
    certificate = certify(
        z=z,
        grad=grad,
        hess=hess,
        n=problem.n,
        constrained=compiled.constrained,
        smooth=[i for i in range(compiled.size) if i not in nonsmooth],
        optimiser=what,
        problems=outside_argmax_set(problem, theta) if finite else [],
        boundary=problem.degenerate(theta) if finite and problem.degenerate else None,
        seconds=seconds,
    )
    estimates = dict(zip(problem.names, theta.tolist(), strict=True))
    return Fit(engine, estimates, certificate, what, {"z": z})
