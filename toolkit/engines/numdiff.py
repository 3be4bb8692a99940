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


def central_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5):
    """Three-point central-difference gradient: 2 evaluations per coordinate.

    Error O(h²) + O(eps/h): about 1e-10 on a function whose unit of ``x`` moves it by O(1)
    (whitened coordinates), enough to walk towards an optimum.
    """
    g = np.empty_like(x, dtype=float)
    for i in range(len(x)):
        e = np.zeros_like(x, dtype=float)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def second_differences(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4):
    """Hessian by second differences of function values: 2n² + 1 evaluations.

    Error O(h²) + O(eps/h²): about 1e-8 relative to unit curvature at h = 1e-4, in
    coordinates whose unit moves the function by O(1) (whitened coordinates).
    """
    n = len(x)
    f0 = f(x)
    hess = np.empty((n, n))
    eye = np.eye(n) * h
    up = [f(x + eye[i]) for i in range(n)]
    down = [f(x - eye[i]) for i in range(n)]
    for i in range(n):
        hess[i, i] = (up[i] - 2 * f0 + down[i]) / h**2
        for j in range(i):
            mixed = (
                f(x + eye[i] + eye[j])
                - f(x + eye[i] - eye[j])
                - f(x - eye[i] + eye[j])
                + f(x - eye[i] - eye[j])
            ) / (4 * h**2)
            hess[i, j] = hess[j, i] = mixed
    return hess
