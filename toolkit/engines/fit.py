"""What every engine returns, and the one rule that certifies it.

Every engine, whatever its optimiser, hands its point to :func:`certify` with
the gradient and Hessian of its own per-observation objective there (−ℓ/N, the
KL, or −log posterior/N) in its own coordinates. The rule is the same for all:

- **at the optimum** (``converged``): finite, a positive-definite Hessian, and the
  Newton step to the optimum no longer than ``stationary_fraction × tolerance``
  standard errors: √(N gᵀH⁻¹g), which does not depend on the coordinates;
- **on the boundary**: a constrained coordinate (log, logit, ...) beyond
  ``±boundary_z`` where the data no longer pin it down (observed information in
  that coordinate below 1), or a sentence from the model saying the fit is
  degenerate (a collapsed mixture component, a coefficient running off along a
  separating ray). A location with a large value is never on the boundary.

The thresholds come from :data:`toolkit.config.settings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.config import settings
from toolkit.engines.newton import is_positive_definite


@dataclass(frozen=True)
class FitCertificate:
    """Evidence that an optimiser reached an optimum, and how it got there.

    ``status`` says in words where the fit is; ``optimiser`` keeps the optimiser's
    own message. ``grad_norm`` is the largest gradient component of the objective
    per observation in the engine's coordinates; ``distance_se`` the length of the
    Newton step to the optimum in standard errors (infinite when the Hessian is
    not positive definite). Engines that compute in closed form have no iterations.
    """

    status: str
    converged: bool
    grad_norm: float | None = None
    hessian_pd: bool | None = None
    distance_se: float | None = None
    iterations: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    at_boundary: bool = False
    optimiser: str = ""

    def summary(self) -> str:
        """One line for tables."""
        parts = [self.status]
        if self.grad_norm is not None:
            parts.append(f"|g|={self.grad_norm:.1e}")
        if self.hessian_pd is not None:
            parts.append("H pd" if self.hessian_pd else "H not pd")
        if self.iterations:
            parts.append(f"{self.iterations} it")
        parts.append(f"{self.seconds * 1e3:.0f} ms")
        return ", ".join(parts)


@dataclass(frozen=True)
class Fit:
    """One engine's answer: natural-space estimates by flat parameter name.

    ``objective`` is "likelihood" for engines that maximise the likelihood (judged
    against ``mle``) and "posterior" for those that use a model's priors (shown,
    not judged).
    """

    engine: str
    estimates: dict[str, float]
    certificate: FitCertificate
    #: Where the log-density this engine optimised came from.
    density: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    objective: str = "likelihood"

    @property
    def converged(self) -> bool:
        return self.certificate.converged and not self.certificate.at_boundary

    @property
    def theta(self) -> np.ndarray:
        """The estimates as a flat natural vector, in the problem's name order."""
        return np.array(list(self.estimates.values()), dtype=float)


def certify(
    *,
    z: np.ndarray,
    grad: np.ndarray,
    hess: np.ndarray,
    n: int,
    constrained: np.ndarray,
    smooth: Sequence[int] | None = None,
    optimiser: str = "",
    problems: Sequence[str] = (),
    boundary: str | None = None,
    iterations: int = 0,
    evaluations: int = 0,
    seconds: float = 0.0,
    whitened: tuple[np.ndarray, np.ndarray] | None = None,
) -> FitCertificate:
    """The certificate of a point ``z`` by the rule in the module docstring.

    Parameters
    ----------
    z, grad, hess
        The point in the engine's coordinates, and the gradient and Hessian there of
        its per-observation objective (to be minimised).
    n : int
        Observations: the objective's curvature times ``n`` is the observed information.
    constrained : array of bool
        Coordinates that map a constrained value (scale, probability) to the real line.
    smooth : sequence of int, optional
        Coordinates in which the objective is differentiable (default: all); the
        others are certified by ``problems`` (e.g. a set-membership check).
    optimiser : str
        The optimiser's own message, kept beside the verdict in words.
    problems : sequence of str
        Sentences that rule out an optimum whatever the derivatives say.
    boundary : str, optional
        A sentence when the model says the fit is degenerate or diverging.
    whitened : (gradient, Hessian), optional
        The same derivatives of the smooth coordinates as measured in coordinates where the
        Hessian is about the identity: positive definiteness and the Newton step are judged
        there, free of the rounding that mapping a badly conditioned Hessian back adds.
    """
    z = np.asarray(z, dtype=float)
    keep = list(range(z.size)) if smooth is None else list(smooth)
    g = np.asarray(grad, dtype=float)[keep]
    h = np.asarray(hess, dtype=float)[np.ix_(keep, keep)]
    finite = bool(np.all(np.isfinite(z)) and np.all(np.isfinite(g)) and np.all(np.isfinite(h)))
    g_judged, h_judged = (g, h) if whitened is None else whitened
    pd = finite and (not keep or scaled_positive_definite(h_judged))
    distance = newton_distance_se(g_judged, h_judged, n) if pd else np.inf
    edge = boundary or _running_off(z, np.asarray(hess, dtype=float), n, constrained)
    limit = settings["stationary_fraction"] * settings["tolerance"]
    converged = pd and distance <= limit and not problems and edge is None
    status = _in_words(finite, pd, distance, limit, problems, edge)
    return FitCertificate(
        status=status,
        converged=converged,
        grad_norm=float(np.max(np.abs(g), initial=0.0)) if finite else None,
        hessian_pd=pd if finite else None,
        distance_se=distance if finite else None,
        iterations=iterations,
        evaluations=evaluations,
        seconds=seconds,
        at_boundary=edge is not None,
        optimiser=optimiser,
    )


