"""Engines for a user's ``pm.Model``: find_MAP, the polished MLE/MAP, and the KL fit.

``mle`` and ``map`` polish with PyMC's compiled gradient and Hessian by the
safeguarded Newton method, in coordinates scaled by the Hessian's diagonal (so
badly scaled problems, x up to 1e6 and coefficients near 1e-13, are solved to
rounding). ``kl`` minimises the conditional KL, Σ_k w_k log(p̂(y_k|x_k)/q(y_k|x_k)),
over atoms of rows with PyMC's elementwise log-probability (not an independent
density) by BFGS on five-point differences, in coordinates whitened by a
numerical Hessian at its start and again at each restart. Both engines run
from the model's initial point and from seeded jittered starts, and report the
distinct optima they found.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from pymc.logprob.utils import ParameterValueError
from scipy.optimize import minimize

from toolkit.engines import numdiff
from toolkit.engines.fit import Fit, FitCertificate
from toolkit.engines.model_problem import ModelProblem
from toolkit.engines.newton import is_positive_definite, newton_minimise
from toolkit.quiet import quiet

DENSITY = "PyMC log-probability"
#: Largest gradient component of the KL in whitened coordinates that counts as converged.
GRAD_TOL = 1e-7
#: find_MAP's answer counts as stationary when its Jacobi-scaled gradient per row is below this.
FIND_MAP_GRAD_TOL = 1e-5


def starts(problem: ModelProblem, n_starts: int, seed: int) -> list[np.ndarray]:
    """The model's initial point, then ``n_starts`` seeded jittered copies."""
    z0 = problem.compiled.to_vector(problem.compiled.point)
    rng = np.random.default_rng(seed)
    width = np.where(z0 != 0, 0.5 * np.abs(z0), 1.0)
    return [z0] + [z0 + width * rng.uniform(-1, 1, z0.shape) for _ in range(n_starts)]


def fit_find_map(problem: ModelProblem) -> tuple[Fit, np.ndarray]:
    """Plain ``pm.find_MAP`` on the model as declared (its priors included)."""
    import pymc as pm

    t0 = time.perf_counter()
    with quiet():
        point, raw = pm.find_MAP(
            model=problem.model, progressbar=False, return_raw=True, include_transformed=True
        )
    z = problem.compiled.to_vector(point)
    derivatives = problem.posterior_derivatives if problem.has_priors else None
    _, grad, hess = (derivatives or problem.compiled.loglik_derivatives)(z)
    grad_norm = _scaled_grad_norm(-grad / problem.n, -hess / problem.n)
    status = f"scipy {getattr(raw, 'message', 'finished')}".strip()
    if grad_norm > FIND_MAP_GRAD_TOL:
        status += f"; not stationary (scaled |g| = {grad_norm:.1e})"
    certificate = FitCertificate(
        status=status,
        converged=bool(getattr(raw, "success", True)) and grad_norm <= FIND_MAP_GRAD_TOL,
        grad_norm=grad_norm,
        hessian_pd=scaled_positive_definite(-hess),
        iterations=int(getattr(raw, "nit", 0)),
        evaluations=int(getattr(raw, "nfev", 0)),
        seconds=time.perf_counter() - t0,
        at_boundary=problem.at_boundary(z),
    )
    return Fit("find_map", problem.natural(z), certificate, DENSITY), z


