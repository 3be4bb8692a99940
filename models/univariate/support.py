"""Support checks shared by univariate declarations (elementwise boolean masks)."""

import numpy as np


def real(x, options=None):
    return np.isfinite(x)


def positive(x, options=None):
    return x > 0


def unit_open(x, options=None):
    return (x > 0) & (x < 1)


def nonnegative(x, options=None):
    return x >= 0


def counts(x, options=None):
    return (x >= 0) & (x == np.floor(x))


def binary(x, options=None):
    return (x == 0) | (x == 1)


def positive_integers(x, options=None):
    return (x >= 1) & (x == np.floor(x))


def all_equal(x) -> bool:
    return bool(np.all(x == x[0]))
