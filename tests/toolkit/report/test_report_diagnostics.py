"""What a report draws beside the estimates, saved with a comparison (report.diagnostics)."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.report.stats import calibration_bins


@pytest.mark.parametrize("index", [0, 1, 2, 3], ids=["linear", "logistic", "nonlinear", "model"])
def test_profile_minimum_is_the_fit_and_matches_the_saved_kl(model_entries, index):
    entry = model_entries[index]
    profiles = entry.profiles
    assert [p.parameter for p in profiles] == list(entry.estimates.index)
    saved_kl = float(entry.by_engine("kl")["mle"])
    saved_nll = -float(entry.by_engine("loglik")["mle"]) / entry.n
    for profile in profiles:
        middle = len(profile.grid) // 2  # the grid's centre is the MLE
        assert profile.grid[middle] == pytest.approx(entry.estimates.loc[profile.parameter, "mle"])
        # evaluated with the problem's own density when saved: the engines' numbers
        assert profile.kl[middle] == pytest.approx(saved_kl, rel=1e-12)
        assert profile.neg_loglik[middle] == pytest.approx(saved_nll, rel=1e-12)
        assert int(np.argmin(profile.kl)) == middle == int(np.argmin(profile.neg_loglik))
        shift = profile.neg_loglik - profile.kl  # the θ-free constant of the identity
        assert np.ptp(shift) <= 1e-12 * np.max(np.abs(profile.kl))


def test_fitted_mean_of_linear_regression_is_x_beta(model_entries):
    entry = model_entries[0]
    x = np.asarray(entry.idata.observed_data["X"].values)
    beta = entry.estimates["mle"].to_numpy()[: x.shape[1]]
    fitted = np.asarray(entry.diagnostics["fitted_mean"].values)
    np.testing.assert_allclose(fitted, x @ beta, rtol=1e-12, atol=1e-12)
    assert entry.design["columns"][1:] == ["x1", "x2"]


def test_logistic_calibration_bins_cover_every_row(model_entries):
    entry = model_entries[1]
    y = np.asarray(entry.idata.observed_data["y"].values, dtype=float)
    cal = calibration_bins(y, np.asarray(entry.diagnostics["fitted_mean"].values))
    assert cal.rows.sum() == entry.n and np.all(np.diff(cal.fitted) >= 0)
    assert np.all((cal.fitted > 0) & (cal.fitted < 1))
    # the MLE of a logistic model with an intercept matches the mean response exactly
    assert np.average(cal.fitted, weights=cal.rows) == pytest.approx(y.mean(), abs=1e-8)


def test_user_model_has_no_design_and_no_sample_figures(model_entries):
    entry = model_entries[3]
    assert entry.design is None and entry.data is None
    assert not entry.has("fitted_mean") and not entry.has("grid_x")
    assert entry.calibration_kind is None and entry.goodness_of_fit == []


def test_one_sample_entries_hold_their_density_and_calibration(entries):
    for entry in entries:
        assert entry.has("grid_x") and entry.calibration_kind in ("QQ", "PP")
        density = np.asarray(entry.diagnostics["grid_density"].values)
        assert np.all(density >= 0) and np.all(np.isfinite(density))
    assert [e.calibration_kind for e in entries] == ["QQ", "QQ", "PP", "QQ"]
