"""Minimisation of a smooth objective to rounding level, walking on function values.

The kl engine's optimiser: its walk sees only function values. It changes coordinates so
that the objective's finite-difference Hessian is the identity there (whitening,
compounded until the weak directions of a badly conditioned problem are resolved),
so that a step of one unit moves the objective by about one half in every direction
however the problem is scaled. In those coordinates a trust-region Newton method
(``scipy.optimize.minimize(method="trust-exact")``) on five-point differences and a
finite-difference Hessian walks from the start, re-whitening between rounds; then
Newton steps judged by the gradient's decrease take over once function values can
no longer tell steps apart (their predicted decrease is below the objective's
rounding error), with gradients by Ridders' extrapolation, which finds the step at
which the objective is still smooth, or with the caller's exact gradient where it has
one (:func:`polish_exact`). The result is certified elsewhere, from derivatives
measured afresh (:func:`measure`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from toolkit.engines import numdiff
from toolkit.engines.newton import is_positive_definite

Objective = Callable[[np.ndarray], float]
#: The objective's exact gradient (an automatic derivative), where the caller has one.
Gradient = Callable[[np.ndarray], np.ndarray]

#: Largest whitened gradient component at which BFGS's rounds stop: the Newton polish
#: takes it from there to rounding level (its convergence is quadratic).
ROUND_TOL = 1e-6
#: The trust region's own stopping gradient in whitened coordinates: below it, function
#: values judge its steps no better than rounding error.
STAGE_GTOL = 1e-8
#: Trust-region iterations between re-whitenings: far from the optimum the whitening of
#: the start is stale, and a start that heads for a plateau should not run for ever.
ROUND_ITERATIONS = 100
#: First trust radius of a round (whitened units, where the objective over its magnitude
#: has unit curvature: a unit step is predicted to change it by half its size).
FIRST_RADIUS = 1.0
#: Largest trust radius (whitened units): far from the optimum the whitening of the start
#: can be off by orders of magnitude (a scale parameter's curvature falls exponentially
#: in its log), and the radius must be free to grow with it.
MAX_RADIUS = 1e10


@dataclass(frozen=True)
class Minimum:
    """Where a minimisation ended and how it got there."""

    x: np.ndarray
    fun: float
    status: str
    iterations: int
    evaluations: int
    #: Largest component of the last whitened five-point gradient (inf if none).
    grad_norm: float = np.inf
    #: Was the last finite-difference Hessian positive definite (a minimum, not a ridge),
    #: and does the objective rise on both sides along every whitened axis (not a plateau)?
    minimum: bool = False


def minimise(
    objective: Objective,
    x0: np.ndarray,
    rounds: int = 12,
    gradient: Gradient | None = None,
    radius: float = FIRST_RADIUS,
) -> Minimum:
    """Minimise ``objective`` from ``x0`` by whitened trust-region rounds, then a polish.

    The rounds see only function values and start each with the trust radius ``radius``
    (whitened units); the polish uses ``gradient`` when given (:func:`polish_exact`),
    finite differences otherwise (:func:`polish`).
    """
    with np.errstate(all="ignore"):
        return _minimise(_Counted(objective), x0, rounds, gradient, radius)


def _minimise(
    counter, x0: np.ndarray, rounds: int, gradient: Gradient | None, radius: float
) -> Minimum:
    x = np.array(x0, dtype=float)
    if not np.isfinite(counter(x)):
        return Minimum(x, np.inf, "objective not finite at the start", 0, counter.calls)
    iterations, message = 0, "no coordinates to move"
    if x.size == 0:
        return Minimum(x, counter(x), message, 0, counter.calls, 0.0, True)
    magnitude = max(1.0, abs(counter(x)))
    transform = refine(_scaled(counter, magnitude), x, np.eye(x.size), passes=2)
    for _ in range(rounds):
        # The objective over its magnitude: far from the optimum it is huge, and unit
        # curvature of f itself would put every finite-difference step below f's rounding.
        relative = _scaled(counter, magnitude)
        whitened = _whitened(relative, x, transform)
        if np.max(np.abs(numdiff.gradient(whitened, np.zeros(x.size)))) <= ROUND_TOL:
            break
        before = counter(x)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = minimize(
                    whitened,
                    np.zeros(x.size),
                    jac=lambda v, f=whitened: numdiff.central_gradient(f, v),
                    hess=lambda v, f=whitened: _finite(numdiff.second_differences(f, v)),
                    method="trust-exact",
                    options={
                        "gtol": STAGE_GTOL,
                        "maxiter": ROUND_ITERATIONS,
                        "initial_trust_radius": radius,
                        "max_trust_radius": MAX_RADIUS,
                    },
                )
        except (ValueError, np.linalg.LinAlgError) as err:  # derivatives not finite on the way
            message = f"stopped: {err}"
            break
        except UnboundLocalError:  # scipy's trust-exact subproblem ends without a step
            message = "stopped: scipy's trust-exact subproblem found no step"
            break
        x, iterations, message = x + transform @ result.x, iterations + result.nit, result.message
        if not before - counter(x) > 1e-12 * max(1.0, abs(before)):
            break  # a round that gains nothing: at the optimum, or on a plateau
        previous, magnitude = magnitude, max(1.0, abs(counter(x)))
        transform = refine(
            _scaled(counter, magnitude), x, transform * np.sqrt(magnitude / previous), passes=1
        )
    transform = transform / np.sqrt(magnitude)  # whitening f itself, for the polish
    if gradient is None:
        x, steps, grad_norm, minimum = polish(counter, x, transform)
    else:
        x, steps, grad_norm, minimum = polish_exact(counter, gradient, x, transform)
    status = f"trust region: {message}; {steps} polish steps"
    if minimum and _flat_axes(_whitened(counter, x, transform), x.size):
        minimum, status = False, status + "; flat on one side (a plateau)"
    return Minimum(x, counter(x), status, iterations + steps, counter.calls, grad_norm, minimum)


def polish(objective: Objective, x: np.ndarray, transform: np.ndarray, steps: int = 8):
    """Newton steps on finite-difference derivatives in whitened coordinates.

    A step is kept while it shrinks the gradient: near the optimum the predicted
    decrease gᵀH⁻¹g/2 falls below the objective's rounding error long before the
    gradient reaches its own rounding floor, so function values cannot judge it.
    Returns the point, the steps taken, the last whitened gradient's largest component
    and whether the last Hessian was positive definite.
    """
    taken, norm, minimum, hess, start = 0, np.inf, False, None, 0.25
    for _ in range(steps):
        if hess is None or not _near_identity(hess):
            transform = refine(objective, x, transform, passes=1, prescale=hess is None)
        whitened = _whitened(objective, x, transform)
        v = np.zeros(x.size)
        grad, error, settled = ridders_estimate(whitened, v, h=start)
        start = np.minimum(4 * settled, 0.25)  # nearby, the objective is smooth on that scale
        norm = float(np.max(np.abs(grad)))
        hess = numdiff.second_differences(whitened, v)
        minimum = bool(np.all(np.isfinite(hess)) and is_minimum(hess))
        if norm <= NOISE_FLOOR * float(np.max(error)):
            break  # the gradient is its own rounding error: no step can be judged now
        try:
            step = -np.linalg.solve(_floored(hess), grad)
        except np.linalg.LinAlgError:
            break
        for damping in (1.0, 0.5, 0.25):  # a full step first; halved where the model is off
            trial_grad = ridders_gradient(whitened, damping * step, h=start)
            shrinks = np.linalg.norm(trial_grad) < np.linalg.norm(grad)
            if np.isfinite(whitened(damping * step)) and shrinks:
                break
        else:
            break
        x = x + transform @ (damping * step)
        taken, norm = taken + 1, float(np.max(np.abs(trial_grad)))
    return x, taken, norm, minimum


def polish_exact(
    objective: Objective, gradient: Gradient, x: np.ndarray, transform: np.ndarray, steps=12
):
    """Newton steps on an exact gradient, with its Ridders-extrapolated central differences
    as the Hessian (:func:`~toolkit.engines.numdiff.gradient_differences`), in coordinates
    re-whitened by that Hessian at every step.

    Function values cannot judge steps near the optimum (see :func:`polish`), and here
    no difference of them is taken either: a step is kept while it shrinks the exact
    gradient, whose rounding error is that of its own terms, not the objective's
    rounding error divided by a difference step. Returns what :func:`polish` returns.
    """
    taken, norm, minimum = 0, np.inf, False
    for _ in range(steps):
        whitened = _whitened_gradient(gradient, x, transform)
        v = np.zeros(x.size)
        grad = whitened(v)
        hess = numdiff.gradient_differences(whitened, v)
        if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
            break
        norm, minimum = float(np.max(np.abs(grad))), is_minimum(hess)
        try:
            step = -np.linalg.solve(_floored(hess), grad)
        except np.linalg.LinAlgError:
            break
        for damping in (1.0, 0.5, 0.25):  # a full step first; halved where the model is off
            trial_grad = whitened(damping * step)
            shrinks = np.linalg.norm(trial_grad) < np.linalg.norm(grad)
            if np.isfinite(objective(x + transform @ (damping * step))) and shrinks:
                break
        else:
            break  # no step shrinks the gradient: it is at its rounding level
        x = x + transform @ (damping * step)
        taken, norm = taken + 1, float(np.max(np.abs(trial_grad)))
        values, vectors = np.linalg.eigh(hess)  # whiten again where the step landed
        transform = transform @ (vectors / np.sqrt(_floor(values)))
    return x, taken, norm, minimum


def _whitened_gradient(gradient: Gradient, x: np.ndarray, transform: np.ndarray) -> Gradient:
    """v -> the gradient of v ↦ f(x + T v): Tᵀ ∇f(x + T v)."""

    def whitened(v):
        return transform.T @ np.asarray(gradient(x + transform @ v), dtype=float)

    return whitened


def _near_identity(hess: np.ndarray) -> bool:
    """The coordinates are still whitened: every curvature within a factor 2 of 1."""
    if not np.all(np.isfinite(hess)):
        return False
    values = np.linalg.eigvalsh(0.5 * (hess + hess.T))
    return bool(values.min() > 0.5 and values.max() < 2.0)


def refine(
    objective: Objective, x: np.ndarray, transform: np.ndarray, passes: int, prescale: bool = True
) -> np.ndarray:
    """``transform`` whitened again at ``x``, ``passes`` times: T ← T·W(v ↦ f(x + T v)).

    One pass resolves curvatures down to about 1e-8 of the largest (the finite-difference
    Hessian's relative accuracy); compounding passes resolves the weak directions of a
    badly conditioned problem, which a single pass floors. The first pass scales each
    coordinate by its own curvature first (``prescale``); later passes start from
    coordinates already whitened.
    """
    for done in range(passes):
        correction = whitening(
            _whitened(objective, x, transform), np.zeros(x.size), prescale=prescale or done > 0
        )
        if not np.all(np.isfinite(correction)):
            break
        transform = transform @ correction
        prescale = False
    return transform


def whitening(objective: Objective, x: np.ndarray, prescale: bool = True) -> np.ndarray:
    """T with Tᵀ H T ≈ I for the finite-difference Hessian H at ``x`` (eigenvalues floored).

    ``prescale`` first scales each coordinate by its own curvature (coordinates whose
    scales differ by orders of magnitude); without it the coordinates are taken as they
    are (already about whitened).
    """
    if prescale:
        f0 = objective(x)
        scale = np.array([_curvature_scale(objective, x, i, f0) for i in range(x.size)])
    else:
        scale = np.ones(x.size)

    def scaled(v):
        return objective(x + scale * v)

    with np.errstate(all="ignore"):
        hess = numdiff.second_differences(scaled, np.zeros(x.size), h=1e-3)
    if not np.all(np.isfinite(hess)):
        return np.diag(scale)
    values, vectors = np.linalg.eigh(hess)
    return (scale[:, None] * vectors) / np.sqrt(_floor(values))


@dataclass(frozen=True)
class Measured:
    """Derivatives measured afresh at a point (:func:`measure`)."""

    #: Gradient and Hessian in the point's own coordinates.
    grad: np.ndarray
    hess: np.ndarray
    #: The same in the coordinates whitened there (the Hessian about the identity).
    whitened_grad: np.ndarray
    whitened_hess: np.ndarray
    #: Directions (columns, in the point's coordinates) along which the objective does
    #: not rise on one side: the point is not a strict minimum along them.
    flat: np.ndarray


def derivatives(objective: Objective, x: np.ndarray, gradient: Gradient | None = None):
    """Gradient and Hessian of ``objective`` at ``x``, independently of the optimiser's.

    Returns (gradient, Hessian) in the coordinates of ``x`` and (gradient, Hessian) in
    coordinates whitened there; see :func:`measure`.
    """
    m = measure(objective, x, gradient)
    return (m.grad, m.hess), (m.whitened_grad, m.whitened_hess)


def measure(objective: Objective, x: np.ndarray, gradient: Gradient | None = None) -> Measured:
    """Gradient, Hessian and flat sides of ``objective`` at ``x``, afresh.

    Measured in coordinates whitened afresh at ``x`` (two compounded passes): the
    gradient by Ridders' extrapolation (:func:`ridders_gradient`), the Hessian by second
    differences; or, given the exact ``gradient``, that gradient and its central
    differences (:func:`~toolkit.engines.numdiff.gradient_differences`). The gradient
    and Hessian are mapped back to the coordinates of ``x`` and kept in the whitened
    ones too, where the Hessian is about the identity and judging it does not suffer
    the mapping's rounding. A whitened axis along which the objective rises by less
    than a tenth of the quadratic's ``t²/2`` on one side of ``x`` (a plateau: a
    parameter the data no longer pin down there, such as the rate of an exponential
    that has decayed to nothing) is a flat direction, whatever the curvature measured
    on the other side says.
    """
    with np.errstate(all="ignore"):
        transform = refine(objective, x, np.eye(x.size), passes=2)
        v = np.zeros(x.size)
        if gradient is None:
            whitened = _whitened(objective, x, transform)
            grad = ridders_gradient(whitened, v)
            hess = numdiff.second_differences(whitened, v)
        else:
            whitened_gradient = _whitened_gradient(gradient, x, transform)
            grad = whitened_gradient(v)
            hess = numdiff.gradient_differences(whitened_gradient, v)
        flat = transform[:, _flat_axes(_whitened(objective, x, transform), x.size)]
    try:  # not pinv: its cutoff drops a coordinate 1e15 times shorter than another
        inverse = np.linalg.inv(transform)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(transform)
    return Measured(inverse.T @ grad, inverse.T @ hess @ inverse, grad, hess, flat)


#: Step along each whitened axis at which both sides must rise (whitened units).
FLAT_STEP = 0.1


def _flat_axes(whitened: Objective, size: int) -> list[int]:
    """Whitened axes along which the objective rises by less than ``0.1 · t²/2`` on a side."""
    f0 = whitened(np.zeros(size))
    rise = 0.1 * FLAT_STEP**2 / 2
    flat = []
    for i in range(size):
        e = np.zeros(size)
        e[i] = FLAT_STEP
        # A side where the objective is not finite is a wall, not a plateau.
        if min(whitened(e) - f0, whitened(-e) - f0) < rise:
            flat.append(i)
    return flat


#: The polish stops when the gradient is within this factor of its own estimated error.
NOISE_FLOOR = 4.0
#: A Ridders estimate whose error is below this (whitened units, where the objective's
#: curvature is 1) has settled: smaller steps would only add rounding error.
SETTLED = 1e-9


def ridders_gradient(
    f: Objective, x: np.ndarray, h: float = 0.25, shrink: float = 2.0, levels: int = 16
) -> np.ndarray:
    """The gradient of :func:`ridders_estimate`, without its error."""
    return ridders_estimate(f, x, h, shrink, levels)[0]


def ridders_estimate(
    f: Objective, x: np.ndarray, h=0.25, shrink: float = 2.0, levels: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient by Ridders' method: central differences at steps h, h/2, h/4, ...,
    extrapolated to step 0 (Richardson), keeping the estimate with the smallest error.

    The error of each extrapolation is estimated from its neighbours in the table
    (Ridders 1982; Press et al., Numerical Recipes §5.7). Going down to smaller steps
    until the estimate settles finds the step at which the objective is still smooth,
    however non-quadratic it is (a fixed stencil at one step is biased where higher
    derivatives are large: a likelihood far from normal within one standard error); once
    it has settled, the search stops before rounding error takes over. ``h`` may be one
    starting step per coordinate. Returns the gradient, each component's estimated error
    and the step at which each settled (a good start for the next estimate nearby).
    """
    starts = np.broadcast_to(np.asarray(h, dtype=float), x.shape)
    grad, errors, steps = np.empty(x.size), np.empty(x.size), np.empty(x.size)
    factor = shrink**2
    for i in range(x.size):
        e = np.zeros(x.size)
        best, best_error, best_step, previous, step = np.nan, np.inf, starts[i], [], starts[i]
        for level in range(levels):
            e[i] = step
            row = [(f(x + e) - f(x - e)) / (2 * step)]
            power = factor
            for j in range(level):
                row.append((power * row[j] - previous[j]) / (power - 1))
                power *= factor
                error = max(abs(row[j + 1] - row[j]), abs(row[j + 1] - previous[j]))
                if error <= best_error:
                    best, best_error, best_step = row[j + 1], error, step
            if level and best_error <= SETTLED and abs(row[-1] - previous[-1]) >= 2 * best_error:
                break  # settled at larger steps, and rounding takes over from here down
            previous, step = row, step / shrink
        grad[i] = best if np.isfinite(best) else row[0]
        errors[i], steps[i] = best_error, best_step
    return grad, errors, steps


