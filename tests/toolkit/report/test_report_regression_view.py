"""A regression entry rebuilt from its saved data (toolkit.report.regression_view)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.report.regression_view import calibration_bins, kl_profiles, regression_view


@pytest.mark.parametrize("index", [0, 1], ids=["linear", "logistic"])
def test_profile_minimum_is_the_fit_and_matches_the_saved_kl(model_entries, index):
    entry = model_entries[index]
    view = regression_view(entry)
    mle, se = entry.estimates["mle"].to_dict(), entry.se.to_dict()
    profiles = kl_profiles(view, mle, se)
    assert [p.parameter for p in profiles] == list(entry.estimates.index)
    saved_kl = float(entry.by_engine("kl")["mle"])
    saved_nll = -float(entry.by_engine("loglik")["mle"]) / entry.n
    for profile in profiles:
        middle = len(profile.grid) // 2  # the grid's centre is the MLE
        # recomputed from the .nc data with the family's numpy density: same numbers as the
        # engines' (to rounding of a mean of 300 terms)
        assert profile.kl[middle] == pytest.approx(saved_kl, rel=1e-12)
        assert profile.neg_loglik[middle] == pytest.approx(saved_nll, rel=1e-12)
        assert int(np.argmin(profile.kl)) == middle == int(np.argmin(profile.neg_loglik))
        shift = profile.neg_loglik - profile.kl  # the θ-free constant of the identity
        assert np.ptp(shift) <= 1e-12 * np.max(np.abs(profile.kl))


def test_fitted_mean_of_linear_regression_is_x_beta(model_entries):
    entry = model_entries[0]
    view = regression_view(entry)
    beta = entry.estimates["mle"].to_numpy()[: view.x.shape[1]]
    np.testing.assert_allclose(view.fitted_mean, view.x @ beta, rtol=1e-12, atol=1e-12)
    assert view.covariates[0] == ["x1", "x2"]


def test_logistic_calibration_bins_cover_every_row(model_entries):
    view = regression_view(model_entries[1])
    cal = calibration_bins(view.y, view.fitted_mean)
    assert cal.rows.sum() == view.n and np.all(np.diff(cal.fitted) >= 0)
    assert np.all((cal.fitted > 0) & (cal.fitted < 1))
    # the MLE of a logistic model with an intercept matches the mean response exactly
    assert np.average(cal.fitted, weights=cal.rows) == pytest.approx(view.y.mean(), abs=1e-8)


def test_user_model_is_not_a_regression(model_entries):
    with pytest.raises(ValueError, match="not a regression entry"):
        regression_view(model_entries[3])
    with pytest.raises(ValueError, match="no univariate problem"):
        _ = model_entries[3].problem
