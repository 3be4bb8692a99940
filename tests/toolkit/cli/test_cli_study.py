"""`klmle study ...` end to end: stores, resumes, refusals in one line, reports, the demo's page."""

import json

import pytest

from toolkit.cli import main
from toolkit.cli.study import check_demo_studies, run_demo_studies
from toolkit.report import OutputError

CONVERGENCE = ["study", "convergence", "--family", "exponential", "--sizes", "20,60", "--reps", "2"]


def test_convergence_with_store_resume_and_report(tmp_path, capsys):
    store, html = tmp_path / "c.jsonl", tmp_path / "c.html"
    assert main([*CONVERGENCE, "--store", str(store), "--report", str(html)]) == 0
    out = capsys.readouterr()
    assert "N·E[KL]" in out.out and f"report: {html}" in out.out and out.err == ""
    assert 'data-study="convergence"' in html.read_text(encoding="utf-8")
    records = store.read_text().splitlines()
    assert len(records) == 1 + 4 and json.loads(records[0])["arguments"]["reps"] == 2
    assert main([*CONVERGENCE, "--store", str(store)]) == 0  # resumes: nothing to run
    assert store.read_text().splitlines() == records
    again = tmp_path / "again.html"
    assert main(["study", "report", str(store), "--output", str(again)]) == 0
    assert 'data-study="convergence"' in again.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--reps", "3"], "other arguments (reps: 2 there, 3 here)"),
        (["--sizes", "1,2"], "at least 2"),
        (["--sizes", "ten"], "--sizes must be a comma-separated list"),
        (["--params", "lam"], "name=value"),
    ],
)
def test_mistakes_are_one_line(tmp_path, capsys, change, message):
    store = tmp_path / "c.jsonl"
    assert main([*CONVERGENCE, "--store", str(store)]) == 0
    capsys.readouterr()
    assert main([*CONVERGENCE, "--store", str(store), *change]) == 1
    err = capsys.readouterr().err
    assert err.startswith("klmle: error:") and message in err and err.count("\n") == 1


def test_one_sample_studies_from_a_csv_and_built_in_data(tmp_path, rng, capsys):
    csv = tmp_path / "x.csv"
    csv.write_text("x\n" + "\n".join(map(str, rng.normal(size=150))) + "\n")
    smooth = ["study", "smoothing", "--data", str(csv), "--bandwidths", "0.1,1"]
    assert main(smooth) == 0
    assert "histogram" in capsys.readouterr().out
    html = tmp_path / "r.html"
    assert main(["study", "reverse", "--n", "200", "--report", str(html)]) == 0
    assert "reverse" in capsys.readouterr().out
    assert 'data-plot="reverse"' in html.read_text(encoding="utf-8")


def test_the_demo_studies_page(tmp_path):
    path = run_demo_studies(tmp_path / "demo.html", seed=1)
    assert path.name == "demo_studies.html"
    text = path.read_text(encoding="utf-8")
    assert 'data-study="convergence"' in text and 'data-study="reverse"' in text


def test_outputs_follow_the_reports_rules(tmp_path, rng, capsys):
    csv = tmp_path / "x.csv"
    text = "x\n" + "\n".join(map(str, rng.normal(size=60))) + "\n"
    csv.write_text(text)
    smooth = ["study", "smoothing", "--data", str(csv), "--bandwidths", "0.5"]
    assert main([*smooth, "--report", str(csv)]) == 1  # never over the input, even forced
    assert main([*smooth, "--report", str(csv), "--force"]) == 1
    assert "never writes over its input" in capsys.readouterr().err
    assert csv.read_text() == text
    notes = tmp_path / "notes.html"
    notes.write_text("my own notes")
    assert main([*smooth, "--report", str(notes)]) == 1
    assert "klmle did not write" in capsys.readouterr().err and notes.read_text() == "my own notes"
    assert main([*smooth, "--report", str(notes), "--force"]) == 0
    assert main([*smooth, "--report", str(notes)]) == 0  # klmle's own page now


def test_notebook_replaces_its_own_file_only(tmp_path, capsys):
    path = tmp_path / "kl.ipynb"
    assert main(["notebook", "--output", str(path)]) == 0
    assert main(["notebook", "--output", str(path)]) == 0
    foreign = tmp_path / "mine.ipynb"
    foreign.write_text("{}")
    assert main(["notebook", "--output", str(foreign)]) == 1
    assert foreign.read_text() == "{}" and "--force" in capsys.readouterr().err


def test_demo_checks_its_studies_page_before_fitting(tmp_path):
    (tmp_path / "demo_studies.html").write_text("not klmle's")
    with pytest.raises(OutputError, match="klmle did not write"):
        check_demo_studies(tmp_path / "demo.html")
    check_demo_studies(tmp_path / "demo.html", force=True)
