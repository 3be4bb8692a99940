"""The ``kl`` engine: minimises KL(p̂ ‖ q_θ) itself, over atoms, without PyMC's derivatives.

The data are the problem's atoms (distinct rows) with weights; the log-density is
the problem's own (the family's scipy.stats/numpy implementation, independent of
PyMC, where there is one; PyMC's elementwise log-probability for a user's model).
The objective is the exact (conditional) KL for discrete data and, for continuous
data, the cross-entropy minus an entropy estimate of p, a θ-free constant. The
optimiser (:mod:`toolkit.engines.whitened`) sees only function values: a trust
region on finite differences in whitened coordinates, then a polish to rounding
level; a different algorithm, with different derivatives, from ``mle``'s line-search
Newton on PyMC's exact ones. Its coordinates are its own
(log, logit, additive log-ratio, ...) where the problem declares the parameters'
domains, PyMC's transforms otherwise. It starts from the same points as ``mle``,
never from another engine's answer, and is certified by derivatives measured afresh
at its end point (Ridders' extrapolation in coordinates whitened there).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from toolkit.engines import whitened
from toolkit.engines.fit import Fit, certify
from toolkit.engines.mle import diverging_variables
from toolkit.engines.nonsmooth import line_search_coordinates, outside_argmax_set
from toolkit.engines.starts import Run, best_run, distinct_optima, starting_points
from toolkit.engines.transforms import Parametrisation
from toolkit.problem import Problem
from toolkit.problem.names import variable_of

NAME = "kl"
#: A run ends at a local optimum (for the list of distinct optima) when its last whitened
#: gradient is below this: far above rounding, far below any real slope.
LOCAL_OPTIMUM = 1e-6


@dataclass(frozen=True)
class Coordinates:
    """The kl engine's free vector u: its map to natural parameters, and the KL of u."""

    size: int
    constrained: np.ndarray
    coordinates: dict[str, list[int]]
    to_natural: object
    from_natural: object
    objective: object
    own: bool


def coordinates(problem: Problem) -> Coordinates:
    """The engine's own parametrisation where the problem gives domains, else PyMC's."""
    weights = problem.atoms.weights
    if problem.domains is not None:
        par = Parametrisation(problem.domains, problem.shapes)
        kl = problem.kl_objective()
        return Coordinates(
            par.size,
            par.constrained,
            par.coordinates,
            par.to_flat,
            par.from_flat,
            lambda u: kl(par.to_flat(u)),
            True,
        )
    compiled = problem.pymc
    offset = (
        float(np.sum(weights * problem.atoms.log_conditional))
        if problem.discrete
        else -problem.kl_offset
    )

    def objective(z):
        with np.errstate(all="ignore"):
            value = offset - float(np.sum(weights * problem.logq_z(z)))
        return value if np.isfinite(value) else np.inf

    return Coordinates(
        compiled.size,
        compiled.constrained,
        compiled.coordinates,
        compiled.natural,
        compiled.to_z,
        objective,
        False,
    )


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit:
    """Minimise the KL from every start; the best end point, certified."""
    coords = coordinates(problem)
    objective = _inf_where_undefined(coords.objective)
    nonsmooth = [
        i for v in {variable_of(p) for p in problem.nonsmooth} for i in coords.coordinates[v]
    ]
    smooth = [i for i in range(coords.size) if i not in nonsmooth]
    t0 = time.perf_counter()
    runs = []
    for theta in starting_points(problem):
        with np.errstate(all="ignore"):
            u0 = coords.from_natural(theta)
        if np.all(np.isfinite(u0)):
            runs.append(_run(objective, u0, smooth, nonsmooth))
    best = best_run(runs)
    theta = coords.to_natural(best.x)
    grad, hess, measured = _smooth_derivatives(objective, best.x, smooth)
    diverging = []
    if best.settled:  # a run cut short by its iteration limit still falls along its path
        diverging = diverging_variables(objective, best, coords.constrained, coords.coordinates)
    boundary = f"the KL keeps falling as {', '.join(diverging)} diverge" if diverging else None
    if boundary is None and problem.degenerate is not None:
        boundary = problem.degenerate(theta)
    certificate = certify(
        z=best.x,
        grad=grad,
        hess=hess,
        n=problem.n,
        constrained=coords.constrained,
        smooth=smooth,
        optimiser=best.status,
        problems=outside_argmax_set(problem, theta),
        boundary=boundary,
        iterations=sum(r.iterations for r in runs),
        evaluations=sum(r.evaluations for r in runs),
        seconds=time.perf_counter() - t0,
        whitened=measured,
    )
    scale = np.maximum(np.max(np.abs([r.x for r in runs]), axis=0), 1.0)
    optima = distinct_optima(runs, scale)
    details = {
        "kl": best.fun,
        "kl_offset": problem.kl_note,
        "z": best.x,
        "own_coordinates": coords.own,
        "statistics": problem.mean_logq is not None,
        "diverging": diverging,
        "starts": len(runs),
        "n_optima": len(optima),
        "optima": [
            {
                "objective": o.fun,
                **dict(zip(problem.names, coords.to_natural(o.x).tolist(), strict=True)),
            }
            for o in optima
        ],
    }
    estimates = dict(zip(problem.names, theta.tolist(), strict=True))
    return Fit(NAME, estimates, certificate, problem.density, details)


def _inf_where_undefined(objective):
    """``objective``, +inf where the density cannot be evaluated (a Python float division
    by a rate that underflowed to 0 far out in a trial step)."""

    def guarded(u):
        try:
            return objective(u)
        except ArithmeticError:
            return np.inf

    return guarded


def _run(objective, u0: np.ndarray, smooth: list[int], nonsmooth: list[int]) -> Run:
    """Whitened minimisation of the smooth coordinates, golden section on the others."""
    u, iterations, evaluations, status = np.array(u0, dtype=float), 0, 0, ""
    for _ in range(4 if nonsmooth else 1):
        restricted = _restricted(objective, u, smooth)
        result = whitened.minimise(restricted, u[smooth])
        u[smooth] = result.x
        iterations, evaluations, status = (
            iterations + result.iterations,
            evaluations + result.evaluations,
            result.status,
        )
        if nonsmooth:
            u = line_search_coordinates(objective, u, nonsmooth, "golden")
    fun = objective(u)
    settled = bool(np.isfinite(fun)) and result.grad_norm <= LOCAL_OPTIMUM
    converged = settled and result.minimum
    return Run(u, fun, converged, status, iterations, evaluations, np.array(u0), settled)


def _smooth_derivatives(objective, u: np.ndarray, smooth: list[int]):
    """Gradient and Hessian (independent differences) with zeros for non-smooth coordinates,
    and the smooth block's derivatives in the coordinates whitened where they were measured."""
    grad, hess = np.zeros(u.size), np.zeros((u.size, u.size))
    whitened_pair = (np.zeros(0), np.zeros((0, 0)))
    if smooth:
        (g, h), whitened_pair = whitened.derivatives(_restricted(objective, u, smooth), u[smooth])
        grad[smooth] = g
        hess[np.ix_(smooth, smooth)] = h
    return grad, hess, whitened_pair


def _restricted(objective, u: np.ndarray, keep: list[int]):
    def restricted(sub):
        full = u.copy()
        full[keep] = sub
        return objective(full)

    return restricted
