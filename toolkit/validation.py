"""Validation of data before any fit: every entry point goes through here."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.family import Family
from toolkit.engines.problem import Problem
from toolkit.errors import BoundaryError, DataError


def validate_family_data(family: Family, data: Any, options: dict[str, Any]) -> Problem:
    """Check ``data`` for ``family`` and return the problem to fit.

    Raises :class:`~toolkit.errors.DataError` naming the family, the problem,
    how many values are affected and the first offending index.
    """
    where = f"family {family.name!r}"
    x = _as_float_vector(data, where)
    if x.size == 0:
        raise DataError(f"{where}: the data are empty (no observations)")
    _reject(np.isnan(x), x, where, "NaN values")
    _reject(np.isinf(x), x, where, "infinite values")
    try:
        resolved = family.resolve_options(x, options)
    except ValueError as err:
        raise DataError(str(err)) from None
    _reject(
        ~family.in_support(x, resolved), x, where, f"values outside the support ({family.support})"
    )
    problem = Problem(family, x, resolved)
    n_free = len(problem.names) - sum(d == "simplex" for d in family.domains.values())
    if x.size < n_free + 1:
        raise DataError(
            f"{where}: {x.size} observation(s) for {n_free} free parameter(s); "
            f"need at least {n_free + 1}"
        )
    if family.boundary is not None:
        reason = family.boundary(x, resolved)
        if reason:
            raise BoundaryError(f"{where}: the MLE does not exist in the interior: {reason}")
    return problem


def _as_float_vector(data: Any, where: str) -> np.ndarray:
    if hasattr(data, "to_numpy"):  # pandas Series or one-column DataFrame
        data = data.to_numpy()
    arr = np.asarray(data, dtype=object) if not isinstance(data, np.ndarray) else data
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{where}: expected one column of data, got an array of shape {arr.shape}")
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    if arr.dtype.kind == "c":
        raise DataError(f"{where}: complex values are not data for a real-valued family")
    out = np.empty(arr.shape, dtype=float)
    bad = []
    for i, value in enumerate(arr):
        try:
            out[i] = float(value)
        except (TypeError, ValueError):
            bad.append(i)
    if bad:
        raise DataError(
            f"{where}: {len(bad)} non-numeric value(s); first at index {bad[0]} ({arr[bad[0]]!r})"
        )
    return out


def _reject(mask: np.ndarray, x: np.ndarray, where: str, what: str) -> None:
    bad = np.flatnonzero(mask)
    if bad.size:
        raise DataError(
            f"{where}: {bad.size} {what}; first at index {bad[0]} (value {float(x[bad[0]])!r})"
        )
