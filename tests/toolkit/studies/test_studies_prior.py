"""The prior study: MAP against MLE, a gap that fades like 1/N."""

import numpy as np
import pytest

from toolkit.studies import prior


@pytest.fixture(scope="module")
def pulled():
    # Normal(1.5, 2²) data, priors μ ~ N(0, 1) and σ ~ Gamma(2, 1) (the defaults).
    return prior("normal", sizes=[10, 100, 1000, 10000], reps=5, seed=6)


def test_map_satisfies_its_stationarity_condition(pulled):
    # At the joint MAP, ∂/∂μ [ℓ − μ²/2] = 0 gives μ = N x̄ / (N + σ²) exactly, with x̄ the
    # MLE of μ and σ the MAP's. The fits are certified to a Newton step of 1e-6 SE
    # (SE of μ ≈ σ/√N), which bounds the difference.
    assert (pulled["status"] == "ok").all()
    wide = pulled.pivot_table(
        index=["n", "rep"], columns=["engine", "parameter"], values="estimate"
    )
    n = wide.index.get_level_values("n").to_numpy()
    sigma = wide[("map", "sigma")].to_numpy()
    expected = n * wide[("mle", "mu")].to_numpy() / (n + sigma**2)
    assert np.all(np.abs(wide[("map", "mu")].to_numpy() - expected) <= 2e-6 * sigma / np.sqrt(n))


def test_the_gap_shrinks_like_one_over_n(pulled):
    maps = pulled[(pulled["engine"] == "map") & (pulled["parameter"] == "mu")]
    scaled = (maps["n"] * maps["gap"].abs()).groupby(maps["n"]).mean()
    # N·|gap| → |x̄| σ² ≈ 1.5 × 4 = 6; with 5 samples its MC error at N ≥ 1000 is ~3 %.
    assert scaled[10000] == pytest.approx(scaled[1000], rel=0.15)
    assert scaled[10000] == pytest.approx(6.0, rel=0.15)
    mles = pulled[pulled["engine"] == "mle"]
    assert (mles["gap"] == 0).all()


def test_priors_are_checked():
    with pytest.raises(ValueError, match="unknown parameters"):
        prior("normal", sizes=[10], reps=1, priors={"tau": ("Normal", {"mu": 0, "sigma": 1})})
    with pytest.raises(ValueError, match="scalar parameters"):
        prior("categorical", sizes=[10], reps=1)
