"""Parameters in which the log-density is not smooth (Laplace's location).

Derivative-based certificates say nothing about such a parameter, so each
engine moves it by a one-dimensional derivative-free search and the
certificate checks it against the family's set of maximisers instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize_scalar

from toolkit.engines.problem import Problem

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


def outside_argmax_set(problem: Problem, estimates: dict[str, float]) -> list[str]:
    """Sentences for each estimate that lies outside the family's set of maximisers."""
    family = problem.family
    if family.argmax_set is None:
        return []
    problems = []
    for name, (lo, hi) in family.argmax_set(problem.data, problem.options).items():
        value = estimates[name]
        slack = SET_TOL * max(1.0, abs(lo), abs(hi))
        if not lo - slack <= value <= hi + slack:
            problems.append(
                f"{name} = {value:.12g} is outside the maximisers [{lo:.12g}, {hi:.12g}]"
            )
    return problems
