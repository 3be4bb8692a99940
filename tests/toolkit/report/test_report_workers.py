"""Sections drawn and results written in a worker process (report.workers) are those
drawn and written inline."""

from __future__ import annotations

import dataclasses
import os
import pickle

import arviz as az
import pytest

from toolkit.quiet import quiet
from toolkit.report import load_results, results, workers, write_unit
from toolkit.report.render import entry_section, render_report

needs_a_worker = pytest.mark.skipif(
    not workers.sys.platform.startswith("linux"), reason="workers are forked: Linux only"
)


def _inline(entries) -> dict[str, str]:
    with quiet():
        return {e.key: entry_section(e) for e in entries}


@needs_a_worker
def test_sections_drawn_by_a_worker_equal_those_drawn_inline(entries, more_entries):
    everything = [*entries, *more_entries]
    with workers.ReportWorkers(workers=1) as pool:
        for entry in everything:
            pool.submit(entry)
        sections = pool.collect(everything, steal=False)
    assert pool.from_workers == {e.key for e in everything}  # none drawn here
    assert sections == _inline(everything)  # the same HTML, PNG bytes included


@needs_a_worker
def test_collect_draws_here_what_the_worker_has_not_started(entries):
    labels = []
    with workers.ReportWorkers(workers=1) as pool:
        for entry in entries:
            pool.submit(entry)
        sections = pool.collect(entries, progress=labels.append)
        assert pool.collect(entries) == sections  # collected once, not drawn again
    assert list(sections) == [e.key for e in entries]
    assert sections == _inline(entries)
    assert sorted(labels) == sorted(f"{e.family} on {e.dataset}" for e in entries)
    # the worker starts from the first entry: it drew that one at least
    assert entries[0].key in pool.from_workers


class _Unpicklable(results.ReportEntry):
    """An entry that cannot be sent to a worker (it is drawn here instead)."""

    def __reduce__(self):
        raise pickle.PicklingError("not for a worker")


def _unpicklable(entry):
    return _Unpicklable(**{f.name: getattr(entry, f.name) for f in dataclasses.fields(entry)})


@needs_a_worker
def test_a_section_the_worker_cannot_draw_is_drawn_here(entries):
    odd = _unpicklable(entries[0])
    with workers.ReportWorkers(workers=1) as pool:
        pool.submit(odd)
        sections = pool.collect([odd], steal=False)
    assert pool.from_workers == set()
    assert sections == _inline([entries[0]])


@needs_a_worker
def test_a_dead_worker_leaves_everything_to_this_process(entries, tmp_path):
    html = tmp_path / "demo.html"
    with workers.ReportWorkers(workers=1, report=html) as pool:
        pool._pool.submit(os._exit, 1).exception()  # the worker dies: the pool is broken
        for entry in entries:
            pool.submit(entry)
        write_unit(entries, html, workers=pool)
    assert pool.from_workers == set()
    assert set(load_results(tmp_path / "demo")) == {e.key for e in entries}


def test_without_workers_everything_is_drawn_here_in_order(entries):
    labels = []
    with workers.ReportWorkers(workers=0) as pool:
        for entry in entries:
            pool.submit(entry)
        sections = pool.collect(entries, progress=labels.append)
    assert list(sections) == [e.key for e in entries] and pool.from_workers == set()
    assert labels == [f"{e.family} on {e.dataset}" for e in entries]


def test_report_with_sections_drawn_before_is_the_report(entries):
    """render_report places sections drawn before exactly where it would draw them."""
    drawn = _inline(entries[1:])
    assert render_report(entries, drawn=drawn) == render_report(entries)


def _unit_id(text: str) -> str:
    return text.split('name="klmle-unit" content="')[1].split('"')[0]


def _same_results(ours, theirs, unit: str, other_unit: str) -> None:
    """Each file holds the same groups, values and attributes (but its unit's identifier)."""
    assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in theirs.iterdir())
    for path in ours.iterdir():
        a, b = az.from_netcdf(path), az.from_netcdf(theirs / path.name)
        assert a.groups() == b.groups()
        for group in a.groups():
            assert a[group].identical(b[group]), (path.name, group)
        assert a.attrs.pop("klmle_unit") == unit and b.attrs.pop("klmle_unit") == other_unit
        assert a.attrs == b.attrs


@needs_a_worker
def test_unit_written_by_workers_is_the_unit_written_inline(entries, tmp_path, monkeypatch):
    plain_html, plain_results = write_unit(entries, tmp_path / "plain" / "demo.html")
    html = tmp_path / "drawn" / "demo.html"
    with workers.ReportWorkers(workers=1, report=html) as pool:
        for entry in entries:
            pool.submit(entry)
        pool.collect(entries, steal=False)  # every section and draft from the worker
        written_here = []
        real = results.write_entry
        monkeypatch.setattr(results, "write_entry", lambda *a, **k: written_here.append(a))
        html, folder = write_unit(entries, html, workers=pool)
        monkeypatch.setattr(results, "write_entry", real)
        drafts = [p for p in html.parent.iterdir() if p.name.endswith(".drafts")]
        assert len(drafts) == 1 and list(drafts[0].iterdir()) == []  # every draft moved
    assert written_here == [] and pool.from_workers == {e.key for e in entries}
    assert not [p for p in html.parent.iterdir() if p.name.endswith(".drafts")]  # removed
    plain, drawn = plain_html.read_text("utf-8"), html.read_text("utf-8")
    assert drawn.replace(_unit_id(drawn), _unit_id(plain)) == plain
    _same_results(folder, plain_results, _unit_id(drawn), _unit_id(plain))


def test_unit_with_entries_done_here_is_the_unit_written_inline(entries, tmp_path):
    """No workers: every section drawn and every file written by write_unit itself."""
    plain_html, plain_results = write_unit(entries[:1], tmp_path / "plain" / "out.html")
    html = tmp_path / "here" / "out.html"
    with workers.ReportWorkers(workers=0, report=html) as pool:
        pool.submit(entries[0])
        html, file = write_unit(entries[:1], html, workers=pool)
    assert file == html.with_suffix(".nc") and file.is_file()
    plain, drawn = plain_html.read_text("utf-8"), html.read_text("utf-8")
    assert drawn.replace(_unit_id(drawn), _unit_id(plain)) == plain
    a, b = az.from_netcdf(file), az.from_netcdf(plain_results)
    assert all(a[g].identical(b[g]) for g in a.groups())


def test_drafts_of_a_killed_run_are_removed_by_the_next_write(entries, tmp_path):
    dead = _dead_pid()
    leftover = tmp_path / f".demo.html.{dead}.r0123abcd.drafts"
    leftover.mkdir()
    (leftover / "0.nc").write_bytes(b"half a file")
    write_unit(entries, tmp_path / "demo.html")
    assert not leftover.exists()


def _dead_pid() -> int:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


class _FailingWorkers(workers.ReportWorkers):
    def collect(self, entries, progress=None, *, steal=True):
        raise RuntimeError("a bug in the drawing code")


def test_a_drawing_error_in_write_unit_leaves_no_file(entries, tmp_path):
    with pytest.raises(RuntimeError, match="a bug"), _FailingWorkers(workers=0) as pool:
        write_unit(entries, tmp_path / "demo.html", workers=pool)
    left = sorted(p.name for p in tmp_path.rglob("*") if p.name != ".demo.html.klmle")
    assert left == []  # no report, no results, no unit folder in the hidden one
