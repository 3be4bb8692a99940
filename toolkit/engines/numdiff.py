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


def gradient_differences(
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    h: float = 0.25,
    shrink: float = 2.0,
    levels: int = 16,
    settled: float = 1e-9,
) -> np.ndarray:
    """Hessian from an exact gradient: each column by Ridders' extrapolation of central
    differences at steps h, h/2, h/4, ... to step 0, symmetrised.

    In coordinates whose unit moves the function by O(1) (whitened coordinates), a
    fixed step is wrong wherever the function stops being quadratic within it (a weakly
    identified direction of a nonlinear model can turn quartic within 1e-4 of a unit);
    extrapolating over a shrinking step finds where it is still smooth, and stops once
    the column has settled, before the gradient's rounding (divided by the step) takes
    over (Ridders 1982; Press et al., Numerical Recipes §5.7, column by column).
    """
    n = len(x)
    hess = np.empty((n, n))
    factor = shrink**2
    for i in range(n):
        e = np.zeros(n)
        best, best_error, previous, step = None, np.inf, [], h
        for level in range(levels):
            e[i] = step
            row = [(np.asarray(grad(x + e)) - np.asarray(grad(x - e))) / (2 * step)]
            power = factor
            for j in range(level):
                row.append((power * row[j] - previous[j]) / (power - 1))
                power *= factor
                error = max(
                    float(np.max(np.abs(row[j + 1] - row[j]))),
                    float(np.max(np.abs(row[j + 1] - previous[j]))),
                )
                if error <= best_error:
                    best, best_error = row[j + 1], error
            if level and best_error <= settled:
                tail = float(np.max(np.abs(row[-1] - previous[-1])))
                if tail >= 2 * best_error:
                    break  # settled at larger steps; rounding takes over from here down
            previous, step = row, step / shrink
        hess[i] = best if best is not None and np.all(np.isfinite(best)) else row[0]
    return 0.5 * (hess + hess.T)
