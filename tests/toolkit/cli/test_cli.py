"""The klmle command: the catalog listing, a fit from CSV, and one-line errors."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

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
        ("a\n1.0\nnan\n2.0\n", [], "1 NaN values; first at index 1"),
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
    assert main(["fit", str(path), "--family", "gamma", "--column", "a", "--column", "b"]) == 1
    assert "fits one column" in capsys.readouterr().err


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
