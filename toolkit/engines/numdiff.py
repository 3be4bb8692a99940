"""Finite-difference derivatives of order four (five-point central stencils)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Step that balances truncation (h⁴) and rounding (eps/h) for an O(1) function.
STEP = np.finfo(float).eps ** (1 / 5)


def gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = STEP) -> np.ndarray:
    """Five-point central-difference gradient; error O(h⁴) + O(eps/h)."""
    g = np.empty_like(x, dtype=float)
    for i in range(len(x)):
        step = h * max(1.0, abs(x[i]))
        e = np.zeros_like(x, dtype=float)
        e[i] = step
        g[i] = (f(x - 2 * e) - 8 * f(x - e) + 8 * f(x + e) - f(x + 2 * e)) / (12 * step)
    return g


def hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Central differences of the five-point gradient, symmetrised."""
    n = len(x)
    hess = np.empty((n, n))
    for i in range(n):
        step = h * max(1.0, abs(x[i]))
        e = np.zeros(n)
        e[i] = step
        hess[i] = (gradient(f, x + e) - gradient(f, x - e)) / (2 * step)
    return 0.5 * (hess + hess.T)