def is_minimum(hess: np.ndarray) -> bool:
    """The Hessian is positive definite (relative to its largest eigenvalue)."""
    return bool(hess.size == 0 or is_positive_definite(hess))


def _whitened(objective: Objective, x: np.ndarray, transform: np.ndarray) -> Objective:
    def whitened(v):
        return objective(x + transform @ v)

    return whitened


def _scaled(objective: Objective, magnitude: float) -> Objective:
    def scaled(x):
        return objective(x) / magnitude

    return scaled


def _finite(hess: np.ndarray) -> np.ndarray:
    """A Hessian the trust region can use: non-finite entries (the objective undefined
    a step away) become a steep wall, so that the region shrinks away from them."""
    if np.all(np.isfinite(hess)):
        return hess
    return np.where(np.isfinite(hess), hess, 0.0) + 1e8 * np.eye(len(hess))


def _floor(values: np.ndarray) -> np.ndarray:
    top = max(np.max(np.abs(values)), np.finfo(float).eps)
    return np.maximum(np.abs(values), 1e-8 * top)


def _floored(hess: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(0.5 * (hess + hess.T))
    return (vectors * _floor(values)) @ vectors.T


def _curvature_scale(objective: Objective, x: np.ndarray, i: int, f0: float) -> float:
    """A step along coordinate ``i`` over which the objective changes by O(1)·curvature."""
    h, difference = _resolved_step(objective, x, i, f0, 1e-3 * max(1.0, abs(x[i])))
    curvature = np.nan
    e = np.zeros(x.size)
    for _ in range(6):
        if difference is None:
            e[i] = h
            difference = objective(x + e) - 2 * f0 + objective(x - e)
        curvature = difference / h**2
        if not (np.isfinite(curvature) and curvature > 0):
            return h
        target = np.sqrt(2e-4 * max(1.0, abs(f0)) / curvature)
        if 0.5 < target / h < 2:
            break
        h, difference = target, None
    return 1.0 / np.sqrt(curvature) if curvature > 0 else h


#: A second difference below this times max(1, |f|) is rounding, not curvature: the terms
#: of a KL (a cross-entropy of size |log scale| minus its entropy estimate) round at a few
#: eps times their size, far above eps·|f|.
ROUNDING = 1e-12


def _resolved_step(objective: Objective, x: np.ndarray, i: int, f0: float, h: float):
    """``h`` and the second difference along ``i`` there, the step lengthened 1e4-fold at a
    time while that difference is rounding: a unit step is nothing to a coordinate whose
    scale is 1e5 or 1e40 (a location in the data's units), and curvature measured there is
    noise. Never lengthened to where the objective stops being finite."""
    e, last = np.zeros(x.size), None
    for _ in range(14):  # up to 1e52 times: beyond what validation admits
        e[i] = h
        difference = objective(x + e) - 2 * f0 + objective(x - e)
        if not np.isfinite(difference) and last is not None:
            return last
        if not np.isfinite(difference) or abs(difference) > ROUNDING * max(1.0, abs(f0)):
            return h, difference
        last, h = (h, difference), h * 1e4
    return last


class _Counted:
    """An objective that counts its calls and returns inf where it is not finite."""

    def __init__(self, objective: Objective):
        self.objective = objective
        self.calls = 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        value = float(self.objective(x))
        return value if math.isfinite(value) else np.inf
