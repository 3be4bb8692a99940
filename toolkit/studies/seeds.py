"""Deterministic per-task seeds: the same task draws the same data wherever it runs.

A task's generator comes from ``numpy.random.SeedSequence`` keyed by the user's
seed, the study, the family that generates the data, the sample size and the
replication, so serial, parallel, Dask and resumed runs see identical samples,
and a task's data do not depend on which other tasks exist (adding replications
or sizes leaves the existing ones unchanged).
"""

from __future__ import annotations

import numbers
import zlib

import numpy as np


def task_seed(seed: int, study: str, family: str, n: int, rep: int) -> np.random.SeedSequence:
    """The seed sequence of one task (names enter through their CRC-32, stable across runs).

    >>> a = task_seed(9, "convergence", "gamma", 200, 3).generate_state(2)
    >>> b = task_seed(9, "convergence", "gamma", 200, 3).generate_state(2)
    >>> bool((a == b).all()), bool((a != task_seed(9, "convergence", "gamma", 200, 4)
    ...                             .generate_state(2)).any())
    (True, True)
    """
    key = [check_seed(seed), _crc(study), _crc(family), int(n), int(rep)]
    return np.random.SeedSequence(key)


def task_rng(seed: int, study: str, family: str, n: int, rep: int) -> np.random.Generator:
    """A generator seeded by :func:`task_seed`."""
    return np.random.default_rng(task_seed(seed, study, family, n, rep))


def check_seed(seed: object) -> int:
    """``seed`` as a non-negative int; a TypeError or ValueError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return int(seed)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))
