"""Tests of toolkit.studies.store: durable records, refusals, one writer, cut-off lines."""

import json

import pytest

from toolkit.studies.store import Store, StoreError, read

ARGS = {"family": "normal", "sizes": [10, 100], "reps": 2, "seed": 0}
ROWS = [{"n": 10, "rep": 0, "estimate": 1.25, "status": "ok"}]


def test_records_survive_and_resume(tmp_path):
    path = tmp_path / "s.jsonl"
    with Store(path, "convergence", ARGS) as store:
        assert store.done == {}
        store.record((10, 0), ROWS)
    with Store(path, "convergence", ARGS) as store:
        assert store.done == {(10, 0): ROWS}
        store.record((10, 1), [{**ROWS[0], "rep": 1, "estimate": float("nan")}])
    header, records = read(path)
    assert header["arguments"] == ARGS and sorted(records) == [(10, 0), (10, 1)]
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["klmle_study_store"] == "convergence"


def test_other_arguments_are_refused_by_name(tmp_path):
    path = tmp_path / "s.jsonl"
    Store(path, "convergence", ARGS).close()
    with pytest.raises(StoreError, match=r"reps: 2 there, 3 here"):
        Store(path, "convergence", {**ARGS, "reps": 3})
    with pytest.raises(StoreError, match="holds a convergence study, not a prior study"):
        Store(path, "prior", ARGS)


def test_one_writer_at_a_time(tmp_path):
    path = tmp_path / "s.jsonl"
    with Store(path, "convergence", ARGS), pytest.raises(StoreError, match="another study run"):
        Store(path, "convergence", ARGS)
    Store(path, "convergence", ARGS).close()  # the lock went with the first writer


def test_a_line_cut_short_by_a_kill_is_dropped(tmp_path):
    path = tmp_path / "s.jsonl"
    with Store(path, "convergence", ARGS) as store:
        store.record((10, 0), ROWS)
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"task": [10, 1], "rows": [{"n": 1')  # killed mid-write
    assert sorted(read(path)[1]) == [(10, 0)]
    with Store(path, "convergence", ARGS) as store:
        assert sorted(store.done) == [(10, 0)]
        store.record((10, 1), ROWS)
    assert path.read_bytes().startswith(whole)
    assert sorted(read(path)[1]) == [(10, 0), (10, 1)]


def test_a_header_cut_short_starts_afresh(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"format": 1, "klmle_st')
    with Store(path, "convergence", ARGS) as store:
        assert store.done == {}
    assert read(path)[0]["arguments"] == ARGS


def test_damage_and_foreign_files_are_refused_untouched(tmp_path):
    foreign = tmp_path / "data.csv"
    foreign.write_text("x\n1\n2\n")
    with pytest.raises(StoreError, match="not a klmle study store"):
        Store(foreign, "convergence", ARGS)
    assert foreign.read_text() == "x\n1\n2\n"
    path = tmp_path / "s.jsonl"
    with Store(path, "convergence", ARGS) as store:
        store.record((10, 0), ROWS)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "{broken", lines[1]]) + "\n")
    with pytest.raises(StoreError, match="line 2 is damaged"):
        read(path)
    with pytest.raises(StoreError, match="no study store"):
        read(tmp_path / "missing.jsonl")
