"""The toolkit's own errors: ValueErrors whose messages name the place of the problem."""

import pytest

import toolkit
from toolkit.errors import PLACE, BoundaryError, DataError, ModelError


@pytest.mark.parametrize("error", [DataError, BoundaryError, ModelError])
def test_every_toolkit_error_is_a_value_error(error):
    # STYLE.md: user input is refused with ValueError/TypeError, never an assert.
    assert issubclass(error, ValueError)
    assert getattr(toolkit, error.__name__) is error


def test_a_located_error_names_its_row_as_the_caller_asks():
    err = BoundaryError.located(f"normal: 2 bad values; first at {PLACE} (value 1.0)", 4)
    assert str(err) == "normal: 2 bad values; first at index 4 (value 1.0)" and err.row == 4
    moved = err.at(lambda row: f"line {row + 2} of data.csv")
    # The same error type, named by the caller's place (the CLI: a line of its file).
    assert type(moved) is BoundaryError
    assert str(moved) == "normal: 2 bad values; first at line 6 of data.csv (value 1.0)"
    assert str(DataError.located(f"x at {PLACE}", 3, "row")) == "x at row 3"


def test_an_error_without_a_row_is_left_as_it_is():
    err = DataError("normal: 3 observation(s) for 2 free parameter(s)")
    assert err.at(lambda row: "line 99") is err
