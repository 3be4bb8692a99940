"""The KL engine's own parametrisation and finite differences."""

import numpy as np
import pytest

from toolkit.engines import numdiff
from toolkit.engines.transforms import Parametrisation


def test_round_trip_every_domain():
    domains = {"mu": "real", "sigma": "positive", "p": "unit", "w": "simplex"}
    shapes = {"mu": (), "sigma": (), "p": (), "w": (3,)}
    par = Parametrisation(domains, shapes)
    assert par.size == 1 + 1 + 1 + 2
    params = {"mu": -1.5, "sigma": 0.2, "p": 0.9, "w": np.array([0.2, 0.5, 0.3])}
    back = par.unpack(par.pack(params))
    for name, value in params.items():
        np.testing.assert_allclose(back[name], value, rtol=1e-14)
    origin = par.unpack(par.origin())
    assert origin["sigma"] == 1.0 and origin["p"] == 0.5
    np.testing.assert_allclose(origin["w"], [1 / 3] * 3)
    assert par.indices(["p", "w"]) == [2, 3, 4]


def test_unknown_domain():
    with pytest.raises(ValueError, match="unknown domain"):
        Parametrisation({"x": "circle"}, {"x": ()}).unpack(np.zeros(1))


def test_five_point_gradient_accuracy():
    # Truncation O(h⁴) plus rounding O(eps/h): about 1e-11 on smooth O(1) functions.
    def f(x):
        return float(np.exp(x[0]) * np.sin(x[1]) + x[0] ** 3)

    x = np.array([0.3, 1.1])
    exact = np.array([np.exp(0.3) * np.sin(1.1) + 3 * 0.09, np.exp(0.3) * np.cos(1.1)])
    np.testing.assert_allclose(numdiff.gradient(f, x), exact, rtol=0, atol=1e-10)
    hess = numdiff.hessian(f, x)
    exact_h = np.array(
        [
            [np.exp(0.3) * np.sin(1.1) + 1.8, np.exp(0.3) * np.cos(1.1)],
            [np.exp(0.3) * np.cos(1.1), -np.exp(0.3) * np.sin(1.1)],
        ]
    )
    # Central differences of step h = 1e-3: truncation O(h²) ≈ 1e-6 here.
    np.testing.assert_allclose(hess, exact_h, rtol=0, atol=1e-5)


def test_ordered_and_cholesky_round_trip():
    domains = {"mu": "ordered", "chol": "cholesky"}
    shapes = {"mu": (3,), "chol": (6,)}
    par = Parametrisation(domains, shapes)
    assert par.size == 3 + 6
    params = {"mu": np.array([-2.0, 0.5, 0.51]), "chol": np.array([1.5, 0.6, 0.8, -0.4, 0.3, 0.5])}
    back = par.unpack(par.pack(params))
    for name, value in params.items():
        np.testing.assert_allclose(back[name], value, rtol=1e-14, atol=1e-15)
    origin = par.unpack(par.origin())
    np.testing.assert_array_equal(origin["mu"], [0.0, 1.0, 2.0])
    # The identity matrix, packed row-major: diagonal at positions 0, 2, 5.
    np.testing.assert_array_equal(origin["chol"], [1.0, 0.0, 1.0, 0.0, 0.0, 1.0])


def test_ordered_is_strictly_increasing_and_cholesky_diagonal_positive(rng):
    par = Parametrisation({"mu": "ordered", "chol": "cholesky"}, {"mu": (4,), "chol": (10,)})
    for _ in range(20):
        values = par.unpack(rng.normal(scale=3.0, size=par.size))
        assert np.all(np.diff(values["mu"]) > 0)
        assert np.all(values["chol"][[0, 2, 5, 9]] > 0)
    # An unordered vector or a negative diagonal has no free coordinates.
    with np.errstate(invalid="ignore"):
        assert not np.all(np.isfinite(par.pack({"mu": [0.0, -1.0, 1, 2], "chol": np.ones(10)})))


def test_cholesky_needs_a_triangle():
    with pytest.raises(ValueError, match="not a packed lower triangle"):
        Parametrisation({"c": "cholesky"}, {"c": (4,)}).unpack(np.zeros(4))


@pytest.mark.parametrize(
    "domains",
    [
        {"a": "positive", "b": "positive"},
        {"a": "real", "b": "real"},
        {"a": "real", "b": "positive", "c": "unit"},
        {"a": "unit", "b": "positive", "c": "real"},
    ],
)
def test_elementwise_to_flat_equals_the_per_variable_path(domains):
    # Parametrisations of real, positive and unit variables take a whole-array path;
    # it gives the per-variable path's values bit for bit, vectors included, and
    # never returns its input.
    from toolkit.engines.transforms import to_natural

    shapes = {name: (3,) if i == 1 else () for i, name in enumerate(domains)}
    par = Parametrisation(domains, shapes)
    z = np.random.default_rng(7).normal(size=par.size)
    expected = np.concatenate(
        [np.ravel(to_natural(d, z[par.coordinates[n]])) for n, d in domains.items()]
    )
    flat = par.to_flat(z)
    assert flat is not z and flat.dtype == float
    np.testing.assert_array_equal(flat, expected)
    np.testing.assert_allclose(par.from_flat(flat), z, rtol=1e-14, atol=1e-15)
