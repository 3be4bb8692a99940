"""Compiled functions kept on disk: restored instead of rewritten, linked to new data."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pandas as pd
import pytest
from pytensor.compile.function.types import FunctionMaker

import toolkit
from toolkit.config import settings_context
from toolkit.problem import cache, family, regression, structure


def _empty_folder(tmp_path, monkeypatch, tier: str):
    """An empty folder of kept functions, and a process that has compiled nothing yet;
    every function on one tier throughout (toolkit.problem.tiers)."""
    monkeypatch.setattr(cache, "folder", lambda: tmp_path)
    monkeypatch.setattr(cache, "_KEPT", {})
    monkeypatch.setattr(family, "_COMPILED", {})
    monkeypatch.setattr(regression, "_COMPILED", {})
    monkeypatch.setattr(structure, "_TEMPLATES", {})
    return settings_context(compile_after=10**9 if tier == "python" else 0)


@pytest.fixture(params=["python", "c"])
def folder(request, tmp_path, monkeypatch):
    """:func:`_empty_folder` on each tier: PyTensor's Python implementation, and C."""
    with _empty_folder(tmp_path, monkeypatch, request.param):
        yield tmp_path


@pytest.fixture
def c_folder(tmp_path, monkeypatch):
    """:func:`_empty_folder` with every function compiled to C."""
    with _empty_folder(tmp_path, monkeypatch, "c"):
        yield tmp_path


@pytest.fixture
def rewrites(monkeypatch):
    """Count graph rewritings (what a restored function skips)."""
    count = {"n": 0}
    prepare = FunctionMaker.prepare_fgraph

    def counted(*args, **kwargs):
        count["n"] += 1
        return prepare(*args, **kwargs)

    monkeypatch.setattr(FunctionMaker, "prepare_fgraph", staticmethod(counted))
    return count


def new_process(monkeypatch) -> None:
    """What the next process sees: the files this one wrote at exit, nothing in memory."""
    cache.save_all()
    monkeypatch.setattr(cache, "_KEPT", {})
    monkeypatch.setattr(family, "_COMPILED", {})
    monkeypatch.setattr(regression, "_COMPILED", {})
    monkeypatch.setattr(structure, "_TEMPLATES", {})


def estimates(cmp) -> dict[str, np.ndarray]:
    return {name: np.array(list(fit.estimates.values())) for name, fit in cmp.fits.items()}


def assert_same(a, b) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-13, err_msg=name)


def test_restored_functions_are_not_rewritten_and_see_new_data(folder, rewrites, monkeypatch):
    rng = np.random.default_rng(3)
    first, second = rng.gamma(2.5, 0.7, 400), rng.gamma(1.5, 2.0, 300)
    before = toolkit.compare("gamma", first)
    assert rewrites["n"] > 0
    assert list(folder.glob("*.pkl")) == []  # written when the process ends
    new_process(monkeypatch)
    assert len(list(folder.glob("*.pkl"))) == 1

    rewrites["n"] = 0
    after = toolkit.compare("gamma", second)
    again = toolkit.compare("gamma", first)
    assert rewrites["n"] == 0
    assert_same(estimates(again), estimates(before))
    monkeypatch.setattr(family, "_COMPILED", {})
    with settings_context(function_cache=False):
        fresh = toolkit.compare("gamma", second)
    assert rewrites["n"] > 0
    assert_same(estimates(after), estimates(fresh))
    assert after.verdict == fresh.verdict == "agree"


def test_a_regression_model_is_restored(folder, rewrites, monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.3 + 0.5 * x))})
    before = toolkit.compare("poisson_regression", frame, y="y", x=["x"])
    new_process(monkeypatch)
    rewrites["n"] = 0
    after = toolkit.compare("poisson_regression", frame, y="y", x=["x"])
    assert rewrites["n"] == 0
    assert_same(estimates(after), estimates(before))


def test_a_file_that_does_not_load_is_ignored_and_written_again(folder, monkeypatch):
    x = np.random.default_rng(5).exponential(2.0, 300)
    before = toolkit.compare("exponential", x)
    new_process(monkeypatch)
    (path,) = folder.glob("*.pkl")
    path.write_bytes(b"not a pickle")
    after = toolkit.compare("exponential", x)
    assert_same(estimates(after), estimates(before))
    new_process(monkeypatch)
    assert path.stat().st_size > 1000


