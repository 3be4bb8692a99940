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
