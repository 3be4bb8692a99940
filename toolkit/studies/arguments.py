"""Checks of the arguments every study shares: sizes, replications, seeds, bandwidths."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from toolkit.studies.seeds import check_seed


def sizes(values: Sequence[int], minimum: int = 2) -> list[int]:
    """Sample sizes as sorted distinct ints, each at least ``minimum``."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"sizes must be a non-empty list of integers, got {values!r}")
    out = sorted({_integer(v, "sizes") for v in values})
    if out[0] < minimum:
        raise ValueError(f"every sample size must be at least {minimum}, got {out[0]}")
    return out


def reps(value: int) -> int:
    """Replications per size: an int at least 1."""
    value = _integer(value, "reps")
    if value < 1:
        raise ValueError(f"reps must be at least 1, got {value}")
    return value


def seed(value: int) -> int:
    """The study's seed: a non-negative int."""
    return check_seed(value)


def bandwidths(values: Sequence[float]) -> list[float]:
    """Bandwidths as sorted distinct positive finite floats."""
    if isinstance(values, numbers.Real):
        values = [values]
    try:
        out = sorted({float(v) for v in values})
    except (TypeError, ValueError):
        raise ValueError(f"bandwidths must be positive numbers, got {values!r}") from None
    if not out or not all(math.isfinite(h) and h > 0 for h in out):
        raise ValueError(f"bandwidths must be positive finite numbers, got {values!r}")
    return out


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be integers, got {value!r}")
    return int(value)
