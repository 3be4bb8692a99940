"""One sample fitted by the engines a study asks for, through the one fitting pipeline.

A study's sample becomes a :class:`~toolkit.problem.Problem` (validated, reduced to
atoms, the family's graph compiled once per process with the data swapped in) and
the chosen engines of the registry run on it in registry order, as in
:func:`toolkit.compare`, which runs them all. ``mle`` alone walks its Newton method
from the family's declared start; listing ``find_map`` first gives it find_map's
point too, as in a comparison. Standard errors are the comparison's: the observed
information at the MLE, and the sandwich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from toolkit.compare import sandwich_covariance, standard_errors
from toolkit.engines import ENGINES, Fit
from toolkit.problem import Problem, make_problem

#: Engines a study of a catalog family may run (``map`` needs a model with priors).
STUDY_ENGINES = ("find_map", "mle", "kl", "closed_form", "scipy")
#: The status of a fit at a certified optimum, off the boundary.
OK = "ok"


@dataclass(frozen=True)
class SampleFit:
    """A sample's problem, its fits by engine and the SEs at the MLE."""

    problem: Problem
    fits: dict[str, Fit]
    se: np.ndarray
    se_sandwich: np.ndarray | None

    def status(self, engine: str) -> str:
        """ "ok" at a certified optimum; otherwise where the fit ended, in words."""
        fit = self.fits[engine]
        return OK if fit.converged else fit.certificate.status


def check_engines(engines: Sequence[str]) -> tuple[str, ...]:
    """The engines in registry order; a ValueError for unknown ones or without ``mle``."""
    engines = tuple(engines)
    unknown = sorted(set(engines) - set(STUDY_ENGINES))
    if unknown or "mle" not in engines:
        raise ValueError(
            f"engines must include 'mle' and come from {list(STUDY_ENGINES)}; got {list(engines)}"
        )
    return tuple(name for name in ENGINES if name in engines)


def fit_sample(
    family: str, data: np.ndarray, options, engines: Sequence[str], *, sandwich: bool = False
) -> SampleFit:
    """Fit ``data`` with ``engines`` (registry order) and the SEs at the MLE."""
    problem = make_problem(family, data, **dict(options))
    fits: dict[str, Fit] = {}
    for name, fit in ENGINES.items():
        if name in engines:
            result = fit(problem, MappingProxyType(fits))
            if result is not None:
                fits[name] = result
    return with_standard_errors(problem, fits, sandwich=sandwich)


def with_standard_errors(problem: Problem, fits: dict[str, Fit], *, sandwich: bool = False):
    """The fits with the model-based SEs at the MLE (and the sandwich SEs when asked)."""
    covariance, _ = standard_errors(problem, fits["mle"])
    huber = None
    if sandwich:
        huber = np.sqrt(np.diag(sandwich_covariance(problem, covariance, fits["mle"].theta)))
    return SampleFit(problem, fits, np.sqrt(np.diag(covariance)), huber)
