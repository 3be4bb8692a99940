"""PSIS-LOO on whole arrays (report.psis) against ArviZ's own loop, ``az.loo``.

The reference is ArviZ 0.23's ``az.loo`` run on the same log-likelihoods in the
same test (a peer library, per observation in a Python loop). Tolerances: the
kernel does the same floating-point steps in the same order except for the
normalisation of the generalised Pareto fit's quadrature weights (negligible
weights are zeroed rather than removed, which may change a sum's last bits), so
agreement is to a few units of rounding: rtol 1e-12 (1e-9 for Pareto k, a
difference of means of log1p of about 1e-2 whose relative rounding is larger).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from toolkit.report.psis import psis_loo


def _az_loo(log_lik: np.ndarray):
    import arviz as az
    import xarray as xr

    draws = log_lik.shape[0]
    idata = az.InferenceData(
        posterior=xr.Dataset({"theta": (("chain", "draw"), np.zeros((1, draws)))}),
        log_likelihood=xr.Dataset({"y": (("chain", "draw", "obs"), log_lik[None])}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the large-k warning: compared as ``warning``
        return az.loo(idata, pointwise=True)


def _normal_log_lik(rng, draws: int, n: int, outliers: int = 0) -> np.ndarray:
    """log N(y_i | mu_s, sigma_s) at draws of a normal posterior; outliers give large k."""
    y = rng.normal(1.0, 2.0, n)
    y[:outliers] = 25.0 + 10.0 * np.arange(outliers)
    mu = rng.normal(y.mean(), 2.0 / np.sqrt(n), draws)
    sigma = np.exp(rng.normal(np.log(y.std()), 1.0 / np.sqrt(2 * n), draws))
    z = (y[None, :] - mu[:, None]) / sigma[:, None]
    return -0.5 * z**2 - np.log(sigma)[:, None] - 0.5 * np.log(2 * np.pi)


def _assert_same(ours, theirs) -> None:
    np.testing.assert_allclose(ours.loo_i, theirs.loo_i.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.pareto_k, theirs.pareto_k.values, rtol=1e-9, atol=1e-12)
    assert ours.elpd_loo == pytest.approx(theirs.elpd_loo, rel=1e-12)
    assert ours.se == pytest.approx(theirs.se, rel=1e-12)
    assert ours.p_loo == pytest.approx(theirs.p_loo, rel=1e-9, abs=1e-10)
    assert (ours.n_samples, ours.n_data_points) == (theirs.n_samples, theirs.n_data_points)
    assert ours.warning == theirs.warning
    assert ours.good_k == theirs.good_k
    assert ours.scale == theirs.scale


@pytest.mark.parametrize(
    ("draws", "n", "outliers"),
    [(500, 300, 0), (500, 200, 3), (1000, 50, 1), (60, 40, 0)],
    ids=["demo-size", "outliers", "more-draws", "few-draws"],
)
def test_psis_loo_equals_arviz(rng, draws, n, outliers):
    log_lik = _normal_log_lik(rng, draws, n, outliers)
    ours, theirs = psis_loo(log_lik), _az_loo(log_lik)
    _assert_same(ours, theirs)
    if outliers:
        assert ours.warning and ours.pareto_k[:outliers].max() > ours.good_k


def test_tails_of_different_lengths_equal_arviz(rng):
    """Rows whose weights span more than a double's range have shorter tails (the cutoff
    is clamped at log(tiny)): 8 draws, 2 draws (too few: k = inf, not smoothed), and the
    usual length for the others; each length is smoothed as its own group."""
    log_lik = _normal_log_lik(rng, 500, 30)
    log_lik[:, 0] = np.linspace(0.0, -50_000.0, 500)[rng.permutation(500)]
    log_lik[:, 1] = np.linspace(0.0, -200_000.0, 500)[rng.permutation(500)]
    ours, theirs = psis_loo(log_lik), _az_loo(log_lik)
    _assert_same(ours, theirs)
    assert np.isinf(ours.pareto_k[1]) and np.isfinite(ours.pareto_k[0])


def test_repeated_observations_equal_arviz(rng):
    """Counts repeat: rows with the same log-likelihood at every draw are smoothed once,
    and every copy gets the same numbers as ArviZ gives each of them."""
    from scipy import stats

    y = rng.poisson(3.0, 300)
    lam = rng.gamma(y.sum(), 1.0 / y.size, 500)
    log_lik = stats.poisson.logpmf(y[None, :], lam[:, None])
    assert np.unique(y).size < 15
    ours, theirs = psis_loo(log_lik), _az_loo(log_lik)
    _assert_same(ours, theirs)
    for value in np.unique(y):  # one number per distinct count
        assert np.unique(ours.loo_i[y == value]).size == 1


def test_psis_loo_refuses_what_is_not_a_draws_by_rows_array():
    with pytest.raises(ValueError, match="draws, observations"):
        psis_loo(np.zeros(10))
    with pytest.raises(ValueError, match="draws, observations"):
        psis_loo(np.zeros((1, 10)))


def test_saved_elpd_is_psis_loo_of_the_saved_posterior(entries):
    """What a comparison saves is PSIS-LOO of its own posterior's row log-likelihoods:
    here recomputed with ArviZ from the exponential fit's saved draws and data."""
    entry = entries[0]
    assert entry.family == "exponential"
    lam = np.asarray(entry.idata.posterior["lam"].values).reshape(-1)
    keep = np.unique(np.linspace(0, lam.size - 1, min(500, lam.size)).astype(int))
    x = entry.data
    log_lik = np.log(lam[keep, None]) - lam[keep, None] * x[None, :]
    theirs = _az_loo(log_lik)
    np.testing.assert_allclose(
        entry.diagnostics["elpd_loo_i"].values, theirs.loo_i.values, rtol=1e-10
    )
    assert entry.elpd["elpd_loo"] == pytest.approx(theirs.elpd_loo, rel=1e-10)