def test_a_function_that_does_not_pickle_is_left_out(folder, rewrites, monkeypatch):
    x = np.random.default_rng(6).normal(3.0, 2.0, 300)
    toolkit.compare("normal", x)
    (compiled,) = family._COMPILED.values()
    compiled._lazy["a closure"] = lambda z: z
    kept = set(compiled._lazy) - {"a closure"}
    new_process(monkeypatch)
    rewrites["n"] = 0
    toolkit.compare("normal", x)
    (compiled,) = family._COMPILED.values()
    assert set(compiled._lazy) == kept
    assert rewrites["n"] == 0


def test_turned_off_nothing_is_kept(folder, monkeypatch):
    with settings_context(function_cache=False):
        toolkit.compare("poisson", np.random.default_rng(7).poisson(3.0, 200))
    new_process(monkeypatch)
    assert list(folder.glob("*.pkl")) == []


def test_only_mean_functions_named_in_models_are_kept():
    from models import families

    nonlinear = families()["nonlinear_regression"]
    declared = nonlinear.demo_options["mean"]
    spec = (declared, ("b1", "b2"), (1.0, 0.1))
    assert regression._kept_key(nonlinear, 1, spec) is not None
    assert regression._kept_key(nonlinear, 1, (lambda x, t, m: t[0] * x, ("b1",), (1.0,))) is None

    def local(x, theta, math):
        return theta[0] * x

    assert regression._kept_key(nonlinear, 1, (local, ("b1",), (1.0,))) is None


def test_files_of_other_versions_are_removed_once_unused(folder):
    current = folder / f"{cache._stamp()[:12]}-current.pkl"
    recent = folder / "000000000000-recent.pkl"
    stale = folder / "000000000000-stale.pkl"
    for path in (current, recent, stale):
        path.write_bytes(b"x")
    old = time.time() - 2 * cache.STALE_SECONDS
    os.utime(stale, (old, old))
    os.utime(current, (old, old))
    cache._remove_stale(folder)
    assert current.exists() and recent.exists() and not stale.exists()


def decay(y, x, start=(2.0, 0.5), error="Normal"):
    """A user's model: an exponential decay with a flat-prior error scale, numpy data."""
    import pymc as pm

    with pm.Model() as model:
        a = pm.Flat("a", initval=start[0])
        k = pm.Flat("k", initval=start[1])
        sigma = pm.HalfFlat("sigma")
        getattr(pm, error)("y", a * pm.math.exp(-k * x), sigma, observed=y)
    return model


def test_a_users_model_structure_is_restored(folder, rewrites, monkeypatch):
    rng = np.random.default_rng(8)
    x = np.linspace(0, 4, 40)
    y1 = 3.0 * np.exp(-0.7 * x) + rng.normal(0, 0.05, x.size)
    y2 = 2.0 * np.exp(-0.4 * x) + rng.normal(0, 0.05, x.size)
    before = toolkit.compare(decay(y1, x))
    new_process(monkeypatch)
    assert len(list(folder.glob("*.pkl"))) == 1
    rewrites["n"] = 0
    after = toolkit.compare(decay(y2, x, start=(1.5, 0.3)))  # other arrays, other initvals
    again = toolkit.compare(decay(y1, x))
    assert rewrites["n"] == 0
    assert_same(estimates(again), estimates(before))
    monkeypatch.setattr(structure, "_TEMPLATES", {})
    with settings_context(function_cache=False):
        fresh = toolkit.compare(decay(y2, x, start=(1.5, 0.3)))
    assert_same(estimates(after), estimates(fresh))


def test_restored_functions_find_their_c_code_by_the_flags_it_was_compiled_with(
    c_folder, monkeypatch
):
    """A C module's key in PyTensor's cache holds the compiler flags: functions are
    compiled and restored with the same ones (no debug information), or a new process
    would compile every module again."""
    from pytensor.link.c.basic import CLinker

    from toolkit.problem.tiers import NO_DEBUG_INFO

    flags: list[list[str]] = []
    compile_args = CLinker.compile_args

    def recorded(self):
        flags.append(compile_args(self))
        return flags[-1]

    monkeypatch.setattr(CLinker, "compile_args", recorded)
    x = np.linspace(0, 4, 30)
    y = 3.0 * np.exp(-0.7 * x) + np.random.default_rng(9).normal(0, 0.05, x.size)
    toolkit.compare(decay(y, x, error="Cauchy"))
    assert flags and all(NO_DEBUG_INFO in args for args in flags)
    new_process(monkeypatch)
    flags.clear()
    toolkit.compare(decay(y, x, error="Cauchy"))
    assert flags and all(NO_DEBUG_INFO in args for args in flags)


