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


def _mixture_cdf(entry):
    """The normal mixture's CDF at the MLE, Σ w_k Φ((x − μ_k)/σ_k), from scipy."""
    from scipy import stats

    est = entry.estimates["mle"]
    w, mu, sigma = (est[[f"{v}[0]", f"{v}[1]"]].to_numpy() for v in ("w", "mu", "sigma"))
    return lambda x: np.sum(w * stats.norm.cdf((np.asarray(x)[..., None] - mu) / sigma), axis=-1)


def test_a_family_without_scipy_quantiles_gets_a_qq_plot(more_entries):
    # gaussian_mixture has no scipy distribution: its quantiles are its own density
    # integrated on a grid of 40001 points over 11 data spans and inverted. Reference:
    # the scipy mixture CDF inverted by brentq. A quantile read off that grid is within
    # one grid step of the exact one (the integral itself is accurate to far less).
    from scipy import optimize

    entry = next(e for e in more_entries if e.family == "gaussian_mixture")
    assert entry.calibration_kind == "QQ"
    x = np.sort(entry.data)
    cdf = _mixture_cdf(entry)
    levels = (np.arange(1, x.size + 1) - 0.5) / x.size
    exact = [optimize.brentq(lambda t, p=p: cdf(t) - p, -100, 100, xtol=1e-14) for p in levels]
    step = 11 * (x[-1] - x[0]) / 40000
    np.testing.assert_allclose(entry.diagnostics["calibration_model"].values, exact, atol=step)
    np.testing.assert_array_equal(entry.diagnostics["calibration_data"].values, x)


def test_a_family_without_scipy_cdf_gets_the_edf_tests(more_entries):
    # KS, Cramér–von Mises and Anderson–Darling as for every continuous family, from the
    # integrated density. Reference: scipy's kstest and cramervonmises on the exact CDF.
    # The trapezoid CDF (20001 points over 11 spans) is within (b − a) h² max|f''| / 12 of
    # the exact one; max|f''| ≤ Σ w_k φ''(0)/σ_k³; D moves by no more than the CDF does.
    from scipy import stats

    entry = next(e for e in more_entries if e.family == "gaussian_mixture")
    x = np.sort(entry.data)
    cdf = _mixture_cdf(entry)
    rows = {name: (statistic, p) for name, statistic, p, _ in entry.goodness_of_fit}
    assert list(rows) == ["Kolmogorov–Smirnov D", "Cramér–von Mises W²", "Anderson–Darling A²"]
    est = entry.estimates["mle"]
    sigma = est[["sigma[0]", "sigma[1]"]].to_numpy()
    w = est[["w[0]", "w[1]"]].to_numpy()
    length = 11 * (x[-1] - x[0])
    bound = length * (length / 20000) ** 2 * float(np.sum(w * 0.3990 / sigma**3)) / 12
    assert rows["Kolmogorov–Smirnov D"][0] == pytest.approx(stats.kstest(x, cdf).statistic,
                                                            abs=bound)  # fmt: skip
    # W² = 1/(12N) + Σ (F(x_i) − (2i−1)/2N)²: each term moves by at most 2·bound
    assert rows["Cramér–von Mises W²"][0] == pytest.approx(
        stats.cramervonmises(x, cdf).statistic, abs=2 * bound * x.size
    )
    assert 0 < rows["Kolmogorov–Smirnov D"][1] <= 1
