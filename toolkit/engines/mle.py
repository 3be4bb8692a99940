"""The PyMC engines: plain ``pm.find_MAP`` and the polished MLE.

``find_map`` is PyMC's own answer, kept so users see what plain PyMC gives.
``mle`` starts there and polishes with PyMC's compiled gradient and Hessian of
the data log-likelihood (flat priors, no Jacobian) by a safeguarded Newton
method, on PyMC's unconstrained space, until a certificate holds.
"""

from __future__ import annotations

import time

import numpy as np

from toolkit.engines.fit import Fit, FitCertificate
from toolkit.engines.newton import is_positive_definite, newton_minimise
from toolkit.engines.nonsmooth import line_search_coordinates, outside_argmax_set
from toolkit.engines.problem import Problem, degenerate_fit
from toolkit.engines.pymc_model import CompiledModel, compiled_model
from toolkit.quiet import quiet

DENSITY = "PyMC log-probability"
#: |z| beyond this in unconstrained space is a parameter at 0, 1 or infinity.
BOUNDARY_Z = 30.0
#: L-BFGS-B's success says the objective stopped falling, not that it reached the
#: optimum: find_map counts as converged only within this many SEs of it (the default
#: agreement tolerance, so an unpolished find_map is never judged at a finer level than
#: it got to).
FIND_MAP_SE_TOL = 1e-3


def fit_find_map(problem: Problem) -> tuple[Fit, np.ndarray]:
    """``pm.find_MAP`` on the flat-prior model; also returns its unconstrained point.

    It starts at the family's data-driven ``start`` where one is declared (natural
    space, by PyMC variable name), else at the model's initial point.
    """
    import pymc as pm

    compiled = compiled_model(problem)
    family = problem.family
    initial = family.start(problem.data, problem.options) if family.start else None
    start = time.perf_counter()
    with quiet():
        point, raw = pm.find_MAP(
            start=initial,
            model=compiled.model,
            progressbar=False,
            return_raw=True,
            include_transformed=True,
        )
    seconds = time.perf_counter() - start
    z = compiled.to_vector(point)
    _, grad, hess = compiled.loglik_derivatives(z)
    status = f"scipy {getattr(raw, 'message', 'finished')}".strip()
    converged = bool(getattr(raw, "success", True))
    distance = newton_distance_se(grad, hess, compiled.indices(family.nonsmooth))
    if converged and not distance <= FIND_MAP_SE_TOL:
        converged = False
        status += f"; stopped {distance:.2g} SE short of the optimum (Newton step)"
    estimates = _natural(compiled, z)
    if outside := outside_argmax_set(problem, estimates):
        converged = False
        status += "; " + "; ".join(outside)
    certificate = FitCertificate(
        status=status,
        converged=converged,
        grad_norm=float(np.max(np.abs(grad))) / problem.n,
        hessian_pd=is_positive_definite(-hess),
        iterations=int(getattr(raw, "nit", 0)),
        evaluations=int(getattr(raw, "nfev", 0)),
        seconds=seconds,
        at_boundary=bool(np.any(np.abs(z) > BOUNDARY_Z)),
    )
    return Fit("find_map", estimates, certificate, DENSITY), z


def newton_distance_se(grad: np.ndarray, hess: np.ndarray, nonsmooth: list[int]) -> float:
    """Length of the Newton step to the optimum in standard errors: √(gᵀ I⁻¹ g).

    ``grad`` and ``hess`` are of the total log-likelihood; the observed information
    I = −H is the inverse covariance, so this is the step's length in the metric in
    which one unit is one SE, and it bounds each parameter's distance from the
    optimum in its own SEs (to second order). Infinite where I is not positive definite.
    """
    smooth = [i for i in range(len(grad)) if i not in nonsmooth]
    g, information = grad[smooth], -hess[np.ix_(smooth, smooth)]
    if not is_positive_definite(information):
        return np.inf
    return float(np.sqrt(max(g @ np.linalg.solve(information, g), 0.0)))


