"""Report sections of the studies, and the page that holds them.

Each section is drawn from a study's tidy frame alone (its rows and ``attrs``), plus
the data for the reverse-KL picture; nothing is refitted. ``SECTIONS`` maps a
study's name to its section, so a frame loaded from a store can be rendered.

    from toolkit.report.studies import SECTIONS, write_study_report

    write_study_report([SECTIONS["convergence"](frame)], "convergence.html")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.quiet import quiet
from toolkit.report import study_figures as figs
from toolkit.report.files import atomic_write, check_destination
from toolkit.report.html import Html, figure, frame_table, join, page, tag

CONVERGENCE = Html("""<p>Samples of growing size N are drawn from the model itself and fitted
by maximum likelihood. The identity KL(p̂ ‖ q<sub>θ</sub>) = −H(p̂) − ℓ(θ)/N holds on
every sample; as N grows p̂ → p, so the MLE tends to argmin<sub>θ</sub> KL(p ‖ q<sub>θ</sub>),
the true θ: its error shrinks like N<sup>−1/2</sup>, √N(θ̂ − θ) looks more and more like
a normal with the inverse Fisher information as variance, and the fitted model's
distance from the truth, KL(p ‖ q<sub>θ̂</sub>) (computed exactly or by quadrature,
never by sampling), is k/(2N) on average for k free parameters: Akaike's argument
for the penalty in AIC.</p>""")

MISSPECIFICATION = Html("""<p>Samples from one family are fitted with another. The MLE
still converges, to the pseudo-true θ* = argmin<sub>θ</sub> KL(p ‖ q<sub>θ</sub>) (found
by quadrature), the member of the wrong family closest to the truth. Its standard
error is not the model's any more: intervals θ̂ ± 1.96 SE from the observed
information miss θ* more (or less) often than 5 %, while Huber's sandwich SE,
H<sup>−1</sup>(Σ s<sub>i</sub>s<sub>i</sub><sup>T</sup>)H<sup>−1</sup>, keeps its promise.</p>""")

SMOOTHING = Html("""<p>Minimising KL(p̂<sub>h</sub> ‖ q<sub>θ</sub>) from a smoothed
p̂<sub>h</sub> (a Gaussian kernel of standard deviation h, or a histogram with bins of
width h) is a different objective with a different minimiser; as h → 0 it tends to
the MLE. For the normal family and the kernel the answer is exact: σ² = s² + h².</p>""")

REVERSE = Html("""<p>KL(q<sub>θ</sub> ‖ p̂) is infinite on atoms, so both directions use the
smoothed p̂<sub>h</sub>. The forward minimiser must cover every mode (mean-seeking);
the reverse one pays for mass where the data are not and locks onto one mode
(mode-seeking). Every distinct local minimum of the reverse KL found from several
starts is shown, each certified (a minimum, not a saddle), with its KL.</p>""")

PRIOR = Html("""<p>With proper priors the MAP maximises ℓ(θ) + log π(θ): the likelihood
grows with N and the prior does not, so the MAP approaches the MLE and the gap
shrinks like 1/N.</p>""")


def convergence_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (n, parameter) of the certified MLEs: fits, mean, bias, sd, mean SE, N·E[KL]."""
    ok = figs.certified(frame)
    table = _summary(ok, extra={"se": "mean"})
    akaike = ok.drop_duplicates(["n", "rep"]).assign(nkl=lambda f: f["n"] * f["kl_true"])
    return table.join(akaike.groupby("n")["nkl"].mean().rename("N·E[KL]"))


def convergence_section(frame: pd.DataFrame) -> Html:
    family = frame.attrs.get("arguments", {}).get("family", "")
    return _section(
        "convergence",
        f"Convergence: {family} at its true parameters",
        CONVERGENCE,
        frame,
        [
            (lambda: figs.error_figure(frame), "error", "|θ̂ − θ| against N, N^(−1/2) dotted."),
            (lambda: figs.akaike_figure(frame), "akaike", "N · E[KL(p ‖ q_θ̂)] and k/2."),
            (lambda: figs.sampling_figure(frame), "sampling", "√N(θ̂ − θ) at the largest N."),
        ],
        convergence_table(frame),
    )


def misspecification_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (n, parameter): fits, mean, θ*, bias, sd, mean SEs and both coverages."""
    extra = ("se_model", "se_sandwich", "covered_model", "covered_sandwich")
    return _summary(figs.certified(frame), extra=dict.fromkeys(extra, "mean"))


def misspecification_section(frame: pd.DataFrame) -> Html:
    a = frame.attrs.get("arguments", {})
    truth = ", ".join(f"{k}={_number(v)}" for k, v in a.get("truth_params", {}).items())
    return _section(
        "misspecification",
        f"Misspecification: {a.get('family', '')} fitted to {a.get('truth', '')}({truth})",
        MISSPECIFICATION,
        frame,
        [
            (lambda: figs.pseudo_true_figure(frame), "pseudo_true", "The MLE tends to θ*."),
            (lambda: figs.coverage_figure(frame), "coverage", "Coverage of the 95 % intervals."),
        ],
        misspecification_table(frame),
    )


def smoothing_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The minimisers by smoother, bandwidth and parameter, beside the MLE."""
    columns = ["smoother", "bandwidth", "parameter", "estimate", "mle", "gap", "kl", "status"]
    return frame[columns].set_index(["smoother", "bandwidth", "parameter"])


