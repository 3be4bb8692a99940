"""Standard errors from the outer product of per-observation scores (BHHH).

Used where the observed information says nothing: a parameter in which the
log-density is not smooth (Laplace's location, whose second derivative is zero
almost everywhere). The scores come from the problem's own density by central
differences on the atoms, weighted by their counts.
"""

from __future__ import annotations

import numpy as np

from toolkit.problem import Problem

#: Relative step of the central differences: the scores need ~6 digits, not 12.
STEP = 1e-6


def opg_standard_errors(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """SE of every flat parameter from (Σ counts · s sᵀ)⁻¹, s the score of each atom."""
    return np.sqrt(np.diag(np.linalg.pinv(outer_product_of_scores(problem, theta))))


def outer_product_of_scores(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """Σ over rows of s sᵀ (atoms weighted by their counts), s = ∂ log q / ∂θ (natural flat θ)."""
    theta = np.asarray(theta, dtype=float)
    scores = np.empty((len(problem.atoms), theta.size))
    for i in range(theta.size):
        h = STEP * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        scores[:, i] = (problem.logq(up) - problem.logq(down)) / (2 * h)
    return (scores * problem.atoms.counts[:, None]).T @ scores
