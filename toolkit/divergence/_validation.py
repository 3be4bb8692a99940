"""Input checks shared by the public functions of :mod:`toolkit.divergence`.

Every helper returns a fresh float64 (or numeric) array and raises ``TypeError``
for a value of the wrong kind and ``ValueError`` for a value of the right kind
that is out of range, each naming the offending argument.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

#: numpy dtype kinds accepted as numeric data: bool, signed, unsigned, float.
_NUMERIC_KINDS = "biuf"


def numeric_array(a: ArrayLike, name: str) -> np.ndarray:
    """``np.asarray(a)`` if it is a rectangular array of real numbers."""
    try:
        arr = np.asarray(a)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    return arr


def as_sample(x: ArrayLike, name: str = "x", *, max_ndim: int = 2) -> np.ndarray:
    """A non-empty, finite sample as float64, 1-D or (if allowed) 2-D ``(N, d)``."""
    arr = numeric_array(x, name)
    if not 1 <= arr.ndim <= max_ndim:
        allowed = "1-D" if max_ndim == 1 else "1-D or 2-D (N, d)"
        raise ValueError(f"{name} must be {allowed}, got an array of shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it must hold at least one observation")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise ValueError(f"{name} has shape {arr.shape}: rows must have at least one column")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} holds {np.count_nonzero(~np.isfinite(out))} non-finite values")
    return out


def as_pmf(p: ArrayLike, name: str) -> np.ndarray:
    """A probability vector: 1-D, finite, non-negative, summing to 1 within 1e-12·len."""
    arr = numeric_array(p, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D vector, got shape {arr.shape}")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} holds non-finite values")
    if np.any(out < 0):
        raise ValueError(f"{name} holds negative values (smallest {out.min()!r})")
    total = math.fsum(out.tolist())
    if abs(total - 1.0) > 1e-12 * out.size:
        raise ValueError(f"{name} must sum to 1 (within 1e-12 per entry), got a sum of {total!r}")
    return out


def as_logq(logq: ArrayLike, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Log-probabilities or log-densities of the given shape; ``-inf`` allowed, NaN/+inf not."""
    arr = numeric_array(logq, name)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (one value per weight), got {arr.shape}")
    out = arr.astype(np.float64)
    if np.any(np.isnan(out)):
        raise ValueError(f"{name} holds NaN")
    if np.any(np.isposinf(out)):
        raise ValueError(f"{name} holds +inf (an infinite probability or density)")
    return out


def positive_int(value: object, name: str) -> int:
    """An ``int`` (not ``bool``) that is at least 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)
