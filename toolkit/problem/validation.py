"""Checks of data before any fit: every adapter validates through these.

Each check raises :class:`~toolkit.errors.DataError` (or
:class:`~toolkit.errors.BoundaryError` for data whose MLE does not exist) with a
message that names the family or model, the problem, how many values are
affected and where the first one is (index, row, column).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from toolkit.errors import BoundaryError, DataError

#: Relative size of the smallest singular value of the column-scaled design (times the
#: larger dimension) below which columns count as collinear: numpy's ``matrix_rank`` rule.
RANK_TOL = np.finfo(float).eps


def family_data(family, data: Any, options: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    """Check ``data`` for a catalog family; return it as floats and the resolved options.

    Raises a DataError naming the family, the problem, how many values are affected
    and the first offending index (for a family with ``data_ndim=2``, the first
    offending row and column); a BoundaryError when the family's declaration says
    the MLE does not exist in the interior for these data.
    """
    where = f"family {family.name!r}"
    labels = None
    if family.data_ndim == 2:
        x, labels = as_float_matrix(data, where)
    else:
        x = as_float_vector(data, where)
    reject(np.isnan(x), x, where, "NaN values", labels)
    reject(np.isinf(x), x, where, "infinite values", labels)
    try:
        resolved = family.resolve_options(x, options)
    except ValueError as err:
        raise DataError(str(err)) from None
    if family.data_ndim == 2 and resolved["d"] != x.shape[1]:
        raise DataError(
            f"{where}: option d = {resolved['d']} but the data have {x.shape[1]} column(s)"
        )
    outside = ~np.asarray(family.in_support(x, resolved), dtype=bool)
    reject(outside, x, where, f"values outside the support ({family.support})", labels)
    shapes = family.param_shapes(resolved)
    n_values = sum(int(np.prod(s)) if s else 1 for s in shapes.values())
    n_free = n_values - sum(d == "simplex" for d in family.domains.values())
    if len(x) < n_free + 1:
        raise DataError(
            f"{where}: {len(x)} observation(s) for {n_free} free parameter(s); "
            f"need at least {n_free + 1}"
        )
    if family.boundary is not None:
        reason = family.boundary(x, resolved)
        if reason:
            raise BoundaryError(f"{where}: the MLE does not exist in the interior: {reason}")
    return x, resolved


def as_float_vector(data: Any, where: str) -> np.ndarray:
    """One column of numbers as floats; a DataError naming the first non-numeric index."""
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


def as_float_matrix(data: Any, where: str) -> tuple[np.ndarray, list | None]:
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


def reject(
    mask: np.ndarray, x: np.ndarray, where: str, what: str, labels: list | None = None
) -> None:
    """A DataError when ``mask`` is true anywhere: how many, the first place and its value."""
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


def numeric_column(label: str, name: str, column, role: str) -> np.ndarray:
    """A DataFrame column as finite floats; a DataError naming the column and first row."""
    import pandas as pd

    if column.dtype == bool:
        column = column.astype(int)
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{label}: {role} column {name!r} is not numeric: {int(bad.sum())} values, "
            f"first at row {row} (value {column.iloc[row]!r})"
        )
    return finite_column(label, name, values.to_numpy(dtype=float), role)


def finite_column(label: str, name: str, values: np.ndarray, role: str) -> np.ndarray:
    """``values`` (one column, or rows of a block) if finite; else a DataError naming the row."""
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argwhere(~finite)[0][0])
        raise DataError(
            f"{label}: {role} column {name!r} is not finite (NaN or inf) at row {row} "
            f"({int((~finite).sum())} non-finite values)"
        )
    return values


def check_rows(label: str, n: int, k: int) -> None:
    """A DataError when there are fewer rows than parameters."""
    if n < k:
        raise DataError(f"{label}: {n} rows for {k} parameters: need at least as many")


def check_rank(label: str, matrix: np.ndarray, columns: Sequence[str], what: str) -> None:
    """Collinear columns, judged on ``matrix`` with each column scaled to unit norm.

    Scaling first makes the test blind to units: a column in metres and one in
    millimetres are as independent as the same columns in one unit.
    """
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        return
    norms = np.linalg.norm(matrix, axis=0)
    zero = [columns[j] for j in np.flatnonzero(norms == 0)]
    if zero:
        raise DataError(f"{label}: column(s) {zero} of {what} are all zero")
    if matrix.shape[1] < 2:
        return
    _, s, vt = np.linalg.svd(matrix / norms, full_matrices=False)
    if s[-1] <= max(matrix.shape) * RANK_TOL * s[0]:
        null = np.abs(vt[-1])
        involved = [columns[j] for j in np.flatnonzero(null > 1e-6 * null.max())]
        raise DataError(f"{label}: {what} is rank-deficient: columns {involved} are collinear")
