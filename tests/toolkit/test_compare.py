"""The comparison on every catalog family: recovery, agreement, accuracy, identities."""

import math

import numpy as np
import pytest
from catalog_fits import N, catalog_comparison

import toolkit
from models import families
from models.regression.declaration import RegressionFamily
from toolkit.compare import judge
from toolkit.divergence import entropy, entropy_estimate
from toolkit.engines.nonsmooth import SET_TOL
from toolkit.problem.names import flatten

FAMILIES = [name for name, f in families().items() if not isinstance(f, RegressionFamily)]
CLOSED_FORM = [name for name in FAMILIES if families()[name].has_closed_form]
DISCRETE = [name for name in FAMILIES if families()[name].discrete]


def lre(estimate: float, reference: float) -> float:
    """Log relative error: the number of correct significant digits (capped at 16)."""
    if estimate == reference:
        return 16.0
    scale = abs(reference) if reference != 0 else 1.0
    return min(16.0, -math.log10(abs(estimate - reference) / scale))


def flat_truth(name: str) -> dict[str, float]:
    family = families()[name]
    cmp = catalog_comparison(name)
    values = [np.ravel(v).tolist() for v in family.demo_params.values()]
    return dict(zip(cmp.estimates.index, [v for vs in values for v in vs], strict=True))


@pytest.mark.parametrize("name", FAMILIES)
def test_contract_shapes(name):
    cmp = catalog_comparison(name)
    assert list(cmp.estimates.index) == list(cmp.problem.names)
    assert {"find_map", "mle", "kl"} <= set(cmp.estimates.columns)
    assert list(cmp.se.index) == list(cmp.estimates.index)
    assert set(cmp.loglik.index) == set(cmp.kl.index) == set(cmp.estimates.columns)
    assert isinstance(cmp.agree, bool)


@pytest.mark.parametrize("name", FAMILIES)
def test_recovers_true_parameters(name):
    # The MLE is within 5 standard errors of the truth: a 5-sigma band fails by chance
    # with probability ~6e-7 per parameter.
    cmp = catalog_comparison(name)
    truth = flat_truth(name)
    for param, se in cmp.se.items():
        if not np.isfinite(se):
            # Only a declared non-smooth parameter may lack an observed-information SE.
            assert param.split("[")[0] in families()[name].nonsmooth
            continue
        assert abs(cmp.estimates.loc[param, "mle"] - truth[param]) <= 5 * se, param


@pytest.mark.parametrize("name", FAMILIES)
def test_mle_and_kl_agree(name):
    cmp = catalog_comparison(name)
    assert cmp.agree, cmp.reasons
    assert cmp.fits["mle"].converged and cmp.fits["kl"].converged
    assert cmp.fits["mle"].certificate.hessian_pd


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_closed_form_digits(name):
    # Issue target: mle ≥ 10 correct digits, kl ≥ 8, against the closed form at N=2000.
    cmp = catalog_comparison(name)
    sets = cmp.problem.argmax_sets
    for param in cmp.estimates.index:
        if param in sets:
            # A set-valued MLE (Laplace's location at even N): both engines inside the set,
            # up to the 1-D searches' stopping tolerance (SET_TOL, relative).
            lo, hi = sets[param]
            slack = SET_TOL * max(1.0, abs(lo), abs(hi))
            for engine in ("mle", "kl"):
                assert lo - slack <= cmp.estimates.loc[param, engine] <= hi + slack, engine
            continue
        reference = cmp.estimates.loc[param, "closed_form"]
        assert lre(cmp.estimates.loc[param, "mle"], reference) >= 10, param
        assert lre(cmp.estimates.loc[param, "kl"], reference) >= 8, param


