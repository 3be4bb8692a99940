"""Regression families of the catalog: recovery, closed form, peers, property, bad input.

Reference sources: the closed form of linear regression (QR least squares);
statsmodels' Logit, Poisson and NegativeBinomial (nb2) fits on its bundled
datasets spector, cpunish and randhie (as in ``test_model_compare.py``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from model_references import lre

import toolkit
from models import families
from models.regression.declaration import RegressionFamily
from toolkit.cli import main

REGRESSION = [n for n, f in families().items() if isinstance(f, RegressionFamily)]
N = 2000
SEED = 20261121
#: Agreement with statsmodels in its SEs: both optimise to ~1e-8 relative, far below one SE.
PEER_SE = 1e-4


@cache
def demo_fit(name: str):
    """compare() on N rows simulated at the family's demo parameters (seeded by name)."""
    family = families()[name]
    rng = np.random.default_rng([SEED, sum(map(ord, name))])
    frame = family.simulate(rng, N, family.demo_params, family.demo_options)
    return toolkit.compare(name, frame, y="y", **family.demo_options)


def _truth(name: str, index) -> pd.Series:
    flat = {}
    for key, value in families()[name].demo_params.items():
        if np.ndim(value):
            flat.update({f"{key}[{i}]": v for i, v in enumerate(value)})
        else:
            flat[key] = value
    return pd.Series(flat)[list(index)]


@pytest.mark.parametrize("name", REGRESSION)
def test_recovers_demo_parameters_within_5_se(name):
    cmp = demo_fit(name)
    assert cmp.agree, cmp.reasons
    error = (cmp.estimates["mle"] - _truth(name, cmp.estimates.index)).abs()
    assert (error <= 5 * cmp.se).all(), pd.DataFrame({"error": error, "se": cmp.se})
    assert "independent of PyMC" in cmp.fits["kl"].density
    assert "independent of PyMC" in cmp.kl_note


def test_linear_closed_form_digits():
    cmp = demo_fit("linear_regression")
    est = cmp.estimates
    assert cmp.fits["closed_form"].converged
    for param in est.index:
        assert lre(est.loc[param, "mle"], est.loc[param, "closed_form"]) >= 10, param
        assert lre(est.loc[param, "kl"], est.loc[param, "closed_form"]) >= 8, param


def test_dataframe_columns_and_array_input_give_the_same_fit():
    rng = np.random.default_rng(3)
    frame = (
        families()["poisson_regression"]
        .simulate(rng, 300, {"beta": [0.2, 0.5, -0.3]}, {})
        .rename(columns={"y": "claims", "x1": "age"})
    )
    by_name = toolkit.compare("poisson_regression", frame, y="claims", x=["age", "x2"])
    by_array = toolkit.compare(
        "poisson_regression", y=frame["claims"].to_numpy(), x=frame[["age", "x2"]].to_numpy()
    )
    assert by_name.label == "poisson_regression: claims ~ 1 + age + x2"
    np.testing.assert_allclose(by_name.estimates["mle"], by_array.estimates["mle"], rtol=1e-12)


def _statsmodels_case(name):
    if name == "logistic_regression":
        d = sm.datasets.spector.load_pandas()
        frame = d.exog.assign(GRADE=d.endog.astype(int))
        peer = sm.Logit(frame["GRADE"], sm.add_constant(d.exog)).fit(disp=0)
        return frame, "GRADE", list(d.exog.columns), peer
    if name == "poisson_regression":
        d = sm.datasets.cpunish.load_pandas()
        exog = d.exog[["INCOME", "PERPOVERTY", "PERBLACK", "SOUTH", "DEGREE"]]
        exog = exog.assign(INCOME=np.log(exog["INCOME"]))
        frame = exog.assign(EXECUTIONS=d.endog.astype(int))
        peer = sm.Poisson(frame["EXECUTIONS"], sm.add_constant(exog)).fit(
            disp=0, method="newton", tol=1e-12
        )
        return frame, "EXECUTIONS", list(exog.columns), peer
    d = sm.datasets.randhie.load_pandas()
    exog = d.exog[["lncoins", "idp", "lpi"]].iloc[:1500]  # a subset keeps the test short
    frame = exog.assign(mdvis=d.endog.iloc[:1500].astype(int))
    peer = sm.NegativeBinomial(frame["mdvis"], sm.add_constant(exog), loglike_method="nb2").fit(
        disp=0, method="newton", tol=1e-12
    )
    return frame, "mdvis", list(exog.columns), peer


