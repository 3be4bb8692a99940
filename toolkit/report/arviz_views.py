"""ArviZ views of the posterior (Laplace or NUTS): posterior, forest, summary, az.compare."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.quiet import quiet
from toolkit.report.figures import ENGINE_STYLE, _pyplot, encode

#: Engines drawn as reference lines on the posterior plots.
REFERENCE_ENGINES = ("mle", "kl", "closed_form", "scipy", "map")


def posterior_figure(entry) -> str:
    """``az.plot_posterior`` of the posterior, engines' estimates as reference lines."""
    import arviz as az

    _pyplot()
    names = list(entry.estimates.index)
    with quiet():
        axes = az.plot_posterior(
            entry.idata, hdi_prob=0.94, figsize=(4.2 * min(len(names), 3), 3.0), textsize=9
        )
    axes = np.atleast_1d(axes).ravel()
    for ax, name in zip(axes, names, strict=False):
        for engine in REFERENCE_ENGINES:
            if engine in entry.estimates.columns and np.isfinite(entry.estimates.loc[name, engine]):
                ax.axvline(
                    entry.estimates.loc[name, engine], lw=1.2, label=engine, **_style(engine)
                )
    axes[0].legend(fontsize=7, frameon=False, loc="upper left")
    return encode(axes[0].figure)


def forest_figure(entry) -> str:
    """``az.plot_forest`` (94 % interval of the posterior) with the engines' estimates."""
    import arviz as az

    _pyplot()
    with quiet():
        axes = az.plot_forest(
            entry.idata, combined=True, hdi_prob=0.94, figsize=(6.0, 1.8 + 0.5 * len(entry.se))
        )
    ax = np.atleast_1d(axes).ravel()[0]
    labels = _tick_positions(ax)
    markers = [(e, m) for e, m in (("mle", "o"), ("kl", "x"), ("map", "d")) if e in entry.estimates]
    for engine, marker in markers:
        for name in entry.estimates.index:
            y = labels.get(_plain(name))
            if y is not None:
                ax.plot(
                    entry.estimates.loc[name, engine],
                    y,
                    marker,
                    ms=8,
                    mfc="none",
                    color=ENGINE_STYLE[engine]["color"],
                )
    ax.plot([], [], "o", mfc="none", color=ENGINE_STYLE["mle"]["color"], label="mle")
    ax.plot([], [], "x", color=ENGINE_STYLE["kl"]["color"], label="kl")
    if "map" in entry.estimates:
        ax.plot([], [], "d", mfc="none", color=ENGINE_STYLE["map"]["color"], label="map")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(
        f"94 % HDI of the {entry.posterior_kind} posterior, with the estimates", fontsize=9
    )
    return encode(ax.figure, tight=True)


def _tick_positions(ax) -> dict[str, float]:
    """Full parameter name -> y of its row; ArviZ labels a vector's later rows "[1]", "[2]"."""
    ticks = sorted(
        zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True),
        key=lambda item: -item[0],
    )
    positions, current = {}, ""
    for y, text in ticks:
        text = _plain(text)
        name = current + text if text.startswith("[") else text
        current = name.split("[")[0]
        positions[name] = y
    return positions


def _plain(label: str) -> str:
    return label.replace(" ", "").replace("\n", "")


def _style(engine: str) -> dict:
    style = ENGINE_STYLE[engine]
    return {"color": style["color"], "ls": style["ls"]}


def posterior_summary(entry) -> pd.DataFrame:
    """``az.summary`` (statistics only) of the posterior."""
    import arviz as az

    with quiet():
        return az.summary(entry.idata, kind="stats", hdi_prob=0.94)


def elpd_comparison(entries) -> pd.DataFrame | None:
    """``az.compare`` of the saved PSIS-LOO of entries fitted to the same data (two or more)."""
    import arviz as az

    models = {}
    for entry in entries:
        elpd = entry.elpd
        if elpd is None:
            continue
        name = entry.family if entry.family not in models else f"{entry.family} ({entry.key})"
        models[name] = elpd
    if len(models) < 2:
        return None
    with quiet(), np.errstate(all="ignore"):
        table = az.compare(models, ic="loo")
    return table[["rank", "elpd_loo", "p_loo", "elpd_diff", "se", "dse", "weight", "warning"]]
