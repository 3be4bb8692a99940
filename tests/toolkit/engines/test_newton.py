"""The safeguarded Newton method on problems with known minimisers."""

import numpy as np

from toolkit.engines.newton import is_positive_definite, newton_minimise


def rosenbrock(x):
    a, b = x
    f = (1 - a) ** 2 + 100 * (b - a**2) ** 2
    g = np.array([-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)])
    h = np.array([[2 - 400 * (b - 3 * a**2), -400 * a], [-400 * a, 200.0]])
    return f, g, h


def test_rosenbrock_from_the_classic_start():
    # Start (-1.2, 1) is the published one; the minimiser is (1, 1) exactly.
    result = newton_minimise(rosenbrock, np.array([-1.2, 1.0]))
    assert result.converged
    np.testing.assert_allclose(result.x, [1.0, 1.0], rtol=0, atol=1e-12)


def test_badly_scaled_quadratic():
    scales = np.array([1e-6, 1.0, 1e6])
    target = np.array([3.0, -2.0, 5e-7])

    def quadratic(x):
        d = x - target
        return 0.5 * float(d @ (scales * d)), scales * d, np.diag(scales)

    result = newton_minimise(quadratic, np.zeros(3))
    assert result.converged
    np.testing.assert_allclose(result.x, target, rtol=1e-12)


def test_negative_curvature_start_still_descends():
    def double_well(x):
        (v,) = x
        return v**4 - 2 * v**2, np.array([4 * v**3 - 4 * v]), np.array([[12 * v**2 - 4]])

    result = newton_minimise(double_well, np.array([0.1]))
    assert result.converged
    assert abs(abs(result.x[0]) - 1.0) < 1e-12


def test_non_finite_start_is_reported():
    def bad(x):
        return np.nan, np.array([np.nan]), np.array([[1.0]])

    result = newton_minimise(bad, np.array([0.0]))
    assert not result.converged and "not finite" in result.status


def test_positive_definite():
    assert is_positive_definite(np.eye(2))
    assert not is_positive_definite(np.diag([1.0, 0.0]))
    assert not is_positive_definite(np.diag([1.0, -1e-3]))
