"""The ``scipy`` engine: scipy.stats' own fit of the family, a peer reference."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping

from toolkit.engines.fit import Fit
from toolkit.engines.reference import certified
from toolkit.problem import Problem

NAME = "scipy"


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit | None:
    """None when the family has no scipy.stats fit."""
    if problem.peer_fit is None:
        return None
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theta = problem.peer_fit()
    return certified(problem, NAME, theta, time.perf_counter() - t0, "scipy.stats fit")
