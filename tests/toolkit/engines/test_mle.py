"""The mle engine's own pieces (its fits are tested through compare)."""

from __future__ import annotations

import numpy as np

from toolkit.engines.mle import remembered


def test_remembered_evaluates_each_of_the_last_points_once():
    calls = []

    def objective(z):
        calls.append(z.copy())
        return float(z @ z), 2 * z, 2 * np.eye(z.size)

    last_two = remembered(objective, size=2)
    a, b, c = np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-16 * 4]), np.array([0.0, 1.0])
    assert b[1] != a[1]
    first = last_two(a)
    assert last_two(a.copy()) is first  # the same bits: the same answer, not recomputed
    last_two(b)  # one unit in the last place away: a new point
    assert len(calls) == 2
    last_two(c)  # a third point pushes out the oldest
    last_two(a)
    assert len(calls) == 4
    np.testing.assert_array_equal(calls[-1], a)
