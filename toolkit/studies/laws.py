"""A catalog family at given parameters as a probability law, and exact expectations under it.

The studies need KL(p ‖ q_θ) for a true law p, its Fisher information and the
pseudo-true parameter argmin_θ KL(p ‖ q_θ); all are expectations under p, computed
without sampling:

- discrete p: an exact sum over its support (the non-negative integers the family
  allows), to a tail mass below 1e-15;
- continuous p: tanh-sinh (double-exponential) quadrature on the quantile scale,
  E_p f = ∫₀¹ f(F⁻¹(u)) du, which copes with the logarithmic end-point singularities
  of log q and needs the family's scipy.stats distribution (its ``ppf`` and ``isf``).

A :class:`Rule` holds the nodes and weights once, so an expectation is a weighted
sum, smooth in θ (the pseudo-true minimiser differentiates it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy.special import expit

from models import families, get_family
from models.family import Family
from toolkit.divergence._kernels import fsum
from toolkit.engines.transforms import Parametrisation
from toolkit.problem.names import flat_names, flatten, unflatten
from toolkit.studies.optimise import minimise

#: Tail mass of a discrete law left out of its sums.
TAIL = 1e-15
#: tanh-sinh step and half-width: nodes t = kh for |t| <= T reach u ~ 1e-70 at the ends.
STEP, HALF_WIDTH = 1 / 32, 4.6
#: Largest support a discrete sum enumerates.
MAX_SUPPORT = 1 << 22


@dataclass(frozen=True, eq=False)
class Law:
    """A family from the catalog at natural parameters (by PyMC variable name)."""

    family: Family
    params: Mapping[str, Any]
    options: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.family.name

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return self.family.param_shapes(self.options)

    @property
    def names(self) -> tuple[str, ...]:
        """Flat parameter names, as in a comparison's ``estimates``."""
        return flat_names(self.shapes)

    @property
    def theta(self) -> np.ndarray:
        """The parameters as a flat natural vector."""
        return flatten(self.params, self.shapes)

    def at(self, theta: np.ndarray) -> Law:
        """The same family at other flat natural parameters."""
        return Law(self.family, unflatten(np.asarray(theta, float), self.shapes), self.options)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.family.logpdf(x, self.params, self.options), dtype=float)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The CDF (a continuous family's scipy.stats one, not frozen: freezing costs more)."""
        from scipy import stats

        dist = getattr(stats, self.family.scipy_dist)
        return dist.cdf(x, **self.family.to_scipy(self.params, self.options))

    def frozen(self):
        """The scipy.stats distribution (a continuous family's CDF and quantiles)."""
        from scipy import stats

        return getattr(stats, self.family.scipy_dist)(
            **self.family.to_scipy(self.params, self.options)
        )

    def simulate(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.family.simulate(rng, n, self.params, self.options), dtype=float)

    def describe(self) -> str:
        """``gamma(alpha=2, beta=0.667)``."""
        values = ", ".join(f"{n}={_short(v)}" for n, v in self.params.items())
        return f"{self.name}({values})"


def law(name: str, params: Mapping[str, Any] | None = None, options=None) -> Law:
    """The law of family ``name`` at ``params`` (default: its demo parameters), checked.

    Raises
    ------
    ValueError
        An unknown family, one the studies cannot handle (regression families, rows
        of several values, continuous families without a scipy.stats distribution),
        or parameters that are missing, unknown or outside their domain.
    """
    family = get_family(name)
    if not study_family(family):
        valid = ", ".join(f for f, fam in families().items() if study_family(fam))
        raise ValueError(
            f"family {name!r} cannot be studied (the studies need one value per observation "
            f"and, for a continuous family, its scipy.stats distribution); valid: {valid}"
        )
    given = dict(options if options is not None else family.demo_options)
    resolved = family.resolve_options(None, given)
    params = dict(family.demo_params if params is None else params)
    unknown = sorted(set(params) - set(family.params))
    missing = [p for p in family.params if p not in params]
    if unknown or missing:
        raise ValueError(
            f"family {name!r} has parameters {list(family.params)}; "
            f"got unknown {unknown} and missing {missing}"
        )
    shapes = family.param_shapes(resolved)
    checked = {p: _parameter(family, p, params[p], shapes[p]) for p in family.params}
    return Law(family, checked, resolved)


def study_family(family: Any) -> bool:
    """Whether the studies handle ``family``: one value per observation, and a CDF if continuous."""
    return (
        isinstance(family, Family)
        and family.data_ndim == 1
        and (family.discrete or family.scipy_dist is not None)
    )


def _parameter(family: Family, name: str, value: Any, shape: tuple[int, ...]):
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise ValueError(
            f"{family.name}: parameter {name!r} needs shape {shape}, got {array.shape}"
        )
    domain = family.domains[name]
    checks = {
        "real": lambda a: np.all(np.isfinite(a)),
        "positive": lambda a: np.all((a > 0) & np.isfinite(a)),
        "unit": lambda a: np.all((a > 0) & (a < 1)),
        "simplex": lambda a: np.all(a > 0) and abs(a.sum() - 1) < 1e-9,
        "ordered": lambda a: np.all(np.isfinite(a)) and np.all(np.diff(a) > 0),
    }
    if domain in checks and not checks[domain](array):
        raise ValueError(
            f"{family.name}: parameter {name}={value!r} is outside its domain {domain}"
        )
    return float(array) if shape == () else array


@dataclass(frozen=True)
class Rule:
    """Nodes and weights with Σ w f(x) = E_p f(X) for a law p."""

    x: np.ndarray
    w: np.ndarray

    def expect(self, values: np.ndarray) -> float:
        """Σ w · values, with 0 · (±inf) read as 0 (no mass there)."""
        values = np.asarray(values, dtype=float)
        keep = self.w > 0
        terms = self.w[keep] * values[keep]
        if np.any(np.isnan(terms)):
            return np.nan
        return fsum(terms) if np.all(np.isfinite(terms)) else float(np.sum(terms))


def rule(p: Law) -> Rule:
    """The quadrature rule of ``p``: its support with its pmf, or tanh-sinh in quantiles."""
    if p.family.discrete:
        x = _discrete_support(p)
        return Rule(x, np.exp(p.logpdf(x)))
    frozen = p.frozen()
    t = np.arange(-HALF_WIDTH, HALF_WIDTH + STEP / 2, STEP)
    s = 0.5 * np.pi * np.sinh(t)
    lower, upper = expit(2 * s), expit(-2 * s)  # u and 1 − u, each without cancellation
    w = STEP * 0.5 * np.pi * np.cosh(t) * 2 * lower * upper
    with np.errstate(all="ignore"):
        x = np.where(t <= 0, frozen.ppf(lower), frozen.isf(upper))
    keep = np.isfinite(x) & (w > 0) & p.family.in_support(x, p.options)
    return Rule(x[keep], w[keep])


def _discrete_support(p: Law) -> np.ndarray:
    """The non-negative integers in p's support, up to a tail mass below ``TAIL``."""
    chunks, mass, start, size = [], 0.0, 0, 1024
    while start < MAX_SUPPORT:
        x = np.arange(start, start + size, dtype=float)
        inside = x[p.family.in_support(x, p.options)]
        if inside.size == 0 and mass > 0:
            break
        chunks.append(inside)
        mass += fsum(np.exp(p.logpdf(inside)))
        if 1.0 - mass <= TAIL:
            break
        start, size = start + size, size * 2
    else:
        raise ValueError(f"{p.describe()}: its support is too wide to sum over")
    return np.concatenate(chunks)


def kl_divergence(p: Law, q: Law, on: Rule | None = None) -> float:
    """KL(p ‖ q) = E_p[log p − log q], exactly (discrete) or by quadrature (continuous).

    ``on`` is p's rule, when it is already built. +inf when q is 0 where p is not.
    """
    on = rule(p) if on is None else on
    logp, logq = p.logpdf(on.x), q.logpdf(on.x)
    if np.any(np.isneginf(logq) & (on.w > 0)):
        return np.inf
    return max(on.expect(logp - logq), 0.0)


def cross_entropy(on: Rule, q: Law) -> Callable[[np.ndarray], float]:
    """θ -> −E_p log q(X; θ), θ flat natural values of q's family (p given by its rule)."""

    def value(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            return -on.expect(q.at(theta).logpdf(on.x))

    return value


def fisher_information(p: Law, on: Rule | None = None) -> np.ndarray:
    """The inverse of the per-observation Fisher information, as a covariance of flat θ.

    E_p[s sᵀ] with s the score in the family's free coordinates (central differences of
    the log-density), mapped to natural flat parameters by the delta method, so that a
    simplex's k − 1 free coordinates give the right k × k covariance. √N(θ̂ − θ) tends to
    a normal with this covariance when the model is right.
    """
    on = rule(p) if on is None else on
    par = Parametrisation(dict(p.family.domains), p.shapes)
    u = par.from_flat(p.theta)
    scores = np.empty((on.x.size, u.size))
    for i in range(u.size):
        step = 1e-5 * max(1.0, abs(u[i]))
        up, down = u.copy(), u.copy()
        up[i] += step
        down[i] -= step
        logq_up = p.at(par.to_flat(up)).logpdf(on.x)
        logq_down = p.at(par.to_flat(down)).logpdf(on.x)
        scores[:, i] = (logq_up - logq_down) / (2 * step)
    information = (scores * on.w[:, None]).T @ scores
    jacobian = np.column_stack(
        [(par.to_flat(u + e) - par.to_flat(u - e)) / (2 * 1e-6) for e in np.eye(u.size) * 1e-6]
    )
    return jacobian @ np.linalg.inv(information) @ jacobian.T


@dataclass(frozen=True)
class PseudoTrue:
    """argmin_θ KL(p ‖ q_θ): the parameters, the KL there and how certain the minimum is."""

    law: Law
    kl: float
    certified: bool
    status: str


def pseudo_true(p: Law, family: str, start: np.ndarray, options=None) -> PseudoTrue:
    """The member of ``family`` closest to ``p`` in KL, by quadrature, from ``start``.

    ``start`` (flat natural values) should be near the answer: the MLE on a large
    sample from ``p`` is (it converges there).
    """
    q = law(family, None, options)
    on = rule(p)
    par = Parametrisation(dict(q.family.domains), q.shapes)
    objective = cross_entropy(on, q)
    found = minimise(lambda u: objective(par.to_flat(u)), par.from_flat(np.asarray(start)))
    best = q.at(par.to_flat(found.x))
    return PseudoTrue(best, kl_divergence(p, best, on), found.certified, found.status)


def _short(value: Any) -> str:
    if np.ndim(value):
        return "(" + ", ".join(f"{v:.4g}" for v in np.ravel(value)) + ")"
    return f"{float(value):.4g}"
