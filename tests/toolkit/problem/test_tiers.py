"""Where compiled functions run: PyTensor's Python implementation first, C when called often."""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pytest
from pytensor.scalar import basic as ps
from pytensor.tensor.elemwise import Elemwise

from models import get_family
from toolkit.config import settings_context
from toolkit.problem import family, make_problem, tiers


@pytest.fixture
def fresh(monkeypatch):
    """A process that has compiled no catalog model yet, and keeps nothing on disk."""
    monkeypatch.setattr(family, "_COMPILED", {})
    with settings_context(function_cache=False):
        yield


def _problem(name, n=300, seed=4):
    declared = get_family(name)
    options = dict(declared.demo_options)
    data = declared.simulate(np.random.default_rng(seed), n, declared.demo_params, options)
    return make_problem(name, data, **options)


def _uses_c(function) -> bool:
    return bool(function.maker.linker.c_thunks)


def test_a_function_runs_on_python_then_on_c(fresh):
    compiled = _problem("gamma").pymc
    z = compiled.initial_z
    with settings_context(compile_after=3):
        python = [compiled.loglik_derivatives(z) for _ in range(3)]
        assert not _uses_c(compiled._lazy["loglik"])
        assert ("loglik", tiers.C) not in compiled._lazy
        c = compiled.loglik_derivatives(z)  # the fourth call
        assert _uses_c(compiled._lazy[("loglik", tiers.C)])
    assert compiled._calls["loglik"] == 4
    for value in python[1:]:  # one tier, one answer: bit for bit
        np.testing.assert_array_equal(value[1], python[0][1])
    # The tiers agree to rounding: the value to 1e-13 (sums over 300 atoms in another
    # order); gamma's gradient and Hessian hold digamma and trigamma, which PyTensor's C
    # code computes to about 2e-10 relative and SciPy's to rounding.
    assert c[0] == pytest.approx(python[0][0], rel=1e-13)
    np.testing.assert_allclose(c[1], python[0][1], rtol=1e-9, atol=1e-9 * np.abs(c[1]).max())
    np.testing.assert_allclose(c[2], python[0][2], rtol=1e-9, atol=1e-9 * np.abs(c[2]).max())


def test_compile_after_zero_is_c_from_the_first_call(fresh):
    compiled = _problem("poisson").pymc
    with settings_context(compile_after=0):
        compiled.loglik_derivatives(compiled.initial_z)
    assert "loglik" not in compiled._lazy
    assert _uses_c(compiled._lazy[("loglik", tiers.C)])


@pytest.mark.parametrize("name", ["normal", "negative_binomial", "categorical", "mv_normal"])
def test_the_tiers_give_the_same_numbers(fresh, name, rng):
    """Value, gradient and Hessian of the log-likelihood at points around the start, on
    both tiers (rtol: rounding of sums over the atoms, and C's digamma for the negative
    binomial, about 2e-10 relative)."""
    compiled = _problem(name).pymc
    points = [compiled.initial_z + rng.normal(0.0, 0.2, compiled.size) for _ in range(3)]
    with settings_context(compile_after=10**9):
        python = [compiled.loglik_derivatives(z) for z in points]
    with settings_context(compile_after=0):
        c = [compiled.loglik_derivatives(z) for z in points]
    assert not _uses_c(compiled._lazy["loglik"])
    for ours, theirs in zip(python, c, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            scale = np.abs(np.asarray(b)).max()
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * scale)


def test_python_graphs_have_no_fused_or_wide_elementwise_operations(fresh):
    """Each elementwise operation is one NumPy call: no fused loops (C only) and no sum or
    product of more than two operands (NumPy's add and multiply take two)."""
    compiled = _problem("gaussian_mixture").pymc
    with settings_context(compile_after=10**9):
        compiled.loglik_derivatives(compiled.initial_z)
    nodes = compiled._lazy["loglik"].maker.fgraph.apply_nodes
    elementwise = [n for n in nodes if isinstance(n.op, Elemwise)]
    assert elementwise
    assert not any(isinstance(n.op.scalar_op, ps.Composite) for n in elementwise)
    wide = [n for n in elementwise if isinstance(n.op.scalar_op, ps.Add | ps.Mul)]
    assert wide and all(len(n.inputs) == 2 for n in wide)


def test_the_python_mode_pickles_by_name():
    mode = tiers.python_mode()
    assert pickle.loads(pickle.dumps(mode)) is mode


def test_building_pauses_the_cycle_collector_and_restores_it():
    assert gc.isenabled()
    with tiers.building(tiers.PYTHON):
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with tiers.without_gc():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_natural_many_is_natural_row_by_row(fresh, rng):
    compiled = _problem("gaussian_mixture").pymc
    zs = compiled.initial_z + rng.normal(0.0, 0.3, (5, compiled.size))
    np.testing.assert_allclose(
        compiled.natural_many(zs), [compiled.natural(z) for z in zs], rtol=1e-14
    )
