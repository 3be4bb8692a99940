"""The ``map`` engine: the log-posterior with the model's own priors, for models that have them.

The same safeguarded Newton method as ``mle`` (from find_map's point and every
start), on PyMC's compiled derivatives of the log-posterior without the
Jacobian term. Reported beside the MLE, never judged against it: the priors'
pull, (MAP − MLE)/SE, is the point.
"""

from __future__ import annotations

from collections.abc import Mapping

from toolkit.engines.fit import Fit
from toolkit.engines.mle import maximise
from toolkit.problem import Problem

NAME = "map"


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit | None:
    """None unless the model has proper priors."""
    if not problem.has_priors:
        return None
    return maximise(problem, problem.pymc.posterior_derivatives, NAME, fits)