@pytest.mark.parametrize("name", DISCRETE)
def test_discrete_identity_to_rounding(name):
    # KL(p̂‖q) + H(p̂) = −ℓ/N exactly; ℓ summed over raw observations with fsum.
    cmp = catalog_comparison(name)
    problem = cmp.problem
    for engine in cmp.estimates.columns:
        params = problem.unflatten(cmp.fits[engine].theta)
        loglik = math.fsum(problem.declaration.logpdf(problem.data, params, problem.options))
        lhs = cmp.kl[engine] + entropy(problem.atoms.weights)
        assert lhs == pytest.approx(-loglik / N, rel=1e-13, abs=1e-15), engine


@pytest.mark.parametrize("name", FAMILIES)
def test_kl_engine_minimises_kl_not_loglik(name):
    cmp = catalog_comparison(name)
    assert cmp.fits["kl"].density.startswith("scipy.stats")
    assert cmp.fits["mle"].density.startswith("PyMC")
    # The kl engine's objective value is the KL it reports. Both are a cross-entropy minus
    # a θ-free term of the same size H (the data's entropy or its estimate), summed in two
    # ways (sufficient statistics; atoms): they agree to the rounding of H, a few eps·H,
    # however small the KL itself is.
    problem = cmp.problem
    hidden = entropy(problem.atoms.weights) if problem.discrete else abs(problem.kl_offset)
    rounding = 8 * np.finfo(float).eps * max(1.0, hidden)
    assert cmp.fits["kl"].details["kl"] == pytest.approx(cmp.kl["kl"], rel=1e-12, abs=rounding)


@pytest.mark.parametrize("name", ["gamma", "weibull", "negative_binomial"])
def test_mle_loglik_not_below_scipy(name):
    cmp = catalog_comparison(name)
    assert cmp.loglik["mle"] >= cmp.loglik["scipy"] - 1e-9 * abs(cmp.loglik["scipy"])


def test_mle_loglik_not_below_statsmodels_negative_binomial():
    sm = pytest.importorskip("statsmodels.api")
    cmp = catalog_comparison("negative_binomial")
    y = cmp.problem.data
    result = sm.NegativeBinomial(y, np.ones_like(y)).fit(disp=0, maxiter=200)
    # statsmodels' NB2: var = mu + a mu², so PyMC's alpha = 1 / a.
    mu, alpha = float(np.exp(result.params[0])), 1.0 / float(result.params[1])
    loglik_sm = cmp.problem.loglik(np.array([mu, alpha]))
    assert loglik_sm == pytest.approx(result.llf, rel=1e-10)
    assert cmp.loglik["mle"] >= loglik_sm - 1e-9 * abs(loglik_sm)


def test_scipy_nbinom_peer_is_shown_not_counted():
    # scipy.stats.fit lands nbinom's n (PyMC's alpha) on an integer: not the optimum.
    cmp = catalog_comparison("negative_binomial")
    assert float(cmp.estimates.loc["alpha", "scipy"]).is_integer()
    assert not cmp.fits["scipy"].converged
    assert any(r.startswith("scipy: not counted") for r in cmp.reasons)
    assert cmp.loglik["scipy"] < cmp.loglik["mle"]
    assert cmp.agree


def test_agreement_needs_converged_fits():
    from dataclasses import replace

    cmp = catalog_comparison("exponential")
    fits = dict(cmp.fits)
    fits["kl"] = replace(fits["kl"], certificate=replace(fits["kl"].certificate, converged=False))
    agree, verdict, _, _ = judge(cmp.problem, fits, cmp.estimates, cmp.se)
    assert not agree and verdict == "did not converge"
    fits = dict(cmp.fits)
    fits["mle"] = replace(
        fits["mle"], certificate=replace(fits["mle"].certificate, at_boundary=True)
    )
    agree, verdict, _, _ = judge(cmp.problem, fits, cmp.estimates, cmp.se)
    assert not agree and verdict == "boundary"


def test_disagreement_is_reported():
    from dataclasses import replace

    cmp = catalog_comparison("exponential")
    shifted = cmp.estimates.copy()
    shifted.loc["lam", "kl"] += 0.01 * cmp.se["lam"]
    fits = dict(cmp.fits)
    fits["kl"] = replace(fits["kl"], estimates={"lam": float(shifted.loc["lam", "kl"])})
    agree, verdict, reasons, _ = judge(cmp.problem, fits, shifted, cmp.se)
    assert not agree and verdict == "disagree" and "kl" in reasons[-1]


