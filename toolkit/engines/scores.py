"""Standard errors from the outer product of per-observation scores (BHHH).

Used where the observed information says nothing: a parameter in which the
log-density is not smooth (Laplace's location, whose second derivative is zero
almost everywhere). The scores come from the problem's own density by central
differences on the atoms, weighted by their counts.
"""

from __future__ import annotations

import numpy as np

from toolkit.problem import Problem
from toolkit.problem.names import variable_of

#: Domains whose values are a size of their own (the step is relative to the value).
_RELATIVE = ("positive", "unit", "simplex")

#: Relative step of the central differences: the scores need ~6 digits, not 12.
STEP = 1e-6


def opg_standard_errors(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """SE of every flat parameter from (Σ counts · s sᵀ)⁻¹, s the score of each atom."""
    information = outer_product_of_scores(problem, theta)
    if not np.all(np.isfinite(information)):  # the density overflowed a step away: unknown
        return np.full(information.shape[0], np.inf)
    return np.sqrt(np.diag(np.linalg.pinv(information)))


def outer_product_of_scores(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """Σ over rows of s sᵀ (atoms weighted by their counts), s = ∂ log q / ∂θ (natural flat θ)."""
    theta = np.asarray(theta, dtype=float)
    scores = np.empty((len(problem.atoms), theta.size))
    steps = _steps(problem, theta)
    for i in range(theta.size):
        h = steps[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        scores[:, i] = (problem.logq(up) - problem.logq(down)) / (2 * h)
    return (scores * problem.atoms.counts[:, None]).T @ scores


def _steps(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """Steps in the units of the data, where the declaration says which parameters are sizes.

    A size (positive, a probability) steps by STEP of itself, a location by STEP of the
    smallest size, which is at most its scale (a shape such as Student's nu is a size too):
    data in units of 1e-10 give a Laplace location and scale near 1e-10, which a step of
    1e-6 would jump across. Never below the rounding of the value itself.
    """
    if problem.domains is None:
        return STEP * np.maximum(1.0, np.abs(theta))
    relative = np.array([problem.domains.get(variable_of(n)) in _RELATIVE for n in problem.names])
    sizes = np.abs(theta[relative & (theta != 0)])
    scale = float(np.min(sizes)) if sizes.size else 1.0
    steps = np.where(relative & (theta != 0), STEP * np.abs(theta), STEP * scale)
    return np.maximum(steps, 64 * np.finfo(float).eps * np.abs(theta))
