"""A compact HTML view of one comparison, for Jupyter's ``_repr_html_``."""

from __future__ import annotations

from toolkit.report.html import Html, badge, cell, table, tag
from toolkit.report.numbers import kl_error_note, kl_row


def comparison_html(cmp) -> str:
    """Verdict badge, reasons and the estimates table of a :class:`~toolkit.compare.Comparison`.

    Parameters
    ----------
    cmp : Comparison

    Returns
    -------
    str
        An HTML fragment, every label escaped (no figures, so it is quick in a notebook).
    """
    engines = list(cmp.estimates.columns)
    rows = [
        [tag("th", p), *(cell(cmp.estimates.loc[p, e], 10) for e in engines), cell(cmp.se[p], 10)]
        for p in cmp.estimates.index
    ]
    rows.append([tag("th", "loglik"), *(cell(cmp.loglik[e], 10) for e in engines), cell("–")])
    kl_label, kl_cells, kl_sort = kl_row(cmp.kl[engines], cmp.kl_error[engines], cmp.kl_kind)
    rows.append(
        [tag("th", kl_label), *(cell(t, sort=k) for t, k in zip(kl_cells, kl_sort, strict=True)),
         cell("–")]
    )  # fmt: skip
    reasons = tag("ul", *(tag("li", r) for r in cmp.reasons), class_="reasons")
    return tag(
        "div",
        tag(
            "p",
            tag("b", cmp.label),
            f", N = {cmp.n}: ",
            badge(cmp.verdict),
            f" (tolerance {cmp.tolerance:g} SE)",
        ),
        reasons if cmp.reasons else Html(""),
        table(["", *engines, "se"], rows),
        tag("p", f"KL: {cmp.kl_note}; {kl_error_note(cmp.kl_kind, cmp.kl_error)}.", class_="note"),
    )