def fit_newton(problem: ModelProblem, engine: str, starting: list[np.ndarray]) -> Fit:
    """Maximise the data log-likelihood (``mle``) or log-posterior (``map``) from each start."""
    derivatives = problem.compiled.loglik_derivatives
    if engine == "map":
        derivatives = problem.posterior_derivatives
    n = problem.n

    def objective(z):
        try:
            value, grad, hess = derivatives(z)
        except ParameterValueError:  # e.g. p rounded outside [0, 1] far out along a ray
            return np.inf, np.full(len(z), np.nan), np.full((len(z), len(z)), np.nan)
        return -float(value) / n, -np.asarray(grad) / n, -np.asarray(hess) / n

    t0 = time.perf_counter()
    runs = [_scaled_newton(objective, z) for z in starting]
    best, optima = _best(runs)
    fun, grad, hess = objective(best["x"])
    diverging = _diverging(lambda z: objective(z)[0], best["x"], best["start"], problem)
    status = f"diverging: {', '.join(diverging)}" if diverging else best["status"]
    certificate = FitCertificate(
        status=status,
        converged=best["converged"] and not diverging,
        grad_norm=_scaled_grad_norm(grad, hess),
        hessian_pd=scaled_positive_definite(hess),
        iterations=sum(r["nit"] for r in runs),
        evaluations=sum(r["nfev"] for r in runs),
        seconds=time.perf_counter() - t0,
        at_boundary=bool(diverging) or problem.at_boundary(best["x"]),
    )
    details = {
        "z": best["x"],
        "information": n * hess,
        "objective": fun,
        "diverging": diverging,
        **_optima_details(problem, optima, len(runs)),
    }
    return Fit(engine, problem.natural(best["x"]), certificate, DENSITY, details)


def fit_reference(problem: ModelProblem, engine: str, estimates: dict, seconds: float) -> Fit:
    """A closed form's answer, certified as a stationary point of −ℓ/N (PyMC's derivatives)."""
    from toolkit.engines.reference import STATIONARY_TOL

    z = problem.to_z(estimates)
    finite = bool(np.all(np.isfinite(z)))
    grad_norm, hessian_pd = None, None
    if finite:
        _, grad, hess = problem.compiled.loglik_derivatives(z)
        grad_norm = _scaled_grad_norm(-grad / problem.n, -hess / problem.n)
        hessian_pd = scaled_positive_definite(-hess)
    stationary = finite and grad_norm <= STATIONARY_TOL
    status = "closed form" if stationary else "closed form: not a stationary point of −ℓ"
    certificate = FitCertificate(
        status=status,
        converged=stationary,
        grad_norm=grad_norm,
        hessian_pd=hessian_pd,
        seconds=seconds,
        at_boundary=finite and problem.at_boundary(z),
    )
    return Fit(engine, problem.natural(z), certificate, engine.replace("_", " "), {"z": z})


def _scaled_newton(objective, z0: np.ndarray, rounds: int = 3) -> dict:
    """Newton in coordinates scaled by |diag H|^(-1/2), rescaled at each round's end."""
    z, nit, nfev, result = np.array(z0, dtype=float), 0, 0, None
    for _ in range(rounds):
        with np.errstate(all="ignore"):
            _, _, hess = objective(z)
        scale = _inverse_root(np.abs(np.diag(hess)))

        def scaled(u, scale=scale):
            f, g, h = objective(u * scale)
            return f, g * scale, h * np.outer(scale, scale)

        try:
            with np.errstate(all="ignore"):
                result = newton_minimise(scaled, z / scale)
        except np.linalg.LinAlgError:  # a non-finite Hessian on the way: this start failed
            return _run(z, np.inf, False, "non-finite Hessian", nit, nfev, np.inf, None, z0)
        z, nit, nfev = result.x * scale, nit + result.iterations, nfev + result.evaluations
        if result.converged and result.iterations <= 1:
            break
    fun = objective(z)[0]
    ok = result.converged and np.isfinite(fun)
    return {
        "x": z,
        "fun": fun,
        "converged": ok,
        "status": result.status,
        "nit": nit,
        "nfev": nfev,
        "start": z0,
    }


def scaled_positive_definite(hess: np.ndarray) -> bool:
    """Positive definiteness judged on the Jacobi-scaled matrix D H D, D = |diag H|^(-1/2)."""
    scale = _inverse_root(np.abs(np.diag(hess)))
    return is_positive_definite(hess * np.outer(scale, scale))


