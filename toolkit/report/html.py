"""HTML building blocks: the one escaping path, tables, figures, badges and the page shell.

Every piece of HTML the package writes is built here. :func:`tag` escapes its text
children and every attribute value; only :class:`Html` (what :func:`tag`,
:func:`esc` and the page's own constant fragments return) is inserted as is. So a
column, model, parameter or file name such as ``<script>`` is shown as text
wherever it appears, and the other report modules hold no HTML markup of their own
around user strings. The page is self-contained: inline CSS, a few lines of
inline JavaScript to sort tables, figures as ``data:`` URIs; nothing is fetched.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from toolkit.report.numbers import fmt

#: The mark klmle puts in every page it writes: how it recognises its own reports.
GENERATOR = "klmle"

VERDICT_COLOURS = {
    "agree": "#1a7f37",
    "disagree": "#cf222e",
    "did not converge": "#bc4c00",
    "boundary": "#8250df",
    "not unique": "#7d5800",
}
#: A symbol beside each verdict's word, so it reads without colour.
VERDICT_SYMBOLS = {
    "agree": "✓",
    "not unique": "≈",
    "disagree": "✗",
    "did not converge": "⚠",
    "boundary": "⇥",
}
VERDICT_MEANINGS = {
    "agree": "every counted engine is at the MLE, within the tolerance",
    "not unique": "the maximiser is a set, and the engines are in it",
    "disagree": "an engine found a different point with a lower likelihood",
    "did not converge": "mle or kl did not reach a certified optimum",
    "boundary": "an estimate runs to the edge of the parameter space",
}

_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")
_TOKENS = re.compile(r"(\s+)")
_HYPHENS = re.compile(r"\S[-−–‐]|[-−–‐]\S")
_VOID = {"img", "meta", "link", "br", "hr", "col"}


class Html(str):
    """A string of HTML built by this module: inserted as is, never escaped again."""

    __slots__ = ()


def esc(value: object) -> Html:
    """``value`` as HTML text: escaped (quotes included) unless it is already :class:`Html`."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """Parts joined, each escaped unless it is :class:`Html`."""
    return Html(esc(sep).join(esc(p) for p in parts))


def unbroken(text: object) -> Html:
    """Text whose hyphenated tokens (``2e-11``, ``log-likelihood``) never break at the hyphen.

    A browser may break a line after a hyphen or a minus; in a table cell that splits
    a number (``2.27e-`` / ``13``). Such tokens go in a no-wrap span; spaces still wrap.

    Examples
    --------
    >>> unbroken("step 2e-11 SE")
    'step <span class="nowrap">2e-11</span> SE'
    """
    if isinstance(text, Html):
        return text
    parts = _TOKENS.split(str(text))
    return Html(
        "".join(
            f'<span class="nowrap">{esc(p)}</span>' if _HYPHENS.search(p) else esc(p) for p in parts
        )
    )


def tag(name: str, /, *children: object, **attrs: object) -> Html:
    """``<name attrs>children</name>``, every text child and attribute value escaped.

    Attribute names are Python keywords: ``class_`` is ``class``, ``data_sort`` is
    ``data-sort``; a value of None or False leaves the attribute out, True writes it
    bare. Tag and attribute names are the module's own, checked to be plain names.
    In a table cell, text never breaks at a hyphen (:func:`unbroken`).

    Examples
    --------
    >>> tag("td", "<b>", class_="num", data_sort=1.5)
    '<td class="num" data-sort="1.5">&lt;b&gt;</td>'
    """
    if name in ("td", "th"):
        children = tuple(unbroken(c) for c in children)
    if not _NAME.match(name):
        raise ValueError(f"not a tag name: {name!r}")
    parts = []
    for key, value in attrs.items():
        attr = key.rstrip("_").replace("_", "-")
        if not _NAME.match(attr):
            raise ValueError(f"not an attribute name: {attr!r}")
        if value is None or value is False:
            continue
        parts.append(f" {attr}" if value is True else f' {attr}="{esc(value)}"')
    opening = f"<{name}{''.join(parts)}>"
    if name in _VOID:
        return Html(opening)
    return Html(f"{opening}{join(children)}</{name}>")


def lines(items: Iterable[object]) -> Html:
    """Items one per line (``<br>`` between), each escaped unless it is :class:`Html`."""
    return join(items, sep=Html("<br>"))


def cell(
    value: object,
    digits: int = 6,
    *,
    sort: object = None,
    cls: str = "",
    title: str | None = None,
) -> Html:
    """A ``<td>``: a number formatted to ``digits``, text escaped, :class:`Html` kept.

    ``sort`` is the key of the sorting script (default: ``value`` when it is a number).
    """
    text = value if isinstance(value, Html) else fmt(value, digits)
    key = value if sort is None else sort
    classes = cls
    data_sort = None
    if isinstance(key, int | float | np.number) and not isinstance(key, bool):
        classes = f"{cls} num".strip()
        data_sort = str(float(key)) if math.isfinite(key) else ""
    return tag("td", text, class_=classes or None, data_sort=data_sort, title=title)


def table(
    headers: Sequence[object],
    rows: Iterable[Sequence[Html]],
    *,
    cls: str = "",
    caption: str = "",
    row_attrs: Sequence[dict] | None = None,
) -> Html:
    """A table of header text and rendered cells, in a box that scrolls on narrow screens."""
    rows = list(rows)
    attrs = row_attrs or [{}] * len(rows)
    head = tag("thead", tag("tr", *(tag("th", h) for h in headers)))
    body = tag("tbody", *(tag("tr", *r, **a) for r, a in zip(rows, attrs, strict=True)))
    cap = tag("caption", caption) if caption else ""
    return tag("div", tag("table", cap, head, body, class_=cls or None), class_="table-wrap")


def frame_table(frame, *, digits: int = 10, cls: str = "", caption: str = "") -> Html:
    """A pandas DataFrame as a table: index as the first column, every label escaped."""
    headers = ["", *map(str, frame.columns)]
    rows = [
        [tag("th", str(index)), *(cell(v, digits) for v in row)]
        for index, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return table(headers, rows, cls=cls, caption=caption)


def badge(verdict: str) -> Html:
    """The verdict as a symbol and a word on its colour (readable without the colour)."""
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    symbol = VERDICT_SYMBOLS.get(verdict, "•")
    return tag(
        "span",
        tag("span", f"{symbol} ", aria_hidden="true"),
        tag("span", verdict),
        class_="verdict",
        style=f"background:{colour}",
        title=VERDICT_MEANINGS.get(verdict),
    )


class Picture(NamedTuple):
    """An encoded figure: its ``data:`` URI and size in pixels."""

    uri: str
    width: int
    height: int


def figure(picture: Picture | str, kind: str, caption: str, alt: str | None = None) -> Html:
    """An inline image with its caption; ``kind`` names the plot for tests and anchors.

    ``alt`` describes what the image shows (default: the caption).
    """
    size = {}
    if isinstance(picture, Picture):
        size = {"width": picture.width, "height": picture.height}
        picture = picture.uri
    image = tag("img", src=picture, alt=alt or caption, **size)
    return tag("figure", image, tag("figcaption", caption), class_="plot", data_plot=kind)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 1.5rem;color:#1f2328;line-height:1.45;overflow-wrap:break-word}
h1{font-size:1.6rem;margin-bottom:.3rem}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2.4rem}
h3{margin-top:2rem}h4{margin-bottom:.3rem}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.82rem}
th,td{border:1px solid #d0d7de;padding:.2rem .4rem;vertical-align:top}
thead th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.num.stack{white-space:normal}table.overview td{line-height:1.3}
caption{text-align:left;font-weight:600;padding:.2rem 0}
table.sortable thead th{cursor:pointer}table.sortable thead th:hover{background:#eaeef2}
.verdict{color:#fff;border-radius:.7rem;padding:.05rem .5rem;font-size:.8rem;
white-space:nowrap;font-weight:600}
figure.plot{display:inline-block;margin:.4rem .8rem .4rem 0;vertical-align:top;max-width:100%}
figure.plot img{display:block;max-width:100%;height:auto;border:1px solid #eaeef2}
figcaption{font-size:.8rem;color:#57606a;max-width:40rem}
.claim{font-size:1.05rem;background:#f6f8fa;border-left:4px solid #1a7f37;
padding:.5rem .9rem;margin:.6rem 0}
.claim.fails{border-left-color:#cf222e}
.identity{background:#f6f8fa;border-left:4px solid #0969da;padding:.6rem 1rem}
.note{color:#57606a;font-size:.85rem}.reasons{margin:.2rem 0 .6rem 1rem;font-size:.85rem}
.side{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start}
.side>div{min-width:0;max-width:100%}
.small{font-size:.78rem}.nowrap{white-space:nowrap}
nav.toc{font-size:.85rem}nav.toc a{margin-right:.8rem;white-space:nowrap}
details{font-size:.85rem;margin:.3rem 0}
code{background:#f6f8fa;padding:0 .2rem}
@media (max-width:900px){body{padding:.6rem .75rem}table{font-size:.78rem}
th,td{padding:.15rem .3rem}}
@media (max-width:600px){body{padding:.4rem .5rem}h1{font-size:1.3rem}figure.plot{margin:.3rem 0}}
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (tbl) {
  tbl.querySelectorAll("thead th").forEach(function (th, col) {
    th.title = "click to sort";
    th.addEventListener("click", function () {
      var body = tbl.tBodies[0], rows = Array.from(body.rows);
      var asc = th.dataset.dir !== "asc"; th.dataset.dir = asc ? "asc" : "desc";
      function key(row) {
        var c = row.cells[col], s = c.dataset.sort;
        if (s !== undefined) { return s === "" ? Infinity : parseFloat(s); }
        return c.textContent.trim().toLowerCase();
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), r = x < y ? -1 : x > y ? 1 : 0;
        return asc ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def page(title: str, body: Html, *, meta: dict[str, str] | None = None) -> str:
    """The whole HTML document, marked as klmle's (``<meta name="generator">``).

    ``meta`` adds ``<meta name=... content=...>`` lines (the unit a report belongs to).
    """
    heads = [
        tag("meta", charset="utf-8"),
        tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
        tag("meta", name="generator", content=GENERATOR),
        *(tag("meta", name=k, content=v) for k, v in (meta or {}).items()),
        tag("link", rel="icon", href="data:,"),
        tag("title", title),
        tag("style", Html(STYLE)),
    ]
    document = tag(
        "html", tag("head", *heads), tag("body", body, tag("script", Html(SORT_SCRIPT))), lang="en"
    )
    return f"<!DOCTYPE html>\n{document}\n"
