"""Weighted means shared by the sufficient statistics of univariate declarations."""

import numpy as np


def mean(values, weights) -> float:
    """Σ w·x."""
    return float(np.dot(weights, values))


def mean_and_spread(values, weights) -> tuple[float, float]:
    """(Σ w·x, Σ w·(x − m)²): the variance about the mean, computed centred."""
    m = mean(values, weights)
    return m, float(np.dot(weights, np.square(values - m)))


def squared_deviation(stats: tuple[float, float], location) -> float:
    """Σ w·(x − location)² from (mean, spread), without cancelling digits."""
    m, spread = stats
    return spread + (m - location) ** 2


def two_points(stats: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Two equally weighted points m ± s with mean m and spread s² (from (m, spread))."""
    m, spread = stats
    s = np.sqrt(spread)
    return np.array([m - s, m + s]), np.array([0.5, 0.5])


def one_point(value: float) -> tuple[np.ndarray, np.ndarray]:
    return np.array([value]), np.array([1.0])