def _scaled_grad_norm(grad: np.ndarray, hess: np.ndarray) -> float:
    """Largest gradient component in Jacobi-scaled coordinates (the Newton engine's)."""
    return float(np.max(np.abs(grad * _inverse_root(np.abs(np.diag(hess))))))


def _inverse_root(diag: np.ndarray) -> np.ndarray:
    ok = np.isfinite(diag) & (diag > 0)
    fill = np.sqrt(np.max(diag[ok])) if ok.any() else 1.0
    return np.where(ok, 1.0 / np.sqrt(np.where(ok, diag, 1.0)), 1.0 / fill)


def kl_objective(problem: ModelProblem):
    """z -> conditional KL (discrete responses) or cross-entropy (continuous), and a note."""
    rows = problem.rows
    weights, index = rows.weights, rows.index
    if problem.discrete:
        offset = float(np.dot(weights, np.log(rows.counts / rows.group_counts)))
        note = "exact conditional KL: Σ p̂(x,y) log(p̂(y|x)/q(y|x)) over distinct rows"
    else:
        offset = 0.0
        note = (
            "conditional cross-entropy −Σ p̂(x,y) log q(y|x) over distinct rows: the KL up "
            "to the θ-free conditional entropy of the data, which is not estimated"
        )

    def objective(z: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = offset - float(np.dot(weights, problem.row_logp(z)[index]))
        return value if np.isfinite(value) else np.inf

    return objective, note


def fit_kl(problem: ModelProblem, starting: list[np.ndarray]) -> Fit:
    """Minimise the conditional KL from each start by whitened BFGS; keep the best."""
    objective, note = kl_objective(problem)
    t0 = time.perf_counter()
    runs = [_whitened_bfgs(objective, z) for z in starting]
    best, optima = _best(runs)
    diverging = _diverging(objective, best["x"], best["start"], problem)
    status = f"diverging: {', '.join(diverging)}" if diverging else best["status"]
    certificate = FitCertificate(
        status=status,
        converged=best["converged"] and not diverging,
        grad_norm=best["grad_norm"],
        hessian_pd=best["hessian_pd"],
        iterations=sum(r["nit"] for r in runs),
        evaluations=sum(r["nfev"] for r in runs),
        seconds=time.perf_counter() - t0,
        at_boundary=bool(diverging) or problem.at_boundary(best["x"]),
    )
    details = {
        "kl": best["fun"],
        "kl_offset": note,
        "z": best["x"],
        "diverging": diverging,
        **_optima_details(problem, optima, len(runs)),
    }
    return Fit("kl", problem.natural(best["x"]), certificate, problem.density_label, details)


def _whitened_bfgs(objective, z0: np.ndarray, rounds: int = 4) -> dict:
    """BFGS in u with z = z_ref + T u, T whitening a numerical Hessian at z_ref."""
    z, nit, nfev, grad_norm, hessian_pd, message = np.array(z0, dtype=float), 0, 0, np.inf, None, ""
    if not np.isfinite(objective(z)):
        return _run(z, np.inf, False, "objective not finite at start", 0, 0, np.inf, None, z0)
    for _ in range(rounds):
        transform, hessian_pd = _whitening(objective, z)

        def whitened(u, z=z, transform=transform):
            return objective(z + transform @ u)

        u0 = np.zeros(len(z))
        if np.max(np.abs(numdiff.gradient(whitened, u0))) <= 0.1 * GRAD_TOL:
            grad_norm = float(np.max(np.abs(numdiff.gradient(whitened, u0))))
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = minimize(
                whitened,
                u0,
                jac=lambda u, f=whitened: numdiff.gradient(f, u),
                method="BFGS",
                options={"gtol": 1e-11, "maxiter": 2000},
            )
        z, nit, nfev, message = (
            z + transform @ result.x,
            nit + result.nit,
            nfev + result.nfev,
            result.message,
        )
        grad_norm = float(np.max(np.abs(result.jac)))
    fun = objective(z)
    converged = bool(np.isfinite(fun) and grad_norm <= GRAD_TOL)
    status = "converged" if converged else f"BFGS: {message}"
    return _run(z, fun, converged, status, nit, nfev, grad_norm, hessian_pd, z0)


def _run(x, fun, converged, status, nit, nfev, grad_norm, hessian_pd, start) -> dict:
    return dict(
        x=x, fun=fun, converged=converged, status=status, nit=nit, nfev=nfev,
        grad_norm=grad_norm, hessian_pd=hessian_pd, start=start,
    )  # fmt: skip


def _whitening(objective, z: np.ndarray) -> tuple[np.ndarray, bool]:
    """T with Tᵀ H T ≈ I for the numerical Hessian H at ``z``; is H positive definite?"""
    scale = np.array([_curvature_scale(objective, z, i) for i in range(len(z))])

    def scaled(v):
        return objective(z + scale * v)

    with np.errstate(all="ignore"):
        hess = numdiff.hessian(scaled, np.zeros(len(z)))
    if not np.all(np.isfinite(hess)):
        return np.diag(scale), False
    values, vectors = np.linalg.eigh(hess)
    top = max(np.max(np.abs(values)), np.finfo(float).eps)
    floored = np.maximum(np.abs(values), 1e-8 * top)
    return (scale[:, None] * vectors) / np.sqrt(floored), is_positive_definite(hess)


def _curvature_scale(objective, z: np.ndarray, i: int) -> float:
    """A step along coordinate ``i`` over which the objective changes by O(1)·curvature."""
    f0 = objective(z)
    h = 1e-3 * max(1.0, abs(z[i]))
    for _ in range(6):
        e = np.zeros(len(z))
        e[i] = h
        curvature = (objective(z + e) - 2 * f0 + objective(z - e)) / h**2
        if not (np.isfinite(curvature) and curvature > 0):
            return h
        target = np.sqrt(2e-4 * max(1.0, abs(f0)) / curvature)
        if 0.5 < target / h < 2:
            break
        h = target
    return 1.0 / np.sqrt(curvature) if curvature > 0 else h


def _best(runs: list[dict]) -> tuple[dict, list[dict]]:
    """The run with the lowest objective (converged first) and the distinct converged optima."""
    best = min(runs, key=lambda r: (not r["converged"], r["fun"]))
    optima: list[dict] = []
    for run in sorted((r for r in runs if r["converged"]), key=lambda r: r["fun"]):
        same = any(
            abs(run["fun"] - o["fun"]) <= 1e-9 * max(1.0, abs(o["fun"]))
            and np.allclose(run["x"], o["x"], rtol=1e-5, atol=1e-7)
            for o in optima
        )
        if not same:
            optima.append(run)
    return best, optima


def _optima_details(problem: ModelProblem, optima: list[dict], n_runs: int) -> dict:
    return {
        "starts": n_runs,
        "n_optima": len(optima),
        "optima": [{"objective": o["fun"], **problem.natural(o["x"])} for o in optima],
    }


def _diverging(objective, z: np.ndarray, start: np.ndarray, problem: ModelProblem) -> list[str]:
    """Parameters that keep improving the objective along the ray start -> z -> beyond."""
    d = z - start
    if not np.all(np.isfinite(z)) or not np.any(d):
        return []
    with np.errstate(all="ignore"):
        f0, f1, f3 = objective(z), objective(z + d), objective(z + 3 * d)
    improving = f1 < f0 and f3 < f1
    flat_far = f1 <= f0 and problem.at_boundary(z)
    if not (improving or flat_far):
        return []
    moving = np.abs(d) > 0.1 * np.max(np.abs(d))
    coords = problem.compiled.coordinates
    return [name for name, idx in coords.items() if any(moving[i] for i in idx)]