def _in_words(finite, pd, distance, limit, problems, edge) -> str:
    if edge is not None:
        return f"on the boundary: {edge}"
    if not finite:
        return "stalled: the objective or its derivatives are not finite there"
    if problems:
        return "; ".join(problems)
    if not pd:
        return "stalled: the Hessian is not positive definite there (not a strict optimum)"
    if distance > limit:
        return f"stopped early: {distance:.1g} SE from the optimum"
    return f"at the optimum (Newton step {distance:.1g} SE)"


def _running_off(z, hess, n, constrained) -> str | None:
    """A sentence when a constrained coordinate is far out where the data do not pin it."""
    if not np.all(np.isfinite(z)):
        return "an estimate is not finite"
    # Coordinate by coordinate: an infinite curvature pins its coordinate down (and leaves
    # the fit uncertified, as not finite); only a NaN says nothing.
    information = n * np.abs(np.diag(hess))
    far = np.asarray(constrained, dtype=bool) & (np.abs(z) > settings["boundary_z"])
    far &= ~(information >= 1.0)
    if not far.any():
        return None
    i = int(np.flatnonzero(far)[0])
    return (
        f"coordinate {i} of a constrained parameter is at {z[i]:.3g} on the unconstrained "
        "scale and the data no longer pin it down: the estimate runs to the edge of its support"
    )


def newton_distance_se(grad: np.ndarray, hess: np.ndarray, n: int) -> float:
    """Length of the Newton step to the optimum in standard errors: √(N gᵀH⁻¹g).

    ``grad`` and ``hess`` are of a per-observation objective, so N·H is the observed
    information, the inverse covariance: this is the step's length in the metric in
    which one unit is one SE, and (to second order) it bounds each parameter's
    distance from the optimum in its own SEs.
    """
    if grad.size == 0:
        return 0.0
    scale = inverse_root_diagonal(hess)
    scaled = hess * np.outer(scale, scale)
    try:
        step = np.linalg.solve(scaled, grad * scale)
    except np.linalg.LinAlgError:
        return np.inf
    return float(np.sqrt(max(n * float((grad * scale) @ step), 0.0)))


def scaled_positive_definite(hess: np.ndarray) -> bool:
    """Positive definiteness judged on the Jacobi-scaled matrix D H D, D = |diag H|^(-1/2)."""
    scale = inverse_root_diagonal(hess)
    return is_positive_definite(hess * np.outer(scale, scale))


def inverse_root_diagonal(hess: np.ndarray) -> np.ndarray:
    """|diag H|^(-1/2), with zero or non-finite entries replaced by the largest scale's."""
    diag = np.abs(np.diag(hess))
    ok = np.isfinite(diag) & (diag > 0)
    fill = np.sqrt(np.max(diag[ok])) if ok.any() else 1.0
    return np.where(ok, 1.0 / np.sqrt(np.where(ok, diag, 1.0)), 1.0 / fill)