def smoothing_section(frame: pd.DataFrame) -> Html:
    family = frame.attrs.get("arguments", {}).get("family", "")
    return _section(
        "smoothing",
        f"Smoothing: {family}, N = {int(frame['n'].iloc[0])}",
        SMOOTHING,
        frame,
        [(lambda: figs.gap_figure(frame), "gap", "Gap to the MLE against the bandwidth.")],
        smoothing_table(frame),
    )


def reverse_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (direction, optimum): its KL, how many starts ended there, the parameters."""
    return frame.pivot_table(
        index=["direction", "optimum", "kl", "starts"],
        columns="parameter",
        values="estimate",
        sort=False,
    )


def reverse_section(frame: pd.DataFrame, data: np.ndarray) -> Html:
    a = frame.attrs.get("arguments", {})
    ends = frame.attrs.get("ends", {})
    note = tag(
        "p",
        f"{ends.get('starts', '?')} reverse starts: "
        f"{ends.get('certified minima', '?')} ended at certified minima, "
        f"{ends.get('saddles', '?')} at saddles, {ends.get('other', '?')} elsewhere.",
        class_="note",
    )
    return _section(
        "reverse",
        f"The reverse KL: {a.get('family', '')} on N = {int(frame['n'].iloc[0])}, "
        f"h = {a.get('bandwidth', '')}",
        join([REVERSE, note]),
        frame,
        [(lambda: figs.reverse_figure(frame, data), "reverse", "Forward and reverse fits.")],
        reverse_table(frame),
    )


def prior_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (n, parameter) of the certified MAPs: fits, mean |MAP − MLE| and N times it."""
    ok = figs.certified(frame, engine="map")
    table = (
        ok.assign(abs_gap=ok["gap"].abs())
        .groupby(["n", "parameter"], sort=False)
        .agg(fits=("gap", "size"), mean_abs_gap=("abs_gap", "mean"))
    )
    table["N·mean |gap|"] = table.index.get_level_values("n") * table["mean_abs_gap"]
    return table.reset_index(level="parameter")


def prior_section(frame: pd.DataFrame) -> Html:
    family = frame.attrs.get("arguments", {}).get("family", "")
    return _section(
        "prior",
        f"Prior against data: {family}",
        PRIOR,
        frame,
        [(lambda: figs.prior_figure(frame), "prior", "|MAP − MLE| against N, 1/N dotted.")],
        prior_table(frame),
    )


#: The section of each study, by the study's name.
SECTIONS = {
    "convergence": convergence_section,
    "misspecification": misspecification_section,
    "smoothing": smoothing_section,
    "prior": prior_section,
}
#: The summary table of each study, by the study's name (what ``klmle study`` prints).
TABLES = {
    "convergence": convergence_table,
    "misspecification": misspecification_table,
    "smoothing": smoothing_table,
    "reverse": reverse_table,
    "prior": prior_table,
}


def study_page(sections: Sequence[Html], title: str = "klmle studies") -> str:
    """The self-contained HTML page of ``sections`` (as the section functions return them)."""
    if not sections:
        raise ValueError("a study page needs at least one section")
    return page(title, join([tag("h1", title), *sections]))


def write_study_report(
    sections: Sequence[Html],
    path: str | os.PathLike,
    title: str = "klmle studies",
    *,
    inputs: Sequence[str | os.PathLike] = (),
    force: bool = False,
) -> Path:
    """Write the page of ``sections`` atomically (a temporary file, then a rename).

    Never over one of ``inputs`` (the study's data or store), and over a file klmle did
    not write only with ``force`` (:func:`toolkit.report.files.check_destination`).
    """
    path = Path(path)
    text = study_page(sections, title)
    check_destination(path, inputs=inputs, force=force)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def _section(key, title, intro: Html, frame, figures, table) -> Html:
    failed = frame[frame["status"] != "ok"]
    count = failed.drop_duplicates([c for c in ("n", "rep", "engine") if c in frame]).shape[0]
    note = Html("")
    if count:
        reasons = failed["status"].value_counts().head(3)
        listed = "; ".join(f"{s} (×{n})" for s, n in reasons.items())
        note = tag(
            "p", f"{count} fit(s) not certified, left out of the figures: {listed}", class_="note"
        )
    with quiet():
        body = [figure(draw(), kind, caption) for draw, kind, caption in figures]
    return tag(
        "section",
        tag("h2", title, id=key),
        intro,
        note,
        *body,
        frame_table(table, digits=5),
        class_="study",
        data_study=key,
    )


def _summary(ok: pd.DataFrame, extra: dict[str, str]) -> pd.DataFrame:
    """Per (n, parameter): fits, mean estimate, target, bias, sd, and the ``extra`` means."""
    grouped = ok.groupby(["n", "parameter"], sort=False)
    table = grouped.agg(
        fits=("estimate", "size"),
        mean=("estimate", "mean"),
        target=("target", "first"),
        sd=("estimate", "std"),
        **{column: (column, how) for column, how in extra.items()},
    )
    table.insert(3, "bias", table["mean"] - table["target"])
    return table.reset_index(level="parameter")


def _number(value) -> str:
    return "/".join(f"{v:.4g}" for v in np.ravel(value))
