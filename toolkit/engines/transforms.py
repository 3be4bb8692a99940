"""The direct KL engine's own map from unconstrained vectors to parameters.

Deliberately not PyMC's transforms: the KL engine shares no code with the PyMC
side. real: identity; positive: exp; unit: logistic; simplex of size k:
softmax of (z, 0) with k − 1 free coordinates; ordered: the first element free,
then cumulative exp increments; cholesky (a packed row-major lower triangle):
exp on the diagonal entries, the off-diagonal ones free.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, logit, logsumexp


def free_size(domain: str, size: int) -> int:
    return size - 1 if domain == "simplex" else size


def _diagonal(size: int) -> np.ndarray:
    """Positions of the diagonal in a packed row-major lower triangle of ``size`` entries."""
    d = (math.isqrt(8 * size + 1) - 1) // 2
    if d * (d + 1) // 2 != size:
        raise ValueError(f"{size} values are not a packed lower triangle")
    return np.cumsum(np.arange(1, d + 1)) - 1


def to_natural(domain: str, z: np.ndarray) -> np.ndarray:
    if domain == "ordered":
        z = np.asarray(z, dtype=float)
        return np.concatenate([z[:1], z[0] + np.cumsum(np.exp(z[1:]))])
    if domain == "cholesky":
        out = np.array(z, dtype=float)
        diagonal = _diagonal(out.size)
        out[diagonal] = np.exp(out[diagonal])
        return out
    if domain == "real":
        return z
    if domain == "positive":
        return np.exp(z)
    if domain == "unit":
        return expit(z)
    if domain == "simplex":
        full = np.append(z, 0.0)
        return np.exp(full - logsumexp(full))
    raise ValueError(f"unknown domain {domain!r}")


def to_free(domain: str, theta: np.ndarray) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    with np.errstate(divide="ignore"):
        if domain == "real":
            return theta
        if domain == "positive":
            return np.log(theta)
        if domain == "unit":
            return logit(theta)
        if domain == "simplex":
            return np.log(theta[:-1]) - np.log(theta[-1])
        if domain == "ordered":
            return np.concatenate([theta[:1], np.log(np.diff(theta))])
        if domain == "cholesky":
            out = theta.copy()
            diagonal = _diagonal(out.size)
            out[diagonal] = np.log(out[diagonal])
            return out
    raise ValueError(f"unknown domain {domain!r}")


class Parametrisation:
    """Packs a family's parameters into one free vector and back."""

    def __init__(self, domains: dict[str, str], shapes: dict[str, tuple[int, ...]]):
        self.domains = domains
        self.shapes = shapes
        self._slices = {}
        offset = 0
        for name, domain in domains.items():
            size = int(np.prod(shapes[name])) if shapes[name] else 1
            width = free_size(domain, size)
            self._slices[name] = slice(offset, offset + width)
            offset += width
        self.size = offset
        self._elementwise = _elementwise(self.domains, self._slices, self.size)

    def indices(self, params) -> list[int]:
        """Positions in the free vector of the named parameters."""
        return [
            i
            for name in params
            if name in self._slices
            for i in range(self.size)[self._slices[name]]
        ]

    def unpack(self, z: np.ndarray) -> dict[str, float | np.ndarray]:
        out = {}
        for name, domain in self.domains.items():
            value = to_natural(domain, z[self._slices[name]])
            out[name] = value if self.shapes[name] else float(value[0])
        return out

    def pack(self, params: dict[str, float | np.ndarray]) -> np.ndarray:
        parts = [np.atleast_1d(to_free(d, params[n])) for n, d in self.domains.items()]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def coordinates(self) -> dict[str, list[int]]:
        """Positions in the free vector of each variable."""
        return {name: list(range(self.size)[part]) for name, part in self._slices.items()}

    @property
    def constrained(self) -> np.ndarray:
        """Per free coordinate: does it map a constrained value to the real line?"""
        mask = np.zeros(self.size, dtype=bool)
        for name, domain in self.domains.items():
            block = np.ones(self._slices[name].stop - self._slices[name].start, dtype=bool)
            if domain == "real":
                block[:] = False
            elif domain == "ordered":  # the first element is a free location
                block[:1] = False
            elif domain == "cholesky":  # only the diagonal is logged
                block[:] = False
                block[_diagonal(block.size)] = True
            mask[self._slices[name]] = block
        return mask

    def to_flat(self, z: np.ndarray) -> np.ndarray:
        """The free vector as flat natural values, in the variables' order."""
        if self._elementwise is not None:  # the kl engine's walk calls this per evaluation
            return self._elementwise(z)
        parts = [np.ravel(to_natural(d, z[self._slices[n]])) for n, d in self.domains.items()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def from_flat(self, theta: np.ndarray) -> np.ndarray:
        """Flat natural values (in the variables' order) as the free vector."""
        parts, offset = [], 0
        for name, domain in self.domains.items():
            size = int(np.prod(self.shapes[name])) if self.shapes[name] else 1
            parts.append(np.atleast_1d(to_free(domain, theta[offset : offset + size])))
            offset += size
        return np.concatenate(parts) if parts else np.zeros(0)

    def origin(self) -> np.ndarray:
        """The free vector of zeros: mean 0, scale 1, probability ½, uniform simplex,
        ordered 0, 1, 2, ..., identity Cholesky factor."""
        return np.zeros(self.size)


_ELEMENTWISE = {"real": None, "positive": np.exp, "unit": expit}


def _elementwise(domains: dict[str, str], slices: dict[str, slice], size: int):
    """``to_flat`` in one or two whole-array calls where every domain maps entry by entry
    (real, positive, unit): the same values as the per-variable path, without its
    per-variable Python (a few microseconds an evaluation of the kl engine's objective).
    None for any other domain."""
    if not domains or not set(domains.values()) <= set(_ELEMENTWISE):
        return None
    groups: dict[str, list[int]] = {}
    for name, domain in domains.items():
        groups.setdefault(domain, []).extend(range(size)[slices[name]])
    if len(groups) == 1:
        (function,) = (_ELEMENTWISE[domain] for domain in groups)
        return (lambda z: np.array(z, dtype=float)) if function is None else function
    moved = [(np.array(i), _ELEMENTWISE[d]) for d, i in groups.items() if _ELEMENTWISE[d]]

    def to_flat(z: np.ndarray) -> np.ndarray:
        out = np.array(z, dtype=float)
        for positions, function in moved:
            out[positions] = function(out[positions])
        return out

    return to_flat
