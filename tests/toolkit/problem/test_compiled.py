"""The compiled model's graphs: the same numbers as PyMC's own way of building them."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytest
from pymc.pytensorf import join_nonshared_inputs

from toolkit.problem.compiled import _on_vector


@pytest.fixture
def model(rng):
    """Scalar, vector and matrix free variables, two of them transformed."""
    x = rng.normal(size=(30, 3))
    y = x @ np.array([1.0, -0.5, 0.2]) + rng.normal(0.0, 0.3, 30)
    with pm.Model() as model:
        alpha = pm.Normal("alpha", 0.0, 5.0)
        beta = pm.Normal("beta", 0.0, 2.0, shape=3)
        scales = pm.HalfNormal("scales", 1.0, shape=(2, 2))
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("y", alpha + pm.math.dot(x, beta), sigma, observed=y)
        pm.Normal("w", 0.0, scales, observed=rng.normal(size=(10, 2, 2)))
    return model


def test_one_vector_z_gives_pymcs_numbers(model, rng):
    """A scalar variable read as z[i] (not a slice reshaped): the same log-probability,
    gradient and Hessian as PyMC's ``join_nonshared_inputs`` at any z."""
    point = model.initial_point()
    logp = model.logp(jacobian=False)
    ours, z = _on_vector(point, [logp], model.value_vars)
    theirs, z_pymc = join_nonshared_inputs(point, [logp], model.value_vars)
    assert z.type == z_pymc.type

    def derivatives(logp, z):
        grad = pytensor.gradient.grad(logp, z)
        hess = pytensor.gradient.jacobian(grad, z, vectorize=True)
        return pytensor.function([z], [logp, grad, hess])

    f, g = derivatives(ours[0], z), derivatives(theirs[0], z_pymc)
    for _ in range(3):
        at = rng.normal(0.0, 0.5, z.type.shape[0])
        for a, b in zip(f(at), g(at), strict=True):
            # rtol: rounding of the same sums in differently fused loops
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)
