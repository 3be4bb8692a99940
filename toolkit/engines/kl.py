"""The direct KL engine: minimises KL(p̂ ‖ q_θ) itself.

The data are reduced to atoms (distinct values) with weights; the log-density
is the family's independent implementation (scipy.stats), never PyMC's. The
objective is the exact KL for discrete data and, for continuous data, the
cross-entropy minus an entropy estimate of p (a θ-free constant), so that its
value estimates KL(p ‖ q_θ). The optimiser is BFGS on five-point central
differences, in the engine's own unconstrained coordinates: a different
algorithm, different derivatives and a different parametrisation from the
PyMC engine's.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.optimize import minimize

from toolkit.divergence import cross_entropy, kl_from_logq
from toolkit.engines import numdiff
from toolkit.engines.fit import Fit, FitCertificate
from toolkit.engines.newton import is_positive_definite
from toolkit.engines.nonsmooth import line_search_coordinates, outside_argmax_set
from toolkit.engines.problem import Problem, degenerate_fit, flatten
from toolkit.engines.transforms import Parametrisation

#: Largest gradient component of the KL (per observation) that counts as converged:
#: the five-point gradient is accurate to about 1e-11 on an O(1) objective.
GRAD_TOL = 1e-7
BOUNDARY_Z = 30.0


def kl_objective(problem: Problem):
    """θ-free-offset KL as a function of the free vector, and how its offset was made."""
    atoms, weights = problem.atoms.atoms, problem.atoms.weights
    family, options = problem.family, problem.options
    parametrisation = Parametrisation(dict(family.domains), problem.shapes)
    if family.discrete:
        offset_kind = "exact: Σ p̂ log(p̂/q) over the distinct values"

        def divergence(logq):
            return kl_from_logq(weights, logq)
    else:
        estimate = problem.entropy_estimate
        if isinstance(estimate, str):
            offset_kind = (
                f"cross-entropy −Σ p̂ log q only, i.e. KL(p‖q) plus the unknown H(p): "
                f"no entropy estimate of p ({estimate})"
            )
            entropy_of_p = 0.0
        else:
            offset_kind = (
                f"estimates KL(p‖q): cross-entropy minus the {estimate.method} entropy "
                "estimate of p"
            )
            entropy_of_p = estimate.value

        def divergence(logq):
            return cross_entropy(weights, logq) - entropy_of_p

    def objective(z: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = divergence(family.logpdf(atoms, parametrisation.unpack(z), options))
        return float(value) if np.isfinite(value) else np.inf

    return objective, parametrisation, offset_kind


def fit_kl(problem: Problem, fallback_start: dict | None = None) -> Fit:
    """Minimise KL(p̂ ‖ q_θ) from the family's data-driven ``start`` (if it declares one),
    then the origin of the free space, then ``fallback_start``, until one converges.

    Parameters the family declares non-smooth are held fixed during BFGS and
    moved by golden-section search along their own axis, in alternation.
    """
    t0 = time.perf_counter()
    objective, parametrisation, offset_kind = kl_objective(problem)
    nonsmooth = parametrisation.indices(problem.family.nonsmooth)
    smooth = [i for i in range(parametrisation.size) if i not in nonsmooth]
    family = problem.family
    starts = [("origin", parametrisation.origin())]
    if family.start is not None:
        data_start = parametrisation.pack(family.start(problem.data, problem.options))
        starts.insert(0, ("data-driven start", data_start))
    if fallback_start is not None:
        starts.append(("scipy fit", parametrisation.pack(fallback_start)))
    best = None
    for label, z0 in starts:
        result = _minimise(objective, z0, smooth, nonsmooth)
        if best is None or result["fun"] < best["fun"]:
            best = {**result, "start": label}
        if best["converged"]:
            break
    z = best["x"]
    estimates = flatten(parametrisation.unpack(z), problem.names)
    outside = outside_argmax_set(problem, estimates)
    hessian = numdiff.hessian(objective, z)[np.ix_(smooth, smooth)]
    status = "; ".join(outside) if outside else best["status"]
    degenerate = degenerate_fit(problem, estimates)
    if degenerate:
        status = f"{status}; {degenerate}"
    certificate = FitCertificate(
        status=status,
        converged=best["converged"] and not outside,
        grad_norm=best["grad_norm"],
        hessian_pd=is_positive_definite(hessian) if smooth else None,
        iterations=best["nit"],
        evaluations=best["nfev"],
        seconds=time.perf_counter() - t0,
        at_boundary=bool(np.any(np.abs(z) > BOUNDARY_Z)) or degenerate is not None,
    )
    details = {"kl": best["fun"], "kl_offset": offset_kind, "start": best["start"]}
    return Fit("kl", estimates, certificate, "scipy.stats (independent)", details)


def _minimise(objective, z0: np.ndarray, smooth: list[int], nonsmooth: list[int]) -> dict:
    z = np.array(z0, dtype=float)
    nit = nfev = 0
    for _ in range(4 if nonsmooth else 1):
        restricted = _restricted(objective, z, smooth)
        result = _bfgs(restricted, z[smooth])
        z[smooth] = _polish(restricted, result.x, result.hess_inv)
        nit, nfev = nit + int(result.nit), nfev + int(result.nfev)
        if nonsmooth:
            z = line_search_coordinates(objective, z, nonsmooth, "golden")
    grad_norm = _grad_norm(objective, z, smooth)
    fun = objective(z)
    converged = bool(np.isfinite(fun) and grad_norm <= GRAD_TOL)
    status = "converged" if converged else f"BFGS: {result.message}"
    return {
        "x": z,
        "fun": fun,
        "grad_norm": grad_norm,
        "converged": converged,
        "status": status,
        "nit": nit,
        "nfev": nfev,
    }


def _bfgs(objective, z0: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return minimize(
            objective,
            z0,
            jac=lambda z: numdiff.gradient(objective, z),
            method="BFGS",
            options={"gtol": 1e-10, "maxiter": 1000},
        )


def _polish(objective, x: np.ndarray, hess_inv: np.ndarray, steps: int = 5) -> np.ndarray:
    """Quasi-Newton steps with BFGS's own inverse Hessian, kept while the gradient shrinks.

    BFGS's line search judges steps by function values, which stop resolving
    progress once the predicted decrease, about gᵀH⁻¹g/2, falls below the
    objective's rounding error (~1e-16 on an O(1) KL) while the gradient is
    still ~1e-8. There the gradient norm judges the step instead.
    """
    if x.size == 0:
        return x
    grad = numdiff.gradient(objective, x)
    for _ in range(steps):
        trial = x - np.atleast_2d(hess_inv) @ grad
        trial_grad = numdiff.gradient(objective, trial)
        if not np.linalg.norm(trial_grad) < np.linalg.norm(grad):
            break
        x, grad = trial, trial_grad
    return x


def _restricted(objective, z: np.ndarray, keep: list[int]):
    def restricted(sub):
        full = z.copy()
        full[keep] = sub
        return objective(full)

    return restricted


def _grad_norm(objective, z: np.ndarray, smooth: list[int]) -> float:
    grad = numdiff.gradient(_restricted(objective, z, smooth), z[smooth])
    return float(np.max(np.abs(grad), initial=0.0))


def stationarity(problem: Problem, estimates: dict[str, float]) -> tuple[float | None, bool]:
    """Largest KL gradient component in smooth parameters at ``estimates``; on the boundary?"""
    objective, parametrisation, _ = kl_objective(problem)
    with np.errstate(all="ignore"):
        z = parametrisation.pack(problem.unflatten(estimates))
    if not np.all(np.isfinite(z)):
        return None, True
    nonsmooth = parametrisation.indices(problem.family.nonsmooth)
    smooth = [i for i in range(parametrisation.size) if i not in nonsmooth]
    return _grad_norm(objective, z, smooth), bool(np.any(np.abs(z) > BOUNDARY_Z))


def kl_at(problem: Problem, estimates: dict[str, float]) -> float:
    """KL(p̂ ‖ q) at natural-space ``estimates`` (offset as in :func:`kl_objective`)."""
    objective, parametrisation, _ = kl_objective(problem)
    with np.errstate(all="ignore"):
        z = parametrisation.pack(problem.unflatten(estimates))
    return objective(z)
