"""A comparison as plain text for a terminal: tables whose columns line up, in words.

Columns are padded by the width a terminal gives each character, not by the
number of code points: ``p̂`` is a ``p`` and a combining circumflex, one column wide.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from toolkit.report.numbers import duration, kl_error_note, kl_row

#: Significant digits of estimates in the terminal (as in the report's sections).
DIGITS = 10


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: combining marks 0, wide characters 2.

    Examples
    --------
    >>> len("KL(p̂‖q)"), display_width("KL(p̂‖q)")
    (8, 7)
    """
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """Rows under headers, two spaces apart; ``right`` says which columns align right."""
    table = [list(headers), *map(list, rows)]
    widths = [max(display_width(row[i]) for row in table) for i in range(len(headers))]
    lines = []
    for row in table:
        cells = []
        for text, width, to_right in zip(row, widths, right, strict=True):
            pad = " " * (width - display_width(text))
            cells.append(pad + text if to_right else text + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def comparison_text(cmp, source: str | None = None) -> str:
    """The comparison as text: verdict, estimates table, KL note, reasons, certificates."""
    engines = list(cmp.estimates.columns)
    rows = [
        [p, *(f"{cmp.estimates.loc[p, e]:.{DIGITS}g}" for e in engines), f"{cmp.se[p]:.4g}"]
        for p in cmp.estimates.index
    ]
    rows.append(["loglik", *(f"{cmp.loglik[e]:.{DIGITS}g}" for e in engines), "–"])
    kl_label, kl_cells, _ = kl_row(cmp.kl[engines], cmp.kl_error[engines], cmp.kl_kind, DIGITS)
    rows.append([kl_label, *kl_cells, "–"])
    estimates = text_table(["", *engines, "se"], rows, [False] + [True] * (len(engines) + 1))
    verdict = "AGREE" if cmp.agree and cmp.verdict == "agree" else cmp.verdict.upper()
    where = f"  ({source})" if source else ""
    certificates = cmp.certificates()
    cert_rows = [
        [
            engine,
            str(c["status"]),
            "–" if c["grad_norm"] is None else f"{c['grad_norm']:.1e}",
            {True: "yes", False: "no"}.get(c["hessian_pd"], "–"),
            str(int(c["iterations"])) if c["iterations"] else "–",
            duration(float(c["seconds"])),
        ]
        for engine, c in certificates.iterrows()
    ]
    cert_text = text_table(
        ["engine", "where it ended", "|gradient|", "Hessian pd", "iterations", "time"],
        cert_rows,
        [False, False, True, True, True, True],
    )
    lines = [
        f"== {cmp.label}{where}  verdict: {verdict} (tolerance {cmp.tolerance:g} SE)",
        estimates,
        f"KL: {cmp.kl_note}; {kl_error_note(cmp.kl_kind, cmp.kl_error)}",
        *(f"note: {r}" for r in cmp.reasons),
        cert_text,
    ]
    return "\n".join(lines)
