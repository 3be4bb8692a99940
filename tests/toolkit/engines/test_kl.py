"""The kl engine's own pieces (its fits are tested through compare)."""

from __future__ import annotations

import collections

import numpy as np

from toolkit.engines import kl
from toolkit.problem import make_problem


def test_the_kl_engine_evaluates_its_objective_once_per_point(monkeypatch):
    # The walk, the polish and the certificate revisit points; each is summed once.
    x = np.random.default_rng(3).gamma(2.0, 1.5, 400)
    problem = make_problem("gamma", x)
    seen = collections.Counter()
    own = kl.coordinates

    def counting(problem):
        coords = own(problem)

        def objective(u):
            seen[np.asarray(u, dtype=float).tobytes()] += 1
            return coords.objective(u)

        return kl.Coordinates(**{**coords.__dict__, "objective": objective})

    monkeypatch.setattr(kl, "coordinates", counting)
    fit = kl.fit(problem, {})
    assert fit.converged
    assert len(seen) > 100 and max(seen.values()) == 1
