"""Parameters in which the log-density is not smooth (Laplace's location).

Derivative-based certificates say nothing about such a parameter, so each
engine moves it by a one-dimensional derivative-free search and the
certificate checks it against the problem's set of maximisers instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize_scalar

from toolkit.problem import Problem

#: Slack of the set-membership check, relative to the parameter's magnitude:
#: the one-dimensional searches stop at about 1e-11 absolute.
SET_TOL = 1e-9


def line_search_coordinates(
    objective: Callable[[np.ndarray], float], z: np.ndarray, coords: list[int], method: str
) -> np.ndarray:
    """Minimise ``objective`` along each coordinate in ``coords`` in turn."""
    z = np.array(z, dtype=float)
    for i in coords:

        def along(t, i=i):
            trial = z.copy()
            trial[i] = t
            return objective(trial)

        step = 1e-3 * (1.0 + abs(z[i]))
        result = minimize_scalar(
            along, bracket=(z[i] - step, z[i] + step), method=method, options={"xtol": 1e-14}
        )
        if result.fun <= along(z[i]):
            z[i] = result.x
    return z


def outside_argmax_set(problem: Problem, theta: np.ndarray) -> list[str]:
    """Sentences for each estimate (natural flat ``theta``) outside the declared maximisers."""
    values = dict(zip(problem.names, np.asarray(theta, dtype=float).tolist(), strict=True))
    sentences = []
    for name, (lo, hi) in problem.argmax_sets.items():
        slack = SET_TOL * max(1.0, abs(lo), abs(hi))
        if not lo - slack <= values[name] <= hi + slack:
            sentences.append(
                f"{name} = {values[name]:.12g} is outside the maximisers [{lo:.12g}, {hi:.12g}]"
            )
    return sentences
