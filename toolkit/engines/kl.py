"""The ``kl`` engine: minimises KL(p̂ ‖ q_θ) itself, over atoms, by its own optimiser.

The data are the problem's atoms (distinct rows) with weights; the log-density is
the problem's own (the family's scipy.stats/numpy implementation, independent of
PyMC, where there is one; PyMC's elementwise log-probability for a user's model).
The objective is the exact (conditional) KL for discrete data and, for continuous
data, the cross-entropy minus an entropy estimate of p, a θ-free constant. The
optimiser (:mod:`toolkit.engines.whitened`) walks on function values: a trust
region on finite differences in whitened coordinates, then a polish to rounding
level; a different algorithm from ``mle``'s line-search Newton on PyMC's exact
Hessian. For a user's model the polish and the certificate also use the exact
gradient of the atom-weighted KL, Σ w ∇log q over the atoms (PyTensor's derivative
of that sum, compiled for it), with Ridders-extrapolated differences of it as the
Hessian: function values of a badly conditioned model round far above its gradient's
rounding (NIST's Lanczos2 and Bennett5 lose two to four digits on differences alone).
Its coordinates are its own (log, logit, additive log-ratio, ...) where the problem
declares the parameters' domains, PyMC's transforms otherwise. It starts from the
same points as ``mle``, never from another engine's answer, and is certified by
derivatives measured afresh at its end point (in coordinates whitened there), with
one more test of its own: the KL must rise on both sides of the end point along every
whitened axis, so that a plateau (a rate whose exponential has decayed to nothing)
is never called an optimum.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from toolkit.engines import whitened
from toolkit.engines.fit import Fit, certify
from toolkit.engines.mle import diverging_variables, remembered
from toolkit.engines.nonsmooth import line_search_coordinates, outside_argmax_set
from toolkit.engines.starts import Run, best_run, distinct_optima, starting_points
from toolkit.engines.transforms import Parametrisation
from toolkit.problem import Problem
from toolkit.problem.names import variable_of

NAME = "kl"
#: A run ends at a local optimum (for the list of distinct optima) when its last whitened
#: gradient is below this: far above rounding, far below any real slope.
LOCAL_OPTIMUM = 1e-6
#: The first trust radius (whitened units) of a start's second run, when its first did
#: not end at a strict minimum (:func:`_run`).
CAUTIOUS_RADIUS = 0.1


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
    #: u -> the exact gradient of the KL in u, where the problem has one (else None).
    gradient: object = None


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

    gradient = None
    if problem.mean_logq_z is not None:

        def gradient(z):
            return -problem.mean_logq_z(z)[1]

    return Coordinates(
        compiled.size,
        compiled.constrained,
        compiled.coordinates,
        compiled.natural,
        compiled.to_z,
        objective,
        False,
        gradient,
    )


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit:
    """Minimise the KL from every start; the best end point, certified."""
    coords = coordinates(problem)
    objective = remembered(_inf_where_undefined(coords.objective))
    gradient = coords.gradient
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
            runs.append(_run(objective, u0, smooth, nonsmooth, gradient))
    best = best_run(runs)
    theta = coords.to_natural(best.x)
    grad, hess, measured, flat = _smooth_derivatives(objective, best.x, smooth, gradient)
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
        problems=[*outside_argmax_set(problem, theta), *_flat_sentences(flat, coords)],
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


def _run(objective, u0: np.ndarray, smooth: list[int], nonsmooth: list[int], gradient) -> Run:
    """One start: a run, and if it ends anywhere but at a strict minimum (a plateau, a
    ridge), a second, cautious run from the same start; the better of the two.

    Far from the optimum, a first trust-region step of a whitened unit can leap onto a
    plateau of a nonlinear model (a rate running off until its exponential has decayed
    to nothing: NIST's BoxBOD from its first start); a first radius of a tenth of a unit
    follows the slope instead. Neither radius is right for every model (the cautious one
    walks onto another plateau of MGH17 from its first start), so the cautious run is the
    fallback, not the rule.
    """
    run = _walk(objective, u0, smooth, nonsmooth, gradient, whitened.FIRST_RADIUS)
    if run.converged:
        return run
    cautious = _walk(objective, u0, smooth, nonsmooth, gradient, CAUTIOUS_RADIUS)
    best = best_run([run, cautious])
    return replace(
        best,
        iterations=run.iterations + cautious.iterations,
        evaluations=run.evaluations + cautious.evaluations,
    )


def _walk(objective, u0, smooth, nonsmooth, gradient, radius: float) -> Run:
    """Whitened minimisation of the smooth coordinates, golden section on the others."""
    u, iterations, evaluations, status = np.array(u0, dtype=float), 0, 0, ""
    for _ in range(4 if nonsmooth else 1):
        restricted = _restricted(objective, u, smooth)
        result = whitened.minimise(
            restricted,
            u[smooth],
            gradient=_restricted_gradient(gradient, u, smooth),
            radius=radius,
        )
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


def _smooth_derivatives(objective, u: np.ndarray, smooth: list[int], gradient=None):
    """Gradient and Hessian (measured afresh) with zeros for non-smooth coordinates, the
    smooth block's derivatives in the coordinates whitened where they were measured, and
    the directions (columns over all coordinates) along which the KL is flat on a side."""
    grad, hess = np.zeros(u.size), np.zeros((u.size, u.size))
    whitened_pair = (np.zeros(0), np.zeros((0, 0)))
    flat = np.zeros((u.size, 0))
    if smooth:
        m = whitened.measure(
            _restricted(objective, u, smooth),
            u[smooth],
            _restricted_gradient(gradient, u, smooth),
        )
        grad[smooth] = m.grad
        hess[np.ix_(smooth, smooth)] = m.hess
        whitened_pair = (m.whitened_grad, m.whitened_hess)
        flat = np.zeros((u.size, m.flat.shape[1]))
        flat[smooth] = m.flat
    return grad, hess, whitened_pair, flat


def _flat_sentences(flat: np.ndarray, coords: Coordinates) -> list[str]:
    """A sentence when the KL does not rise on one side along some direction."""
    if flat.shape[1] == 0:
        return []
    names = []
    for column in flat.T:  # the coordinate that moves most along the direction, relatively
        i = int(np.argmax(np.abs(column)))
        names += [v for v, idx in coords.coordinates.items() if i in idx and v not in names]
    return [
        "stalled: the KL is flat on one side along a direction moving "
        f"{', '.join(names)} (not a strict minimum: the data do not pin it down there)"
    ]


def _restricted_gradient(gradient, u: np.ndarray, keep: list[int]):
    """The exact gradient of :func:`_restricted`'s objective (None without one)."""
    if gradient is None:
        return None

    def restricted(sub):
        full = u.copy()
        full[keep] = sub
        with np.errstate(all="ignore"):
            return np.asarray(gradient(full), dtype=float)[keep]

    return restricted


def _restricted(objective, u: np.ndarray, keep: list[int]):
    if list(keep) == list(range(u.size)):  # nothing fixed: no copy per evaluation
        return objective

    def restricted(sub):
        full = u.copy()
        full[keep] = sub
        return objective(full)

    return restricted
