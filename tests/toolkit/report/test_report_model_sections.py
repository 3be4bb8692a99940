"""Report sections of regression families and a user's pm.Model (toolkit.report.model_sections)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from html_tags import tags as page_tags

import toolkit.report
from toolkit.report import stats as report_stats
from toolkit.report import tables
from toolkit.report.render import MODEL_PLOTS, REGRESSION_PLOTS


def _section(html: str, key: str) -> str:
    return html.split(f'<section class="entry" data-key="{key}">')[1].split("</section>")[0]


def _plots(section: str) -> list[str]:
    return [a["data-plot"] for t, a in page_tags(section) if t == "figure"]


def test_one_section_per_entry(model_entries, model_report_html):
    sections = [a["data-key"] for t, a in page_tags(model_report_html) if t == "section"]
    assert sections == [e.key for e in model_entries]
    assert [e.design is not None for e in model_entries] == [True] * 3 + [False]
    assert "Regression and your own model" in model_report_html  # the conditional identity


def test_regression_section_has_its_figures_and_tables(model_entries, model_report_html):
    for entry in model_entries[:2]:  # linear, logistic: Xβ, so profiles can be drawn
        section = _section(model_report_html, entry.key)
        assert sorted(_plots(section)) == sorted(REGRESSION_PLOTS), entry.label
        for heading in ("Estimates by engine", "Starts and optima", "Information criteria"):
            assert heading in section
        assert "Convergence certificates" in section and "az.summary" in section
        assert "beta[1] (x1)" in section  # coefficients name their design column
        assert "AIC" in section and "BIC" in section
    assert "Calibration" not in _section(model_report_html, "m00")  # linear: a scatter
    assert "binned calibration" in _section(model_report_html, "m01")  # logistic: 0/1 response


def test_mean_function_family_has_its_profile(model_report_html):
    # Profiles are evaluated when the comparison is saved, so a mean function (Python
    # code, not in the results) no longer keeps its section from drawing one.
    section = _section(model_report_html, "m02")
    assert sorted(_plots(section)) == sorted(REGRESSION_PLOTS)
    assert "No KL profile" not in section


def test_user_model_shows_map_and_the_priors_pull(model_entries, model_report_html):
    entry = model_entries[3]
    section = _section(model_report_html, entry.key)
    assert sorted(_plots(section)) == sorted(MODEL_PLOTS)
    params = section.split('class="params"')[1].split("</table>")[0]
    assert "<th>map</th>" in params
    pull = section.split('class="pull"')[1].split("</table>")[0]
    assert "(MAP − MLE) / SE" in pull
    expected = (entry.estimates["map"] - entry.estimates["mle"]) / entry.se
    for value in expected:  # each parameter's pull, as the table prints it (6 digits)
        assert f"{value:.6g}" in pull
    assert "No KL profile" not in section  # profiles are saved with the comparison
    assert "reported, not judged" in section


def test_overview_does_not_count_prior_engines(model_entries, model_report_html):
    entry = model_entries[3]
    assert tables.counted_engines(entry) == ["mle", "kl"]
    overview = model_report_html.split('class="sortable overview"')[1].split("</table>")[0]
    assert "not counted: find_map, map (priors)" in overview


def test_linear_regression_digits_against_closed_form(model_entries):
    # README: mle matches the least-squares closed form to >= 10 digits, kl to >= 8 (tested
    # in tests/toolkit/test_regression_compare.py); the overview reports the same numbers.
    digits = tables.closed_form_digits(model_entries[0])
    assert digits["mle"] >= 10 and digits["kl"] >= 8
    assert tables.closed_form_digits(model_entries[1]) == {}  # logistic: no closed form


def test_multistart_table_lists_every_engine_that_ran_from_several_starts(model_entries):
    for entry in model_entries:
        html = tables.multistart_table(entry)
        for engine, info in entry.multistart.items():
            assert info["starts"] >= 2 and info["n_optima"] >= 1
            assert f"<td>{engine}</td>" in html
        assert "map" in entry.multistart or entry.design is not None


def test_information_criteria_use_the_free_parameters(model_entries):
    linear = model_entries[0]
    assert linear.k_free == 4  # beta[0..2], sigma
    loglik = float(linear.by_engine("loglik")["mle"])
    ic = report_stats.information_criteria_kn(linear.k_free, linear.n, loglik)
    assert np.isclose(ic["BIC"], 4 * np.log(300) - 2 * loglik, rtol=1e-15)


def test_no_branch_on_family_names():
    from models import families

    package = Path(toolkit.report.__file__).parent
    source = "".join(
        (package / f"{m}.py").read_text(encoding="utf-8")
        for m in ("model_sections", "diagnostics", "render", "tables", "figures")
    )
    from models.regression.declaration import RegressionFamily

    regression = [n for n, f in families().items() if isinstance(f, RegressionFamily)]
    assert regression
    for name in regression:  # ("laplace" is also a posterior kind, so not all families)
        assert not re.search(rf"[\"']{name}[\"']", source), name
