"""The scipy peer: its own solver's failure is shown and never counted, never raised."""

from dataclasses import replace

import numpy as np
from scipy import stats

import toolkit
from toolkit.compare import compare_problem
from toolkit.engines import scipy as scipy_engine
from toolkit.problem import make_problem


def test_a_failed_peer_fit_is_shown_not_raised(rng):
    # scipy.stats.beta.fit raised FitSolverError on data near 1e-20 (issue 10).
    def gives_up():
        raise stats.FitError("the iteration is not making good progress")

    problem = replace(make_problem("beta", rng.beta(2.0, 5.0, size=200)), peer_fit=gives_up)
    fit = scipy_engine.fit(problem, {})
    assert fit.certificate.status.startswith("failed: scipy.stats' fit raised FitError")
    assert not fit.converged and np.all(np.isnan(fit.theta))
    cmp = compare_problem(problem)  # the other engines still compare, and agree
    assert isinstance(cmp, toolkit.Comparison) and cmp.agree
    assert any(r.startswith("scipy: not counted (failed: ") for r in cmp.reasons), cmp.reasons
