"""Goodness of fit, information criteria and KL profiles as a report reads them (report.stats)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from toolkit.report import stats as report_stats
from toolkit.report.diagnostics import PROFILE_POINTS


def test_correct_digits():
    assert report_stats.correct_digits(np.array([2.0]), np.array([2.0])) == 16.0
    assert report_stats.correct_digits(np.array([1.001]), np.array([1.0])) == pytest.approx(3.0)
    # the worst parameter counts
    worst = report_stats.correct_digits(np.array([1.0, 2.02]), np.array([1.0, 2.0]))
    assert worst == pytest.approx(2.0)


def test_anderson_darling_matches_scipy(rng):
    # Reference: scipy.stats.anderson(x, "norm") evaluates A² at the sample mean
    # and the ddof=1 standard deviation; the same formula must give the same value.
    x = np.sort(rng.normal(size=200))
    dist = stats.norm(x.mean(), x.std(ddof=1))
    ours = report_stats.anderson_darling(x, dist.cdf)
    assert ours == pytest.approx(
        stats.anderson(x, "norm", method="interpolate").statistic, rel=1e-10
    )


def test_merge_small_cells_keeps_totals():
    observed = np.array([1.0, 3.0, 20.0, 30.0, 4.0, 1.0, 1.0])
    expected = np.array([0.5, 2.0, 22.0, 29.0, 5.0, 0.8, 0.7])
    o, e = report_stats.merge_small_cells(observed, expected)
    assert o.sum() == observed.sum() and e.sum() == pytest.approx(expected.sum())
    assert np.all(e >= 5.0)


def test_information_criteria(entries):
    entry = entries[3]  # normal: two free parameters
    loglik = float(entry.by_engine("loglik")["mle"])
    ic = report_stats.information_criteria_kn(entry.k_free, entry.n, loglik)
    assert ic["k"] == 2
    assert ic["AIC"] == pytest.approx(4 - 2 * loglik)
    assert ic["BIC"] == pytest.approx(2 * np.log(entry.n) - 2 * loglik)


def test_goodness_of_fit_kinds(entries):
    continuous, discrete = entries[0], entries[2]
    rows = continuous.goodness_of_fit
    assert [r[0].split()[0] for r in rows] == [
        "Kolmogorov–Smirnov",
        "Cramér–von",
        "Anderson–Darling",
    ]
    (chi,) = discrete.goodness_of_fit
    assert chi[0] == "Pearson χ²" and 0 <= chi[2] <= 1  # Poisson data under a Poisson model


def test_profiles_differ_by_a_constant_and_share_the_minimum(entries):
    for entry in entries:
        profiles = entry.profiles
        assert [p.parameter for p in profiles] == list(entry.estimates.index)
        centre = PROFILE_POINTS // 2
        for p in profiles:
            # the grid's centre is the MLE itself; both curves are lowest there
            assert p.grid[centre] == pytest.approx(entry.estimates.loc[p.parameter, "mle"])
            assert np.argmin(p.kl) == centre and np.argmin(p.neg_loglik) == centre
            # KL = −H(p̂) − ℓ/N: the gap is θ-free up to rounding (values are O(1))
            assert np.ptp(p.neg_loglik - p.kl) < 1e-12


def test_digits_of_a_set_valued_mle_count_the_whole_set():
    # Laplace at even N: any location between the middle order statistics is an MLE,
    # so an engine inside that interval has all its digits right, whatever the midpoint.
    import toolkit
    from toolkit.report import entry_from_comparison
    from toolkit.report.tables import closed_form_digits

    x = np.random.default_rng(1).laplace(1.0, 2.0, 500)
    cmp = toolkit.compare("laplace", x)
    lo, hi = cmp.problem.argmax_sets["mu"]
    assert lo < hi and cmp.estimates.loc["mu", "mle"] != cmp.estimates.loc["mu", "closed_form"]
    entry = entry_from_comparison(cmp, key="c0", dataset="d", source="s")
    digits = closed_form_digits(entry)
    assert digits["mle"] >= 10 and digits["kl"] >= 8
    # The overview's largest |Δθ|/SE follows the verdict's rule: inside the set is agreement.
    from toolkit.report.tables import max_se_difference

    assert cmp.agree
    assert max_se_difference(entry)["kl"] <= cmp.tolerance
    assert max_se_difference(entry).equals(cmp.max_se_difference)


def test_chi_square_of_a_saturated_model_says_why_there_is_no_test():
    # Bernoulli at N = 2000 (the case): both cells expect hundreds, so nothing is
    # merged; one fitted parameter for two cells leaves no degree of freedom. The p̂ = 0.285
    # fit reproduces the counts: χ² = 0.
    observed = np.array([1430.0, 570.0])
    name, stat, p, note = report_stats.chi_square(observed, np.array([0.715, 0.285]), 1)
    assert name == "Pearson χ²" and stat == pytest.approx(0.0, abs=1e-20) and np.isnan(p)
    assert note == "no test: 2 cells and 1 fitted parameter leave 0 degrees of freedom"
    assert "expected" not in note  # never "too few cells with expected ≥ 5"


def test_chi_square_names_merged_cells_and_counts_degrees_of_freedom():
    # Poisson(3) counts: the upper tail is merged until every cell expects 5 or more.
    probs = stats.poisson(3.0).pmf(np.arange(10))
    observed = np.round(300 * probs)
    _, stat, p, note = report_stats.chi_square(observed, probs, 1)
    cells = int(note.split()[0])
    assert cells < 10 and note == f"{cells} cells, df {cells - 2}"
    assert stat == pytest.approx(
        stats.chisquare(*report_stats.merge_small_cells(observed, observed.sum() * _tail(probs)),
                        ddof=1).statistic, rel=1e-12)  # fmt: skip
    assert 0 < p <= 1
    # Too few cells once merged: said with the merging, no p-value.
    _, stat, p, note = report_stats.chi_square(np.array([3.0, 2.0, 1.0]), probs[:3], 1)
    assert np.isnan(p) and "after merging cells expecting fewer than 5" in note


def _tail(probs: np.ndarray) -> np.ndarray:
    """The pmf with the last cell made the upper tail, as chi_square does."""
    out = probs.copy()
    out[-1] = 1.0 - probs[:-1].sum()
    return out
