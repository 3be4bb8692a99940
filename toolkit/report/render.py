"""The report page: what was shown and whether it held, the overview, one section per entry.

The first screen says, in words a student can read alone, what was checked and
whether it held, with one headline figure of every comparison; then the
overview table, the identity explained, rankings of families fitted to the same
data, and one section per family × dataset.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from toolkit.quiet import quiet
from toolkit.report import arviz_views, figures, model_sections, tables
from toolkit.report.files import atomic_write, check_destination
from toolkit.report.html import Html, badge, figure, frame_table, join, page, tag
from toolkit.report.numbers import kl_error_note
from toolkit.report.results import ReportEntry

#: Plots of an entry with one sample of values (posterior and forest where a posterior exists).
PLOTS = ("fit", "profile", "calibration", "posterior", "forest")
#: Plots of an entry with a design (a regression family).
REGRESSION_PLOTS = ("fitted", "profile", "posterior", "forest")
#: Plots of a user's pm.Model with proper priors (prior_pull: where ``map`` exists).
MODEL_PLOTS = ("prior_pull", "profile", "posterior", "forest")
#: Verdicts under which the identity held (the engines landed on the same maximiser).
HELD = ("agree", "not unique")

IDENTITY = Html("""
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
<p>For discrete data the KL is computed exactly; it is never negative, and a value
within the rounding of the sum is shown as 0 with that rounding level. For
continuous data p̂ is a set of atoms, and H(p̂) as a density is not defined; the
report then shows the cross-entropy minus an estimate of the entropy of p, which
<i>estimates</i> KL(p ‖ q<sub>θ</sub>), with the estimate's standard error (an
estimate below 0 is 0 within its error) — the shift is still a constant, so the
minimiser is unchanged.</p>
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
""")


def render_report(
    entries: Sequence[ReportEntry],
    *,
    title: str = "klmle report",
    progress: Callable[[str], None] | None = None,
    meta: dict[str, str] | None = None,
    drawn: Mapping[str, Html] | None = None,
) -> str:
    """The report for ``entries`` as one self-contained HTML document.

    Parameters
    ----------
    entries : sequence of ReportEntry
        From :func:`~toolkit.report.results.entry_from_comparison` or
        :func:`~toolkit.report.results.load_entries`.
    title : str
        Page title (escaped).
    progress : callable, optional
        Called with each entry's label once its section is drawn.
    meta : dict, optional
        Extra ``<meta name content>`` of the page (the unit it belongs to).
    drawn : mapping, optional
        Sections already drawn (:func:`entry_section`, e.g. by
        :class:`~toolkit.report.workers.ReportWorkers`), by entry key; the others are
        drawn here.

    Returns
    -------
    str
    """
    if not entries:
        raise ValueError("render_report needs at least one entry")
    parts = [tag("h1", title), first_screen(entries), _contents(entries)]
    parts.append(tag("h2", "Overview", id="overview"))
    parts.append(
        tag(
            "p",
            "One row per family fitted to a dataset; click a column heading to sort. "
            "“kl vs mle” is the identity measured: how far the minimiser of KL(p̂‖q_θ) is "
            "from the maximiser of ℓ(θ), in standard errors. Δθ and Δℓ compare every "
            "counted engine with the MLE; correct digits are −log₁₀ of the largest relative "
            "error against the closed form (capped at 16). Numbers here have 2–3 significant "
            "digits; each family's section and the saved results have them all.",
            class_="note",
        )
    )
    parts.append(tables.overview_table(entries))
    parts.append(join([tag("h2", "The identity", id="identity"), IDENTITY]))
    if any(entry.data is None for entry in entries):
        parts.append(model_sections.CONDITIONAL_IDENTITY)
    parts.append(_ranking_section(entries))
    parts.append(tag("h2", "Families", id="families"))
    drawn = drawn or {}
    for entry in entries:
        if entry.key in drawn:
            parts.append(drawn[entry.key])
        else:
            with quiet():
                parts.append(entry_section(entry))
        if progress is not None:
            progress(f"{entry.family} on {entry.dataset}")
    return page(title, join(parts), meta=meta)


def first_screen(entries: Sequence[ReportEntry]) -> Html:
    """What was shown and whether it held, in words, then the headline figure."""
    held = [e for e in entries if e.verdict in HELD]
    tolerance = max(float(e.attrs["tolerance"]) for e in entries)
    distances = [float(e.se_difference["kl"]) for e in held if "kl" in e.se_difference.index]
    shown = tag(
        "p",
        tag("b", "What was shown. "),
        f"{_count(len(entries), 'model')} fitted to data, each by two independent engines: ",
        tag("code", "mle"),
        " maximises the likelihood ℓ(θ) with PyMC, and ",
        tag("code", "kl"),
        " minimises KL(p̂‖q_θ), the divergence from the data's empirical distribution p̂ to "
        "the model, directly, with its own optimiser and its own density. Since "
        "KL(p̂‖q_θ) = −H(p̂) − ℓ(θ)/N, where H(p̂) does not depend on θ, they must find "
        "the same θ.",
    )
    counts = Counter(e.verdict for e in entries)
    tally = join([join([badge(v), f" × {n}"]) for v, n in counts.items()], sep=Html(", "))
    if len(held) == len(entries):
        worst = max(distances) if distances else 0.0
        verdict = join([
            tag("b", "It held, for all of them: "),
            f"the kl estimate is within {worst:.1g} standard errors of the MLE in every "
            f"comparison (the tolerance is {tolerance:g} SE). ",
            tally,
            "." if "not unique" not in counts else
            " (“not unique”: the maximiser is a set, and both engines are in it).",
        ])  # fmt: skip
        cls = "claim"
    else:
        others = [e for e in entries if e.verdict not in HELD]
        links = join(
            [join([tag("a", f"{e.family} on {e.dataset}", href=f"#{e.key}"), " ",
                   badge(e.verdict)]) for e in others],
            sep=Html("; "),
        )  # fmt: skip
        verdict = join([
            tag("b", f"It held for {len(held)} of {len(entries)}. "),
            "The others: ", links, ". ",
            "“did not converge” and “boundary” decide nothing (an optimiser did not get "
            "there, or the estimate runs to the edge of the parameter space); “disagree” "
            "means an engine found another point of lower likelihood. ", tally, ".",
        ])  # fmt: skip
        cls = "claim fails"
    return join(
        [
            tag("div", tag("p", shown), tag("p", verdict), class_=cls),
            _headline(entries, tolerance),
        ]
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _headline(entries, tolerance: float) -> Html:
    counted = {e.key: tables.counted_engines(e) for e in entries}
    with quiet():
        picture = figures.headline_figure(entries, counted, tolerance)
    distances = [float(e.se_difference["kl"]) for e in entries if "kl" in e.se_difference.index]
    alt = (
        f"Dot plot, one row per comparison ({len(entries)} rows), of each engine's largest "
        "distance from the maximum-likelihood estimate in standard errors on a log axis. "
        f"The kl engine's distance is at most {max(distances, default=0.0):.1g} SE; the "
        f"tolerance line is at {tolerance:g} SE."
    )
    caption = (
        "The identity across every comparison: for each model (one row), how far each "
        "engine's estimate is from the MLE, in standard errors (log scale). Red crosses: "
        "the kl engine, the minimiser of KL(p̂‖q_θ); left of the dashed line is agreement. "
        "Hollow markers: engines the verdict did not count (they stopped short of the "
        "optimum, or use a model's priors). Distances of 1e-16 or less (0 included) are drawn "
        "at the left edge. The verdict of each row is on the right."
    )
    return figure(picture, "headline", caption, alt=alt)


def _contents(entries) -> Html:
    links = [
        tag("a", "overview", href="#overview"),
        tag("a", "the identity", href="#identity"),
        *(
            [tag("a", "families on the same data", href="#ranking")]
            if _shared_datasets(entries)
            else []
        ),
        tag("a", "families", href="#families"),
    ]
    return tag("nav", "Contents: ", *links, class_="toc")


def _shared_datasets(entries) -> bool:
    names = Counter(e.dataset for e in entries)
    return any(n > 1 for n in names.values())


def entry_section(entry: ReportEntry) -> Html:
    """One model × dataset: verdict, tables and figures, each shown where the entry holds it."""
    head = join(
        [
            tag("h3", f"{entry.label} on {entry.dataset} ", badge(entry.verdict), id=entry.key),
            tag(
                "p",
                f"Data: {entry.source}; N = {entry.n}; tolerance {entry.attrs['tolerance']} SE. "
                f"KL: {entry.attrs['kl_note']}; {kl_error_note(entry.kl_kind, entry.kl_error)}.",
                class_="note",
            ),
        ]
    )
    parts = [head]
    if entry.reasons:
        parts.append(tag("ul", *(tag("li", r) for r in entry.reasons), class_="reasons"))
    parts.append(join([tag("h4", "Estimates by engine"), tables.parameter_table(entry)]))
    parts.extend(model_sections.model_parts(entry))
    parts.extend(_figures(entry))
    if entry.goodness_of_fit:
        parts.append(join([tag("h4", "Goodness of fit at the MLE"), tables.gof_table(entry)]))
    else:
        parts.append(
            join([tag("h4", "Information criteria at the MLE"), tables.information_table(entry)])
        )
    parts.append(join([tag("h4", "Convergence certificates"), tables.certificate_table(entry)]))
    parts.append(_arviz_part(entry))
    return tag("section", *parts, class_="entry", data_key=entry.key)


#: Caption of the KL profile.
PROFILE_CAPTION = (
    "KL profile: each parameter moved along a line through the optimum, the others held at "
    "the MLE. Thick red: KL(p̂‖q_θ) (left axis: the kl engine's objective over distinct "
    "values or rows); dashed blue: −ℓ(θ)/N (right axis, shifted by the θ-free constant so "
    "the curves overlap). Triangles mark each curve's minimum; vertical lines the mle (solid) "
    "and kl (dashed) estimates."
)


def _figures(entry: ReportEntry) -> list[Html]:
    """The entry's figures: each drawn when the entry holds what it shows."""
    parts = []
    if entry.has("grid_x"):
        what = (
            f"Bar chart of the observed frequencies of 0 to {int(entry.data.max())} with the "
            f"{entry.family} probabilities at the MLE as points."
            if entry.discrete
            else f"Histogram of the {entry.n} observations with the {entry.family} density "
            "at the MLE drawn over it."
        )
        parts.append(
            figure(figures.fit_figure(entry), "fit", "The data against the model at the MLE.", what)
        )
    elif entry.data is not None:
        parts.append(
            tag(
                "p",
                "Rows of several values: the density and QQ/PP figures are drawn for "
                "one-dimensional data only.",
                class_="note",
            )
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
                f"{kind.capitalize()} of {response} at the MLE against the diagonal.",
            )
        )
    parts.append(
        figure(
            figures.profile_figure(entry, entry.profiles),
            "profile",
            PROFILE_CAPTION,
            _profile_alt(entry),
        )
    )
    if entry.calibration_kind is not None:
        kind = entry.calibration_kind
        parts.append(
            figure(
                figures.calibration_figure(entry),
                "calibration",
                f"{kind} plot at the MLE: points on the diagonal mean the model fits.",
                f"{kind} plot of {entry.family} at the MLE: the data's "
                f"{'quantiles' if kind == 'QQ' else 'CDF'} against the model's, with the diagonal.",
            )
        )
    return parts


