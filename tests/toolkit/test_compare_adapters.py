"""One pipeline: the same data through the family, regression and pm.Model adapters.

Each model below is the same statistical model written three ways, so every
adapter must give the same MLE (up to the reparametrisation written beside each
case) to 1e-9 relative, and the same verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy.special import expit

import toolkit

#: Relative agreement of the MLE across adapters: every engine polishes to ~1e-12.
REL = 1e-9


def _normal_model(y):
    with pm.Model() as model:
        mu = pm.Flat("mu")
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", mu, sigma, observed=y)
    return model


def test_normal_three_ways():
    # The case: a location far from 0 used to make one pipeline say "boundary".
    y = np.random.default_rng(0).normal(101.5, 2, 500)
    family = toolkit.compare("normal", y)
    regression = toolkit.compare("linear_regression", pd.DataFrame({"y": y}), y="y", x=[])
    model = toolkit.compare(_normal_model(y))
    expected = np.array([y.mean(), y.std()])  # the closed form
    for cmp, names in (
        (family, ["mu", "sigma"]),
        (regression, ["beta[0]", "sigma"]),
        (model, ["mu", "sigma"]),
    ):
        assert cmp.verdict == "agree", (cmp.label, cmp.reasons)
        for engine in ("mle", "kl"):
            got = cmp.estimates.loc[names, engine].to_numpy()
            np.testing.assert_allclose(got, expected, rtol=REL, err_msg=(cmp.label, engine))


def test_poisson_three_ways():
    y = np.random.default_rng(1).poisson(3.5, 400)
    family = toolkit.compare("poisson", y)
    regression = toolkit.compare("poisson_regression", pd.DataFrame({"y": y}), y="y", x=[])
    with pm.Model() as user:
        mu = pm.HalfFlat("mu")
        pm.Poisson("y", mu, observed=y)
    model = toolkit.compare(user)
    verdicts = {cmp.verdict for cmp in (family, regression, model)}
    assert verdicts == {"agree"}
    for engine in ("mle", "kl"):
        mean = y.mean()
        assert family.estimates.loc["mu", engine] == pytest.approx(mean, rel=REL)
        assert model.estimates.loc["mu", engine] == pytest.approx(mean, rel=REL)
        # log-link intercept: exp(beta[0]) is the mean
        assert np.exp(regression.estimates.loc["beta[0]", engine]) == pytest.approx(mean, rel=REL)
    # KL is exact for counts and the same distribution in all three: the same value
    assert regression.kl["mle"] == pytest.approx(family.kl["mle"], rel=1e-9, abs=1e-14)


def test_logistic_through_regression_and_model():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 2))
    y = (rng.uniform(size=300) < expit(0.3 + x @ [1.0, -0.7])).astype(int)
    regression = toolkit.compare("logistic_regression", y=y, x=x)
    design = np.column_stack([np.ones(300), x])
    with pm.Model() as user:
        b = pm.Flat("b", shape=3)
        pm.Bernoulli("y", logit_p=pm.math.dot(design, b), observed=y)
    model = toolkit.compare(user)
    assert regression.verdict == model.verdict == "agree"
    for engine in ("mle", "kl"):
        np.testing.assert_allclose(
            model.estimates[engine].to_numpy(), regression.estimates[engine].to_numpy(), rtol=REL
        )
    np.testing.assert_allclose(model.se.to_numpy(), regression.se.to_numpy(), rtol=1e-7)
    # Bernoulli with an intercept only is the bernoulli family: p = expit(beta[0])
    only = toolkit.compare("logistic_regression", pd.DataFrame({"y": y}), y="y", x=[])
    bernoulli = toolkit.compare("bernoulli", y)
    p = float(expit(only.estimates.loc["beta[0]", "mle"]))
    assert p == pytest.approx(bernoulli.estimates.loc["p", "mle"], rel=REL)
    assert only.verdict == bernoulli.verdict == "agree"


def test_nothing_downstream_asks_which_adapter():
    # The problem carries its differences as fields; engines and compare never branch on
    # the kind of input (the registry runs the same modules on all three).
    y = np.random.default_rng(3).normal(0.0, 1.0, 200)
    family = toolkit.compare("normal", y).problem
    model = toolkit.compare(_normal_model(y)).problem
    assert type(family) is type(model)
    assert family.independent and not model.independent
    assert family.domains is not None and model.domains is None
