"""What makes the fast path possible: graphs compiled once, data swapped, atoms and
sufficient statistics equal to the raw data, and the ``find_map`` column equal to
``pm.find_MAP``. Timings live in ``klmle bench``, not here."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pymc as pm
import pytensor
import pytest
from pytensor.compile.function.types import FunctionMaker

import toolkit
from models import families
from tests.toolkit.model_references import MISRA1A_X, MISRA1A_Y
from toolkit.config import settings_context
from toolkit.problem import make_problem, structure, tiers
from toolkit.problem.structure import compiled_for


@pytest.fixture
def compilations(monkeypatch):
    """Count PyTensor compilations (every compiled function goes through FunctionMaker)."""
    count = {"n": 0}
    create = FunctionMaker.create

    def counted(self, *args, **kwargs):
        count["n"] += 1
        return create(self, *args, **kwargs)

    monkeypatch.setattr(FunctionMaker, "create", counted)
    return count


#: Each tier of a model's functions (toolkit.problem.tiers), as ``compile_after``: PyTensor's
#: Python implementation for every call, or C from the first.
TIERS = {"python": 2**62, "c": 0}


@pytest.fixture(params=list(TIERS))
def tier(request):
    """Every function of every model on one tier for the test."""
    with settings_context(compile_after=TIERS[request.param]):
        yield request.param


@contextmanager
def pymc_on(tier: str):
    """PyMC's own compiled functions (``pm.find_MAP``'s, ``model.compile_logp``) on the
    same PyTensor implementation as klmle's functions on ``tier``."""
    if tier == "c":
        yield
        return
    with pytensor.config.change_flags(mode=tiers.python_mode()):
        yield


def misra1a(y, x=MISRA1A_X, start=(500.0, 1e-4)):
    """NIST Misra1a as a user writes it: numpy arrays, initial values, a flat-prior scale."""
    with pm.Model() as model:
        b1 = pm.Flat("b1", initval=start[0])
        b2 = pm.Flat("b2", initval=start[1])
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", b1 * (1 - pm.math.exp(-b2 * x)), sigma, observed=y)
    return model


def saturating(y, x=MISRA1A_X, start=(500.0, 1e-4)):
    """Misra1a's curve with a Student-t error: a structure no other test compiles."""
    with pm.Model() as model:
        b1 = pm.Flat("b1", initval=start[0])
        b2 = pm.Flat("b2", initval=start[1])
        sigma = pm.HalfFlat("sigma")
        pm.StudentT("y", nu=7.0, mu=b1 * (1 - pm.math.exp(-b2 * x)), sigma=sigma, observed=y)
    return model


def test_second_model_of_the_same_structure_compiles_nothing(compilations, tier, monkeypatch):
    monkeypatch.setattr(structure, "_TEMPLATES", {})  # compiled here, whatever ran before
    with settings_context(function_cache=False):
        _second_model_compiles_nothing(compilations)


def _second_model_compiles_nothing(compilations):
    toolkit.compare(saturating(MISRA1A_Y))
    first = compilations["n"]
    assert first > 0  # this structure is compiled here, whatever ran before
    y = MISRA1A_Y * 1.01 + 0.1
    cmp = toolkit.compare(saturating(y, start=(300.0, 2e-4)))  # new arrays, new initvals
    assert compilations["n"] == first
    assert cmp.verdict == "agree"
    fresh = toolkit.compare(saturating(y, start=(300.0, 2e-4)))
    np.testing.assert_array_equal(cmp.estimates["mle"], fresh.estimates["mle"])


def test_structure_cache_tells_models_apart():
    """Another scalar constant, prior or row count is another structure: never confused."""
    base, _ = compiled_for(misra1a(MISRA1A_Y))
    same, _ = compiled_for(misra1a(MISRA1A_Y + 1.0))
    assert same._lazy is base._lazy
    with pm.Model() as other_prior:
        b1 = pm.Normal("b1", 0, 1000, initval=500.0)
        b2 = pm.Flat("b2", initval=1e-4)
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", b1 * (1 - pm.math.exp(-b2 * MISRA1A_X)), sigma, observed=MISRA1A_Y)
    assert compiled_for(other_prior)[0]._lazy is not base._lazy
    shorter = misra1a(MISRA1A_Y[:10], x=MISRA1A_X[:10])
    assert compiled_for(shorter)[0]._lazy is not base._lazy


def test_interleaved_models_of_one_structure_keep_their_own_data():
    a = make_problem(misra1a(MISRA1A_Y))
    b = make_problem(misra1a(2 * MISRA1A_Y))
    theta = np.array([240.0, 5.5e-4, 0.1])
    la, lb = a.loglik(theta), b.loglik(theta)
    assert la != lb
    assert a.loglik(theta) == la  # b's data were bound in between


