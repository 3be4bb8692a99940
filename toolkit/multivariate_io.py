"""Rows of several columns from a table, for families whose observations are rows.

The CLI's ``klmle fit FILE.csv --family mv_normal [--column a --column b ...]`` reads
its data with :func:`select_columns`: the named columns in the order given, or every
numeric column when none is named. Cells are checked later, by validation, which
names the row and the column of the first bad one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from toolkit.errors import DataError


def select_columns(frame: pd.DataFrame, columns: Sequence[str] | None, source: str) -> pd.DataFrame:
    """The columns of ``frame`` that hold one observation per row.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (a CSV file with a header row, read by the CLI).
    columns : sequence of str, optional
        Column names, in the order the family's dimensions take them; ``None`` or
        empty means every numeric column, in the file's order.
    source : str
        Where the table came from (a path), for error messages.

    Returns
    -------
    pandas.DataFrame
        The selected columns; their labels name columns in validation errors.

    Raises
    ------
    DataError
        For an unknown or repeated column, or no numeric column to choose.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0], "y": [3, 4]})
    >>> list(select_columns(frame, None, "t.csv").columns)
    ['x', 'y']
    >>> list(select_columns(frame, ["y", "x"], "t.csv").columns)
    ['y', 'x']
    """
    if not columns:
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        if not numeric:
            raise DataError(f"{source} has no numeric column; columns: {list(frame.columns)}")
        return frame[numeric]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{source} has no column(s) {missing}; columns: {list(frame.columns)}")
    repeated = sorted({c for c in columns if list(columns).count(c) > 1})
    if repeated:
        raise DataError(f"column(s) {repeated} named more than once")
    return frame[list(columns)]
