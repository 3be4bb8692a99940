"""Entropy, cross-entropy and KL divergence of discrete distributions.

With p̂ the empirical distribution of a sample (atoms with weights ``w``) and
``logq`` a model's log-probability at each atom,

    kl_from_logq(w, logq) + entropy(w) == cross_entropy(w, logq) == -ℓ(θ)/N,

which is why minimising KL(p̂ ‖ q_θ) is maximum likelihood. All sums here are
correctly rounded (:func:`math.fsum`), and the three functions share the very
same products ``w·log w`` and ``w·logq``, so that identity holds to within a
few roundings of the result rather than to the accumulated error of a
floating-point sum.

Conventions: natural logarithms; ``0·log 0 = 0`` and ``0·log q = 0`` even when
``q = 0`` (``logq = -inf``); a positive weight where ``q = 0`` gives ``+inf``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from toolkit.divergence._kernels import fsum, rel_entr
from toolkit.divergence._validation import as_logq, as_pmf

__all__ = ["conditional_kl_from_logq", "cross_entropy", "entropy", "kl_divergence", "kl_from_logq"]


def entropy(weights: ArrayLike) -> float:
    """Shannon entropy H(p) = -Σ p log p of a probability vector, in nats.

    Parameters
    ----------
    weights : array_like
        1-D probability vector: finite, non-negative, summing to 1 (within
        ``1e-12 * len(weights)``). Zero entries contribute 0.

    Returns
    -------
    float
        The entropy, ``>= 0``; ``0.0`` for a point mass.

    Raises
    ------
    TypeError
        If ``weights`` does not hold real numbers.
    ValueError
        If ``weights`` is not a 1-D probability vector.

    Examples
    --------
    >>> entropy([0.5, 0.5])  # log 2
    0.6931471805599453
    >>> entropy([1.0, 0.0])
    0.0
    """
    w = as_pmf(weights, "weights")
    return 0.0 - fsum(_w_log_w(w))


def cross_entropy(weights: ArrayLike, logq: ArrayLike) -> float:
    """Cross-entropy H(p, q) = -Σ w·log q of weights against log-probabilities.

    Parameters
    ----------
    weights : array_like
        1-D probability vector (as for :func:`entropy`).
    logq : array_like
        ``log q`` at each atom, same shape as ``weights``; ``-inf`` allowed,
        NaN and ``+inf`` are not. It may be a log-density rather than a
        log-probability (then the result can be negative).

    Returns
    -------
    float
        ``-Σ w·logq``, with terms where ``w == 0`` taken as 0 (even if
        ``logq == -inf``); ``+inf`` if some ``w > 0`` has ``logq == -inf``.
        For empirical weights this is ``-ℓ/N``, minus the mean log-likelihood.

    Raises
    ------
    TypeError
        If an argument does not hold real numbers.
    ValueError
        If ``weights`` is not a probability vector, or ``logq`` has another
        shape or holds NaN or ``+inf``.

    Examples
    --------
    >>> import numpy as np
    >>> cross_entropy([0.5, 0.5, 0.0], [np.log(0.5), np.log(0.5), -np.inf])
    0.6931471805599453
    >>> cross_entropy([0.5, 0.5], [np.log(0.5), -np.inf])
    inf
    """
    w = as_pmf(weights, "weights")
    lq = as_logq(logq, "logq", w.shape)
    return fsum(_minus_w_logq(w, lq))


def kl_from_logq(weights: ArrayLike, logq: ArrayLike) -> float:
    """Σ w·(log w - log q): KL(p ‖ q) from weights and log-probabilities at the atoms.

    With ``weights`` the empirical weights of a sample and ``logq`` a model's
    log-pmf at its atoms this is KL(p̂ ‖ q_θ) = -H(p̂) - ℓ(θ)/N.

    Parameters
    ----------
    weights : array_like
        1-D probability vector (as for :func:`entropy`).
    logq : array_like
        ``log q`` at each atom, same shape as ``weights`` (as for
        :func:`cross_entropy`).

    Returns
    -------
    float
        ``Σ w·log w - Σ w·logq`` as one correctly rounded sum of the same
        products :func:`entropy` and :func:`cross_entropy` use, so
        ``kl_from_logq(w, lq) + entropy(w)`` equals ``cross_entropy(w, lq)`` to
        within a few units in the last place. ``+inf`` if some ``w > 0`` has
        ``logq == -inf``. It is ``>= 0`` up to rounding when ``exp(logq)`` is a
        pmf, but it is not clipped: for log-densities it may be negative.

    Raises
    ------
    TypeError
        If an argument does not hold real numbers.
    ValueError
        As for :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([0.25, 0.75])
    >>> kl_from_logq(w, np.log(w))
    0.0
    >>> round(kl_from_logq(w, np.log([0.5, 0.5])), 12)  # 0.75 log 1.5 - 0.25 log 2
    0.130812035941
    """
    w = as_pmf(weights, "weights")
    lq = as_logq(logq, "logq", w.shape)
    return fsum(np.concatenate([_w_log_w(w), _minus_w_logq(w, lq)]))


def conditional_kl_from_logq(
    weights: ArrayLike, log_conditional: ArrayLike, logq: ArrayLike
) -> float:
    """Conditional KL Σ w·(log p̂(y|x) − log q(y|x)) over atoms of (x, y) rows.

    The KL from the empirical conditional law p̂(y | x) to a model q(y | x),
    averaged over the empirical p̂(x): the regression form of :func:`kl_from_logq`,
    to which it reduces when no covariates repeat the rows (``log_conditional`` =
    ``log w``).

    Parameters
    ----------
    weights : array_like
        p̂(x, y) of each atom (a probability vector).
    log_conditional : array_like
        log p̂(y | x) of each atom (≤ 0).
    logq : array_like
        log q(y | x) of each atom; ``-inf`` allowed.

    Returns
    -------
    float
        ≥ 0 up to rounding when each q(· | x) is a pmf; one correctly rounded sum.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([0.25, 0.25, 0.5])  # x = 0 twice (y = 0, 1), x = 1 once
    >>> log_cond = np.log([0.5, 0.5, 1.0])
    >>> conditional_kl_from_logq(w, log_cond, log_cond)
    0.0
    """
    w = as_pmf(weights, "weights")
    log_cond = as_logq(log_conditional, "log_conditional", w.shape)
    lq = as_logq(logq, "logq", w.shape)
    products = np.zeros_like(w)
    pos = w > 0
    products[pos] = w[pos] * log_cond[pos]
    return fsum(np.concatenate([products, _minus_w_logq(w, lq)]))


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Exact KL(p ‖ q) = Σ p·log(p/q) between two probability vectors.

    Parameters
    ----------
    p, q : array_like
        1-D probability vectors of the same length: finite, non-negative,
        each summing to 1 (within ``1e-12 * len``).

    Returns
    -------
    float
        The divergence, ``>= 0``; ``0.0`` when ``p == q``; ``+inf`` if some
        ``p > 0`` has ``q == 0``. Terms with ``p == 0`` contribute 0.

    Raises
    ------
    TypeError
        If an argument does not hold real numbers.
    ValueError
        If either is not a probability vector, or their shapes differ.

    Notes
    -----
    Terms are ``scipy.special.rel_entr(p, q)`` (``p·log(p/q)``, accurate when
    ``p ≈ q``), summed with :func:`math.fsum`. Because ``p`` and ``q`` only sum
    to 1 within rounding, the exact sum can be a few ulps below 0; it is
    clipped at 0, which Gibbs' inequality guarantees for normalised inputs
    (the clipped amount is bounded by ``|Σq - Σp| <= 1e-12·len``).

    Examples
    --------
    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> round(kl_divergence([0.5, 0.5], [0.25, 0.75]), 12)
    0.143841036226
    >>> kl_divergence([0.5, 0.5], [1.0, 0.0])
    inf
    """
    pp = as_pmf(p, "p")
    qq = as_pmf(q, "q")
    if pp.shape != qq.shape:
        raise ValueError(f"p and q must have the same shape, got {pp.shape} and {qq.shape}")
    return max(fsum(rel_entr(pp, qq)), 0.0)


def _w_log_w(w: np.ndarray) -> np.ndarray:
    """``w·log w`` elementwise with ``0·log 0 = 0`` (all terms <= 0, finite).

    Uses ``np.log`` (not ``scipy.special.xlogy``, whose log can differ by an
    ulp), so that ``logq = np.log(w)`` cancels exactly and gives KL = 0.
    """
    out = np.zeros_like(w)
    pos = w > 0
    out[pos] = w[pos] * np.log(w[pos])
    return out


def _minus_w_logq(w: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """``-w·logq`` elementwise, 0 where ``w == 0`` whatever ``logq`` is."""
    out = np.zeros_like(w)
    pos = w > 0
    out[pos] = -(w[pos] * logq[pos])
    return out
