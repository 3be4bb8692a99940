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
from toolkit.engines.problem import Problem
from toolkit.engines.pymc_model import CompiledModel, compiled_model

DENSITY = "PyMC log-probability"
#: |z| beyond this in unconstrained space is a parameter at 0, 1 or infinity.
BOUNDARY_Z = 30.0


def fit_find_map(problem: Problem) -> tuple[Fit, np.ndarray]:
    """``pm.find_MAP`` on the flat-prior model; also returns its unconstrained point."""
    import pymc as pm

    compiled = compiled_model(problem)
    start = time.perf_counter()
    with _quiet():
        point, raw = pm.find_MAP(
            model=compiled.model, progressbar=False, return_raw=True, include_transformed=True
        )
    seconds = time.perf_counter() - start
    z = compiled.to_vector(point)
    _, grad, hess = compiled.loglik_derivatives(z)
    certificate = FitCertificate(
        status=f"scipy {getattr(raw, 'message', 'finished')}".strip(),
        converged=bool(getattr(raw, "success", True)),
        grad_norm=float(np.max(np.abs(grad))) / problem.n,
        hessian_pd=is_positive_definite(-hess),
        iterations=int(getattr(raw, "nit", 0)),
        evaluations=int(getattr(raw, "nfev", 0)),
        seconds=seconds,
        at_boundary=bool(np.any(np.abs(z) > BOUNDARY_Z)),
    )
    return Fit("find_map", _natural(compiled, z), certificate, DENSITY), z


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
    certificate = FitCertificate(
        status=status,
        converged=result.converged and not outside,
        grad_norm=float(np.max(np.abs(grad[smooth]), initial=0.0)),
        hessian_pd=is_positive_definite(hess[np.ix_(smooth, smooth)]),
        iterations=iterations,
        evaluations=evaluations,
        seconds=time.perf_counter() - t0,
        at_boundary=bool(np.any(np.abs(z) > BOUNDARY_Z)),
    )
    details = {"loglik_pymc": -n * fun, "z": z, "information": n * hess}
    covariance = natural_covariance(compiled, z, n * hess)
    return Fit("mle", estimates, certificate, DENSITY, details), covariance


def _restricted(objective, z: np.ndarray, keep: list[int]):
    """``objective`` as a function of the coordinates ``keep`` only, the rest fixed at ``z``."""

    def restricted(sub):
        full = z.copy()
        full[keep] = sub
        f, g, h = objective(full)
        return f, g[keep], h[np.ix_(keep, keep)]

    return restricted


def natural_covariance(compiled: CompiledModel, z: np.ndarray, information: np.ndarray):
    """Delta-method covariance of the natural parameters from the observed information.

    Directions of zero or negative curvature get infinite variance: the data do
    not pin the parameter down there.
    """
    values, vectors = np.linalg.eigh(0.5 * (information + information.T))
    top = max(np.max(np.abs(values)), np.finfo(float).tiny)
    with np.errstate(divide="ignore"):
        inverse = np.where(values > 1e-10 * top, 1.0 / values, np.inf)
    jac = compiled.natural_jacobian(z)
    projected = jac @ vectors
    finite = np.isfinite(inverse)
    cov = (projected[:, finite] * inverse[finite]) @ projected[:, finite].T
    singular = np.abs(projected[:, ~finite]).max(axis=1, initial=0.0) > 1e-12
    cov[singular, :] = np.inf
    cov[:, singular] = np.inf
    return cov


def _natural(compiled: CompiledModel, z: np.ndarray) -> dict[str, float]:
    return dict(zip(compiled.names, map(float, compiled.natural(z)), strict=True))


class _quiet:
    """Silence PyMC's logger and warnings during find_MAP."""

    def __enter__(self):
        import logging
        import warnings

        self._logger = logging.getLogger("pymc")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        self._logger.setLevel(self._level)
