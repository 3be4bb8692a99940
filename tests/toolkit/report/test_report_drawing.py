"""Sections drawn in a worker process (report.drawing) are the sections drawn inline."""

from __future__ import annotations

import dataclasses
import os
import pickle

import pytest

from toolkit.quiet import quiet
from toolkit.report import drawing
from toolkit.report.render import entry_section, render_report

needs_a_worker = pytest.mark.skipif(
    not drawing.sys.platform.startswith("linux"), reason="workers are forked: Linux only"
)


def _inline(entries) -> dict[str, str]:
    with quiet():
        return {e.key: entry_section(e) for e in entries}


@needs_a_worker
def test_sections_drawn_by_a_worker_equal_those_drawn_inline(entries, more_entries):
    everything = [*entries, *more_entries]
    with drawing.SectionDrawer(workers=1) as drawer:
        for entry in everything:
            drawer.submit(entry)
        sections = drawer.collect(everything, steal=False)
    assert drawer.from_workers == {e.key for e in everything}  # none drawn here
    assert sections == _inline(everything)  # the same HTML, PNG bytes included


@needs_a_worker
def test_collect_draws_here_what_the_worker_has_not_started(entries):
    labels = []
    with drawing.SectionDrawer(workers=1) as drawer:
        for entry in entries:
            drawer.submit(entry)
        sections = drawer.collect(entries, progress=labels.append)
    assert list(sections) != [] and set(sections) == {e.key for e in entries}
    assert sections == _inline(entries)
    assert sorted(labels) == sorted(f"{e.family} on {e.dataset}" for e in entries)
    # the worker starts from the first entry: it drew that one at least
    assert entries[0].key in drawer.from_workers


class _Unpicklable(drawing.ReportEntry):
    """An entry that cannot be sent to a worker (it is drawn here instead)."""

    def __reduce__(self):
        raise pickle.PicklingError("not for a worker")


@needs_a_worker
def test_a_section_the_worker_cannot_draw_is_drawn_here(entries):
    odd = _Unpicklable(
        **{f.name: getattr(entries[0], f.name) for f in dataclasses.fields(entries[0])}
    )
    with drawing.SectionDrawer(workers=1) as drawer:
        drawer.submit(odd)
        sections = drawer.collect([odd], steal=False)
    assert drawer.from_workers == set()
    assert sections == _inline([entries[0]])


@needs_a_worker
def test_a_dead_worker_leaves_every_section_to_this_process(entries):
    with drawing.SectionDrawer(workers=1) as drawer:
        drawer._pool.submit(os._exit, 1).exception()  # the worker dies: the pool is broken
        for entry in entries:
            drawer.submit(entry)
        sections = drawer.collect(entries, steal=False)
    assert drawer.from_workers == set()
    assert sections == _inline(entries)


def test_without_workers_everything_is_drawn_here_in_order(entries):
    labels = []
    with drawing.SectionDrawer(workers=0) as drawer:
        for entry in entries:
            drawer.submit(entry)
        sections = drawer.collect(entries, progress=labels.append)
    assert list(sections) == [e.key for e in entries] and drawer.from_workers == set()
    assert labels == [f"{e.family} on {e.dataset}" for e in entries]


def test_report_with_sections_drawn_before_is_the_report(entries):
    """render_report places sections drawn before exactly where it would draw them."""
    drawn = _inline(entries[1:])
    assert render_report(entries, drawn=drawn) == render_report(entries)


def _unit_id(text: str) -> str:
    return text.split('name="klmle-unit" content="')[1].split('"')[0]


def test_unit_written_with_a_drawer_is_the_unit_written_without(entries, tmp_path):
    from toolkit.report import load_results, write_unit

    plain_html, plain_results = write_unit(entries, tmp_path / "plain" / "demo.html")
    with drawing.SectionDrawer() as drawer:
        for entry in entries:
            drawer.submit(entry)
        html, results = write_unit(entries, tmp_path / "drawn" / "demo.html", drawer=drawer)
    plain, drawn = plain_html.read_text("utf-8"), html.read_text("utf-8")
    assert drawn.replace(_unit_id(drawn), _unit_id(plain)) == plain
    assert sorted(p.name for p in results.iterdir()) == sorted(
        p.name for p in plain_results.iterdir()
    )
    assert set(load_results(results)) == {e.key for e in entries}


class _FailingDrawer(drawing.SectionDrawer):
    def collect(self, entries, progress=None, *, steal=True):
        raise RuntimeError("a bug in the drawing code")


def test_a_drawing_error_after_the_results_leaves_no_file(entries, tmp_path):
    from toolkit.report import write_unit

    with pytest.raises(RuntimeError, match="a bug"), _FailingDrawer(workers=0) as drawer:
        write_unit(entries, tmp_path / "demo.html", drawer=drawer)
    left = sorted(p.name for p in tmp_path.rglob("*") if p.name != ".demo.html.klmle")
    assert left == []  # no report, no results, no unit folder in the hidden one
