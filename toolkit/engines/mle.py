"""The ``mle`` engine: the data log-likelihood maximised with PyMC's exact derivatives.

From ``find_map``'s answer and from every start (:func:`~toolkit.engines.starts.
starting_points`), a safeguarded Newton method on PyMC's compiled gradient and
Hessian of the data log-likelihood (flat priors, no Jacobian term), on PyMC's
unconstrained space, in coordinates scaled by the Hessian's diagonal, until the
Newton decrement is at rounding level. Parameters the problem declares non-smooth
(Laplace's location) are moved by Brent's method along their own axis, in
alternation. The best end point is the estimate; the distinct optima are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from pymc.logprob.utils import ParameterValueError

from toolkit.config import settings
from toolkit.engines.fit import Fit, certify, inverse_root_diagonal, scaled_positive_definite
from toolkit.engines.newton import newton_minimise
from toolkit.engines.nonsmooth import line_search_coordinates, outside_argmax_set
from toolkit.engines.starts import Run, best_run, distinct_optima, starting_points
from toolkit.problem import Problem
from toolkit.problem.names import variable_of

NAME = "mle"
DENSITY = "PyMC log-probability"

Derivatives = Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]]


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit:
    """Maximise the data log-likelihood from find_map's point and every start."""
    return maximise(problem, problem.pymc.loglik_derivatives, NAME, fits)


def maximise(problem: Problem, derivatives: Derivatives, engine: str, fits) -> Fit:
    """Newton from find_map's point and every start; the best end point, certified.

    find_map's L-BFGS-B ran from the first start; Newton walks from its point and from
    that start too, since a run that stalled can end where Newton would not go.
    """
    compiled = problem.pymc
    n = problem.n
    objective = remembered(per_observation(derivatives, n), size=4)
    nonsmooth = compiled.indices({variable_of(p) for p in problem.nonsmooth})
    smooth = [i for i in range(compiled.size) if i not in nonsmooth]
    t0 = time.perf_counter()
    starts = [compiled.to_z(theta) for theta in starting_points(problem)]
    found = fits["find_map"].details["z"] if "find_map" in fits else None
    if found is not None and np.all(np.isfinite(found)):
        starts.insert(0, np.asarray(found, dtype=float))
    runs = [_run(objective, z, smooth, nonsmooth) for z in starts if np.all(np.isfinite(z))]
    best = best_run(runs)
    fun, grad, hess = objective(best.x)
    theta = compiled.natural(best.x)
    diverging = diverging_variables(
        lambda z: objective(z)[0], best, compiled.constrained, compiled.coordinates
    )
    problems = outside_argmax_set(problem, theta)
    boundary = (
        f"the objective keeps improving as {', '.join(diverging)} diverge" if diverging else None
    )
    if boundary is None and problem.degenerate is not None:
        boundary = problem.degenerate(theta)
    certificate = certify(
        z=best.x,
        grad=grad,
        hess=hess,
        n=n,
        constrained=compiled.constrained,
        smooth=smooth,
        optimiser=best.status,
        problems=problems,
        boundary=boundary,
        iterations=sum(r.iterations for r in runs),
        evaluations=sum(r.evaluations for r in runs),
        seconds=time.perf_counter() - t0,
    )
    optima = distinct_optima(runs, _scale(compiled, runs))
    details = {
        "z": best.x,
        "information": n * hess,
        "objective": fun,
        "diverging": diverging,
        "starts": len(runs),
        "n_optima": len(optima),
        "optima": [
            {
                "objective": o.fun,
                **dict(zip(problem.names, compiled.natural(o.x).tolist(), strict=True)),
            }
            for o in optima
        ],
    }
    estimates = dict(zip(problem.names, theta.tolist(), strict=True))
    objective_kind = "likelihood" if engine == NAME else "posterior"
    return Fit(engine, estimates, certificate, DENSITY, details, objective_kind)


def per_observation(derivatives: Derivatives, n: int) -> Derivatives:
    """z -> (−logp/N, gradient, Hessian), infinite where PyMC rejects z."""

    def objective(z):
        try:
            with np.errstate(all="ignore"):
                value, grad, hess = derivatives(z)
        except ParameterValueError:  # e.g. p rounded outside [0, 1] far out along a ray
            return np.inf, np.full(len(z), np.nan), np.full((len(z), len(z)), np.nan)
        return -float(value) / n, -np.asarray(grad) / n, -np.asarray(hess) / n

    return objective


def remembered(objective, size: int | None = None):
    """``objective`` that returns its answer again at a point it has seen (bit for bit
    the same z): any point, or any of the last ``size``. The mle engine keeps four (a
    Newton round starts where the last one ended, and the best run's end point is
    evaluated again for its certificate); the kl engine keeps every point (its walk's
    whitening, its polish and its certificate revisit one point in eight)."""
    answers: dict[bytes, Any] = {}

    def remembered(z):
        key = np.asarray(z, dtype=float).tobytes()
        if key not in answers:
            if size is not None and len(answers) >= size:
                del answers[next(iter(answers))]
            answers[key] = objective(z)
        return answers[key]

    return remembered


