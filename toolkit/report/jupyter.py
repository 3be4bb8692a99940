"""A compact HTML view of one comparison, for Jupyter's ``_repr_html_``."""

from __future__ import annotations

from toolkit.report.html import badge, esc, frame_table


def comparison_html(cmp) -> str:
    """Verdict badge, reasons and the estimates table of a :class:`~toolkit.compare.Comparison`.

    Parameters
    ----------
    cmp : Comparison

    Returns
    -------
    str
        An HTML fragment (escaped; no figures, so it is quick in a notebook).
    """
    reasons = "".join(f"<li>{esc(r)}</li>" for r in cmp.reasons)
    return (
        "<div>"
        f"<p><b>{esc(cmp.label)}</b>, N = {cmp.n}: {badge(cmp.verdict)} "
        f"(tolerance {esc(cmp.tolerance)} SE)</p>"
        + (f'<ul class="reasons">{reasons}</ul>' if reasons else "")
        + frame_table(cmp.table(), digits=10)
        + f'<p class="note">KL: {esc(cmp.kl_note)}</p></div>'
    )