def fit_mle(problem: Problem, start: np.ndarray) -> tuple[Fit, np.ndarray]:
    """Polish ``start`` to the MLE; returns the fit and the covariance of the estimates.

    Parameters the family declares non-smooth are held fixed during the Newton
    steps and moved by Brent's method along their own axis, in alternation.
    """
    compiled = compiled_model(problem)
    n = problem.n
    t0 = time.perf_counter()

    def objective(z):
        value, grad, hess = compiled.loglik_derivatives(z)
        return -value / n, -grad / n, -hess / n

    nonsmooth = compiled.indices(problem.family.nonsmooth)
    smooth = [i for i in range(len(start)) if i not in nonsmooth]
    z = np.array(start, dtype=float)
    iterations = evaluations = 0
    for _ in range(4 if nonsmooth else 1):
        result = newton_minimise(_restricted(objective, z, smooth), z[smooth])
        z[smooth] = result.x
        iterations += result.iterations
        evaluations += result.evaluations
        if nonsmooth:
            z = line_search_coordinates(lambda v: objective(v)[0], z, nonsmooth, "brent")
    fun, grad, hess = objective(z)
    estimates = _natural(compiled, z)
    outside = outside_argmax_set(problem, estimates)
    status = "; ".join(outside) if outside else result.status
    degenerate = degenerate_fit(problem, estimates)
    if degenerate:
        status = f"{status}; {degenerate}"
    certificate = FitCertificate(
        status=status,
        converged=result.converged and not outside,
        grad_norm=float(np.max(np.abs(grad[smooth]), initial=0.0)),
        hessian_pd=is_positive_definite(hess[np.ix_(smooth, smooth)]),
        iterations=iterations,
        evaluations=evaluations,
        seconds=time.perf_counter() - t0,
        at_boundary=bool(np.any(np.abs(z) > BOUNDARY_Z)) or degenerate is not None,
    )
    details = {"loglik_pymc": -n * fun, "z": z, "information": n * hess}
    # Only the smooth block of the information is informative; parameters that depend
    # on non-smooth coordinates alone get zero variance here (compare fills their SE).
    covariance = natural_covariance(compiled, z, n * hess, keep=smooth)
    return Fit("mle", estimates, certificate, DENSITY, details), covariance


def _restricted(objective, z: np.ndarray, keep: list[int]):
    """``objective`` as a function of the coordinates ``keep`` only, the rest fixed at ``z``."""

    def restricted(sub):
        full = z.copy()
        full[keep] = sub
        f, g, h = objective(full)
        return f, g[keep], h[np.ix_(keep, keep)]

    return restricted


def natural_covariance(
    compiled: CompiledModel, z: np.ndarray, information: np.ndarray, keep: list[int] | None = None
):
    """Delta-method covariance of the natural parameters from the observed information.

    Directions of zero or negative curvature get infinite variance: the data do
    not pin the parameter down there. ``keep`` restricts the information (and the
    Jacobian) to those coordinates of z.
    """
    jac = compiled.natural_jacobian(z)
    if keep is not None:
        information, jac = information[np.ix_(keep, keep)], jac[:, keep]
    values, vectors = np.linalg.eigh(0.5 * (information + information.T))
    top = max(np.max(np.abs(values)), np.finfo(float).tiny)
    with np.errstate(divide="ignore"):
        inverse = np.where(values > 1e-10 * top, 1.0 / values, np.inf)
    projected = jac @ vectors
    finite = np.isfinite(inverse)
    cov = (projected[:, finite] * inverse[finite]) @ projected[:, finite].T
    singular = np.abs(projected[:, ~finite]).max(axis=1, initial=0.0) > 1e-12
    cov[singular, :] = np.inf
    cov[:, singular] = np.inf
    return cov


def _natural(compiled: CompiledModel, z: np.ndarray) -> dict[str, float]:
    return dict(zip(compiled.names, map(float, compiled.natural(z)), strict=True))
