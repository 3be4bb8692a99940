"""The one-sample studies: smoothing (σ² = s² + h²), the reverse KL, and the optimiser."""

import numpy as np
import pytest

from toolkit.studies import bimodal_sample, reverse, smoothing
from toolkit.studies.optimise import STEP_TOLERANCE, certify_minimum, minimise

BANDWIDTHS = [0.01, 0.1, 0.5, 2.0]


@pytest.fixture(scope="module")
def sample():
    return np.random.default_rng(12).normal(1.5, 2.0, size=200)


@pytest.fixture(scope="module")
def smoothed(sample):
    return smoothing("normal", sample, BANDWIDTHS)


def test_normal_on_a_gaussian_kde_has_sigma2_s2_plus_h2(sample, smoothed):
    # Exact: p̂_h has mean x̄ and variance s² + h² (s² with divisor N), and the normal
    # closest in KL matches both. Tolerance: the minimum is certified to a Newton step of
    # 1e-7 in μ and in log σ (2e-7 in σ²); the grid quadrature adds ~1e-12.
    kde = smoothed[smoothed["smoother"] == "kde"].pivot_table(
        index="bandwidth", columns="parameter", values="estimate"
    )
    h = kde.index.to_numpy()
    assert kde["sigma"].to_numpy() ** 2 == pytest.approx(sample.var() + h**2, rel=3e-7)
    assert kde["mu"].to_numpy() == pytest.approx(np.full(h.size, sample.mean()), abs=2e-7)


def test_the_gap_to_the_mle_closes_as_h_shrinks(sample, smoothed):
    assert (smoothed["status"] == "ok").all()
    mle = smoothed.groupby("parameter")["mle"].first()
    assert mle["mu"] == pytest.approx(sample.mean(), rel=1e-12)
    for (smoother, name), rows in smoothed.groupby(["smoother", "parameter"]):
        gaps = rows.set_index("bandwidth")["gap"].abs()
        if (smoother, name) == ("kde", "mu"):  # μ = x̄ for every h: no gap at all
            assert (gaps < 1e-9).all()
            continue
        assert gaps[min(BANDWIDTHS)] < gaps[max(BANDWIDTHS)], (smoother, name)
        assert gaps[min(BANDWIDTHS)] < 1e-3, (smoother, name)
    kde_sigma = smoothed.query("smoother == 'kde' and parameter == 'sigma'")["gap"]
    assert np.all(np.diff(kde_sigma.to_numpy()) > 0)  # √(s² + h²) − s grows with h


def test_reverse_sits_on_a_mode_and_forward_between():
    data = bimodal_sample(400, seed=0)  # equal modes at −3 and 3, each N(·, 0.8²)
    frame = reverse("normal", data, 0.3)
    assert (frame["status"] == "ok").all()
    wide = frame.pivot_table(
        index=["direction", "optimum"], columns="parameter", values=["estimate", "kl"], sort=False
    )
    forward = wide.loc[("forward", 0)]
    assert abs(forward[("estimate", "mu")]) < 0.5  # between the modes, ...
    assert forward[("estimate", "sigma")] > 2.5  # ... wide enough to cover both
    best = wide.loc["reverse"].sort_values(("kl", "mu")).iloc[:2]
    assert sorted(np.round(best[("estimate", "mu")])) == [-3, 3]  # one optimum per mode
    assert (best[("estimate", "sigma")] < 1.2).all()  # each as narrow as a mode
    # For a component of an equal, well-separated mixture KL(q ‖ p) ≈ log 2: a check of
    # scale, loose because p̂_h is a smoothed sample, not the mixture.
    assert np.allclose(best[("kl", "mu")], np.log(2), atol=0.15)
    ends = frame.attrs["ends"]
    assert ends["starts"] >= 4 and ends["certified minima"] >= 2


def test_a_saddle_is_not_certified_and_a_minimum_is():
    def saddle(u):
        return u[0] ** 2 - u[1] ** 2

    assert "saddle" in certify_minimum(saddle, np.zeros(2)).status

    def bowl(u):
        return (u[0] - 1) ** 2 + 2 * (u[1] + 2) ** 2 + 0.5 * u[0] * u[1]

    found = minimise(bowl, np.zeros(2))
    assert found.certified and found.status == "certified minimum"
    exact = np.linalg.solve([[2.0, 0.5], [0.5, 4.0]], [2.0, -8.0])
    assert found.x == pytest.approx(exact, abs=10 * STEP_TOLERANCE)


def test_smoothing_refuses_discrete_families_and_bad_bandwidths(sample):
    with pytest.raises(ValueError, match="discrete"):
        smoothing("poisson", np.arange(20.0), [0.1])
    with pytest.raises(ValueError, match="positive"):
        smoothing("normal", sample, [0.0])
    with pytest.raises(ValueError, match="smoothers"):
        smoothing("normal", sample, [0.1], smoothers=["spline"])
