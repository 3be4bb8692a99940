"""The convergence study: exact KL to the truth, and Akaike's N · E[KL] → k/2."""

import math

import numpy as np
import pytest

from toolkit.studies import convergence


@pytest.fixture(scope="module")
def normal_study():
    # 150 samples of 4000 from N(1.5, 2²): N·KL(p ‖ q_θ̂) is asymptotically ½χ²₂ (mean 1,
    # sd 1), so the Monte Carlo SE of its mean is about 1/√150 ≈ 0.08, far above the O(1/N)
    # bias of the asymptotics at this N.
    return convergence("normal", sizes=[4000], reps=150, seed=3)


def test_every_fit_is_certified_and_targets_are_the_truth(normal_study):
    assert (normal_study["status"] == "ok").all()
    assert set(normal_study["engine"]) == {"mle"}
    targets = normal_study.groupby("parameter")["target"].unique()
    assert list(targets["mu"]) == [1.5] and list(targets["sigma"]) == [2.0]
    # √ of the inverse Fisher information of the normal: σ for μ, σ/√2 for σ.
    sd = normal_study.groupby("parameter")["asymptotic_sd"].first()
    assert sd["mu"] == pytest.approx(2.0, rel=1e-8)
    assert sd["sigma"] == pytest.approx(math.sqrt(2.0), rel=1e-8)


def test_kl_to_the_truth_is_the_closed_form(normal_study):
    wide = normal_study.pivot_table(index="rep", columns="parameter", values="estimate")
    kl = normal_study.groupby("rep")["kl_true"].first()
    mu, sigma = wide["mu"], wide["sigma"]
    exact = np.log(sigma / 2.0) + (4.0 + (1.5 - mu) ** 2) / (2 * sigma**2) - 0.5
    # Quadrature on the quantile scale: relative error ~1e-11 even for KL ~ 1e-4.
    assert kl.to_numpy() == pytest.approx(exact.to_numpy(), rel=1e-9)


def test_akaike_n_times_mean_kl_is_k_over_2(normal_study):
    per_sample = normal_study.drop_duplicates("rep")
    scaled = per_sample["n"] * per_sample["kl_true"]
    k = int(per_sample["k"].iloc[0])
    se = scaled.std(ddof=1) / math.sqrt(len(scaled))
    assert k == 2
    assert abs(scaled.mean() - k / 2) <= 3 * se  # within 3 Monte Carlo standard errors
    assert 0.05 < se < 0.2  # the MC error itself is what ½χ²₂ predicts (1/√150 ≈ 0.08)


def test_errors_shrink_like_root_n():
    frame = convergence("exponential", sizes=[100, 10000], reps=40, seed=5)
    error = (frame["estimate"] - frame["target"]).abs()
    rms = np.sqrt((error**2).groupby(frame["n"]).mean())
    # RMS error ≈ λ/√N: a ratio of 10 between the sizes. Each RMS over 40 samples has a
    # relative MC error of about 1/√80 ≈ 11 %, so the ratio is within 10 × (1 ± 0.35).
    assert 6.5 < rms[100] / rms[10000] < 13.5
    # ... and each is λ/√N within that error (λ = 0.5).
    assert rms[100] == pytest.approx(0.05, rel=0.35)


def test_a_second_engine_adds_its_rows():
    frame = convergence("exponential", sizes=[300], reps=2, seed=1, engines=("mle", "kl"))
    assert list(frame["engine"]) == ["mle", "kl", "mle", "kl"]
    wide = frame.pivot_table(index="rep", columns="engine", values="estimate")
    assert np.allclose(wide["kl"], wide["mle"], rtol=1e-8)  # the identity, on every sample
