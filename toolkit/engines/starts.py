"""Where the optimising engines start, and which of their end points are distinct optima.

Every optimising engine starts from the same points: the problem's declared
start (or the model's initial point), then ``n_starts`` seeded jittered copies
in PyMC's unconstrained space, handed over in the natural space so that each
engine maps them to its own coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.config import settings
from toolkit.problem import Problem


def starting_points(problem: Problem) -> list[np.ndarray]:
    """Natural flat starts: the declared start or initial point, then jittered copies."""
    n_starts = settings["n_starts"]
    if n_starts is None:
        n_starts = problem.default_starts
    pymc = problem.pymc
    z0 = pymc.to_z(problem.start) if problem.start is not None else pymc.initial_z
    rng = np.random.default_rng(settings["seed"])
    width = np.where(z0 != 0, 0.5 * np.abs(z0), 1.0)
    zs = [z0] + [z0 + width * rng.uniform(-1, 1, z0.shape) for _ in range(n_starts)]
    return [pymc.natural(z) for z in zs]


@dataclass(frozen=True)
class Run:
    """One optimiser run: where it ended, its objective there and whether it converged."""

    x: np.ndarray
    fun: float
    converged: bool
    status: str
    iterations: int
    evaluations: int
    start: np.ndarray
    #: The optimiser stopped because its gradient vanished (at an optimum, or flat far
    #: out along a ray), not because it ran out of iterations.
    settled: bool = True


def best_run(runs: list[Run]) -> Run:
    """The converged run with the lowest objective (any run, if none converged)."""
    return min(runs, key=lambda r: (not r.converged, r.fun if np.isfinite(r.fun) else np.inf))


def distinct_optima(runs: list[Run], scale: np.ndarray) -> list[Run]:
    """Converged runs that end at different points, best first.

    Two ends are the same optimum when their objectives agree to 1e-9 relative and
    no coordinate differs by more than 1e-5 of ``scale`` (a typical size of each
    coordinate): far coarser than an optimiser's error, far finer than distinct modes.
    """
    optima: list[Run] = []
    for run in sorted((r for r in runs if r.converged), key=lambda r: r.fun):
        same = any(
            abs(run.fun - o.fun) <= 1e-9 * max(1.0, abs(o.fun))
            and np.all(np.abs(run.x - o.x) <= 1e-5 * scale)
            for o in optima
        )
        if not same:
            optima.append(run)
    return optima
