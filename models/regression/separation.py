"""Data whose MLE does not exist: a direction along which the log-likelihood keeps rising.

Both checks solve one linear programme (scipy's HiGHS) on the column-scaled
design: a nonzero direction d with the stated sign pattern of Xd exists exactly
when the coefficients can run off to infinity while the log-likelihood
increases (Albert & Anderson 1984 for the logistic case).
"""

from __future__ import annotations

import numpy as np

#: Objective of the LP (on columns scaled to max |x| = 1, |d| ≤ 1) above which a
#: direction counts as found; β = 0 always gives exactly 0.
LP_TOL = 1e-7


def separation(x: np.ndarray, y: np.ndarray, columns: list[str]) -> str | None:
    """Logistic: some Xd ≥ 0 where y = 1 and ≤ 0 where y = 0, not all zero."""
    s = np.where(y > 0, 1.0, -1.0)
    d = _direction(-(s[:, None] * x), None, x, s)  # maximise Σ s_i x_i·d
    if d is None:
        return None
    margin = s * (x @ d)
    tied = int(np.sum(np.abs(margin) <= 1e-9 * np.max(np.abs(margin))))
    kind = "completely" if tied == 0 else f"quasi-completely ({tied} rows on the boundary)"
    return (
        f"the data are {kind} separated by covariates {_involved(d, columns)}: the MLE "
        "does not exist (the coefficients diverge)"
    )


def zero_counts(x: np.ndarray, y: np.ndarray, columns: list[str]) -> str | None:
    """Counts: some Xd ≤ 0 where y = 0 (not all zero) and Xd = 0 where y > 0."""
    zero = y == 0
    if not zero.any():
        return None
    d = _direction(x[zero], x[~zero], x, np.where(zero, -1.0, 0.0))  # maximise −Σ_0 x_i·d
    if d is None:
        return None
    return (
        f"the zero counts are separated by covariates {_involved(d, columns)} (e.g. all "
        "counts zero, or zero in a whole group): the MLE does not exist (a coefficient "
        "diverges to -inf)"
    )


def _direction(upper, equal, x, weights) -> np.ndarray | None:
    """argmax Σ weights_i x_i·d over |d| ≤ 1 with upper·d ≤ 0 and equal·d = 0, if positive."""
    from scipy.optimize import linprog

    scale = np.max(np.abs(x), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    c = -(weights @ x) / scale
    result = linprog(
        c,
        A_ub=upper / scale,
        b_ub=np.zeros(len(upper)),
        A_eq=None if equal is None or len(equal) == 0 else equal / scale,
        b_eq=None if equal is None or len(equal) == 0 else np.zeros(len(equal)),
        bounds=[(-1.0, 1.0)] * x.shape[1],
        method="highs",
    )
    if result.status != 0 or -result.fun <= LP_TOL * len(x):
        return None
    return result.x / scale


def _involved(d: np.ndarray, columns: list[str]) -> list[str]:
    size = np.abs(d) * 1.0
    return [columns[j] for j in np.flatnonzero(size > 1e-6 * size.max())]