def _profile_alt(entry) -> str:
    """What the KL profile shows, in words: where each curve's minimum is."""
    same, apart = [], []
    for profile in entry.profiles:
        ok = np.isfinite(profile.kl) & np.isfinite(profile.neg_loglik)
        if not ok.any():
            continue
        grid = profile.grid[ok]
        a, b = grid[np.argmin(profile.kl[ok])], grid[np.argmin(profile.neg_loglik[ok])]
        (same if a == b else apart).append(f"{profile.parameter} = {a:.4g}")
    text = (
        f"KL profile of {entry.label}: for each of {len(entry.profiles)} parameters, "
        "KL(p̂‖q_θ) and −ℓ(θ)/N along the parameter lie on top of each other."
    )
    if same:
        text += f" Both minima at the same point: {', '.join(same)}."
    if apart:
        text += f" Minima at different grid points: {', '.join(apart)}."
    return text


#: Heading and note of the ArviZ part, by how the posterior group was drawn.
POSTERIOR_TEXT = {
    "laplace": (
        "Laplace approximation to the posterior (ArviZ)",
        "A normal approximation at the MLE with the inverse observed information as "
        "covariance (drawn in PyMC's unconstrained space, mapped back). Vertical lines: the "
        "engines' estimates.",
    ),
    "nuts": (
        "NUTS posterior (ArviZ)",
        "Draws by PyMC's NUTS from the model itself (flat priors for a catalog family, so the "
        "posterior is the normalised likelihood). Vertical lines: the engines' estimates.",
    ),
}