def test_inference_data_groups():
    idata = catalog_comparison("gamma").to_inference_data()
    assert {"posterior", "observed_data", "log_likelihood", "comparison"} <= set(idata.groups())
    assert idata.posterior["alpha"].shape == (1, 1000)
    assert idata.comparison.attrs["verdict"] == "agree"


def _em_mixture(x, w, mu, sigma, iterations=5000):
    """EM for a normal mixture (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2.2)."""
    from scipy import stats
    from scipy.special import logsumexp

    previous = -np.inf
    for _ in range(iterations):
        log_terms = np.log(w) + stats.norm.logpdf(x[:, None], mu, sigma)
        loglik = float(np.sum(logsumexp(log_terms, axis=1)))
        resp = np.exp(log_terms - logsumexp(log_terms, axis=1, keepdims=True))
        total = resp.sum(axis=0)
        w, mu = total / x.size, resp.T @ x / total
        sigma = np.sqrt(np.sum(resp * (x[:, None] - mu) ** 2, axis=0) / total)
        if loglik - previous <= 1e-13 * abs(loglik):
            break
        previous = loglik
    order = np.argsort(mu)
    return loglik, {"w": w[order], "mu": mu[order], "sigma": sigma[order]}


def test_mixture_reaches_the_global_optimum(rng):
    # EM from 20 random starts (means drawn from the data, unit weights and spreads) on the
    # catalog data: no EM run ends above the engines' log-likelihood, and the best EM run
    # is the engines' point. EM stops when ℓ rises by < 1e-13 relative; its linear
    # convergence leaves the parameters within about 1e-4 SE, so 1e-3 SE (the agreement
    # tolerance) is the comparison.
    cmp = catalog_comparison("gaussian_mixture")
    x = cmp.problem.data
    runs = [
        _em_mixture(x, np.full(2, 0.5), rng.choice(x, 2, replace=False), np.full(2, x.std()))
        for _ in range(20)
    ]
    best_loglik, best = max(runs, key=lambda run: run[0])
    assert cmp.loglik["mle"] >= best_loglik - 1e-10 * abs(best_loglik)
    em = dict(zip(cmp.problem.names, flatten(best, cmp.problem.shapes), strict=True))
    for engine in ("mle", "kl"):
        for param, se in cmp.se.items():
            assert abs(cmp.estimates.loc[param, engine] - em[param]) <= 1e-3 * se, (engine, param)
    # The ordered means remove label switching: the engines report mu[0] < mu[1].
    assert cmp.estimates.loc["mu[0]", "mle"] < cmp.estimates.loc["mu[1]", "mle"]


def test_mixture_collapse_is_reported_as_boundary():
    # 20 values within 1e-7 of 3.0: the second component collapses onto them (sigma → 0),
    # where the likelihood is unbounded. Never agreement.
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0.0, 1.0, 300), 3.0 + rng.normal(0.0, 1e-7, 20)])
    cmp = toolkit.compare("gaussian_mixture", x)
    assert not cmp.agree and cmp.verdict == "boundary"
    assert "collapsed onto a value" in cmp.fits["mle"].certificate.status


def test_mv_normal_closed_form_is_the_sample_moments():
    # Closed form: column means and the Cholesky factor of the ddof-0 sample covariance
    # (numpy's own cov with bias=True, a second implementation).
    cmp = catalog_comparison("mv_normal")
    x = cmp.problem.data
    chol = np.linalg.cholesky(np.cov(x, rowvar=False, bias=True))
    expected = np.concatenate([x.mean(axis=0), chol[np.tril_indices(3)]])
    np.testing.assert_allclose(cmp.estimates["closed_form"], expected, rtol=1e-13)
    assert "kozachenko-leonenko" in cmp.kl_note