def test_second_catalog_fit_compiles_nothing(compilations):
    rng = np.random.default_rng(3)
    toolkit.compare("gamma", rng.gamma(2.0, 1.5, 500))
    first = compilations["n"]
    toolkit.compare("gamma", rng.gamma(3.0, 0.5, 2000))
    assert compilations["n"] == first


def _pm_find_map(problem, tier):
    """Plain ``pm.find_MAP`` on the problem's model with its data, from its start."""
    compiled = problem.pymc
    start = problem.unflatten(problem.start) if problem.start is not None else None
    if not start:
        start = {k: np.asarray(v) for k, v in compiled.initvals.items()} or None
    with pymc_on(tier):
        point = pm.find_MAP(start=start, model=compiled.model, progressbar=False)
    return np.concatenate([np.ravel(point[name]) for name in problem.shapes])


@pytest.mark.parametrize("name", list(families()))
def test_find_map_column_is_pm_find_map(name, tier):
    """Every catalog and regression family, on its demo data, on each tier: the replayed
    find_map is plain pm.find_MAP's point on the same PyTensor implementation (rtol:
    L-BFGS-B's converged end, reached through values that agree to rounding)."""
    data, options = _demo_data(name, 300, seed=1)
    problem = make_problem(name, data, **options)
    cmp = toolkit.compare(name, data, **options)
    expected = _pm_find_map(problem, tier)
    np.testing.assert_allclose(cmp.estimates["find_map"].to_numpy(), expected, rtol=1e-10)


def _demo_data(name, n, seed):
    """A family's demo data of ``n`` rows and its compare options (as ``klmle demo``'s)."""
    from models.demo import demo_datasets

    for family, data, options in demo_datasets(n=n, seed=seed):
        if family == name:
            return data, options
    raise KeyError(name)


def test_find_map_column_is_pm_find_map_on_user_models(tier):
    with pm.Model() as prior_model:  # proper priors: find_map is the MAP
        mu = pm.Normal("mu", 0.0, 1.0)
        sigma = pm.HalfNormal("sigma", 2.0)
        pm.Normal("y", mu, sigma, observed=np.random.default_rng(4).normal(1.0, 1.5, 40))
    for model in (prior_model, misra1a(MISRA1A_Y), misra1a(MISRA1A_Y * 0.9)):
        cmp = toolkit.compare(model)
        with pymc_on(tier):
            point = pm.find_MAP(model=model, progressbar=False)
        expected = np.array([float(point[name]) for name in cmp.estimates.index])
        np.testing.assert_allclose(cmp.estimates["find_map"].to_numpy(), expected, rtol=1e-10)


def prior_model(y):
    """A user's model with proper priors (find_map is the MAP)."""
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 1.0)
        sigma = pm.HalfNormal("sigma", 2.0)
        pm.Normal("y", mu, sigma, observed=y)
    return model


@pytest.mark.parametrize("build", [misra1a, prior_model, "gamma", "categorical"])
def test_find_map_objective_is_the_compiled_models_own(build, rng, compilations, tier):
    """pm.find_MAP's objective and gradient (the model's log-probability without Jacobian,
    every term) are read from the compiled derivative function, with the model's other
    terms (flat priors' zeros, a Dirichlet's constant) beside the likelihood: to rounding
    the values of pm.find_MAP's own graphs, and no function compiled for find_map."""
    if isinstance(build, str):  # a catalog family: its model, with the sample's atoms
        data, options = _demo_data(build, 200, seed=2)
        problem = make_problem(build, data, **options)
        toolkit.compare(build, data, **options)
    else:
        model = build(MISRA1A_Y if build is misra1a else rng.normal(1.0, 1.5, 40))
        problem = make_problem(model)
        toolkit.compare(model)
    compiled = problem.pymc
    model = compiled.model
    before = compilations["n"]
    with pymc_on(tier):
        logp, dlogp = model.compile_logp(jacobian=False), model.compile_dlogp(jacobian=False)
    assert compilations["n"] == before + 2  # pm.find_MAP's two; compare compiled neither
    for _ in range(5):
        z = compiled.initial_z + rng.normal(0.0, 0.1, compiled.size)
        point, offset = {}, 0
        for name, value in compiled.point.items():
            point[name] = z[offset : offset + value.size].reshape(value.shape)
            offset += value.size
        value, grad = compiled.model_logp(z, priors=problem.has_priors)
        # rtol: float64 rounding of sums over 14 to 200 rows, added in another order
        assert value == pytest.approx(float(logp(point)), rel=1e-13)
        np.testing.assert_allclose(grad, dlogp(point), rtol=1e-11, atol=1e-12 * np.abs(grad).max())


def _linked_to_c(kept) -> bool:
    """Does a compiled model's function (or the object holding it) run C code?"""
    if hasattr(kept, "maker"):
        return bool(getattr(kept.maker.linker, "c_thunks", False))
    if isinstance(kept, tuple):
        return any(_linked_to_c(part) for part in kept)
    return hasattr(kept, "function") and _linked_to_c(kept.function)


