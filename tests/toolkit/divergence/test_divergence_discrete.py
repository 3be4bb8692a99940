"""Tests of toolkit.divergence.discrete: entropy, cross-entropy and KL of pmfs."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats

from toolkit.divergence import (
    cross_entropy,
    empirical_atoms,
    entropy,
    kl_divergence,
    kl_from_logq,
)

EPS = np.finfo(np.float64).eps

counts_st = st.lists(st.integers(0, 1000), min_size=1, max_size=30).filter(lambda c: sum(c) > 0)


def _pmf(raw):
    raw = np.asarray(raw, dtype=np.float64)
    return raw / raw.sum()


@st.composite
def weights_and_logq(draw, q_zeros=True):
    """Empirical weights from counts, and log q of a random pmf over the same atoms.

    With ``q_zeros``, q may be 0 (log q = -inf) on atoms whose weight is 0.
    """
    counts = np.array(draw(counts_st), dtype=np.int64)
    w = counts / counts.sum()
    raw = np.array(
        draw(st.lists(st.floats(1e-6, 1e3), min_size=len(w), max_size=len(w))), dtype=float
    )
    if q_zeros:
        drop = np.array(draw(st.lists(st.booleans(), min_size=len(w), max_size=len(w))))
        raw[drop & (counts == 0)] = 0.0
    q = _pmf(raw)
    with np.errstate(divide="ignore"):
        return w, np.log(q)


@given(weights_and_logq())
def test_kl_plus_entropy_is_cross_entropy(wl):
    w, logq = wl
    kl, h, ce = kl_from_logq(w, logq), entropy(w), cross_entropy(w, logq)
    # kl, h and ce are correctly rounded sums of the same products, so the
    # identity holds to a few roundings u = eps/2 of the magnitudes involved:
    # |(kl + h) - ce| <= u(|kl| + h + 2|ce|) <= 2 eps (|kl| + h + |ce|).
    assert abs((kl + h) - ce) <= 2 * EPS * (abs(kl) + h + abs(ce))


@given(weights_and_logq())
def test_kl_from_logq_matches_kl_divergence(wl):
    w, logq = wl
    q = np.exp(logq)
    assume(abs(math.fsum(q) - 1.0) <= 1e-12 * len(q))
    # Two formulas (log w - log q versus log(w/q)), each accurate to a few
    # roundings of the terms w|log w| and w|log q|.
    scale = 1.0 + entropy(w) + cross_entropy(w, logq)
    assert kl_from_logq(w, logq) == pytest.approx(kl_divergence(w, q), abs=16 * EPS * scale)


@given(counts_st)
def test_kl_of_a_pmf_with_itself_is_zero(counts):
    p = _pmf(counts)
    assert kl_divergence(p, p) == 0.0
    assert kl_from_logq(p, np.log(np.where(p > 0, p, 1.0))) == 0.0


@given(counts_st, st.lists(st.floats(0.0, 1e3), min_size=30, max_size=30))
def test_gibbs_inequality(counts, raw):
    p = _pmf(counts)
    raw = np.asarray(raw[: len(p)])
    assume(raw.sum() > 0)
    q = _pmf(raw)
    kl = kl_divergence(p, q)
    assert kl >= 0.0
    assert (kl == math.inf) == bool(np.any((p > 0) & (q == 0)))


def test_known_values():
    assert entropy([0.5, 0.5]) == math.log(2)
    assert entropy(np.full(3, 1 / 3)) == pytest.approx(math.log(3), abs=4 * EPS)
    # Bernoulli(a) to Bernoulli(b)
    a, b = 0.3, 0.6
    exact = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    assert kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(exact, rel=4 * EPS)
    assert cross_entropy([0.25, 0.75], np.log([0.5, 0.5])) == math.log(2)


def test_point_mass_and_zero_weights():
    assert entropy([1.0]) == 0.0
    assert math.copysign(1.0, entropy([0.0, 1.0, 0.0])) == 1.0  # +0.0, not -0.0
    w = np.array([0.0, 1.0])
    logq = np.array([-np.inf, 0.0])
    assert cross_entropy(w, logq) == 0.0
    assert kl_from_logq(w, logq) == 0.0
    assert kl_divergence([0.0, 1.0], [1.0, 0.0]) == math.inf


def test_positive_weight_on_impossible_atom_is_infinite():
    w = np.array([0.5, 0.5])
    logq = np.array([0.0, -np.inf])
    assert cross_entropy(w, logq) == math.inf
    assert kl_from_logq(w, logq) == math.inf


def test_log_densities_are_allowed_and_not_clipped():
    # A density above 1 (log q > 0): the "KL" is negative but the identity holds.
    w = np.array([0.5, 0.5])
    logq = np.array([1.0, 2.0])
    assert cross_entropy(w, logq) == -1.5
    assert kl_from_logq(w, logq) == pytest.approx(-math.log(2) - 1.5, rel=4 * EPS)


def test_tiny_q_does_not_overflow():
    q = np.array([1.0, 5e-324])  # p/q overflows a double for the second term
    p = np.array([0.5, 0.5])
    exact = 0.5 * math.log(0.5) + 0.5 * (math.log(0.5) - math.log(5e-324))
    assert kl_divergence(p, q) == pytest.approx(exact, rel=4 * EPS)


def test_huge_terms_sum_without_error():
    big = np.finfo(np.float64).max
    w = np.array([0.5 + 4e-13, 0.5 + 4e-13])  # sums to 1 within the tolerance, not exactly
    assert cross_entropy(w, [-big, -big]) == math.inf  # exact sum exceeds the largest double
    assert cross_entropy([0.5, 0.5], [-big, big]) == 0.0


def test_mle_identity_on_raw_poisson_observations(rng):
    # The project's check: KL(p̂ ‖ q) + H(p̂) = -ℓ/N with ℓ over raw observations.
    x = rng.poisson(3.7, size=100_000)
    ea = empirical_atoms(x)
    for mu in (3.7, 1.0, 12.0):
        loglik = math.fsum(stats.poisson.logpmf(x, mu).tolist())
        logq = stats.poisson.logpmf(ea.atoms, mu)
        kl = kl_from_logq(ea.weights, logq)
        assert kl + entropy(ea.weights) == pytest.approx(-loglik / x.size, rel=1e-13)
        assert kl >= 0


def test_mle_identity_with_a_continuous_model_on_rounded_data(rng):
    x = np.round(rng.normal(0.5, 2.0, size=50_000), 1)
    ea = empirical_atoms(x)
    loglik = float(np.sum(stats.norm.logpdf(x, 0.4, 1.9)))
    kl = kl_from_logq(ea.weights, stats.norm.logpdf(ea.atoms, 0.4, 1.9))
    assert kl + entropy(ea.weights) == pytest.approx(-loglik / x.size, rel=1e-13)


def test_mle_minimises_kl_over_a_categorical():
    ea = empirical_atoms([0, 1, 1, 2, 2, 2, 2, 3])
    best = kl_from_logq(ea.weights, np.log(ea.weights))
    assert best == 0.0
    for q in ([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.5, 0.2]):
        assert kl_from_logq(ea.weights, np.log(q)) > best


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: entropy([0.5, 0.6]), ValueError, "sum to 1"),
        (lambda: entropy([1.5, -0.5]), ValueError, "negative"),
        (lambda: entropy([]), ValueError, "non-empty 1-D"),
        (lambda: entropy([[0.5, 0.5]]), ValueError, "non-empty 1-D"),
        (lambda: entropy([np.nan, 1.0]), ValueError, "non-finite"),
        (lambda: entropy(["a"]), TypeError, "real numbers"),
        (lambda: cross_entropy([0.5, 0.5], [0.0]), ValueError, "shape"),
        (lambda: cross_entropy([0.5, 0.5], [0.0, np.nan]), ValueError, "NaN"),
        (lambda: kl_from_logq([0.5, 0.5], [0.0, np.inf]), ValueError, r"\+inf"),
        (lambda: kl_divergence([0.5, 0.5], [1.0]), ValueError, "same shape"),
        (lambda: kl_divergence([0.5, 0.5], [0.5, 0.6]), ValueError, "q must sum to 1"),
    ],
)
def test_invalid_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_normalisation_tolerance_scales_with_length():
    n = 1000
    p = np.full(n, 1.0 / n)
    p[0] += 0.5e-12 * n  # off by half the tolerance: accepted
    assert entropy(p) == pytest.approx(math.log(n), rel=1e-9)
    p[0] += 1e-12 * n  # now beyond it
    with pytest.raises(ValueError, match="sum to 1"):
        entropy(p)
