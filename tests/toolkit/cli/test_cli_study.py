"""`klmle study ...` end to end: stores, resumes, refusals in one line, reports, the demo's page."""

import json

import pytest

from toolkit.cli import main
from toolkit.cli.study import run_demo_studies

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


def test_a_study_report_never_replaces_its_data_or_a_file_klmle_did_not_write(
    tmp_path, rng, capsys
):
    csv = tmp_path / "x.csv"
    csv.write_text("x\n" + "\n".join(map(str, rng.normal(size=150))) + "\n")
    before = csv.read_bytes()
    smooth = ["study", "smoothing", "--data", str(csv), "--bandwidths", "0.3"]
    for force in ([], ["--force"]):
        assert main([*smooth, "--report", str(csv), *force]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is the input file" in err
    assert csv.read_bytes() == before
    notes = tmp_path / "notes.html"
    notes.write_text("<p>mine</p>")
    assert main([*smooth, "--report", str(notes)]) == 1
    assert "--force" in capsys.readouterr().err and notes.read_text() == "<p>mine</p>"
    assert main([*smooth, "--report", str(notes), "--force"]) == 0
    assert 'data-study="smoothing"' in notes.read_text(encoding="utf-8")
    assert main([*smooth, "--report", str(notes)]) == 0  # klmle's own page: rewritten


def test_a_stored_study_is_never_replaced_by_its_report(tmp_path, capsys):
    store = tmp_path / "c.jsonl"
    assert main([*CONVERGENCE, "--store", str(store)]) == 0
    before = store.read_bytes()
    capsys.readouterr()
    assert main(["study", "report", str(store), "--output", str(store), "--force"]) == 1
    assert "is the input file" in capsys.readouterr().err and store.read_bytes() == before


def test_notebook_replaces_its_own_file_only(tmp_path, capsys):
    path = tmp_path / "kl.ipynb"
    assert main(["notebook", "--output", str(path)]) == 0
    assert main(["notebook", "--output", str(path)]) == 0  # klmle's own notebook
    foreign = tmp_path / "mine.ipynb"
    foreign.write_text("{}")
    assert main(["notebook", "--output", str(foreign)]) == 1
    assert foreign.read_text() == "{}" and "--force" in capsys.readouterr().err
    assert main(["notebook", "--output", str(foreign), "--force"]) == 0
