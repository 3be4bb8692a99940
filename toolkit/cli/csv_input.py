"""Data from CSV files for the command line: nothing dropped, guessed or renumbered silently.

``klmle fit FILE.csv --family NAME [--column COL ...]`` reads its data here:

- :func:`read_table` reads the file as text (UTF-8, with or without a byte-order mark;
  UTF-16 with one) and splits it into a header row and data rows, remembering the line
  of the file each row starts on, as an editor numbers them (the header is line 1 when
  it is the first line). Fields are separated by ``,``, or by ``;`` or a tab when the
  header has no comma; every row must have as many fields as the header.
- :meth:`Table.frame` turns the chosen columns into numbers. A column is numbers (empty
  cells, ``NA``, ``NaN``, ``null`` and blank lines are missing values), text (no cell
  is a number: an identifier or a label) or mixed, which is an error naming the column
  and the line of the first cell that is not a number. Where fields are separated by
  ``;`` or a tab, a decimal comma (``1,5``) is read as a decimal point; a column that
  mixes the two is an error.
- :func:`select_columns` and :func:`choose_column` choose the columns a family fits, and
  :meth:`Table.complete` refuses missing values in them, naming the line, or drops
  their rows when asked (``--dropna``), saying how many and where.

Positions in the messages are the file's line numbers; the API's own messages name
0-based indices, and :meth:`Selection.place` turns one into the other.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import DataError

#: Cells that stand for a missing value (compared in lower case, after stripping blanks).
MISSING = frozenset({"", "na", "n/a", "nan", "-nan", "null", "none", "#n/a", "<na>"})
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?", re.I)
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?")
_BOOLEAN = {"true": 1.0, "false": 0.0}
#: Delimiters tried on the header, in order: the first one it contains is used.
DELIMITERS = (",", ";", "\t")
#: Lines listed when rows are dropped.
SHOWN = 5


class UserError(ValueError):
    """A mistake in the command line or the input file: one line, exit 1."""


@dataclass(frozen=True)
class Table:
    """A CSV file's header and rows as text: ``cells[c][i]`` is column ``c`` of row ``i``.

    ``lines[i]`` is the line of the file on which row ``i`` starts (1-based, as an editor
    shows it). A blank line inside the data is a row whose cells are all empty.
    """

    path: str
    columns: tuple[str, ...]
    cells: dict[str, list[str]]
    lines: np.ndarray
    delimiter: str
    #: Rows that are blank lines of the file.
    blank: frozenset[int] = frozenset()

    @property
    def n_rows(self) -> int:
        return len(self.lines)

    def missing(self, column: str) -> np.ndarray:
        """True where the cell of ``column`` is a missing value."""
        return np.array([c.lower() in MISSING for c in self.cells[column]], dtype=bool)

    def is_text(self, column: str) -> bool:
        """No cell of ``column`` is a number: identifiers, labels (or an empty column)."""
        return not any(_number(c, self.delimiter) is not None for c in self.cells[column])

    def values(self, column: str) -> np.ndarray:
        """``column`` as floats, NaN where missing; a DataError naming the first text cell."""
        out = np.full(self.n_rows, np.nan)
        bad, styles = [], {}
        for i, cell in enumerate(self.cells[column]):
            if cell.lower() in MISSING:
                continue
            number = _number(cell, self.delimiter)
            if number is None:
                bad.append(i)
                continue
            out[i] = number
            if "," in cell or "." in cell:
                styles.setdefault("," if "," in cell else ".", i)
        if bad:
            raise DataError(
                f"{self.path}: column {column!r} has {len(bad)} non-numeric value(s) among "
                f"numbers; first at line {self.lines[bad[0]]} ({self.cells[column][bad[0]]!r})"
            )
        if len(styles) == 2:
            comma, point = styles[","], styles["."]
            raise DataError(
                f"{self.path}: column {column!r} mixes decimal commas (line "
                f"{self.lines[comma]}: {self.cells[column][comma]!r}) and decimal points (line "
                f"{self.lines[point]}: {self.cells[column][point]!r})"
            )
        return out

    def frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The named columns (default: all): numbers as floats (NaN where missing), text
        columns as text; a DataError for a column that mixes numbers and text."""
        names = list(columns if columns else self.columns)
        unknown = [c for c in names if c not in self.cells]
        if unknown:
            raise UserError(
                f"{self.path} has no column(s) {unknown}; columns: {list(self.columns)}"
            )
        return pd.DataFrame(
            {
                c: (np.array(self.cells[c], dtype=object) if self.is_text(c) else self.values(c))
                for c in names
            },
            index=pd.RangeIndex(self.n_rows),
        )

    def complete(self, frame: pd.DataFrame, dropna: bool) -> Selection:
        """The rows of ``frame`` (chosen columns) without missing values.

        A missing value is a DataError naming its line and column, unless ``dropna``:
        then the rows that hold one are dropped and :class:`Selection` says which.
        """
        holes = frame.isna().to_numpy()
        rows = np.flatnonzero(holes.any(axis=1))
        if rows.size and not dropna:
            i = rows[0]
            column = frame.columns[int(np.flatnonzero(holes[i])[0])]
            raw = self.cells[column][i]
            what = "a blank line" if i in self.blank else f"column {column!r}: {raw!r}"
            raise DataError(
                f"{self.path}: {rows.size} row(s) with missing values (empty, NA or NaN) in the "
                f"column(s) used; first at line {self.lines[i]} ({what}); fill them in, or pass "
                "--dropna to drop those rows"
            )
        keep = np.setdiff1d(np.arange(self.n_rows), rows)
        kept = frame.iloc[keep].reset_index(drop=True)
        return Selection(self, kept, self.lines[keep], self.lines[rows])


