"""``toolkit.compare(model)`` on a user's pm.Model: exact references and peers.

Reference sources: Misra1a from NIST StRD (certified values, see
``model_references.py``); the quadratic regression from 50-digit mpmath least
squares; logistic, Poisson and negative-binomial regression from statsmodels
(Logit, Poisson, NegativeBinomial) on its bundled datasets spector, cpunish
and randhie; the normal-mean MAP from its closed form N·x̄/(N+1).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pymc as pm
import pytest
import statsmodels.api as sm
from model_references import (
    MISRA1A_CERTIFIED,
    MISRA1A_RSS,
    MISRA1A_START1,
    MISRA1A_START2,
    MISRA1A_X,
    MISRA1A_Y,
    least_squares_mpmath,
    lre,
    rss_mpmath,
)

import toolkit

#: Correct significant digits required against exact or certified values.
MIN_LRE = 9.0
#: Agreement with statsmodels, in its standard errors: both optimise to ~1e-8
#: relative, far below the sampling noise of one SE.
PEER_SE = 1e-4


def _misra1a(start):
    with pm.Model() as model:
        b1 = pm.Flat("b1", initval=start["b1"])
        b2 = pm.Flat("b2", initval=start["b2"])
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", b1 * (1 - pm.math.exp(-b2 * MISRA1A_X)), sigma, observed=MISRA1A_Y)
    return toolkit.compare(model)


@pytest.mark.parametrize("start", [MISRA1A_START1, MISRA1A_START2], ids=["start1", "start2"])
def test_misra1a_certified_digits(start):
    cmp = _misra1a(start)
    assert cmp.agree, cmp.reasons
    for engine in ("mle", "kl"):
        for name, certified in MISRA1A_CERTIFIED.items():
            assert lre(cmp.estimates.loc[name, engine], certified) >= MIN_LRE, (engine, name)


def test_quadratic_regression_extended_precision(rng):
    x = np.linspace(0.0, 3e6, 41)
    y = 2 + 3e-6 * x + 4e-13 * x**2 + rng.normal(0, 0.1, x.size)
    design = np.column_stack([np.ones_like(x), x, x**2])
    beta = least_squares_mpmath(design, y)
    with mp.workdps(50):
        sigma = mp.sqrt(rss_mpmath(design, y, beta) / len(y))
    with pm.Model() as model:
        xd = pm.Data("x", x)
        b = pm.Flat("b", shape=3)
        s = pm.HalfFlat("sigma")
        pm.Normal("y", b[0] + b[1] * xd + b[2] * xd**2, s, observed=y)
    cmp = toolkit.compare(model)
    assert cmp.agree, cmp.reasons
    for engine in ("mle", "kl"):
        for i in range(3):
            assert lre(cmp.estimates.loc[f"b[{i}]", engine], beta[i]) >= MIN_LRE
        assert lre(cmp.estimates.loc["sigma", engine], sigma) >= MIN_LRE


def _regression(kind, y, x, names):
    with pm.Model() as model:
        xd = pm.Data("X", x)
        b = pm.Flat("b", shape=x.shape[1])
        eta = pm.math.dot(xd, b)
        if kind == "logit":
            pm.Bernoulli("y", logit_p=eta, observed=y)
        elif kind == "poisson":
            pm.Poisson("y", pm.math.exp(eta), observed=y)
        else:
            alpha = pm.HalfFlat("alpha")
            pm.NegativeBinomial("y", mu=pm.math.exp(eta), alpha=1 / alpha, observed=y)
    return model


def _statsmodels_case(kind):
    if kind == "logit":
        d = sm.datasets.spector.load_pandas()
        x, y = sm.add_constant(d.exog).to_numpy(float), d.endog.to_numpy().astype(int)
        return x, y, sm.Logit(y, x).fit(disp=0)
    if kind == "poisson":
        d = sm.datasets.cpunish.load_pandas()
        exog = d.exog[["INCOME", "PERPOVERTY", "PERBLACK", "SOUTH", "DEGREE"]]
        exog = exog.assign(INCOME=np.log(exog["INCOME"]))
        x, y = sm.add_constant(exog).to_numpy(float), d.endog.to_numpy().astype(int)
        return x, y, sm.Poisson(y, x).fit(disp=0, method="newton", tol=1e-12)
    d = sm.datasets.randhie.load_pandas()
    head = slice(0, 1500)  # a subset keeps the test short; statsmodels fits the same rows
    x = sm.add_constant(d.exog[["lncoins", "idp", "lpi"]].iloc[head]).to_numpy(float)
    y = d.endog.iloc[head].to_numpy().astype(int)
    fit = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, method="newton", tol=1e-12)
    return x, y, fit


@pytest.mark.parametrize("kind", ["logit", "poisson", "negbin"])
def test_statsmodels_regressions(kind):
    x, y, peer = _statsmodels_case(kind)
    cmp = toolkit.compare(_regression(kind, y, x, None), n_starts=1)
    assert cmp.agree, cmp.reasons
    names = [f"b[{i}]" for i in range(x.shape[1])] + (["alpha"] if kind == "negbin" else [])
    reference = np.asarray(peer.params)
    se = np.asarray(peer.bse)
    for engine in ("mle", "kl"):
        got = cmp.estimates.loc[names, engine].to_numpy()
        np.testing.assert_array_less(np.abs(got - reference) / se, PEER_SE)
    np.testing.assert_allclose(cmp.se[names].to_numpy(), se, rtol=1e-4)


def test_prior_pull_closed_form(rng):
    x = rng.normal(1.0, 1.0, size=7)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 1.0)
        pm.Normal("y", mu, 1.0, observed=x)
    cmp = toolkit.compare(model)
    n = len(x)
    assert cmp.estimates.loc["mu", "map"] == pytest.approx(n * x.mean() / (n + 1), rel=1e-12)
    assert cmp.estimates.loc["mu", "mle"] == pytest.approx(x.mean(), rel=1e-12)
    assert cmp.estimates.loc["mu", "kl"] == pytest.approx(x.mean(), rel=1e-9)
    assert cmp.agree


def test_flat_model_has_no_map_column():
    with pm.Model() as model:
        mu = pm.Flat("mu")
        pm.Normal("y", mu, 1.0, observed=np.array([0.5, 1.5, 2.5, 3.5]))
    cmp = toolkit.compare(model)
    assert "map" not in cmp.estimates.columns
    assert "not an independent" in cmp.kl_note
    assert cmp.fits["kl"].density.startswith("PyMC")


def test_multimodal_cauchy_location_reports_optima():
    with pm.Model() as model:
        mu = pm.Flat("mu")
        pm.Cauchy("y", mu, 0.2, observed=np.array([-1.5, 1.5, 1.8]))
    cmp = toolkit.compare(model, n_starts=8, seed=1)
    for engine in ("mle", "kl"):
        assert cmp.fits[engine].details["n_optima"] >= 2
        assert cmp.estimates.loc["mu", engine] > 1.0  # the higher mode, by the pair 1.5, 1.8


def test_bad_rows_are_named():
    x = np.array([0.1, np.nan, 0.3, 0.4])
    with pm.Model() as model:  # pm.Data refuses NaN itself; a plain array reaches us
        b = pm.Flat("b", shape=2)
        pm.Poisson("y", pm.math.exp(b[0] + b[1] * x), observed=np.array([1, 2, 0, 3]))
    with pytest.raises(toolkit.DataError, match=r"not finite.*at row 1"):
        toolkit.compare(model)
    design = np.column_stack([np.ones(5), np.arange(5.0), 2 * np.arange(5.0)])
    with pm.Model(coords={"row": range(5), "col": ["one", "u", "v"]}) as model:
        xd = pm.Data("X", design, dims=("row", "col"))
        b = pm.Flat("b", shape=3)
        pm.Poisson("y", pm.math.exp(pm.math.dot(xd, b)), observed=np.arange(5))
    with pytest.raises(toolkit.DataError, match=r"collinear"):
        toolkit.compare(model)


def test_models_that_cannot_be_fitted():
    with pm.Model(name="m") as model:
        pm.Normal("mu")
    with pytest.raises(toolkit.ModelError, match="m: the model has no observed variables"):
        toolkit.compare(model)
    with pm.Model() as model:
        k = pm.Categorical("k", p=[0.5, 0.5])
        pm.Normal("y", k, 1.0, observed=np.zeros(3))
    with pytest.raises(toolkit.ModelError, match="discrete"):
        toolkit.compare(model)
    with pm.Model(name="fixed") as model:  # used to be "Cannot join an empty list of tensors"
        pm.Normal("y", 0.0, 1.0, observed=np.array([0.5, -0.2, 1.1]))
    with pytest.raises(toolkit.ModelError, match="fixed: the model has no free variables"):
        toolkit.compare(model)


def test_constant_data_name_the_scale_that_collapses():
    # Used to be PyMC's ParameterValueError (sigma > 0) from deep inside a fit.
    with pm.Model(name="const") as model:
        mu = pm.Normal("mu", 0.0, 10.0)
        s = pm.HalfNormal("s", 5.0)
        pm.Normal("y", mu, s, observed=np.full(30, 2.0))
    with pytest.raises(toolkit.BoundaryError) as info:
        toolkit.compare(model)
    assert "the MLE does not exist" in str(info.value) and "const::s → 0" in str(info.value)


def test_a_response_beyond_the_evaluable_range_is_named(rng):
    with pm.Model(name="big") as model:
        mu = pm.Flat("mu")
        s = pm.HalfFlat("s")
        pm.Normal("y", mu, s, observed=np.r_[rng.normal(size=30), 1e308])
    with pytest.raises(toolkit.DataError, match=r"response 'big::y': 1 values beyond .*row 30"):
        toolkit.compare(model)


def test_a_mixture_with_dirichlet_weights_is_fitted(rng):
    # Used to stop with LinAlgError: Eigenvalues did not converge (issue 10).
    data = np.concatenate([rng.normal(-2.0, 1.0, 150), rng.normal(2.0, 1.0, 150)])
    ordered = pm.distributions.transforms.ordered
    with pm.Model(name="mix") as model:
        w = pm.Dirichlet("w", a=np.ones(2))
        mu = pm.Normal("mu", 0.0, 10.0, shape=2, transform=ordered, initval=[-1.0, 1.0])
        s = pm.HalfNormal("s", 5.0, shape=2)
        pm.NormalMixture("y", w=w, mu=mu, sigma=s, observed=data)
    cmp = toolkit.compare(model)
    assert cmp.agree, cmp.reasons
    # The two well separated components are found where they were drawn: within 5 SE.
    for name, truth in [("mix::mu[0]", -2.0), ("mix::mu[1]", 2.0), ("mix::w[0]", 0.5)]:
        assert abs(cmp.estimates.loc[name, "mle"] - truth) < 5 * cmp.se[name], name


def test_separated_logistic_has_no_mle():
    x = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
    with pm.Model() as model:
        b = pm.Flat("b", shape=2)
        pm.Bernoulli("y", logit_p=b[0] + b[1] * x, observed=(x > 0).astype(int))
    with pytest.raises(toolkit.BoundaryError, match="does not exist"):
        toolkit.compare(model, n_starts=0)


def test_response_outside_support_is_named():
    with pm.Model() as model:
        mu = pm.HalfFlat("mu")
        pm.Poisson("y", mu, observed=np.array([1, 2, -1, 3, 0]))
    with pytest.raises(toolkit.DataError, match=r"response 'y' row 2 .*outside the support"):
        toolkit.compare(model)


def test_fewer_rows_than_parameters():
    with pm.Model() as model:
        b = pm.Flat("b", shape=3)
        pm.Normal("y", b[0] + b[1] * np.array([1.0, 2.0]), pm.math.exp(b[2]),
                  observed=np.array([0.5, 1.5]))  # fmt: skip
    with pytest.raises(toolkit.DataError, match=r"2 rows for 3 parameters"):
        toolkit.compare(model)


def test_user_model_to_inference_data():
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", mu, sigma, observed=np.array([0.5, 1.5, 2.5, 3.5, 3.0]))
    cmp = toolkit.compare(model, n_starts=1)
    idata = cmp.to_inference_data()
    assert float(idata.log_likelihood["rows"].sum()) == pytest.approx(cmp.loglik["mle"])
    assert set(idata.posterior.data_vars) == {"mu", "sigma"}
    assert idata.observed_data["y"].shape == (5,)


def _misra1a_model(ties: int = 1):
    """Misra1a's model, each row repeated ``ties`` times (atoms with weight ties/N)."""
    x, y = np.repeat(MISRA1A_X, ties), np.repeat(MISRA1A_Y, ties)
    with pm.Model() as model:
        b1 = pm.Flat("b1", initval=MISRA1A_START1["b1"])
        b2 = pm.Flat("b2", initval=MISRA1A_START1["b2"])
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", b1 * (1 - pm.math.exp(-b2 * x)), sigma, observed=y)
    return model


