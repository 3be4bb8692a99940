"""ArviZ views of the posterior (Laplace approximation or NUTS): posterior, forest, summary.

The plots are drawn from a copy of the posterior with one scalar variable per flat
parameter, named as the report's tables name it (``beta[1] (x1)``), so every
panel and row carries its full name. The forest plot is in standard-error units,
(θ − θ̂_mle) / SE, so that parameters of very different scales share one axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.quiet import quiet
from toolkit.report.figures import ENGINE_STYLE, _pyplot, encode, mpl_text, styled
from toolkit.report.html import Picture
from toolkit.report.tables import parameter_labels

#: Engines drawn as reference lines on the posterior plots.
REFERENCE_ENGINES = ("mle", "kl", "closed_form", "scipy", "map")
#: What each posterior kind is called on the page (never "Laplace posterior": the
#: laplace family is another thing).
POSTERIOR_NAMES = {"laplace": "Laplace approximation", "nuts": "NUTS posterior"}


def flat_draws(entry) -> dict[str, np.ndarray]:
    """Draws (chain, draw) of every flat parameter, by the parameter's name."""
    posterior = entry.idata.posterior
    out = {}
    for name in entry.estimates.index:
        variable, _, index = name.partition("[")
        values = np.asarray(posterior[variable].values, dtype=float)
        if index:
            flat = values.reshape(values.shape[0], values.shape[1], -1)
            values = flat[:, :, int(index.rstrip("]"))]
        out[name] = values
    return out


def _inference_data(draws: dict[str, np.ndarray], labels: dict[str, str]):
    import arviz as az
    import xarray as xr

    first = next(iter(draws.values()))
    data = {mpl_text(labels[n]): (("chain", "draw"), v) for n, v in draws.items()}
    coords = {"chain": np.arange(first.shape[0]), "draw": np.arange(first.shape[1])}
    with quiet():
        return az.InferenceData(posterior=xr.Dataset(data, coords=coords))


@styled
def posterior_figure(entry) -> Picture:
    """``az.plot_posterior`` of every parameter, the engines' estimates as reference lines."""
    import arviz as az
    from matplotlib.ticker import MaxNLocator

    _pyplot()
    labels = parameter_labels(entry)
    names = list(entry.estimates.index)
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    with quiet():
        axes = az.plot_posterior(
            _inference_data(flat_draws(entry), labels),
            hdi_prob=0.94,
            figsize=(2.8 * cols, 2.3 * rows + 0.5),
            grid=(rows, cols),
            textsize=9,
            round_to=3,
            color="#4d4d4d",
            backend_kwargs={"layout": "constrained"},
        )
    axes = np.atleast_1d(axes).ravel()
    for ax, name in zip(axes, names, strict=False):
        ax.set_title(mpl_text(labels[name]), fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(4))  # tick labels that never run together
        for engine in REFERENCE_ENGINES:
            if engine in entry.estimates.columns and np.isfinite(entry.estimates.loc[name, engine]):
                style = ENGINE_STYLE[engine]
                ax.axvline(
                    entry.estimates.loc[name, engine], lw=1.2, label=engine, color=style["color"],
                    ls=style["ls"],
                )  # fmt: skip
    fig = axes[0].figure
    handles, legend_labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, legend_labels, loc="outside upper center", ncol=len(handles),
               frameon=False)  # fmt: skip
    return encode(fig)


@styled
def forest_figure(entry) -> Picture:
    """``az.plot_forest`` of (θ − θ̂_mle) / SE: the 94 % HDI of every parameter in SE units."""
    import arviz as az

    _pyplot()
    labels = parameter_labels(entry)
    mle, se = entry.estimates["mle"], entry.se
    scaled = {n: (v - mle[n]) / se[n] for n, v in flat_draws(entry).items() if _usable(se[n])}
    if not scaled:
        return None
    with quiet():
        axes = az.plot_forest(
            _inference_data(scaled, labels),
            combined=True,
            hdi_prob=0.94,
            figsize=(6.4, 1.3 + 0.42 * len(scaled)),
            textsize=9,
        )
    ax = np.atleast_1d(axes).ravel()[0]
    positions = _row_positions(ax, {n: mpl_text(labels[n]) for n in scaled})
    ax.axvline(0.0, color=ENGINE_STYLE["mle"]["color"], lw=1)
    for engine in ("mle", "kl", "map"):
        if engine not in entry.estimates:
            continue
        style = ENGINE_STYLE[engine]
        for name, y in positions.items():
            value = (entry.estimates.loc[name, engine] - mle[name]) / se[name]
            ax.plot(value, y, style["marker"], ms=8, mfc="none", mew=1.5, color=style["color"])
        ax.plot([], [], style["marker"], mfc="none", color=style["color"], label=engine)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    ax.set_xlabel("(θ − θ̂_mle) / SE   [standard errors from the MLE]", fontsize=9)
    name = POSTERIOR_NAMES.get(entry.posterior_kind, entry.posterior_kind)
    ax.set_title(f"94 % HDI of the {name}, in SE units, with the estimates", fontsize=9.5)
    return encode(ax.figure, tight=True)


def _usable(se: float) -> bool:
    return bool(np.isfinite(se) and se > 0)


def _row_positions(ax, names: dict[str, str]) -> dict[str, float]:
    """Parameter -> y of its forest row, found by the row's label."""
    rows = {t.get_text(): y for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    return {n: rows[label] for n, label in names.items() if label in rows}


def posterior_summary(entry) -> pd.DataFrame:
    """``az.summary`` (statistics only) of the posterior, rows named as in the tables."""
    import arviz as az

    labels = parameter_labels(entry)
    with quiet():
        draws = _inference_data(flat_draws(entry), labels)
        summary = az.summary(draws, kind="stats", hdi_prob=0.94)
    summary.index = [labels[n] for n in entry.estimates.index]
    return summary


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
