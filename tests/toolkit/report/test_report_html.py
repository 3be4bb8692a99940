"""One escaping path for every HTML the package writes (toolkit.report.html).

Markup in a model's name, its parameters' names, a covariate column and a file name
must reach the page, the notebook view and the results as text, never as markup.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from html_tags import tags as page_tags

import toolkit
import toolkit.report
from toolkit.report.html import Html, badge, esc, figure, page, tag

EVIL = "<script>alert('$x$')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;$x$&#x27;)&lt;/script&gt;"
#: PyMC names cannot hold "/": markup without it.
EVIL_NAME = "<img src=x onerror=alert('$1')>"


def test_tag_escapes_text_and_attributes_and_keeps_html():
    built = tag("td", EVIL, title=EVIL, data_sort='"1"')
    assert EVIL not in built and built.count(ESCAPED) == 2 and 'data-sort="&quot;1&quot;"' in built
    inner = tag("b", "x")
    assert tag("p", inner, "<i>") == "<p><b>x</b>&lt;i&gt;</p>"
    assert esc(inner) is inner and isinstance(esc("<"), Html)
    with pytest.raises(ValueError, match="not a tag name"):
        tag("script onload=x")
    with pytest.raises(ValueError, match="not an attribute name"):
        tag("p", **{"on click": "x"})


def test_verdicts_read_without_colour():
    for verdict in ("agree", "not unique", "disagree", "did not converge", "boundary"):
        html = badge(verdict)
        words = "".join(t for t in html.replace("<", ">").split(">")[2::2])
        assert verdict in words and any(s in html for s in "✓≈✗⚠⇥"), html


def test_figures_have_alt_text():
    html = figure("data:image/png;base64,", "fit", "caption", alt=f"what it shows {EVIL}")
    (img,) = [a for t, a in page_tags(html) if t == "img"]
    assert img["alt"] == f"what it shows {EVIL}"  # the parser unescapes: it was escaped


def test_html_is_built_only_in_html_module():
    """No other module writes markup around a value: no f-string holds a tag, and ``Html``
    (the type that is never escaped again) wraps only constant text."""
    package = Path(toolkit.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "html.py" and path.parent.name == "report":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if "<" in text and any(f"<{c}" in text for c in "abcdefghijklmnopqrstuvwxyz/"):
                    offenders.append(f"{path.name}:{node.lineno} f-string with markup")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Html"
                and not all(isinstance(a, ast.Constant) for a in node.args)
            ):
                offenders.append(f"{path.name}:{node.lineno} Html() of a value")
    assert offenders == []


def test_the_page_is_marked_as_klmle_and_escapes_its_title():
    text = page(EVIL, Html("<p>x</p>"), meta={"klmle-unit": EVIL})
    assert '<meta name="generator" content="klmle">' in text
    assert EVIL not in text and ESCAPED in text


@pytest.fixture(scope="module")
def evil_model_comparison():
    """A pm.Model named with markup, its parameters and observed variable too."""
    import pymc as pm

    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    y = 1.0 + 0.5 * x + rng.normal(0.0, 0.7, 200)
    with pm.Model(name=EVIL_NAME) as model:
        a = pm.Flat(f"a{EVIL_NAME}")
        b = pm.Flat("b<b>")
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y<u>", a + b * x, sigma, observed=y)
    return toolkit.compare(model)


def test_markup_in_model_and_parameter_names_is_text_everywhere(evil_model_comparison, tmp_path):
    cmp = evil_model_comparison
    notebook = cmp._repr_html_()
    for html in (notebook, toolkit.report.comparison_html(cmp)):
        assert "<img" not in html and "<u>" not in html and "&lt;img src=x" in html
        assert [t for t, _ in page_tags(html)].count("b") == 1  # the label's own bold only
    entry = toolkit.report.entry_from_comparison(cmp, key="m", dataset=EVIL, source=f"{EVIL}.csv")
    (html_path, _results) = toolkit.report.write_unit([entry], tmp_path / "evil.html", title=EVIL)
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<script") == 1  # the sorting script, nothing else
    assert "<u>" not in html and "<img src=x" not in html and ESCAPED in html
    images = [a["src"] for t, a in page_tags(html) if t == "img"]
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    loaded = toolkit.load_results(tmp_path / "evil.nc")["m"]
    assert loaded.attrs["klmle_dataset"] == EVIL  # the results keep the name as it is
    assert EVIL_NAME in str(cmp)  # the terminal shows the name as it is
