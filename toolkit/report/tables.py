"""The report's tables, as HTML, from :class:`~toolkit.report.results.ReportEntry` objects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.report import stats as report_stats
from toolkit.report.html import badge, cell, esc, fmt, frame_table, table

OVERVIEW_HEADERS = (
    "family",
    "dataset",
    "N",
    "verdict",
    "max |Δθ|/SE vs mle",
    "max |Δℓ| vs mle",
    "KL(p̂‖q) by engine",
    "correct digits vs closed form",
    "fit time by engine",
)


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


def overview_row(entry) -> list[str]:
    """One overview row: the entry's verdict, worst differences, KL, digits and times."""
    counted = counted_engines(entry)
    others = [e for e in counted if e != "mle"]
    worst_se = float(max_se_difference(entry)[others].max()) if others else 0.0
    loglik = entry.by_engine("loglik")
    worst_ll = float((loglik - loglik["mle"])[counted].abs().max())
    skipped = [e for e in entry.estimates.columns if e not in counted]
    note = f"<br>not counted: {esc(', '.join(skipped))}" if skipped else ""
    if set(skipped) & set(entry.not_judged):
        note += " (priors)"
    kl = entry.by_engine("kl")
    seconds = entry.by_engine("cert_seconds")
    digits = closed_form_digits(entry)
    anchor = f'<a href="#{esc(entry.key)}">{esc(entry.family)}</a>'
    return [
        f'<td data-sort="{esc(entry.family)}">{anchor}</td>',
        cell(entry.dataset),
        cell(entry.n),
        f'<td data-sort="{esc(entry.verdict)}">{badge(entry.verdict)}</td>',
        cell(f"{esc(fmt(worst_se, 3))}{note}", raw=True, sort=worst_se),
        cell(worst_ll, 3),
        _stacked(kl, 6, sort=kl.get("mle", np.nan)),
        _stacked(pd.Series(digits), 3, sort=digits.get("mle", np.nan)) if digits else cell("–"),
        _stacked(seconds * 1e3, 4, unit=" ms", sort=float(seconds.sum())),
    ]


def _stacked(values: pd.Series, digits: int, *, unit: str = "", sort: float) -> str:
    lines = "<br>".join(f"{esc(k)} {esc(fmt(v, digits))}{esc(unit)}" for k, v in values.items())
    return cell(lines, raw=True, sort=float(sort), cls="small")


def overview_table(entries) -> str:
    """Sortable overview: one row per family × dataset."""
    rows = [overview_row(e) for e in entries]
    return table(OVERVIEW_HEADERS, rows, cls="sortable overview")


def parameter_table(entry) -> str:
    """Estimates by engine and SE, then log-likelihood and KL rows (as Comparison.table()).

    A regression coefficient's row names the design column it multiplies.
    """
    frame = entry.estimates.copy()
    frame["SE at the MLE"] = entry.se
    named = terms(entry)
    frame.index = [_term(p, named.get(p)) for p in frame.index]
    extra = pd.DataFrame(
        [entry.by_engine("loglik"), entry.by_engine("kl")], index=["log-likelihood ℓ", "KL(p̂‖q)"]
    )
    return frame_table(pd.concat([frame, extra]), digits=10, cls="params")


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


def prior_pull_table(entry) -> str:
    """MLE, MAP and the prior's pull (MAP − MLE) / SE by parameter."""
    from toolkit.report.figures import prior_pull

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
    return frame_table(frame, digits=6, cls="pull", caption="The prior's pull, in SE units")


def multistart_table(entry) -> str:
    """Each multi-start engine's starts, distinct optima and their objectives (best first)."""
    rows = []
    names = list(entry.estimates.index)
    for engine, info in entry.multistart.items():
        optima = sorted(info["optima"], key=lambda o: o["objective"])
        for i, optimum in enumerate(optima):
            head = [cell(engine), cell(info["starts"]), cell(info["n_optima"])] if i == 0 else [
                cell(""), cell(""), cell("")]  # fmt: skip
            best = "best" if i == 0 else f"+{optimum['objective'] - optima[0]['objective']:.3g}"
            rows.append(
                [*head, cell(optimum["objective"], 10), cell(best)]
                + [cell(optimum.get(n, np.nan), 8) for n in names]
            )
    headers = ("engine", "starts", "distinct optima", "objective", "vs best", *names)
    return table(headers, rows, cls="multistart")


def information_table(entry) -> str:
    """AIC and BIC at the MLE (k free parameters, N rows)."""
    loglik = float(entry.by_engine("loglik")["mle"])
    ic = report_stats.information_criteria_kn(entry.k_free, entry.n, loglik)
    rows = [
        [cell("AIC"), cell(ic["AIC"], 8), cell(f"k = {entry.k_free}")],
        [cell("BIC"), cell(ic["BIC"], 8), cell(f"N = {entry.n}")],
    ]
    return table(("statistic", "value", "note"), rows, cls="gof")


def gof_table(entry) -> str:
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


def certificate_table(entry) -> str:
    """Each engine's convergence certificate."""
    certs = entry.certificates.copy()
    for column in ("hessian_pd", "converged", "at_boundary"):
        if column in certs:
            certs[column] = certs[column].map(_yes_no)
    if "seconds" in certs:
        certs["seconds"] = certs["seconds"].astype(float)
    return frame_table(certs, digits=3, cls="certs")


def _yes_no(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if np.isnan(value) else ("yes" if value else "no")


def aic_ranking(entries) -> str:
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
