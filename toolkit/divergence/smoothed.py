"""KL divergences that smooth or bin the sample, or integrate densities on a grid (1-D).

Unlike KL(p̂ ‖ q) for the raw empirical distribution, these compare a
*density* estimate, or binned probabilities, with the model, so they are finite
and comparable across samples. They are approximations for studies, not part
of the KL = MLE identity.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import simpson
from scipy.special import logsumexp, ndtr

from toolkit.divergence._kernels import fsum, rel_entr
from toolkit.divergence._validation import as_sample, numeric_array, positive_int

__all__ = ["KdeGrid", "histogram_kl", "kde_grid", "kde_kl", "kl_grid", "reverse_kl_grid"]

#: Largest number of kernel evaluations held in memory at once by kde_kl.
_CHUNK = 1 << 22
#: Largest grid kde_kl chooses by itself (a step of h/8 over ~130,000 bandwidths).
_MAX_AUTO_GRID = (1 << 20) + 1


def kde_kl(
    x: ArrayLike,
    logq: Callable[[np.ndarray], ArrayLike],
    *,
    bandwidth: float | str = "scott",
    grid_size: int | None = None,
    cut: float = 8.0,
    bounds: tuple[float, float] | None = None,
) -> float:
    """KL(p̃ ‖ q) from a Gaussian-KDE smoothing p̃ of a 1-D sample to a model density.

    ``∫ p̃ (log p̃ - log q) dx`` by Simpson's rule on a uniform grid spanning
    the data plus ``cut`` bandwidths each side (clipped to ``bounds``).

    Parameters
    ----------
    x : array_like
        1-D sample of finite values.
    logq : callable
        Vectorised model log-density: takes a 1-D float array, returns an
        array of the same shape (``-inf`` outside the support).
    bandwidth : float or {"scott", "silverman"}
        Kernel standard deviation h, or a rule giving ``h = std(x, ddof=1) *
        factor`` with scipy's factors ``N**(-1/5)`` (Scott) and
        ``(3N/4)**(-1/5)`` (Silverman). A float is h itself, not scipy's
        multiplier.
    grid_size : int, optional
        Number of grid points (odd numbers suit Simpson's rule); the grid step
        must be at most h/2. Default: enough for a step of h/8, at least 1025
        and at most 2**20 + 1. The cost is O(N · grid_size).
    cut : float, default 8.0
        Grid margin in bandwidths; the kernel mass beyond 8h is ~1e-15.
    bounds : (float, float), optional
        Support ``(lo, hi)`` of the model (either may be infinite). The KDE is
        truncated to it and renormalised, so that a model on ``(0, inf)`` is not
        charged infinite KL for kernel mass spilling below 0. The grid then
        ends at a finite bound, so ``logq`` must be finite there.

    Returns
    -------
    float
        The divergence; ``+inf`` if ``logq`` is ``-inf`` where p̃ > 0.

    Raises
    ------
    TypeError, ValueError
        For a malformed sample, bandwidth, grid, bounds, or a ``logq`` that
        returns the wrong shape, NaN or ``+inf``.

    Examples
    --------
    A single point smoothed with h = 1 is N(0, 1), and KL(N(0,1) ‖ N(0,4)) is
    log 2 + 1/8 - 1/2:

    >>> import numpy as np
    >>> def logq(t):
    ...     return -0.5 * (t / 2.0) ** 2 - np.log(2.0 * np.sqrt(2 * np.pi))
    >>> round(kde_kl([0.0], logq, bandwidth=1.0), 10)
    0.3181471806
    """
    return kde_grid(x, bandwidth=bandwidth, grid_size=grid_size, cut=cut, bounds=bounds).kl(logq)


@dataclass(frozen=True)
class KdeGrid:
    """A Gaussian KDE p̃ of a 1-D sample tabulated on a uniform grid, with KLs to a model.

    Built by :func:`kde_grid`; the integrals are Simpson's rule on ``points``. Made once
    and reused, it makes a KL to many models (an optimiser's steps) cost O(grid) each.
    """

    points: np.ndarray
    #: log p̃ at ``points`` (truncated to ``bounds`` and renormalised when they are given).
    log_density: np.ndarray
    bandwidth: float
    bounds: tuple[float, float]

    def kl(self, logq: Callable[[np.ndarray], ArrayLike]) -> float:
        """KL(p̃ ‖ q) = ∫ p̃ (log p̃ − log q); ``+inf`` if ``logq`` is ``-inf`` where p̃ > 0."""
        grid, logp = self.points, self.log_density
        lq = self._logq_on_grid(logq)
        p = np.exp(logp)
        if np.any((p > 0) & np.isneginf(lq)):
            return math.inf
        integrand = np.zeros_like(grid)
        pos = p > 0
        integrand[pos] = p[pos] * (logp[pos] - lq[pos])
        return float(simpson(integrand, x=grid))

    def reverse_kl(self, logq: Callable[[np.ndarray], ArrayLike], mass: float = 1e-6) -> float:
        """KL(q ‖ p̃) = ∫ q (log q − log p̃), in logs, so no tail of p̃ underflows.

        ``+inf`` when more than ``mass`` of the model's probability lies off the grid
        (the integral would leave out where q log(q/p̃) is largest): make the grid wider.
        """
        lq = self._logq_on_grid(logq)
        q = np.exp(lq)
        if not abs(float(simpson(q, x=self.points)) - 1.0) <= mass:
            return math.inf
        integrand = np.zeros_like(q)
        pos = q > 0
        integrand[pos] = q[pos] * (lq[pos] - self.log_density[pos])
        return float(simpson(integrand, x=self.points))

    def _logq_on_grid(self, logq) -> np.ndarray:
        lq = _call_logq(logq, self.points)
        for end, bound in ((0, self.bounds[0]), (-1, self.bounds[1])):
            if self.points[end] == bound and np.isneginf(lq[end]):
                raise ValueError(
                    f"logq is -inf at the bound {bound}, where the integration grid ends; "
                    "kde_kl cannot integrate a log-density that is singular at a bound"
                )
        return lq


def kde_grid(
    x: ArrayLike,
    *,
    bandwidth: float | str = "scott",
    grid_size: int | None = None,
    cut: float = 8.0,
    bounds: tuple[float, float] | None = None,
    extent: tuple[float, float] | None = None,
) -> KdeGrid:
    """The Gaussian KDE of a 1-D sample on the grid :func:`kde_kl` integrates over.

    Parameters as for :func:`kde_kl`; ``extent`` = (a, b) widens the grid to cover at
    least [a, b] (clipped to ``bounds``), e.g. where a model's mass may lie for
    :meth:`KdeGrid.reverse_kl`.

    Examples
    --------
    One point smoothed with h = 1 is N(0, 1); KL(N(0, 4) ‖ N(0, 1)) = log(1/2) + 4/2 − 1/2:

    >>> kde = kde_grid([0.0], bandwidth=1.0, extent=(-30.0, 30.0))
    >>> def logq(t):
    ...     return -0.5 * (t / 2.0) ** 2 - np.log(2.0 * np.sqrt(2 * np.pi))
    >>> round(kde.reverse_kl(logq), 10), round(float(np.log(0.5) + 1.5), 10)
    (0.8068528194, 0.8068528194)
    """
    xs = as_sample(x, "x", max_ndim=1)
    h = _bandwidth(xs, bandwidth)
    if isinstance(cut, bool) or not isinstance(cut, numbers.Real):
        raise TypeError(f"cut must be a number, got {type(cut).__name__}")
    if not (math.isfinite(cut) and cut > 0):
        raise ValueError(f"cut must be a positive finite number, got {cut!r}")
    lo, hi = _bounds(bounds, xs)
    a, b = xs.min() - cut * h, xs.max() + cut * h
    if extent is not None:
        a, b = min(a, float(extent[0])), max(b, float(extent[1]))
    a, b = max(lo, a), min(hi, b)
    if grid_size is None:
        size = max(1025, 2 * math.ceil((b - a) / (h / 8.0) / 2.0) + 1)
        if size > _MAX_AUTO_GRID:
            raise ValueError(
                f"the data span {(b - a) / h:.0f} bandwidths, which needs {size} grid points "
                f"for a step of h/8; pass grid_size (step <= h/2) or a larger bandwidth"
            )
    else:
        size = positive_int(grid_size, "grid_size")
        if size < 3 or (b - a) / (size - 1) > h / 2:
            raise ValueError(
                f"grid_size = {size} gives a grid step above half the bandwidth h = {h!r}; "
                f"use at least {math.ceil(2 * (b - a) / h) + 1} points"
            )
    grid = np.linspace(a, b, size)
    logp = _kde_logpdf(grid, xs, h)
    if bounds is not None:
        mass = float(np.mean(ndtr((hi - xs) / h) - ndtr((lo - xs) / h)))
        logp = logp - math.log(mass)
    return KdeGrid(grid, logp, h, (lo, hi))


def histogram_kl(
    x: ArrayLike, cdf: Callable[[np.ndarray], ArrayLike], bins: int | str | ArrayLike = "auto"
) -> float:
    """KL(P̂ ‖ Q) between the binned sample and the model's bin probabilities.

    ``P̂_j`` is the fraction of ``x`` in bin j and ``Q_j`` the model's
    probability of bin j from its CDF. Two unbounded outer bins,
    ``(-inf, e_0)`` and ``(e_K, inf)``, are added so both distributions are
    complete. By the data-processing inequality this is at most the KL of the
    underlying distributions; under the model, ``2N·KL`` is asymptotically
    χ² with (number of bins with Q > 0) - 1 degrees of freedom (the G-test).

    Parameters
    ----------
    x : array_like
        1-D sample of finite values.
    cdf : callable
        Vectorised model CDF, non-decreasing with values in [0, 1].
    bins : int, str or array_like, default "auto"
        As for :func:`numpy.histogram_bin_edges`: a count, a rule name, or
        increasing edges. Interior bins are half-open except the last, as in
        :func:`numpy.histogram`.

    Returns
    -------
    float
        The divergence, ``>= 0``; ``+inf`` if a bin holding data has ``Q = 0``.

    Raises
    ------
    TypeError, ValueError
        For a malformed sample or bins, or a CDF that is not non-decreasing
        in [0, 1] at the edges.

    Examples
    --------
    Uniform model on [0, 1], a quarter of the data in [0, 0.5) and three
    quarters in [0.5, 1]:

    >>> cdf = lambda t: np.clip(t, 0.0, 1.0)
    >>> round(histogram_kl([0.1, 0.6, 0.7, 0.9], cdf, bins=[0.0, 0.5, 1.0]), 10)
    0.1308120359
    """
    xs = as_sample(x, "x", max_ndim=1)
    edges = np.histogram_bin_edges(xs, bins=_bins(bins))
    interior, _ = np.histogram(xs, bins=edges)
    counts = np.concatenate([[np.sum(xs < edges[0])], interior, [np.sum(xs > edges[-1])]])
    c = np.asarray(cdf(edges), dtype=np.float64)
    if c.shape != edges.shape or not np.all((c >= 0) & (c <= 1)):
        raise ValueError("cdf must return one value in [0, 1] per bin edge")
    if np.any(np.diff(c) < 0):
        raise ValueError("cdf must be non-decreasing, but it decreases between bin edges")
    q = np.concatenate([[c[0]], np.diff(c), [1.0 - c[-1]]])
    return max(fsum(rel_entr(counts / xs.size, q)), 0.0)


def kl_grid(p: ArrayLike, q: ArrayLike, grid: ArrayLike) -> float:
    """KL(p ‖ q) = ∫ p log(p/q) dx from two densities tabulated on a 1-D grid.

    Parameters
    ----------
    p, q : array_like
        Non-negative finite density values at ``grid``.
    grid : array_like
        Strictly increasing points, at least 3; Simpson's rule is used, so
        the densities should be negligible beyond the grid's ends. A density
        value that underflowed to 0 counts as 0: keep the grid where ``q > 0``
        wherever ``p > 0`` (far tails of tabulated densities underflow).

    Returns
    -------
    float
        The integral; ``+inf`` if ``q == 0`` somewhere ``p > 0``.

    Raises
    ------
    TypeError, ValueError
        If the arrays are not numeric, differ in shape, are negative or
        non-finite, or the grid is not strictly increasing.

    Examples
    --------
    >>> t = np.linspace(-20.0, 20.0, 4001)
    >>> def normal(mu, s):
    ...     return np.exp(-0.5 * ((t - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    >>> round(kl_grid(normal(0, 1), normal(1, 2), t), 10)  # log 2 + 2/8 - 1/2
    0.4431471806
    """
    pp, qq, g = _grid_inputs(p, q, grid)
    terms = rel_entr(pp, qq)
    if np.any(np.isposinf(terms)):
        return math.inf
    return float(simpson(terms, x=g))


def reverse_kl_grid(p: ArrayLike, q: ArrayLike, grid: ArrayLike) -> float:
    """Reverse KL(q ‖ p) = ∫ q log(q/p) dx, data density p and model density q on a grid.

    The "reverse" direction of the forward KL(p ‖ q) that maximum likelihood
    minimises. Same conventions as :func:`kl_grid` (``kl_grid(q, p, grid)``).

    Examples
    --------
    >>> t = np.linspace(-20.0, 20.0, 4001)
    >>> def normal(mu, s):
    ...     return np.exp(-0.5 * ((t - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    >>> round(reverse_kl_grid(normal(1, 2), normal(0, 1), t), 10)  # KL(N(0,1) ‖ N(1,4))
    0.4431471806
    """
    pp, qq, g = _grid_inputs(p, q, grid)
    return kl_grid(qq, pp, g)


def _grid_inputs(p: ArrayLike, q: ArrayLike, grid: ArrayLike) -> tuple[np.ndarray, ...]:
    g = numeric_array(grid, "grid").astype(np.float64)
    if g.ndim != 1 or g.size < 3:
        raise ValueError(f"grid must be 1-D with at least 3 points, got shape {g.shape}")
    if not np.all(np.isfinite(g)) or np.any(np.diff(g) <= 0):
        raise ValueError("grid must be finite and strictly increasing")
    out = []
    for name, arr in (("p", p), ("q", q)):
        a = numeric_array(arr, name).astype(np.float64)
        if a.shape != g.shape:
            raise ValueError(f"{name} must have the grid's shape {g.shape}, got {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{name} must hold finite, non-negative density values")
        out.append(a)
    return out[0], out[1], g


def _bandwidth(xs: np.ndarray, bandwidth: float | str) -> float:
    if isinstance(bandwidth, str):
        rules = {"scott": xs.size ** (-0.2), "silverman": (0.75 * xs.size) ** (-0.2)}
        if bandwidth not in rules:
            raise ValueError(f"bandwidth rule must be 'scott' or 'silverman', got {bandwidth!r}")
        if xs.size < 2:
            raise ValueError("a bandwidth rule needs at least 2 observations; give h instead")
        h = float(np.std(xs, ddof=1)) * rules[bandwidth]
        if h <= 0:
            raise ValueError("all values of x are equal, so the rule's bandwidth is 0")
        return h
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, numbers.Real):
        raise TypeError(f"bandwidth must be a number or a rule name, got {type(bandwidth)}")
    if not (math.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be positive and finite, got {bandwidth!r}")
    return float(bandwidth)


def _bounds(bounds: tuple[float, float] | None, xs: np.ndarray) -> tuple[float, float]:
    if bounds is None:
        return -math.inf, math.inf
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise TypeError(f"bounds must be a pair of numbers (lo, hi), got {bounds!r}") from None
    if not lo < hi:
        raise ValueError(f"bounds must satisfy lo < hi, got ({lo}, {hi})")
    if xs.min() < lo or xs.max() > hi:
        raise ValueError(f"x has values outside bounds ({lo}, {hi})")
    return lo, hi


def _bins(bins: int | str | ArrayLike) -> int | str | np.ndarray:
    if isinstance(bins, str):
        return bins
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        return positive_int(bins, "bins")
    edges = numeric_array(bins, "bins").astype(np.float64)
    if edges.ndim != 1 or edges.size < 2:
        raise ValueError("bins given as edges must be 1-D with at least 2 edges")
    if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise ValueError("bin edges must be finite and strictly increasing")
    return edges


def _kde_logpdf(grid: np.ndarray, xs: np.ndarray, h: float) -> np.ndarray:
    """Log of the Gaussian KDE ``mean_i φ((t - x_i)/h)/h`` at each grid point."""
    out = np.empty_like(grid)
    step = max(1, _CHUNK // xs.size)
    norm = math.log(xs.size * h * math.sqrt(2.0 * math.pi))
    for start in range(0, grid.size, step):
        z = (grid[start : start + step, np.newaxis] - xs[np.newaxis, :]) / h
        out[start : start + step] = logsumexp(-0.5 * z * z, axis=1) - norm
    return out


def _call_logq(logq: Callable[[np.ndarray], ArrayLike], grid: np.ndarray) -> np.ndarray:
    if not callable(logq):
        raise TypeError(f"logq must be callable, got {type(logq).__name__}")
    lq = np.asarray(logq(grid), dtype=np.float64)
    if lq.shape != grid.shape:
        raise ValueError(f"logq returned shape {lq.shape} for a grid of shape {grid.shape}")
    if np.any(np.isnan(lq)) or np.any(np.isposinf(lq)):
        raise ValueError("logq returned NaN or +inf on the grid")
    return lq
