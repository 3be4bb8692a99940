"""A scaled, safeguarded Newton method for smooth minimisation.

Used to polish a starting point (``pm.find_MAP``'s answer, say) until the
gradient is at the level of rounding. Each step solves with the Hessian whose
eigenvalues are floored at a small fraction of the largest (so directions of
negative or zero curvature still descend), then backtracks until the objective
decreases (Armijo). The iteration stops when the Newton decrement reaches the
level the objective's rounding allows; near that level, where function values
can no longer judge a step, a full step is taken only if it shrinks the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EPS = np.finfo(float).eps


@dataclass(frozen=True)
class NewtonResult:
    x: np.ndarray
    fun: float
    grad: np.ndarray
    hess: np.ndarray
    status: str
    converged: bool
    iterations: int
    evaluations: int


def newton_minimise(
    fun_grad_hess: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int = 100,
    decrement_tol: float = 1e-24,
) -> NewtonResult:
    """Minimise from ``x0``; ``fun_grad_hess`` returns (f, gradient, Hessian).

    ``decrement_tol`` bounds λ² = gᵀH⁻¹g, the second-order estimate of twice
    the distance f(x) − f*: at 1e-24 on an O(1) objective the parameters are
    within about 1e-12 of the optimum in the metric of the Hessian.
    """
    x = np.array(x0, dtype=float)
    f, g, h = fun_grad_hess(x)
    evaluations = 1
    if not np.isfinite(f) or not np.all(np.isfinite(g)):
        return NewtonResult(x, f, g, h, "objective not finite at start", False, 0, evaluations)
    for iteration in range(1, max_iter + 1):
        step = -_modified_solve(h, g)
        decrement = float(-g @ step)
        if decrement <= decrement_tol:
            return NewtonResult(x, f, g, h, "converged", True, iteration - 1, evaluations)
        if decrement <= 100 * EPS * max(1.0, abs(f)):
            # The predicted decrease is below the objective's rounding error, so
            # function values cannot judge a step: the gradient norm does.
            trial = x + step
            ft, gt, ht = fun_grad_hess(trial)
            evaluations += 1
            if not (np.isfinite(ft) and np.linalg.norm(gt) < np.linalg.norm(g)):
                status = "converged (rounding limit)"
                return NewtonResult(x, f, g, h, status, True, iteration, evaluations)
            x, f, g, h = trial, ft, gt, ht
            continue
        t, accepted = 1.0, False
        while t > 1e-12:
            trial = x + t * step
            ft, gt, ht = fun_grad_hess(trial)
            evaluations += 1
            if np.isfinite(ft) and ft < f - 1e-4 * t * decrement:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            return NewtonResult(x, f, g, h, "line search failed", False, iteration, evaluations)
        x, f, g, h = trial, ft, gt, ht
    return NewtonResult(x, f, g, h, "iteration limit", False, max_iter, evaluations)


def _modified_solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve H s = g with H's eigenvalues made positive (|λ|, floored)."""
    values, vectors = np.linalg.eigh(0.5 * (h + h.T))
    top = max(np.max(np.abs(values)), EPS)
    floored = np.maximum(np.abs(values), 1e-13 * top)
    return vectors @ ((vectors.T @ g) / floored)


def is_positive_definite(h: np.ndarray) -> bool:
    """Smallest eigenvalue above rounding relative to the largest."""
    values = np.linalg.eigvalsh(0.5 * (h + h.T))
    return bool(values.min() > 1e3 * EPS * max(abs(values.max()), EPS))
