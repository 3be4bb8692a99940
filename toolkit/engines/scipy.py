"""The ``scipy`` engine: scipy.stats' own fit of the family, a peer reference."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping

import numpy as np
from scipy import stats

from toolkit.config import settings
from toolkit.engines.fit import Fit, FitCertificate
from toolkit.engines.reference import certified
from toolkit.problem import Problem

NAME = "scipy"


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit | None:
    """None when the family has no scipy.stats fit; skipped (shown, never counted) above
    ``settings["peer_max_n"]`` observations."""
    if problem.peer_fit is None:
        return None
    if problem.n > settings["peer_max_n"]:
        status = (
            f"skipped: N = {problem.n} is above peer_max_n = {settings['peer_max_n']} "
            "(scipy.stats' fit does not scale), so it never enters the verdict"
        )
        estimates = dict.fromkeys(problem.names, np.nan)
        return Fit(NAME, estimates, FitCertificate(status, False), "scipy.stats fit (skipped)")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theta = problem.peer_fit()
        except stats.FitError as err:  # the peer's own solver gave up: shown, never counted
            status = f"failed: scipy.stats' fit raised {type(err).__name__}: {err}"
            estimates = dict.fromkeys(problem.names, np.nan)
            return Fit(NAME, estimates, FitCertificate(status, False), "scipy.stats fit (failed)")
    return certified(problem, NAME, theta, time.perf_counter() - t0, "scipy.stats fit")
