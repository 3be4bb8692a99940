"""Minimising a smooth objective of a free vector, and certifying the minimum.

The studies' own objectives (the pseudo-true cross-entropy, smoothed and reverse
KLs) are functions of function values only. Nelder–Mead gets near a minimum
(it tolerates infinite values where a parameter leaves the region the objective
is defined on); Newton steps on finite-difference derivatives
(:mod:`toolkit.engines.numdiff`) polish it; the end point is certified when the
Hessian there is positive definite (a minimum, not a saddle) and the Newton step
to the stationary point is below ``STEP_TOLERANCE`` in every free coordinate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from toolkit.engines import numdiff
from toolkit.engines.fit import scaled_positive_definite
from toolkit.engines.newton import newton_minimise

#: Largest Newton step to the stationary point, per free coordinate, of a certified
#: minimum: seven digits of a location, or of a scale on its log.
STEP_TOLERANCE = 1e-7


@dataclass(frozen=True)
class Minimum:
    """Where a minimisation ended, the derivatives there and whether it is a certified minimum."""

    x: np.ndarray
    fun: float
    grad: np.ndarray
    hess: np.ndarray
    certified: bool
    status: str


def minimise(objective: Callable[[np.ndarray], float], x0: np.ndarray) -> Minimum:
    """Nelder–Mead from ``x0``, a Newton polish, and the certificate of the end point."""
    x0 = np.asarray(x0, dtype=float)
    with np.errstate(all="ignore"):
        simplex = minimize(
            objective,
            x0,
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 400 * x0.size, "adaptive": True},
        )
        x = simplex.x if np.isfinite(simplex.fun) else x0
        polished = newton_minimise(_derivatives(objective), x, max_iter=30)
    x = polished.x if np.isfinite(polished.fun) else x
    return certify_minimum(objective, x)


def certify_minimum(objective: Callable[[np.ndarray], float], x: np.ndarray) -> Minimum:
    """The derivatives at ``x`` and the verdict: a certified minimum, a saddle, or short of one."""
    with np.errstate(all="ignore"):
        fun, grad, hess = _derivatives(objective)(np.asarray(x, dtype=float))
    finite = np.isfinite(fun) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
    if not finite:
        return Minimum(x, fun, grad, hess, False, "not finite there")
    if not scaled_positive_definite(hess):
        return Minimum(x, fun, grad, hess, False, "a saddle or a flat direction, not a minimum")
    step = np.abs(np.linalg.solve(hess, grad))
    limit = STEP_TOLERANCE * np.maximum(1.0, np.abs(x))
    if np.any(step > limit):
        return Minimum(x, fun, grad, hess, False, f"stopped {step.max():.1g} short of a minimum")
    return Minimum(x, fun, grad, hess, True, "certified minimum")


def _derivatives(objective):
    def fun_grad_hess(x):
        return (
            float(objective(x)),
            numdiff.gradient(objective, x),
            numdiff.hessian(objective, x),
        )

    return fun_grad_hess
