"""Parts of a report section shown where an entry has them: the priors' pull, several starts.

What a section shows is decided by the entry's stored fields (the ``map`` column,
``multistart``), never by a family's name.
"""

from __future__ import annotations

from toolkit.report import figures, tables
from toolkit.report.html import Html, figure, join, tag

#: Shown after the identity when the report holds regression or user-model entries.
CONDITIONAL_IDENTITY = Html("""
<div class="identity">
<p><b>Regression and your own model.</b> There the data are rows (x<sub>i</sub>, y<sub>i</sub>)
and the model a conditional law q(y | x; θ). The same argument holds for the conditional KL
averaged over the empirical p̂(x):</p>
<p style="text-align:center">Σ p̂(x, y) log(p̂(y | x) / q(y | x; θ)) = Σ p̂(x, y) log p̂(y | x)
− ℓ(θ)/N,</p>
<p>and the first term does not depend on θ. For a discrete response it is computed exactly
(it is 0 when no covariate row repeats); for a continuous one the <code>kl</code> engine
minimises the cross-entropy −Σ p̂(x, y) log q(y | x; θ) = −ℓ(θ)/N itself, the KL up to
the conditional entropy of the data, which is not estimated (the tables then call it the
cross-entropy).</p>
</div>
""")


#: What each multi-start engine minimises, as the table's "objective" column shows it.
OBJECTIVES = {
    "mle": "−ℓ(θ)/N for mle",
    "kl": "the conditional KL (or cross-entropy) for kl",
    "map": "−log posterior/N for map",
}


def model_parts(entry) -> list[Html]:
    """The priors' pull (where there is a ``map`` column) and the starts and optima."""
    parts = []
    if "map" in entry.estimates.columns:
        parts.append(_prior_part(entry))
    if entry.multistart:
        objectives = ", ".join(OBJECTIVES[e] for e in entry.multistart if e in OBJECTIVES)
        note = (
            "Each engine ran from several starts (the model's initial point, seeded jittered "
            "points, and find_MAP's answer for the Newton engines); distinct optima are listed "
            f"best first, one column each. Objective: {objectives}. One distinct optimum: "
            "every start found the same answer."
        )
        parts.append(
            join([tag("h4", "Starts and optima"), tag("p", note, class_="note"),
                  tables.multistart_table(entry)])
        )  # fmt: skip
    return parts


#: What the priors' pull is, under its heading.
PRIOR_NOTE = Html(
    '<p class="note">The model has proper priors: <code>map</code> maximises the '
    "log-posterior with them, <code>mle</code> the log-likelihood with the priors dropped. "
    "Their difference in standard errors is the priors' pull: near 0 when the data "
    "dominate, large when a prior is informative relative to the data. map (and find_map, "
    "which also uses the priors) are reported, not judged.</p>"
)


def _prior_part(entry) -> Html:
    pull = figures.prior_pull_figure(entry)
    values = tables.prior_pull(entry)
    largest = values.abs().idxmax() if values.notna().any() else None
    alt = (
        f"Bar chart of (MAP − MLE) / SE for {len(values)} parameters; the largest pull is "
        f"{values[largest]:.2g} SE, on {largest}."
        if largest is not None
        else "Bar chart of (MAP − MLE) / SE per parameter."
    )
    return join(
        [
            tag("h4", "The priors' pull: MAP against MLE"),
            PRIOR_NOTE,
            tables.prior_pull_table(entry),
            figure(
                pull,
                "prior_pull",
                "(MAP − MLE) / SE per parameter: the bar is how many standard errors the "
                "priors move each estimate away from the maximum-likelihood one.",
                alt=alt,
            ),
        ]
    )
