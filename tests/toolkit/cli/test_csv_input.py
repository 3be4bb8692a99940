"""Choosing the columns of a table for a family whose observations are rows."""

import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.cli.csv_input import select_columns
from toolkit.errors import DataError


@pytest.fixture
def frame():
    return pd.DataFrame({"id": ["r1", "r2", "r3"], "a": [1.0, 2.0, 3.0], "b": [4, 5, 7]})


def test_numeric_columns_by_default(frame):
    assert list(select_columns(frame, None, "f.csv").columns) == ["a", "b"]
    assert list(select_columns(frame, [], "f.csv").columns) == ["a", "b"]


def test_named_columns_in_the_given_order(frame):
    assert list(select_columns(frame, ["b", "a"], "f.csv").columns) == ["b", "a"]


@pytest.mark.parametrize(
    ("columns", "words"),
    [(["a", "z"], r"f.csv has no column\(s\) \['z'\]"), (["a", "a"], "named more than once")],
)
def test_bad_column_names(frame, columns, words):
    with pytest.raises(DataError, match=words):
        select_columns(frame, columns, "f.csv")


def test_no_numeric_column():
    with pytest.raises(DataError, match="no numeric column"):
        select_columns(pd.DataFrame({"s": ["x", "y"]}), None, "f.csv")


def test_a_text_column_is_named_by_validation(frame):
    # A chosen text column reaches validation, which names its row and label.
    chosen = select_columns(frame, ["a", "id"], "f.csv")
    with pytest.raises(DataError, match=r"first at row 0, column 1 \('id'\) \('r1'\)"):
        toolkit.compare("mv_normal", chosen)


def test_selected_frame_is_valid_mv_normal_data(rng):
    table = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"]).assign(tag="t")
    problem_data = select_columns(table, None, "f.csv")
    from models import get_family
    from toolkit.problem.validation import family_data

    data, options = family_data(get_family("mv_normal"), problem_data, {})
    assert data.shape == (40, 2) and options == {"d": 2}
    np.testing.assert_array_equal(data, table[["a", "b"]].to_numpy())
