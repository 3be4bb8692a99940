"""`klmle demo --output` and `klmle fit --report` end to end (toolkit.cli report commands)."""

from __future__ import annotations

import numpy as np
import pytest

import toolkit.cli
from models.demo import demo_datasets
from toolkit.cli import main


@pytest.fixture
def two_family_demo(monkeypatch):
    """The demo reduced to two simulated families (plus the bundled real data)."""

    def few(n, seed):
        return [item for item in demo_datasets(n, seed) if item[0] in ("exponential", "poisson")]

    monkeypatch.setattr(toolkit.cli, "demo_datasets", few)


def test_demo_writes_report_and_results(two_family_demo, tmp_path, capsys):
    out = tmp_path / "sub" / "demo.html"
    assert main(["demo", "--n", "300", "--output", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    # several comparisons: a folder named after the report, one plain InferenceData each
    assert sorted(p.suffix for p in out.with_suffix("").iterdir()) == [".nc"] * 4
    assert "horse kicks" in html and "Bortkiewicz" in html  # the bundled real dataset
    assert html.count('<section class="entry"') == 4  # 2 simulated + poisson, categorical
    assert "Ranked by ELPD-LOO" in html
    printed = capsys.readouterr()
    assert str(out) in printed.out and printed.err == ""  # no warnings on the terminal


def test_fit_report_escapes_the_column_name(tmp_path, rng, capsys):
    evil = "<script>alert(1)</script>"
    csv = tmp_path / "data.csv"
    csv.write_text(evil + "\n" + "\n".join(map(str, rng.exponential(2.0, 300))) + "\n")
    out = tmp_path / "fit.html"
    assert main(["fit", str(csv), "--family", "exponential", "--report", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert out.with_suffix(".nc").is_file()
    assert capsys.readouterr().err == ""


def test_fit_without_report_prints_tables_only(tmp_path, rng, capsys):
    csv = tmp_path / "x.csv"
    csv.write_text("x\n" + "\n".join(map(str, rng.poisson(2.0, 100))) + "\n")
    assert main(["fit", str(csv), "--family", "poisson"]) == 0
    assert "verdict" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_demo_rejects_tiny_n(tmp_path, capsys):
    assert main(["demo", "--n", "1", "--output", str(tmp_path / "d.html")]) == 2  # usage
    assert capsys.readouterr().err.startswith("klmle: error:")
    assert not np.any([p.exists() for p in tmp_path.iterdir()])


def test_fit_report_with_a_regression_family(tmp_path, rng, capsys):
    import pandas as pd

    x1, x2 = rng.normal(size=300), rng.uniform(0, 2, size=300)
    p = 1 / (1 + np.exp(-(-0.5 + x1 - 0.8 * x2)))
    csv = tmp_path / "admit.csv"
    pd.DataFrame({"gre": x1, "gpa": x2, "admit": (rng.uniform(size=300) < p).astype(int)}).to_csv(
        csv, index=False
    )
    out = tmp_path / "fit.html"
    args = ["fit", str(csv), "--family", "logistic_regression", "--y", "admit", "--x", "gre"]
    assert main([*args, "--x", "gpa", "--report", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "logistic_regression: admit ~ 1 + gre + gpa" in html
    assert "beta[1] (gre)" in html and 'data-plot="fitted"' in html
    assert 'data-plot="profile"' in html and out.with_suffix(".nc").is_file()
    printed = capsys.readouterr()
    assert str(out) in printed.out and printed.err == ""