def _arviz_part(entry: ReportEntry) -> Html:
    if not entry.has_posterior:
        return tag("p", f"No Laplace approximation: {entry.no_posterior}.", class_="note")
    heading, note = POSTERIOR_TEXT[entry.posterior_kind]
    name = arviz_views.POSTERIOR_NAMES[entry.posterior_kind]
    k = len(entry.estimates.index)
    parts = [tag("h4", heading)]
    if entry.posterior_note:
        parts.append(tag("p", entry.posterior_note, class_="note"))
    parts.append(tag("p", note, class_="note"))
    parts.append(
        figure(
            arviz_views.posterior_figure(entry),
            "posterior",
            f"az.plot_posterior: the {name} of each parameter, 94 % HDI.",
            f"az.plot_posterior of the {name}: {k} density panels with their 94 % highest "
            "density intervals, the engines' estimates as vertical lines.",
        )
    )
    forest = arviz_views.forest_figure(entry)
    if forest is not None:
        parts.append(
            figure(
                forest,
                "forest",
                "az.plot_forest in standard-error units: (θ − θ̂_mle) / SE, so parameters of "
                "any scale share one axis.",
                f"az.plot_forest of the {name} of {k} parameters as (θ − θ̂_mle)/SE, each "
                "94 % interval about ±2 SE wide, with mle and kl marked at 0.",
            )
        )
    parts.append(frame_table(arviz_views.posterior_summary(entry), digits=5, caption="az.summary"))
    return join(parts)


