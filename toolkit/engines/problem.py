"""A problem: a family, validated data and the family's resolved options."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from models.family import Family

if TYPE_CHECKING:
    from toolkit.divergence import EmpiricalAtoms, EntropyEstimate


@dataclass(frozen=True)
class Problem:
    """Data already checked by :func:`toolkit.validation.validate_family_data`."""

    family: Family
    data: np.ndarray
    options: dict[str, Any]

    @property
    def n(self) -> int:
        return len(self.data)

    @cached_property
    def atoms(self) -> EmpiricalAtoms:
        from toolkit.divergence import empirical_atoms

        return empirical_atoms(self.data)

    @cached_property
    def entropy_estimate(self) -> EntropyEstimate | str:
        """Differential entropy estimate of p (continuous data), or why there is none."""
        from toolkit.divergence import entropy_estimate

        try:
            return entropy_estimate(self.data)
        except ValueError as err:  # tied values, or too few for the estimator
            return str(err)

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return self.family.param_shapes(self.options)

    @cached_property
    def names(self) -> list[str]:
        """Flat parameter names: ``p[0]``, ``p[1]``, ... for vector parameters."""
        return flat_names(self.shapes)

    def unflatten(self, flat: dict[str, float]) -> dict[str, Any]:
        """Flat names back to the family's parameters (vectors as arrays)."""
        out: dict[str, Any] = {}
        for name, shape in self.shapes.items():
            if shape:
                out[name] = np.array([flat[f"{name}[{i}]"] for i in range(int(np.prod(shape)))])
            else:
                out[name] = flat[name]
        return out

    def loglik(self, flat: dict[str, float]) -> float:
        """Total log-likelihood from the family's independent density, on atoms."""
        logq = self.family.logpdf(self.atoms.atoms, self.unflatten(flat), self.options)
        return float(np.dot(self.atoms.counts, logq))


def flat_names(shapes: dict[str, tuple[int, ...]]) -> list[str]:
    names = []
    for name, shape in shapes.items():
        size = int(np.prod(shape)) if shape else 0
        names.extend([f"{name}[{i}]" for i in range(size)] if shape else [name])
    return names


def flatten(params: dict[str, Any], names: list[str]) -> dict[str, float]:
    """The family's parameters (vectors as arrays) to flat names, in order."""
    flat: list[float] = []
    for value in params.values():
        flat.extend(np.ravel(value).tolist())
    return dict(zip(names, map(float, flat), strict=True))


def degenerate_fit(problem: Problem, estimates: dict[str, float]) -> str | None:
    """The family's sentence when ``estimates`` sit where the likelihood is unbounded."""
    check = problem.family.degenerate_fit
    if check is None:
        return None
    return check(problem.data, problem.unflatten(estimates), problem.options)