@pytest.mark.parametrize(
    "name", ["logistic_regression", "poisson_regression", "negative_binomial_regression"]
)
def test_statsmodels_agreement(name):
    frame, y, x, peer = _statsmodels_case(name)
    cmp = toolkit.compare(name, frame, y=y, x=x)
    assert cmp.agree, cmp.reasons
    k = len(x) + 1
    reference = np.asarray(peer.params)[:k]
    se = np.asarray(peer.bse)[:k]
    names = [f"beta[{i}]" for i in range(k)]
    for engine in ("mle", "kl"):
        got = cmp.estimates.loc[names, engine].to_numpy()
        np.testing.assert_array_less(np.abs(got - reference) / se, PEER_SE)
    np.testing.assert_allclose(cmp.se[names].to_numpy(), se, rtol=1e-4)
    if name == "negative_binomial_regression":  # statsmodels' alpha is 1 / PyMC's
        a, a_se = float(peer.params.iloc[-1]), float(peer.bse.iloc[-1])
        assert abs(cmp.estimates.loc["alpha", "mle"] - 1 / a) / (a_se / a**2) < PEER_SE


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=6, max_value=40),
    slope=st.floats(min_value=-1.5, max_value=1.5),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_conditional_kl_minimiser_is_the_conditional_mle(n, slope, seed):
    """One compiled logistic graph (2 columns) serves every example by swapping data."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 1)  # ties: repeated (x, y) rows become weighted atoms
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-slope * x))).astype(int)
    try:
        cmp = toolkit.compare("logistic_regression", y=y, x=x)
    except toolkit.BoundaryError:
        assume(False)  # separated data: no MLE to compare (tested below)
    assert cmp.agree, cmp.reasons
    # kl: BFGS on five-point differences; the gap is far below 1e-3 SE (the tolerance).
    gap = (cmp.estimates["kl"] - cmp.estimates["mle"]).abs() / cmp.se
    assert (gap < 1e-4).all(), gap


def _bad_inputs():
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(size=30), rng.uniform(size=30)
    ok01 = (rng.uniform(size=30) < 0.5).astype(int)
    nan = x2.copy()
    nan[4] = np.nan
    return [
        ("logistic_regression", dict(gre=x1, gpa=nan, admit=ok01), toolkit.DataError,
         r"'gpa' is not finite .* at row 4"),
        ("logistic_regression", dict(gre=x1, gpa=x2, admit=np.where(ok01, 2, 0)),
         toolkit.DataError, r"outside the support .*first at row"),
        ("poisson_regression", dict(gre=x1, gpa=x2, admit=-ok01), toolkit.DataError,
         r"outside the support"),
        ("poisson_regression", dict(gre=x1, gpa=x2, admit=ok01 + 0.5), toolkit.DataError,
         r"outside the support .*integer"),
        ("logistic_regression", dict(gre=x1, gpa=x2, admit=(x1 > 0).astype(int)),
         toolkit.BoundaryError, r"separated by covariates \['\(intercept\)', 'gre'"),
        ("logistic_regression", dict(gre=x1, gpa=2 * x1 + 1, admit=ok01), toolkit.DataError,
         r"rank-deficient: columns \['\(intercept\)', 'gre', 'gpa'\] are collinear"),
        ("linear_regression", dict(gre=x1[:3], gpa=x2[:3], admit=x1[:3]), toolkit.DataError,
         r"3 rows for 4 parameters"),
        ("poisson_regression", dict(gre=x1, gpa=x2, admit=0 * ok01), toolkit.BoundaryError,
         r"MLE does not exist"),
    ]  # fmt: skip


BAD = _bad_inputs()
BAD_IDS = ["nan", "not01", "negative", "noninteger", "separated", "collinear", "rows", "zeros"]


@pytest.mark.parametrize(("name", "columns", "error", "match"), BAD, ids=BAD_IDS)
def test_bad_input_through_the_api(name, columns, error, match):
    with pytest.raises(error, match=match) as info:
        toolkit.compare(name, pd.DataFrame(columns), y="admit", x=["gre", "gpa"])
    assert str(info.value).startswith(name)


@pytest.mark.parametrize(("name", "columns", "error", "match"), BAD, ids=BAD_IDS)
def test_bad_input_through_the_cli(name, columns, error, match, tmp_path, capsys):
    path = tmp_path / "data.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    argv = ["fit", str(path), "--family", name, "--y", "admit", "--x", "gre", "--x", "gpa"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("klmle: error: ")
    assert "Traceback" not in captured.err


def test_cli_fit_prints_the_comparison(tmp_path, capsys):
    frame, y, x, _ = _statsmodels_case("logistic_regression")
    path = tmp_path / "spector.csv"
    frame.to_csv(path, index=False)
    argv = ["fit", str(path), "--family", "logistic_regression", "--y", y]
    assert main([*argv, *(a for c in x for a in ("--x", c))]) == 0
    out = capsys.readouterr().out
    assert "logistic_regression: GRADE ~ 1 + GPA + TUCE + PSI" in out
    assert "verdict: AGREE" in out


def test_cli_nonlinear_needs_the_api(tmp_path, capsys):
    path = tmp_path / "d.csv"
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 2.5]}).to_csv(path, index=False)
    assert main(["fit", str(path), "--family", "nonlinear_regression", "--y", "y"]) == 2
    assert "mean function" in capsys.readouterr().err


def test_nonlinear_regression_with_arrays():
    family = families()["nonlinear_regression"]
    frame = demo_fit("nonlinear_regression")  # warms the model; now fit through arrays
    rng = np.random.default_rng(11)
    data = family.simulate(rng, 500, family.demo_params, family.demo_options)
    cmp = toolkit.compare(
        "nonlinear_regression", y=data["y"].to_numpy(), x=data["x"].to_numpy(),
        **family.demo_options,
    )  # fmt: skip
    assert cmp.agree and list(cmp.estimates.index) == ["b1", "b2", "sigma"]
    assert frame.label.startswith("nonlinear_regression: y ~ exponential_rise(x)")
    with pytest.raises(ValueError, match="needs mean="):
        toolkit.compare("nonlinear_regression", y=data["y"], x=data["x"])


def test_to_inference_data():
    cmp = demo_fit("negative_binomial_regression")
    idata = cmp.to_inference_data()
    assert {"observed_data", "log_likelihood", "comparison", "posterior"} <= set(idata.groups())
    assert list(idata.observed_data["X"].coords["column"].values) == ["(intercept)", "x1", "x2"]
    total = float(idata.log_likelihood["rows"].sum())
    assert total == pytest.approx(cmp.loglik["mle"], rel=1e-10)
    assert idata.posterior["beta"].shape == (1, 1000, 3)
    assert idata.comparison.attrs["family"] == "negative_binomial_regression"


# Scale-aware checks (issue 10): a message names the real problem, whatever the units.


def _line(rng, n=50):
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 1.0 + 2.0 * x + rng.normal(size=n)})


@pytest.mark.parametrize(
    ("name", "column", "factor", "words"),
    [
        # used to say "covariates fit y exactly"
        ("linear_regression", "y", 1e-300, "response column 'y': the data are outside the"),
        # used to say "outside the support"
        ("linear_regression", "y", 1e300, "response column 'y': 50 values beyond ±1e+50"),
        # used to say "collinear"
        ("logistic_regression", "x", 1e300, "covariate column 'x': 50 values beyond ±1e+50"),
    ],
)
def test_extreme_units_are_named_as_such(rng, name, column, factor, words):
    frame = _line(rng)
    if name == "logistic_regression":
        frame["y"] = (frame["y"] > 1.0).astype(int)
    frame[column] *= factor
    with pytest.raises(toolkit.DataError) as info:
        toolkit.compare(name, frame, y="y")
    assert words in str(info.value) and "evaluated on" in str(info.value)
    assert not isinstance(info.value, toolkit.BoundaryError)


def test_small_units_are_not_an_exact_fit(rng):
    # y near 1e-13 with noise: the residuals are noise of that size, not rounding.
    frame = _line(rng)
    noisy = toolkit.compare("linear_regression", frame.assign(y=frame["y"] * 1e-13), y="y")
    base = toolkit.compare("linear_regression", frame, y="y")
    assert noisy.agree, noisy.reasons
    # Least squares is linear in y: the estimates scale with it (QR closed form, to 1e-12).
    np.testing.assert_allclose(
        noisy.estimates["mle"], base.estimates["mle"] * 1e-13, rtol=1e-9, atol=0
    )
    exact = frame.assign(y=(1.0 + 2.0 * frame["x"]) * 1e-13)
    with pytest.raises(toolkit.BoundaryError, match="covariates fit y exactly"):
        toolkit.compare("linear_regression", exact, y="y")


def test_a_covariate_in_large_units_is_not_collinear(rng):
    frame = _line(rng, n=200)
    frame["y"] = (frame["y"] > 1.0).astype(int)
    base = toolkit.compare("logistic_regression", frame, y="y")
    large = toolkit.compare("logistic_regression", frame.assign(x=frame["x"] * 1e40), y="y")
    assert large.agree, large.reasons
    # The slope scales by 1/1e40 and the intercept stays: same digits as the base fit.
    slope = next(p for p in base.estimates.index if p.endswith("[1]"))
    assert large.estimates.loc[slope, "mle"] == pytest.approx(
        base.estimates.loc[slope, "mle"] * 1e-40, rel=1e-9
    )
