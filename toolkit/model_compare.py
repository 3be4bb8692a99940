"""Compare the engines on a user's ``pm.Model`` (``toolkit.compare(model)``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.errors import BoundaryError, DataError


def compare_model(
    model: Any,
    *,
    tolerance: float,
    n_starts: int = 4,
    seed: int = 0,
):
    """Fit a ``pm.Model`` with find_MAP, the MLE, the conditional-KL minimiser and the MAP.

    Parameters
    ----------
    model : pymc.Model
        A model with observed variables whose rows (leading axis) are
        independent given the covariates.
    tolerance : float
        Largest difference from the MLE, in standard errors, that counts as agreement.
    n_starts : int
        Seeded jittered starts in addition to the model's initial point.
    seed : int
        Seed of the jitter.

    Returns
    -------
    Comparison
        Columns ``find_map``, ``mle``, ``kl``, and ``map`` when the model has
        proper priors. ``map`` (and ``find_map``, which uses the priors) are
        reported but not part of the verdict when there are priors.

    Raises
    ------
    ValueError
        No observed data, or free discrete variables.
    DataError
        Bad rows (see :func:`toolkit.engines.model_problem.model_problem`).
    BoundaryError
        The MLE does not exist: the log-likelihood keeps increasing along a
        direction (e.g. perfectly separated logistic data).

    Examples
    --------
    >>> import numpy as np, pymc as pm, toolkit
    >>> y = np.array([0.5, 1.5, 2.5, 3.5])
    >>> with pm.Model() as model:
    ...     mu = pm.Flat("mu")
    ...     _ = pm.Normal("y", mu, 1.0, observed=y)
    >>> cmp = toolkit.compare(model)
    >>> bool(cmp.agree), float(round(cmp.estimates.loc["mu", "kl"], 8))
    (True, 2.0)
    """
    from toolkit.engines.model_problem import model_problem

    if not (isinstance(n_starts, int) and n_starts >= 0):
        raise ValueError(f"n_starts must be a non-negative integer, got {n_starts!r}")
    problem = model_problem(model)
    return compare_model_problem(problem, tolerance=tolerance, n_starts=n_starts, seed=seed)


def compare_model_problem(
    problem,
    *,
    tolerance: float,
    n_starts: int,
    seed: int,
    closed_form=None,
):
    """Run the engines on a checked :class:`~toolkit.engines.model_problem.ModelProblem`.

    ``closed_form`` is a callable returning natural estimates by flat name; its
    answer is shown as the ``closed_form`` column, certified as a stationary point.
    """
    import time

    from toolkit.compare import assemble_comparison
    from toolkit.engines.model_fit import (
        fit_find_map,
        fit_kl,
        fit_newton,
        fit_reference,
        kl_objective,
        starts,
    )

    find_map, z_map = fit_find_map(problem)
    starting = starts(problem, n_starts, seed)
    fits = {"find_map": find_map}
    fits["mle"] = fit_newton(problem, "mle", [z_map, *starting])
    fits["kl"] = fit_kl(problem, starting)
    _raise_if_no_mle(problem, fits)
    if closed_form is not None:
        t0 = time.perf_counter()
        estimates = closed_form()
        fits["closed_form"] = fit_reference(
            problem, "closed_form", estimates, time.perf_counter() - t0
        )
    if problem.has_priors:
        fits["map"] = fit_newton(problem, "map", [z_map, *starting])
    mle = fits["mle"].details
    covariance = _scaled_covariance(problem, mle["z"], mle["information"])
    objective, note = kl_objective(problem)
    zs = {e: _z(f, z_map) for e, f in fits.items()}
    judged = [e for e in fits if e != "map" and not (problem.has_priors and e == "find_map")]
    notes = ()
    if problem.has_priors:
        notes = ("map, find_map: use the model's priors; reported, not judged against mle",)
    return assemble_comparison(
        problem,
        fits,
        covariance,
        label=problem.label,
        loglik={e: problem.loglik(z) for e, z in zs.items()},
        kl={e: objective(z) for e, z in zs.items()},
        kl_note=f"{note}; log-density: {_density_note(problem)}",
        tolerance=tolerance,
        judged=judged,
        notes=notes,
    )


def _density_note(problem) -> str:
    if problem.density is None:
        return "PyMC's (not an independent implementation)"
    return problem.density_label


def _z(fit, z_map) -> np.ndarray:
    return fit.details.get("z", z_map)


def _raise_if_no_mle(problem, fits) -> None:
    diverging = fits["mle"].details["diverging"] or fits["kl"].details["diverging"]
    if diverging:
        raise BoundaryError(
            f"{problem.label}: the MLE does not exist: the log-likelihood keeps increasing as "
            f"{', '.join(diverging)} diverge (e.g. perfectly separated data)"
        )
    info = fits["mle"].details["information"]
    diag = np.abs(np.diag(info))
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    values, vectors = np.linalg.eigh(0.5 * (info + info.T) * np.outer(scale, scale))
    if values[0] <= 1e-10 * max(abs(values[-1]), np.finfo(float).tiny):
        null_z = scale * vectors[:, 0]
        null = np.abs(problem.compiled.natural_jacobian(fits["mle"].details["z"]) @ null_z)
        involved = [problem.names[i] for i in np.flatnonzero(null > 1e-6 * null.max())]
        raise DataError(
            f"{problem.label}: parameters {involved} are not identified: the information "
            "matrix is singular (collinear covariates or a redundant parametrisation)"
        )


def _scaled_covariance(problem, z: np.ndarray, information: np.ndarray) -> np.ndarray:
    """:func:`natural_covariance` on the Jacobi-scaled information, so scale is no rank test."""
    from toolkit.engines.mle import natural_covariance

    diag = np.abs(np.diag(information))
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))

    class Scaled:
        def natural_jacobian(self, v):
            return problem.compiled.natural_jacobian(v) * scale

    return natural_covariance(Scaled(), z, information * np.outer(scale, scale))
