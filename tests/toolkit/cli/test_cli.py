"""The klmle command: the catalog listing, a fit from CSV, and one-line errors."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import toolkit
from models import families
from toolkit.cli import main


def test_families_lists_the_whole_catalog(capsys):
    assert main(["families"]) == 0
    out = capsys.readouterr().out
    for name, family in families().items():
        line = next(line for line in out.splitlines() if line.split()[0] == name)
        assert ", ".join(family.params) in line
        assert ("yes" if family.has_closed_form else "no") in line


def test_fit_prints_the_comparison(tmp_path, capsys):
    path = tmp_path / "waits.csv"
    x = np.random.default_rng(5).exponential(3.0, size=400)
    pd.DataFrame({"id": np.arange(400), "wait": x}).to_csv(path, index=False)
    assert main(["fit", str(path), "--family", "exponential", "--column", "wait"]) == 0
    out = capsys.readouterr().out
    assert "verdict: AGREE" in out
    for column in ("find_map", "mle", "kl", "closed_form", "scipy", "se"):
        assert column in out
    assert f"{1 / x.mean():.8f}"[:9] in out
    assert "loglik" in out and "KL(p̂‖q)" in out


def test_fit_passes_family_options(tmp_path, capsys):
    path = tmp_path / "trials.csv"
    pd.DataFrame({"k": np.random.default_rng(2).binomial(8, 0.3, size=300)}).to_csv(
        path, index=False
    )
    assert main(["fit", str(path), "--family", "binomial", "--n", "8"]) == 0
    assert "binomial" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "no such file"),
        ("a,b\n1,2\n3,4\n", [], "2 columns; choose one with --column"),
        ("a\n1\n2\n", ["--column", "z"], "no column 'z'"),
        # the CLI names the file's line (the header is line 1), not the 0-based index
        (
            "a\n1.0\nnan\n2.0\n",
            [],
            "missing values (empty, NA or NaN) in the column(s) used; first at line 3",
        ),
        ("a\n1.0\nabc\n2.0\n", [], "non-numeric value"),
        ("a\n1.0\n-2.0\n2.0\n", [], "outside the support"),
        ("", [], "cannot read"),
        ("a\n3\n3\n3\n", [], "the MLE does not exist"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(tmp_path, capsys, content, args, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    code = main(["fit", str(path), "--family", "gamma", *args])
    err = capsys.readouterr().err
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_console_script_bad_data_has_no_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x\n1\n-1\n")
    result = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "fit", str(path), "--family", "poisson"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("klmle: error: family 'poisson'")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_unknown_family_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "x.csv", "--family", "gauss"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'gauss'" in capsys.readouterr().err


def test_fit_multivariate_family_takes_several_columns(tmp_path, capsys):
    path = tmp_path / "rows.csv"
    rng = np.random.default_rng(8)
    rows = rng.multivariate_normal([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]], size=300)
    pd.DataFrame({"id": np.arange(300), "a": rows[:, 0], "b": rows[:, 1]}).to_csv(path, index=False)
    args = ["fit", str(path), "--family", "mv_normal", "--column", "a", "--column", "b"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "verdict: AGREE" in out and "mu[1]" in out


def test_fit_univariate_family_rejects_several_columns(tmp_path, capsys):
    path = tmp_path / "two.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    assert main(["fit", str(path), "--family", "gamma", "--column", "a", "--column", "b"]) == 2
    assert "fits one column" in capsys.readouterr().err


# Input that used to be lost or misread silently (issue 10), and the error policy.


def _fit(path, family, *args):
    return main(["fit", str(path), "--family", family, *args])


def test_a_text_cell_is_never_a_dropped_column(tmp_path, capsys):
    # mv_normal used to drop column a (one text cell) and fit a 1-D normal to b.
    path = tmp_path / "mv.csv"
    path.write_text("a,b\n1,2\nfoo,3\n2,5\n3,1\n4,4\n5,2\n")
    assert _fit(path, "mv_normal") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert "column 'a'" in line and "first at line 3 ('foo')" in line


def test_the_columns_used_are_printed(tmp_path, capsys):
    path = tmp_path / "rows.csv"
    rng = np.random.default_rng(3)
    rows = rng.multivariate_normal([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]], size=60)
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(60)], "a": rows[:, 0], "b": rows[:, 1]})
    frame.to_csv(path, index=False)
    assert _fit(path, "mv_normal") == 0
    out = capsys.readouterr().out
    assert f"data: 'a', 'b' of {path}: 60 rows (not used: 'id')" in out


def test_a_blank_line_is_a_missing_value_named_by_its_line(tmp_path, capsys):
    values = np.random.default_rng(4).gamma(2.0, 1.5, size=100)
    lines = ["x", *map(str, values[:40]), "", *map(str, values[40:])]
    path = tmp_path / "blank.csv"
    path.write_text("\n".join(lines) + "\n")
    assert _fit(path, "gamma") == 1
    err = capsys.readouterr().err
    assert "first at line 42 (a blank line)" in err and "--dropna" in err
    assert _fit(path, "gamma", "--dropna") == 0
    out = capsys.readouterr().out
    assert "100 rows; dropped 1 row(s) with missing values (--dropna): line(s) 42" in out


def test_dropna_drops_only_rows_missing_a_column_used(tmp_path, capsys):
    path = tmp_path / "gaps.csv"
    x = np.random.default_rng(6).exponential(2.0, size=30)
    note = ["" if i % 2 else "ok" for i in range(30)]  # an unused column with gaps
    frame = pd.DataFrame({"x": x, "note": note})
    frame.loc[[4, 9], "x"] = np.nan
    frame.to_csv(path, index=False)
    assert _fit(path, "exponential", "--column", "x", "--dropna") == 0
    out = capsys.readouterr().out
    assert "28 rows (not used: 'note'); dropped 2 row(s)" in out and "line(s) 6, 11" in out


@pytest.mark.parametrize(
    ("content", "family", "words"),
    [
        # positions are the file's lines as an editor shows them, header = line 1
        ("a\n1.0\n-2.0\n2.0\n", "gamma", "first at line 3 of"),
        ("a\r\n1.0\r\n2.0\r\ninf\r\n", "gamma", "1 infinite values; first at line 4 of"),
        ("x\n1\n2\n1e9\n3\n", "poisson", None),  # a huge count is data, not an error
        # PyMC holds counts as int32: 1e17 would wrap round to 1569325056, silently
        ("x\n1\n2\n1e17\n3\n", "poisson", "1 counts of 2147483648 or more (PyMC holds"),
        ("x\n1\n2\n1e300\n", "poisson", "outside the range the model can be evaluated on"),
        ("x\n1\n2\n1e300\n", "gamma", "beyond ±1e+50, outside the range the model can be"),
        ('a\n1\n"2\n"\n3\n-1\n', "gamma", "first at line 6 of"),  # a quoted newline
    ],
)
def test_cli_positions_are_file_lines(tmp_path, capsys, content, family, words):
    path = tmp_path / "data.csv"
    path.write_text(content, newline="")
    code = _fit(path, family)
    err = capsys.readouterr().err
    if words is None:
        assert code == 0 and err == ""
    else:
        assert code == 1 and words in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"x\n1\n2\n3\xff\n", "line 4 is not UTF-8 text (byte 0xff)"),
        (b"x,y\n1,2\n3\n", "line 3 has 1 field(s) but the header (line 1) names 2 column(s)"),
        (b"x\n1,5\n2,5\n", "(a decimal comma? then separate fields with ';')"),
        (b"1.5\n2.5\n3.5\n", "line 1 holds numbers, not column names"),
        (b"x,x\n1,2\n3,4\n", "names column(s) ['x'] twice"),
        (b"x;y\n1,5;2\n2.5;3\n",
         "column 'x' mixes decimal commas (line 2: '1,5') and decimal points (line 3: '2.5')"),
        (b"x\n\x00\n", "non-numeric value(s); first at line 2"),
    ],
)  # fmt: skip
def test_malformed_files_are_one_line(tmp_path, capsys, raw, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(raw)
    assert _fit(path, "normal", "--column", "x") == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("klmle: error: ") and words in line
    assert captured.out == ""


VALUES = [1.25, 2.5, 0.75, 3.0, 1.5, 2.25]
CELLS = "\n".join(map(str, VALUES))


@pytest.mark.parametrize(
    "raw",
    [
        ("\ufeffx\n" + CELLS + "\n").encode(),  # a UTF-8 byte-order mark (Excel)
        ("x\n" + CELLS + "\n").replace("\n", "\r\n").encode(),  # Windows line endings
        ("x\n" + CELLS + "\n").replace("\n", "\r").encode(),  # classic Mac line endings
        ("x\n" + CELLS).encode(),  # no newline at the end
        ("x\n" + CELLS + "\n\n \n").encode(),  # blank lines after the data
        ("\n\nx\n" + CELLS + "\n").encode(),  # blank lines before the header
        ("x\n" + CELLS + "\n").encode("utf-16"),  # UTF-16 with its byte-order mark
        ("x;tag\n" + CELLS.replace(".", ",").replace("\n", ";t\n") + ";t\n").encode(),
    ],
    ids=["bom", "crlf", "cr", "no-final-newline", "trailing-blank", "leading-blank", "utf16",
         "semicolon-decimal-comma"],
)  # fmt: skip
def test_encodings_and_dialects_read_the_same_numbers(tmp_path, capsys, raw):
    path = tmp_path / "x.csv"
    path.write_bytes(raw)
    assert _fit(path, "normal", "--column", "x") == 0
    out = capsys.readouterr().out
    assert f"{np.mean(VALUES):.10g}" in out and ": 6 rows" in out


def test_only_the_toolkits_errors_are_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "x.csv"
    path.write_text("x\n1\n2\n3\n")

    def broken(*args, **kwargs):
        raise TypeError("a bug in klmle")

    monkeypatch.setattr("toolkit.cli.compare_problem", broken)
    with pytest.raises(TypeError, match="a bug in klmle"):  # a bug shows its traceback
        _fit(path, "normal")

    def degenerate(*args, **kwargs):
        raise toolkit.ModelError("m: the model has no free variables")

    monkeypatch.setattr("toolkit.cli.compare_problem", degenerate)
    assert _fit(path, "normal") == 1
    assert capsys.readouterr().err == "klmle: error: m: the model has no free variables\n"


@pytest.mark.parametrize("tolerance", ["abc", "-1", "0", "nan", "inf"])
def test_a_bad_tolerance_is_a_usage_error(capsys, tolerance):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "x.csv", "--family", "normal", "--tolerance", tolerance])
    assert exit_info.value.code == 2
    assert f"argument --tolerance: {tolerance!r}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("family", "args", "words"),
    [
        # options the family would ignore are refused, never dropped silently
        ("normal", ["--k", "3"], "normal takes no --k"),
        ("normal", ["--y", "x"], "normal takes no --y"),
        ("gamma", ["--x", "x", "--no-intercept"], "gamma takes no --x, --no-intercept"),
        ("linear_regression", ["--y", "x", "--column", "x"], "linear_regression takes no --column"),
        ("linear_regression", [], "linear_regression needs --y COL"),
        ("nonlinear_regression", ["--y", "x"], "needs a Python mean function"),
        ("normal", ["--column", "x", "--column", "x"], "normal fits one column"),
    ],
)
def test_command_lines_that_cannot_work_exit_2(tmp_path, capsys, family, args, words):
    path = tmp_path / "x.csv"
    path.write_text("x\n1\n2\n3\n")
    assert _fit(path, family, *args) == 2
    captured = capsys.readouterr()
    assert (
        captured.err.startswith("klmle: error: ")
        and words in captured.err
        and len(captured.err.strip().splitlines()) == 1
    )
    assert captured.out == ""


def test_console_script_names_a_text_cell_in_one_line(tmp_path):
    # The case of issue 10 in a real process: stderr holds the one line and nothing else
    # (it used to hold PyTensor's rewrite failures and tracebacks, after a wrong fit).
    path = tmp_path / "mv.csv"
    path.write_text("a,b\n1,2\nfoo,3\n2,5\n3,1\n4,4\n5,2\n")
    result = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "fit", str(path), "--family", "mv_normal"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"klmle: error: {path}: column 'a' has 1 non-numeric value(s) among numbers; "
        "first at line 3 ('foo')\n"
    )


def _columns_end(line: str) -> list[int]:
    """Display columns where each right-aligned header name ends."""
    from toolkit.report.text import display_width

    ends, position, inside = [], 0, False
    for char in line + " ":
        width = display_width(char)
        if char == " " and inside:
            ends.append(position)
        inside = char != " "
        position += width
    return ends


def _display(line: str) -> list[str]:
    """One string per display column (a combining mark joins its letter)."""
    from toolkit.report.text import display_width

    cells: list[str] = []
    for char in line:
        if display_width(char) == 0 and cells:
            cells[-1] += char
        else:
            cells.append(char)
    return cells


@pytest.mark.parametrize(
    ("family", "draw"),
    [
        ("exponential", lambda r: r.exponential(2.0, 300)),
        ("bernoulli", lambda r: r.binomial(1, 0.3, 300)),
    ],
)
def test_fit_table_columns_line_up(tmp_path, capsys, rng, family, draw):
    path = tmp_path / "x.csv"
    pd.DataFrame({"x": draw(rng)}).to_csv(path, index=False)
    assert main(["fit", str(path), "--family", family]) == 0
    out = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("=="))
    end = next(i for i, line in enumerate(out) if line.startswith("KL: "))
    header, *rows = out[start + 1 : end]
    ends = _columns_end(header)
    assert len(ends) >= 5  # find_map, mle, kl, closed_form or scipy, se
    assert any(row.startswith("KL(p̂‖q)") for row in rows)
    for row in rows:
        cells = _display(row)
        for end in ends:  # a right-aligned cell ends exactly under its column's name
            assert cells[end - 1] != " ", (row, end)
            assert end == len(cells) or cells[end] == " ", (row, end)


def test_a_misspelt_family_gets_a_suggestion_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "x.csv", "--family", "gama"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'gamma'?" in err and "poisson" not in err


def test_fit_help_says_what_each_option_is_for(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "the model family ('klmle families' lists them)" in out
    assert "binomial: number of trials per observation" in out
    assert "categorical: number of categories" in out and "gaussian_mixture: number" in out
    assert "one column" in out.lower() and "--y and --x for a regression family" in out
    assert "out.html writes out.nc" in out and "--force" in out


def _exponential_csv(tmp_path, rng):
    path = tmp_path / "in.csv"
    pd.DataFrame({"x": rng.exponential(2.0, 200)}).to_csv(path, index=False)
    return path


def test_a_report_never_replaces_the_input(tmp_path, capsys, rng):
    data = _exponential_csv(tmp_path, rng)
    before = data.read_bytes()
    for force in ([], ["--force"]):
        code = main(["fit", str(data), "--family", "exponential", "--report", str(data), *force])
        err = capsys.readouterr().err
        assert code == 1 and err.count("\n") == 1 and "input" in err, err
    html = data.with_suffix(".html")  # results in.nc would not replace in.csv, the report would
    assert data.read_bytes() == before and not html.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_file_klmle_did_not_write_needs_force(tmp_path, capsys, rng):
    data = _exponential_csv(tmp_path, rng)
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>")
    args = ["fit", str(data), "--family", "exponential", "--report", str(notes)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err
    assert notes.read_text() == "<p>my notes</p>"
    assert main([*args, "--force"]) == 0  # said so: replaced
    assert "klmle" in notes.read_text() and notes.with_suffix(".nc").is_file()
    assert main(args) == 0  # klmle's own report, rewritten without --force


@pytest.mark.parametrize("case", ["directory", "parent-is-a-file", "read-only"])
def test_report_paths_that_cannot_be_written_are_one_line(tmp_path, capsys, rng, case):
    data = _exponential_csv(tmp_path, rng)
    if case == "directory":
        target = tmp_path / "out.html"
        target.mkdir()
    elif case == "parent-is-a-file":
        (tmp_path / "plain").write_text("x")
        target = tmp_path / "plain" / "out.html"
    else:
        target = "/proc/klmle-cli-test/out.html"  # nobody may write there, root included
    listing = sorted(p.name for p in tmp_path.iterdir())
    code = main(["fit", str(data), "--family", "exponential", "--report", str(target)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # nothing left behind
