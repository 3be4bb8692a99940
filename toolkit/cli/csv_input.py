"""Data from CSV files for the command line: a table, one column, or several columns.

``klmle fit FILE.csv --family NAME [--column COL ...]`` reads its data here. A
family of one value per observation takes one column (:func:`read_column`); a
family whose observations are rows takes several (:func:`select_columns`): the
named columns in the order given, or every numeric column when none is named.
Cells are checked later, by validation, which names the row and the column of
the first bad one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError


class UserError(Exception):
    """A mistake in the command line or the input file: one line, exit 1."""


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


def read_column(path: str, column: str | None, frame: pd.DataFrame | None = None) -> np.ndarray:
    """One column of a CSV file (``frame``: already read), with errors a user can act on."""
    frame = read_frame(path) if frame is None else frame
    if column is None:
        if frame.shape[1] != 1:
            raise UserError(
                f"{path} has {frame.shape[1]} columns; choose one with --column: "
                f"{list(frame.columns)}"
            )
        column = frame.columns[0]
    if column not in frame.columns:
        raise UserError(f"{path} has no column {column!r}; columns: {list(frame.columns)}")
    return frame[column].to_numpy()


def read_frame(path: str) -> pd.DataFrame:
    """A CSV file with a header row, with errors a user can act on."""
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"no such file: {path}") from None
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        IsADirectoryError,
    ) as err:
        raise UserError(f"cannot read {path} as CSV: {str(err).splitlines()[0]}") from None
