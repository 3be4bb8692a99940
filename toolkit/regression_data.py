"""Regression data for a catalog family: a response and a design, checked row by row.

``regression_data`` turns a DataFrame with named columns (``y="admit",
x=["gre", "gpa"]``) or arrays (``y=array, x=2-D array``) into the response
vector and the design matrix (an intercept column first, by default), and
raises a :class:`~toolkit.errors.DataError` that names the family, the column
and the first row for anything that cannot be fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import BoundaryError, DataError

INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class RegressionData:
    """A checked response and design; ``columns`` names the design's columns."""

    y: np.ndarray
    x: np.ndarray
    columns: list[str]
    response: str
    intercept: bool

    @property
    def covariates(self) -> np.ndarray:
        """The design without its intercept column."""
        return self.x[:, 1:] if self.intercept else self.x

    @property
    def n(self) -> int:
        return len(self.y)


def regression_data(
    family,
    data: Any = None,
    *,
    y: Any = None,
    x: Any = None,
    intercept: bool = True,
    n_mean: int | None = None,
) -> RegressionData:
    """Response and design from ``data`` and the ``y``/``x`` selections, checked.

    Parameters
    ----------
    family : RegressionFamily
    data : pandas.DataFrame, optional
        Then ``y`` is a column name and ``x`` a column name or list of them
        (default: every other column).
    y, x : str, list of str or array_like
        Column names (with ``data``) or the response vector and covariates
        (1-D: one covariate; 2-D: one column each).
    intercept : bool
        Put a column of ones first (never for mean-function families).
    n_mean : int, optional
        Number of mean parameters of a mean-function family (default: design columns).

    Raises
    ------
    DataError
        Missing or non-numeric columns, NaN or inf (column and row named),
        responses outside the support, too few rows, collinear columns.
    BoundaryError
        Data whose MLE does not exist (e.g. perfectly separated logistic data).
    """
    frame, response, names = _frame(family, data, y, x)
    label = family.name
    if len(frame) == 0:
        raise DataError(f"{label}: no rows: nothing to fit")
    numeric = {c: _numeric(label, c, frame[c], "covariate" if c != response else "response")
               for c in [response, *names]}  # fmt: skip
    yv = numeric[response]
    outside = ~family.in_support(yv)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"{label}: response {response!r} is outside the support ({family.support}): "
            f"{int(outside.sum())} values, first at row {row} (value {yv[row]:g})"
        )
    intercept = bool(intercept) and not family.mean_function
    columns = ([INTERCEPT] if intercept else []) + names
    blocks = ([np.ones(len(yv))] if intercept else []) + [numeric[c] for c in names]
    design = np.column_stack(blocks) if blocks else np.empty((len(yv), 0))
    if family.discrete:
        yv = yv.astype(np.int64)
    k = (design.shape[1] if n_mean is None else n_mean) + len(family.extra)
    if len(yv) < k:
        raise DataError(f"{label}: {len(yv)} rows for {k} parameters: need at least as many")
    if not family.mean_function:
        _check_rank(label, design, columns)
    result = RegressionData(yv, design, columns, response, intercept)
    if family.boundary is not None:
        reason = family.boundary(design, yv, columns)
        if reason:
            raise BoundaryError(f"{label}: {reason}")
    return result


def _frame(family, data, y, x) -> tuple[pd.DataFrame, str, list[str]]:
    label = family.name
    if data is None:
        if y is None or x is None:
            raise TypeError(f"{label}: give a DataFrame and column names, or y= and x= arrays")
        yv = np.asarray(y)
        if yv.ndim != 1:
            raise DataError(f"{label}: y must be 1-D, got shape {yv.shape}")
        if isinstance(x, pd.DataFrame):
            frame = x.reset_index(drop=True).copy()
        else:
            xv = np.asarray(x)
            xv = xv[:, None] if xv.ndim == 1 else xv
            if xv.ndim != 2:
                raise DataError(f"{label}: x must be 1-D or 2-D, got shape {xv.shape}")
            names = ["x"] if xv.shape[1] == 1 else [f"x{j + 1}" for j in range(xv.shape[1])]
            frame = pd.DataFrame(dict(zip(names, xv.T, strict=True)))
        if len(frame) != len(yv):
            raise DataError(f"{label}: y has {len(yv)} rows but x has {len(frame)}")
        names = [str(c) for c in frame.columns]
        if "y" in names:
            raise DataError(f"{label}: a covariate is called 'y', the response's name; rename it")
        frame.columns = names
        return frame.assign(y=yv), "y", names
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{label}: data must be a pandas DataFrame (with y= and x= column names), "
            f"got {type(data).__name__}; or pass y= and x= arrays"
        )
    if not isinstance(y, str):
        raise TypeError(f"{label}: y= must name the response column; columns: {list(data.columns)}")
    names = [x] if isinstance(x, str) else list(x) if x is not None else None
    if names is None:
        names = [c for c in data.columns if c != y]
    missing = [c for c in [y, *names] if c not in data.columns]
    if missing:
        raise DataError(f"{label}: no column(s) {missing}; columns: {list(data.columns)}")
    if y in names:
        raise DataError(f"{label}: {y!r} is both the response and a covariate")
    return data.reset_index(drop=True), y, [str(c) for c in names]


def _numeric(label: str, name: str, column: pd.Series, role: str) -> np.ndarray:
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
    array = values.to_numpy(dtype=float)
    finite = np.isfinite(array)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise DataError(
            f"{label}: {role} column {name!r} is not finite (NaN or inf) at row {row} "
            f"({int((~finite).sum())} non-finite values)"
        )
    return array


def _check_rank(label: str, design: np.ndarray, columns: list[str]) -> None:
    """Collinear columns, judged on the design with each column scaled to unit norm."""
    if design.shape[1] == 0:
        return
    norms = np.linalg.norm(design, axis=0)
    zero = [columns[j] for j in np.flatnonzero(norms == 0)]
    if zero:
        raise DataError(f"{label}: covariate column(s) {zero} are all zero")
    _, s, vt = np.linalg.svd(design / norms, full_matrices=False)
    if s[-1] <= max(design.shape) * np.finfo(float).eps * 10 * s[0]:
        null = np.abs(vt[-1])
        involved = [columns[j] for j in np.flatnonzero(null > 1e-6 * null.max())]
        raise DataError(f"{label}: the design is rank-deficient: columns {involved} are collinear")
