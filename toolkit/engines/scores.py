"""Standard errors from the outer product of per-observation scores (BHHH).

Used only where the observed information says nothing: a parameter in which
the log-density is not smooth (Laplace's location, whose second derivative is
zero almost everywhere). The scores come from the family's independent
density by central differences on the distinct values, weighted by counts.
"""

from __future__ import annotations

import numpy as np

from toolkit.engines.problem import Problem

#: Relative step of the central differences: the scores need ~6 digits, not 12.
STEP = 1e-6


def opg_standard_errors(problem: Problem, estimates: dict[str, float]) -> dict[str, float]:
    """SE of every flat parameter from (Σ counts · s sᵀ)⁻¹, s the per-value score."""
    names = problem.names
    theta = np.array([estimates[name] for name in names])
    atoms, counts = problem.atoms.atoms, problem.atoms.counts
    scores = np.empty((len(atoms), len(names)))
    for i in range(len(names)):
        h = STEP * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        scores[:, i] = (_logq(problem, up) - _logq(problem, down)) / (2 * h)
    information = (scores * counts[:, None]).T @ scores
    covariance = np.linalg.pinv(information)
    return dict(zip(names, np.sqrt(np.diag(covariance)).tolist(), strict=True))


def _logq(problem: Problem, theta: np.ndarray) -> np.ndarray:
    flat = dict(zip(problem.names, theta.tolist(), strict=True))
    return problem.family.logpdf(problem.atoms.atoms, problem.unflatten(flat), problem.options)
