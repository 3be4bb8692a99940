"""What every engine returns: estimates with a convergence certificate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FitCertificate:
    """Evidence that an optimiser reached an optimum, and how it got there.

    ``grad_norm`` is the largest absolute gradient component of the objective
    per observation (−ℓ/N, or the KL) in the engine's unconstrained
    coordinates. ``hessian_pd`` says whether the Hessian there is positive
    definite; ``at_boundary`` whether an estimate sits on the edge of the
    parameter space (a scale or probability at 0, a probability at 1).
    Engines that compute in closed form have no iterations and no gradient.
    """

    status: str
    converged: bool
    grad_norm: float | None = None
    hessian_pd: bool | None = None
    iterations: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    at_boundary: bool = False

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
    """One engine's answer: natural-space estimates by flat parameter name."""

    engine: str
    estimates: dict[str, float]
    certificate: FitCertificate
    #: Where the log-density this engine optimised came from.
    density: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return self.certificate.converged and not self.certificate.at_boundary
