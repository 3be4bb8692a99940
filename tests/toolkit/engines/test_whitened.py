"""The kl engine's derivative-free optimiser in coordinates of any scale.

A location in the data's units (1e8, 1e40) moves the objective by nothing at a step of
1e-3: the whitening must lengthen its probe until the objective changes beyond
rounding, and map the derivatives back without dropping the short coordinates.
"""

import numpy as np
import pytest

from toolkit.engines import numdiff, whitened

#: The objective's hidden size: a KL is a cross-entropy of this size minus its entropy
#: estimate, so it rounds at eps·20 although its value is O(1) or less.
HIDDEN = 20.0


def _quadratic(centre, scales):
    """½ Σ ((x − centre)/scales)², computed as (HIDDEN + q) − HIDDEN like a KL."""
    centre, scales = np.asarray(centre, dtype=float), np.asarray(scales, dtype=float)

    def objective(x):
        return (HIDDEN + 0.5 * np.sum(((x - centre) / scales) ** 2)) - HIDDEN

    return objective


@pytest.mark.parametrize("scale", [1.0, 1e5, 1e8, 1e20, 1e40])
def test_derivatives_resolve_a_location_in_any_units(scale):
    centre, scales = np.array([2.9 * scale, 0.5]), np.array([scale, 1.0])
    (grad, hess), (_, whitened_hess) = whitened.derivatives(_quadratic(centre, scales), centre)
    # In whitened coordinates the Hessian is the identity to the second differences'
    # accuracy (1e-8 relative at unit curvature, plus rounding of HIDDEN): 1e-4 is slack.
    np.testing.assert_allclose(np.linalg.eigvalsh(whitened_hess), 1.0, atol=1e-4)
    # Mapped back, each coordinate keeps its own curvature 1/scale², the long one and
    # the short one (a pseudo-inverse would drop the short one next to 1e40).
    np.testing.assert_allclose(np.diag(hess), 1.0 / scales**2, rtol=1e-4)
    assert np.all(np.abs(grad * scales) < 1e-6)


@pytest.mark.parametrize("scale", [1e5, 1e8, 1e40])
def test_minimise_walks_to_a_far_location(scale):
    centre, scales = np.array([2.9 * scale, 0.5]), np.array([scale, 1.0])
    start = centre + np.array([3.0 * scale, 2.0])  # three units of each coordinate away
    result = whitened.minimise(_quadratic(centre, scales), start)
    # To the rounding of the objective (eps·HIDDEN in ½u², so u to about 1e-7).
    assert np.all(np.abs((result.x - centre) / scales) < 1e-6), result
    assert result.minimum and result.grad_norm < 1e-6


def test_gradient_differences_find_the_curvature_where_the_function_turns_quartic():
    # ½t² + 1e8·t⁴ along the first axis: curvature 1 at 0, but a central difference of the
    # gradient at step h = 1e-3 sees 1 + 4e8·h² = 401 (a weakly identified direction of a
    # nonlinear model, as in NIST's Bennett5). Ridders' extrapolation finds 1.
    def gradient(x):
        return np.array([x[0] + 4e8 * x[0] ** 3, 2.0 * x[1]])

    hess = numdiff.gradient_differences(gradient, np.zeros(2))
    np.testing.assert_allclose(hess, np.diag([1.0, 2.0]), atol=1e-8)
    fixed = (gradient(np.array([1e-3, 0.0])) - gradient(np.array([-1e-3, 0.0])))[0] / 2e-3
    assert fixed == pytest.approx(401.0)  # what one fixed step would have said


def test_minimise_with_an_exact_gradient_polishes_below_function_rounding():
    # Function values round at eps·HIDDEN; the exact gradient does not carry that
    # rounding, so the polish gets the point to the gradient's own rounding.
    centre, scales = np.array([2.9e5, 0.5]), np.array([1e5, 1.0])
    objective = _quadratic(centre, scales)

    def gradient(x):
        return (x - centre) / scales**2

    start = centre + np.array([3e5, 2.0])
    result = whitened.minimise(objective, start, gradient=gradient)
    assert np.all(np.abs((result.x - centre) / scales) < 1e-12), result
    assert result.minimum


def _plateau(x):
    """½x₀² + e^(−x₁) + HIDDEN − HIDDEN: for x₁ ≫ 1 flat to the right, rising to the left."""
    return (HIDDEN + 0.5 * x[0] ** 2 + np.exp(-x[1])) - HIDDEN


def test_measure_names_a_direction_flat_on_one_side():
    at_plateau = whitened.measure(_plateau, np.array([0.0, 60.0]))
    assert at_plateau.flat.shape[1] == 1
    direction = at_plateau.flat[:, 0]
    assert abs(direction[1]) > 1e3 * abs(direction[0])  # along x₁
    centre, scales = np.array([2.9, 0.5]), np.array([1.0, 1e-3])
    strict = whitened.measure(_quadratic(centre, scales), centre)
    assert strict.flat.shape[1] == 0
