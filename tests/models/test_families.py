"""Every declared family against PyMC, against scipy and against its own claims."""

import numpy as np
import pymc as pm
import pytest

import models
from models.regression.declaration import RegressionFamily

FAMILIES = {n: f for n, f in models.families().items() if not isinstance(f, RegressionFamily)}
ALL = pytest.mark.parametrize("name", list(FAMILIES))


def _with(attribute):
    """The families that declare ``attribute``, as a parametrize mark."""
    names = [n for n, f in FAMILIES.items() if getattr(f, attribute) is not None]
    return pytest.mark.parametrize("name", names)


def _pymc_dist(fam, params, options):
    # float64 arrays: PyTensor turns a Python float such as 2.0 that float32 holds exactly
    # into a float32 constant, and PyMC then computes constants like log(2π)/2 in float32
    # (errors ≈ 2e-9 in the log-density).
    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return getattr(pm, fam.pymc_dist).dist(**fam.pymc_arguments(params, options))


def _demo(fam, rng, n):
    options = fam.resolve_options(None, fam.demo_options)
    return fam.simulate(rng, n, fam.demo_params, options), options


def _loglik(fam, x, params, options):
    return float(np.sum(fam.logpdf(x, params, options)))


@ALL
def test_param_names_are_pymc_keywords(name):
    fam = FAMILIES[name]
    assert set(fam.demo_params) == set(fam.params)
    options = fam.resolve_options(None, fam.demo_options)
    # PyMC rejects unknown keywords and missing required parameters.
    _pymc_dist(fam, fam.demo_params, options)


@ALL
def test_logpdf_matches_pymc(name, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 500)
    expected = pm.logp(_pymc_dist(fam, fam.demo_params, options), x).eval()
    np.testing.assert_allclose(fam.logpdf(x, fam.demo_params, options), expected, rtol=1e-10)


@ALL
def test_simulate_gives_n_values_in_support(name, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 1000)
    assert np.shape(x) == ((1000,) if fam.data_ndim == 1 else (1000, options["d"]))
    assert np.all(fam.in_support(x, options))


@_with("closed_form")
def test_closed_form_recovers_demo_params(name, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 20000)
    estimate = fam.closed_form(x, options)
    # Standard errors from the spread of the estimator over 30 more samples of the same size.
    replicates = [fam.closed_form(_demo(fam, rng, 20000)[0], options) for _ in range(30)]
    for p in fam.params:
        se = np.std([r[p] for r in replicates], axis=0, ddof=1)
        error = np.abs(np.asarray(estimate[p]) - np.asarray(fam.demo_params[p]))
        assert np.all(error <= 5 * se), (p, estimate[p], fam.demo_params[p], se)


@_with("closed_form")
def test_closed_form_returns_python_floats(name, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 200)
    estimate = fam.closed_form(x, options)
    assert set(estimate) == set(fam.params)
    for p in fam.params:
        if not fam.param_shapes(options)[p]:
            assert type(estimate[p]) is float


@pytest.mark.parametrize(
    "name", [n for n, f in FAMILIES.items() if f.closed_form is not None and f.scipy_fit]
)
def test_closed_form_agrees_with_scipy_fit(name, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 2000)
    closed, fitted = fam.closed_form(x, options), fam.scipy_fit(x, options)
    # The closed form is the exact MLE: scipy's answer cannot have a higher likelihood
    # (beyond rounding in a sum of 2000 terms).
    best = _loglik(fam, x, closed, options)
    assert _loglik(fam, x, fitted, options) <= best + 1e-9 * abs(best)
    # scipy fits these continuous families with the same formulas. Its discrete fits are
    # numerical: differential evolution, then L-BFGS-B, which stops once an iteration lowers
    # -ℓ (≈ 4000 here) by less than 2.2e-9 of itself. A gap of that size in -ℓ means a
    # parameter error of about 0.004 standard errors, ≈ 1e-4 relative at N = 2000 (the SE
    # is 1-3% of the parameter); rtol 1e-3 is ten times that and still 10 times below one SE.
    rtol = 1e-3 if fam.discrete else 1e-10
    for p in fam.params:
        np.testing.assert_allclose(fitted[p], closed[p], rtol=rtol, err_msg=p)


@_with("scipy_fit")
def test_scipy_fit_beats_the_true_params(name, rng):
    """Checks the mapping back to PyMC's names: an MLE fits its data better than the truth."""
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 2000)
    fitted = fam.scipy_fit(x, options)
    assert set(fitted) == set(fam.params)
    assert all(np.all(np.isfinite(v)) for v in fitted.values())
    assert _loglik(fam, x, fitted, options) >= _loglik(fam, x, fam.demo_params, options)


