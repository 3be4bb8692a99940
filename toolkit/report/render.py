"""The report page: overview, the identity explained, one section per family × dataset."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from toolkit.quiet import quiet
from toolkit.report import arviz_views, figures, model_sections, tables
from toolkit.report.html import badge, esc, figure, frame_table, page
from toolkit.report.results import ReportEntry, atomic_write

#: Plots of an entry with one sample of values (posterior and forest where a posterior exists).
PLOTS = ("fit", "profile", "calibration", "posterior", "forest")
#: Plots of an entry with a design (a regression family).
REGRESSION_PLOTS = ("fitted", "profile", "posterior", "forest")
#: Plots of a user's pm.Model with proper priors (prior_pull: where ``map`` exists).
MODEL_PLOTS = ("prior_pull", "profile", "posterior", "forest")

IDENTITY = """
<div class="identity">
<p><b>Why minimising KL is maximum likelihood.</b> Write p̂ for the empirical
distribution of the N observations (mass 1/N on each) and q<sub>θ</sub> for the
model. Then</p>
<p style="text-align:center">KL(p̂ ‖ q<sub>θ</sub>) = Σ p̂(x) log p̂(x) − Σ p̂(x) log q(x; θ)
= −H(p̂) − ℓ(θ)/N,</p>
<p>where ℓ(θ) = Σ<sub>i</sub> log q(x<sub>i</sub>; θ) is the log-likelihood. The
entropy H(p̂) does not depend on θ, so the θ that minimises the KL divergence is
exactly the θ that maximises the likelihood: the two curves in each <i>KL
profile</i> below are the same curve shifted by the constant H(p̂), and their
minima sit at the same place. By the law of large numbers p̂ → p, the true
distribution, as N grows, so the MLE tends to argmin<sub>θ</sub> KL(p ‖ q<sub>θ</sub>):
the true parameter when the model is right, the closest model in KL
(the “pseudo-true” parameter) when it is not.</p>
<p>For continuous data p̂ is a set of atoms, and H(p̂) as a density is not
defined; the report then shows the cross-entropy minus an estimate of the
entropy of p, which estimates KL(p ‖ q<sub>θ</sub>) up to that estimate's error
(so a well-fitting model can show a slightly negative value) — the shift is still
a constant, so the minimiser is unchanged.</p>
<p><b>How it is checked.</b> Each model is fitted by independent engines:
<code>mle</code> (PyMC, flat priors, Newton-polished), <code>find_map</code>
(PyMC's <code>find_MAP</code> as is), <code>kl</code> (a direct numerical minimiser of
KL(p̂ ‖ q<sub>θ</sub>) on the distinct data values, with an independent
scipy/numpy density), <code>closed_form</code> (the textbook formula, where there
is one) and <code>scipy</code> (scipy.stats' own fit). They <b>agree</b> when every
converged engine is within the stated tolerance of the MLE, measured in
standard errors (SE, from the observed information). A fit that did not
converge, or sits on the boundary, is reported as such, never as agreement.</p>
</div>
"""


def render_report(
    entries: Sequence[ReportEntry],
    *,
    title: str = "klmle report",
    progress: Callable[[str], None] | None = None,
) -> str:
    """The report for ``entries`` as one self-contained HTML document.

    Parameters
    ----------
    entries : sequence of ReportEntry
        From :func:`~toolkit.report.results.entry_from_comparison` or
        :func:`~toolkit.report.results.load_results`.
    title : str
        Page title (escaped).
    progress : callable, optional
        Called with each entry's label once its section is drawn.

    Returns
    -------
    str
    """
    if not entries:
        raise ValueError("render_report needs at least one entry")
    parts = [f"<h1>{esc(title)}</h1>", _summary_line(entries)]
    parts.append('<h2 id="overview">Overview</h2>')
    parts.append(
        '<p class="note">One row per family fitted to a dataset; click a column heading to '
        "sort. Δθ and Δℓ compare every engine with the MLE; correct digits are "
        "−log<sub>10</sub> of the largest relative error against the closed form "
        "(capped at 16).</p>"
    )
    parts.append(tables.overview_table(entries))
    parts.append('<h2 id="identity">The identity</h2>' + IDENTITY)
    if any(entry.data is None for entry in entries):
        parts.append(model_sections.CONDITIONAL_IDENTITY)
    parts.append(_ranking_section(entries))
    parts.append('<h2 id="families">Families</h2>')
    for entry in entries:
        with quiet():
            parts.append(entry_section(entry))
        if progress is not None:
            progress(f"{entry.family} on {entry.dataset}")
    return page(title, "\n".join(parts))


def _summary_line(entries) -> str:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.verdict] = counts.get(entry.verdict, 0) + 1
    words = ", ".join(f"{badge(v)} × {n}" for v, n in counts.items())
    return f"<p>{len(entries)} comparison(s): {words}</p>"


def entry_section(entry: ReportEntry) -> str:
    """One model × dataset: verdict, tables and figures, each shown where the entry holds it."""
    head = (
        f'<h3 id="{esc(entry.key)}">{esc(entry.label)} on {esc(entry.dataset)} '
        f"{badge(entry.verdict)}</h3>"
        f'<p class="note">Data: {esc(entry.source)}; N = {entry.n}; '
        f"tolerance {esc(entry.attrs['tolerance'])} SE. KL: {esc(entry.attrs['kl_note'])}.</p>"
    )
    reasons = "".join(f"<li>{esc(r)}</li>" for r in entry.reasons)
    parts = [head, f'<ul class="reasons">{reasons}</ul>' if reasons else ""]
    parts.append("<h4>Estimates by engine</h4>" + tables.parameter_table(entry))
    parts.extend(model_sections.model_parts(entry))
    parts.extend(_figures(entry))
    if entry.goodness_of_fit:
        parts.append("<h4>Goodness of fit at the MLE</h4>" + tables.gof_table(entry))
    else:
        parts.append("<h4>Information criteria at the MLE</h4>" + tables.information_table(entry))
    parts.append("<h4>Convergence certificates</h4>" + tables.certificate_table(entry))
    parts.append(_arviz_part(entry))
    return f'<section class="entry" data-key="{esc(entry.key)}">{"".join(parts)}</section>'


#: Caption of the KL profile.
PROFILE_CAPTION = (
    "KL profile: each parameter moved along a line through the optimum, the others held at "
    "the MLE. Thick red: KL(p̂‖q_θ) (left axis: the kl engine's objective over distinct "
    "values or rows); dashed blue: −ℓ(θ)/N (right axis, shifted by the θ-free constant so "
    "the curves overlap). Triangles mark each curve's minimum; vertical lines the mle (solid) "
    "and kl (dashed) estimates."
)


def _figures(entry: ReportEntry) -> list[str]:
    """The entry's figures: each drawn when the entry holds what it shows."""
    parts = []
    if entry.has("grid_x"):
        parts.append(
            figure(figures.fit_figure(entry), "fit", "The data against the model at the MLE.")
        )
    elif entry.data is not None:
        parts.append(
            '<p class="note">Rows of several values: the density and QQ/PP figures are '
            "drawn for one-dimensional data only.</p>"
        )
    if entry.has("fitted_mean"):
        kind = "binned calibration" if entry.discrete else "observed against fitted"
        response = entry.design["response"]
        parts.append(
            figure(
                figures.fitted_figure(entry),
                "fitted",
                f"Fit at the MLE ({kind}): points near the grey diagonal mean the fitted mean "
                f"E[{response} | x] matches the data.",
            )
        )
    parts.append(figure(figures.profile_figure(entry, entry.profiles), "profile", PROFILE_CAPTION))
    if entry.calibration_kind is not None:
        kind = entry.calibration_kind
        parts.append(
            figure(
                figures.calibration_figure(entry),
                "calibration",
                f"{kind} plot at the MLE: points on the diagonal mean the model fits.",
            )
        )
    return parts


#: Heading and note of the ArviZ part, by how the posterior group was drawn.
POSTERIOR_TEXT = {
    "laplace": (
        "<h4>Laplace posterior (ArviZ)</h4>"
        '<p class="note">A normal approximation at the MLE with the inverse observed '
        "information as covariance (drawn in PyMC's unconstrained space, mapped back). "
        "Vertical lines: the engines' estimates.</p>"
    ),
    "nuts": (
        "<h4>NUTS posterior (ArviZ)</h4>"
        '<p class="note">Draws by PyMC\'s NUTS from the model itself (flat priors for a '
        "catalog family, so the posterior is the normalised likelihood). Vertical lines: "
        "the engines' estimates.</p>"
    ),
}


def _arviz_part(entry: ReportEntry) -> str:
    if not entry.has_posterior:
        return (
            f'<p class="note">No posterior (Laplace approximation): {esc(entry.no_posterior)}.</p>'
        )

    return (
        POSTERIOR_TEXT[entry.posterior_kind]
        + figure(arviz_views.posterior_figure(entry), "posterior", "az.plot_posterior")
        + figure(arviz_views.forest_figure(entry), "forest", "az.plot_forest")
        + frame_table(arviz_views.posterior_summary(entry), digits=5, caption="az.summary")
    )


def _ranking_section(entries) -> str:
    groups: dict[str, list[ReportEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.dataset, []).append(entry)
    parts = []
    for dataset, group in groups.items():
        if len(group) < 2:
            continue
        with quiet():
            elpd = arviz_views.elpd_comparison(group)
        loo = (
            frame_table(elpd, digits=4, cls="ranking", caption="Ranked by ELPD-LOO (az.compare)")
            if elpd is not None
            else '<p class="note">ELPD-LOO needs a posterior for at least two families.</p>'
        )
        parts.append(
            f"<h3>{esc(dataset)}</h3>"
            f'<div class="side"><div>{tables.aic_ranking(group)}</div><div>{loo}</div></div>'
        )
    if not parts:
        return ""
    intro = (
        '<h2 id="ranking">Families fitted to the same data</h2><p class="note">AIC = 2k − 2ℓ '
        "and BIC = k log N − 2ℓ at the MLE (k free parameters; lower is better). ELPD-LOO is "
        "the expected log predictive density by Pareto-smoothed leave-one-out on each family's "
        "posterior (higher is better).</p>"
    )
    return intro + "".join(parts)


def write_report(
    entries: Sequence[ReportEntry],
    path: str | os.PathLike,
    *,
    title: str = "klmle report",
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Render and write the report atomically (temporary file beside ``path``, then rename).

    Parameters
    ----------
    entries : sequence of ReportEntry
    path : path-like
        The HTML file to write; its directory is created if missing.
    title : str
    progress : callable, optional
        See :func:`render_report`.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)

    def write(tmp: Path) -> None:
        text = render_report(entries, title=title, progress=progress)
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)
    return path
