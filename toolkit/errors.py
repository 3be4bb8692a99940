"""Errors the toolkit raises for a user's mistakes (never for its own bugs).

Each is a ``ValueError`` whose message is one sentence naming what is wrong and
where; the command line prints it as one line and exits with status 1. Any
other exception is a bug.
"""

from __future__ import annotations

from collections.abc import Callable

#: Stands in a :class:`DataError`'s template for the place of the first bad row.
PLACE = "\x00"


class DataError(ValueError):
    """Data that cannot be fitted: the message names the family, problem and place.

    When the problem is at one row of the data, ``row`` is its 0-based index and
    the message names it as "index 4" or "row 4"; :meth:`at` names it another way
    (the command line names the line of the input file).

    Examples
    --------
    >>> err = DataError.located("x: 1 NaN value; first at \\x00", row=4)
    >>> str(err), err.row
    ('x: 1 NaN value; first at index 4', 4)
    >>> str(err.at(lambda i: f"line {i + 2}"))
    'x: 1 NaN value; first at line 6'
    """

    def __init__(self, message: str, *, row: int | None = None, template: str | None = None):
        super().__init__(message)
        self.row = row
        self.template = template

    @classmethod
    def located(cls, template: str, row: int, word: str = "index") -> DataError:
        """The error whose ``template`` names row ``row`` where :data:`PLACE` stands."""
        return cls(template.replace(PLACE, f"{word} {row}"), row=row, template=template)

    def at(self, place: Callable[[int], str]) -> DataError:
        """This error with its row named by ``place(row)`` (itself when it names no row)."""
        if self.row is None or self.template is None:
            return self
        return type(self)(self.template.replace(PLACE, place(self.row)))


class BoundaryError(DataError):
    """Data whose MLE does not exist or lies on the boundary of the parameter space."""


class ModelError(ValueError):
    """A ``pm.Model`` the toolkit cannot fit: the message names what is wrong with it."""
