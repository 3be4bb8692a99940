"""Models compiled ahead in a forked process while the main one fits."""

from __future__ import annotations

import numpy as np
import pytest
from pytensor.compile.function.types import FunctionMaker

import toolkit
from toolkit.errors import DataError
from toolkit.problem import cache, family
from toolkit.problem.ahead import CompileAhead


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty folder of kept functions, and a process that has compiled nothing yet."""
    monkeypatch.setattr(cache, "folder", lambda: tmp_path)
    monkeypatch.setattr(cache, "_KEPT", {})
    monkeypatch.setattr(family, "_COMPILED", {})
    return tmp_path


@pytest.fixture
def rewrites(monkeypatch):
    """Count graph rewritings in this process (what a restored function skips)."""
    count = {"n": 0}
    prepare = FunctionMaker.prepare_fgraph

    def counted(*args, **kwargs):
        count["n"] += 1
        return prepare(*args, **kwargs)

    monkeypatch.setattr(FunctionMaker, "prepare_fgraph", staticmethod(counted))
    return count


def _jobs(rng):
    return [
        ("gamma", rng.gamma(2.5, 0.7, 300), {}),
        ("normal", rng.normal(1.0, 2.0, 300), {}),
        ("binomial", rng.binomial(10, 0.3, 300), {"n": 10}),
    ]


def _run(jobs, ahead):
    out = []
    for i, (name, data, options) in enumerate(jobs):
        ahead.ready(i)
        out.append(toolkit.compare(name, data, **options))
    return out


def test_later_models_are_built_by_the_other_process(folder, rewrites, rng, monkeypatch):
    jobs = _jobs(rng)
    with CompileAhead(jobs, enabled=True) as ahead:
        ahead_run = _run(jobs, ahead)
    built_here = rewrites["n"]
    assert len(list(folder.glob("*.pkl"))) >= 1  # written by the other process

    monkeypatch.setattr(cache, "_KEPT", {})
    monkeypatch.setattr(family, "_COMPILED", {})
    for path in folder.glob("*.pkl"):
        path.unlink()
    rewrites["n"] = 0
    with CompileAhead(jobs, enabled=False) as ahead:
        inline_run = _run(jobs, ahead)
    # The first model is built here either way; the second at least came from the other
    # process (it starts on it at once, while this one builds the first).
    assert built_here < rewrites["n"]
    for a, b in zip(ahead_run, inline_run, strict=True):
        assert a.verdict == b.verdict
        # rtol: the same graphs, rewritten here or there and restored (PyMC's engines;
        # scipy's own fit of a discrete family searches from random starts)
        engines = ["find_map", "mle", "kl"]
        np.testing.assert_allclose(a.estimates[engines], b.estimates[engines], rtol=1e-13)


def test_bad_data_is_left_to_the_main_process(folder, rng):
    jobs = [("gamma", rng.gamma(2.0, 1.0, 200), {}), ("poisson", np.array([1.0, -2.0, 3.0]), {})]
    with CompileAhead(jobs, enabled=True) as ahead:
        ahead.ready(0)
        toolkit.compare(*jobs[0][:2])
        ahead.ready(1)  # the other process skipped it
        with pytest.raises(DataError, match="poisson"):
            toolkit.compare(*jobs[1][:2])


def test_disabled_forks_nothing(rng):
    with CompileAhead(_jobs(rng), enabled=False) as ahead:
        assert ahead._pool is None
        ahead.ready(1)  # nothing to wait for
