"""Numerical kernels shared by the modules of :mod:`toolkit.divergence` (private)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def rel_entr(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p·log(p/q)``, recomputed as ``p·(log p - log q)`` where ``p/q`` overflows."""
    terms = special.rel_entr(p, q)
    overflow = np.isinf(terms) & (q > 0)
    if np.any(overflow):
        po, qo = p[overflow], q[overflow]
        terms[overflow] = po * (np.log(po) - np.log(qo))
    return terms


def fsum(terms: np.ndarray) -> float:
    """Correctly rounded sum of float terms, propagating infinities without NaN traps."""
    if terms.size == 0:
        return 0.0
    has_pos, has_neg = bool(np.isposinf(terms).any()), bool(np.isneginf(terms).any())
    if has_pos or has_neg:
        return math.nan if has_pos and has_neg else (math.inf if has_pos else -math.inf)
    try:
        return math.fsum(terms.tolist())
    except OverflowError:  # partial sums of huge finite terms overflow: sum scaled terms
        return math.fsum((terms * 2.0**-64).tolist()) * 2.0**64
