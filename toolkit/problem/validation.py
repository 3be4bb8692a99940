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

from toolkit.errors import PLACE, BoundaryError, DataError

#: Relative size of the smallest singular value of the column-scaled design (times the
#: larger dimension) below which columns count as collinear: numpy's ``matrix_rank`` rule.
RANK_TOL = np.finfo(float).eps

#: Data are evaluated only within ±LARGEST, and only when some value reaches SMALLEST in
#: magnitude: PyMC's Hessians hold up to fourth powers of the data, of their reciprocal scale
#: (a rate) and of the values of log-scale parameters (measured: an exponential fit to data
#: near 1e-95 has a Hessian of -inf), and float64 ends at 1.8e308.
LARGEST, SMALLEST = 1e50, 1e-50
#: PyMC holds integer data as int32 (``pymc.intX`` under float64): a count of 2**31 or more
#: would wrap round to a negative or wrong number, silently. Counts must stay below it.
LARGEST_COUNT = 2.0**31


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
    check_range(where, x, family.discrete, labels)
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
    if n_free == 0:
        raise DataError(
            f"{where}: with {_options_text(resolved)} the family has no free parameter: "
            "there is nothing to estimate"
        )
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


def _options_text(options: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in options.items()) or "these options"


def check_range(
    where: str, x: np.ndarray, discrete: bool = False, labels=None, word: str | None = None
) -> None:
    """A DataError when finite ``x`` lies beyond what the engines evaluate in float64.

    Values beyond ±:data:`LARGEST` (counts: :data:`LARGEST_COUNT` or more, which PyMC's
    int32 cannot hold) are named with the first index; data that never reach
    :data:`SMALLEST` in magnitude (and are not all 0) are refused as a whole: rescaling
    them (new units) brings them into range.
    """
    if discrete:
        mask = np.abs(x) >= LARGEST_COUNT
        what = f"counts of {LARGEST_COUNT:.0f} or more (PyMC holds counts as int32)"
    else:
        mask = np.abs(x) > LARGEST
        what = f"values beyond ±{LARGEST:g}"
    reject(mask, x, where, f"{what}, outside the range the model can be evaluated on", labels, word)
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if 0 < top < SMALLEST:
        raise DataError(
            f"{where}: the data are outside the range the model can be evaluated on: every "
            f"value is below {SMALLEST:g} in magnitude (largest {top:.3g})"
        )


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
        raise DataError.located(
            f"{where}: {len(bad)} non-numeric value(s); first at {PLACE} ({arr[bad[0]]!r})",
            bad[0],
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
        raise DataError.located(
            f"{where}: {len(bad)} non-numeric value(s); first at {_cell(j, labels)} "
            f"({arr[i, j]!r})",
            int(i),
            "row",
        )
    return out, labels


def _cell(column: int, labels: list | None) -> str:
    """The place of a cell: the row (:data:`PLACE`, named later) and the column."""
    name = f"{column} ({labels[column]!r})" if labels else f"{column}"
    return f"{PLACE}, column {name}"


def reject(
    mask: np.ndarray,
    x: np.ndarray,
    where: str,
    what: str,
    labels: list | None = None,
    word: str | None = None,
) -> None:
    """A DataError when ``mask`` is true anywhere: how many, the first place and its value.

    The place is "index i" in 1-D data and "row i" (with the column) in rows of data,
    unless ``word`` names it otherwise.
    """
    bad = np.argwhere(mask)
    if not bad.size:
        return
    first = tuple(int(i) for i in bad[0])
    place = _cell(first[1], labels) if x.ndim == 2 and len(first) == 2 else PLACE
    word = word or ("index" if x.ndim == 1 else "row")
    value = repr(float(x[first])) if len(first) == x.ndim else repr(x[first].tolist())
    template = f"{where}: {len(bad)} {what}; first at {place} (value {value})"
    raise DataError.located(template, first[0], word)


def numeric_column(label: str, name: str, column, role: str) -> np.ndarray:
    """A DataFrame column as finite floats; a DataError naming the column and first row."""
    import pandas as pd

    if column.dtype == bool:
        column = column.astype(int)
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError.located(
            f"{label}: {role} column {name!r} is not numeric: {int(bad.sum())} values, "
            f"first at {PLACE} (value {column.iloc[row]!r})",
            row,
            "row",
        )
    return finite_column(label, name, values.to_numpy(dtype=float), role)


def finite_column(label: str, name: str, values: np.ndarray, role: str) -> np.ndarray:
    """``values`` (one column, or rows of a block) if finite and in range; else a DataError
    naming the row."""
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argwhere(~finite)[0][0])
        raise DataError.located(
            f"{label}: {role} column {name!r} is not finite (NaN or inf) at {PLACE} "
            f"({int((~finite).sum())} non-finite values)",
            row,
            "row",
        )
    check_range(f"{label}: {role} column {name!r}", values, word="row")
    return values


def check_response(label: str, name: str, y: np.ndarray, family) -> None:
    """A DataError naming the first response outside the regression family's support."""
    check_range(f"{label}: response {name!r}", y, family.discrete, word="row")
    outside = ~family.in_support(y)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise DataError.located(
            f"{label}: response {name!r} is outside the support ({family.support}): "
            f"{int(outside.sum())} values, first at {PLACE} (value {y[row]:g})",
            row,
            "row",
        )


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
    largest = np.max(np.abs(matrix), axis=0)
    with np.errstate(invalid="ignore"):  # scaled first: the norm of 1e200s overflows
        norms = np.linalg.norm(matrix / np.where(largest > 0, largest, 1.0), axis=0) * largest
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
