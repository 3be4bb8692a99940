"""HTML building blocks: escaping, tables, figures, badges and the page shell.

Every string that reaches the page goes through :func:`esc` (``html.escape``),
so a column or file name such as ``<script>`` is shown as text. The page is
self-contained: inline CSS, a few lines of inline JavaScript to sort tables,
figures as ``data:`` URIs; nothing is fetched.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

import numpy as np

VERDICT_COLOURS = {
    "agree": "#1a7f37",
    "disagree": "#cf222e",
    "did not converge": "#bc4c00",
    "boundary": "#8250df",
    "not unique": "#9a6700",
}


def esc(value: object) -> str:
    """``html.escape`` of ``str(value)``, quotes included."""
    return html.escape(str(value), quote=True)


def fmt(value: object, digits: int = 6) -> str:
    """A number with ``digits`` significant digits; text unchanged; NaN as an en dash."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else ("yes" if value else "no")
    if isinstance(value, int | float | np.number):
        value = float(value) if not isinstance(value, int) else value
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{digits}g}"
    try:
        return fmt(float(value), digits)
    except (TypeError, ValueError):
        return str(value)


def cell(
    value: object, digits: int = 6, *, sort: object = None, raw: bool = False, cls: str = ""
) -> str:
    """A ``<td>``: escaped, numbers formatted, ``data-sort`` for the sorting script.

    ``raw=True`` inserts ``value`` as already-escaped HTML.
    """
    text = str(value) if raw else esc(fmt(value, digits))
    key = value if sort is None else sort
    classes = cls
    attrs = ""
    if isinstance(key, int | float | np.number) and not isinstance(key, bool):
        classes = f"{cls} num".strip()
        attrs = f' data-sort="{esc(float(key)) if math.isfinite(key) else ""}"'
    class_attr = f' class="{esc(classes)}"' if classes else ""
    return f"<td{class_attr}{attrs}>{text}</td>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    cls: str = "",
    caption: str = "",
    row_attrs: Sequence[str] | None = None,
) -> str:
    """A table from escaped header text and pre-rendered ``<td>`` cells."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    rows = list(rows)
    attrs = row_attrs or [""] * len(rows)
    body = "".join(f"<tr{a}>{''.join(r)}</tr>" for r, a in zip(rows, attrs, strict=True))
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="{esc(cls)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def frame_table(frame, *, digits: int = 10, cls: str = "", caption: str = "") -> str:
    """A pandas DataFrame as a table: index as the first column, every label escaped."""
    headers = ["", *map(str, frame.columns)]
    rows = [
        [f"<th>{esc(index)}</th>", *(cell(v, digits) for v in row)]
        for index, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return table(headers, rows, cls=cls, caption=caption)


def badge(verdict: str) -> str:
    """The verdict in colour and in words."""
    colour = VERDICT_COLOURS.get(verdict, "#57606a")
    style = f"background:{colour};color:#fff;border-radius:.7rem;padding:.05rem .55rem"
    return f'<span class="verdict" style="{style}">{esc(verdict)}</span>'


def figure(uri: str, kind: str, caption: str) -> str:
    """An inline image with its caption; ``kind`` names the plot for tests and anchors."""
    return (
        f'<figure class="plot" data-plot="{esc(kind)}"><img src="{uri}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 2rem;color:#1f2328;line-height:1.45}
h1{font-size:1.7rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2.4rem}
h3{margin-top:1.6rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.2rem .45rem;vertical-align:top}
thead th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2rem 0}
table.sortable thead th{cursor:pointer}table.sortable thead th:hover{background:#eaeef2}
.verdict{color:#fff;border-radius:.7rem;padding:.05rem .55rem;font-size:.8rem;white-space:nowrap}
figure.plot{display:inline-block;margin:.4rem .8rem .4rem 0;vertical-align:top}
figure.plot img{max-width:100%;border:1px solid #eaeef2}
figcaption{font-size:.8rem;color:#57606a;max-width:34rem}
.identity{background:#f6f8fa;border-left:4px solid #0969da;padding:.6rem 1rem}
.note{color:#57606a;font-size:.85rem}.reasons{margin:.2rem 0 .6rem 1rem;font-size:.85rem}
.side{display:flex;gap:2rem;flex-wrap:wrap;align-items:flex-start}
.small{font-size:.78rem;white-space:nowrap}
code{background:#f6f8fa;padding:0 .2rem}
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


def page(title: str, body: str) -> str:
    """The whole HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}"
        f"<script>{SORT_SCRIPT}</script></body></html>\n"
    )