@pytest.mark.parametrize(
    "build, in_c",
    [
        # Misra1a's 14 rows: the kl engine's walk calls the rows' density thousands of times.
        (misra1a, [("rows", "c"), "weighted_rows"]),
        (lambda y: prior_model(np.random.default_rng(4).normal(1.0, 1.5, 40)), ["weighted_rows"]),
    ],
)
def test_a_users_first_fit_compiles_only_what_is_called_thousands_of_times(
    build, in_c, monkeypatch
):
    """Cold, on the default tiers, a user's model's first compare compiles to C only the
    kl engine's atom-weighted log-density with its gradient (from its first call) and, when
    the kl engine's walk calls it more than compile_after times, the rows' log-density; the
    derivatives of the log-likelihood and log-posterior (a few hundred calls at most) and
    the transforms run on PyTensor's Python implementation, with nothing to compile."""
    monkeypatch.setattr(structure, "_TEMPLATES", {})  # this process's first fit of them
    with settings_context(function_cache=False):
        model = build(MISRA1A_Y)
        problem = make_problem(model)
        toolkit.compare(model)
    kept = problem.pymc._lazy
    assert sorted(map(str, (k for k, f in kept.items() if _linked_to_c(f)))) == sorted(
        map(str, in_c)
    )
    assert "loglik" in kept and not _linked_to_c(kept["loglik"])


@pytest.mark.parametrize("name", ["normal", "gamma", "lognormal", "poisson", "binomial"])
def test_sufficient_statistics_equal_the_sum_over_atoms(name):
    from models import get_family

    family = get_family(name)
    options = dict(family.demo_options)
    data = family.simulate(np.random.default_rng(5), 400, family.demo_params, options)
    problem = make_problem(name, data, **options)
    assert problem.mean_logq is not None
    theta = np.asarray(problem.closed_form() if problem.closed_form else problem.start) * 1.1
    by_atoms = float(np.sum(problem.atoms.weights * problem.logq(theta)))
    assert problem.mean_logq(theta) == pytest.approx(by_atoms, rel=1e-13)


def test_large_and_small_samples_of_the_same_values_agree():
    """Repeating a sample k times changes N, not the atoms: same estimates, same KL."""
    x = np.random.default_rng(6).poisson(3.5, 200)
    small = toolkit.compare("poisson", x)
    large = toolkit.compare("poisson", np.tile(x, 1000))
    for engine in ("mle", "kl", "closed_form"):
        np.testing.assert_allclose(large.estimates[engine], small.estimates[engine], rtol=1e-12)
    np.testing.assert_allclose(large.kl["mle"], small.kl["mle"], rtol=1e-12)


PSEUDO = ["normal", "lognormal", "exponential", "half_normal", "gamma"]


@pytest.mark.parametrize("name", PSEUDO)
def test_pseudo_atoms_have_the_sample_statistics(name):
    """One or two pseudo-atoms give Σ w log q of the sample at every θ (algebra)."""
    from models import get_family
    from toolkit.problem.names import unflatten

    family = get_family(name)
    data = family.simulate(np.random.default_rng(7), 3000, family.demo_params, {})
    problem = make_problem(name, data)
    stats = family.statistics.compute(data[problem.atoms.index], problem.atoms.weights, {})
    values, weights = family.statistics.pseudo_atoms(stats, {})
    assert weights.sum() == pytest.approx(1.0, rel=1e-15)
    rng = np.random.default_rng(8)
    for _ in range(5):
        theta = np.asarray(problem.closed_form() if problem.closed_form else problem.start)
        theta = theta * rng.uniform(0.5, 1.5, theta.size)
        params = unflatten(theta, problem.shapes)
        by_pseudo = float(np.dot(weights, family.logpdf(values, params, {})))
        assert by_pseudo == pytest.approx(problem.mean_logq(theta), rel=1e-12)


@pytest.mark.parametrize("name", PSEUDO)
def test_large_samples_through_pseudo_atoms_fit_as_the_atoms_do(name):
    from models import get_family

    family = get_family(name)
    data = family.simulate(np.random.default_rng(9), 5000, family.demo_params, {})
    atoms = toolkit.compare(name, data)
    with settings_context(pseudo_atoms_above=1000):
        pseudo = toolkit.compare(name, data)
    assert "pseudo-atoms" in pseudo.kl_note and "pseudo-atoms" not in atoms.kl_note
    assert pseudo.verdict == atoms.verdict == "agree"
    for engine in ("mle", "kl"):
        np.testing.assert_allclose(pseudo.estimates[engine], atoms.estimates[engine], rtol=1e-12)
    np.testing.assert_allclose(pseudo.loglik["mle"], atoms.loglik["mle"], rtol=1e-13)