def test_kl_gradient_is_the_exact_derivative_of_the_kl_over_atoms():
    # Rows repeated three times: 14 atoms of weight 1/14 each. The KL's gradient over the
    # atoms is −1/N times the log-likelihood's over all 42 rows (PyMC's, mle's engine).
    from toolkit.engines import kl
    from toolkit.problem.model import model_problem

    problem = model_problem(_misra1a_model(ties=3))
    assert len(problem.atoms) == MISRA1A_X.size and problem.n == 3 * MISRA1A_X.size
    coords = kl.coordinates(problem)
    z = problem.pymc.to_z(np.array([240.0, 5.5e-4, 0.1]))
    _, loglik_grad, _ = problem.pymc.loglik_derivatives(z)
    np.testing.assert_allclose(coords.gradient(z), -loglik_grad / problem.n, rtol=1e-9)
    value, _ = problem.mean_logq_z(z)
    assert value == pytest.approx(np.sum(problem.atoms.weights * problem.logq_z(z)), rel=1e-14)


def test_kl_does_not_certify_a_plateau():
    # b2 = 1: exp(−b2·x) has decayed to nothing at every x (77 … 790), so the mean is b1
    # whatever b2 is beyond: the KL is flat to the right in b2. With b1 the mean of y and
    # sigma its sd, the gradient is zero and the Hessian positive wherever it is measured
    # on the rising side; the certificate must still not call it an optimum.
    from toolkit.engines import kl
    from toolkit.problem.model import model_problem

    problem = model_problem(_misra1a_model())
    coords = kl.coordinates(problem)
    theta = np.array([MISRA1A_Y.mean(), 1.0, MISRA1A_Y.std()])
    _, _, _, flat = kl._smooth_derivatives(coords.objective, coords.from_natural(theta), [0, 1, 2])
    assert kl._flat_sentences(flat, coords) and "b2" in kl._flat_sentences(flat, coords)[0]
    sigma = np.sqrt(MISRA1A_RSS / MISRA1A_X.size)
    optimum = np.array([MISRA1A_CERTIFIED["b1"], MISRA1A_CERTIFIED["b2"], sigma])
    _, _, _, flat = kl._smooth_derivatives(
        coords.objective, coords.from_natural(optimum), [0, 1, 2], coords.gradient
    )
    assert flat.shape[1] == 0