# Data on which the MLE does not exist or lies on the boundary of the parameter space.
DEGENERATE = [
    ("normal", np.full(50, 2.5)),
    ("lognormal", np.full(50, 2.5)),
    ("gamma", np.full(50, 2.5)),
    ("weibull", np.full(50, 2.5)),
    ("beta", np.full(50, 0.4)),
    ("laplace", np.full(50, 2.5)),
    ("student_t", np.full(50, 2.5)),
    ("student_t", np.linspace(-1.0, 1.0, 201)),  # lighter tails than a normal
    ("half_normal", np.zeros(50)),
    ("poisson", np.zeros(50)),
    ("bernoulli", np.zeros(50)),
    ("bernoulli", np.ones(50)),
    ("binomial", np.zeros(50)),
    ("binomial", np.full(50, 10.0)),  # demo n = 10
    ("geometric", np.ones(50)),
    ("negative_binomial", np.zeros(50)),
    ("negative_binomial", np.tile([3.0, 4.0, 5.0], 20)),  # variance below the mean
    ("negative_binomial", np.tile([0.0, 2.0], 25)),  # variance equal to the mean
    ("categorical", np.array([0, 1, 1, 3, 3, 3])),  # demo k = 4: category 2 never occurs
    ("gaussian_mixture", np.tile([0.0, 1.0, 5.0, 6.0], 25)),  # 4 values, 5 free parameters
    ("mv_normal", np.arange(9.0).reshape(3, 3)),  # N = d = 3: singular sample covariance
    ("mv_normal", np.column_stack([np.arange(10.0), np.arange(10.0) ** 2, 2 * np.arange(10.0)])),
]


@pytest.mark.parametrize(("name", "x"), DEGENERATE, ids=[n for n, _ in DEGENERATE])
def test_boundary_explains_degenerate_data(name, x):
    fam = FAMILIES[name]
    options = fam.resolve_options(x, fam.demo_options)
    assert np.all(fam.in_support(x, options))
    message = fam.boundary(x, options)
    assert isinstance(message, str)
    assert len(message.split()) > 5


@_with("boundary")
def test_boundary_is_silent_on_demo_data(name, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 2000)
    assert fam.boundary(x, options) is None


@_with("argmax_set")
@pytest.mark.parametrize("n", [2000, 2001])
def test_argmax_set_is_flat_and_maximal(name, n, rng):
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, n)
    fitted = fam.closed_form(x, options) if fam.closed_form else fam.scipy_fit(x, options)
    for p, (lo, hi) in fam.argmax_set(x, options).items():
        assert lo <= hi

        def loglik(value, p=p):
            return _loglik(fam, x, {**fitted, p: value}, options)

        inside = [loglik(v) for v in (lo, (lo + hi) / 2, hi)]
        np.testing.assert_allclose(inside, inside[0], rtol=1e-12)
        step = 1e-6 * (1 + abs(hi))
        assert loglik(lo - step) < inside[0]
        assert loglik(hi + step) < inside[0]


def test_cholesky_parameters_reach_pymc_as_the_lower_triangle():
    # chol is packed row-major (numpy's tril_indices): MvNormal must get L, not its transpose.
    fam = FAMILIES["mv_normal"]
    params = {"mu": np.zeros(2), "chol": np.array([2.0, 0.5, 1.0])}
    arguments = fam.pymc_arguments(params, {"d": 2})
    np.testing.assert_array_equal(arguments["chol"].eval(), [[2.0, 0.0], [0.5, 1.0]])


def test_mixture_start_is_ordered_and_in_the_domain(rng):
    fam = FAMILIES["gaussian_mixture"]
    for x in (rng.normal(size=200), np.repeat([0.0, 1.0, 2.0, 3.0, 4.0], 40)):
        for k in (2, 3):
            start = fam.start(x, {"k": k})
            assert np.all(np.diff(start["mu"]) > 0)
            assert np.all(start["sigma"] > 0) and np.isclose(np.sum(start["w"]), 1.0)


@_with("start")
def test_a_start_has_a_finite_likelihood_in_any_units(name, rng):
    # A start moves with the data: in units 1e-20 or 1e20 (where the support allows) the
    # data's log-likelihood at the start is finite, as at PyMC's own start it is not.
    fam = FAMILIES[name]
    x, options = _demo(fam, rng, 200)
    for factor in (1e-20, 1.0, 1e20):
        scaled = np.asarray(x, dtype=float) * factor
        if not np.all(fam.in_support(scaled, options)):
            continue
        start = fam.start(scaled, options)
        assert np.isfinite(_loglik(fam, scaled, start, options)), factor


def test_mv_normal_start_moves_with_the_data(rng):
    fam = FAMILIES["mv_normal"]
    x, options = _demo(fam, rng, 200)
    start, moved = fam.start(x, options), fam.start(3.0 + 1e-5 * x, options)
    np.testing.assert_allclose(moved["mu"], 3.0 + 1e-5 * start["mu"], rtol=1e-12)
    np.testing.assert_allclose(moved["chol"], 1e-5 * start["chol"], rtol=1e-9, atol=1e-21)


def test_beta_start_matches_the_sample_moments(rng):
    # Method of moments: the start's mean and variance are the sample's (to rounding).
    fam = FAMILIES["beta"]
    for factor in (1.0, 1e-6):
        x = rng.beta(2.0, 5.0, size=300) * factor
        start = fam.start(x, {})
        a, b = start["alpha"], start["beta"]
        assert a / (a + b) == pytest.approx(np.mean(x), rel=1e-12)
        assert a * b / ((a + b) ** 2 * (a + b + 1)) == pytest.approx(np.var(x), rel=1e-9)