@dataclass(frozen=True)
class Selection:
    """The columns and rows a fit uses: ``frame``, each row's line, the lines dropped."""

    table: Table
    frame: pd.DataFrame
    lines: np.ndarray
    dropped: np.ndarray

    def place(self, row: int) -> str:
        """Row ``row`` of ``frame`` as its line of the file."""
        return f"line {self.lines[row]} of {self.table.path}"

    def describe(self, roles: str | None = None) -> str:
        """One line: which columns of which file, how many rows, what was dropped and why."""
        used = roles or ", ".join(repr(c) for c in self.frame.columns)
        unused = [c for c in self.table.columns if c not in self.frame.columns]
        text = f"data: {used} of {self.table.path}: {len(self.frame)} rows"
        if unused:
            text += f" (not used: {', '.join(repr(c) for c in unused)})"
        if self.dropped.size:
            shown = ", ".join(str(line) for line in self.dropped[:SHOWN])
            more = ", ..." if self.dropped.size > SHOWN else ""
            text += (
                f"; dropped {self.dropped.size} row(s) with missing values (--dropna): "
                f"line(s) {shown}{more}"
            )
        return text


def read_table(path: str) -> Table:
    """The header and rows of the CSV file at ``path``, as text, with their lines.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("x;y\\n1,5;2\\n\\n3;4,25\\n")
    >>> table = read_table(f.name)
    >>> table.columns, table.lines.tolist()
    (('x', 'y'), [2, 3, 4])
    >>> table.frame()["y"].tolist()
    [2.0, nan, 4.25]
    >>> os.remove(f.name)
    """
    text = _decode(path, _read_bytes(path))
    records = _records(path, text)
    if not records:
        raise UserError(
            f"cannot read {path} as CSV: the file is empty; expected a header row, then one "
            "row per observation"
        )
    (header_line, header), *rows = records
    delimiter = "," if len(header) > 1 else next((d for d in DELIMITERS if d in header[0]), ",")
    if delimiter != ",":
        records = _records(path, text, delimiter)
        (header_line, header), *rows = records
    columns = _header(path, header_line, header)
    while rows and not any(cell.strip() for cell in rows[-1][1]):  # blank lines at the end
        rows.pop()
    cells: dict[str, list[str]] = {c: [] for c in columns}
    blank = set()
    for row, (line, fields) in enumerate(rows):
        fields = [f.strip() for f in fields]
        if len(fields) > len(columns) and not any(fields[len(columns) :]):
            fields = fields[: len(columns)]  # trailing empty fields hold nothing
        if len(fields) <= 1 and not any(fields):
            blank.add(row)  # a blank line: a row of missing values
            fields = [""] * len(columns)
        if len(fields) != len(columns):
            hint = (
                " (a decimal comma? then separate fields with ';')"
                if delimiter == "," and len(fields) > len(columns)
                else ""
            )
            raise DataError(
                f"{path}: line {line} has {len(fields)} field(s) but the header (line "
                f"{header_line}) names {len(columns)} column(s){hint}"
            )
        for column, cell in zip(columns, fields, strict=True):
            cells[column].append(cell)
    lines = np.array([line for line, _ in rows], dtype=int)
    return Table(path, tuple(columns), cells, lines, delimiter, frozenset(blank))


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UserError(f"cannot read {path} as CSV: it is a directory") from None
    except OSError as err:
        raise UserError(f"cannot read {path}: {err.strerror or err}") from None