def _run(objective, z0: np.ndarray, smooth: list[int], nonsmooth: list[int]) -> Run:
    """Scaled Newton on the smooth coordinates, Brent on the others, in alternation."""
    z, iterations, evaluations, status, converged = np.array(z0), 0, 0, "", False
    for _ in range(4 if nonsmooth else 1):
        restricted = _restricted(objective, z, smooth)
        x, it, ev, status, converged = scaled_newton(restricted, z[smooth])
        z[smooth] = x
        iterations, evaluations = iterations + it, evaluations + ev
        if nonsmooth:
            z = line_search_coordinates(lambda v: objective(v)[0], z, nonsmooth, "brent")
    fun, _, hess = objective(z)
    minimum = bool(np.all(np.isfinite(hess[np.ix_(smooth, smooth)]))) and (
        not smooth or scaled_positive_definite(hess[np.ix_(smooth, smooth)])
    )
    converged = converged and minimum and bool(np.isfinite(fun))
    return Run(z, fun, converged, status, iterations, evaluations, z0)


def scaled_newton(objective, x0: np.ndarray, rounds: int = 3):
    """Newton in coordinates scaled by |diag H|^(-1/2), rescaled at each round's end.

    Returns (x, iterations, evaluations, status, converged).
    """
    x, iterations, evaluations = np.array(x0, dtype=float), 0, 0
    status, converged = "no coordinates to move", True
    if x.size == 0:
        return x, 0, 0, status, converged
    for _ in range(rounds):
        with np.errstate(all="ignore"):
            hess = objective(x)[2]
        scale = inverse_root_diagonal(hess)

        def scaled(u, scale=scale):
            f, g, h = objective(u * scale)
            return f, g * scale, h * np.outer(scale, scale)

        try:
            with np.errstate(all="ignore"):
                result = newton_minimise(scaled, x / scale)
        except np.linalg.LinAlgError:  # a non-finite Hessian on the way: this start failed
            return x, iterations, evaluations, "non-finite Hessian", False
        x = result.x * scale
        iterations += result.iterations
        evaluations += result.evaluations
        status, converged = result.status, result.converged
        if result.converged and result.iterations <= 1:
            break
    return x, iterations, evaluations, status, converged


def _restricted(objective, z: np.ndarray, keep: list[int]):
    """``objective`` as a function of the coordinates ``keep`` only, the rest fixed at ``z``."""
    if list(keep) == list(range(z.size)):  # nothing fixed: no copies per evaluation
        return objective

    def restricted(sub):
        full = z.copy()
        full[keep] = sub
        f, g, h = objective(full)
        return f, g[keep], h[np.ix_(keep, keep)]

    return restricted


def diverging_variables(objective, run: Run, constrained, coordinates) -> list[str]:
    """Variables that keep improving the objective along the ray start -> end -> beyond.

    A run that diverges travels far; a run that starts next to its optimum (find_map's
    point) moves by little, and the objective along so short a ray is rounding noise:
    rays shorter than 1e-3 of the point's size are not judged. The ray of the constrained
    coordinates alone is judged too: a scale running to 0 on constant data keeps improving
    the objective only while the locations stay where they converged. And so is a unit step
    along it: a scale running to 0 on data fitted exactly (NIST's Wampler2) improves the
    objective at a constant rate per unit of log scale until the residuals' rounding, which
    a long ray overshoots.
    """
    z, d = run.x, run.x - run.start
    constrained = np.asarray(constrained, dtype=bool)
    edge = np.where(constrained, d, 0.0)
    for ray in (d, edge):
        names = _diverging_along(objective, z, ray, constrained, coordinates)
        if names:
            return names
    if np.all(np.isfinite(z)) and np.max(np.abs(edge)) > 1e-3 * max(1.0, np.max(np.abs(z))):
        unit = edge / np.max(np.abs(edge))
        with np.errstate(all="ignore"):
            f0, f1, f3 = objective(z), objective(z + unit), objective(z + 3 * unit)
        # Falling at an undiminished rate: an optimum ahead would have to be more than
        # ~30 units out (beyond boundary_z) for the second fall to be 1.9 times the first.
        if _falls(f0, f1) and _falls(f1, f3) and f1 - f3 >= 1.9 * (f0 - f1):
            moving = np.abs(unit) > 0.1
            return [name for name, idx in coordinates.items() if any(moving[i] for i in idx)]
    return []


def _diverging_along(objective, z, d, constrained, coordinates) -> list[str]:
    if not np.all(np.isfinite(z)) or np.max(np.abs(d)) <= 1e-3 * max(1.0, np.max(np.abs(z))):
        return []
    with np.errstate(all="ignore"):
        f0, f1, f3 = objective(z), objective(z + d), objective(z + 3 * d)
    improving = _falls(f0, f1) and _falls(f1, f3)
    far = np.any(constrained & (np.abs(z) > settings["boundary_z"]))
    if not (improving or (f1 <= f0 and far)):
        return []
    moving = np.abs(d) > 0.1 * np.max(np.abs(d))
    return [name for name, idx in coordinates.items() if any(moving[i] for i in idx)]


def _falls(before: float, after: float) -> bool:
    """``after`` is below ``before`` by more than the rounding of either (both finite)."""
    if not (np.isfinite(before) and np.isfinite(after)):
        return False
    return bool(after < before - 8 * np.finfo(float).eps * max(abs(before), abs(after)))


def _scale(compiled, runs: list[Run]) -> np.ndarray:
    """A typical size of each coordinate of z, for telling optima apart."""
    ends = np.array([r.x for r in runs if np.all(np.isfinite(r.x))] or [np.zeros(compiled.size)])
    return np.maximum(np.max(np.abs(ends), axis=0), 1.0)