def test_find_map_short_of_the_optimum_is_not_counted():
    # L-BFGS-B stops on a relative fall in the objective; a find_map further than the
    # agreement tolerance from the optimum is shown with its distance and not counted.
    cmp = catalog_comparison("mv_normal")
    find_map = cmp.fits["find_map"]
    if find_map.converged:
        assert cmp.max_se_difference["find_map"] <= 1e-3
    else:
        assert "SE from the optimum" in find_map.certificate.status
        assert any(r.startswith("find_map: not counted") for r in cmp.reasons)
    assert cmp.agree


def test_tied_continuous_data_report_cross_entropy_and_say_why():
    # Measurements rounded up to whole units: Vasicek's spacings vanish, so there is no
    # entropy estimate; the fit still runs and the KL column is the cross-entropy, as noted.
    x = np.ceil(np.random.default_rng(3).gamma(3.0, 1.0, 400))
    cmp = toolkit.compare("gamma", x)
    assert cmp.agree
    assert "cross-entropy" in cmp.kl_note and "no entropy estimate" in cmp.kl_note
    assert cmp.kl["mle"] == pytest.approx(-cmp.loglik["mle"] / len(x), rel=1e-12)


def test_nonsmooth_location_gets_the_fisher_standard_error():
    # Laplace: every observation's score in mu is ±1/b, so the outer product of scores is
    # N/b² (Fisher's information for the location) up to the small mu–b cross term:
    # SE(mu) = b/√N to about 1 %.
    cmp = catalog_comparison("laplace")
    b = cmp.estimates.loc["b", "mle"]
    assert cmp.se["mu"] == pytest.approx(b / np.sqrt(N), rel=1e-2)
    assert np.isfinite(cmp.se["b"])
    assert any("outer product of scores" in r for r in cmp.reasons)


def test_set_valued_mle_agrees_anywhere_in_the_set():
    # Even N: mle and kl stop at different points of [x_(N/2), x_(N/2+1)]; both are MLEs.
    cmp = catalog_comparison("laplace")
    lo, hi = cmp.problem.argmax_sets["mu"]
    assert lo < hi and cmp.agree


@pytest.mark.parametrize("name", DISCRETE)
def test_exact_kl_carries_its_rounding_level(name):
    # A KL is never negative: every engine's exact KL is at least minus its rounding level,
    # which is a few units in the last place of the sum's terms, far below any real KL.
    cmp = catalog_comparison(name)
    assert cmp.kl_kind == "exact"
    level = cmp.kl_error[cmp.kl.index]
    assert ((level > 0) & (level < 1e-12)).all(), level
    assert (cmp.kl >= -level).all(), cmp.kl


@pytest.mark.parametrize("name", ["bernoulli", "categorical"])
def test_saturated_model_kl_at_the_mle_is_zero_within_rounding(name):
    # q(θ̂) = p̂ exactly for a model with a free probability per value, so KL(p̂‖q_θ̂) = 0
    # and what is computed is rounding noise of either sign (the issue saw -5.55e-17):
    # the rounding level must cover it.
    cmp = catalog_comparison(name)
    assert abs(cmp.kl["mle"]) <= cmp.kl_error["mle"]


def test_continuous_kl_is_an_estimate_with_the_entropy_estimate_se():
    cmp = catalog_comparison("normal")
    estimate = entropy_estimate(cmp.problem.data)
    assert cmp.kl_kind == "estimate" and estimate.se is not None
    assert (cmp.kl_error == estimate.se).all() and 0 < estimate.se < 0.1
    # Kozachenko–Leonenko (several columns) gives no standard error: none is claimed.
    assert catalog_comparison("mv_normal").kl_error.isna().all()


def test_comparison_repr_is_one_line():
    cmp = catalog_comparison("poisson")
    assert repr(cmp) == (
        f"<Comparison poisson: N = {N}, verdict 'agree' (tolerance 0.001 SE), "
        f"engines {', '.join(cmp.estimates.columns)}>"
    )