def _decode(path: str, raw: bytes) -> str:
    """UTF-8 (a leading byte-order mark dropped), or UTF-16 when it starts with its mark."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise UserError(f"cannot read {path}: it starts as UTF-16 but is not") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = before.count(b"\n") + 1 if b"\n" in raw else before.count(b"\r") + 1
        raise UserError(
            f"cannot read {path}: line {line} is not UTF-8 text (byte "
            f"0x{raw[err.start]:02x}); save the file as UTF-8"
        ) from None


def _records(path: str, text: str, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """(line on which it starts, fields) of every record, leading blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, line = [], 1
    try:
        for fields in reader:
            if records or any(f.strip() for f in fields):
                records.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as err:
        raise DataError(f"{path}: line {reader.line_num} cannot be read as CSV: {err}") from None
    return records


def _header(path: str, line: int, fields: list[str]) -> list[str]:
    """The column names: stripped, each named once; a DataError for a row of numbers."""
    names = [f.strip() for f in fields]
    if all(_number(n, ",") is not None for n in names):
        raise DataError(
            f"{path}: line {line} holds numbers, not column names: the file needs a header "
            "row (one name per column) first"
        )
    empty = [i + 1 for i, n in enumerate(names) if not n]
    if empty:
        raise DataError(f"{path}: line {line} (the header) gives column {empty[0]} no name")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"{path}: line {line} (the header) names column(s) {repeated} twice")
    return names


def _number(cell: str, delimiter: str) -> float | None:
    """The number a cell holds (a decimal comma only where fields are not comma-separated)."""
    if _NUMBER.fullmatch(cell):
        return float(cell)
    if delimiter != "," and _DECIMAL_COMMA.fullmatch(cell):
        return float(cell.replace(",", "."))
    return _BOOLEAN.get(cell.lower())


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
        For an unknown or repeated column, no numeric column to choose, or (when
        choosing every numeric column) a column of text with some numbers in it.

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
        for c in frame.columns:
            if c not in numeric:
                _refuse_mixed(frame[c], c, source)
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


def _refuse_mixed(column: pd.Series, name, source: str) -> None:
    """A DataError when a text column holds numbers too: it would otherwise be left out."""
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().any():
        row = int(np.flatnonzero(numbers.isna() & column.notna())[0])
        raise DataError(
            f"{source}: column {name!r} mixes numbers and text: first text at row {row} "
            f"({column.iloc[row]!r}); name the columns to use with --column"
        )


def choose_column(table: Table, column: str | None) -> str:
    """The one column a univariate family fits, with errors a user can act on."""
    if column is None:
        if len(table.columns) != 1:
            raise UserError(
                f"{table.path} has {len(table.columns)} columns; choose one with --column: "
                f"{list(table.columns)}"
            )
        return table.columns[0]
    if column not in table.columns:
        raise UserError(f"{table.path} has no column {column!r}; columns: {list(table.columns)}")
    return column


def read_column(path: str, column: str | None) -> np.ndarray:
    """One column of the CSV file at ``path`` (``None``: its only column), read as ``klmle
    fit`` reads it: a missing value or a text cell among numbers names its line."""
    table = read_table(path)
    name = choose_column(table, column)
    return table.complete(table.frame([name]), dropna=False).frame[name].to_numpy()