def test_a_graph_without_a_digest_is_not_kept(folder, monkeypatch):
    """A bounded prior's transform holds a closure: nothing names its code across processes."""
    import pymc as pm

    with pm.Model() as model:
        p = pm.Uniform("p", 0.0, 1.0)
        pm.Bernoulli("y", p, observed=np.array([0, 1, 1, 0, 1, 1, 1, 0]))
    fgraph, _ = structure._lifted(model)
    assert structure._digest(fgraph) is None
    with pm.Model() as mixture:  # an op with an inner graph its properties do not describe
        w = pm.Dirichlet("w", a=np.ones(2))
        pm.NormalMixture("y", w=w, mu=np.array([-1.0, 1.0]), sigma=1.0, observed=np.zeros(5))
    assert structure._digest(structure._lifted(mixture)[0]) is None
    toolkit.compare(model)
    new_process(monkeypatch)
    assert list(folder.glob("*.pkl")) == []


def test_the_digest_tells_structures_apart():
    x = np.linspace(0, 4, 40)
    y = np.exp(-x)
    digest = structure._digest(structure._lifted(decay(y, x))[0])
    # other data and initial values: the same structure
    assert digest == structure._digest(structure._lifted(decay(2 * y, x[::-1], start=(1, 1)))[0])
    # another error distribution, another number of rows: other structures
    assert digest != structure._digest(structure._lifted(decay(y, x, error="Laplace"))[0])
    assert digest != structure._digest(structure._lifted(decay(y[:-1], x[:-1]))[0])


def test_restored_c_ops_read_their_code_once_and_hold_what_pytensor_reads(monkeypatch):
    # DimShuffle is an ExternalCOp: PyTensor reads its C source from files. Restored
    # ops share one reading per process, and hold the same code as a fresh op.
    from pytensor.tensor.elemwise import DimShuffle

    monkeypatch.setattr(cache, "_C_CODE", {})
    reads = {"n": 0}
    load = DimShuffle.load_c_code

    def counted(self, files):
        reads["n"] += 1
        return load(self, files)

    monkeypatch.setattr(DimShuffle, "load_c_code", counted)
    fresh = [DimShuffle(input_ndim=2, new_order=order) for order in ((1, 0), (0, "x", 1))]
    reads["n"] = 0
    restored = []
    for op in fresh:
        cls, (kind, state) = cache._Pickler(io.BytesIO(), {}).reducer_override(op)[:2]
        assert cls is cache._with_c_code
        restored.append(cls(kind, state))
    assert reads["n"] == 1
    for old, new in zip(fresh, restored, strict=True):
        assert new == old and new.new_order == old.new_order
        assert new.func_codes == old.func_codes and new.code_sections == old.code_sections
    assert restored[0].func_codes is not restored[1].func_codes  # each op its own list


def test_a_kept_function_leaves_its_rewriting_out(folder, monkeypatch, rng):
    """A file holds the rewritten graph without what served its rewriting only (every
    variable's shape, the merge's memory: half of a file): restored, it computes the same."""
    from toolkit.problem import make_problem

    x = rng.gamma(2.5, 0.7, 400)
    compiled = make_problem("gamma", x).pymc
    z = compiled.initial_z + 0.1
    expected = compiled.loglik_derivatives(z)
    new_process(monkeypatch)
    restored = make_problem("gamma", x).pymc
    (function,) = [f for k, f in restored._lazy.items() if "loglik" in k]
    assert hasattr(compiled._lazy[next(k for k in compiled._lazy if "loglik" in k)].maker.fgraph,
                   "shape_feature")  # fmt: skip
    assert not hasattr(function.maker.fgraph, "shape_feature")
    assert not hasattr(function.maker.fgraph, "merge_feature")
    for a, b in zip(restored.loglik_derivatives(z), expected, strict=True):
        np.testing.assert_array_equal(a, b)
