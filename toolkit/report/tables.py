"""The report's tables, as HTML, from :class:`~toolkit.report.results.ReportEntry` objects.

The overview reads at a glance (two or three significant digits, times in ms or
s, every number kept on one line); the sections keep full precision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.report import stats as report_stats
from toolkit.report.html import Html, badge, cell, frame_table, join, lines, table, tag
from toolkit.report.numbers import duration, fmt, kl_floor, kl_row, kl_text

#: The overview's headings, each as the lines it wraps into (never inside a symbol).
OVERVIEW_HEADERS = (
    ("family · data",),
    ("verdict",),
    ("kl vs mle", "|Δθ|/SE"),
    ("max |Δθ|/SE", "vs mle"),
    ("max |Δℓ|", "vs mle"),
    ("KL at", "the MLE"),
    ("correct digits", "mle · kl"),
    ("fit time",),
)
#: Significant digits in the overview (the sections and the .nc keep full precision).
OVERVIEW_DIGITS = 2
SECTION_DIGITS = 10
#: Certificate columns as a reader names them (the rest go in the details below the table).
CERTIFICATE_COLUMNS = {
    "status": "where it ended",
    "grad_norm": "largest |gradient|",
    "hessian_pd": "Hessian positive definite",
    "iterations": "iterations",
    "seconds": "time",
}


def max_se_difference(entry) -> pd.Series:
    """max over parameters of |θ_engine − θ_mle| / SE, by engine, as the verdict counted it."""
    return entry.se_difference


def counted_engines(entry) -> list[str]:
    """Engines that converged off the boundary and are judged (not using a model's priors)."""
    certs = entry.certificates
    ok = certs["converged"].astype(float).fillna(0).astype(bool)
    if "at_boundary" in certs:
        ok &= ~certs["at_boundary"].astype(float).fillna(0).astype(bool)
    judged = set(entry.estimates.columns) - set(entry.not_judged)
    return [e for e in entry.estimates.columns if ok[e] and e in judged]


def closed_form_digits(entry) -> dict[str, float]:
    """Correct digits of each engine's estimates against the closed form, if there is one.

    A parameter whose maximiser is a set (Laplace's location at even N) is
    measured against the nearest point of that set, not the closed form's
    choice within it.
    """
    est = entry.estimates
    if "closed_form" not in est.columns:
        return {}
    digits = {}
    for engine in est.columns:
        if engine == "closed_form":
            continue
        reference = est["closed_form"].copy()
        for param, (lo, hi) in entry.argmax_sets.items():
            reference[param] = min(max(est.loc[param, engine], lo), hi)
        digits[engine] = report_stats.correct_digits(est[engine].to_numpy(), reference.to_numpy())
    return digits


def breakable(name: str) -> Html:
    """A name that may wrap after its underscores (``negative_binomial_regression``)."""
    return join(name.split("_"), sep=Html("_<wbr>"))


def short_dataset(entry) -> str:
    """The dataset's name without the family's when it repeats it ("simulated gamma")."""
    return entry.dataset.removesuffix(f" {entry.family}") or entry.dataset


def overview_row(entry) -> list[Html]:
    """One overview row: verdict, the identity's distance, worst differences, KL, digits, time."""
    counted = counted_engines(entry)
    others = [e for e in counted if e != "mle"]
    distance = max_se_difference(entry)
    worst_se = float(distance[others].max()) if others else 0.0
    loglik = entry.by_engine("loglik")
    worst_ll = float((loglik - loglik["mle"])[counted].abs().max())
    skipped = [e for e in entry.estimates.columns if e not in counted]
    note = f"not counted: {', '.join(skipped)}" if skipped else ""
    if set(skipped) & set(entry.not_judged):
        note += " (priors)"
    kl_distance = float(distance["kl"]) if "kl" in distance.index else np.nan
    digits = closed_form_digits(entry)
    seconds = entry.by_engine("cert_seconds")
    per_engine = ", ".join(f"{e} {duration(s)}" for e, s in seconds.items())
    name = tag(
        "td",
        tag("a", breakable(entry.family), href=f"#{entry.key}"),
        Html("<br>"),
        tag("span", breakable(short_dataset(entry)), f", N = {entry.n}", class_="small"),
        data_sort=entry.family,
    )
    worst = tag("span", fmt(worst_se, OVERVIEW_DIGITS), class_="nowrap")
    return [
        name,
        tag("td", badge(entry.verdict), data_sort=entry.verdict),
        cell(kl_distance, OVERVIEW_DIGITS),
        cell(
            lines([worst, tag("span", note, class_="small")]) if note else worst,
            sort=worst_se,
            cls="stack",
        ),
        cell(worst_ll, OVERVIEW_DIGITS),
        _kl_cell(entry),
        _digits_cell(digits),
        cell(duration(float(seconds.sum())), sort=float(seconds.sum()), title=per_engine),
    ]


def _kl_cell(entry) -> Html:
    """KL at the MLE, 2 digits, never below 0; its ± (rounding or SE) on a second line."""
    kl, error, kind = entry.by_engine("kl")["mle"], entry.kl_error["mle"], entry.kl_kind
    text = kl_text(kl, error, kind, OVERVIEW_DIGITS)
    value, _, rest = text.partition(" ")
    error_text = tag("span", rest.strip("()"), class_="small nowrap")  # never split inside
    shown = lines([value, error_text]) if rest else value
    return cell(shown, sort=kl_floor(kl, error, kind), cls="stack", title=_kl_title(kind))


def _digits_cell(digits: dict[str, float]) -> Html:
    if not digits:
        return cell("–")
    main = " · ".join(fmt(digits[e], 3) for e in ("mle", "kl") if e in digits)
    others = ", ".join(f"{e} {fmt(v, 2)}" for e, v in digits.items() if e not in ("mle", "kl"))
    return cell(main, sort=float(digits.get("mle", np.nan)), title=others or None)


def _kl_title(kind: str) -> str:
    return {
        "exact": "exact: Σ p̂ log(p̂/q) over the distinct values; ± its rounding level",
        "estimate": "an estimate of KL(p‖q): cross-entropy minus an entropy estimate, ± its SE",
        "cross-entropy": "the cross-entropy −Σ p̂ log q: the KL up to a θ-free constant",
    }.get(kind)


def overview_table(entries) -> Html:
    """Sortable overview: one row per family × dataset."""
    rows = [overview_row(e) for e in entries]
    headers = [lines(tag("span", part, class_="nowrap") for part in h) for h in OVERVIEW_HEADERS]
    return table(headers, rows, cls="sortable overview")


def parameter_table(entry) -> Html:
    """Estimates by engine and SE, then log-likelihood and KL rows (as Comparison.table()).

    A regression coefficient's row names the design column it multiplies. The KL row
    shows an exact KL within its rounding level as 0, and an estimate with its SE.
    """
    frame = entry.estimates.copy()
    frame["SE at the MLE"] = entry.se
    labels = parameter_labels(entry)
    headers = ["", *map(str, frame.columns)]
    rows = [
        [tag("th", labels[p]), *(cell(v, SECTION_DIGITS) for v in frame.loc[p])]
        for p in frame.index
    ]
    loglik = entry.by_engine("loglik")
    rows.append([tag("th", "log-likelihood ℓ"), *(cell(loglik[e], SECTION_DIGITS) for e in
                 entry.estimates.columns), cell("–")])  # fmt: skip
    kl = entry.by_engine("kl")
    label, texts, keys = kl_row(kl, entry.kl_error, entry.kl_kind, SECTION_DIGITS)
    rows.append(
        [tag("th", label)]
        + [cell(t, sort=k) for t, k in zip(texts, keys, strict=True)]
        + [cell("–")]
    )
    digits = closed_form_digits(entry)
    if digits:
        rows.append(
            [tag("th", "correct digits vs closed form")]
            + [cell(digits.get(e, np.nan), 3) for e in entry.estimates.columns]
            + [cell("–")]
        )
    return table(headers, rows, cls="params")


def parameter_labels(entry) -> dict[str, str]:
    """Each parameter's name as the tables show it: a coefficient with its design column."""
    named = terms(entry)
    return {p: _term(p, named.get(p)) for p in entry.estimates.index}


def terms(entry) -> dict[str, str]:
    """``beta[i]`` -> the design column it multiplies (empty without a linear predictor)."""
    design = entry.design
    if design is None or design["mean"] is not None:
        return {}
    return dict(zip(entry.estimates.index, design["columns"], strict=False))


def _term(parameter: str, column: str | None) -> str:
    if column is None:
        return parameter
    return f"{parameter} {column}" if column.startswith("(") else f"{parameter} ({column})"


def prior_pull(entry) -> pd.Series:
    """(MAP − MLE) / SE by parameter."""
    est = entry.estimates
    with np.errstate(divide="ignore", invalid="ignore"):
        return (est["map"] - est["mle"]) / entry.se


def prior_pull_table(entry) -> Html:
    """MLE, MAP and the prior's pull (MAP − MLE) / SE by parameter."""
    est = entry.estimates
    frame = pd.DataFrame(
        {
            "mle": est["mle"],
            "map": est["map"],
            "MAP − MLE": est["map"] - est["mle"],
            "SE at the MLE": entry.se,
            "(MAP − MLE) / SE": prior_pull(entry),
        }
    )
    frame.index = [parameter_labels(entry)[p] for p in frame.index]
    return frame_table(frame, digits=6, cls="pull", caption="The prior's pull, in SE units")


def multistart_table(entry) -> Html:
    """Each multi-start engine's distinct optima (best first), one column per optimum.

    Rows: the engine, its starts, distinct optima, the objective at the optimum and
    its excess over the best, then the parameters; a column per optimum keeps the
    table narrow whatever the number of parameters.
    """
    columns = []
    for engine, info in entry.multistart.items():
        optima = sorted(info["optima"], key=lambda o: o["objective"])
        for i, optimum in enumerate(optima):
            columns.append((engine, info, i, optimum, optima[0]["objective"]))
    names = list(entry.estimates.index)
    labels = parameter_labels(entry)
    rows = [
        [tag("th", "engine"), *(cell(engine) for engine, *_ in columns)],
        [tag("th", "starts"), *(cell(info["starts"]) for _, info, *_ in columns)],
        [tag("th", "distinct optima"), *(cell(info["n_optima"]) for _, info, *_ in columns)],
        [tag("th", "objective"), *(cell(o["objective"], 10) for *_, o, _b in columns)],
        [
            tag("th", "vs best"),
            *(cell("best" if i == 0 else f"+{o['objective'] - b:.3g}") for *_, i, o, b in columns),
        ],
    ]
    rows += [
        [tag("th", labels[n]), *(cell(o.get(n, np.nan), 8) for *_, o, _b in columns)] for n in names
    ]
    headers = ["", *(f"optimum {i + 1}" for _, _, i, *_ in columns)]
    return table(headers, rows, cls="multistart")


def information_table(entry) -> Html:
    """AIC and BIC at the MLE (k free parameters, N rows)."""
    loglik = float(entry.by_engine("loglik")["mle"])
    ic = report_stats.information_criteria_kn(entry.k_free, entry.n, loglik)
    rows = [
        [cell("AIC"), cell(ic["AIC"], 8), cell(f"k = {entry.k_free}")],
        [cell("BIC"), cell(ic["BIC"], 8), cell(f"N = {entry.n}")],
    ]
    return table(("statistic", "value", "note"), rows, cls="gof")


def gof_table(entry) -> Html:
    """Goodness of fit at the MLE, and AIC / BIC."""
    ic = report_stats.information_criteria_kn(
        entry.k_free, entry.n, float(entry.by_engine("loglik")["mle"])
    )
    rows = [
        [cell(name), cell(stat, 5), cell(p, 4), cell(note)]
        for name, stat, p, note in entry.goodness_of_fit
    ]
    rows.append([cell("AIC"), cell(ic["AIC"], 8), cell("–"), cell(f"k = {int(ic['k'])}")])
    rows.append([cell("BIC"), cell(ic["BIC"], 8), cell("–"), cell(f"N = {entry.n}")])
    return table(("statistic", "value", "p-value", "note"), rows, cls="gof")


def certificate_table(entry) -> Html:
    """Each engine's convergence certificate, in words; the optimisers' own messages below."""
    certs = entry.certificates
    counted = set(counted_engines(entry))
    shown = [c for c in CERTIFICATE_COLUMNS if c in certs]
    headers = ["engine", "counted", *(CERTIFICATE_COLUMNS[c] for c in shown)]
    rows = []
    for engine in certs.index:
        row = [tag("th", engine), cell("yes" if engine in counted else "no")]
        for column in shown:
            value = certs.loc[engine, column]
            if column in ("hessian_pd", "converged", "at_boundary"):
                row.append(cell(_yes_no(value)))
            elif column == "seconds":
                row.append(cell(duration(float(value)), sort=float(value)))
            elif column in ("iterations", "evaluations"):
                row.append(cell(_count(value)))
            else:
                row.append(cell(value, 2))
        rows.append(row)
    details = [tag("li", tag("b", engine), ": ", _certificate_details(certs.loc[engine]))
               for engine in certs.index]  # fmt: skip
    more = tag(
        "details",
        tag("summary", "More: the Newton step to the optimum, evaluations, the density, and "
            "each optimiser's own message"),
        tag("ul", *details),
    )  # fmt: skip
    return join([table(headers, rows, cls="certs"), more])


def _certificate_details(row) -> str:
    parts = []
    if "distance_se" in row and np.isfinite(float(row["distance_se"])):
        parts.append(f"Newton step to the optimum {float(row['distance_se']):.2g} SE")
    if "evaluations" in row and _count(row["evaluations"]) != "–":
        parts.append(f"{_count(row['evaluations'])} evaluations")
    if "at_boundary" in row and _yes_no(row["at_boundary"]) == "yes":
        parts.append("on the boundary")
    if row.get("density"):
        parts.append(f"density: {row['density']}")
    if row.get("optimiser"):
        parts.append(f"the optimiser's own message: {row['optimiser']}")
    return "; ".join(parts) or "–"


def _count(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if not np.isfinite(value) or value == 0 else str(int(value))


def _yes_no(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if np.isnan(value) else ("yes" if value else "no")


def aic_ranking(entries) -> Html:
    """Families fitted to the same data, ranked by AIC (lower is better)."""
    rows = []
    for entry in entries:
        ic = report_stats.information_criteria_kn(
            entry.k_free, entry.n, float(entry.by_engine("loglik")["mle"])
        )
        rows.append((entry.family, ic["k"], float(entry.by_engine("loglik")["mle"]), ic))
    rows.sort(key=lambda r: r[3]["AIC"])
    best = rows[0][3]["AIC"]
    html_rows = [
        [
            cell(f),
            cell(int(k)),
            cell(ll, 7),
            cell(ic["AIC"], 7),
            cell(ic["AIC"] - best, 4),
            cell(ic["BIC"], 7),
        ]
        for f, k, ll, ic in rows
    ]
    headers = ("family", "k", "log-likelihood", "AIC", "ΔAIC", "BIC")
    return table(headers, html_rows, cls="sortable ranking", caption="Ranked by AIC")
