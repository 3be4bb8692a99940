"""Structure, escaping and atomic writing of the HTML report (toolkit.report.render)."""

from __future__ import annotations

import re

import pytest
from html_tags import tags as page_tags

from toolkit.report import render, write_report
from toolkit.report.html import join
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


def _with_kl(entry, value: float):
    """The entry with every engine's saved KL replaced by ``value``."""
    from dataclasses import replace

    import arviz as az

    comparison = entry.idata.comparison.copy(deep=True)
    comparison["kl"][:] = value
    groups = {g: entry.idata[g] for g in entry.idata.groups() if g != "comparison"}
    return replace(entry, idata=az.InferenceData(comparison=comparison, **groups))


def _is_negative(text: str) -> bool:
    return text.lstrip("≈ ").startswith(("-", "−"))


def test_no_rendered_kl_is_negative(entries, tmp_path):
    # What the issue saw: an exact KL at rounding level below 0 (bernoulli mle -5.55e-17)
    # and an estimate below 0 by its error. Neither may be drawn negative.
    from html_tags import tables

    poisson, normal = entries[2], entries[3]
    assert (poisson.kl_kind, normal.kl_kind) == ("exact", "estimate")
    assert poisson.kl_error["mle"] > 0 and normal.kl_error["mle"] > 0
    doctored = [_with_kl(poisson, -5.55e-17), _with_kl(normal, -0.0077)]
    html = write_report(doctored, tmp_path / "kl.html").read_text(encoding="utf-8")
    shown = []
    for cls, rows in tables(html):
        if "overview" in cls:
            column = rows[0].index("KL at the MLE")
            shown += [row[column] for row in rows[1:]]
        elif cls == "params":
            shown += [c for row in rows if row[0].startswith("KL") for c in row[1:-1]]
    assert len(shown) == 2 + sum(len(e.estimates.columns) for e in doctored)
    assert not [s for s in shown if _is_negative(s)], shown
    assert {s.split()[0] for s in shown} == {"0", "≈0"}
    assert "5.55e-17" not in html and "0.0077" not in html


def test_laplace_family_section_says_what_is_true(more_entries, tmp_path):
    # The location's information is zero (the log-density is not differentiable at the
    # data): no "Laplace approximation", NUTS instead, never "not positive definite".
    entry = next(e for e in more_entries if e.family == "laplace")
    assert entry.posterior_kind == "nuts" and entry.has_posterior
    html = write_report([entry], tmp_path / "laplace.html").read_text(encoding="utf-8")
    section = html.split('<section class="entry"')[1]
    assert "not positive definite" not in section
    assert "No Laplace approximation: the log-density is not differentiable in mu" in section
    assert "outer product of scores" in section and "NUTS posterior (ArviZ)" in section
    assert "Laplace posterior" not in html  # the approximation is never named like the family
    plots = [a["data-plot"] for t, a in page_tags(section) if t == "figure"]
    assert "posterior" in plots and "forest" in plots


def test_calibration_figure_title_and_caption_name_the_same_plot(
    more_entries, entries, monkeypatch
):
    # gaussian_mixture had a plot titled "PP plot" captioned "QQ plot".
    from toolkit.report import figures
    from toolkit.report.html import Picture

    titles = []

    def keep_title(fig, **kwargs):
        titles.append(fig.axes[0].get_title())
        figures._pyplot().close(fig)
        return Picture("data:image/png;base64,", 1, 1)

    monkeypatch.setattr(figures, "encode", keep_title)
    for entry in [*more_entries, *entries]:
        if entry.calibration_kind is None:
            continue
        titles.clear()
        html = render.figure(figures.calibration_figure(entry), "calibration", "x")
        assert html and titles == [f"{entry.calibration_kind} plot"], entry.family
        captions = [c for c in join(render._figures(entry)).split("<figcaption>")[1:]
                    if "plot at the MLE" in c]  # fmt: skip
        assert len(captions) == 1 and captions[0].startswith(f"{entry.calibration_kind} plot")
        assert entry.calibration_kind == ("PP" if entry.discrete else "QQ"), entry.family
