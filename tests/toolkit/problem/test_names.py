"""Flat parameter vectors and named variables."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.problem.names import unflatten, unflattener


@pytest.mark.parametrize(
    "shapes",
    [{"alpha": (), "beta": ()}, {"mu": (), "beta": (2,), "sigma": ()}, {"w": (2, 2)}],
)
def test_unflattener_equals_unflatten(shapes):
    size = sum(int(np.prod(s)) if s else 1 for s in shapes.values())
    theta = np.arange(1.0, size + 1.0) / 3
    got, expected = unflattener(shapes)(theta), unflatten(theta, shapes)
    assert list(got) == list(expected)
    for name, value in expected.items():
        assert type(got[name]) is type(value)
        np.testing.assert_array_equal(got[name], value)


def test_unflattener_rejects_a_vector_of_the_wrong_length():
    with pytest.raises(ValueError, match="3 values for variables of 2 values"):
        unflattener({"alpha": (), "beta": ()})(np.ones(3))
