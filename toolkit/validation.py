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
    how many values are affected and the first offending index (for a family
    with ``data_ndim=2``, the first offending row and column).
    """
    where = f"family {family.name!r}"
    labels = None
    if family.data_ndim == 2:
        x, labels = _as_float_matrix(data, where)
    else:
        x = _as_float_vector(data, where)
    _reject(np.isnan(x), x, where, "NaN values", labels)
    _reject(np.isinf(x), x, where, "infinite values", labels)
    try:
        resolved = family.resolve_options(x, options)
    except ValueError as err:
        raise DataError(str(err)) from None
    if family.data_ndim == 2 and resolved["d"] != x.shape[1]:
        raise DataError(
            f"{where}: option d = {resolved['d']} but the data have {x.shape[1]} column(s)"
        )
    outside = ~np.asarray(family.in_support(x, resolved), dtype=bool)
    _reject(outside, x, where, f"values outside the support ({family.support})", labels)
    problem = Problem(family, x, resolved)
    n_free = len(problem.names) - sum(d == "simplex" for d in family.domains.values())
    if len(x) < n_free + 1:
        raise DataError(
            f"{where}: {len(x)} observation(s) for {n_free} free parameter(s); "
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
    if arr.size == 0:
        raise DataError(f"{where}: the data are empty (no observations)")
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


def _as_float_matrix(data: Any, where: str) -> tuple[np.ndarray, list | None]:
    """An N × d float array (one row per observation) and the column labels, if any."""
    labels = [str(c) for c in data.columns] if hasattr(data, "columns") else None
    if hasattr(data, "to_numpy"):  # pandas DataFrame
        data = data.to_numpy()
    if isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.asarray(data, dtype=object)
        except ValueError:  # ragged rows that numpy refuses outright
            raise DataError(
                f"{where}: rows of different lengths; expected an N × d array"
            ) from None
    if arr.size == 0:
        raise DataError(f"{where}: the data are empty (no observations)")
    if arr.ndim != 2:
        ragged = arr.dtype == object and any(np.ndim(v) for v in arr.ravel())
        got = "rows of different lengths" if ragged else f"an array of shape {arr.shape}"
        raise DataError(
            f"{where}: expected an N × d array (one row of values per observation), got {got}"
        )
    if arr.dtype.kind in "biuf":
        return arr.astype(float), labels
    if arr.dtype.kind == "c":
        raise DataError(f"{where}: complex values are not data for a real-valued family")
    out = np.empty(arr.shape, dtype=float)
    bad = []
    for (i, j), value in np.ndenumerate(arr):
        try:
            out[i, j] = float(value)
        except (TypeError, ValueError):
            bad.append((i, j))
    if bad:
        i, j = bad[0]
        raise DataError(
            f"{where}: {len(bad)} non-numeric value(s); first at {_cell(i, j, labels)} "
            f"({arr[i, j]!r})"
        )
    return out, labels


def _cell(row: int, column: int, labels: list | None) -> str:
    name = f"{column} ({labels[column]!r})" if labels else f"{column}"
    return f"row {row}, column {name}"


def _reject(
    mask: np.ndarray, x: np.ndarray, where: str, what: str, labels: list | None = None
) -> None:
    bad = np.argwhere(mask)
    if not bad.size:
        return
    first = tuple(int(i) for i in bad[0])
    if x.ndim == 1:
        place = f"index {first[0]}"
    elif len(first) == 2:
        place = _cell(*first, labels)
    else:  # a mask of whole rows
        place = f"row {first[0]}"
    value = repr(float(x[first])) if len(first) == x.ndim else repr(x[first].tolist())
    raise DataError(f"{where}: {len(bad)} {what}; first at {place} (value {value})")
