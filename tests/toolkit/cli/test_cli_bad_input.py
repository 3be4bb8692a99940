"""Generated bad input through the CLI and the API: a result, or one line; no traceback.

Property-based (hypothesis, derandomized so that CI sees the same examples every run):
CSV files with NaN/inf/missing cells in any place, extreme magnitudes, text cells,
rows with the wrong number of fields, byte-order marks and line endings, non-UTF-8
bytes, ``;`` and tab delimiters with decimal commas, and option values, for every
family of the registry. The command ends with exit status 0 and a comparison, or with
one line ``klmle: error: ...`` and status 1 (2 for a command line that cannot work);
any other exception is a bug and fails the test with its traceback. Nothing is
written beside the input. Bounded: few rows, a fixed number of examples.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from models import families
from models.regression.declaration import RegressionFamily
from toolkit.cli import main

FAMILIES = sorted(families())
#: Cells that are bad somewhere: missing, non-finite, text, beyond what the engines or
#: PyMC's int32 hold, below what they resolve, a decimal comma, outside most supports.
BAD_CELLS = ("", "NA", "nan", "inf", "-inf", "foo", "1e308", "-1e308", "1e-300", "3e9",
             "1,5", "-1", "0.5", "TRUE", "\x00", "é", "  ")  # fmt: skip
#: Cells of one file that most families accept: positive values, or values in (0, 1), or
#: small counts.
GOOD_CELLS = (
    st.floats(0.01, 30.0).map(lambda v: f"{v:.6g}"),
    st.floats(0.01, 0.99).map(lambda v: f"{v:.4g}"),
    st.integers(0, 6).map(str),
)
OPTION_VALUES = ("3", "10", "0", "-2", "2.5", "abc", "nan", "1e30")
#: Examples per family: every family of the registry is driven, each a few times.
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def csv_files(draw) -> tuple[bytes, list[str]]:
    """A CSV file as bytes, often broken in one or more ways, and its column names."""
    n_columns = draw(st.integers(1, 3))
    names = [
        draw(st.sampled_from(["x", "y", "count", "a b", "é"])) + str(i) for i in range(n_columns)
    ]
    if draw(st.integers(0, 7)) == 7:
        names[0] = draw(st.sampled_from(["", "1.5", names[-1]]))  # nameless, number, repeated
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    bad_rate = draw(st.sampled_from([0.0, 0.0, 0.05, 0.3]))
    good = GOOD_CELLS[draw(st.integers(0, len(GOOD_CELLS) - 1))]
    rows = []
    for _ in range(draw(st.sampled_from([25, 12, 3, 0]))):
        row = [
            draw(st.sampled_from(BAD_CELLS)) if draw(st.floats(0, 1)) < bad_rate
            else draw(good)
            for _ in range(n_columns)
        ]  # fmt: skip
        if delimiter != ",":
            row = [c.replace(".", ",") if draw(st.booleans()) else c for c in row]
        if draw(st.floats(0, 1)) < bad_rate / 3:  # a field too many or too few
            row = row[:-1] if draw(st.booleans()) else [*row, "7"]
        rows.append(delimiter.join(row))
    if rows and draw(st.booleans()) and draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), "")  # a blank line
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    header = [] if draw(st.integers(0, 9)) == 9 else [delimiter.join(names)]
    text = newline.join(header + rows) + (newline if draw(st.booleans()) else "")
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "utf-16", "broken"]))
    if encoding == "broken":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + b"\xff" + raw[at:], names
    return text.encode(encoding), names


@st.composite
def command_lines(draw, name: str, names: list[str]) -> list[str]:
    """The options after ``klmle fit FILE``: the family, its columns and options."""
    family = families()[name]
    args = ["--family", family.name]
    if isinstance(family, RegressionFamily):
        if draw(st.integers(0, 5)) < 5:  # sometimes no --y: a usage error
            args += ["--y", draw(st.sampled_from(names))]
    elif len(names) > 1 or draw(st.booleans()):
        args += ["--column", draw(st.sampled_from([names[-1], names[-1], "missing"]))]
    for option in family.options:
        if draw(st.integers(0, 3)):
            args += [f"--{option.name}", draw(st.sampled_from(OPTION_VALUES))]
    if draw(st.booleans()):
        args.append("--dropna")
    return args


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_info:  # argparse's own usage errors
            code = exit_info.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
@SETTINGS
@given(data=st.data())
def test_the_cli_answers_any_file_with_a_result_or_one_line(name, data):
    raw, names = data.draw(csv_files())
    options = data.draw(command_lines(name, names))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(raw)
        code, out, err = _run(["fit", str(path), *options])
        assert sorted(p.name for p in Path(folder).iterdir()) == ["data.csv"]  # nothing left
        assert path.read_bytes() == raw
    if code == 0:
        assert "verdict:" in out and err == "", err
        return
    lines = err.strip().splitlines()
    if code == 2 and lines and lines[0].startswith("usage:"):
        return  # argparse: its usage line, then one error line
    assert code in (1, 2), (code, err)
    assert len(lines) == 1 and lines[0].startswith("klmle: error: "), err
    assert out == "", out


#: Values put into otherwise good data for the API: each is bad for every family (and a
#: count PyMC's int32 cannot hold, for the discrete ones).
API_BAD = (np.nan, np.inf, -np.inf, 1e308, -1e308, "foo", None)


@st.composite
def api_inputs(draw, name: str):
    """(data, options) for family ``name`` with a bad value, or of a degenerate shape."""
    family = families()[name]
    n = draw(st.integers(0, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if isinstance(family, RegressionFamily):
        x = rng.normal(size=n)
        y = (rng.uniform(size=n) < 0.5).astype(float) if family.discrete else x + 1.0
        frame = pd.DataFrame({"x": x, "y": y}).astype(object)
        if n:
            column = draw(st.sampled_from(["x", "y"]))
            frame.loc[draw(st.integers(0, n - 1)), column] = draw(st.sampled_from(API_BAD))
        return frame, {**family.demo_options, "y": "y"}
    shape = (n, 2) if family.data_ndim == 2 else (n,)
    data = np.abs(rng.normal(size=shape)).round(0).astype(object) + 1
    if n:
        index = (draw(st.integers(0, n - 1)),) + ((1,) if family.data_ndim == 2 else ())
        data[index] = draw(st.sampled_from(API_BAD + ((2.0**31,) if family.discrete else ())))
    elif draw(st.booleans()):
        data = draw(st.sampled_from([[], "text", np.ones((2, 2, 2)), [[1.0], [2.0, 3.0]]]))
    return data, dict(family.demo_options)


@pytest.mark.parametrize("name", FAMILIES)
@SETTINGS
@given(data=st.data())
def test_the_api_refuses_bad_data_with_its_own_error(name, data):
    data, options = data.draw(api_inputs(name))
    with pytest.raises((toolkit.DataError, toolkit.ModelError)) as info:
        toolkit.compare(name, data, **options)
    message = str(info.value)
    assert message.startswith((name, f"family {name!r}")) and "\n" not in message
