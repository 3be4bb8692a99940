"""The catalog adapter: a family and a sample -> a problem."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.problem import make_problem


@pytest.mark.parametrize(
    "name, data",
    [
        ("poisson", np.random.default_rng(1).poisson(3.0, 500)),  # repeated values
        ("gamma", np.random.default_rng(2).gamma(2.0, 1.5, 500)),  # all distinct
        ("mv_normal", np.random.default_rng(3).normal(size=(200, 2))),  # rows of two values
    ],
)
def test_every_rows_density_is_its_values(name, data):
    """Each row's log-density (PSIS-LOO's input) is the family's density at that row,
    whether it is read through the distinct values or computed for the rows."""
    problem = make_problem(name, data)
    theta = np.asarray(problem.closed_form() if problem.closed_form else problem.start) * 1.05
    params = problem.unflatten(theta)
    expected = problem.declaration.logpdf(data, params, problem.options)
    np.testing.assert_array_equal(problem.row_logq(theta), expected)
