"""Structure, escaping and atomic writing of the HTML report (toolkit.report.render)."""

from __future__ import annotations

import re

import pytest
from html_tags import tags as page_tags

from toolkit.report import render, write_report
from toolkit.report.render import PLOTS


def test_sections_are_present(report_html):
    ids = {a.get("id") for _, a in page_tags(report_html)}
    assert {"overview", "identity", "ranking", "families"} <= ids
    assert "−H(p̂) − ℓ(θ)/N" in report_html  # the identity, in the report's own words


def test_one_section_per_entry_with_each_plot(entries, report_html):
    tags = page_tags(report_html)
    sections = [a["data-key"] for t, a in tags if t == "section"]
    assert sections == [e.key for e in entries]
    plots = [a["data-plot"] for t, a in tags if t == "figure"]
    for kind in PLOTS:
        assert plots.count(kind) == len(entries), kind  # every fixture fit has a posterior


def test_every_image_is_inline(report_html):
    sources = [a["src"] for t, a in page_tags(report_html) if t == "img"]
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(src|href)="(https?:)?//', report_html)  # nothing fetched


def test_overview_has_a_row_per_entry_with_its_verdict(entries, report_html):
    overview = report_html.split('class="sortable overview"')[1].split("</table>")[0]
    rows = overview.split("<tbody>")[1].count("<tr")
    assert rows == len(entries)
    for entry in entries:
        assert f'href="#{entry.key}"' in overview
    assert overview.count('class="verdict"') == len(entries)


def test_ranking_shows_aic_and_elpd_for_shared_data(report_html):
    ranking = report_html.split('id="ranking"')[1].split('id="families"')[0]
    assert "Ranked by AIC" in ranking and "ELPD-LOO" in ranking
    assert "exponential" in ranking and "half_normal" in ranking


def test_user_strings_are_escaped(entries, tmp_path):
    from dataclasses import replace

    evil = "<script>alert(1)</script>"
    entry = replace(entries[2], dataset=evil, source=f"{evil}.csv")
    path = write_report([entry], tmp_path / "evil.html", title=evil)
    html = path.read_text(encoding="utf-8")
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_failure_mid_render_leaves_no_file(entries, tmp_path, monkeypatch):
    calls = []

    def broken(entry):
        calls.append(entry.key)
        if len(calls) == 2:
            raise RuntimeError("simulated failure while drawing")
        return "data:image/png;base64,"

    monkeypatch.setattr(render.figures, "fit_figure", broken)
    target = tmp_path / "report.html"
    with pytest.raises(RuntimeError, match="simulated failure"):
        write_report(entries[:3], target)
    assert list(tmp_path.iterdir()) == []  # neither the report nor a temporary file


def test_failure_keeps_the_previous_report(entries, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("previous", encoding="utf-8")
    monkeypatch.setattr(render.tables, "gof_table", lambda e: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_report(entries[:1], target)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_render_needs_entries():
    with pytest.raises(ValueError, match="at least one entry"):
        render.render_report([])
