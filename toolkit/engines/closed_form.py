"""The ``closed_form`` engine: the textbook MLE formula, where the family has one."""

from __future__ import annotations

import time
from collections.abc import Mapping

from toolkit.engines.fit import Fit
from toolkit.engines.reference import certified
from toolkit.problem import Problem

NAME = "closed_form"


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit | None:
    """None when the problem has no closed form."""
    if problem.closed_form is None:
        return None
    t0 = time.perf_counter()
    theta = problem.closed_form()
    return certified(problem, NAME, theta, time.perf_counter() - t0, "closed form")