def _ranking_section(entries) -> Html:
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
            else tag("p", "ELPD-LOO needs a posterior for at least two families.", class_="note")
        )
        parts.append(
            join(
                [
                    tag("h3", dataset),
                    tag("div", tag("div", tables.aic_ranking(group)), tag("div", loo),
                        class_="side"),
                ]
            )
        )  # fmt: skip
    if not parts:
        return Html("")
    intro = tag(
        "p",
        "AIC = 2k − 2ℓ and BIC = k log N − 2ℓ at the MLE (k free parameters; lower is better). "
        "ELPD-LOO is the expected log predictive density by Pareto-smoothed leave-one-out on "
        "each family's posterior (higher is better).",
        class_="note",
    )
    return join([tag("h2", "Families fitted to the same data", id="ranking"), intro, *parts])


def write_report(
    entries: Sequence[ReportEntry],
    path: str | os.PathLike,
    *,
    title: str = "klmle report",
    progress: Callable[[str], None] | None = None,
    inputs: Iterable[os.PathLike | str] = (),
    force: bool = False,
    drawn: Mapping[str, Html] | None = None,
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
    inputs : iterable of path-like
        Files that must never be replaced (the results the report is drawn from).
    force : bool
        Replace an existing file that klmle did not write.
    drawn : mapping, optional
        Sections already drawn, by entry key (see :func:`render_report`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
        For a path klmle will not write (see :func:`toolkit.report.files.check_destination`).
    """
    path = Path(path)
    text = render_report(entries, title=title, progress=progress, drawn=drawn)
    check_destination(path, inputs=inputs, force=force)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
