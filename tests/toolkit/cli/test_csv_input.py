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


# Reading the file: nothing dropped, guessed or renumbered silently (issue 10).


def _table(tmp_path, text):
    from toolkit.cli.csv_input import read_table

    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    return read_table(str(path))


def test_rows_keep_the_line_an_editor_shows(tmp_path):
    # A blank line is a row of missing values; a quoted newline makes a row two lines long.
    table = _table(tmp_path, 'x,note\n1,a\n\n2,"two\nlines"\n3,c\n')
    assert table.lines.tolist() == [2, 3, 4, 6] and table.blank == {1}
    frame = table.frame(["x"])
    assert frame["x"].tolist()[0] == 1.0 and np.isnan(frame["x"][1])
    assert table.frame(["note"])["note"].tolist() == ["a", "", "two\nlines", "c"]


def test_dropna_drops_only_rows_missing_a_column_used(tmp_path):
    table = _table(tmp_path, "x,y\n1,\n2,5\nNA,6\n4,7\n")
    selection = table.complete(table.frame(["y"]), dropna=True)
    assert selection.frame["y"].tolist() == [5.0, 6.0, 7.0]
    assert selection.lines.tolist() == [3, 4, 5] and selection.dropped.tolist() == [2]
    assert selection.place(0) == f"line 3 of {table.path}"
    assert selection.describe().endswith(
        "3 rows (not used: 'x'); dropped 1 row(s) with missing values (--dropna): line(s) 2"
    )
    with pytest.raises(DataError, match=r"2 row\(s\) with missing values .* first at line 2 "):
        table.complete(table.frame(["x", "y"]), dropna=False)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1e3", 1000.0), ("-.5", -0.5), ("+2.", 2.0), ("inf", np.inf), ("-Infinity", -np.inf),
     ("TRUE", 1.0), ("false", 0.0), ("nan", np.nan), ("n/a", np.nan), ("", np.nan)],
)  # fmt: skip
def test_what_a_cell_holds(tmp_path, cell, value):
    got = _table(tmp_path, f"x,y\n{cell},1\n5,2\n").frame(["x"])["x"][0]  # a number too
    assert got == value or (np.isnan(value) and np.isnan(got))


def test_a_text_column_stays_text_and_a_mixed_one_is_an_error(tmp_path):
    table = _table(tmp_path, "id,x\nr1,1\nr2,2\n3,oops\n")
    with pytest.raises(DataError, match=r"column 'id' has 2 non-numeric .* first at line 2 \('r1'"):
        table.frame(["id"])
    with pytest.raises(DataError, match=r"column 'x' has 1 non-numeric .* first at line 4"):
        table.frame(["x"])
    assert _table(tmp_path, "id,x\nr1,1\nr2,2\n").frame()["id"].tolist() == ["r1", "r2"]
