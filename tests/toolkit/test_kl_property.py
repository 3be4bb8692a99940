"""Property: for any count vector, the direct KL minimiser is the MLE."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit

K = 4  # one compiled categorical graph serves every example


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=60), min_size=K, max_size=K))
def test_categorical_kl_minimiser_is_mle(counts):
    data = np.repeat(np.arange(K), counts)
    cmp = toolkit.compare("categorical", data, k=K)
    exact = np.array(counts) / sum(counts)
    # Both engines at the closed-form MLE: mle to Newton's rounding, kl to BFGS on
    # five-point differences (≈1e-9 in probability).
    np.testing.assert_allclose(cmp.estimates["mle"].to_numpy(), exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cmp.estimates["kl"].to_numpy(), exact, rtol=1e-6, atol=1e-8)
    assert cmp.agree


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=25), min_size=2, max_size=40))
def test_poisson_kl_minimiser_is_mle(values):
    data = np.array(values, dtype=float)
    if np.all(data == 0):
        data[0] = 1.0  # the MLE is on the boundary at all zeros (tested elsewhere)
    cmp = toolkit.compare("poisson", data)
    assert (
        cmp.estimates.loc["mu", "mle"] == np.float64(data.mean())
        or abs(cmp.estimates.loc["mu", "mle"] / data.mean() - 1) < 1e-12
    )
    assert abs(cmp.estimates.loc["mu", "kl"] / data.mean() - 1) < 1e-8
