"""Exact and certified reference values for the ``pm.Model`` comparison tests.

Sources
-------
Misra1a: NIST Statistical Reference Datasets, nonlinear regression, "Misra1a"
(lower difficulty; Misra, D., NIST, 1978, dental research monomolecular
adsorption study), https://www.itl.nist.gov/div898/strd/nls/data/misra1a.shtml.
Data, published starting values and certified values (11 significant digits)
are copied from that page; :func:`misra1a_mpmath` recomputes the optimum in
50-digit arithmetic as a check that the data were reproduced exactly.

Quadratic regression: least squares solved in 50-digit arithmetic (mpmath) from
the normal equations, which are exact at that precision.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

MISRA1A_Y = np.array(
    [
        10.07,
        14.73,
        17.94,
        23.93,
        29.61,
        35.18,
        40.02,
        44.82,
        50.76,
        55.05,
        61.01,
        66.40,
        75.47,
        81.78,
    ]
)
MISRA1A_X = np.array(
    [
        77.6,
        114.9,
        141.1,
        190.8,
        239.9,
        289.0,
        332.8,
        378.4,
        434.8,
        477.3,
        536.8,
        593.1,
        689.1,
        760.0,
    ]
)
#: NIST starting values ("Start 1", "Start 2") and certified estimates.
MISRA1A_START1 = {"b1": 500.0, "b2": 1.0e-4}
MISRA1A_START2 = {"b1": 250.0, "b2": 5.0e-4}
MISRA1A_CERTIFIED = {"b1": 2.3894212918e02, "b2": 5.5015643181e-04}
#: NIST certified residual sum of squares.
MISRA1A_RSS = 1.2455138894e-01


def least_squares_mpmath(design: np.ndarray, y: np.ndarray, dps: int = 50) -> list[mp.mpf]:
    """β̂ = (XᵀX)⁻¹Xᵀy in ``dps``-digit arithmetic from the float64 inputs as given."""
    with mp.workdps(dps):
        x = mp.matrix([[mp.mpf(float(v)) for v in row] for row in design])
        yy = mp.matrix([mp.mpf(float(v)) for v in y])
        beta = mp.lu_solve(x.T * x, x.T * yy)
        return [beta[i] for i in range(design.shape[1])]


def rss_mpmath(design: np.ndarray, y: np.ndarray, beta, dps: int = 50) -> mp.mpf:
    """Residual sum of squares at ``beta`` in ``dps``-digit arithmetic."""
    with mp.workdps(dps):
        total = mp.mpf(0)
        for row, yi in zip(design, y, strict=True):
            fitted = mp.fsum(mp.mpf(float(a)) * b for a, b in zip(row, beta, strict=True))
            r = mp.mpf(float(yi)) - fitted
            total += r * r
        return total


def misra1a_mpmath(dps: int = 50) -> tuple[mp.mpf, mp.mpf]:
    """Misra1a least squares by Newton's method in ``dps``-digit arithmetic."""
    with mp.workdps(dps):
        xs = [mp.mpf(float(v)) for v in MISRA1A_X]
        ys = [mp.mpf(float(v)) for v in MISRA1A_Y]

        def residuals(b1, b2):
            return [y - b1 * (1 - mp.exp(-b2 * x)) for x, y in zip(xs, ys, strict=True)]

        def rss(b1, b2):
            return mp.fsum(r * r for r in residuals(b1, b2))

        b = mp.findroot(
            [lambda b1, b2: mp.diff(lambda a: rss(a, b2), b1),
             lambda b1, b2: mp.diff(lambda a: rss(b1, a), b2)],
            (mp.mpf(MISRA1A_CERTIFIED["b1"]), mp.mpf(MISRA1A_CERTIFIED["b2"])),
        )  # fmt: skip
        return b[0], b[1]


def lre(estimate: float, reference) -> float:
    """Log relative error: the number of correct significant digits (NIST's LRE)."""
    with mp.workdps(50):
        ref = mp.mpf(reference)
        err = abs(mp.mpf(float(estimate)) - ref)
        if err == 0:
            return 17.0
        return float(-mp.log10(err / abs(ref)))
